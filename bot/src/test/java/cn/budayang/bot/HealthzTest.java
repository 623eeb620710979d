package cn.budayang.bot;

import cn.budayang.bot.config.BotConfig;
import cn.budayang.wechat.testing.MutableClock;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code GET /healthz} of the real server on port 0: what knowledge it serves, and whether its watcher polls. */
class HealthzTest {

    static final Instant START = Instant.parse("2026-11-26T02:00:00Z");

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(START);
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private BotConfig config(Path knowledgeDir) {
        return BotConfig.defaults().withHost("127.0.0.1").withPort(0).withDataDir(dir.resolve("data"))
                .withKnowledgeDir(knowledgeDir);
    }

    private record Health(int status, JsonNode body) {
    }

    private Health health(BotApp app) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port()
                + "/healthz")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        return new Health(r.statusCode(), Json.mapper().readTree(r.body()));
    }

    /** Asks /healthz until {@code until} holds (the watcher polls every 2 s), for at most 10 s. */
    private Health awaitHealth(BotApp app, Predicate<Health> until) throws Exception {
        Health h = health(app);
        for (int i = 0; i < 200 && !until.test(h); i++) {
            Thread.sleep(50);
            h = health(app);
        }
        return h;
    }

    private static Path copyOfSharedKnowledge(Path to) throws IOException {
        Path shared = Path.of(System.getProperty("budayang.shared.dir", "../../shared"), "data");
        Files.createDirectories(to);
        for (String f : List.of("groups.json", "stations.json", "deputies.json", "faq.json")) {
            Files.copy(shared.resolve(f), to.resolve(f));
        }
        return to;
    }

    /** Written whole at once, as an editor saving the file would (the watcher never reads half of it). */
    private static void replace(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void theBundledKnowledgeHasNothingToWatch() throws Exception {
        try (BotApp app = new BotApp(config(null), clock)) {
            app.start();
            Health h = health(app);
            assertEquals(200, h.status());
            assertEquals("ok", h.body().get("status").asText());
            for (String field : List.of("uptimeSeconds", "outboxBacklog", "watchedDeadlines")) {
                assertTrue(h.body().has(field), field + ": " + h.body());
            }
            JsonNode k = h.body().get("knowledge");
            assertEquals("bundled", k.get("source").asText());
            assertEquals(START.toString(), k.get("loadedAt").asText());
            assertEquals("off", k.get("watcher").asText());
            assertTrue(k.get("lastError").isNull(), k.toString());
            assertTrue(k.get("summary").asText().startsWith("KnowledgeBase["), k.toString());
        }
    }

    /**
     * The watched directory: served since its last load, a refused edit named, and 503 degraded once the watcher
     * stopped (here on an {@link InternalError} from a reload listener, the seam the knowledge offers).
     */
    @Test
    void aWatcherThatStoppedMakesTheServerDegraded() throws Exception {
        Path knowledge = copyOfSharedKnowledge(dir.resolve("knowledge"));
        try (BotApp app = new BotApp(config(knowledge), clock)) {
            app.start();
            Health h = health(app);
            assertEquals(200, h.status(), h.body().toString());
            JsonNode k = h.body().get("knowledge");
            assertEquals(knowledge.toString(), k.get("source").asText());
            assertEquals(START.toString(), k.get("loadedAt").asText());
            assertEquals("running", k.get("watcher").asText());
            assertTrue(k.get("lastError").isNull(), k.toString());

            Path faq = knowledge.resolve("faq.json");
            String good = Files.readString(faq, StandardCharsets.UTF_8);
            replace(faq, "[{\"id\":\"faq-x\"");
            h = awaitHealth(app, x -> !x.body().get("knowledge").get("lastError").isNull());
            assertEquals(200, h.status(), "a refused edit leaves the served knowledge as it was: " + h.body());
            assertTrue(h.body().get("knowledge").get("lastError").asText().contains("faq.json"), h.body().toString());
            assertEquals(START.toString(), h.body().get("knowledge").get("loadedAt").asText());

            clock.advance(Duration.ofMinutes(5));
            app.knowledge().onReload(snapshot -> {
                throw new InternalError("a broken virtual machine");
            });
            Thread watcher = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("knowledge-watcher")).findFirst().orElseThrow();
            watcher.setUncaughtExceptionHandler((t, e) -> { }); // expected: keep the test output quiet
            replace(faq, good.replaceFirst("\"answer\"\\s*:\\s*\"", "\"answer\": \"（已更新）"));
            h = awaitHealth(app, x -> x.status() != 200);
            assertEquals(503, h.status(), h.body().toString());
            assertEquals("degraded", h.body().get("status").asText());
            k = h.body().get("knowledge");
            assertEquals("stopped", k.get("watcher").asText());
            assertTrue(k.get("lastError").asText().contains("InternalError"), k.toString());
            assertEquals(START.plus(Duration.ofMinutes(5)).toString(), k.get("loadedAt").asText(),
                    "the edit was loaded (the listener failed after the swap): " + k);
            assertTrue(h.body().has("uptimeSeconds"), h.body().toString());
        }
    }
}
