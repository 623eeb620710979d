package cn.budayang.bot.proof;

import cn.budayang.bot.store.MapDbStore;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.MutableClock;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A generated corpus of hostile requests ({@link HostileCorpus}: XXE, entity expansion, forged, missing and stale
 * signatures, oversized, truncated and non-UTF-8 bodies, bad Base64, bad padding, wrong AppID, random bytes, not
 * HTTP at all), with legitimate questions interleaved and replayed, while slow-loris connections trickle bytes. Every
 * request gets its expected status, the server never reads the local secret file nor fetches the canary URL,
 * Netty reports no leaked buffer (paranoid detection), health stays 200 and every legitimate question is a ticket.
 */
class HostileInputTest {

    static final int SENDERS = 4;
    static final int LEGIT_EVERY = 40;

    @TempDir
    Path dir;

    @Test
    void tenThousandHostileRequestsAreRefusedPreciselyAndTheDeskStaysHealthy() throws Exception {
        attack(10_400, 24);
    }

    @Test
    @Tag("long")
    void hundredThousandHostileRequests() throws Exception {
        attack(100_000, 200);
    }

    private void attack(int corpusSize, int slowLorises) throws Exception {
        String marker = "SECRET-" + Long.toHexString(System.nanoTime()) + "-must-never-leak";
        Path secret = Files.writeString(dir.resolve("secret.txt"), marker);
        AtomicInteger canaryHits = new AtomicInteger();
        HttpServer canary = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        canary.createContext("/", ex -> {
            canaryHits.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        canary.start();
        String canaryUrl = "http://127.0.0.1:" + canary.getAddress().getPort() + "/evil.dtd";
        MutableClock clock = new MutableClock(ProofBot.START);
        Path data = dir.resolve("data");
        long seed = 61_803_398L;
        try (LeakWatch leaks = new LeakWatch(); FakeWeChatApi api = new FakeWeChatApi();
             ProofBot bot = new ProofBot(ProofBot.config(data, api, null)
                     .withKnowledgeDir(ProofBot.oneDeputyPerGroup(dir.resolve("knowledge"))), api, clock)) {
            assertEquals("PARANOID", leaks.level(), "run with -Dio.netty.leakDetection.level=paranoid (parent POM)");
            HostileCorpus corpus = new HostileCorpus(seed, clock, secret.toUri().toString(), canaryUrl);
            List<Function<HostileCorpus, HostileCorpus.Case>> kinds = new ArrayList<>(corpus.kinds().values());

            // slow-loris connections for the whole run
            ExecutorService lorisPool = Executors.newFixedThreadPool(slowLorises);
            List<Future<Long>> lorises = new ArrayList<>();
            for (int i = 0; i < slowLorises; i++) {
                boolean inHeaders = i % 2 == 0;
                lorises.add(lorisPool.submit(() -> slowLoris(bot.port(), inHeaders)));
            }

            // the corpus, with legitimate questions (and replays of them) interleaved
            Map<String, Map<Integer, Integer>> statusMix = new TreeMap<>();
            Map<String, String> legit = new ConcurrentHashMap<>();
            List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicInteger leakedSecret = new AtomicInteger();
            ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
            List<Future<?>> done = new ArrayList<>();
            int perSender = corpusSize / SENDERS;
            List<List<HostileCorpus.Case>> slices = new ArrayList<>();
            for (int s = 0; s < SENDERS; s++) {
                List<HostileCorpus.Case> slice = new ArrayList<>(perSender);
                for (int i = 0; i < perSender; i++) {
                    int n = s * perSender + i;
                    if (n % LEGIT_EVERY == 0) {
                        String openId = String.format("oLegit%05d", n / LEGIT_EVERY);
                        slice.add(new HostileCorpus.Case("legit:" + openId, bot.plaintext(corpus.legitXml(openId)),
                                java.util.Set.of(200)));
                    }
                    slice.add(kinds.get(n % kinds.size()).apply(corpus));
                }
                slices.add(slice);
            }
            long t0 = System.nanoTime();
            for (List<HostileCorpus.Case> slice : slices) {
                done.add(senders.submit(() -> {
                    RawHttp http = new RawHttp(bot.port(), 10_000);
                    Map<String, byte[]> replayable = new HashMap<>();
                    String last = null;
                    int legitSeen = 0;
                    for (HostileCorpus.Case c : slice) {
                        List<HostileCorpus.Case> batch = new ArrayList<>(List.of(c));
                        if (c.kind().startsWith("legit:") && last != null && ++legitSeen % 2 == 0) {
                            // a replay of the previous legitimate push, still fresh: same reply, no second ticket
                            batch.add(new HostileCorpus.Case("replay:" + last.substring(6), replayable.get(last),
                                    java.util.Set.of(200)));
                        }
                        for (HostileCorpus.Case x : batch) {
                            String kind = x.kind().contains(":") ? x.kind().substring(0, x.kind().indexOf(':'))
                                    : x.kind();
                            int status;
                            String body = "";
                            try {
                                RawHttp.Response r = http.exchange(x.request());
                                status = r.status();
                                body = r.text();
                            } catch (IOException e) {
                                status = -1; // closed without an answer
                                http.close();
                            }
                            synchronized (statusMix) {
                                statusMix.computeIfAbsent(kind, k -> new TreeMap<>()).merge(status, 1, Integer::sum);
                            }
                            if (body.contains(marker)) {
                                leakedSecret.incrementAndGet();
                            }
                            if (!x.expected().contains(status)) {
                                wrong.add(kind + " -> " + status + " " + body.substring(0, Math.min(120,
                                        body.length())));
                            } else if (x.kind().startsWith("legit:")) {
                                String openId = x.kind().substring(6);
                                legit.put(openId, body);
                                replayable.put(x.kind(), x.request());
                                last = x.kind();
                            } else if (x.kind().startsWith("replay:")) {
                                String first = legit.get(x.kind().substring(7));
                                if (!body.equals(first) && !sameContent(bot, body, first)) {
                                    wrong.add("replay got a different reply: " + body);
                                }
                            }
                        }
                    }
                    http.close();
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            senders.shutdown();

            // the same legitimate pushes replayed once their timestamp is stale: refused, nothing new stored
            clock.advance(Duration.ofSeconds(301));
            int staleReplays = 0;
            try (RawHttp http = new RawHttp(bot.port())) {
                for (List<HostileCorpus.Case> slice : slices) {
                    for (HostileCorpus.Case c : slice) {
                        if (c.kind().startsWith("legit:")) {
                            assertEquals(403, http.exchange(c.request()).status(), "stale replay of " + c.kind());
                            staleReplays++;
                        }
                    }
                }
            }
            statusMix.put("replay-stale", Map.of(403, staleReplays));

            // health during and after
            try (RawHttp http = new RawHttp(bot.port())) {
                assertEquals(200, http.exchange(RawHttp.get("/healthz", "")).status());
            }
            // every slow-loris connection was cut by the server (request deadline), none answered 2xx
            List<Long> cutAfter = new ArrayList<>();
            for (Future<Long> f : lorises) {
                cutAfter.add(f.get(2, TimeUnit.MINUTES));
            }
            lorisPool.shutdown();

            int total = statusMix.values().stream().flatMap(m -> m.values().stream()).mapToInt(i -> i).sum();
            System.out.printf("hostile corpus: %d requests (%d legitimate) in %d ms, seed %d%n", total,
                    legit.size(), millis, seed);
            statusMix.forEach((k, m) -> System.out.printf("  %-22s %s%n", k, m));
            System.out.printf("slow-loris: %d connections, cut by the server after %s ms%n", cutAfter.size(),
                    cutAfter.stream().mapToLong(x -> x).summaryStatistics());

            assertEquals(List.of(), wrong.subList(0, Math.min(20, wrong.size())), wrong.size() + " wrong answers");
            assertTrue(total >= 10_000 || corpusSize < 10_000, "corpus of " + total);
            assertEquals(0, leakedSecret.get(), "the local file's content came back in a response");
            assertEquals(0, canaryHits.get(), "the server fetched an external DTD");
            for (long ms : cutAfter) {
                assertTrue(ms > 0, "a slow-loris connection got an answer or was never cut");
            }

            // every legitimate question is exactly one ticket; nothing of the secret is stored
            Map<String, Integer> perOpenId = new HashMap<>();
            for (Ticket t : bot.tickets()) {
                perOpenId.merge(t.openId(), 1, Integer::sum);
                assertFalse(t.question().contains(marker));
            }
            for (String openId : legit.keySet()) {
                assertEquals(1, perOpenId.getOrDefault(openId, 0), "tickets of " + openId);
            }
            assertEquals(legit.size(), perOpenId.size(), "only legitimate questions became tickets");

            List<String> leaked = leaks.leaks(() -> {
                try (RawHttp http = new RawHttp(bot.port())) {
                    http.exchange(RawHttp.get("/healthz", ""));
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(List.of(), leaked, "Netty reported leaked buffers");
        } finally {
            canary.stop(0);
        }
        byte[] db = Files.readAllBytes(data.resolve(MapDbStore.FILE_NAME));
        assertFalse(new String(db, StandardCharsets.ISO_8859_1).contains(marker), "the secret reached the store");
    }

    private static boolean sameContent(ProofBot bot, String a, String b) {
        if (a == null || b == null) {
            return false;
        }
        return bot.contentOf(new RawHttp.Response(200, Map.of(), a.getBytes(StandardCharsets.UTF_8), false))
                .equals(bot.contentOf(new RawHttp.Response(200, Map.of(), b.getBytes(StandardCharsets.UTF_8), false)));
    }

    /**
     * Trickles a request one byte every 500 ms (in the headers, or in a body announced larger than sent) until the
     * server closes the connection; returns after how many ms it did, or -1 if it answered instead, or 0 if it was
     * still open after 90 s.
     */
    private static long slowLoris(int port, boolean inHeaders) throws IOException, InterruptedException {
        byte[] request = inHeaders
                ? ("POST /wechat?signature=1&timestamp=1&nonce=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                + "a".repeat(4000) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)
                : ("POST /wechat?signature=1&timestamp=1&nonce=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4000"
                + "\r\n\r\n" + "<".repeat(4000)).getBytes(StandardCharsets.ISO_8859_1);
        long start = System.nanoTime();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < request.length && System.nanoTime() - start < Duration.ofSeconds(90).toNanos(); i++) {
                try {
                    out.write(request[i]);
                    out.flush();
                } catch (IOException closed) {
                    return Math.max(1, (System.nanoTime() - start) / 1_000_000);
                }
                try {
                    int b = in.read();
                    if (b < 0) {
                        return Math.max(1, (System.nanoTime() - start) / 1_000_000);
                    }
                    return -1; // an answer before the request was complete
                } catch (SocketTimeoutException stillOpen) {
                    // keep trickling
                } catch (IOException reset) {
                    return Math.max(1, (System.nanoTime() - start) / 1_000_000);
                }
            }
            return 0;
        }
    }
}
