package cn.budayang.bot.http;

import cn.budayang.bot.reception.Reply;

import cn.budayang.bot.config.BotConfig;
import cn.budayang.bot.http.Fixtures.FakeAdminQueries;
import cn.budayang.bot.http.Fixtures.FakeReception;
import cn.budayang.wechat.WeChatXml;
import cn.budayang.wechat.testing.SignedRequests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real server on an ephemeral loopback port. */
class BotServerTest {

    private final ExecutorService app = Executors.newFixedThreadPool(2);
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private BotServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        app.shutdownNow();
    }

    private int start(BotConfig config, FakeReception reception) {
        server = new BotServer(config.withHost("127.0.0.1").withPort(0), Fixtures.protocol(false), reception,
                new FakeAdminQueries(List.of(Fixtures.ticket("7"))), Fixtures::health, app, Fixtures.CLOCK);
        return server.start();
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return client.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthSignedPushAndAdminOverHttp() throws Exception {
        FakeReception reception = FakeReception.replying("已收到，工单号 7");
        int port = start(Fixtures.config(false, Fixtures.ADMIN_TOKEN), reception);
        assertTrue(port > 0);
        URI base = URI.create("http://127.0.0.1:" + port);

        HttpResponse<String> health = send(HttpRequest.newBuilder(base.resolve("/healthz")));
        assertEquals(200, health.statusCode());
        assertEquals("application/json; charset=utf-8", health.headers().firstValue("content-type").orElseThrow());
        assertTrue(health.body().contains("\"status\":\"ok\""));

        SignedRequests.Request push = Fixtures.signed().plaintext(Fixtures.textXml("社区服务站几点开门？"));
        HttpResponse<String> reply = send(HttpRequest.newBuilder(URI.create(base + "/wechat?" + push.query()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(push.body())));
        assertEquals(200, reply.statusCode());
        assertEquals("已收到，工单号 7",
                WeChatXml.readFlat(reply.body().getBytes(StandardCharsets.UTF_8)).get("Content"));

        HttpResponse<String> tickets = send(HttpRequest.newBuilder(base.resolve("/api/tickets"))
                .header("Authorization", "Bearer " + Fixtures.ADMIN_TOKEN));
        assertEquals(200, tickets.statusCode());
        assertTrue(tickets.body().startsWith("[{\"id\":\"7\""), tickets.body());
        assertEquals(401, send(HttpRequest.newBuilder(base.resolve("/api/stats"))).statusCode());
    }

    @Test
    void slowAdminQueriesDoNotHoldUpTheWebhook() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        cn.budayang.bot.ticket.AdminQueries slow = new FakeAdminQueries(List.of(Fixtures.ticket("7"))) {
            @Override
            public java.util.Map<String, Object> stats() {
                running.incrementAndGet();
                try {
                    release.await(); // a full scan of a large store
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.stats();
            }
        };
        ExecutorService admin = Executors.newSingleThreadExecutor();
        try {
            BotConfig config = Fixtures.config(false, Fixtures.ADMIN_TOKEN).withHost("127.0.0.1").withPort(0);
            server = new BotServer(config, Fixtures.protocol(false), FakeReception.replying("已收到，工单号 7"), slow,
                    Fixtures::health, app, admin, Fixtures.CLOCK);
            URI base = URI.create("http://127.0.0.1:" + server.start());
            List<CompletableFuture<HttpResponse<String>>> stats = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                stats.add(client.sendAsync(HttpRequest.newBuilder(base.resolve("/api/stats"))
                        .header("Authorization", "Bearer " + Fixtures.ADMIN_TOKEN).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (running.get() == 0 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertEquals(1, running.get(), "admin queries run one at a time");

            SignedRequests.Request push = Fixtures.signed().plaintext(Fixtures.textXml("社区服务站几点开门？"));
            HttpResponse<String> reply = send(HttpRequest.newBuilder(URI.create(base + "/wechat?" + push.query()))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(push.body())));
            assertEquals("已收到，工单号 7",
                    WeChatXml.readFlat(reply.body().getBytes(StandardCharsets.UTF_8)).get("Content"),
                    "the passive reply, not success after the budget");
            release.countDown();
            for (CompletableFuture<HttpResponse<String>> f : stats) {
                assertEquals(200, f.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode());
            }
        } finally {
            release.countDown();
            admin.shutdownNow();
        }
    }

    @Test
    void keepAliveAnswersSeveralRequestsOnOneSocket() throws Exception {
        int port = start(Fixtures.config(false, null), new FakeReception());
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            List<String> statusLines = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                out.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                statusLines.add(in.readLine());
                int length = -1;
                for (String h; !(h = in.readLine()).isEmpty(); ) {
                    if (h.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(h.substring(15).trim());
                    }
                }
                char[] body = new char[length]; // ASCII JSON: chars == bytes
                int read = 0;
                while (read < length) {
                    read += in.read(body, read, length - read);
                }
                assertTrue(new String(body).contains("ok"));
            }
            assertEquals(List.of("HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK"), statusLines);
        }
    }

    @Test
    void slowReceptionIsAnsweredSuccessWithinTheBudget() throws Exception {
        FakeReception reception = new FakeReception();
        CompletableFuture<Optional<Reply>> never = new CompletableFuture<>();
        reception.answer = m -> never;
        int port = start(Fixtures.config(false, null).withReplyBudget(Duration.ofMillis(300)), reception);
        SignedRequests.Request push = Fixtures.signed().plaintext(Fixtures.textXml("在吗"));
        long t0 = System.nanoTime();
        HttpResponse<String> r = send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/wechat?" + push.query()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(push.body())));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, r.statusCode());
        assertEquals("success", r.body());
        assertTrue(millis >= 250 && millis < 3000, "answered after " + millis + " ms");
        for (int i = 0; i < 100 && reception.missed.isEmpty(); i++) {
            Thread.sleep(10); // replyMissed runs on the application executor
        }
        assertEquals(1, reception.missed.size());
    }

    @Test
    void startTwiceIsRefusedAndCloseIsIdempotent() {
        start(Fixtures.config(false, null), new FakeReception());
        assertThrows(IllegalStateException.class, server::start);
        server.close();
        server.close();
    }

    @Test
    void portInUseNamesTheAddress() {
        int port = start(Fixtures.config(false, null), new FakeReception());
        BotServer second = new BotServer(Fixtures.config(false, null).withHost("127.0.0.1").withPort(port),
                Fixtures.protocol(false), new FakeReception(), new FakeAdminQueries(List.of()), Fixtures::health,
                app, Fixtures.CLOCK);
        IllegalStateException e = assertThrows(IllegalStateException.class, second::start);
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        second.close();
        assertFalse(e.getMessage().isEmpty());
    }
}
