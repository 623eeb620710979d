package cn.budayang.bot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A golden test of the command line: {@code route} over a fixed set, {@code --help} on every command. */
class MainTest {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void routePrintsOneContractLine() throws IOException {
        Run r = run(Map.of(), "route", "晚上路灯不亮太危险");
        assertEquals(0, r.code(), r.err());
        JsonNode line = new ObjectMapper().readTree(r.out().strip());
        for (String field : List.of("text", "group", "faq", "score", "reason", "runnerUp")) {
            assertTrue(line.has(field), field);
        }
        assertEquals("晚上路灯不亮太危险", line.get("text").asText());
        assertEquals("pro-urban", line.get("group").asText());
        assertTrue(line.get("faq").isNull());
    }

    @Test
    void anOptionWithoutItsPathIsAUsageError() {
        for (String option : List.of("--file", "--knowledge-dir")) {
            Run r = run(Map.of(), "route", option);
            assertEquals(2, r.code(), option);
            assertTrue(r.out().isEmpty(), "nothing routed: " + r.out());
            assertTrue(r.err().contains(option + " needs a path"), r.err());
        }
    }

    @Test
    void routeFileKeepsOrderAndOneLinePerInput() throws IOException {
        Path in = dir.resolve("q.txt");
        Files.writeString(in, "谢谢\n联络站几点开门？\n拖欠农民工工资半年了\n");
        Run r = run(Map.of(), "route", "--file", in.toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length);
        ObjectMapper m = new ObjectMapper();
        JsonNode thanks = m.readTree(lines[0]);
        assertTrue(thanks.get("group").isNull() && thanks.get("faq").isNull(), lines[0]);
        JsonNode faq = m.readTree(lines[1]);
        assertTrue(faq.get("faq").isTextual() && faq.get("group").isNull(), lines[1]);
        assertEquals("pro-social", m.readTree(lines[2]).get("group").asText());
    }

    @Test
    void routeUsesTheKnowledgeDirectoryAndReportsBrokenFiles() throws IOException {
        Path shared = Path.of(System.getProperty("budayang.shared.dir", "../../shared"), "data");
        for (String f : List.of("groups.json", "stations.json", "deputies.json", "faq.json")) {
            Files.copy(shared.resolve(f), dir.resolve(f));
        }
        assertEquals(0, run(Map.of("BOT_KNOWLEDGE_DIR", dir.toString()), "route", "路灯坏了").code());
        Files.writeString(dir.resolve("stations.json"), "[{\"id\":\"st-x\"");
        Run broken = run(Map.of("BOT_KNOWLEDGE_DIR", dir.toString()), "route", "路灯坏了");
        assertEquals(2, broken.code());
        assertTrue(broken.err().contains("stations.json"), broken.err());
    }

    @Test
    void everyCommandHasHelpAndBadInputIsExplained() {
        assertTrue(run(Map.of(), "--help").out().contains("BOT_DATA_DIR"));
        assertTrue(run(Map.of(), "serve", "--help").out().contains("--admin-token"));
        assertTrue(run(Map.of(), "route", "--help").out().contains("--file"));
        assertEquals(2, run(Map.of(), "frobnicate").code());
        Run bad = run(Map.of("BOT_PORT", "x"), "serve");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("BOT_PORT"), bad.err());
    }

    @Test
    void aMistypedOptionIsNamedWithoutItsValue() {
        Run r = run(Map.of(), "--app-secret=TOPSECRET123");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown option '--app-secret'"), r.err());
        assertFalse(r.err().contains("TOPSECRET123"), "the value may be a secret: " + r.err());
        assertFalse(r.out().contains("TOPSECRET123"), r.out());
    }
}
