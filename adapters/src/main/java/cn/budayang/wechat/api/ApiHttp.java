package cn.budayang.wechat.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * JSON over the JDK HTTP client for the WeChat API: one exchange, transport failures typed, bounded back-off
 * for errcode -1. Query strings (which carry secrets) are never logged.
 */
final class ApiHttp {

    private static final Logger log = LoggerFactory.getLogger(ApiHttp.class);

    /** Back-off before each retry of a "system busy" (-1) answer. */
    static final List<Duration> BUSY_BACKOFF = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(4));

    private final String base;
    private final HttpClient http;
    private final Duration timeout;
    private final Sleeper sleeper;
    final ObjectMapper json = new ObjectMapper();

    ApiHttp(URI baseUrl, HttpClient http, Duration timeout, Sleeper sleeper) {
        String b = Objects.requireNonNull(baseUrl, "baseUrl").toString();
        this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
        this.http = Objects.requireNonNull(http, "http");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive, was " + timeout);
        }
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /**
     * Sends one request and parses the JSON answer.
     *
     * @param query the query string without '?', may be null; never logged
     * @param body  JSON to POST, or null for GET
     * @throws WeChatApiException {@link WeChatApiException.Kind#TRANSPORT} on I/O errors, timeouts, non-200
     *                            status or an answer that is not JSON
     */
    JsonNode exchange(String path, String query, byte[] body) {
        URI uri = URI.create(base + path + (query == null ? "" : "?" + query));
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json");
        if (body == null) {
            rb.GET();
        } else {
            rb.header("Content-Type", "application/json; charset=UTF-8")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        }
        String method = body == null ? "GET" : "POST";
        long started = System.nanoTime();
        HttpResponse<byte[]> response;
        try {
            response = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw WeChatApiException.transport(path, "no answer within " + timeout.toMillis() + " ms", e);
        } catch (IOException e) {
            throw WeChatApiException.transport(path, describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw WeChatApiException.transport(path, "interrupted", e);
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        if (response.statusCode() != 200) {
            log.debug("{} {} -> HTTP {} in {} ms", method, path, response.statusCode(), ms);
            throw WeChatApiException.transport(path, "HTTP status " + response.statusCode(), null);
        }
        try {
            JsonNode node = json.readTree(response.body());
            if (node == null || !node.isObject()) {
                throw WeChatApiException.transport(path, "answer is not a JSON object", null);
            }
            log.debug("{} {} -> errcode {} in {} ms", method, path, errcode(node), ms);
            return node;
        } catch (IOException e) {
            throw WeChatApiException.transport(path, "answer is not JSON", null);
        }
    }

    /**
     * An I/O failure as an operator reads it: its class and the first message along its causes, e.g. {@code I/O error:
     * ConnectException (Connection refused)}; anything after a '?' is cut (a query string would carry secrets).
     */
    static String describe(IOException e) {
        String message = null;
        for (Throwable t = e; t != null && message == null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage().strip();
            }
        }
        String what = "I/O error: " + e.getClass().getSimpleName();
        if (message == null) {
            // the JDK client says nothing more when the connection is refused or the host unreachable
            return e instanceof java.net.ConnectException ? what + " (connection refused or host unreachable)" : what;
        }
        int q = message.indexOf('?');
        message = q < 0 ? message : message.substring(0, q) + "…";
        return what + " (" + (message.length() > 160 ? message.substring(0, 160) + "…" : message) + ")";
    }

    /** errcode of an answer; absent means success (token endpoints omit it). */
    static int errcode(JsonNode node) {
        return node.path("errcode").asInt(0);
    }

    /** errmsg of an answer with {@code secret} (if any) masked. */
    static String errmsg(JsonNode node, String secret) {
        String msg = node.path("errmsg").asText("");
        if (secret != null && !secret.isEmpty()) {
            msg = msg.replace(secret, "***");
        }
        return msg.length() > 200 ? msg.substring(0, 200) + "…" : msg;
    }

    /**
     * Sleeps before busy retry number {@code attempt} (0-based). Returns false when the retries are used up.
     */
    boolean backOffBusy(int attempt, String path) {
        if (attempt >= BUSY_BACKOFF.size()) {
            return false;
        }
        Duration d = BUSY_BACKOFF.get(attempt);
        log.debug("{} answered -1 (busy); retry {} of {} in {} ms", path, attempt + 1, BUSY_BACKOFF.size(),
                d.toMillis());
        try {
            sleeper.sleep(d);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
