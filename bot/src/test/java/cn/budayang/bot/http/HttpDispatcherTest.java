package cn.budayang.bot.http;

import cn.budayang.bot.http.Fixtures.FakeAdminQueries;
import cn.budayang.bot.http.Fixtures.FakeReception;
import cn.budayang.bot.http.Fixtures.Resp;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.timeout.IdleStateEvent;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static cn.budayang.bot.http.Fixtures.next;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpDispatcherTest {

    private static EmbeddedChannel channel(Supplier<Map<String, Object>> health) {
        return Fixtures.dispatcher(Fixtures.routes(false, Fixtures.ADMIN_TOKEN, new FakeReception(),
                new FakeAdminQueries(List.of()), health));
    }

    private static EmbeddedChannel channel() {
        return channel(Fixtures::health);
    }

    @Test
    void healthzIs200Json() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Fixtures.get("/healthz"));
        Resp r = next(ch);
        assertEquals(200, r.status());
        assertEquals("application/json; charset=utf-8", r.header(HttpHeaderNames.CONTENT_TYPE));
        assertEquals("{\"status\":\"ok\",\"tickets\":3}", r.body());
        assertEquals(String.valueOf(r.body().length()), r.header(HttpHeaderNames.CONTENT_LENGTH));
        assertTrue(ch.isActive(), "keep-alive by default in HTTP/1.1");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void healthzOtherThanOkIs503WithItsJson() {
        EmbeddedChannel ch = channel(() -> java.util.Map.of("status", "degraded"));
        ch.writeInbound(Fixtures.get("/healthz"));
        Resp r = next(ch);
        assertEquals(503, r.status());
        assertEquals("{\"status\":\"degraded\"}", r.body());
        assertTrue(ch.isActive());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void unknownPathIs404Json() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Fixtures.get("/nope?x=1"));
        Resp r = next(ch);
        assertEquals(404, r.status());
        assertEquals("application/json; charset=utf-8", r.header(HttpHeaderNames.CONTENT_TYPE));
        assertTrue(r.body().startsWith("{\"error\":\"not_found\",\"message\":"), r.body());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aBadPercentEscapeIs400AndTheConnectionServesOn() {
        EmbeddedChannel ch = channel();
        for (String uri : List.of("/healthz?x=%zz", "/wechat%", "/api/tickets?limit=%E4%B")) {
            ch.writeInbound(Fixtures.get(uri));
            Resp r = next(ch);
            assertEquals(400, r.status(), uri);
            assertTrue(r.body().startsWith("{\"error\":\"bad_uri\""), r.body());
            assertTrue(ch.isActive(), "the connection stays open: " + uri);
        }
        ch.writeInbound(Fixtures.get("/healthz"));
        assertEquals(200, next(ch).status());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void trailingSlashIsAnotherPath() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Fixtures.get("/healthz/"));
        assertEquals(404, next(ch).status());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void wrongMethodIs405WithAllow() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Fixtures.request(HttpMethod.PUT, "/wechat", new byte[0]));
        Resp r = next(ch);
        assertEquals(405, r.status());
        assertEquals("GET, POST", r.header(HttpHeaderNames.ALLOW));
        ch.writeInbound(Fixtures.request(HttpMethod.POST, "/healthz", new byte[0]));
        r = next(ch);
        assertEquals(405, r.status());
        assertEquals("GET", r.header(HttpHeaderNames.ALLOW));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void connectionCloseIsHonoured() {
        EmbeddedChannel ch = channel();
        FullHttpRequest req = Fixtures.get("/healthz");
        req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ch.writeInbound(req);
        Resp r = next(ch);
        assertEquals(200, r.status());
        assertEquals("close", r.header(HttpHeaderNames.CONNECTION));
        assertFalse(ch.isActive());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void unexpectedFailureIs500AndTheConnectionStays() {
        EmbeddedChannel ch = channel(() -> {
            throw new IllegalStateException("boom");
        });
        ch.writeInbound(Fixtures.get("/healthz"));
        Resp r = next(ch);
        assertEquals(500, r.status());
        assertFalse(r.body().contains("boom"), "internals are not shown");
        assertTrue(ch.isActive());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void idleEventClosesTheConnection() {
        EmbeddedChannel ch = channel();
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertFalse(ch.isActive());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void exceptionClosesTheConnection() {
        EmbeddedChannel ch = channel();
        ch.pipeline().fireExceptionCaught(new IllegalStateException("decoder bug"));
        assertFalse(ch.isActive());
        assertFalse(ch.finishAndReleaseAll());
    }
}
