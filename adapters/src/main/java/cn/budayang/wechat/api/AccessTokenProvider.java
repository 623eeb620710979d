package cn.budayang.wechat.api;

import cn.budayang.wechat.WeChatCredentials;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Owns the account's access_token: fetched from {@code GET /cgi-bin/token} or {@code POST /cgi-bin/stable_token},
 * cached until {@code expires_in − 300 s} (at least 60 s, at most half of a short expires_in), refreshed by one
 * caller at a time while concurrent callers wait for that result.
 *
 * <p>Thread-safe. Use one instance per AppID and process. The token value never appears in logs or messages.
 */
public final class AccessTokenProvider {

    private static final Logger log = LoggerFactory.getLogger(AccessTokenProvider.class);
    static final String TOKEN_PATH = "/cgi-bin/token";
    static final String STABLE_TOKEN_PATH = "/cgi-bin/stable_token";

    private final WeChatCredentials credentials;
    private final ApiHttp http;
    private final Clock clock;
    private final boolean useStableToken;
    private final Cache<String, AccessToken> cache;
    /**
     * The token endpoint's last refusal for the account's settings (wrong AppID or AppSecret, IP not whitelisted),
     * and until when it is repeated without asking again: every queued send would otherwise cost one of the
     * account's 2,000 token calls a day, and the quota would be gone when the setting is fixed.
     */
    private volatile Refusal refused;

    /** How long a settings refusal of the token endpoint is repeated without asking it again. */
    static final Duration REFUSAL_TTL = Duration.ofMinutes(1);

    private record Refusal(WeChatApiException error, Instant until) {
    }

    /**
     * @param useStableToken true for {@code POST /cgi-bin/stable_token}, false for the classic
     *                       {@code GET /cgi-bin/token}
     * @param requestTimeout timeout of each HTTP request
     */
    public AccessTokenProvider(URI baseUrl, WeChatCredentials credentials, HttpClient http, Clock clock,
                               Sleeper sleeper, boolean useStableToken, Duration requestTimeout) {
        this(credentials, new ApiHttp(baseUrl, http, requestTimeout, sleeper), clock, useStableToken);
    }

