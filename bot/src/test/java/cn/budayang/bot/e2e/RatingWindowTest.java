package cn.budayang.bot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ten days a constituent has to rate an answer, on the real server with the clock the test moves. */
class RatingWindowTest {

    static final String CITIZEN = "oCitizen000000000000000000001";
    static final String YU = "oDeputyYu00000000000000000001";

    @TempDir
    Path data;

    /**
     * Regression: an answer whose relay was still waiting for the constituent (outside the 48-hour window) was
     * rated 基本满意 and counted solved ten days after the deputy gave it, though the constituent never saw it.
     */
    @Test
    void anAnswerIsRatedByDefaultOnlyTenDaysAfterItReachedTheConstituent() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            assertTrue(bot.say(CITIZEN, "小区门口的下水道堵了，一下雨就积水，出门都要蹚水").contains("#1001"));
            ReceptionFlowTest.awaitTo(bot, YU, 1);
            bot.api.failFor(CITIZEN, 45015);
            bot.say(YU, "#1001 已联系城管和排水公司，明天上午派人疏通下水道");
            LifecycleTest.await(() -> "waiting".equals(relay(bot).get("state").asText()),
                    "the relay waits for the constituent's next message");

            bot.clock.advance(Duration.ofDays(10).plusMinutes(1));
            bot.app().desk().tick().join();
            JsonNode t = bot.admin("/api/tickets/1001");
            assertEquals("answered", t.get("status").asText(), "never received: not rated " + t);
            assertTrue(t.get("rating").isNull(), t.toString());
            assertEquals(45015, relay(bot).get("errcode").asInt(), "the ticket shows why");
            assertEquals(0, bot.admin("/api/stats").get("rated").asInt());

            // the constituent writes: the answer reaches them now, and their ten days start
            bot.api.clearFailFor(CITIZEN);
            bot.say(CITIZEN, "你好");
            LifecycleTest.await(() -> "sent".equals(relay(bot).get("state").asText()), "the relay is sent");
            Instant delivered = Instant.parse(relay(bot).get("at").asText());
            assertEquals(bot.clock.instant(), delivered);
            assertTrue(bot.api.sentTexts().stream().anyMatch(m -> m.toUser().equals(CITIZEN)
                    && m.content().contains("疏通下水道")), "the answer reached the constituent");

            bot.clock.advance(Duration.ofDays(9));
            bot.app().desk().tick().join();
            assertEquals("answered", bot.admin("/api/tickets/1001").get("status").asText());

            bot.clock.advance(Duration.ofDays(1));
            bot.app().desk().tick().join();
            t = bot.admin("/api/tickets/1001");
            assertEquals("rated", t.get("status").asText(), t.toString());
            assertEquals(2, t.get("rating").get("satisfaction").asInt());
            assertEquals(bot.clock.instant(), Instant.parse(t.get("rating").get("at").asText()));
            assertEquals(1, bot.admin("/api/stats").get("rated").asInt());
        }
    }

    /** The relay of the ticket's latest answer, as its deliveries show it. */
    private static JsonNode relay(BotHarness bot) {
        List<JsonNode> relays = new ArrayList<>();
        bot.admin("/api/tickets/1001").get("deliveries").forEach(d -> {
            if ("relay".equals(d.get("purpose").asText())) {
                relays.add(d);
            }
        });
        assertTrue(!relays.isEmpty(), "a relay is recorded");
        return relays.get(relays.size() - 1);
    }
}
