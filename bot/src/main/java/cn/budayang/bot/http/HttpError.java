package cn.budayang.bot.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A request the server refuses, with the status to answer. Endpoints throw it (or fail their future with it);
 * {@link HttpDispatcher} turns it into a response in one place, as {@code {"error": ..., "message": ...}} (plus
 * {@code "parameter"} when one query parameter is to blame). Carries no stack trace: it is an answer, not a bug.
 */
final class HttpError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final HttpResponseStatus status;
    private final String error;
    private final String parameter;
    private final Map<String, String> headers;
    private final boolean close;

    private HttpError(HttpResponseStatus status, String error, String message, String parameter,
                      Map<String, String> headers, boolean close) {
        super(message, null, false, false);
        this.status = Objects.requireNonNull(status, "status");
        this.error = Objects.requireNonNull(error, "error");
        this.parameter = parameter;
        this.headers = Map.copyOf(headers);
        this.close = close;
    }

    static HttpError badRequest(String error, String message) {
        return new HttpError(HttpResponseStatus.BAD_REQUEST, error, message, null, Map.of(), false);
    }

    /** 400 naming the query parameter at fault. */
    static HttpError badParameter(String parameter, String message) {
        return new HttpError(HttpResponseStatus.BAD_REQUEST, "bad_parameter", message, parameter, Map.of(), false);
    }

    /** 401 with {@code WWW-Authenticate: Bearer}. */
    static HttpError unauthorized(String message) {
        return new HttpError(HttpResponseStatus.UNAUTHORIZED, "unauthorized", message, null,
                Map.of(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer"), false);
    }

    static HttpError forbidden(String message) {
        return new HttpError(HttpResponseStatus.FORBIDDEN, "forbidden", message, null, Map.of(), false);
    }

    static HttpError notFound(String message) {
        return new HttpError(HttpResponseStatus.NOT_FOUND, "not_found", message, null, Map.of(), false);
    }

    /** 405 with an {@code Allow} header listing {@code allowed}. */
    static HttpError methodNotAllowed(HttpMethod method, Collection<HttpMethod> allowed) {
        String allow = allowed.stream().map(HttpMethod::name).sorted().collect(Collectors.joining(", "));
        return new HttpError(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                method.name() + " is not allowed here; allowed: " + allow, null,
                Map.of(HttpHeaderNames.ALLOW.toString(), allow), false);
    }

    static HttpError tooLarge(String message, boolean close) {
        return new HttpError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", message, null, Map.of(),
                close);
    }

    /** A request the codec could not parse; the connection is closed after the answer. */
    static HttpError malformed(HttpResponseStatus status, String message) {
        return new HttpError(status, "malformed_request", message, null, Map.of(), true);
    }

    static HttpError unavailable(String message) {
        return new HttpError(HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable", message, null, Map.of(), false);
    }

    /**
     * 503 for a request whose answer did not start within the request timeout; the connection is closed after it
     * (the late answer, should it come, is dropped) and {@code Retry-After} says when to try again.
     */
    static HttpError timedOut(String message, long retryAfterSeconds) {
        return new HttpError(HttpResponseStatus.SERVICE_UNAVAILABLE, "timeout", message, null,
                Map.of(HttpHeaderNames.RETRY_AFTER.toString(), String.valueOf(retryAfterSeconds)), true);
    }

    static HttpError internal() {
        return new HttpError(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal", "internal error; see the log",
                null, Map.of(), false);
    }

    HttpResponseStatus status() {
        return status;
    }

    String error() {
        return error;
    }

    /** The query parameter at fault, or null. */
    String parameter() {
        return parameter;
    }

    /** The single mapping from a refusal to a response. */
    Response toResponse() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("message", getMessage());
        if (parameter != null) {
            body.put("parameter", parameter);
        }
        Response r = Response.json(status, body);
        for (Map.Entry<String, String> h : headers.entrySet()) {
            r = r.withHeader(h.getKey(), h.getValue());
        }
        return close ? r.closing() : r;
    }
}
