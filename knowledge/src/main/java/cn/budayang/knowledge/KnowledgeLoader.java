package cn.budayang.knowledge;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the four files of a knowledge directory ({@code groups.json}, {@code stations.json}, {@code deputies.json},
 * {@code faq.json}, format in CONTRACT.md) into a validated {@link KnowledgeBase}.
 *
 * <p>Every problem throws {@link KnowledgeException} with a message naming the file: of the form
 * {@code <file>: id=<id> field=<field>: <problem>} for a problem of one entry, {@code <file>: <problem>} (with line
 * and column when the JSON breaks) for a problem of the whole file.
 */
public final class KnowledgeLoader {
    public static final String GROUPS = "groups.json";
    public static final String STATIONS = "stations.json";
    public static final String DEPUTIES = "deputies.json";
    public static final String FAQ = "faq.json";
    /** The four files, in load order. */
    public static final List<String> FILES = List.of(GROUPS, STATIONS, DEPUTIES, FAQ);
    private static final int MIB = 1 << 20;
    /** The largest knowledge file read (each is read whole into memory); a larger one is refused unread. */
    static final int MAX_FILE_BYTES = 64 * MIB;

    private static final String BUNDLED = "/knowledge/";
    /** Strict: one JSON value per file, nothing after it, and no key twice in one object. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Set<String> STATION_KINDS = Set.of("home", "station", "point");

    private KnowledgeLoader() {
    }

    /** Loads and validates the knowledge directory. */
    public static KnowledgeBase load(Path dir) {
        return parse(read(dir));
    }

