package cn.budayang.bot.proof;

import cn.budayang.bot.store.MapDbStore;
import cn.budayang.wechat.WeChatXml;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.SignedRequests;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Nothing acknowledged is lost, nothing is duplicated, across SIGKILL. The real server runs as a child JVM on one
 * data directory; several senders push signed questions at it (each from a new constituent, so each makes its own
 * ticket); at a random moment the child is killed with SIGKILL and started again on the same directory. Then every
 * question that got a 200 with a ticket number before the kill must be a ticket with that number, and sending every
 * question of the cycle again (as WeChat retries) must give the same replies and create no second ticket. Finally
 * every ticket's forward reaches the deputy (the outbox resumes after a crash: at least once).
 */
class CrashRecoveryTest {

    static final int SENDERS = 4;
    private static final Pattern TICKET_NO = Pattern.compile("#(\\d+)");
    private final ObjectMapper json = new ObjectMapper();
    /** Every child started, killed at the end whatever happens (killing a dead one is harmless). */
    private final List<ChildProcess> running = new ArrayList<>();

    @TempDir
    Path dir;

    @Test
    void threeKillsLoseNoAcknowledgedMessageAndDuplicateNone() throws Exception {
        withChildLog(3, 20261126L);
    }

    @Test
    @Tag("long")
    void twentyKillsLoseNoAcknowledgedMessageAndDuplicateNone() throws Exception {
        withChildLog(20, System.nanoTime());
    }

    /** Runs the cycles; a failure carries the tail of the child servers' output; no child outlives the test. */
    private void withChildLog(int cycles, long seed) throws Exception {
        try {
            crashCycles(cycles, seed);
        } catch (AssertionError | RuntimeException e) {
            String out = Files.exists(dir.resolve("child.log"))
                    ? Files.readString(dir.resolve("child.log"), StandardCharsets.UTF_8) : "";
            throw new AssertionError(e.getMessage() + "\n--- child servers' output (tail) ---\n"
                    + out.substring(Math.max(0, out.length() - 8000)), e);
        } finally {
            for (ChildProcess c : running) {
                c.kill();
            }
        }
    }

    /** One question sent before a kill; {@code reply} is the ticket ack it got, or null. */
    private record Sent(String openId, String question, byte[] request, String reply) {
    }

