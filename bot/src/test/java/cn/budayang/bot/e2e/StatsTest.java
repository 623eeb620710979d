package cn.budayang.bot.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /api/stats on the real server: what 解决率 and 满意率 count. */
class StatsTest {

    static final String CITIZEN = "oCitizen000000000000000000001";
    static final String CITIZEN2 = "oCitizen000000000000000000002";
    static final String YU = "oDeputyYu00000000000000000001";

    @TempDir
    Path data;

    /**
     * Regression: a rating of 未解决 cleared the ticket's rating and the statistics counted only tickets with one, so
     * every unsolved answer was left out and 解决率 and 满意率 were overstated (1.0 and 1.0 here, from 1 rated).
     */
    @Test
    void aTicketReopenedByUnsolvedCountsAsRatedNotSolvedUntilItsNextAnswerIsRated() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            assertTrue(bot.say(CITIZEN, "小区门口的下水道堵了，一下雨就积水，出门都要蹚水").contains("#1001"));
            assertTrue(bot.say(CITIZEN2, "我们小区门口的路灯坏了一个多星期，晚上黑漆漆的很危险").contains("#1002"));
            bot.say(YU, "#1001 已联系城管和排水公司，明天上午派人疏通下水道");
            bot.say(YU, "#1002 已联系城管，明天上午修复路灯，请放心");
            assertTrue(bot.say(CITIZEN, "3 未解决").contains("重新督办"));
            bot.say(CITIZEN2, "1 满意");

            JsonNode t1 = bot.admin("/api/tickets/1001");
            JsonNode t2 = bot.admin("/api/tickets/1002");
            assertEquals("escalated", t1.get("status").asText());
            assertTrue(t1.get("rating").isNull(), "the next answer is rated anew: " + t1);
            assertEquals(false, t1.get("latestRating").get("solved").asBoolean(), t1.toString());
            String group = t1.get("groupId").asText();
            assertEquals(group, t2.get("groupId").asText(), "both tickets are of one group");

            JsonNode stats = bot.admin("/api/stats");
            assertRates(stats, 2, 0.5, 0.5, "overall");
            assertRates(stats.get("byGroup").get(group), 2, 0.5, 0.5, "group " + group);
            assertRates(stats.get("byStation").get("none"), 2, 0.5, 0.5, "station none");

            // answered again: still counted by the rating that reopened it until the new answer is rated
            bot.say(YU, "#1001 排水公司已疏通，雨后已不再积水");
            assertRates(bot.admin("/api/stats"), 2, 0.5, 0.5, "answered again, not rated yet");
            bot.say(CITIZEN, "2 已解决");
            stats = bot.admin("/api/stats");
            assertRates(stats, 2, 1.0, 1.0, "re-rated");
            assertRates(stats.get("byGroup").get(group), 2, 1.0, 1.0, "re-rated, group " + group);
        }
    }

    private static void assertRates(JsonNode slice, int rated, double solved, double satisfied, String what) {
        assertEquals(rated, slice.get("rated").asInt(), what + ": " + slice);
        assertEquals(solved, slice.get("解决率").asDouble(), what + ": " + slice);
        assertEquals(satisfied, slice.get("满意率").asDouble(), what + ": " + slice);
    }
}
