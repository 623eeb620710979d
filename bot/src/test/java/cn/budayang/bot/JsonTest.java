package cn.budayang.bot;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JsonTest {

    record WithTime(Instant at, Duration took) {
    }

    static final class Empty {
    }

    @Test
    void javaTimeIsIso8601() throws Exception {
        assertEquals("{\"at\":\"2024-11-26T06:00:00Z\",\"took\":\"PT2M\"}", Json.mapper().writeValueAsString(
                new WithTime(Instant.parse("2024-11-26T06:00:00Z"), Duration.ofMinutes(2))));
    }

    @Test
    void emptyBeanIsAnEmptyObject() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("x", new Empty());
        assertEquals("{\"x\":{}}", Json.mapper().writeValueAsString(m));
    }

    @Test
    void ticketStatusUsesItsWireName() throws Exception {
        assertEquals("\"escalated\"",
                Json.mapper().writeValueAsString(cn.budayang.bot.ticket.TicketStatus.ESCALATED));
    }

    @Test
    void aConversationStoredBeforeOfferedChoicesExistedReadsWithNone() throws Exception {
        String stored = "{\"openId\":\"o1\",\"subscribed\":true,\"ticketIds\":[\"1001\"],\"forwarded\":[],"
                + "\"pending\":[],\"lastAnswered\":\"联络站几点开门\"}";
        cn.budayang.bot.reception.Conversation c = Json.read(stored.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                cn.budayang.bot.reception.Conversation.class);
        assertEquals(java.util.List.of(), c.choices());
        assertEquals(java.util.List.of("1001"), c.ticketIds());
        cn.budayang.bot.reception.Conversation offered = c.withChoices(java.util.List.of("faq-05", "faq-07"));
        assertEquals(offered, Json.read(Json.bytes(offered), cn.budayang.bot.reception.Conversation.class));
    }
}
