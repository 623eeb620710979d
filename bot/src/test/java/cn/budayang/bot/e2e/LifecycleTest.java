package cn.budayang.bot.e2e;

import cn.budayang.wechat.testing.FakeWeChatApi.SentMessage;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The suggestion lifecycle and delivery against the local fake WeChat API, with a clock the test moves. */
class LifecycleTest {

    static final String CITIZEN = "oCitizen000000000000000000001";
    static final String YU = "oDeputyYu00000000000000000001";
    static final String CHEN = "oDeputyChen000000000000000001";
    static final String QUESTION = "小区门口的下水道堵了，一下雨就积水，出门都要蹚水";

    @TempDir
    Path data;

    @Test
    void outOfWindowDeputyGetsANoticeAnotherDeputyGetsTheQuestionAndTheWaitingMessageArrivesWhenHeWrites() {
        try (BotHarness bot = new BotHarness(data, Duration.ofHours(24), "TPL-INVITE")) {
            bot.say(YU, "绑定 274115");
            bot.api.failFor(YU, 45015);
            assertTrue(bot.say(CITIZEN, QUESTION).contains("#1001"));

            List<?> notices = bot.api.awaitNotices(1, Duration.ofSeconds(10));
            assertEquals(YU, bot.api.notices().get(0).toUser(), notices.toString());
            assertEquals("TPL-INVITE", bot.api.notices().get(0).templateId());
            await(() -> deliveries(bot).stream().anyMatch(d -> "waiting".equals(d.get("state").asText())
                    && d.get("errcode").asInt() == 45015), "the ticket shows the waiting forward with 45015");
            JsonNode t = bot.admin("/api/tickets/1001");
            assertTrue(history(t).contains("skip"), "the unreachable deputy was skipped: " + t.get("history"));
            assertTrue(t.get("forwardedTo").size() >= 2, "another deputy got the question");
            assertTrue(bot.api.sentTexts().stream().noneMatch(m -> m.toUser().equals(YU)),
                    "45015 is never counted as delivered");

            bot.api.clearFailFor(YU);
            bot.say(YU, "我看到通知了");
            List<SentMessage> toYu = ReceptionFlowTest.awaitTo(bot, YU, 1);
            assertTrue(toYu.get(0).content().contains("#1001"), toYu.get(0).content());
            await(() -> deliveries(bot).stream().noneMatch(d -> "waiting".equals(d.get("state").asText())),
                    "nothing waits any more");
        }
    }

