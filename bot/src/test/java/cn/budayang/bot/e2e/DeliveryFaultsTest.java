package cn.budayang.bot.e2e;

import cn.budayang.bot.outbox.OutboxEntry;
import cn.budayang.wechat.testing.FakeWeChatApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    static List<OutboxEntry> forwards(BotHarness bot) {
        return entries(bot, e -> "forward".equals(e.purpose()) && e.kind() == OutboxEntry.Kind.TEXT);
    }

    static List<OutboxEntry> entries(BotHarness bot, Predicate<OutboxEntry> filter) {
        return bot.app().store().outbox().scan(filter, false, 0, Integer.MAX_VALUE);
    }
}
