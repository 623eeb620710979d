package cn.budayang.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnowledgeLoaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Copies the bundled sample into {@code dir}. */
    static void copyBundled(Path dir) throws IOException {
        for (String f : KnowledgeLoader.FILES) {
            try (InputStream in = KnowledgeLoader.class.getResourceAsStream("/knowledge/" + f)) {
                Files.write(dir.resolve(f), in.readAllBytes());
            }
        }
    }

    /** Edits one file of {@code dir} as a JSON array. */
    static void edit(Path dir, String file, Consumer<ArrayNode> change) throws IOException {
        ArrayNode array = (ArrayNode) JSON.readTree(dir.resolve(file).toFile());
        change.accept(array);
        Files.writeString(dir.resolve(file), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(array));
    }

    private static ObjectNode byId(ArrayNode array, String id) {
        for (var n : array) {
            if (n.get("id").asText().equals(id)) {
                return (ObjectNode) n;
            }
        }
        throw new IllegalArgumentException(id);
    }

    private KnowledgeException broken(String file, Consumer<ArrayNode> change) throws IOException {
        copyBundled(dir);
        edit(dir, file, change);
        return assertThrows(KnowledgeException.class, () -> KnowledgeLoader.load(dir));
    }

    private static void assertNames(KnowledgeException e, String file, String id, String field) {
        String m = e.getMessage();
        assertTrue(m.startsWith(file + ":"), m);
        assertTrue(m.contains("id=" + id), m);
        assertTrue(m.contains("field=" + field), m);
    }

    @Test
    void bundledSampleLoadsWithLookups() {
        KnowledgeBase kb = KnowledgeLoader.loadBundled();
        assertEquals(30, kb.groups().size());
        assertEquals(6, kb.professionalGroups().size());
        assertEquals(24, kb.areaGroups().size());
        assertEquals(40, kb.stations().size());
        assertEquals(60, kb.faqs().size());
        assertEquals("监察司法代表小组", kb.group("pro-judicial").orElseThrow().name());
        assertEquals(GroupKind.AREA, kb.group("area-huangzhou-1").orElseThrow().kind());
        assertTrue(kb.deputiesOf("pro-urban").stream().allMatch(d -> d.groupIds().contains("pro-urban")));
        assertTrue(kb.deputiesAtStation("st-01").stream().allMatch(d -> d.stationId().equals("st-01")));
        Deputy first = kb.deputy("dep-001").orElseThrow();
        assertEquals(first, kb.deputyByOpenId(first.openId()).orElseThrow());
        assertEquals(first, kb.deputyByBindCode(first.bindCode()).orElseThrow());
        assertTrue(kb.deputyByBindCode("no-such-code").isEmpty());
        assertTrue(kb.deputyByOpenId(null).isEmpty());
        assertEquals("faq-01", kb.faq("faq-01").orElseThrow().id());
        assertTrue(kb.station("st-02").isPresent());
    }

    @Test
    void directoryCopyLoadsLikeTheBundle() throws IOException {
        copyBundled(dir);
        KnowledgeBase kb = KnowledgeLoader.load(dir);
        assertEquals(KnowledgeLoader.loadBundled().groups(), kb.groups());
    }

    @Test
    void nearestStationByHaversine() {
        KnowledgeBase kb = KnowledgeLoader.loadBundled();
        Station st02 = kb.station("st-02").orElseThrow();
        assertEquals("st-02", kb.nearestStation(st02.lat() + 0.001, st02.lon() - 0.001).orElseThrow().id());
        // 1 degree of latitude is about 111 km
        assertEquals(111.2, KnowledgeBase.distanceKm(30, 114, 31, 114), 0.2);
    }

    @Test
    void fileThatDoesNotParse() throws IOException {
        copyBundled(dir);
        Files.writeString(dir.resolve("faq.json"), "[{\"id\": \"faq-01\",", StandardCharsets.UTF_8);
        KnowledgeException e = assertThrows(KnowledgeException.class, () -> KnowledgeLoader.load(dir));
        assertTrue(e.getMessage().startsWith("faq.json: not valid JSON"), e.getMessage());
    }

    @Test
    void contentAfterTheArrayIsRefused() throws IOException {
        copyBundled(dir);
        Path groups = dir.resolve("groups.json");
        Files.writeString(groups, Files.readString(groups) + "]]] garbage\n");
        KnowledgeException e = assertThrows(KnowledgeException.class, () -> KnowledgeLoader.load(dir));
        assertTrue(e.getMessage().startsWith("groups.json: not valid JSON: "), e.getMessage());
        long lines = Files.readAllLines(groups).size();
        assertTrue(e.getMessage().endsWith(" at line " + lines + " column 1"), e.getMessage());

        copyBundled(dir);
        Path faq = dir.resolve("faq.json");
        Files.writeString(faq, Files.readString(faq) + "[{\"id\": \"faq-99\", \"questions\": [\"问\"], \"answer\": \"答\"}]\n");
        e = assertThrows(KnowledgeException.class, () -> KnowledgeLoader.load(dir));
        assertTrue(e.getMessage().startsWith(
                "faq.json: not valid JSON: more content after the end of the array (a file holds exactly one JSON array)"
                        + " at line "), e.getMessage());
    }

    @Test
    void keyTwiceInOneObjectIsRefused() throws IOException {
        copyBundled(dir);
        Path groups = dir.resolve("groups.json");
        Files.writeString(groups, Files.readString(groups)
                .replaceFirst("\"kind\": \"professional\"", "\"kind\": \"professional\", \"kind\": \"area\""));
        KnowledgeException e = assertThrows(KnowledgeException.class, () -> KnowledgeLoader.load(dir));
        assertTrue(e.getMessage().startsWith("groups.json: not valid JSON"), e.getMessage());
        assertTrue(e.getMessage().contains("'kind'"), e.getMessage());
        assertTrue(e.getMessage().contains(" at line 5 column "), e.getMessage());
    }

    @Test
    void numberWhereAStringBelongsIsRefused() throws IOException {
        KnowledgeException name = broken("deputies.json", a -> byId(a, "dep-004").put("name", 5));
        assertNames(name, "deputies.json", "dep-004", "name");
        assertTrue(name.getMessage().endsWith("must be a string (in double quotes), was number 5"), name.getMessage());
        // a bind code written as a number would lose its leading zeros
        assertNames(broken("deputies.json", a -> byId(a, "dep-002").put("bindCode", 12345)), "deputies.json",
                "dep-002", "bindCode");
        assertNames(broken("stations.json", a -> byId(a, "st-03").put("address", true)), "stations.json", "st-03",
                "address");
    }

    @Test
    void missingFile() throws IOException {
        copyBundled(dir);
        Files.delete(dir.resolve("stations.json"));
        KnowledgeException e = assertThrows(KnowledgeException.class, () -> KnowledgeLoader.load(dir));
        assertTrue(e.getMessage().startsWith("stations.json: missing"), e.getMessage());
    }

    @Test
    void missingRequiredField() throws IOException {
        assertNames(broken("faq.json", a -> byId(a, "faq-07").remove("answer")), "faq.json", "faq-07", "answer");
        assertNames(broken("groups.json", a -> byId(a, "pro-rural").remove("keywords")), "groups.json", "pro-rural",
                "keywords");
        assertNames(broken("stations.json", a -> byId(a, "st-03").remove("lat")), "stations.json", "st-03", "lat");
        assertNames(broken("deputies.json", a -> byId(a, "dep-004").remove("name")), "deputies.json", "dep-004",
                "name");
    }

    @Test
    void missingId() throws IOException {
        KnowledgeException e = broken("faq.json", a -> ((ObjectNode) a.get(2)).remove("id"));
        assertTrue(e.getMessage().contains("faq.json") && e.getMessage().contains("field=id"), e.getMessage());
    }

    @Test
    void wrongValues() throws IOException {
        assertNames(broken("groups.json", a -> byId(a, "pro-urban").put("kind", "city")), "groups.json", "pro-urban",
                "kind");
        assertNames(broken("stations.json", a -> byId(a, "st-05").put("kind", "office")), "stations.json", "st-05",
                "kind");
        assertNames(broken("stations.json", a -> byId(a, "st-05").put("lat", "north")), "stations.json", "st-05",
                "lat");
        assertNames(broken("faq.json", a -> byId(a, "faq-09").putArray("questions")), "faq.json", "faq-09",
                "questions");
    }

    @Test
    void duplicateIds() throws IOException {
        assertNames(broken("groups.json", a -> a.add(a.get(0).deepCopy())), "groups.json", "pro-judicial", "id");
        assertNames(broken("stations.json", a -> a.add(a.get(0).deepCopy())), "stations.json", "st-01", "id");
        assertNames(broken("faq.json", a -> a.add(a.get(0).deepCopy())), "faq.json", "faq-01", "id");
        assertNames(broken("deputies.json", a -> {
            ObjectNode copy = a.get(0).deepCopy();
            copy.put("bindCode", "000000");
            copy.put("openId", "o-unique");
            a.add(copy);
        }), "deputies.json", "dep-001", "id");
    }

    @Test
    void stationInUnknownOrProfessionalGroup() throws IOException {
        assertNames(broken("stations.json", a -> byId(a, "st-02").put("groupId", "area-nowhere")), "stations.json",
                "st-02", "groupId");
        KnowledgeException e = broken("stations.json", a -> byId(a, "st-02").put("groupId", "pro-urban"));
        assertNames(e, "stations.json", "st-02", "groupId");
        assertTrue(e.getMessage().contains("not an area group"), e.getMessage());
    }

    @Test
    void deputyReferencesThatPointNowhere() throws IOException {
        assertNames(broken("deputies.json", a -> byId(a, "dep-006").putArray("groupIds").add("pro-space")),
                "deputies.json", "dep-006", "groupIds");
        assertNames(broken("deputies.json", a -> byId(a, "dep-006").put("stationId", "st-99")), "deputies.json",
                "dep-006", "stationId");
    }

    @Test
    void duplicateBindCodesAndOpenIds() throws IOException {
        KnowledgeException code = broken("deputies.json",
                a -> byId(a, "dep-002").put("bindCode", byId(a, "dep-001").get("bindCode").asText()));
        assertNames(code, "deputies.json", "dep-002", "bindCode");
        assertTrue(code.getMessage().contains("dep-001"), code.getMessage());
        KnowledgeException open = broken("deputies.json",
                a -> byId(a, "dep-003").put("openId", byId(a, "dep-001").get("openId").asText()));
        assertNames(open, "deputies.json", "dep-003", "openId");
    }

    @Test
    void knowledgeWithoutProfessionalGroupIsRefused() throws IOException {
        KnowledgeException e = broken("groups.json", a -> a.forEach(g -> ((ObjectNode) g).put("kind", "area")));
        assertTrue(e.getMessage().startsWith("groups.json: no group of kind \"professional\""), e.getMessage());
    }

    @Test
    void knowledgeWithoutDeputiesIsRefused() throws IOException {
        KnowledgeException e = broken("deputies.json", ArrayNode::removeAll);
        assertTrue(e.getMessage().startsWith("deputies.json: no deputies"), e.getMessage());
    }

    @Test
    void openIdMayBeNull() throws IOException {
        copyBundled(dir);
        edit(dir, "deputies.json", a -> {
            byId(a, "dep-001").putNull("openId");
            byId(a, "dep-002").putNull("openId");
        });
        KnowledgeBase kb = KnowledgeLoader.load(dir);
        assertEquals(null, kb.deputy("dep-001").orElseThrow().openId());
    }
}