    AccessTokenProvider(WeChatCredentials credentials, ApiHttp http, Clock clock, boolean useStableToken) {
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.http = Objects.requireNonNull(http, "http");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.useStableToken = useStableToken;
        this.cache = Caffeine.newBuilder()
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .expireAfter(new Expiry<String, AccessToken>() {
                    @Override
                    public long expireAfterCreate(String key, AccessToken token, long currentTime) {
                        return remainingNanos(token);
                    }

                    @Override
                    public long expireAfterUpdate(String key, AccessToken token, long currentTime,
                                                  long currentDuration) {
                        return remainingNanos(token);
                    }

                    @Override
                    public long expireAfterRead(String key, AccessToken token, long currentTime,
                                                long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    private long remainingNanos(AccessToken token) {
        return Math.max(0, Duration.between(clock.instant(), token.refreshAt()).toNanos());
    }

    /**
     * A token usable now: the cached one, or a freshly fetched one (only one fetch runs at a time; concurrent
     * callers wait for it).
     *
     * @throws WeChatApiException when the token endpoint fails (CONFIG for a wrong AppID/AppSecret or IP
     *                            whitelist, BUSY, TRANSPORT, …)
     */
    public AccessToken current() {
        Refusal r = refused;
        if (r != null && clock.instant().isBefore(r.until())) {
            WeChatApiException e = r.error();
            throw new WeChatApiException(e.apiPath(), e.errcode(), e.errmsg(), e.kind());
        }
        AccessToken token = cache.get(credentials.appId(), k -> fetch(false));
        if (token.usableAt(clock.instant())) {
            return token;
        }
        cache.asMap().remove(credentials.appId(), token);
        return cache.get(credentials.appId(), k -> fetch(false));
    }

    /**
     * Drops {@code used} if it is still the cached token (compare-and-invalidate); a token that another caller
     * already replaced stays.
     */
    public void invalidate(AccessToken used) {
        cache.asMap().remove(credentials.appId(), used);
    }

    /**
     * Called after the API rejected {@code rejected} with 40001/40014/42001: if another caller already replaced
     * it, returns the replacement; otherwise fetches a new token (single flight). In stable-token mode, when the
     * normal fetch returns the same rejected token, fetches once more with {@code force_refresh:true}.
     */
    public AccessToken refreshAfterRejection(AccessToken rejected) {
        Objects.requireNonNull(rejected, "rejected");
        try {
            return cache.asMap().compute(credentials.appId(), (k, cur) -> {
                if (cur != null && !cur.value().equals(rejected.value()) && cur.usableAt(clock.instant())) {
                    return cur;
                }
                AccessToken fresh = fetch(false);
                if (useStableToken && fresh.value().equals(rejected.value())) {
                    log.info("stable_token returned the rejected access_token again; forcing a refresh");
                    fresh = fetch(true);
                }
                return fresh;
            });
        } catch (RuntimeException e) {
            invalidate(rejected);
            throw e;
        }
    }

    private AccessToken fetch(boolean forceRefresh) {
        String path = useStableToken ? STABLE_TOKEN_PATH : TOKEN_PATH;
        for (int busy = 0; ; busy++) {
            JsonNode answer;
            if (useStableToken) {
                ObjectNode body = http.json.createObjectNode()
                        .put("grant_type", "client_credential")
                        .put("appid", credentials.appId())
                        .put("secret", credentials.appSecret())
                        .put("force_refresh", forceRefresh);
                answer = http.exchange(path, null, body.toString().getBytes(StandardCharsets.UTF_8));
            } else {
                answer = http.exchange(path, "grant_type=client_credential&appid=" + ApiHttp.enc(credentials.appId())
                        + "&secret=" + ApiHttp.enc(credentials.appSecret()), null);
            }
            int errcode = ApiHttp.errcode(answer);
            if (errcode == -1 && http.backOffBusy(busy, path)) {
                continue;
            }
            if (errcode != 0) {
                String errmsg = ApiHttp.errmsg(answer, credentials.appSecret());
                WeChatApiException.Kind kind = WeChatApiException.kindOf(errcode);
                if (kind == WeChatApiException.Kind.TOKEN) {
                    // on the token endpoint these codes mean a wrong AppSecret, not a stale token
                    kind = WeChatApiException.Kind.CONFIG;
                }
                WeChatApiException e = new WeChatApiException(path, errcode, errmsg, kind);
                if (kind == WeChatApiException.Kind.CONFIG || e.retryable()) {
                    log.debug("{} refused: errcode {} ({})", path, errcode, kind); // the caller reports it
                }
                if (kind == WeChatApiException.Kind.CONFIG) {
                    refused = new Refusal(e, clock.instant().plus(REFUSAL_TTL));
                } else if (!e.retryable()) {
                    log.warn("{} failed: errcode {} ({})", path, errcode, kind);
                }
                throw e;
            }
            refused = null;
            String value = answer.path("access_token").asText("");
            if (value.isEmpty()) {
                throw new WeChatApiException(path, 0, "answer has no access_token", WeChatApiException.Kind.OTHER);
            }
            long expiresIn = answer.path("expires_in").asLong(7200);
            Instant now = clock.instant();
            AccessToken token = new AccessToken(value, now, now.plusSeconds(lifetime(expiresIn)));
            log.debug("obtained an access_token from {} (expires_in {} s, force_refresh {})", path, expiresIn,
                    forceRefresh);
            return token;
        }
    }

    /** Seconds to use a token that WeChat says lives {@code expiresIn} seconds. */
    static long lifetime(long expiresIn) {
        if (expiresIn <= 0) {
            return 0;
        }
        return Math.max(expiresIn - 300, Math.min(60, expiresIn / 2));
    }

    @Override
    public String toString() {
        return "AccessTokenProvider[appId=" + credentials.appId() + ", stable=" + useStableToken + "]";
    }
}
