package cn.budayang.bot.e2e;

import cn.budayang.bot.BotApp;
import cn.budayang.bot.config.BotConfig;
import cn.budayang.wechat.WeChatCredentials;
import cn.budayang.wechat.WeChatXml;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.MutableClock;
import cn.budayang.wechat.testing.SignedRequests;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The real server on a loopback port against a real local fake of the WeChat API, driven by validly signed (and,
 * in safe mode, encrypted) requests. Data lives in the given directory, so a test can restart on it.
 */
final class BotHarness implements AutoCloseable {

    static final String TOKEN = "DeputyBotToken2024";
    static final String AES_KEY = "WeChatDeputyBotTestKey0123456789abcdefghijk";
    static final String ACCOUNT = "gh_3f1e2d4c5b6a";
    static final String ADMIN_TOKEN = "admin-token-for-tests";
    static final Instant START = Instant.parse("2026-11-26T02:00:00Z");

    final FakeWeChatApi api;
    final MutableClock clock;
    final SignedRequests signer;
    private final BotConfig config;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong msgIds = new AtomicLong(24_612_345_678_900_000L);
    private BotApp app;

    BotHarness(Path dataDir) {
        this(dataDir, Duration.ofHours(24), null);
    }

    BotHarness(Path dataDir, Duration answerDeadline, String noticeTemplateId) {
        this.api = new FakeWeChatApi();
        this.clock = new MutableClock(START);
        this.signer = new SignedRequests(TOKEN, FakeWeChatApi.DEFAULT_APP_ID, AES_KEY, clock, "1320562132");
        this.config = BotConfig.defaults()
                .withHost("127.0.0.1")
                .withPort(0)
                .withDataDir(dataDir)
                .withWeChat(new WeChatCredentials(TOKEN, FakeWeChatApi.DEFAULT_APP_ID,
                        FakeWeChatApi.DEFAULT_APP_SECRET, AES_KEY), api.baseUrl())
                .withAdminToken(ADMIN_TOKEN)
                .withAnswerDeadline(answerDeadline)
                .withNoticeTemplateId(noticeTemplateId);
        start();
    }

    private void start() {
        app = new BotApp(config, clock);
        app.start();
    }

    /** Stops the server and starts a new one on the same data directory. */
    void restart() {
        app.close();
        start();
    }

    BotApp app() {
        return app;
    }

    long nextMsgId() {
        return msgIds.incrementAndGet();
    }

    long now() {
        return clock.instant().getEpochSecond();
    }

    String textXml(String from, String content) {
        return SignedRequests.textXml(ACCOUNT, from, now(), nextMsgId(), content);
    }

    /** Sends a text in plaintext mode; returns the passive reply's Content, or "success". */
    String say(String from, String content) {
        return contentOf(post(signer.plaintext(textXml(from, content))));
    }

    /** Sends a text in safe mode; decrypts the reply envelope and returns its Content, or "success". */
    String saySafe(String from, String content) {
        HttpResponse<String> r = post(signer.safe(textXml(from, content)));
        if (r.statusCode() != 200) {
            throw new AssertionError("status " + r.statusCode() + ": " + r.body());
        }
        if (r.body().equals("success")) {
            return "success";
        }
        String inner = signer.openReply(r.body());
        return WeChatXml.readFlat(inner.getBytes(StandardCharsets.UTF_8)).get("Content");
    }

    String contentOf(HttpResponse<String> r) {
        if (r.statusCode() != 200) {
            throw new AssertionError("status " + r.statusCode() + ": " + r.body());
        }
        if (r.body().equals("success") || r.body().isEmpty()) {
            return "success";
        }
        return WeChatXml.readFlat(r.body().getBytes(StandardCharsets.UTF_8)).get("Content");
    }

    HttpResponse<String> post(SignedRequests.Request r) {
        return post(r.query(), r.body());
    }

    HttpResponse<String> post(String query, byte[] body) {
        return send(HttpRequest.newBuilder(uri("/wechat?" + query))
                .header("Content-Type", "text/xml")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    HttpResponse<String> get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(uri(pathAndQuery)).GET().build());
    }

    JsonNode admin(String pathAndQuery) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(pathAndQuery))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).GET().build());
        if (r.statusCode() != 200) {
            throw new AssertionError(pathAndQuery + " -> " + r.statusCode() + ": " + r.body());
        }
        try {
            return json.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("request failed: " + request.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + app.port() + pathAndQuery);
    }

    @Override
    public void close() {
        app.close();
        api.close();
    }
}
