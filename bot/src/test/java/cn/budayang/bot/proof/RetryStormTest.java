package cn.budayang.bot.proof;

import cn.budayang.bot.outbox.OutboxEntry;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.knowledge.Deputy;
import cn.budayang.knowledge.KnowledgeBase;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.FakeWeChatApi.SentMessage;
import cn.budayang.wechat.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * WeChat retries a push it got no timely answer to, up to three times, and the retries can overlap. Here every
 * message — the constituents' questions and the deputies' answers — arrives three times at once: each question must
 * make exactly one ticket, each forward and each relay must be queued (and sent) exactly once, and the three copies
 * must get the same passive reply.
 */
class RetryStormTest {

    static final int MESSAGES = 1_000;
    static final int COPIES = 3;
    private static final Pattern TICKET_NO = Pattern.compile("#(\\d+)");

    @TempDir
    Path data;

    @Test
    void everyMessageSentThreeTimesAtOnceCausesOneTicketOneForwardAndOneRelay() throws Exception {
        try (FakeWeChatApi api = new FakeWeChatApi(); ProofBot bot = new ProofBot(ProofBot.config(data.resolve("db"), api, null)
                     .withKnowledgeDir(ProofBot.oneDeputyPerGroup(data.resolve("knowledge"))), api,
                     new MutableClock(ProofBot.START))) {
            ExecutorService pool = Executors.newFixedThreadPool(COPIES * 8);
            ThreadLocal<RawHttp> conn = ThreadLocal.withInitial(() -> new RawHttp(bot.port()));
            try {
                // 1. the questions, each thrice at once
                Map<String, byte[]> questions = new LinkedHashMap<>();
                for (int i = 0; i < MESSAGES; i++) {
                    String openId = String.format("oStormCitizen%015d", i);
                    questions.put(openId, bot.plaintext(bot.textXml(openId,
                            ProofBot.QUESTIONS.get(i % ProofBot.QUESTIONS.size()) + "（第" + i + "户）")));
                }
                long t0 = System.nanoTime();
                Map<String, String> acks = storm(pool, conn, bot, questions);
                Map<String, Ticket> byOpenId = new HashMap<>();
                for (Ticket t : bot.tickets()) {
                    if (byOpenId.put(t.openId(), t) != null) {
                        fail("two tickets for " + t.openId());
                    }
                }
                assertEquals(MESSAGES, byOpenId.size(), "one ticket per question");
                acks.forEach((openId, reply) -> assertEquals("#" + byOpenId.get(openId).id(), ticketNo(reply),
                        "the ack names the ticket of " + openId));

                System.out.printf("questions: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
                // 2. the deputies' answers, each thrice at once
                KnowledgeBase kb = bot.app().knowledge().current().base();
                Map<String, byte[]> answers = new LinkedHashMap<>();
                Map<String, String> answerer = new HashMap<>();
                for (Ticket t : byOpenId.values()) {
                    assertTrue(!t.forwardedTo().isEmpty(), "ticket " + t.id() + " was forwarded to nobody");
                    Deputy d = kb.deputy(t.forwardedTo().get(0)).orElseThrow();
                    answerer.put(t.id(), d.openId());
                    // the key is the ticket id: one deputy answers many tickets
                    answers.put(t.id(), bot.plaintext(bot.textXml(d.openId(), "#" + t.id() + " 已转交街道办，本周内处理")));
                }
                Map<String, String> recorded = storm(pool, conn, bot, answers);
                recorded.forEach((id, reply) -> assertTrue(reply.contains("已记录") && reply.contains("#" + id), reply));

                // 3. everything queued is delivered, once
                awaitDrained(bot, Duration.ofSeconds(90));
                List<Ticket> tickets = bot.tickets();
                assertEquals(MESSAGES, tickets.size(), "answers made no tickets");
                int forwards = 0;
                int relays = 0;
                for (Ticket t : tickets) {
                    assertEquals("answered", t.status().wireName(), t.id());
                    assertEquals(1, t.answers().size(), "one answer recorded on " + t.id());
                    assertEquals(1, t.forwardedTo().size(), "one deputy per group in this city: " + t.id());
                    Map<String, List<Ticket.Delivery>> byPurpose = t.deliveries().stream()
                            .collect(Collectors.groupingBy(Ticket.Delivery::purpose));
                    List<Ticket.Delivery> fwd = byPurpose.getOrDefault("forward", List.of());
                    assertEquals(t.forwardedTo().size(), fwd.size(), "one forward per deputy on " + t.id());
                    assertEquals(fwd.size(), fwd.stream().map(Ticket.Delivery::recipient).distinct().count(),
                            "no deputy got the forward twice on " + t.id());
                    assertEquals(1, byPurpose.getOrDefault("relay", List.of()).size(), "one relay on " + t.id());
                    forwards += fwd.size();
                    relays++;
                }
                // what the fake WeChat received: per (recipient, ticket, kind) exactly one text
                Map<String, Long> sends = api.sentTexts().stream().collect(Collectors.groupingBy(
                        RetryStormTest::sendKey, Collectors.counting()));
                sends.forEach((k, n) -> assertEquals(1L, n, "sent more than once: " + k));
                long relaySends = api.sentTexts().stream().filter(m -> m.content().startsWith("【代表答复")).count();
                assertEquals(MESSAGES, relaySends, "one relay text reached each constituent");
                Map<String, Long> perRecipient = api.sentTexts().stream().collect(Collectors.groupingBy(
                        SentMessage::toUser, Collectors.counting()));
                for (Ticket t : tickets) {
                    assertEquals(1L, perRecipient.get(t.openId()), "texts to constituent " + t.openId());
                }
                long forwardSends = api.sentTexts().stream().filter(m -> m.content().startsWith("【群众留言")).count();
                long forwardsParkedOrWaiting = tickets.stream().flatMap(t -> t.deliveries().stream())
                        .filter(d -> d.purpose().equals("forward") && !d.state().equals("sent")).count();
                assertEquals(forwards, forwardSends + forwardsParkedOrWaiting,
                        "every forward was sent once or is visibly waiting");
                System.out.printf("retry storm: %d questions x%d and %d answers x%d -> %d tickets, %d forwards "
                                + "(%d sent, %d waiting), %d relays; %d texts reached the fake WeChat%n",
                        MESSAGES, COPIES, MESSAGES, COPIES, tickets.size(), forwards, forwardSends,
                        forwardsParkedOrWaiting, relays, api.sentTexts().size());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Sends each request {@link #COPIES} times at once; checks the copies got the same reply; returns it by key. */
    private static Map<String, String> storm(ExecutorService pool, ThreadLocal<RawHttp> conn, ProofBot bot,
                                             Map<String, byte[]> requests) throws Exception {
        Map<String, List<Future<String>>> futures = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : requests.entrySet()) {
            CountDownLatch together = new CountDownLatch(COPIES);
            List<Future<String>> copies = new ArrayList<>();
            for (int c = 0; c < COPIES; c++) {
                copies.add(pool.submit(() -> {
                    together.countDown();
                    together.await(2, TimeUnit.SECONDS);
                    try {
                        return bot.contentOf(conn.get().exchange(e.getValue()));
                    } catch (IOException x) {
                        conn.get().close();
                        throw x;
                    }
                }));
            }
            futures.put(e.getKey(), copies);
        }
        Map<String, String> replies = new LinkedHashMap<>();
        for (Map.Entry<String, List<Future<String>>> e : futures.entrySet()) {
            List<String> texts = new ArrayList<>();
            for (Future<String> f : e.getValue()) {
                texts.add(f.get(60, TimeUnit.SECONDS));
            }
            assertEquals(1, texts.stream().distinct().count(), "copies of " + e.getKey() + " answered " + texts);
            assertTrue(!texts.get(0).equals("success"), "no passive reply for " + e.getKey());
            replies.put(e.getKey(), texts.get(0));
        }
        return replies;
    }

    private static String ticketNo(String reply) {
        Matcher m = TICKET_NO.matcher(reply);
        return m.find() ? m.group() : "(none in: " + reply + ")";
    }

    private static String sendKey(SentMessage m) {
        String kind = m.content().startsWith("【群众留言") ? "forward"
                : m.content().startsWith("【代表答复") ? "relay" : m.content().substring(0, Math.min(12,
                m.content().length()));
        return m.toUser() + " " + ticketNo(m.content()) + " " + kind;
    }

    static void awaitDrained(ProofBot bot, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        long t0 = System.nanoTime();
        while (bot.app().store().outbox().scan(e -> e.state() == OutboxEntry.State.PENDING, false, 0, 1).size() > 0) {
            if (System.nanoTime() > end) {
                List<OutboxEntry> pending = bot.app().store().outbox().scan(
                        e -> e.state() == OutboxEntry.State.PENDING, false, 0, Integer.MAX_VALUE);
                fail("outbox still has " + pending.size() + " pending entries after " + timeout + ", retried: "
                        + pending.stream().filter(e -> e.attempts() > 0).count() + ", first: "
                        + pending.subList(0, Math.min(3, pending.size())) + "; backlog " + bot.app().desk().watched());
            }
            Thread.sleep(50);
        }
        System.out.printf("outbox drained in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

}
