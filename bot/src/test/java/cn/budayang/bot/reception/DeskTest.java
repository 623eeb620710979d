package cn.budayang.bot.reception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.spy;

import cn.budayang.bot.outbox.Outbox;
import cn.budayang.bot.outbox.OutboxEntry;
import cn.budayang.bot.store.MapDbStore;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.knowledge.Knowledge;
import cn.budayang.wechat.WeChatMessage;
import cn.budayang.wechat.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The desk on the real store and outbox: replies that miss the webhook's budget, and a decision that fails. */
class DeskTest {

    static final String CITIZEN = "oCitizen";
    static final String QUESTION = "小区门口的下水道堵了，一下雨就积水";

    @TempDir
    Path data;

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
    final AtomicLong msgIds = new AtomicLong(100);
    final List<String> sent = new CopyOnWriteArrayList<>();
    Knowledge knowledge;
    MapDbStore store;
    ExecutorService pool;
    Outbox outbox;

    @BeforeEach
    void open() {
        knowledge = Knowledge.bundled();
        store = MapDbStore.open(data);
        pool = Executors.newFixedThreadPool(2);
        outbox = new Outbox(store, new Outbox.Sender() {
            @Override
            public void sendText(String openId, String content) {
                sent.add(openId + " " + content);
            }

            @Override
            public void sendNotice(String openId, String templateId, Map<String, String> data) {
            }
        }, null, clock, pool);
        outbox.start();
    }

    @AfterEach
    void close() {
        outbox.close();
        pool.shutdownNow();
        store.close();
        knowledge.close();
    }

    private WeChatMessage text(String from, String content) {
        return new WeChatMessage.Text("gh", from, clock.instant().getEpochSecond(), msgIds.incrementAndGet(), content);
    }

    private List<OutboxEntry> outboxTo(String openId) {
        return store.outbox().scan(e -> e.openId().equals(openId), false, 0, 100);
    }

