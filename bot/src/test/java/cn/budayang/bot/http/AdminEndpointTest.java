package cn.budayang.bot.http;

import cn.budayang.bot.Json;

import cn.budayang.bot.http.Fixtures.FakeAdminQueries;
import cn.budayang.bot.http.Fixtures.FakeReception;
import cn.budayang.bot.http.Fixtures.Resp;
import cn.budayang.bot.ticket.TicketStatus;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static cn.budayang.bot.http.Fixtures.next;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminEndpointTest {

    private final FakeAdminQueries admin = new FakeAdminQueries(List.of(Fixtures.ticket("1025"),
            Fixtures.ticket("1024")));

    private EmbeddedChannel channel(String adminToken) {
        return Fixtures.dispatcher(Fixtures.routes(false, adminToken, new FakeReception(), admin, Fixtures::health));
    }

    private static Resp get(EmbeddedChannel ch, String uri, String authorization) {
        FullHttpRequest req = Fixtures.get(uri);
        if (authorization != null) {
            req.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
        }
        ch.writeInbound(req);
        return next(ch);
    }

    private static Resp get(EmbeddedChannel ch, String uri) {
        return get(ch, uri, "Bearer " + Fixtures.ADMIN_TOKEN);
    }

    private static JsonNode json(Resp r) throws Exception {
        assertEquals("application/json; charset=utf-8", r.header(HttpHeaderNames.CONTENT_TYPE));
        return Json.mapper().readTree(r.body());
    }

    @Test
    void withoutTokenIs401WithBearerChallenge() {
        EmbeddedChannel ch = channel(Fixtures.ADMIN_TOKEN);
        Resp r = get(ch, "/api/tickets", null);
        assertEquals(401, r.status());
        assertEquals("Bearer", r.header(HttpHeaderNames.WWW_AUTHENTICATE));
        assertEquals(0, admin.calls.get());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void wrongTokenIs401() {
        EmbeddedChannel ch = channel(Fixtures.ADMIN_TOKEN);
        assertEquals(401, get(ch, "/api/tickets", "Bearer " + Fixtures.ADMIN_TOKEN + "x").status());
        assertEquals(401, get(ch, "/api/stats", "Basic " + Fixtures.ADMIN_TOKEN).status());
        assertEquals(401, get(ch, "/api/stats", "Bearer").status());
        assertEquals(0, admin.calls.get());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void unsetAdminTokenRefusesEveryApiRequest() {
        EmbeddedChannel ch = channel(null);
        assertEquals(401, get(ch, "/api/tickets").status());
        assertEquals(401, get(ch, "/api/stats", "Bearer ").status());
        assertEquals(401, get(ch, "/api/nothing-here").status());
        ch.writeInbound(Fixtures.request(HttpMethod.DELETE, "/api/tickets/1", new byte[0]));
        assertEquals(401, next(ch).status());
        assertEquals(0, admin.calls.get());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void ticketsWithTokenIs200JsonList() throws Exception {
        EmbeddedChannel ch = channel(Fixtures.ADMIN_TOKEN);
        Resp r = get(ch, "/api/tickets", "bearer " + Fixtures.ADMIN_TOKEN);
        assertEquals(200, r.status());
        JsonNode list = json(r);
        assertEquals(2, list.size());
        JsonNode first = list.get(0);
        assertEquals("1025", first.get("id").asText());
        assertEquals("admitted", first.get("status").asText());
        assertEquals(Fixtures.NOW.toString(), first.get("createdAt").asText());
        assertEquals("小区停车难", first.get("messages").get(0).get("text").asText());
        assertEquals(100, admin.lastQuery.limit());
        assertEquals(0, admin.lastQuery.offset());
        assertNull(admin.lastQuery.status());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void filtersAndPagingArePassedOn() throws Exception {
        EmbeddedChannel ch = channel(Fixtures.ADMIN_TOKEN);
        Resp r = get(ch, "/api/tickets?status=Assigned&group=G1&station=S%2F1&openId=o1&limit=1&offset=1");
        assertEquals(200, r.status());
        assertEquals(TicketStatus.ASSIGNED, admin.lastQuery.status());
        assertEquals("G1", admin.lastQuery.groupId());
        assertEquals("S/1", admin.lastQuery.stationId());
        assertEquals("o1", admin.lastQuery.openId());
        assertEquals(1, admin.lastQuery.limit());
        assertEquals(1, admin.lastQuery.offset());
        assertEquals("1024", json(r).get(0).get("id").asText());

        get(ch, "/api/tickets?status=&group=&limit=5000");
        assertNull(admin.lastQuery.status(), "empty parameters are absent");
        assertNull(admin.lastQuery.groupId());
        assertEquals(5000, admin.lastQuery.limit());
        assertFalse(ch.finishAndReleaseAll());
    }

    @ParameterizedTest
    @CsvSource({"limit=0,limit", "limit=5001,limit", "limit=ten,limit", "limit=-1,limit", "offset=-1,offset",
            "offset=1.5,offset", "status=bogus,status"})
    void badParametersAre400NamingTheParameter(String query, String parameter) throws Exception {
        EmbeddedChannel ch = channel(Fixtures.ADMIN_TOKEN);
        Resp r = get(ch, "/api/tickets?" + query);
        assertEquals(400, r.status());
        JsonNode body = json(r);
        assertEquals("bad_parameter", body.get("error").asText());
        assertEquals(parameter, body.get("parameter").asText());
        assertTrue(body.get("message").asText().contains(parameter), body.toString());
        assertEquals(0, admin.calls.get());
        assertFalse(ch.finishAndReleaseAll());
    }

    /**
     * Regression: unknown, misspelled and repeated parameters were ignored, and the unfiltered list came back as if
     * it were the filtered one.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            /api/tickets?grop=pro-urban                       | grop
            /api/tickets?stationID=zzz                        | stationID
            /api/tickets?from=&to=                            | from
            /api/tickets?status=assigned&status=escalated     | status
            /api/tickets?group=pro-urban&groupId=pro-finance  | groupId
            /api/stats?group=pro-urban                        | group
            /api/tickets/1024?verbose=1                       | verbose
            """)
    void unknownOrRepeatedParametersAre400NamingTheParameterAndTheAcceptedOnes(String uri, String parameter)
            throws Exception {
        EmbeddedChannel ch = channel(Fixtures.ADMIN_TOKEN);
        Resp r = get(ch, uri);
        assertEquals(400, r.status(), uri);
        JsonNode body = json(r);
        assertEquals("bad_parameter", body.get("error").asText());
        assertEquals(parameter, body.get("parameter").asText());
        String message = body.get("message").asText();
        assertTrue(message.contains(parameter), message);
        assertTrue(uri.startsWith("/api/tickets?") ? message.contains("status, group, station, openId, limit, offset")
                : message.contains("takes no parameters"), message);
        assertEquals(0, admin.calls.get());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void groupIdAndStationIdAreOtherNamesOfGroupAndStation() {
        EmbeddedChannel ch = channel(Fixtures.ADMIN_TOKEN);
        assertEquals(200, get(ch, "/api/tickets?groupId=pro-urban&stationId=S001").status());
        assertEquals("pro-urban", admin.lastQuery.groupId());
        assertEquals("S001", admin.lastQuery.stationId());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void oneTicketOr404() throws Exception {
        EmbeddedChannel ch = channel(Fixtures.ADMIN_TOKEN);
        Resp r = get(ch, "/api/tickets/1024");
        assertEquals(200, r.status());
        JsonNode t = json(r);
        assertEquals("1024", t.get("id").asText());
        assertEquals("admitted", t.get("history").get(0).get("status").asText());
        assertTrue(t.has("answers") && t.has("rating") && t.has("groupId") && t.has("stationId"));

        Resp missing = get(ch, "/api/tickets/9999");
        assertEquals(404, missing.status());
        assertEquals("not_found", json(missing).get("error").asText());
        assertEquals(404, get(ch, "/api/tickets/").status());
        assertEquals(404, get(ch, "/api/tickets/1024/history").status());
        assertEquals(404, get(ch, "/api/unknown").status());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void statsIs200JsonWithDurationsAsIso() throws Exception {
        EmbeddedChannel ch = channel(Fixtures.ADMIN_TOKEN);
        Resp r = get(ch, "/api/stats");
        assertEquals(200, r.status());
        JsonNode stats = json(r);
        assertEquals(2, stats.get("byStatus").get("admitted").asInt());
        assertEquals("PT1H30M", stats.get("medianFirstAnswer").asText());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void wrongMethodWithTokenIs405() {
        EmbeddedChannel ch = channel(Fixtures.ADMIN_TOKEN);
        FullHttpRequest req = Fixtures.request(HttpMethod.POST, "/api/tickets", new byte[0]);
        req.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + Fixtures.ADMIN_TOKEN);
        ch.writeInbound(req);
        Resp r = next(ch);
        assertEquals(405, r.status());
        assertEquals("GET", r.header(HttpHeaderNames.ALLOW));
        assertFalse(ch.finishAndReleaseAll());
    }
}
