package cn.budayang.wechat.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A real local WeChat API server (JDK {@link HttpServer} on 127.0.0.1, ephemeral port) for tests of outbound
 * calls. Script → exercise → verify.
 *
 * <p>Serves {@code GET /cgi-bin/token}, {@code POST /cgi-bin/stable_token} (tokens {@code TOKEN-1},
 * {@code TOKEN-2}, …), {@code POST /cgi-bin/message/custom/send} and {@code POST /cgi-bin/message/subscribe/bizsend};
 * any other path gets HTTP 404 with {@code {"errcode":40066,"errmsg":"invalid url"}}. The send endpoints check
 * {@code access_token} against the tokens currently valid (a new classic token invalidates the previous one) and
 * answer 40001 otherwise, so refresh logic runs for real. Answers are {@code errcode 0} unless scripted:
 * <ol>
 *   <li>{@link #outage(boolean)}: HTTP 503 for everything;</li>
 *   <li>{@link #setDelay(Duration)}: wait before answering (to provoke client timeouts);</li>
 *   <li>token check (send endpoints), then {@link #failAlways(String, int)}: every call to the path answers
 *       {@code errcode} until cleared, then {@link #failNext(String, int, int)}: the next {@code times} calls to
 *       the path answer {@code errcode};</li>
 *   <li>{@link #failFor(String, int)} / {@link #failNoticeFor(String, int)}: every text / notice to that OpenID
 *       answers {@code errcode} until {@link #clearFailFor(String)}.</li>
 * </ol>
 * Like WeChat, a customer-service text over {@value #TEXT_LIMIT_BYTES} UTF-8 bytes is refused with 45002.
 * Thread-safe. Every request is recorded; successful sends are listed in {@link #sentTexts()} and {@link #notices()}.
 */
public final class FakeWeChatApi implements AutoCloseable {

    public static final String TOKEN_PATH = "/cgi-bin/token";
    public static final String STABLE_TOKEN_PATH = "/cgi-bin/stable_token";
    public static final String CUSTOM_SEND_PATH = "/cgi-bin/message/custom/send";
    public static final String BIZSEND_PATH = "/cgi-bin/message/subscribe/bizsend";

    /** The longest customer-service text accepted, in UTF-8 bytes (WeChat's limit as reported; 45002 beyond). */
    public static final int TEXT_LIMIT_BYTES = 2048;

    /** AppID and AppSecret accepted by the no-argument constructor. */
    public static final String DEFAULT_APP_ID = "wx1a2b3c4d5e6f7a8b";
    public static final String DEFAULT_APP_SECRET = "fake-app-secret-0123456789";

    /** One HTTP request as received. {@code query} is raw (URL-encoded), {@code body} UTF-8 text. */
    public record Recorded(String method, String path, String query, String body) {
        public Map<String, String> queryMap() {
            return SignedRequests.parseQuery(query);
        }
    }

    /** A customer-service text that was accepted. */
    public record SentMessage(String toUser, String content) {
    }

    /** A subscribe notice that was accepted. */
    public record SentNotice(String toUser, String templateId, String page, Map<String, String> data) {
    }

    private final String appId;
    private final String appSecret;
    private final HttpServer server;
    private final ExecutorService executor;
    private final ObjectMapper json = new ObjectMapper();

    private final Object lock = new Object();
    private final List<Recorded> requests = new ArrayList<>();
    private final List<SentMessage> sentTexts = new ArrayList<>();
    private final List<SentNotice> notices = new ArrayList<>();
    private final Map<String, Deque<Integer>> failNext = new HashMap<>();
    private final Map<String, Integer> failAlways = new HashMap<>();
    private final Map<String, Integer> failFor = new HashMap<>();
    private final Map<String, Integer> failNoticeFor = new HashMap<>();
    private final Set<String> validTokens = new HashSet<>();
    private int tokenCounter;
    private int tokenRequests;
    private String classicToken;
    private String stableToken;
    private long expiresIn = 7200;
    private Duration delay = Duration.ZERO;
    private boolean outage;

    /** Starts with {@link #DEFAULT_APP_ID} and {@link #DEFAULT_APP_SECRET}. */
    public FakeWeChatApi() {
        this(DEFAULT_APP_ID, DEFAULT_APP_SECRET);
    }

    /** Starts a server accepting exactly this AppID and AppSecret on the token endpoints. */
    public FakeWeChatApi(String appId, String appSecret) {
        this.appId = appId;
        this.appSecret = appSecret;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the fake WeChat API", e);
        }
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-wechat-api");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** e.g. {@code http://127.0.0.1:54321} — pass as the API base URL. */
    public URI baseUrl() {
        return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":"
                + server.getAddress().getPort());
    }

    // ---- scripting ----

    /** expires_in of tokens issued from now on (default 7200). */
    public void expiresIn(long seconds) {
        synchronized (lock) {
            expiresIn = seconds;
        }
    }

    /** The next {@code times} calls to {@code path} answer {@code errcode} (e.g. -1, 40001, 45009). */
    public void failNext(String path, int errcode, int times) {
        synchronized (lock) {
            Deque<Integer> q = failNext.computeIfAbsent(path, p -> new ArrayDeque<>());
            for (int i = 0; i < times; i++) {
                q.add(errcode);
            }
        }
    }

    /**
     * Every call to {@code path} answers {@code errcode} (e.g. 40001 from the token endpoint for a wrong AppSecret,
     * 45009 from the send endpoint for a used-up daily quota) until {@link #clearFailAlways(String)}.
     */
    public void failAlways(String path, int errcode) {
        synchronized (lock) {
            failAlways.put(path, errcode);
        }
    }

    /** Ends {@link #failAlways(String, int)} for {@code path}. */
    public void clearFailAlways(String path) {
        synchronized (lock) {
            failAlways.remove(path);
        }
    }

    /**
     * Every customer-service send to {@code openId} answers {@code errcode} (e.g. 45015, 45047) until cleared.
     * Subscribe notices are not affected (see {@link #failNoticeFor(String, int)}), so a fallback can succeed.
     */
    public void failFor(String openId, int errcode) {
        synchronized (lock) {
            failFor.put(openId, errcode);
        }
    }

    /** Clears {@link #failFor(String, int)} and {@link #failNoticeFor(String, int)} for {@code openId}. */
    public void clearFailFor(String openId) {
        synchronized (lock) {
            failFor.remove(openId);
            failNoticeFor.remove(openId);
        }
    }

    /** Every subscribe notice to {@code openId} answers {@code errcode} (e.g. 43101) until cleared. */
    public void failNoticeFor(String openId, int errcode) {
        synchronized (lock) {
            failNoticeFor.put(openId, errcode);
        }
    }

    /** Wait this long before answering each request (simulates a slow or hanging WeChat). */
    public void setDelay(Duration delay) {
        synchronized (lock) {
            this.delay = delay;
        }
    }

    /** While on, every request gets HTTP 503. */
    public void outage(boolean on) {
        synchronized (lock) {
            outage = on;
        }
    }

    /**
     * Makes every token issued so far invalid: the next send with it answers 40001 (as after a token was
     * rotated elsewhere or expired early); the stable endpoint issues a new token.
     */
    public void invalidateTokens() {
        synchronized (lock) {
            validTokens.clear();
            classicToken = null;
            stableToken = null;
        }
    }

    /** Forgets recorded requests and sends (scripts and tokens stay). */
    public void clearRecords() {
        synchronized (lock) {
            requests.clear();
            sentTexts.clear();
            notices.clear();
            tokenRequests = 0;
        }
    }

    // ---- verification ----

    public List<Recorded> requests() {
        synchronized (lock) {
            return List.copyOf(requests);
        }
    }

    /** Requests to {@code path}. */
    public List<Recorded> requests(String path) {
        synchronized (lock) {
            return requests.stream().filter(r -> r.path().equals(path)).toList();
        }
    }

    public List<SentMessage> sentTexts() {
        synchronized (lock) {
            return List.copyOf(sentTexts);
        }
    }

    public List<SentNotice> notices() {
        synchronized (lock) {
            return List.copyOf(notices);
        }
    }

    /** Calls to both token endpoints, failed ones included. */
    public int tokenRequests() {
        synchronized (lock) {
            return tokenRequests;
        }
    }

    /** The most recently issued token that is still valid, or null. */
    public String currentToken() {
        synchronized (lock) {
            return stableToken != null ? stableToken : classicToken;
        }
    }

    /** Every token value issued so far ({@code TOKEN-1} … {@code TOKEN-n}). */
    public List<String> issuedTokens() {
        synchronized (lock) {
            List<String> out = new ArrayList<>();
            for (int i = 1; i <= tokenCounter; i++) {
                out.add("TOKEN-" + i);
            }
            return out;
        }
    }

    /**
     * Waits until at least {@code n} texts were accepted.
     *
     * @throws AssertionError on timeout, listing what arrived
     */
    public List<SentMessage> awaitSentTexts(int n, Duration timeout) {
        return await(() -> sentTexts.size() >= n ? List.copyOf(sentTexts) : null, timeout,
                () -> "expected " + n + " sent texts, got " + sentTexts);
    }

    /** Waits until at least {@code n} notices were accepted; AssertionError on timeout. */
    public List<SentNotice> awaitNotices(int n, Duration timeout) {
        return await(() -> notices.size() >= n ? List.copyOf(notices) : null, timeout,
                () -> "expected " + n + " notices, got " + notices);
    }

    private <T> T await(Supplier<T> ready, Duration timeout, Supplier<String> failure) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                T result = ready.get();
                if (result != null) {
                    return result;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(failure.get());
                }
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting", e);
                }
            }
        }
    }

    // ---- serving ----

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            String query = ex.getRequestURI().getRawQuery();
            String body;
            try (InputStream in = ex.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Duration wait;
            boolean down;
            synchronized (lock) {
                requests.add(new Recorded(ex.getRequestMethod(), path, query, body));
                if (path.equals(TOKEN_PATH) || path.equals(STABLE_TOKEN_PATH)) {
                    tokenRequests++;
                }
                lock.notifyAll();
                wait = delay;
                down = outage;
            }
            if (!wait.isZero()) {
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (down) {
                send(ex, 503, "{\"errcode\":-1,\"errmsg\":\"service unavailable\"}");
                return;
            }
            Map<String, String> q = SignedRequests.parseQuery(query);
            String answer;
            switch (path) {
                case TOKEN_PATH -> answer = classicToken(ex.getRequestMethod(), q);
                case STABLE_TOKEN_PATH -> answer = stableToken(ex.getRequestMethod(), body);
                case CUSTOM_SEND_PATH -> answer = customSend(q, body);
                case BIZSEND_PATH -> answer = bizSend(q, body);
                default -> {
                    send(ex, 404, "{\"errcode\":40066,\"errmsg\":\"invalid url\"}");
                    return;
                }
            }
            send(ex, 200, answer);
        } catch (RuntimeException e) {
            // a broken request from the client under test: answer a 500 so the test sees it
            send(ex, 500, "{\"errcode\":-3,\"errmsg\":\"fake server error: " + e.getClass().getSimpleName() + "\"}");
        } finally {
            ex.close();
        }
    }

    private String classicToken(String method, Map<String, String> q) {
        synchronized (lock) {
            if (!"GET".equals(method)) {
                return error(43001, "require GET method");
            }
            Integer scripted = pollFailure(TOKEN_PATH);
            if (scripted != null) {
                return error(scripted, "scripted failure");
            }
            if (!"client_credential".equals(q.get("grant_type"))) {
                return error(40002, "invalid grant_type");
            }
            if (!appId.equals(q.get("appid"))) {
                return error(40013, "invalid appid");
            }
            if (!appSecret.equals(q.get("secret"))) {
                return error(40125, "invalid appsecret");
            }
            if (classicToken != null) {
                validTokens.remove(classicToken);
            }
            classicToken = issue();
            return tokenAnswer(classicToken);
        }
    }

    private String stableToken(String method, String body) {
        synchronized (lock) {
            if (!"POST".equals(method)) {
                return error(43002, "require POST method");
            }
            Integer scripted = pollFailure(STABLE_TOKEN_PATH);
            if (scripted != null) {
                return error(scripted, "scripted failure");
            }
            JsonNode req = readJson(body);
            if (req == null || !"client_credential".equals(req.path("grant_type").asText())) {
                return error(40002, "invalid grant_type");
            }
            if (!appId.equals(req.path("appid").asText())) {
                return error(40013, "invalid appid");
            }
            if (!appSecret.equals(req.path("secret").asText())) {
                return error(40125, "invalid appsecret");
            }
            boolean force = req.path("force_refresh").asBoolean(false);
            if (force || stableToken == null || !validTokens.contains(stableToken)) {
                if (stableToken != null) {
                    validTokens.remove(stableToken);
                }
                stableToken = issue();
            }
            return tokenAnswer(stableToken);
        }
    }

    private String customSend(Map<String, String> q, String body) {
        synchronized (lock) {
            String problem = checkToken(q, CUSTOM_SEND_PATH);
            if (problem != null) {
                return problem;
            }
            JsonNode req = readJson(body);
            if (req == null || !req.hasNonNull("touser")) {
                return error(44002, "empty post data or touser missing");
            }
            String to = req.path("touser").asText();
            if (failFor.containsKey(to)) {
                return error(failFor.get(to), "scripted failure for this openid");
            }
            if (!"text".equals(req.path("msgtype").asText()) || !req.path("text").hasNonNull("content")) {
                return error(40008, "invalid message type");
            }
            String content = req.path("text").path("content").asText();
            if (content.getBytes(StandardCharsets.UTF_8).length > TEXT_LIMIT_BYTES) {
                return error(45002, "content size out of limit");
            }
            sentTexts.add(new SentMessage(to, content));
            lock.notifyAll();
            return ok();
        }
    }

    private String bizSend(Map<String, String> q, String body) {
        synchronized (lock) {
            String problem = checkToken(q, BIZSEND_PATH);
            if (problem != null) {
                return problem;
            }
            JsonNode req = readJson(body);
            if (req == null || !req.hasNonNull("touser") || !req.hasNonNull("template_id")) {
                return error(47003, "argument invalid: touser or template_id missing");
            }
            String to = req.path("touser").asText();
            if (failNoticeFor.containsKey(to)) {
                return error(failNoticeFor.get(to), "scripted failure for this openid");
            }
            Map<String, String> data = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : req.path("data").properties()) {
                if (!e.getValue().has("value")) {
                    return error(47003, "argument invalid: data." + e.getKey() + ".value missing");
                }
                data.put(e.getKey(), e.getValue().path("value").asText());
            }
            notices.add(new SentNotice(to, req.path("template_id").asText(),
                    req.hasNonNull("page") ? req.path("page").asText() : null, Collections.unmodifiableMap(data)));
            lock.notifyAll();
            return ok();
        }
    }

    /** Token validation first, then scripted failures for the path; null when the call may proceed. */
    private String checkToken(Map<String, String> q, String path) {
        String token = q.get("access_token");
        if (token == null || token.isEmpty()) {
            return error(41001, "access_token missing");
        }
        if (!validTokens.contains(token)) {
            return error(40001, "invalid credential, access_token is invalid or not latest");
        }
        Integer scripted = pollFailure(path);
        return scripted == null ? null : error(scripted, "scripted failure");
    }

    private Integer pollFailure(String path) {
        Integer always = failAlways.get(path);
        if (always != null) {
            return always;
        }
        Deque<Integer> queue = failNext.get(path);
        return queue == null ? null : queue.poll();
    }

    private String issue() {
        String token = "TOKEN-" + (++tokenCounter);
        validTokens.add(token);
        return token;
    }

    private String tokenAnswer(String token) {
        ObjectNode n = json.createObjectNode().put("access_token", token).put("expires_in", expiresIn);
        return n.toString();
    }

    private String error(int errcode, String errmsg) {
        return json.createObjectNode().put("errcode", errcode).put("errmsg", errmsg + " rid: fake").toString();
    }

    private static String ok() {
        return "{\"errcode\":0,\"errmsg\":\"ok\"}";
    }

    private JsonNode readJson(String body) {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops the server at once; requests still waiting on a delay are abandoned. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "FakeWeChatApi[" + baseUrl() + "]";
    }
}
