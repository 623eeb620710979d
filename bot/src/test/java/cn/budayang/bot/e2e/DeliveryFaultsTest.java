package cn.budayang.bot.e2e;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import cn.budayang.bot.outbox.Outbox;
import cn.budayang.bot.outbox.OutboxEntry;
import cn.budayang.wechat.testing.FakeWeChatApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real server against a fake WeChat API that fails the way WeChat and networks do: what the outbox does with
 * each kind of failure, what the ticket, the log and the health figures say, and what a restart resumes.
 */
class DeliveryFaultsTest {

    static final String CITIZEN = "oCitizen000000000000000000001";
    static final String YU = "oDeputyYu00000000000000000001";
    static final String QUESTION = "小区门口的下水道堵了，一下雨就积水，出门都要蹚水";

    @TempDir
    Path data;

    @Test
    void forwardsParkedBecauseTheTokenEndpointRefusedTheAppSecretAreSentAfterARestart() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            // a wrong AppSecret: the token endpoint answers 40001 (the same errcode a send gives for a stale token)
            bot.api.failAlways(FakeWeChatApi.TOKEN_PATH, 40001);
            assertTrue(bot.say(CITIZEN, QUESTION).contains("#1001"));
            LifecycleTest.await(() -> !entries(bot, e -> e.state() == OutboxEntry.State.PARKED).isEmpty()
                    && entries(bot, e -> e.state() == OutboxEntry.State.PENDING).isEmpty(),
                    "the texts parked for the settings error: " + entries(bot, e -> true));
            List<OutboxEntry> parked = entries(bot, e -> e.state() == OutboxEntry.State.PARKED);
            assertTrue(parked.stream().allMatch(e -> e.lastErrcode() == 40001), parked.toString());
            assertTrue(bot.api.sentTexts().isEmpty(), bot.api.sentTexts().toString());

