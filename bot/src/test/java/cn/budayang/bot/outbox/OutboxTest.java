package cn.budayang.bot.outbox;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.classic.Level;
import org.slf4j.LoggerFactory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.budayang.bot.reception.Conversation;
import cn.budayang.bot.store.MapDbStore;
import cn.budayang.wechat.api.WeChatApiException;
import cn.budayang.wechat.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outbox on the real store, with a sender that WeChat's answers are played through. */
class OutboxTest {

    @TempDir
    Path data;

    @Test
    void aWindowRefusalForACallDuringWhichTheRecipientWroteIsRetriedNotParkedUntilTheyWriteAgain() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
        CountDownLatch calling = new CountDownLatch(1);
        CountDownLatch wrote = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        Outbox.Sender sender = new Outbox.Sender() {
            @Override
            public void sendText(String openId, String content) {
                if (calls.incrementAndGet() == 1) {
                    // the first call is under way when the recipient writes; WeChat then answers 45015
                    calling.countDown();
                    try {
                        wrote.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new WeChatApiException("/cgi-bin/message/custom/send", 45015, "response out of time limit");
                }
            }

            @Override
            public void sendNotice(String openId, String templateId, Map<String, String> data) {
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        String x = "oDeputyX";
        try (MapDbStore store = MapDbStore.open(data); Outbox outbox = new Outbox(store, sender, null, clock, pool)) {
            outbox.start();
            store.write(s -> {
                s.conversations().put(x, Conversation.fresh(x).inbound(clock.instant().minus(Duration.ofHours(47))));
                return null;
            }).join();
            List<Long> ids = store.write(s -> outbox.enqueue(s, x, "【群众留言 #1001】路灯不亮", null, "代表", "forward",
                    clock.instant(), new Outbox.Deliveries())).join();
            outbox.wake(ids);
            assertTrue(calling.await(10, TimeUnit.SECONDS));
            clock.advance(Duration.ofSeconds(1));
            store.write(s -> {
                s.conversations().put(x, s.conversations().get(x).orElseThrow().inbound(clock.instant()));
                return outbox.release(s, x, clock.instant());
            }).join();
            wrote.countDown();

            long id = ids.get(0);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < end && store.outbox().get(id).orElseThrow().state() != OutboxEntry.State.SENT) {
                Thread.sleep(20);
            }
            assertEquals(OutboxEntry.State.SENT, store.outbox().get(id).orElseThrow().state());
            assertEquals(2, calls.get());
            assertTrue(store.conversations().get(x).orElseThrow().windowOpen(clock.instant()),
                    "the window the recipient opened stays open");
        } finally {
            pool.shutdownNow();
        }
    }
    @Test
    void theKindOfAFailureIsKeptWithTheEntryAndAnEntryStoredWithoutOneReadsItFromItsErrcode() {
        Instant now = Instant.parse("2026-11-26T02:00:00Z");
        OutboxEntry e = OutboxEntry.text(31, "oDeputyX", "text", "1001", "代表 余宏超", "forward", now);
        // 40001 from the token endpoint: the AppSecret is wrong (a send's 40001 would be a stale token)
        OutboxEntry parked = e.with(OutboxEntry.State.PARKED, 1, null, new WeChatApiException("/cgi-bin/token",
                40001, "invalid credential"), now);
        OutboxEntry read = cn.budayang.bot.Json.read(cn.budayang.bot.Json.bytes(parked), OutboxEntry.class);
        assertEquals(parked, read);
        assertEquals(WeChatApiException.Kind.TOKEN, read.lastKind(), "kindOf(40001) as the client made it here");
        String old = new String(cn.budayang.bot.Json.bytes(parked), StandardCharsets.UTF_8)
                .replace(",\"lastErrorKind\":\"TOKEN\"", "");
        assertTrue(!old.contains("lastErrorKind"), old);
        assertEquals(WeChatApiException.Kind.TOKEN, cn.budayang.bot.Json.read(old.getBytes(StandardCharsets.UTF_8),
                OutboxEntry.class).lastKind());
    }

    @Test
    void textsRefusedForTheAccountsSettingsAreParkedAndSentAgainAfterARestart() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
        AtomicInteger refused = new AtomicInteger();
        Outbox.Sender whitelistMissing = new Outbox.Sender() {
            @Override
            public void sendText(String openId, String content) {
                refused.incrementAndGet();
                throw new WeChatApiException("/cgi-bin/token", 40164, "invalid ip 1.2.3.4, not in whitelist");
            }

            @Override
            public void sendNotice(String openId, String templateId, Map<String, String> data) {
            }
        };
        java.util.List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        Outbox.Sender fixed = new Outbox.Sender() {
            @Override
            public void sendText(String openId, String content) {
                sent.add(content);
            }

            @Override
            public void sendNotice(String openId, String templateId, Map<String, String> data) {
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (MapDbStore store = MapDbStore.open(data)) {
            long id;
            List<Long> told = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (Outbox outbox = new Outbox(store, whitelistMissing, null, clock, pool)) {
                outbox.onUndeliverable((s, e, now) -> {
                    told.add(e.id());
                    return List.of();
                });
                outbox.start();
                List<Long> ids = store.write(s -> outbox.enqueue(s, "oDeputyX", "【群众留言 #1001】路灯不亮", null,
                        "代表", "forward", clock.instant(), new Outbox.Deliveries())).join();
                outbox.wake(ids);
                id = ids.get(0);
                awaitState(store, id, OutboxEntry.State.PARKED);
                assertEquals(40164, store.outbox().get(id).orElseThrow().lastErrcode());
                assertEquals(1, refused.get(), "one attempt, no retry storm against a wrong setting");
                assertEquals(List.of(), told, "not the recipient's fault: no other deputy is tried instead");
            }
            // the operator adds the server's IP to the whitelist and restarts
            try (Outbox outbox = new Outbox(store, fixed, null, clock, Executors.newFixedThreadPool(2))) {
                outbox.start();
                awaitState(store, id, OutboxEntry.State.SENT);
                assertEquals(List.of("【群众留言 #1001】路灯不亮"), sent);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void onlyARefusalAboutTheRecipientPassesAForwardOnFailuresOfTheNetworkOrTheAccountRetryTheSameDeputy()
            throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
        // recipient -> what WeChat (or the network) answers every send to them
        Map<String, java.util.function.Supplier<RuntimeException>> answers = new java.util.LinkedHashMap<>();
        answers.put("oBusy", () -> new WeChatApiException("/cgi-bin/message/custom/send", -1, "system error"));
        answers.put("oDailyQuota", () -> new WeChatApiException("/cgi-bin/message/custom/send", 45009,
                "reach max api daily quota limit"));
        answers.put("oFrequency", () -> new WeChatApiException("/cgi-bin/message/custom/send", 45011,
                "api minute-quota reach limit"));
        answers.put("oStaleToken", () -> new WeChatApiException("/cgi-bin/message/custom/send", 40001,
                "invalid credential"));
        answers.put("oNetwork", () -> WeChatApiException.transport("/cgi-bin/message/custom/send",
                "I/O error: ConnectException (Connection refused)", null));
        answers.put("oUnknown", () -> new WeChatApiException("/cgi-bin/message/custom/send", 48004,
                "api forbidden for irregularities"));
        answers.put("oNotOurs", () -> new WeChatApiException("/cgi-bin/message/custom/send", 40003,
                "invalid openid"));
        answers.put("oBlacklisted", () -> new WeChatApiException("/cgi-bin/message/custom/send", 43019,
                "require remove blacklist"));
        Outbox.Sender sender = new Outbox.Sender() {
            @Override
            public void sendText(String openId, String content) {
                throw answers.get(openId).get();
            }

            @Override
            public void sendNotice(String openId, String templateId, Map<String, String> data) {
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (MapDbStore store = MapDbStore.open(data); Outbox outbox = new Outbox(store, sender, null, clock, pool)) {
            List<String> told = new CopyOnWriteArrayList<>();
            outbox.onUndeliverable((s, e, now) -> {
                told.add(e.openId());
                return List.of();
            });
            outbox.start();
            Map<String, Long> ids = new java.util.LinkedHashMap<>();
            for (String to : answers.keySet()) {
                ids.put(to, store.write(s -> outbox.enqueue(s, to, "【群众留言 #1001】路灯不亮", "1001", "代表 " + to,
                        "forward", clock.instant(), new Outbox.Deliveries())).join().get(0));
            }
            outbox.wake(List.copyOf(ids.values()));
            // well past the attempts that used to give up (about two minutes of back-off)
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < end && ids.values().stream().anyMatch(id -> {
                OutboxEntry e = store.outbox().get(id).orElseThrow();
                return e.state() == OutboxEntry.State.PENDING && e.attempts() <= Outbox.MAX_ATTEMPTS;
            })) {
                clock.advance(Duration.ofMinutes(1));
                Thread.sleep(30);
            }
            Thread.sleep(200);
            assertEquals(List.of("oNotOurs", "oBlacklisted"), told.stream().sorted(java.util.Comparator.comparing(
                    List.copyOf(answers.keySet())::indexOf)).toList(),
                    "only the recipient-specific refusals pass the question on");
            for (String to : List.of("oNotOurs", "oBlacklisted", "oUnknown")) {
                assertEquals(OutboxEntry.State.FAILED, store.outbox().get(ids.get(to)).orElseThrow().state(), to);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void textsAnOlderVersionParkedAfterMinutesOfAnOutageAreSentAtStart() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
        List<String> accepted = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (MapDbStore store = MapDbStore.open(data)) {
            // as an older version left them: parked after eight attempts, the errcode kept but not its kind
            Instant then = clock.instant().minus(Duration.ofDays(3));
            Map<Long, Integer> parked = Map.of(1L, -2, 2L, 45009, 3L, -1, 4L, 40001);
            store.write(s -> {
                parked.forEach((id, errcode) -> {
                    s.next("outbox");
                    s.outbox().put(id, new OutboxEntry(id, "oCitizen" + id, OutboxEntry.Kind.TEXT, "【代表答复 #100" + id
                            + "】已处理", "100" + id, "群众", "relay", OutboxEntry.State.PARKED, 8, 0, null, errcode,
                            "failed", null, then, then.plusSeconds(127), null));
                });
                return null;
            }).join();
            try (Outbox outbox = new Outbox(store, recording(accepted, new AtomicInteger(), n -> false, 0), null,
                    clock, pool)) {
                outbox.start();
                for (long id : parked.keySet()) {
                    awaitState(store, id, OutboxEntry.State.SENT);
                }
                assertEquals(4, accepted.size(), accepted.toString());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aForwardThatWouldWaitIsReportedUndeliverableAtOnceAndOtherTextsJustWait() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
        Outbox.Sender quiet = new Outbox.Sender() {
            @Override
            public void sendText(String openId, String content) {
            }

            @Override
            public void sendNotice(String openId, String templateId, Map<String, String> data) {
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        String away = "oDeputyAway";
        try (MapDbStore store = MapDbStore.open(data); Outbox outbox = new Outbox(store, quiet, null, clock, pool)) {
            List<OutboxEntry> told = new java.util.concurrent.CopyOnWriteArrayList<>();
            outbox.onUndeliverable((s, e, now) -> {
                told.add(e);
                return List.of();
            });
            outbox.start();
            store.write(s -> {
                s.conversations().put(away, Conversation.fresh(away).inbound(clock.instant()
                        .minus(Duration.ofHours(49))));
                return null;
            }).join();
            for (String purpose : List.of("relay", "remind", "escalate", "notify", "forward")) {
                store.write(s -> outbox.enqueue(s, away, "【留言 #1001】" + purpose, "1001", "代表", purpose,
                        clock.instant(), new Outbox.Deliveries())).join();
            }
            List<OutboxEntry> entries = store.outbox().scan(e -> e.openId().equals(away), false, 0, 10);
            assertEquals(5, entries.size(), entries.toString());
            assertTrue(entries.stream().allMatch(e -> e.state() == OutboxEntry.State.WAITING), entries.toString());
            assertEquals(1, told.size(), "only the forward is reported: " + told);
            assertEquals("forward", told.get(0).purpose());
            assertEquals(OutboxEntry.State.WAITING, told.get(0).state());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTextRefusedAsTooLongFailsOnceIsLoggedOnceAndNoOtherRecipientIsTried() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
        AtomicInteger calls = new AtomicInteger();
        Outbox.Sender refusesTheContent = recording(new CopyOnWriteArrayList<>(), calls, n -> true, 45002);
        Logger logger = (Logger) LoggerFactory.getLogger(Outbox.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (MapDbStore store = MapDbStore.open(data);
             Outbox outbox = new Outbox(store, refusesTheContent, null, clock, pool)) {
            List<Long> told = new java.util.concurrent.CopyOnWriteArrayList<>();
            outbox.onUndeliverable((s, e, now) -> {
                told.add(e.id());
                return List.of();
            });
            outbox.start();
            List<Long> ids = store.write(s -> outbox.enqueue(s, "oDeputyX", "【群众留言 #1001】路灯不亮", "1001",
                    "代表 余宏超", "forward", clock.instant(), new Outbox.Deliveries())).join();
            outbox.wake(ids);
            long id = ids.get(0);
            awaitState(store, id, OutboxEntry.State.FAILED);
            assertEquals(45002, store.outbox().get(id).orElseThrow().lastErrcode());
            Thread.sleep(200);
            assertEquals(1, calls.get(), "not retried: the same text would be refused again");
            assertEquals(List.of(), told, "the deputy is not unreachable: no other deputy is sent the same text");
            List<String> lines = logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("event=outbox_content_refused") && lines.get(0).contains("ticket=1001"),
                    lines.get(0));
        } finally {
            logger.detachAppender(logged);
            pool.shutdownNow();
        }
    }

    @Test
    void aSendCutShortByClosingTheOutboxIsNoOutageAndStaysPending() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
        CountDownLatch sending = new CountDownLatch(1);
        Outbox.Sender slow = new Outbox.Sender() {
            @Override
            public void sendText(String openId, String content) {
                sending.countDown();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    // as the API client reports a call cut short by shutdown
                    throw WeChatApiException.transport("/cgi-bin/message/custom/send", "interrupted", e);
                }
            }

            @Override
            public void sendNotice(String openId, String templateId, Map<String, String> data) {
            }
        };
        Logger logger = (Logger) LoggerFactory.getLogger(Outbox.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (MapDbStore store = MapDbStore.open(data)) {
            long id;
            try (Outbox outbox = new Outbox(store, slow, null, clock, pool)) {
                outbox.start();
                List<Long> ids = store.write(s -> outbox.enqueue(s, "oCitizen", "【代表答复 #1001】已修好", "1001",
                        "群众", "relay", clock.instant(), new Outbox.Deliveries())).join();
                outbox.wake(ids);
                id = ids.get(0);
                assertTrue(sending.await(5, TimeUnit.SECONDS));
            }
            store.write(s -> null).join();
            assertEquals(OutboxEntry.State.PENDING, store.outbox().get(id).orElseThrow().state(),
                    "sent again at the next start");
            List<String> warned = logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertEquals(List.of(), warned, "a shutdown is not an outage of the WeChat API");
        } finally {
            logger.detachAppender(logged);
            pool.shutdownNow();
        }
    }

    @Test
    void theHealthFiguresCountOnlyWhatTheStoreCommitted() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        // every send refused for the window: the entries wait, so the figures hold still
        Outbox.Sender outOfWindow = recording(new CopyOnWriteArrayList<>(), new AtomicInteger(), n -> true, 45015);
        try (MapDbStore store = MapDbStore.open(data);
             Outbox outbox = new Outbox(store, outOfWindow, null, clock, pool)) {
            outbox.start();
            CompletableFuture<Object> failed = store.write(s -> {
                outbox.enqueue(s, "oCitizen", "回执", null, "群众", "ack", clock.instant(), new Outbox.Deliveries());
                throw new IllegalStateException("a later step of the same call fails");
            });
            assertThrows(java.util.concurrent.CompletionException.class, failed::join);
            assertEquals(0, store.outbox().size(), "the call's writes are undone");
            assertEquals(0L, outbox.health().get("pending"), "and not counted");

            store.write(s -> outbox.enqueue(s, "oCitizen", "回执", null, "群众", "ack", clock.instant(),
                    new Outbox.Deliveries())).join();
            assertEquals(1, store.unfinishedOutbox().size());
            assertEquals(1L, outbox.health().get("pending"), "a committed entry is counted");
        } finally {
            pool.shutdownNow();
        }
    }

    /** A sender that records what WeChat accepted and refuses the calls (numbered from 1) {@code refuse} picks. */
    private static Outbox.Sender recording(List<String> accepted, AtomicInteger calls, IntPredicate refuse,
                                           int errcode) {
        return new Outbox.Sender() {
            @Override
            public void sendText(String openId, String content) {
                if (refuse.test(calls.incrementAndGet())) {
                    throw new WeChatApiException("/cgi-bin/message/custom/send", errcode, "refused by the test");
                }
                accepted.add(content);
            }

            @Override
            public void sendNotice(String openId, String templateId, Map<String, String> data) {
            }
        };
    }

    /** About 4,800 bytes of sentences: three parts. */
    private static String longAnswer(String mark) {
        return (mark + "已联系排水公司，明天上午来疏通，后天检查雨水篦子。").repeat(60);
    }

    @Test
    void aLongTextGoesAsNumberedPartsInOrderEachUsingOneOfTheRecipientsFiveMessages() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
        List<String> accepted = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        String x = "oCitizenX";
        try (MapDbStore store = MapDbStore.open(data);
             Outbox outbox = new Outbox(store, recording(accepted, calls, n -> false, 0), null, clock,
                     pool)) {
            outbox.start();
            store.write(s -> {
                s.conversations().put(x, Conversation.fresh(x).inbound(clock.instant()));
                return null;
            }).join();
            String first = longAnswer("甲");
            List<Long> ids = store.write(s -> outbox.enqueue(s, x, first, "1001", "群众", "relay", clock.instant(),
                    new Outbox.Deliveries())).join();
            outbox.wake(ids);
            awaitState(store, ids.get(0), OutboxEntry.State.SENT);
            assertEquals(3, accepted.size());
            for (int k = 0; k < 3; k++) {
                assertTrue(accepted.get(k).startsWith("(" + (k + 1) + "/3) "), accepted.get(k));
                assertTrue(accepted.get(k).getBytes(StandardCharsets.UTF_8).length <= TextLimit.MAX_BYTES);
            }
            assertEquals(first, String.join("", accepted.stream().map(p -> p.substring(6)).toList()));

            // three of five are used: another text of three parts waits for the recipient's next message, whole
            String second = longAnswer("乙");
            List<Long> more = store.write(s -> outbox.enqueue(s, x, second, "1001", "群众", "relay", clock.instant(),
                    new Outbox.Deliveries())).join();
            assertEquals(List.of(), more);
            long waiting = outboxTo(store, x).stream().filter(e -> e.state() == OutboxEntry.State.WAITING)
                    .findFirst().orElseThrow().id();
            Thread.sleep(200);
            assertEquals(3, calls.get(), "nothing of it was sent");

            clock.advance(Duration.ofMinutes(5));
            outbox.wake(store.write(s -> {
                s.conversations().put(x, s.conversations().get(x).orElseThrow().inbound(clock.instant()));
                return outbox.release(s, x, clock.instant());
            }).join());
            awaitState(store, waiting, OutboxEntry.State.SENT);
            assertEquals(6, accepted.size());
            assertTrue(accepted.get(3).startsWith("(1/3) 乙"), accepted.get(3));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTextCutShortByTheQuotaGoesOnWithItsNextPartWhenTheRecipientWritesNotFromTheFirst() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
        List<String> accepted = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        String x = "oCitizenX";
        try (MapDbStore store = MapDbStore.open(data);
             Outbox outbox = new Outbox(store, recording(accepted, calls, n -> n == 2, 45047), null,
                     clock, pool)) {
            outbox.start();
            store.write(s -> {
                s.conversations().put(x, Conversation.fresh(x).inbound(clock.instant()));
                return null;
            }).join();
            clock.advance(Duration.ofMinutes(1));
            String text = longAnswer("甲");
            List<Long> ids = store.write(s -> outbox.enqueue(s, x, text, "1001", "群众", "relay", clock.instant(),
                    new Outbox.Deliveries())).join();
            outbox.wake(ids);
            awaitState(store, ids.get(0), OutboxEntry.State.WAITING);
            assertEquals(1, accepted.size());

            clock.advance(Duration.ofMinutes(5));
            outbox.wake(store.write(s -> {
                s.conversations().put(x, s.conversations().get(x).orElseThrow().inbound(clock.instant()));
                return outbox.release(s, x, clock.instant());
            }).join());
            awaitState(store, ids.get(0), OutboxEntry.State.SENT);
            assertEquals(3, accepted.size(), "part 1 is not sent twice");
            assertTrue(accepted.get(0).startsWith("(1/3) ") && accepted.get(1).startsWith("(2/3) ")
                    && accepted.get(2).startsWith("(3/3) "));
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<OutboxEntry> outboxTo(MapDbStore store, String openId) {
        return store.outbox().scan(e -> e.openId().equals(openId), false, 0, 100);
    }

    private static void awaitState(MapDbStore store, long id, OutboxEntry.State state) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end && store.outbox().get(id).orElseThrow().state() != state) {
            Thread.sleep(20);
        }
        assertEquals(state, store.outbox().get(id).orElseThrow().state());
    }
}
