package cn.budayang.wechat.api;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import cn.budayang.wechat.WeChatCredentials;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.MutableClock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static cn.budayang.wechat.testing.FakeWeChatApi.BIZSEND_PATH;
import static cn.budayang.wechat.testing.FakeWeChatApi.CUSTOM_SEND_PATH;
import static cn.budayang.wechat.testing.FakeWeChatApi.STABLE_TOKEN_PATH;
import static cn.budayang.wechat.testing.FakeWeChatApi.TOKEN_PATH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outbound client against a real local fake of the WeChat API. */
class WeChatApiClientTest {

    private static final String OPENID = "oQx1Z5vD9kLmN3pR7tY2wE8uI0aS";
    private static final WeChatCredentials CREDENTIALS = new WeChatCredentials("tok", FakeWeChatApi.DEFAULT_APP_ID,
            FakeWeChatApi.DEFAULT_APP_SECRET, null);

    private final FakeWeChatApi fake = new FakeWeChatApi();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final MutableClock clock = MutableClock.atEpochSecond(1732600000L);
    private final List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());
    private final Sleeper sleeper = sleeps::add;
    private final ObjectMapper json = new ObjectMapper();

    @AfterEach
    void stop() {
        fake.close();
    }

    private WeChatApiClient client(boolean stable) {
        return new WeChatApiClient(fake.baseUrl(), CREDENTIALS, http, clock, sleeper, stable);
    }

    private WeChatApiException failure(Runnable call) {
        return assertThrows(WeChatApiException.class, call::run);
    }

    @Test
    void sendTextPostsTheDocumentedJsonWithTheToken() throws Exception {
        client(false).sendText(OPENID, "您的问题已转交 3 组代表，工单 T20241126-0001");
        assertEquals(List.of(new FakeWeChatApi.SentMessage(OPENID, "您的问题已转交 3 组代表，工单 T20241126-0001")),
                fake.sentTexts());
        FakeWeChatApi.Recorded token = fake.requests(TOKEN_PATH).get(0);
        assertEquals("GET", token.method());
        assertEquals(Map.of("grant_type", "client_credential", "appid", FakeWeChatApi.DEFAULT_APP_ID,
                "secret", FakeWeChatApi.DEFAULT_APP_SECRET), token.queryMap());
        FakeWeChatApi.Recorded send = fake.requests(CUSTOM_SEND_PATH).get(0);
        assertEquals("POST", send.method());
        assertEquals("TOKEN-1", send.queryMap().get("access_token"));
        assertEquals(json.readTree("{\"touser\":\"" + OPENID + "\",\"msgtype\":\"text\",\"text\":{\"content\":"
                + "\"您的问题已转交 3 组代表，工单 T20241126-0001\"}}"), json.readTree(send.body()));
    }

    @Test
    void tokenIsCachedAcrossSends() {
        WeChatApiClient client = client(false);
        client.sendText(OPENID, "one");
        client.sendText(OPENID, "two");
        assertEquals(1, fake.tokenRequests());
        assertEquals(2, fake.sentTexts().size());
    }

    @Test
    void tokenIsRefreshedShortlyBeforeExpiry() {
        WeChatApiClient client = client(false);
        client.sendText(OPENID, "one");
        clock.advance(Duration.ofSeconds(7200 - 300 - 1));
        client.sendText(OPENID, "two");
        assertEquals(1, fake.tokenRequests());
        clock.advance(Duration.ofSeconds(2));
        client.sendText(OPENID, "three");
        assertEquals(2, fake.tokenRequests());
        assertEquals("TOKEN-2", fake.requests(CUSTOM_SEND_PATH).get(2).queryMap().get("access_token"));
    }

    @Test
    void sixteenConcurrentSendersShareOneTokenFetch() throws Exception {
        WeChatApiClient client = client(false);
        fake.setDelay(Duration.ofMillis(150)); // widen the window in which a second fetch could start
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String content = "msg-" + i;
                futures.add(pool.submit(() -> {
                    start.await();
                    client.sendText(OPENID, content);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(20, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, fake.tokenRequests());
        assertEquals(16, fake.sentTexts().size());
    }

    @Test
    void rejectedTokenIsRefreshedAndTheCallRetriedOnce() {
        WeChatApiClient client = client(false);
        client.sendText(OPENID, "one");
        fake.invalidateTokens(); // TOKEN-1 now answers 40001
        client.sendText(OPENID, "two");
        assertEquals(2, fake.tokenRequests());
        List<String> used = fake.requests(CUSTOM_SEND_PATH).stream().map(r -> r.queryMap().get("access_token")).toList();
        assertEquals(List.of("TOKEN-1", "TOKEN-1", "TOKEN-2"), used);
        assertEquals(2, fake.sentTexts().size());
    }

    @Test
    void tokenErrorStillFailingAfterTheRetryIsTypedAndNotLooped() {
        WeChatApiClient client = client(false);
        fake.failNext(CUSTOM_SEND_PATH, 42001, 5);
        WeChatApiException e = failure(() -> client.sendText(OPENID, "x"));
        assertEquals(WeChatApiException.Kind.TOKEN, e.kind());
        assertEquals(42001, e.errcode());
        assertTrue(e.retryable());
        assertEquals(2, fake.requests(CUSTOM_SEND_PATH).size(), "exactly one retry");
        assertEquals(2, fake.tokenRequests());
    }

    @Test
    void stableTokenModeUsesPostJsonAndForcesRefreshOnlyWhenTheSameTokenIsRejected() throws Exception {
        WeChatApiClient client = client(true);
        client.sendText(OPENID, "one");
        client.sendText(OPENID, "two");
        assertEquals(1, fake.tokenRequests());
        assertTrue(fake.requests(TOKEN_PATH).isEmpty());
        FakeWeChatApi.Recorded first = fake.requests(STABLE_TOKEN_PATH).get(0);
        assertEquals("POST", first.method());
        assertNull(first.query(), "secrets go in the body, not the URL");
        assertEquals(json.readTree("{\"grant_type\":\"client_credential\",\"appid\":\"" + FakeWeChatApi.DEFAULT_APP_ID
                + "\",\"secret\":\"" + FakeWeChatApi.DEFAULT_APP_SECRET + "\",\"force_refresh\":false}"),
                json.readTree(first.body()));

        // WeChat rejects the token although the stable endpoint still hands it out: force a refresh
        fake.failNext(CUSTOM_SEND_PATH, 40001, 1);
        client.sendText(OPENID, "three");
        List<FakeWeChatApi.Recorded> tokenCalls = fake.requests(STABLE_TOKEN_PATH);
        assertEquals(3, tokenCalls.size());
        assertFalse(json.readTree(tokenCalls.get(1).body()).path("force_refresh").asBoolean());
        assertTrue(json.readTree(tokenCalls.get(2).body()).path("force_refresh").asBoolean());
        assertEquals("TOKEN-2", fake.requests(CUSTOM_SEND_PATH).get(3).queryMap().get("access_token"));
        assertEquals(3, fake.sentTexts().size());
    }

    @Test
    void stableTokenModeWithoutForceWhenTheEndpointAlreadyRotated() {
        WeChatApiClient client = client(true);
        client.sendText(OPENID, "one");
        fake.invalidateTokens();
        client.sendText(OPENID, "two");
        assertEquals(2, fake.tokenRequests(), "no force_refresh needed: the normal call returned a new token");
    }

    @Test
    void busyIsRetriedWithBackoff() {
        WeChatApiClient client = client(false);
        fake.failNext(CUSTOM_SEND_PATH, -1, 2);
        client.sendText(OPENID, "x");
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), sleeps);
        assertEquals(1, fake.sentTexts().size());
        assertEquals(3, fake.requests(CUSTOM_SEND_PATH).size());
    }

    @Test
    void busyBeyondTheRetriesIsTyped() {
        WeChatApiClient client = client(false);
        fake.failNext(CUSTOM_SEND_PATH, -1, 10);
        WeChatApiException e = failure(() -> client.sendText(OPENID, "x"));
        assertEquals(WeChatApiException.Kind.BUSY, e.kind());
        assertTrue(e.retryable());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4)), sleeps);
        assertEquals(4, fake.requests(CUSTOM_SEND_PATH).size());
    }

    @Test
    void busyTokenEndpointIsRetriedToo() {
        fake.failNext(TOKEN_PATH, -1, 1);
        client(false).sendText(OPENID, "x");
        assertEquals(List.of(Duration.ofSeconds(1)), sleeps);
        assertEquals(2, fake.tokenRequests());
    }

    @Test
    void outOfWindowIsTypedNotRetriedAndTheNoticeFallbackWorks() throws Exception {
        WeChatApiClient client = client(false);
        fake.failFor(OPENID, 45015);
        WeChatApiException e = failure(() -> client.sendText(OPENID, "x"));
        assertEquals(WeChatApiException.Kind.OUT_OF_WINDOW, e.kind());
        assertEquals(45015, e.errcode());
        assertFalse(e.retryable());
        assertEquals(1, fake.requests(CUSTOM_SEND_PATH).size());
        assertEquals(1, fake.tokenRequests());
        assertTrue(sleeps.isEmpty());
        assertTrue(e.getMessage().contains(CUSTOM_SEND_PATH) && e.getMessage().contains("45015"), e.getMessage());

        Map<String, String> data = new LinkedHashMap<>();
        data.put("thing1", "工单 T0001 待答复");
        data.put("time2", "2024-11-26 10:00");
        client.sendSubscribeNotice(OPENID, "TEMPLATE_ID", "pages/t?id=T0001", data);
        assertEquals(List.of(new FakeWeChatApi.SentNotice(OPENID, "TEMPLATE_ID", "pages/t?id=T0001", data)),
                fake.notices());
        JsonNode body = json.readTree(fake.requests(BIZSEND_PATH).get(0).body());
        assertEquals(json.readTree("{\"touser\":\"" + OPENID + "\",\"template_id\":\"TEMPLATE_ID\",\"page\":"
                + "\"pages/t?id=T0001\",\"data\":{\"thing1\":{\"value\":\"工单 T0001 待答复\"},\"time2\":{\"value\":"
                + "\"2024-11-26 10:00\"}}}"), body);

        fake.clearFailFor(OPENID);
        client.sendText(OPENID, "back in window");
        assertEquals(1, fake.sentTexts().size());
    }

    @Test
    void noticeWithoutPageOmitsIt() throws Exception {
        client(false).sendSubscribeNotice(OPENID, "T", null, Map.of("thing1", "x"));
        assertFalse(json.readTree(fake.requests(BIZSEND_PATH).get(0).body()).has("page"));
        assertNull(fake.notices().get(0).page());
    }

    @Test
    void quotaExhaustedIsTypedAndNotRetried() {
        WeChatApiClient client = client(false);
        fake.failFor(OPENID, 45047);
        WeChatApiException e = failure(() -> client.sendText(OPENID, "x"));
        assertEquals(WeChatApiException.Kind.QUOTA_EXHAUSTED, e.kind());
        assertFalse(e.retryable());
        assertEquals(1, fake.requests(CUSTOM_SEND_PATH).size());
    }

    @Test
    void consentMissingOnNotices() {
        fake.failNoticeFor(OPENID, 43101);
        WeChatApiException e = failure(() -> client(false).sendSubscribeNotice(OPENID, "T", null, Map.of()));
        assertEquals(WeChatApiException.Kind.CONSENT_MISSING, e.kind());
        assertEquals(BIZSEND_PATH, e.apiPath());
        assertFalse(e.retryable());
    }

    @Test
    void timeoutIsTypedAsTransport() {
        WeChatApiClient client = new WeChatApiClient(fake.baseUrl(), CREDENTIALS, http, clock, sleeper, false,
                Duration.ofMillis(300));
        client.sendText(OPENID, "warm the token");
        fake.setDelay(Duration.ofSeconds(3));
        long started = System.nanoTime();
        WeChatApiException e = failure(() -> client.sendText(OPENID, "slow"));
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2), "the request timeout applies");
        assertEquals(WeChatApiException.Kind.TRANSPORT, e.kind());
        assertEquals(WeChatApiException.TRANSPORT_ERRCODE, e.errcode());
        assertEquals(CUSTOM_SEND_PATH, e.apiPath());
        assertTrue(e.retryable());
    }

    @Test
    void http503IsTypedAsTransport() {
        fake.outage(true);
        WeChatApiException e = failure(() -> client(false).sendText(OPENID, "x"));
        assertEquals(WeChatApiException.Kind.TRANSPORT, e.kind());
        assertTrue(e.getMessage().contains("503"), e.getMessage());
        assertEquals(-2, e.errcode());
    }

    @Test
    void connectionRefusedIsTypedAsTransport() {
        java.net.URI dead = fake.baseUrl();
        fake.close();
        WeChatApiException e = failure(() -> new WeChatApiClient(dead, CREDENTIALS, http, clock, sleeper, false)
                .sendText(OPENID, "x"));
        assertEquals(WeChatApiException.Kind.TRANSPORT, e.kind());
        // what an operator reads in the outbox's log and on the ticket: the failure and its cause, no secrets
        assertTrue(e.errmsg().startsWith("I/O error: ConnectException (") && !e.errmsg().contains("secret"),
                e.errmsg());
    }

    @Test
    void wrongSecretIsAConfigurationError() {
        WeChatCredentials wrong = new WeChatCredentials("tok", FakeWeChatApi.DEFAULT_APP_ID, "wrong-secret", null);
        WeChatApiException e = failure(() -> new WeChatApiClient(fake.baseUrl(), wrong, http, clock, sleeper, false)
                .sendText(OPENID, "x"));
        assertEquals(WeChatApiException.Kind.CONFIG, e.kind());
        assertEquals(40125, e.errcode());
        assertFalse(e.retryable());
        assertFalse(e.getMessage().contains("wrong-secret"));
        assertTrue(fake.sentTexts().isEmpty());
    }

    @Test
    void rateLimitedAndOtherCodes() {
        WeChatApiClient client = client(false);
        fake.failNext(CUSTOM_SEND_PATH, 45009, 1);
        WeChatApiException e = failure(() -> client.sendText(OPENID, "x"));
        assertEquals(WeChatApiException.Kind.RATE_LIMITED, e.kind());
        assertTrue(e.retryable());
        fake.failNext(CUSTOM_SEND_PATH, 45002, 1);
        assertEquals(WeChatApiException.Kind.CONTENT_TOO_LONG, failure(() -> client.sendText(OPENID, "x")).kind());
        fake.failNext(CUSTOM_SEND_PATH, 40003, 1);
        assertEquals(WeChatApiException.Kind.INVALID_OPENID, failure(() -> client.sendText(OPENID, "x")).kind());
        fake.failNext(CUSTOM_SEND_PATH, 43004, 1);
        assertFalse(failure(() -> client.sendText(OPENID, "x")).retryable());
        fake.failNext(CUSTOM_SEND_PATH, 48001, 1);
        assertEquals(WeChatApiException.Kind.CONFIG, failure(() -> client.sendText(OPENID, "x")).kind());
        fake.failNext(CUSTOM_SEND_PATH, 12345, 1);
        WeChatApiException other = failure(() -> client.sendText(OPENID, "x"));
        assertEquals(WeChatApiException.Kind.OTHER, other.kind());
        assertFalse(other.retryable());
        assertEquals(1, fake.tokenRequests(), "no errcode but 40001/40014/42001 refreshes the token");
    }

    @Test
    void aTextOverWeChatsLimitIsRefusedWith45002NotRetriedAndLeftToTheCallerToLog() {
        Logger logger = (Logger) LoggerFactory.getLogger(WeChatApiClient.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            WeChatApiClient client = client(false);
            String atTheLimit = "路".repeat(FakeWeChatApi.TEXT_LIMIT_BYTES / 3) + "ab";
            client.sendText(OPENID, atTheLimit);
            WeChatApiException e = failure(() -> client.sendText(OPENID, atTheLimit + "c"));
            assertEquals(45002, e.errcode());
            assertEquals(WeChatApiException.Kind.CONTENT_TOO_LONG, e.kind());
            assertFalse(e.retryable());
            assertEquals(List.of(atTheLimit), fake.sentTexts().stream().map(FakeWeChatApi.SentMessage::content)
                    .toList());
            assertEquals(2, fake.requests(CUSTOM_SEND_PATH).size(), "one call each");
            assertTrue(logged.list.stream().noneMatch(l -> l.getLevel().isGreaterOrEqual(Level.WARN)),
                    "the caller logs it, with its ticket: " + logged.list);
        } finally {
            logger.detachAppender(logged);
        }
    }

    @Test
    void fakeAnswersUnknownPathsWith404AndAwaitsSends() throws Exception {
        HttpClient c = HttpClient.newHttpClient();
        var response = c.send(java.net.http.HttpRequest.newBuilder(fake.baseUrl().resolve("/cgi-bin/nope")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(404, response.statusCode());
        assertTrue(response.body().contains("errcode"));

        WeChatApiClient client = client(false);
        Thread sender = new Thread(() -> client.sendText(OPENID, "async"));
        sender.start();
        assertEquals("async", fake.awaitSentTexts(1, Duration.ofSeconds(5)).get(0).content());
        sender.join();
        assertThrows(AssertionError.class, () -> fake.awaitSentTexts(2, Duration.ofMillis(50)));
    }
}