            // the operator fixes WECHAT_APP_SECRET and restarts, as the log said
            bot.api.clearFailAlways(FakeWeChatApi.TOKEN_PATH);
            bot.restart();
            List<FakeWeChatApi.SentMessage> toYu = ReceptionFlowTest.awaitTo(bot, YU, 1);
            assertTrue(toYu.get(0).content().contains("#1001"), toYu.toString());
            LifecycleTest.await(() -> entries(bot, e -> "forward".equals(e.purpose())).stream()
                    .allMatch(e -> e.state() == OutboxEntry.State.SENT), "every parked forward sent");
            assertEquals(parked.size(), bot.api.sentTexts().size(), "each parked forward sent once");
            assertFalse(entries(bot, e -> e.state() == OutboxEntry.State.PARKED).stream().findAny().isPresent());
        }
    }

    @Test
    void aUsedUpDailyQuotaIsNotTheDeputysFaultTheQuestionIsNotPassedOnAndTheHistorySaysNothingUntrue() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            bot.api.failAlways(FakeWeChatApi.CUSTOM_SEND_PATH, 45009);
            assertTrue(bot.say(CITIZEN, QUESTION).contains("#1001"));
            LifecycleTest.await(() -> !forwards(bot).isEmpty(), "the forwards");
            int forwarded = forwards(bot).size();
            JsonNode before = bot.admin("/api/tickets/1001");
            // past the attempts that used to give up (about two minutes of back-off)
            advanceUntil(bot, Duration.ofSeconds(5), () -> forwards(bot).stream().allMatch(e ->
                    e.attempts() > 8 || e.state() != OutboxEntry.State.PENDING), "nine attempts of every forward");
            JsonNode t = bot.admin("/api/tickets/1001");
            List<String> notes = new java.util.ArrayList<>();
            t.get("history").forEach(h -> notes.add(h.get("event").asText() + " " + h.get("note").asText("")));
            assertTrue(notes.stream().noneMatch(n -> n.startsWith("skip") || n.contains("无法送达")), notes.toString());
            assertEquals(forwarded, forwards(bot).size(), "no other deputy was sent the question");
            assertEquals(before.get("forwardedTo"), t.get("forwardedTo"));

            // the quota is renewed: the same deputies get the question, once each, without a restart
            bot.api.clearFailAlways(FakeWeChatApi.CUSTOM_SEND_PATH);
            advanceUntil(bot, Duration.ofSeconds(30), () -> forwards(bot).stream()
                    .allMatch(e -> e.state() == OutboxEntry.State.SENT), "every forward sent");
            assertEquals(forwarded, bot.api.sentTexts().size(), bot.api.sentTexts().toString());
            assertTrue(ReceptionFlowTest.awaitTo(bot, YU, 1).get(0).content().contains("#1001"));
        }
    }

    @Test
    void anAnswerRelayedDuringAThreeMinuteOutageReachesTheConstituentWhenItEndsLoggedOnceAsItBeganAndEnded() {
        ListAppender<ILoggingEvent> logged = capture();
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            bot.say(CITIZEN, QUESTION);
            ReceptionFlowTest.awaitTo(bot, YU, 1);
            LifecycleTest.await(() -> entries(bot, e -> e.state() == OutboxEntry.State.PENDING).isEmpty(),
                    "the forwards sent");
            bot.api.outage(true);
            assertTrue(bot.say(YU, "#1001 已联系城管和排水公司，明天上午派人疏通下水道").contains("#1001"));
            LifecycleTest.await(() -> !relays(bot).isEmpty(), "the relay");
            // minutes of HTTP 503: more than the eight attempts (about two minutes) that used to give up for good
            advanceUntil(bot, Duration.ofSeconds(5), () -> relays(bot).get(0).attempts() > 8
                    || relays(bot).get(0).state() != OutboxEntry.State.PENDING, "nine attempts of the relay");
            OutboxEntry relay = relays(bot).get(0);
            assertEquals(OutboxEntry.State.PENDING, relay.state(), relay.toString());
            assertEquals(-2, relay.lastErrcode());
            assertEquals("HTTP status 503", relay.lastError());

            bot.api.outage(false);
            advanceUntil(bot, Duration.ofSeconds(30), () -> relays(bot).get(0).state() == OutboxEntry.State.SENT,
                    "the relay sent");
            List<FakeWeChatApi.SentMessage> toCitizen = ReceptionFlowTest.awaitTo(bot, CITIZEN, 1);
            assertEquals(1, toCitizen.size(), toCitizen.toString());
            assertTrue(toCitizen.get(0).content().contains("明天上午派人疏通"), toCitizen.toString());

            List<String> lines = outboxLines(logged, Level.INFO);
            List<String> failing = lines.stream().filter(l -> l.startsWith("event=outbox_delivery_failing")).toList();
            assertEquals(1, failing.size(), lines.toString());
            assertTrue(failing.get(0).contains("errcode=-2") && failing.get(0).contains("HTTP status 503")
                    && failing.get(0).contains("action="), failing.get(0));
            assertEquals(1, lines.stream().filter(l -> l.startsWith("event=outbox_delivery_recovered")).count(),
                    lines.toString());
            assertTrue(lines.stream().noneMatch(l -> l.startsWith("event=outbox_parked")), lines.toString());
        } finally {
            release(logged);
        }
    }

    @Test
    void aTextFailingForFortyEightHoursIsParkedVisiblyAndSentAfterTheRestartThatFollowsTheRepair() {
        ListAppender<ILoggingEvent> logged = capture();
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            bot.api.outage(true);
            assertTrue(bot.say(CITIZEN, QUESTION).contains("#1001"));
            LifecycleTest.await(() -> !forwards(bot).isEmpty(), "the forwards");
            advanceUntil(bot, Duration.ofSeconds(5), () -> forwards(bot).stream().allMatch(e -> e.attempts() >= 8),
                    "eight attempts of every forward");
            bot.clock.advance(Duration.ofHours(47));
            LifecycleTest.sleep(300);
            assertTrue(forwards(bot).stream().allMatch(e -> e.state() == OutboxEntry.State.PENDING),
                    "still retried after 47 h: " + forwards(bot));
            advanceUntil(bot, Duration.ofMinutes(5), () -> forwards(bot).stream()
                    .allMatch(e -> e.state() == OutboxEntry.State.PARKED), "the forwards parked after 48 h");

            JsonNode t = bot.admin("/api/tickets/1001");
            List<JsonNode> parked = new java.util.ArrayList<>();
            t.get("deliveries").forEach(d -> {
                if ("forward".equals(d.get("purpose").asText())) {
                    parked.add(d);
                }
            });
            assertTrue(!parked.isEmpty() && parked.stream().allMatch(d -> "parked".equals(d.get("state").asText())
                    && d.get("errcode").asInt() == -2), parked.toString());
            List<String> notes = new java.util.ArrayList<>();
            t.get("history").forEach(h -> notes.add(h.get("event").asText() + " " + h.get("note").asText("")));
            assertEquals(parked.size(), notes.stream().filter(n -> n.startsWith("parked ") && n.contains("48小时")
                    && n.contains("重启")).count(), notes.toString());
            List<String> parkLines = outboxLines(logged, Level.WARN).stream()
                    .filter(l -> l.startsWith("event=outbox_parked")).toList();
            assertEquals(parked.size(), parkLines.size(), parkLines.toString());
            assertTrue(parkLines.get(0).contains("ticket=1001") && parkLines.get(0).contains("recipient=\"代表 ")
                    && parkLines.get(0).contains("restart"), parkLines.get(0));
            assertTrue(bot.api.sentTexts().isEmpty());

            // the operator mends the network and restarts
            bot.api.outage(false);
            bot.restart();
            advanceUntil(bot, Duration.ofSeconds(5), () -> forwards(bot).stream()
                    .allMatch(e -> e.state() == OutboxEntry.State.SENT), "every parked forward sent after the restart");
            assertEquals(parked.size(), bot.api.sentTexts().size(), bot.api.sentTexts().toString());
        } finally {
            release(logged);
        }
    }

    @Test
    void aForwardRefusedForAnOpenidNotOfThisAccountSaysWhyOnTheTicketAndWhatToCheckInTheLog() {
        ListAppender<ILoggingEvent> logged = capture();
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            bot.api.failFor(YU, 40003);
            assertTrue(bot.say(CITIZEN, QUESTION).contains("#1001"));
            LifecycleTest.await(() -> forwards(bot).stream().anyMatch(e -> e.openId().equals(YU)
                    && e.state() == OutboxEntry.State.FAILED), "the forward to Yu refused");
            OutboxEntry refused = forwards(bot).stream().filter(e -> e.openId().equals(YU)).findFirst().orElseThrow();

            JsonNode shown = null;
            for (JsonNode d : bot.admin("/api/tickets/1001").get("deliveries")) {
                if (d.get("outboxId").asText().equals(String.valueOf(refused.id()))) {
                    shown = d;
                }
            }
            assertTrue(shown != null, "the delivery on the ticket");
            assertEquals("failed", shown.get("state").asText(), shown.toString());
            assertEquals(40003, shown.get("errcode").asInt(), shown.toString());
            assertTrue(shown.get("error").asText().startsWith("scripted failure for this openid"), shown.toString());

            List<String> failed = outboxLines(logged, Level.WARN).stream()
                    .filter(l -> l.startsWith("event=outbox_failed")).toList();
            assertEquals(1, failed.size(), failed.toString());
            String line = failed.get(0);
            assertTrue(line.contains("ticket=1001") && line.contains("purpose=forward")
                    && line.contains("recipient=\"" + refused.recipient() + "\"") && line.contains("errcode=40003")
                    && line.contains("reason=\"scripted failure for this openid")
                    && line.contains("deputies.json"), line);
            assertFalse(line.contains(YU), "no openid in the log: " + line);
        } finally {
            release(logged);
        }
    }

    @Test
    void healthzCountsTheOutboxAndAsksForAttentionWhileSendsFailOrTextsAreParked() throws Exception {
        try (BotHarness bot = new BotHarness(data)) {
            JsonNode h = health(bot);
            assertEquals("ok", h.get("status").asText(), h.toString());
            assertEquals(0, h.get("outbox").get("parked").asInt(), h.toString());
            assertTrue(h.get("outbox").get("failing").isNull(), h.toString());

            bot.say(YU, "绑定 274115");
            bot.api.outage(true);
            assertTrue(bot.say(CITIZEN, QUESTION).contains("#1001"));
            LifecycleTest.await(() -> health(bot).get("outbox").get("retrying").asInt() == forwards(bot).size()
                    && !forwards(bot).isEmpty(), "the forwards retrying");
            h = health(bot);
            assertEquals("attention", h.get("status").asText(), h.toString());
            assertEquals(0, h.get("outbox").get("pending").asInt(), h.toString());
            assertEquals("HTTP status 503", h.get("outbox").get("failing").get("reason").asText(), h.toString());
            assertEquals(-2, h.get("outbox").get("failing").get("errcode").asInt(), h.toString());

            bot.api.outage(false);
            advanceUntil(bot, Duration.ofSeconds(30), () -> forwards(bot).stream()
                    .allMatch(e -> e.state() == OutboxEntry.State.SENT), "every forward sent");
            h = health(bot);
            assertEquals("ok", h.get("status").asText(), h.toString());
            assertEquals(0, h.get("outbox").get("retrying").asInt(), h.toString());
            assertTrue(h.get("outbox").get("failing").isNull(), h.toString());

            // a settings error parks what is sent next: attention until a restart with the setting fixed sends it
            bot.api.invalidateTokens();
            bot.api.failAlways(FakeWeChatApi.TOKEN_PATH, 40125);
            bot.say(YU, "#1001 已联系城管和排水公司，明天上午派人疏通下水道");
            LifecycleTest.await(() -> health(bot).get("outbox").get("parked").asInt() > 0
                    && health(bot).get("outbox").get("pending").asInt() == 0, "the relay parked");
            assertEquals("attention", health(bot).get("status").asText());
            int parked = health(bot).get("outbox").get("parked").asInt();
            bot.api.clearFailAlways(FakeWeChatApi.TOKEN_PATH);
            bot.restart();
            LifecycleTest.await(() -> health(bot).get("outbox").get("parked").asInt() == 0
                    && health(bot).get("outbox").get("pending").asInt() == 0, "the parked texts sent");
            h = health(bot);
            assertEquals("ok", h.get("status").asText(), h.toString());
            assertEquals(parked, entries(bot, e -> e.state() == OutboxEntry.State.SENT).size()
                    - forwards(bot).size(), "every parked text was sent after the restart");
        }
    }

    static JsonNode health(BotHarness bot) {
        java.net.http.HttpResponse<String> r = bot.get("/healthz");
        assertEquals(200, r.statusCode(), r.body());
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(r.body(), e);
        }
    }

    /** Moves the clock by {@code step} until {@code done}, giving the outbox real milliseconds between steps. */
    static void advanceUntil(BotHarness bot, Duration step, BooleanSupplier done, String what) {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting: " + what + "; outbox " + entries(bot, e -> true));
            }
            bot.clock.advance(step);
            LifecycleTest.sleep(40);
        }
    }

    static List<OutboxEntry> relays(BotHarness bot) {
        return entries(bot, e -> "relay".equals(e.purpose()) && e.kind() == OutboxEntry.Kind.TEXT);
    }

    /** Records the outbox's log from INFO up (tests log from WARN up otherwise). */
    static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger logger = (Logger) LoggerFactory.getLogger(Outbox.class);
        logger.setLevel(Level.INFO);
        logger.addAppender(logged);
        return logged;
    }

    static void release(ListAppender<ILoggingEvent> logged) {
        Logger logger = (Logger) LoggerFactory.getLogger(Outbox.class);
        logger.detachAppender(logged);
        logger.setLevel(null);
    }

    /** The outbox's log lines at {@code level} or above. */
    static List<String> outboxLines(ListAppender<ILoggingEvent> logged, Level level) {
        synchronized (logged) {
            return logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(level))
                    .map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    static List<OutboxEntry> forwards(BotHarness bot) {
        return entries(bot, e -> "forward".equals(e.purpose()) && e.kind() == OutboxEntry.Kind.TEXT);
    }

    static List<OutboxEntry> entries(BotHarness bot, Predicate<OutboxEntry> filter) {
        return bot.app().store().outbox().scan(filter, false, 0, Integer.MAX_VALUE);
    }
}
