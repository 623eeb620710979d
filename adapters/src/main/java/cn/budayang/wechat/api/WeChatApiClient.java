package cn.budayang.wechat.api;

import cn.budayang.wechat.WeChatCredentials;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Outbound calls to the WeChat API (customer-service text and subscribe notices) over the JDK
 * {@link HttpClient}.
 *
 * <p>Each call takes a cached access_token; on 40001/40014/42001 it drops that token (if still current), fetches
 * a new one and retries once; on -1 (busy) it backs off 1 s, 2 s, 4 s through the injected {@link Sleeper}.
 * Calls block the calling thread (at most the request timeout per attempt) — run them on an application
 * executor, never on an event loop. Thread-safe.
 */
public final class WeChatApiClient {

    private static final Logger log = LoggerFactory.getLogger(WeChatApiClient.class);

    /** Default timeout of each HTTP request. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    static final String CUSTOM_SEND_PATH = "/cgi-bin/message/custom/send";
    static final String BIZSEND_PATH = "/cgi-bin/message/subscribe/bizsend";

    private final ApiHttp http;
    private final AccessTokenProvider tokens;

    /** As the full constructor with {@link #DEFAULT_TIMEOUT}. */
    public WeChatApiClient(URI baseUrl, WeChatCredentials credentials, HttpClient http, Clock clock, Sleeper sleeper,
                           boolean useStableToken) {
        this(baseUrl, credentials, http, clock, sleeper, useStableToken, DEFAULT_TIMEOUT);
    }

    /**
     * @param baseUrl        e.g. {@code https://api.weixin.qq.com} (a path prefix is kept)
     * @param sleeper        waits between busy retries ({@link Sleeper#system()} in production)
     * @param useStableToken use {@code POST /cgi-bin/stable_token} instead of {@code GET /cgi-bin/token}
     * @param requestTimeout timeout of each HTTP request
     */
    public WeChatApiClient(URI baseUrl, WeChatCredentials credentials, HttpClient http, Clock clock, Sleeper sleeper,
                           boolean useStableToken, Duration requestTimeout) {
        this.http = new ApiHttp(baseUrl, http, requestTimeout, sleeper);
        this.tokens = new AccessTokenProvider(credentials, this.http, clock, useStableToken);
    }

    /**
     * Sends a customer-service text message ({@code POST /cgi-bin/message/custom/send}).
     *
     * @throws WeChatApiException e.g. OUT_OF_WINDOW (45015) or QUOTA_EXHAUSTED (45047), after which the caller
     *                            should fall back to {@link #sendSubscribeNotice}
     */
    public void sendText(String openId, String content) {
        Objects.requireNonNull(openId, "openId");
        Objects.requireNonNull(content, "content");
        ObjectNode body = http.json.createObjectNode().put("touser", openId).put("msgtype", "text");
        body.putObject("text").put("content", content);
        callWithToken(CUSTOM_SEND_PATH, body);
    }

    /**
     * Sends a subscription notice ({@code POST /cgi-bin/message/subscribe/bizsend}); {@code data} is sent as
     * {@code {"key":{"value":…}}} in the given iteration order.
     *
     * @param page optional page to open, or null
     * @throws WeChatApiException e.g. CONSENT_MISSING (43101)
     */
    public void sendSubscribeNotice(String openId, String templateId, String page, Map<String, String> data) {
        Objects.requireNonNull(openId, "openId");
        Objects.requireNonNull(templateId, "templateId");
        Objects.requireNonNull(data, "data");
        ObjectNode body = http.json.createObjectNode().put("touser", openId).put("template_id", templateId);
        if (page != null) {
            body.put("page", page);
        }
        ObjectNode d = body.putObject("data");
        data.forEach((k, v) -> d.putObject(k).put("value", v));
        callWithToken(BIZSEND_PATH, body);
    }

    private JsonNode callWithToken(String path, ObjectNode body) {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        AccessToken token = tokens.current();
        boolean tokenRetried = false;
        for (int busy = 0; ; ) {
            JsonNode answer = http.exchange(path, "access_token=" + ApiHttp.enc(token.value()), bytes);
            int errcode = ApiHttp.errcode(answer);
            if (errcode == 0) {
                return answer;
            }
            WeChatApiException.Kind kind = WeChatApiException.kindOf(errcode);
            if (kind == WeChatApiException.Kind.TOKEN && !tokenRetried) {
                tokenRetried = true;
                log.info("{} rejected the access_token (errcode {}); refreshing it and retrying once", path, errcode);
                token = tokens.refreshAfterRejection(token);
                continue;
            }
            if (errcode == -1 && http.backOffBusy(busy++, path)) {
                continue;
            }
            String errmsg = ApiHttp.errmsg(answer, token.value());
            if (kind == WeChatApiException.Kind.OUT_OF_WINDOW || kind == WeChatApiException.Kind.QUOTA_EXHAUSTED
                    || kind == WeChatApiException.Kind.CONFIG || kind == WeChatApiException.Kind.CONTENT_TOO_LONG
                    || WeChatApiException.retryable(kind)) {
                // the caller records these and says what to do (a settings error once a minute, not once a send; a
                // text too long once, with its ticket; an outage of temporary failures once, when it begins)
                log.debug("{} refused: errcode {} ({})", path, errcode, kind);
            } else {
                log.warn("{} failed: errcode {} ({}): {}", path, errcode, kind, errmsg);
            }
            throw new WeChatApiException(path, errcode, errmsg);
        }
    }

    @Override
    public String toString() {
        return "WeChatApiClient[" + tokens + "]";
    }
}