    @Test
    void aReplyWhoseBudgetPassesBeforeItsMessageIsStoredGoesByTheOutboxOnce() throws Exception {
        CountDownLatch routed = new CountDownLatch(1);
        ExecutorService routing = Executors.newSingleThreadExecutor();
        Executor slowRouting = r -> routing.execute(() -> {
            try {
                routed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            r.run();
        });
        try {
            Desk desk = new Desk(store, knowledge::current, new ConversationEngine(Duration.ofHours(24)), outbox,
                    slowRouting, clock);
            WeChatMessage m = text(CITIZEN, QUESTION);
            CompletableFuture<Optional<Reply>> reply = desk.receive(m);
            // the webhook's budget passes while the message is still being routed: it answered success
            desk.replyMissed(m);
            store.write(s -> null).join(); // the missed-reply write has run, before the message's own
            routed.countDown();
            assertTrue(reply.get(10, TimeUnit.SECONDS).isEmpty(), "the late reply is not given passively");

            List<OutboxEntry> replies = outboxTo(CITIZEN).stream().filter(e -> e.purpose().equals("reply")).toList();
            assertEquals(1, replies.size(), outboxTo(CITIZEN).toString());
            assertTrue(replies.get(0).text().contains("#1001"), replies.get(0).text());
            assertTrue(store.processed().get(m.dedupKey()).orElseThrow().replyByOutbox());

            // WeChat's retry of the same message answers success and sends nothing more
            desk.replyMissed(m);
            assertTrue(desk.receive(m).get(10, TimeUnit.SECONDS).isEmpty());
            store.write(s -> null).join();
            assertEquals(1, outboxTo(CITIZEN).stream().filter(e -> e.purpose().equals("reply")).count());
        } finally {
            routing.shutdownNow();
        }
    }

    @Test
    void aDecisionThatFailsLeavesTheTextsWaitingForTheSenderAsTheyWere() throws Exception {
        String deputy = "oUMLjpLrJzVTVjqGPr5f-ffMPfXL";
        ConversationEngine engine = spy(new ConversationEngine(Duration.ofHours(24)));
        doThrow(new IllegalStateException("a bug in the conversation")).when(engine).handle(any(),
                argThat(m -> m instanceof WeChatMessage.Text t && t.content().equals("出错")), any(), any());
        Desk desk = new Desk(store, knowledge::current, engine, outbox, Runnable::run, clock);

        // a text for someone who has not written for 48 hours waits for their next message
        desk.receive(text(deputy, "你好")).get(10, TimeUnit.SECONDS);
        clock.advance(Duration.ofHours(49));
        List<Long> ids = store.write(s -> outbox.enqueue(s, deputy, "【群众留言 #9999】路灯不亮", null, "代表",
                "forward", clock.instant(), new Outbox.Deliveries())).join();
        long id = ids.isEmpty() ? outboxTo(deputy).get(0).id() : ids.get(0);
        assertEquals(OutboxEntry.State.WAITING, store.outbox().get(id).orElseThrow().state());

        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> desk.receive(text(deputy, "出错")).get(10, TimeUnit.SECONDS));
        assertTrue(failed.getCause() instanceof IllegalStateException, failed.toString());
        assertEquals(OutboxEntry.State.WAITING, store.outbox().get(id).orElseThrow().state(), "nothing released");

        // their next message releases it and it is sent
        desk.receive(text(deputy, "收到")).get(10, TimeUnit.SECONDS);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end && store.outbox().get(id).orElseThrow().state() != OutboxEntry.State.SENT) {
            Thread.sleep(20);
        }
        assertEquals(OutboxEntry.State.SENT, store.outbox().get(id).orElseThrow().state());
        assertTrue(sent.stream().anyMatch(t -> t.startsWith(deputy) && t.contains("#9999")), sent.toString());
    }
    /** 余宏超: the urban deputy of st-03, by the openid of the sample city. */
    static final String YU = "oUMLjpLrJzVTVjqGPr5f-ffMPfXL";

    /**
     * The constituent scans st-03 and asks an urban question: it goes to the station's deputies, 余宏超 (urban) and
     * 周爱斌 and 彭玉峰 (of its area group). Returns the ticket.
     */
    private cn.budayang.bot.ticket.Ticket askAtStation03(Desk desk) throws Exception {
        desk.receive(new WeChatMessage.Subscribe("gh", CITIZEN, clock.instant().getEpochSecond(), "qrscene_st-03",
                "tk")).get(10, TimeUnit.SECONDS);
        assertTrue(desk.receive(text(CITIZEN, "我们小区垃圾堆了一个星期没人清运")).get(10, TimeUnit.SECONDS)
                .orElseThrow().toString().contains("#1001"));
        return store.tickets().get(1001L).orElseThrow();
    }

    /**
     * The forward to 余宏超 waits for him; the next urban deputy of the group, 石桂萍, got the question; the ticket says
     * so.
     */
    private void assertYuWasSkippedForAnotherDeputy(cn.budayang.bot.ticket.Ticket t) {
        List<OutboxEntry> toYu = outboxTo(YU).stream().filter(e -> "1001".equals(e.ticketId())).toList();
        assertEquals(1, toYu.size(), toYu.toString());
        assertEquals(OutboxEntry.State.WAITING, toYu.get(0).state(), "his copy still waits for his next message");
        assertTrue(t.history().stream().anyMatch(h -> h.event().equals("skip") && h.note().contains("余宏超")
                && h.note().contains("改为转给石桂萍")), t.history().toString());
        assertEquals(java.util.Set.of("dep-004", "dep-037", "dep-086", "dep-010"),
                java.util.Set.copyOf(t.forwardedTo()));
        List<OutboxEntry> toShi = outboxTo("o0X60baigpxmqtSfMLfiDV_eDeGH");
        assertEquals(1, toShi.size(), toShi.toString());
        assertEquals("forward", toShi.get(0).purpose());
        assertTrue(toShi.get(0).text().contains("#1001"), toShi.get(0).text());
        assertTrue(toShi.get(0).state() != OutboxEntry.State.WAITING, toShi.toString());
    }

    @Test
    void aForwardToADeputyOutsideTheWindowGoesToAnotherDeputyAndTheTicketSaysSo() throws Exception {
        Desk desk = new Desk(store, knowledge::current, new ConversationEngine(Duration.ofHours(24)), outbox,
                Runnable::run, clock);
        desk.receive(text(YU, "你好")).get(10, TimeUnit.SECONDS);
        clock.advance(Duration.ofHours(49));
        assertYuWasSkippedForAnotherDeputy(askAtStation03(desk));
    }

    @Test
    void aForwardToADeputyWhoseFiveMessagesAreUsedGoesToAnotherDeputyAndTheTicketSaysSo() throws Exception {
        Desk desk = new Desk(store, knowledge::current, new ConversationEngine(Duration.ofHours(24)), outbox,
                Runnable::run, clock);
        desk.receive(text(YU, "你好")).get(10, TimeUnit.SECONDS);
        // his window is open, and WeChat's five texts in it are sent
        for (int i = 1; i <= Conversation.WINDOW_QUOTA; i++) {
            String t = "【群众留言 #900" + i + "】路灯不亮";
            outbox.wake(store.write(s -> outbox.enqueue(s, YU, t, null, "代表", "forward", clock.instant(),
                    new Outbox.Deliveries())).join());
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end && outboxTo(YU).stream().filter(e -> e.state() == OutboxEntry.State.SENT)
                .count() < Conversation.WINDOW_QUOTA) {
            Thread.sleep(20);
        }
        assertEquals(Conversation.WINDOW_QUOTA, sent.stream().filter(s -> s.startsWith(YU)).count(), sent.toString());
        assertYuWasSkippedForAnotherDeputy(askAtStation03(desk));
    }

    /** Regression: a ticket reopened by 未解决 was no longer watched by the clock, so never reminded or escalated. */
    @Test
    void aReopenedTicketIsWatchedByTheClockAgainAlsoAfterARestart() throws Exception {
        String deputy = "oUMLjpLrJzVTVjqGPr5f-ffMPfXL"; // a deputy of the urban group
        ConversationEngine engine = new ConversationEngine(Duration.ofHours(24));
        Desk desk = new Desk(store, knowledge::current, engine, outbox, Runnable::run, clock);
        desk.receive(text(CITIZEN, QUESTION)).get(10, TimeUnit.SECONDS);
        desk.receive(text(deputy, "#1001 已安排疏通")).get(10, TimeUnit.SECONDS);
        clock.advance(Duration.ofHours(1));
        desk.receive(text(CITIZEN, "3 未解决")).get(10, TimeUnit.SECONDS);
        assertEquals(1, desk.watched());

        Desk restarted = new Desk(store, knowledge::current, engine, outbox, Runnable::run, clock);
        restarted.recover();
        assertEquals(1, restarted.watched());
        clock.advance(Duration.ofHours(12));
        assertEquals(1, restarted.tick().join(), "the reminder half-way to the new deadline");
        assertEquals("remind", lastEvent(store.tickets().get(1001L).orElseThrow()));
        clock.advance(Duration.ofHours(12));
        assertEquals(1, restarted.tick().join(), "督办 at the new deadline");
        assertEquals("escalate", lastEvent(store.tickets().get(1001L).orElseThrow()));
        assertTrue(store.tickets().get(1001L).orElseThrow().overdue());
        assertEquals(0, restarted.watched(), "once");
    }

    private static String lastEvent(Ticket t) {
        return t.history().get(t.history().size() - 1).event();
    }

    @Test
    void aMenuClickLetsThreeWaitingTextsThroughAndTheRestWaitOn() throws Exception {
        String deputy = "oUMLjpLrJzVTVjqGPr5f-ffMPfXL";
        Desk desk = new Desk(store, knowledge::current, new ConversationEngine(Duration.ofHours(24)), outbox,
                Runnable::run, clock);
        desk.receive(text(deputy, "你好")).get(10, TimeUnit.SECONDS);
        clock.advance(Duration.ofHours(49));
        for (int i = 1; i <= 4; i++) {
            String t = "【群众留言 #900" + i + "】路灯不亮";
            store.write(s -> outbox.enqueue(s, deputy, t, null, "代表", "forward", clock.instant(),
                    new Outbox.Deliveries())).join();
        }
        assertEquals(4, outboxTo(deputy).stream().filter(e -> e.state() == OutboxEntry.State.WAITING).count());

        desk.receive(new WeChatMessage.Click("gh", deputy, clock.instant().getEpochSecond(), "MENU_ASK"))
                .get(10, TimeUnit.SECONDS);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end && outboxTo(deputy).stream()
                .filter(e -> e.state() == OutboxEntry.State.SENT).count() < 3) {
            Thread.sleep(20);
        }
        List<OutboxEntry> entries = outboxTo(deputy);
        assertEquals(List.of(OutboxEntry.State.SENT, OutboxEntry.State.SENT, OutboxEntry.State.SENT,
                OutboxEntry.State.WAITING), entries.stream().map(OutboxEntry::state).toList(), entries.toString());
    }
}
