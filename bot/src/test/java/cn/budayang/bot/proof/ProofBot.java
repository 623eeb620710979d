package cn.budayang.bot.proof;

import cn.budayang.bot.RoutedQuestions;

import cn.budayang.bot.BotApp;
import cn.budayang.bot.config.BotConfig;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.bot.ticket.TicketQuery;
import cn.budayang.wechat.WeChatCredentials;
import cn.budayang.wechat.WeChatXml;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.MutableClock;
import cn.budayang.wechat.testing.SignedRequests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.Set;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The real server in this JVM on a loopback port (so paranoid leak detection and the log watch see it), against a
 * real local fake of the WeChat API, with a clock the test moves. Requests go out through {@link RawHttp}.
 */
final class ProofBot implements AutoCloseable {

    static final String TOKEN = "ProofToken2026";
    static final String AES_KEY = "ProofDeskKey0123456789abcdefghijklmnopqrstu";
    static final String ACCOUNT = "gh_5e6f7a8b9c0d";
    static final String ADMIN_TOKEN = "proof-admin-token";
    static final Instant START = Instant.parse("2026-11-26T02:00:00Z");

    /** Questions that route to a professional group and become tickets (no FAQ answers them). */
    static final List<String> QUESTIONS = RoutedQuestions.ALL;

    final FakeWeChatApi api;
    final Clock clock;
    final SignedRequests signer;
    final BotConfig config;
    private final AtomicLong msgIds = new AtomicLong(24_700_000_000_000_000L);
    private BotApp app;

    ProofBot(Path dataDir, FakeWeChatApi api, Clock clock, String noticeTemplateId) {
        this(config(dataDir, api, noticeTemplateId), api, clock);
    }

    ProofBot(BotConfig config, FakeWeChatApi api, Clock clock) {
        this.api = api;
        this.clock = clock;
        this.signer = new SignedRequests(TOKEN, FakeWeChatApi.DEFAULT_APP_ID, AES_KEY, clock, "2093184756");
        this.config = config;
        this.app = new BotApp(config, clock);
        app.start();
    }

    static ProofBot withMovingClock(Path dataDir, FakeWeChatApi api) {
        return new ProofBot(dataDir, api, new MutableClock(START), null);
    }

    /**
     * The bundled sample city with one deputy per professional group, written to {@code dir}: every ticket is then
     * forwarded to exactly one deputy, so counts of forwards and relays are per message.
     */
    static Path oneDeputyPerGroup(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String f : List.of("groups.json", "stations.json", "faq.json")) {
                try (InputStream in = resource(f)) {
                    Files.copy(in, dir.resolve(f));
                }
            }
            ObjectMapper json = new ObjectMapper();
            ArrayNode all;
            try (InputStream in = resource("deputies.json")) {
                all = (ArrayNode) json.readTree(in);
            }
            ArrayNode kept = json.createArrayNode();
            Set<String> covered = new HashSet<>();
            for (JsonNode d : all) {
                String first = d.get("groupIds").get(0).asText();
                if (first.startsWith("pro-") && covered.add(first)) {
                    ObjectNode copy = ((ObjectNode) d).deepCopy();
                    copy.set("groupIds", json.createArrayNode().add(first));
                    kept.add(copy);
                }
            }
            Files.write(dir.resolve("deputies.json"), json.writeValueAsBytes(kept));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = ProofBot.class.getResourceAsStream("/knowledge/" + name);
        if (in == null) {
            throw new IllegalStateException("bundled knowledge file /knowledge/" + name + " not on the classpath");
        }
        return in;
    }

    static WeChatCredentials credentials() {
        return new WeChatCredentials(TOKEN, FakeWeChatApi.DEFAULT_APP_ID, FakeWeChatApi.DEFAULT_APP_SECRET, AES_KEY);
    }

    static BotConfig config(Path dataDir, FakeWeChatApi api, String noticeTemplateId) {
        return BotConfig.defaults()
                .withHost("127.0.0.1")
                .withPort(0)
                .withDataDir(dataDir)
                .withWeChat(credentials(), api == null ? URI.create("http://127.0.0.1:9") : api.baseUrl())
                .withAdminToken(ADMIN_TOKEN)
                .withNoticeTemplateId(noticeTemplateId);
    }

    BotApp app() {
        return app;
    }

    int port() {
        return app.port();
    }

    long nextMsgId() {
        return msgIds.incrementAndGet();
    }

    String textXml(String from, String content) {
        return SignedRequests.textXml(ACCOUNT, from, clock.instant().getEpochSecond(), nextMsgId(), content);
    }

    /** A validly signed plaintext push, as raw HTTP bytes. */
    byte[] plaintext(String messageXml) {
        SignedRequests.Request r = signer.plaintext(messageXml);
        return RawHttp.post("/wechat?" + r.query(), r.body());
    }

    /** A validly signed safe-mode push, as raw HTTP bytes. */
    byte[] safe(String messageXml) {
        SignedRequests.Request r = signer.safe(messageXml);
        return RawHttp.post("/wechat?" + r.query(), r.body());
    }

    /** Content of a passive reply (plain or encrypted), or "success". */
    String contentOf(RawHttp.Response r) {
        if (r.status() != 200) {
            throw new AssertionError("status " + r.status() + ": " + r.text());
        }
        String body = r.text();
        if (body.isEmpty() || body.equals("success")) {
            return "success";
        }
        if (body.contains("<Encrypt>")) {
            body = signer.openReply(body);
        }
        return WeChatXml.readFlat(body.getBytes(StandardCharsets.UTF_8)).get("Content");
    }

    /** Sends one plaintext text on a fresh connection and returns the reply's Content. */
    String say(String from, String content) {
        try (RawHttp http = new RawHttp(port())) {
            return contentOf(http.exchange(plaintext(textXml(from, content))));
        } catch (IOException e) {
            throw new AssertionError("request failed", e);
        }
    }

    List<Ticket> tickets() {
        return app.admin().tickets(new TicketQuery(null, null, null, null, TicketQuery.MAX_LIMIT, 0));
    }

    @Override
    public void close() {
        app.close();
    }
}