    private void crashCycles(int cycles, long seed) throws Exception {
        Random random = new Random(seed);
        Path data = dir.resolve("data");
        Path log = dir.resolve("child.log");
        Path knowledge = ProofBot.oneDeputyPerGroup(dir.resolve("knowledge"));
        SignedRequests signer = new SignedRequests(ProofBot.TOKEN, FakeWeChatApi.DEFAULT_APP_ID, ProofBot.AES_KEY,
                Clock.systemUTC(), "1618033988");
        AtomicLong msgIds = new AtomicLong(24_800_000_000_000_000L);
        Map<String, Sent> everything = new HashMap<>();
        int totalAcked = 0;
        try (FakeWeChatApi api = new FakeWeChatApi()) {
            ChildProcess.mark(log, "first");
            ChildProcess child = ChildProcess.start(data, api.baseUrl(), knowledge, log, Duration.ofSeconds(60));
            running.add(child);
            // the snapshot as the server started (each start writes one): a newer one means a checkpoint while running
            Path snapshot = data.resolve(MapDbStore.SNAPSHOT_NAME);
            FileTime snapshotAtStart = Files.getLastModifiedTime(snapshot);
            int cyclesWithACheckpoint = 0;
            for (int cycle = 1; cycle <= cycles; cycle++) {
                Map<String, Sent> cycleSent = new ConcurrentHashMap<>();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger acked = new AtomicInteger();
                List<Thread> senders = new ArrayList<>();
                int port = child.port;
                int c = cycle;
                for (int s = 0; s < SENDERS; s++) {
                    int sender = s;
                    Thread t = new Thread(() -> {
                        try (RawHttp http = new RawHttp(port, 10_000)) {
                            for (int n = 0; !stop.get(); n++) {
                                String openId = String.format("oCrash-c%02d-s%d-n%05d", c, sender, n);
                                String question = ProofBot.QUESTIONS.get((sender + n) % ProofBot.QUESTIONS.size())
                                        + "（" + openId.substring(7) + "）";
                                byte[] request = plaintext(signer, SignedRequests.textXml(ProofBot.ACCOUNT, openId,
                                        Clock.systemUTC().instant().getEpochSecond(), msgIds.incrementAndGet(),
                                        question));
                                cycleSent.put(openId, new Sent(openId, question, request, null));
                                RawHttp.Response r = http.exchange(request);
                                String content = r.status() == 200 ? content(r) : null;
                                if (content != null && TICKET_NO.matcher(content).find()) {
                                    cycleSent.put(openId, new Sent(openId, question, request, content));
                                    acked.incrementAndGet();
                                }
                            }
                        } catch (IOException e) {
                            // the server died under us: what was in flight is "attempted", not acknowledged
                        }
                    }, "crash-sender-" + s);
                    t.start();
                    senders.add(t);
                }
                long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (acked.get() < 20 && System.nanoTime() < until) {
                    Thread.sleep(10);
                }
                Thread.sleep(random.nextInt(1500));
                if (!Files.getLastModifiedTime(snapshot).equals(snapshotAtStart)) {
                    cyclesWithACheckpoint++;
                }
                child.kill();
                int ackedBeforeKill = acked.get();
                stop.set(true);
                for (Thread t : senders) {
                    t.join(15_000);
                }
                assertTrue(ackedBeforeKill > 0, "cycle " + cycle + ": nothing acknowledged before the kill");

                ChildProcess.mark(log, "after kill " + cycle);
                child = ChildProcess.start(data, api.baseUrl(), knowledge, log, Duration.ofSeconds(60));
                running.add(child);
                snapshotAtStart = Files.getLastModifiedTime(snapshot);

                // every acknowledged question is a ticket with the number it was given
                Map<String, List<JsonNode>> tickets = ticketsByOpenId(child.port);
                int ackedThisCycle = 0;
                for (Sent s : cycleSent.values()) {
                    if (s.reply == null) {
                        continue;
                    }
                    ackedThisCycle++;
                    List<JsonNode> found = tickets.getOrDefault(s.openId, List.of());
                    assertEquals(1, found.size(), "cycle " + cycle + ": acknowledged " + s.openId + " -> " + found);
                    assertEquals(ticketNo(s.reply), "#" + found.get(0).get("id").asText(), s.openId);
                    assertEquals(s.question, found.get(0).get("question").asText(), s.openId);
                }
                // WeChat retries everything of the cycle: same replies, no second ticket
                try (RawHttp http = new RawHttp(child.port, 10_000)) {
                    for (Sent s : cycleSent.values()) {
                        String again = content(http.exchange(s.request));
                        if (s.reply != null) {
                            assertEquals(s.reply, again, "a retry after the restart gets the same reply: " + s.openId);
                        } else {
                            assertTrue(TICKET_NO.matcher(again).find() || again.equals("success"), again);
                        }
                    }
                }
                everything.putAll(cycleSent);
                totalAcked += ackedThisCycle;
                Map<String, List<JsonNode>> after = ticketsByOpenId(child.port);
                for (String openId : everything.keySet()) {
                    assertEquals(1, after.getOrDefault(openId, List.of()).size(), "one ticket for " + openId);
                }
                assertEquals(everything.size(), after.values().stream().mapToInt(List::size).sum(),
                        "no ticket beyond one per question");
                System.out.printf("crash cycle %d/%d (seed %d): %d questions attempted, %d acknowledged before "
                                + "SIGKILL, all %d found after restart, %d re-sent with the same replies%n",
                        cycle, cycles, seed, cycleSent.size(), ackedThisCycle, ackedThisCycle, cycleSent.size());
            }

            // the outbox resumed after every crash: each ticket's forward reached its deputy (at least once)
            Map<String, List<JsonNode>> all = ticketsByOpenId(child.port);
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            List<String> missing;
            do {
                List<String> forwarded = api.sentTexts().stream().map(m -> ticketNo(m.content())).toList();
                java.util.Set<String> seen = new java.util.HashSet<>(forwarded);
                missing = all.values().stream().flatMap(List::stream).map(t -> "#" + t.get("id").asText())
                        .filter(id -> !seen.contains(id)).toList();
                if (!missing.isEmpty()) {
                    Thread.sleep(200);
                }
            } while (!missing.isEmpty() && System.nanoTime() < end);
            assertEquals(List.of(), missing, "tickets whose forward never reached a deputy");
            long forwards = api.sentTexts().stream().filter(m -> m.content().startsWith("【群众留言")).count();
            System.out.printf("crash total: %d cycles, %d questions, %d acknowledged before a kill, all found; "
                            + "%d tickets; %d forwards sent (%d re-sent after a crash, at-least-once)%n", cycles,
                    everything.size(), totalAcked, all.size(), forwards, forwards - all.size());
            System.out.printf("store checkpoints completed while running in %d of %d cycles (one every %d KiB of "
                    + "journal)%n", cyclesWithACheckpoint, cycles, ChildProcess.CHECKPOINT_BYTES >> 10);
            assertTrue(cyclesWithACheckpoint > 0, "no cycle ran a store checkpoint: the kills never met one");
            child.kill();
        }
    }

    private static byte[] plaintext(SignedRequests signer, String xml) {
        SignedRequests.Request r = signer.plaintext(xml);
        return RawHttp.post("/wechat?" + r.query(), r.body());
    }

    private static String content(RawHttp.Response r) {
        if (r.status() != 200) {
            throw new AssertionError("status " + r.status() + ": " + r.text());
        }
        String body = r.text();
        return body.equals("success") ? body
                : WeChatXml.readFlat(body.getBytes(StandardCharsets.UTF_8)).get("Content");
    }

    private static String ticketNo(String reply) {
        Matcher m = TICKET_NO.matcher(reply);
        return m.find() ? m.group() : "(none)";
    }

    /** Every ticket through the admin API, grouped by constituent. */
    private Map<String, List<JsonNode>> ticketsByOpenId(int port) throws IOException {
        Map<String, List<JsonNode>> out = new HashMap<>();
        try (RawHttp http = new RawHttp(port, 30_000)) {
            for (int offset = 0; ; offset += 5000) {
                RawHttp.Response r = http.exchange(RawHttp.get("/api/tickets?limit=5000&offset=" + offset,
                        "Authorization: Bearer " + ProofBot.ADMIN_TOKEN + "\r\n"));
                assertEquals(200, r.status(), r.text());
                JsonNode page = json.readTree(r.body());
                for (JsonNode t : page) {
                    out.computeIfAbsent(t.get("openId").asText(), k -> new ArrayList<>()).add(t);
                }
                if (page.size() < 5000) {
                    return out;
                }
            }
        }
    }

}
