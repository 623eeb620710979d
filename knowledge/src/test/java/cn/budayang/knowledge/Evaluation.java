package cn.budayang.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Routes a labelled set ({@code {"text","group","faq"}} per line) and computes the metrics. */
final class Evaluation {
    record Example(String text, String group, String faq) {
        String label() {
            return group != null ? group : faq != null ? "faq" : "none";
        }
    }

    /**
     * @param faqOffered FAQ lines whose FAQ is the answer or one of the FAQs offered with the decision (您可能还想问,
     *                   您是不是想问): what a constituent reaches with one more message
     */
    record Result(int groupTotal, int groupCorrect, int faqTotal, int faqCorrect, int faqOffered, int noneTotal,
                  int falsePositives, Map<String, Map<String, Integer>> confusion, List<String> errors) {
        double groupAccuracy() {
            return groupTotal == 0 ? 1 : (double) groupCorrect / groupTotal;
        }

        double faqHitRate() {
            return faqTotal == 0 ? 1 : (double) faqCorrect / faqTotal;
        }

        double faqReach() {
            return faqTotal == 0 ? 1 : (double) faqOffered / faqTotal;
        }

        double falsePositiveRate() {
            return noneTotal == 0 ? 0 : (double) falsePositives / noneTotal;
        }

        String summary() {
            return String.format(Locale.ROOT, "group accuracy %d/%d = %.1f%%, FAQ hit %d/%d = %.1f%% (answered or"
                    + " offered %.1f%%), false positives %d/%d = %.1f%%", groupCorrect, groupTotal,
                    100 * groupAccuracy(), faqCorrect, faqTotal, 100 * faqHitRate(), 100 * faqReach(), falsePositives,
                    noneTotal, 100 * falsePositiveRate());
        }

        String confusionTable() {
            List<String> cols = new ArrayList<>();
            confusion.values().forEach(m -> m.keySet().forEach(k -> {
                if (!cols.contains(k)) {
                    cols.add(k);
                }
            }));
            cols.sort(null);
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-16s", "expected\\got"));
            cols.forEach(c -> sb.append(String.format(Locale.ROOT, "%14s", c)));
            sb.append('\n');
            confusion.forEach((row, m) -> {
                sb.append(String.format(Locale.ROOT, "%-16s", row));
                cols.forEach(c -> sb.append(String.format(Locale.ROOT, "%14d", m.getOrDefault(c, 0))));
                sb.append('\n');
            });
            return sb.toString();
        }
    }

    static Path sharedDir() {
        String prop = System.getProperty("budayang.shared.dir");
        Path p = prop != null ? Path.of(prop) : Path.of("../../shared");
        return p.toAbsolutePath().normalize();
    }

    static List<Example> read(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Example> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = json.readTree(line);
            out.add(new Example(n.get("text").asText(), text(n, "group"), text(n, "faq")));
        }
        return out;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    static Result evaluate(Router router, List<Example> examples) {
        int gt = 0;
        int gc = 0;
        int ft = 0;
        int fc = 0;
        int fo = 0;
        int nt = 0;
        int fp = 0;
        Map<String, Map<String, Integer>> confusion = new TreeMap<>();
        List<String> errors = new ArrayList<>();
        for (Example e : examples) {
            RouteDecision d = router.route(e.text());
            String got = d.groupId() != null ? d.groupId() : d.faqId() != null ? "faq" : "none";
            confusion.computeIfAbsent(e.label(), k -> new TreeMap<>()).merge(got, 1, Integer::sum);
            boolean ok;
            if (e.group() != null) {
                gt++;
                ok = e.group().equals(d.groupId());
                gc += ok ? 1 : 0;
            } else if (e.faq() != null) {
                ft++;
                ok = e.faq().equals(d.faqId());
                fc += ok ? 1 : 0;
                fo += ok || d.faqSuggestions().contains(e.faq()) ? 1 : 0;
            } else {
                nt++;
                ok = d.groupId() == null && d.faqId() == null;
                fp += ok ? 0 : 1;
            }
            if (!ok) {
                errors.add(String.format(Locale.ROOT, "expected %s got %s | %s | %s",
                        e.group() != null ? e.group() : e.faq() != null ? e.faq() : "none",
                        d.groupId() != null ? d.groupId() : d.faqId() != null ? d.faqId() : "none", e.text(), d.reason()));
            }
        }
        return new Result(gt, gc, ft, fc, fo, nt, fp, confusion, errors);
    }
}
