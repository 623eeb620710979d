package cn.budayang.bot.proof;

import cn.budayang.bot.Main;
import cn.budayang.wechat.WeChatXml;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.SignedRequests;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two servers on one data directory: the real server runs as a child JVM, and a second one, the real command line
 * ({@code serve}) in a JVM of its own, is started on the same BOT_DATA_DIR. The second stops at once with exit code 2
 * and one line naming the directory; the first still answers, and every message it acknowledged, before and after,
 * is still a ticket, while it runs and after it is killed and started again.
 */
class SecondServerTest {

    private static final Pattern TICKET_NO = Pattern.compile("#(\\d+)");
    private final ObjectMapper json = new ObjectMapper();
    private final SignedRequests signer = new SignedRequests(ProofBot.TOKEN, FakeWeChatApi.DEFAULT_APP_ID,
            ProofBot.AES_KEY, Clock.systemUTC(), "5772156649");
    private final AtomicLong msgIds = new AtomicLong(24_900_000_000_000_000L);

    @TempDir
    Path dir;

    @Test
    void aSecondServerOnTheSameDataDirectoryStopsAtStartAndTheFirstLosesNothing() throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("child.log");
        List<ChildProcess> running = new ArrayList<>();
        try (FakeWeChatApi api = new FakeWeChatApi()) {
            ChildProcess.mark(log, "first");
            ChildProcess first = ChildProcess.start(data, api.baseUrl(), null, log, Duration.ofSeconds(60));
            running.add(first);
            Map<String, String> acked = new LinkedHashMap<>();
            ask(first.port, "before", acked);

            String second = serve(data, Duration.ofSeconds(30));
            String message = second.lines().filter(l -> l.startsWith("budayang: ")).findFirst().orElse(null);
            assertTrue(message != null, "no 'budayang: ' line:\n" + second);
            assertTrue(message.contains(data.toAbsolutePath().toString()), "names the directory: " + message);
            assertTrue(message.contains("in use by another Budayang server (pid " + first.pid() + ")"), message);
            assertTrue(message.contains("BOT_DATA_DIR"), message);
            assertEquals(1, second.lines().filter(l -> l.startsWith("budayang: ")).count(), second);
            assertFalse(second.contains("Exception") || second.contains("\tat "), "no stack trace:\n" + second);
            assertFalse(second.contains("is serving"), second);

            try (RawHttp http = new RawHttp(first.port, 10_000)) {
                RawHttp.Response health = http.exchange(RawHttp.get("/healthz", ""));
                assertEquals(200, health.status(), health.text());
                assertEquals("ok", json.readTree(health.body()).get("status").asText());
            }
            ask(first.port, "after", acked);
            assertAllTickets(first.port, acked, "while the first server runs");

            // what is on disk is whole too: the first server, killed and started again, finds every ticket
            first.kill();
            ChildProcess.mark(log, "after kill");
            ChildProcess restarted = ChildProcess.start(data, api.baseUrl(), null, log, Duration.ofSeconds(60));
            running.add(restarted);
            assertAllTickets(restarted.port, acked, "after a restart");
        } catch (AssertionError | RuntimeException e) {
            String out = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            throw new AssertionError(e.getMessage() + "\n--- child servers' output (tail) ---\n"
                    + out.substring(Math.max(0, out.length() - 6000)), e);
        } finally {
            for (ChildProcess c : running) {
                c.kill();
            }
        }
    }

    /** Sends a few questions, each from a new constituent, and records the ticket number of each acknowledgement. */
    private void ask(int port, String tag, Map<String, String> acked) throws IOException {
        try (RawHttp http = new RawHttp(port, 10_000)) {
            for (int n = 0; n < 5; n++) {
                String openId = "oSecond-" + tag + "-" + n;
                SignedRequests.Request r = signer.plaintext(SignedRequests.textXml(ProofBot.ACCOUNT, openId,
                        Clock.systemUTC().instant().getEpochSecond(), msgIds.incrementAndGet(),
                        ProofBot.QUESTIONS.get(n % ProofBot.QUESTIONS.size())));
                RawHttp.Response response = http.exchange(RawHttp.post("/wechat?" + r.query(), r.body()));
                assertEquals(200, response.status(), response.text());
                String content = WeChatXml.readFlat(response.body()).get("Content");
                Matcher m = TICKET_NO.matcher(content);
                assertTrue(m.find(), "a ticket acknowledgement: " + content);
                acked.put(openId, m.group(1));
            }
        }
    }

    private void assertAllTickets(int port, Map<String, String> acked, String when) throws IOException {
        Map<String, List<String>> byOpenId = new HashMap<>();
        try (RawHttp http = new RawHttp(port, 30_000)) {
            RawHttp.Response r = http.exchange(RawHttp.get("/api/tickets?limit=1000",
                    "Authorization: Bearer " + ProofBot.ADMIN_TOKEN + "\r\n"));
            assertEquals(200, r.status(), r.text());
            for (JsonNode t : json.readTree(r.body())) {
                byOpenId.computeIfAbsent(t.get("openId").asText(), k -> new ArrayList<>()).add(t.get("id").asText());
            }
        }
        for (Map.Entry<String, String> a : acked.entrySet()) {
            assertEquals(List.of(a.getValue()), byOpenId.get(a.getKey()), when + ": acknowledged " + a.getKey());
        }
        assertEquals(acked.size(), byOpenId.values().stream().mapToInt(List::size).sum(), when + ": " + byOpenId);
    }

    /**
     * Runs {@code serve} on {@code data} in a JVM of its own (loopback, any free port) and returns its output once it
     * has exited with code 2; a server that starts serving instead is stopped and fails the test.
     */
    private String serve(Path data, Duration timeout) throws IOException, InterruptedException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path out = dir.resolve("second.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Dfile.encoding=UTF-8", "-cp", classpath,
                Main.class.getName(), "serve");
        pb.environment().keySet().removeIf(k -> k.startsWith("BOT_") || k.startsWith("WECHAT_"));
        pb.environment().putAll(Map.of("BOT_DATA_DIR", data.toString(), "BOT_HOST", "127.0.0.1", "BOT_PORT", "0"));
        Process p = pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(exited, "the second server did not stop within " + timeout + ":\n" + output);
        assertEquals(2, p.exitValue(), output);
        return output;
    }
}
