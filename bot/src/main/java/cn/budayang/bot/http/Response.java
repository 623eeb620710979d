package cn.budayang.bot.http;

import cn.budayang.bot.Json;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What to answer, without buffers: {@link HttpDispatcher} turns it into a Netty response on the event loop, so an
 * endpoint may build it on any thread and nothing leaks when the channel is already gone.
 *
 * @param headers     extra headers (Content-Type and Content-Length are set from the other fields)
 * @param close       close the connection after this response
 * @param undelivered run (on the application executor) when the response could not be written, or null
 */
record Response(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers,
                boolean close, Runnable undelivered) {

    static final String JSON = "application/json; charset=utf-8";
    static final String XML = "application/xml; charset=utf-8";
    static final String TEXT = "text/plain; charset=utf-8";

    /** WeChat's "received, nothing to say" answer (never encrypted). */
    static final Response SUCCESS = text(HttpResponseStatus.OK, "success");

    Response {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        headers = Map.copyOf(headers);
    }

    static Response json(HttpResponseStatus status, Object value) {
        return new Response(status, JSON, Json.bytes(value), Map.of(), false, null);
    }

    static Response text(HttpResponseStatus status, String text) {
        return new Response(status, TEXT, text.getBytes(StandardCharsets.UTF_8), Map.of(), false, null);
    }

    static Response xml(String xml) {
        return new Response(HttpResponseStatus.OK, XML, xml.getBytes(StandardCharsets.UTF_8), Map.of(), false, null);
    }

    Response withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Response(status, contentType, body, h, close, undelivered);
    }

    Response closing() {
        return new Response(status, contentType, body, headers, true, undelivered);
    }

    Response onUndelivered(Runnable action) {
        return new Response(status, contentType, body, headers, close, action);
    }

    String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
