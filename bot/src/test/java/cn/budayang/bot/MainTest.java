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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

    /** A copy of the shared knowledge in {@code name}, its stations.json broken when asked: route names that file. */
    private Path knowledge(String name, boolean broken) throws IOException {
        Path shared = Path.of(System.getProperty("budayang.shared.dir", "../../shared"), "data");
        Path k = Files.createDirectories(dir.resolve(name));
        for (String f : List.of("groups.json", "stations.json", "deputies.json", "faq.json")) {
            Files.copy(shared.resolve(f), k.resolve(f));
        }
        if (broken) {
            Files.writeString(k.resolve("stations.json"), "[{\"id\":\"st-x\"");
        }
        return k;
    }

    private static void assertRoutedWith(String knowledge, Run r) {
        assertEquals(2, r.code(), "the broken " + knowledge + " was not read: " + r.out());
        assertTrue(r.out().isEmpty(), r.out());
        assertTrue(r.err().contains("stations.json"), r.err());
    }

    @Test
    void routeFindsItsKnowledgeByTheRulesOfEverySetting() throws IOException {
        Path good = knowledge("good", false);
        Path broken = knowledge("broken", true);
        Path config = dir.resolve("pk.properties");
        Files.writeString(config, "BOT_KNOWLEDGE_DIR=" + broken.toString().replace("\\", "/") + "\n");

        // the config file's BOT_KNOWLEDGE_DIR, named by BOT_CONFIG, --config FILE or --config=FILE
        assertRoutedWith("BOT_CONFIG", run(Map.of("BOT_CONFIG", config.toString()), "route", "路灯坏了"));
        assertRoutedWith("--config", run(Map.of(), "route", "--config", config.toString(), "路灯坏了"));
        assertRoutedWith("--config=", run(Map.of(), "route", "--config=" + config, "路灯坏了"));
        assertRoutedWith("--knowledge-dir=", run(Map.of(), "route", "--knowledge-dir=" + broken, "路灯坏了"));
        assertRoutedWith("--knowledge-dir", run(Map.of(), "route", "路灯坏了", "--knowledge-dir", broken.toString()));

        // flags over the environment over the file
        Run flag = run(Map.of("BOT_KNOWLEDGE_DIR", broken.toString()), "route", "--knowledge-dir=" + good, "路灯坏了");
        assertEquals(0, flag.code(), flag.err());
        assertEquals("路灯坏了", new ObjectMapper().readTree(flag.out().strip()).get("text").asText());
        Run variable = run(Map.of("BOT_KNOWLEDGE_DIR", good.toString()), "route", "--config", config.toString(),
                "路灯坏了");
        assertEquals(0, variable.code(), variable.err());
        assertEquals("路灯坏了", new ObjectMapper().readTree(variable.out().strip()).get("text").asText());

        // an empty value is unset: the bundled city, not the current directory
        Run empty = run(Map.of("BOT_KNOWLEDGE_DIR", ""), "route", "路灯坏了");
        assertEquals(0, empty.code(), empty.err());
        assertEquals("pro-urban", new ObjectMapper().readTree(empty.out().strip()).get("group").asText());

        Run missing = run(Map.of(), "route", "--knowledge-dir", dir.resolve("nowhere").toString(), "路灯坏了");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("BOT_KNOWLEDGE_DIR"), missing.err());
    }

    @Test
    void routeTakesFileEqualsPathAndRefusesUnknownOptions() throws IOException {
        Path in = dir.resolve("in2.txt");
        Files.writeString(in, "路灯坏了\n谢谢\n");
        Run file = run(Map.of(), "route", "--file=" + in);
        assertEquals(0, file.code(), file.err());
        assertEquals(2, file.out().strip().split("\n").length, file.out());
        assertEquals("路灯坏了", new ObjectMapper().readTree(file.out().split("\n")[0]).get("text").asText());

        for (String option : List.of("--knowlege-dir=/x", "--port", "--verbose")) {
            Run r = run(Map.of(), "route", option, "路灯坏了");
            assertEquals(2, r.code(), option);
            assertTrue(r.out().isEmpty(), "nothing routed: " + r.out());
            String name = option.split("=")[0];
            assertTrue(r.err().contains("unknown option '" + name + "'"), r.err());
            assertTrue(r.err().contains("usage:"), r.err());
        }
        assertFalse(run(Map.of(), "route", "--app-secret=TOPSECRET123", "x").err().contains("TOPSECRET123"));

        // a question that starts with dashes follows --
        Run dashes = run(Map.of(), "route", "--", "--路灯坏了", "--");
        assertEquals(0, dashes.code(), dashes.err());
        assertEquals("--路灯坏了 --", new ObjectMapper().readTree(dashes.out().strip()).get("text").asText());

        Run both = run(Map.of(), "route", "--file", in.toString(), "路灯坏了");
        assertEquals(2, both.code());
        assertTrue(both.out().isEmpty(), both.out());
    }

    @Test
    void anEmptyQuestionGetsItsLineLikeAnEmptyLineOfAFile() throws IOException {
        Path in = dir.resolve("blank.txt");
        Files.writeString(in, "\n");
        Run fromFile = run(Map.of(), "route", "--file", in.toString());
        Run empty = run(Map.of(), "route", "");
        assertEquals(0, empty.code(), empty.err());
        JsonNode line = new ObjectMapper().readTree(empty.out().strip());
        assertEquals("", line.get("text").asText());
        assertTrue(line.get("group").isNull() && line.get("faq").isNull(), empty.out());
        assertEquals(fromFile.out(), empty.out());
        // no question at all is still a usage error
        Run none = run(Map.of(), "route");
        assertEquals(2, none.code());
        assertTrue(none.out().isEmpty() && none.err().contains("usage:"), none.err());
    }

    private static List<JsonNode> jsonLines(Run r) throws IOException {
        ObjectMapper m = new ObjectMapper();
        List<JsonNode> lines = new java.util.ArrayList<>();
        for (String l : r.out().split("\n")) {
            if (!l.isEmpty()) {
                lines.add(m.readTree(l));
            }
        }
        return lines;
    }

    private static List<String> texts(Run r) throws IOException {
        return jsonLines(r).stream().map(n -> n.get("text").asText()).toList();
    }

    @Test
    void routeFileRoutesEveryLineThoughSomeBytesAreNotUtf8() throws IOException {
        Path in = dir.resolve("in1.txt");
        Files.write(in, concat("a".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff},
                "b\n路灯坏了\n谢谢\n".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xe8, (byte) 0xb7}));
        Run r = run(Map.of(), "route", "--file", in.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("a\uFFFDb", "路灯坏了", "谢谢", "\uFFFD"), texts(r));
        assertEquals("pro-urban", jsonLines(r).get(1).get("group").asText());
        assertTrue(r.err().contains("lines 1, 4 had bytes that are not UTF-8"), r.err());
        assertTrue(r.err().contains(in.toString()), r.err());
    }

    @Test
    void routeFileSkipsAByteOrderMarkAndReadsUtf16ByItsMark() throws IOException {
        Path bom = dir.resolve("bom.txt");
        Files.writeString(bom, "\uFEFF谢谢\n路灯坏了");
        Run utf8 = run(Map.of(), "route", "--file", bom.toString());
        assertEquals(0, utf8.code(), utf8.err());
        assertEquals(List.of("谢谢", "路灯坏了"), texts(utf8));
        assertTrue(utf8.err().isEmpty(), utf8.err());

        for (java.nio.charset.Charset utf16 : List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE)) {
            Path in = dir.resolve("utf16-" + utf16.name() + ".txt");
            Files.write(in, "\uFEFF路灯坏了\r\n谢谢\r\n".getBytes(utf16));
            Run r = run(Map.of(), "route", "--file", in.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(List.of("路灯坏了", "谢谢"), texts(r), utf16.name());
            assertEquals("pro-urban", jsonLines(r).get(0).get("group").asText());
        }
    }

    @Test
    void routeFileBreaksLinesAtLineFeedsOnly() throws IOException {
        Path in = dir.resolve("cr.txt");
        Files.writeString(in, "a\rb\rc\n路灯坏了\r\n\r\n谢谢\r");
        Run r = run(Map.of(), "route", "--file", in.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("a\rb\rc", "路灯坏了", "", "谢谢"), texts(r));
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    @Test
    void anUnreadableFileIsExplained() {
        Run r = run(Map.of(), "route", "--file", dir.resolve("nowhere.txt").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nowhere.txt: no such file"), r.err());
    }

    @Test
    void anArgumentTheLocaleCouldNotDecodeIsRefused() {
        // what the JVM makes of 路灯坏了 under LC_ALL=C: one U+FFFD per byte
        Run r = run(Map.of(), "route", "\uFFFD".repeat(12));
        assertEquals(2, r.code());
        assertTrue(r.out().isEmpty(), "nothing routed: " + r.out());
        assertTrue(r.err().contains("argument 2 could not be decoded"), r.err());
        assertTrue(r.err().contains("LANG=C.UTF-8") && r.err().contains("--file"), r.err());
        // nor is a garbled path or value taken, by any command (the bad port keeps serve from starting, should
        // the check ever go)
        Run serve = run(Map.of(), "serve", "--data-dir", "/tmp/\uFFFD\uFFFD", "--port", "x");
        assertEquals(2, serve.code());
        assertTrue(serve.err().contains("argument 3 could not be decoded"), serve.err());
    }

    @Test
    void underACLocaleRouteRefusesTheGarbledQuestion() throws Exception {
        assumeTrue("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")),
                "this JVM cannot pass a Chinese argument to a child as UTF-8");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", classpath, Main.class.getName(), "route", "路灯坏了");
        pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG") || k.startsWith("BOT_"));
        pb.environment().put("LC_ALL", "C");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), output);
        assertTrue(output.contains("LANG=C.UTF-8"), output);
        assertFalse(output.contains("\"text\""), "a garbled question was routed: " + output);
    }

    /** A start-up failure is one line naming the setting and the cause: no stack trace, no "null". */
    private static void assertOneLineNaming(String setting, String cause, Run r) {
        assertEquals(2, r.code(), r.err());
        String message = r.err().strip();
        assertTrue(message.startsWith("budayang: ") && !message.contains("\n"), message);
        assertTrue(message.contains(setting), setting + " missing from: " + message);
        assertTrue(message.contains(cause), cause + " missing from: " + message);
        assertFalse(message.contains("null") || message.contains("Exception"), message);
        assertTrue(r.out().isEmpty(), "nothing served: " + r.out());
    }

    @Test
    void aHostThatDoesNotResolveIsOneLineNamingBotHost() {
        assertOneLineNaming("BOT_HOST", "does not resolve", run(Map.of("BOT_HOST", "no.such.host.invalid",
                "BOT_PORT", "0", "BOT_DATA_DIR", dir.resolve("d1").toString()), "serve"));
    }

    @Test
    void aDataDirectoryThatIsAFileIsOneLineNamingBotDataDir() throws IOException {
        Path inTheWay = Files.writeString(dir.resolve("afile"), "");
        assertOneLineNaming("BOT_DATA_DIR", "not a directory", run(Map.of("BOT_PORT", "0"), "serve", "--data-dir",
                inTheWay.toString()));
    }

    @Test
    void aDataDirectoryAnotherServerUsesIsOneLineNamingBotDataDir() {
        Path data = dir.resolve("d3");
        try (cn.budayang.bot.store.MapDbStore running = cn.budayang.bot.store.MapDbStore.open(data)) {
            // preemptively: should serve ever start on it, it would serve until stopped
            Run r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                    () -> run(Map.of("BOT_HOST", "127.0.0.1", "BOT_PORT", "0", "BOT_DATA_DIR", data.toString()),
                            "serve"));
            assertOneLineNaming("BOT_DATA_DIR", "in use by another Budayang server", r);
            assertTrue(r.err().contains(data.toAbsolutePath().toString()), r.err());
        }
    }

    @Test
    void aPortInUseIsOneLineNamingBotPortAndWhatStartedIsStopped() throws IOException {
        Path data = dir.resolve("d2");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            assertOneLineNaming("BOT_PORT", "in use", run(Map.of("BOT_HOST", "127.0.0.1", "BOT_PORT",
                    String.valueOf(taken.getLocalPort()), "BOT_DATA_DIR", data.toString()), "serve"));
        }
        // the store opened before the bind failed was closed: it opens again
        cn.budayang.bot.store.MapDbStore.open(data).close();
    }
}