    /**
     * Reads the four files of a directory, each once, in {@link #FILES} order.
     *
     * @throws KnowledgeException naming the file that is missing, cannot be read or is over {@link #MAX_FILE_BYTES}
     */
    static Map<String, byte[]> read(Path dir) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String file : FILES) {
            Path path = dir.resolve(file);
            try {
                long size = Files.size(path);
                if (size > MAX_FILE_BYTES) {
                    throw tooLarge(file, String.format(Locale.ROOT, "%.1f MiB (%d bytes)", size / (double) MIB, size));
                }
                byte[] bytes;
                try (InputStream in = Files.newInputStream(path)) {
                    bytes = in.readNBytes(MAX_FILE_BYTES + 1);
                }
                if (bytes.length > MAX_FILE_BYTES) {
                    throw tooLarge(file, "grew while read and");
                }
                files.put(file, bytes);
            } catch (NoSuchFileException e) {
                throw new KnowledgeException(file + ": missing in " + dir.toAbsolutePath());
            } catch (IOException e) {
                throw new KnowledgeException(file + ": cannot read: " + e.getMessage(), e);
            }
        }
        return files;
    }

    private static KnowledgeException tooLarge(String file, String size) {
        return new KnowledgeException(file + ": " + size + " is over the " + MAX_FILE_BYTES / MIB + " MiB a knowledge "
                + "file may hold (the sample city's are under 40 KB): this is not the file you meant; put the right "
                + "one back");
    }

    /** Parses and validates the files {@link #read} returned. */
    static KnowledgeBase parse(Map<String, byte[]> files) {
        return build(files::get);
    }

    /** Loads the sample city bundled in this jar (the product's default knowledge). */
    public static KnowledgeBase loadBundled() {
        return build(file -> {
            try (InputStream in = KnowledgeLoader.class.getResourceAsStream(BUNDLED + file)) {
                if (in == null) {
                    throw new KnowledgeException(file + ": missing from the bundled sample");
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new KnowledgeException(file + ": cannot read bundled copy: " + e.getMessage(), e);
            }
        });
    }

    private interface Source {
        byte[] read(String file);
    }

    private static KnowledgeBase build(Source source) {
        List<Group> groups = new ArrayList<>();
        for (Item item : items(GROUPS, source.read(GROUPS))) {
            String kind = item.text("kind", true);
            GroupKind groupKind;
            try {
                groupKind = GroupKind.parse(kind);
            } catch (IllegalArgumentException e) {
                throw item.error("kind", "must be \"professional\" or \"area\", was \"" + kind + "\"");
            }
            groups.add(new Group(item.id, item.text("name", true), groupKind, item.texts("keywords", true),
                    item.text("description", false)));
        }
        if (groups.stream().noneMatch(Group::professional)) {
            throw new KnowledgeException(GROUPS + ": no group of kind \"professional\": questions could not be routed to "
                    + "anyone; add the professional groups (监察司法, 财政经济 …)");
        }
        List<Station> stations = new ArrayList<>();
        for (Item item : items(STATIONS, source.read(STATIONS))) {
            String kind = item.text("kind", true);
            if (!STATION_KINDS.contains(kind)) {
                throw item.error("kind", "must be \"home\", \"station\" or \"point\", was \"" + kind + "\"");
            }
            stations.add(new Station(item.id, item.text("name", true), kind, item.text("address", false),
                    item.number("lat", -90, 90), item.number("lon", -180, 180), item.text("groupId", true),
                    item.text("hours", false)));
        }
        List<Deputy> deputies = new ArrayList<>();
        for (Item item : items(DEPUTIES, source.read(DEPUTIES))) {
            deputies.add(new Deputy(item.id, item.text("name", true), item.text("level", false),
                    item.texts("groupIds", true), item.text("stationId", false), item.text("openId", false),
                    item.text("bindCode", true)));
        }
        if (deputies.isEmpty()) {
            throw new KnowledgeException(DEPUTIES + ": no deputies: no question could reach anyone; add the deputies");
        }
        List<Faq> faqs = new ArrayList<>();
        for (Item item : items(FAQ, source.read(FAQ))) {
            List<String> questions = item.texts("questions", true);
            if (questions.isEmpty()) {
                throw item.error("questions", "needs at least one question");
            }
            faqs.add(new Faq(item.id, questions, item.text("answer", true), item.texts("tags", false)));
        }
        return KnowledgeBase.of(groups, stations, deputies, faqs);
    }

    /**
     * What the knowledge lacks without being unusable, one sentence each naming the file (and the id): a professional
     * group no deputy belongs to, and an empty FAQ list (a city may have no FAQ yet).
     */
    static List<String> gaps(KnowledgeBase kb) {
        List<String> gaps = new ArrayList<>();
        for (Group g : kb.professionalGroups()) {
            if (kb.deputiesOf(g.id()).isEmpty()) {
                gaps.add(DEPUTIES + ": no deputy belongs to professional group " + g.id() + " (" + g.name() + "): "
                        + "questions routed to it reach only a station's own deputies, if any, and are escalated at "
                        + "their deadline; add \"" + g.id() + "\" to the groupIds of its deputies");
            }
        }
        if (kb.faqs().isEmpty()) {
            gaps.add(FAQ + ": no FAQ: every question becomes a ticket for the deputies; add the questions people "
                    + "often ask when there are some");
        }
        return gaps;
    }

    /** Checks ids and every cross-reference; throws {@link KnowledgeException} naming file, id and field. */
    static void validate(List<Group> groups, List<Station> stations, List<Deputy> deputies, List<Faq> faqs) {
        Map<String, Group> groupById = new HashMap<>();
        for (Group g : groups) {
            if (groupById.putIfAbsent(g.id(), g) != null) {
                throw KnowledgeException.at(GROUPS, g.id(), "id", "duplicate id");
            }
        }
        Set<String> stationIds = new HashSet<>();
        for (Station s : stations) {
            if (!stationIds.add(s.id())) {
                throw KnowledgeException.at(STATIONS, s.id(), "id", "duplicate id");
            }
            Group g = groupById.get(s.groupId());
            if (g == null) {
                throw KnowledgeException.at(STATIONS, s.id(), "groupId", "no group \"" + s.groupId() + "\" in " + GROUPS);
            }
            if (g.kind() != GroupKind.AREA) {
                throw KnowledgeException.at(STATIONS, s.id(), "groupId", "\"" + s.groupId() + "\" is not an area group");
            }
        }
        Set<String> deputyIds = new HashSet<>();
        Map<String, String> bindCodes = new HashMap<>();
        Map<String, String> openIds = new HashMap<>();
        for (Deputy d : deputies) {
            if (!deputyIds.add(d.id())) {
                throw KnowledgeException.at(DEPUTIES, d.id(), "id", "duplicate id");
            }
            for (String gid : d.groupIds()) {
                if (!groupById.containsKey(gid)) {
                    throw KnowledgeException.at(DEPUTIES, d.id(), "groupIds", "no group \"" + gid + "\" in " + GROUPS);
                }
            }
            if (d.stationId() != null && !stationIds.contains(d.stationId())) {
                throw KnowledgeException.at(DEPUTIES, d.id(), "stationId",
                        "no station \"" + d.stationId() + "\" in " + STATIONS);
            }
            if (d.bindCode() != null) {
                String other = bindCodes.putIfAbsent(d.bindCode(), d.id());
                if (other != null) {
                    throw KnowledgeException.at(DEPUTIES, d.id(), "bindCode", "same bindCode as " + other);
                }
            }
            if (d.openId() != null) {
                String other = openIds.putIfAbsent(d.openId(), d.id());
                if (other != null) {
                    throw KnowledgeException.at(DEPUTIES, d.id(), "openId", "same openId as " + other);
                }
            }
        }
        Set<String> faqIds = new HashSet<>();
        for (Faq f : faqs) {
            if (!faqIds.add(f.id())) {
                throw KnowledgeException.at(FAQ, f.id(), "id", "duplicate id");
            }
        }
    }

    private static List<Item> items(String file, byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            String problem = e instanceof MismatchedInputException && e.getOriginalMessage().startsWith("Trailing token")
                    ? "more content after the end of the array (a file holds exactly one JSON array)"
                    : e.getOriginalMessage();
            throw new KnowledgeException(file + ": not valid JSON: " + problem
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                    + " column " + e.getLocation().getColumnNr()), e);
        } catch (IOException e) {
            throw new KnowledgeException(file + ": cannot parse: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new KnowledgeException(file + ": must be a JSON array of objects");
        }
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode node = root.get(i);
            if (!node.isObject()) {
                throw new KnowledgeException(file + ": entry #" + (i + 1) + " is not an object");
            }
            JsonNode id = node.get("id");
            if (id == null || !id.isTextual() || id.asText().isBlank()) {
                throw new KnowledgeException(file + ": id=#" + (i + 1) + " field=id: missing or not a non-empty string");
            }
            items.add(new Item(file, id.asText().trim(), node));
        }
        return items;
    }

    /** One entry of a file, read field by field so that errors can name file, id and field. */
    private record Item(String file, String id, JsonNode node) {
        KnowledgeException error(String field, String problem) {
            return KnowledgeException.at(file, id, field, problem);
        }

        String text(String field, boolean required) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                if (required) {
                    throw error(field, "missing");
                }
                return null;
            }
            if (!v.isTextual()) {
                throw error(field, "must be a string (in double quotes), was " + describe(v));
            }
            String s = v.asText().trim();
            if (required && s.isEmpty()) {
                throw error(field, "must not be empty");
            }
            return s.isEmpty() ? null : s;
        }

        private static String describe(JsonNode v) {
            return switch (v.getNodeType()) {
                case ARRAY -> "an array";
                case OBJECT -> "an object";
                default -> v.getNodeType().name().toLowerCase(Locale.ROOT) + " " + v;
            };
        }

        double number(String field, double min, double max) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                throw error(field, "missing");
            }
            if (!v.isNumber()) {
                throw error(field, "must be a number");
            }
            double d = v.asDouble();
            if (d < min || d > max) {
                throw error(field, "out of range [" + min + ", " + max + "]: " + d);
            }
            return d;
        }

        List<String> texts(String field, boolean required) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                if (required) {
                    throw error(field, "missing");
                }
                return List.of();
            }
            if (!v.isArray()) {
                throw error(field, "must be an array of strings");
            }
            List<String> out = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isTextual() || e.asText().isBlank()) {
                    throw error(field, "must hold non-empty strings only");
                }
                out.add(e.asText().trim());
            }
            return out;
        }
    }
}
