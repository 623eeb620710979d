package cn.budayang.bot.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One request, copied out of Netty's reference-counted message so that it can cross threads: URL-decoded path,
 * the first value of each query parameter (and, in {@code repeated}, the names given more than once), a copy of the
 * headers and the body bytes; {@code uriProblem} says why the URI could not be decoded (then path and query are left
 * undecoded and empty), or is null.
 */
record Request(HttpMethod method, String uri, String path, Map<String, String> query, Set<String> repeated,
               HttpHeaders headers, byte[] body, boolean keepAlive, String uriProblem) {

    private static final byte[] EMPTY = new byte[0];

    static Request of(FullHttpRequest req) {
        byte[] body = new byte[req.content().readableBytes()];
        req.content().getBytes(req.content().readerIndex(), body);
        return head(req, body);
    }

    /** The request line and headers only, for requests whose body was refused. */
    static Request headOnly(HttpRequest req) {
        return head(req, EMPTY);
    }

    private static Request head(HttpRequest req, byte[] body) {
        QueryStringDecoder qs = new QueryStringDecoder(req.uri());
        Map<String, String> query = new LinkedHashMap<>();
        Set<String> repeated = new LinkedHashSet<>();
        String path;
        String problem = null;
        try {
            for (Map.Entry<String, List<String>> e : qs.parameters().entrySet()) {
                if (!e.getValue().isEmpty()) {
                    query.put(e.getKey(), e.getValue().get(0));
                }
                if (e.getValue().size() > 1) {
                    repeated.add(e.getKey());
                }
            }
            path = qs.path();
        } catch (IllegalArgumentException e) {
            // a bad %-escape: the dispatcher answers 400 (uriProblem); kept undecoded meanwhile
            query.clear();
            repeated.clear();
            path = qs.rawPath();
            problem = String.valueOf(e.getMessage());
        }
        HttpHeaders headers = new DefaultHttpHeaders().set(req.headers());
        return new Request(req.method(), req.uri(), path, Collections.unmodifiableMap(query),
                Collections.unmodifiableSet(repeated), headers, body,
                HttpUtil.isKeepAlive((HttpMessage) req), problem);
    }

    /** The header's first value, or null. */
    String header(CharSequence name) {
        return headers.get(name);
    }

    /** The query parameter's first value; null when absent or empty. */
    String param(String name) {
        String v = query.get(name);
        return v == null || v.isEmpty() ? null : v;
    }
}