    @Test
    void anApiOutageOfAMinuteDelaysButLosesAndDuplicatesNothing() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            bot.api.outage(true);
            assertTrue(bot.say(CITIZEN, QUESTION).contains("#1001"));
            for (int s = 0; s < 60; s += 5) {
                bot.clock.advance(Duration.ofSeconds(5));
                sleep(60);
            }
            assertTrue(bot.api.sentTexts().isEmpty());
            bot.api.outage(false);
            // retries back off (1 s, 2 s, 4 s, ...): move the clock on until every forward went out
            for (int i = 0; i < 100 && !deliveries(bot).stream().allMatch(d -> "sent".equals(d.get("state")
                    .asText())); i++) {
                bot.clock.advance(Duration.ofSeconds(10));
                sleep(100);
            }
            ReceptionFlowTest.awaitTo(bot, YU, 1);
            sleep(300);
            Map<String, Long> perRecipient = bot.api.sentTexts().stream()
                    .collect(Collectors.groupingBy(SentMessage::toUser, Collectors.counting()));
            perRecipient.forEach((to, n) -> assertEquals(1L, n, "exactly one forward to " + to));
            assertTrue(deliveries(bot).stream().allMatch(d -> "sent".equals(d.get("state").asText())),
                    deliveries(bot).toString());
        }
    }

    @Test
    void aRestartInTheMiddleOfTheOutboxResumesIt() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            bot.api.outage(true);
            assertTrue(bot.say(CITIZEN, QUESTION).contains("#1001"));
            sleep(300);
            bot.restart();
            bot.api.outage(false);
            bot.clock.advance(Duration.ofMinutes(5));
            List<SentMessage> toYu = ReceptionFlowTest.awaitTo(bot, YU, 1);
            assertTrue(toYu.get(0).content().contains("#1001"));
            sleep(500);
            assertEquals(1, bot.api.sentTexts().stream().filter(m -> m.toUser().equals(YU)).count());
        }
    }

    @Test
    void aShortDeadlineIsKeptByTheServersOwnClockReminderFirst() {
        // no tick() by hand: the server's scheduler checks a 20 s deadline every 2 s (every 30 s for long ones)
        try (BotHarness bot = new BotHarness(data, Duration.ofSeconds(20), null)) {
            bot.say(YU, "绑定 274115");
            String accepted = bot.say(CITIZEN, QUESTION);
            assertTrue(accepted.contains("20秒"), accepted);
            ReceptionFlowTest.awaitTo(bot, YU, 1);
            bot.say(YU, "收到");

            bot.clock.advance(Duration.ofSeconds(11));
            List<SentMessage> toYu = ReceptionFlowTest.awaitTo(bot, YU, 2);
            assertTrue(toYu.get(1).content().contains("提醒"), toYu.get(1).content());
            assertEquals("assigned", bot.admin("/api/tickets/1001").get("status").asText());

            bot.clock.advance(Duration.ofSeconds(10));
            toYu = ReceptionFlowTest.awaitTo(bot, YU, 3);
            assertTrue(toYu.get(2).content().contains("督办"), toYu.get(2).content());
            assertEquals("escalated", bot.admin("/api/tickets/1001").get("status").asText());
        }
    }

    @Test
    void theClockRemindsAtHalfEscalatesOnceAndTheAdminApiFlagsOverdue() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            bot.say(CHEN, "绑定 528224");
            bot.say(CITIZEN, QUESTION);
            ReceptionFlowTest.awaitTo(bot, YU, 1);

            bot.clock.advance(Duration.ofHours(6));
            assertEquals(0, bot.app().desk().tick().join());
            bot.clock.advance(Duration.ofHours(6));
            assertEquals(1, bot.app().desk().tick().join());
            List<SentMessage> reminders = ReceptionFlowTest.awaitTo(bot, YU, 2);
            assertTrue(reminders.get(1).content().contains("提醒"), reminders.get(1).content());
            assertEquals(0, bot.app().desk().tick().join(), "one reminder only");
            bot.restart();
            assertEquals(0, bot.app().desk().tick().join(), "one reminder only, also after a restart");

            // the deputies keep their 48-hour window by writing; the deadline passes
            bot.say(YU, "收到");
            bot.clock.advance(Duration.ofHours(12));
            assertEquals(1, bot.app().desk().tick().join());
            JsonNode t = bot.admin("/api/tickets/1001");
            assertEquals("escalated", t.get("status").asText());
            assertTrue(t.get("overdue").asBoolean());
            List<SentMessage> toYu = ReceptionFlowTest.awaitTo(bot, YU, 3);
            assertTrue(toYu.get(2).content().contains("督办"), toYu.get(2).content());
            assertEquals(0, bot.app().desk().tick().join(), "never escalates twice");
            bot.restart();
            bot.clock.advance(Duration.ofDays(3));
            assertEquals(0, bot.app().desk().tick().join(), "never escalates twice");
            assertEquals(1, bot.admin("/api/stats").get("overdue").asInt());
            assertEquals(1, bot.admin("/api/tickets?status=escalated").size());

            // an answer after escalation still counts, but not as in time
            bot.say(YU, "#1001 已经派人疏通了");
            JsonNode stats = bot.admin("/api/stats");
            assertEquals(0.0, stats.get("响应率").asDouble());
            assertEquals(1, stats.get("byStatus").get("answered").asInt());
        }
    }

    @Test
    void claimDeclineAndARatingThatReopensShowInTheHistoryAndStats() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            bot.say(CITIZEN, QUESTION);
            assertTrue(bot.say(YU, "认领 #1001").contains("认领"));
            assertTrue(bot.say(YU, "非本组 #1001").contains("改派"));
            JsonNode t = bot.admin("/api/tickets/1001");
            assertFalse("pro-urban".equals(t.get("groupId").asText()));
            assertTrue(history(t).containsAll(List.of("admit", "assign", "claim", "decline")), history(t).toString());

            // an answer in time and a satisfied rating on a second ticket
            bot.say(CITIZEN, "新问题");
            bot.say(CITIZEN, "楼下饭店油烟直排，窗户都不敢开");
            bot.say(YU, "#1002 已通知城管执法，本周内整改");
            assertTrue(bot.say(CITIZEN, "3 未解决").contains("重新督办"));
            JsonNode second = bot.admin("/api/tickets/1002");
            assertEquals("escalated", second.get("status").asText());
            // the rating that reopened it stays in the history; the next answer is rated anew
            assertTrue(second.get("rating").isNull(), second.toString());
            assertTrue(second.get("history").toString().contains("不满意，未解决，重新督办"), second.toString());
            assertFalse(second.get("reopened").get("deadlineAt").isNull(), second.toString());

            // 不满意 alone, on a third ticket, is recorded and counts against 满意率, not 解决率
            bot.say(CITIZEN, "新问题");
            bot.say(CITIZEN, "小区门口的路灯坏了好几天，晚上太黑了");
            bot.say(YU, "#1003 已报修，本周更换灯泡");
            assertTrue(bot.say(CITIZEN, "3").contains("记录"));
            JsonNode stats = bot.admin("/api/stats");
            assertEquals(1.0, stats.get("响应率").asDouble());
            // 1002 counts by the rating that reopened it (not solved, 不满意), 1003 by its 不满意 alone (solved)
            assertEquals(2, stats.get("rated").asInt());
            assertEquals(0.0, stats.get("满意率").asDouble());
            assertEquals(0.5, stats.get("解决率").asDouble());
            assertTrue(stats.get("byGroup").has("pro-urban"));
            assertTrue(stats.get("medianFirstAnswerSeconds").isNumber());

            // the reopened ticket is declined and goes to another group: its clock starts again, and that group is
            // not credited with the first group's answer
            bot.clock.advance(Duration.ofHours(3));
            assertTrue(bot.say(YU, "非本组 #1002").contains("改派"));
            String group = bot.admin("/api/tickets/1002").get("groupId").asText();
            JsonNode after = bot.admin("/api/stats");
            JsonNode median = after.get("medianFirstAnswerSeconds");
            assertTrue(median.isNull() || median.asLong() >= 0, after.toString());
            assertEquals(0, after.get("byGroup").get(group).get("answeredInTime").asInt(), after.toString());
        }
    }

    private static List<JsonNode> deliveries(BotHarness bot) {
        List<JsonNode> out = new java.util.ArrayList<>();
        bot.admin("/api/tickets/1001").get("deliveries").forEach(out::add);
        return out;
    }

    private static List<String> history(JsonNode t) {
        List<String> out = new java.util.ArrayList<>();
        t.get("history").forEach(h -> out.add(h.get("event").asText()));
        return out;
    }

    static void await(BooleanSupplier condition, String what) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            sleep(25);
        }
        throw new AssertionError("timed out waiting: " + what);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
