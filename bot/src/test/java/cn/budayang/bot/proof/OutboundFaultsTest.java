package cn.budayang.bot.proof;

import cn.budayang.bot.outbox.OutboxEntry;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.knowledge.Deputy;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.FakeWeChatApi.SentMessage;
import cn.budayang.wechat.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The fake WeChat API misbehaves — 5xx, no answer, 40001, 45015, 45047 — and nothing the bot owes anyone is dropped
 * silently: transient failures are retried with back-off (the test moves the clock through it), a rejected token is
 * refreshed, a recipient outside the 48-hour window or out of quota gets a subscribe notice and the message waits for
 * their next one, and retries that run out park the message visibly on the ticket.
 */
class OutboundFaultsTest {

    static final String TEMPLATE = "tmpl-proof-notice";
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    FakeWeChatApi api;
    MutableClock clock;
    ProofBot bot;
    Deputy urbanDeputy;

    @BeforeEach
    void start() {
        api = new FakeWeChatApi();
        clock = new MutableClock(ProofBot.START);
        bot = new ProofBot(ProofBot.config(dir.resolve("data"), api, TEMPLATE)
                .withKnowledgeDir(ProofBot.oneDeputyPerGroup(dir.resolve("knowledge"))), api, clock);
        urbanDeputy = bot.app().knowledge().current().base().deputiesOf("pro-urban").get(0);
    }

    @AfterEach
    void stop() {
        bot.close();
        api.close();
    }

    @Test
    void anOutageIsRetriedWithBackoffUntilWeChatAnswers() throws Exception {
        api.outage(true);
        String id = ask("oFaultOutage0000000000000001");
        OutboxEntry failing = await(() -> forward(id), e -> e.attempts() >= 2 && e.state() == OutboxEntry.State.PENDING,
                "the forward to be retried after HTTP 503", true);
        assertEquals(-2, failing.lastErrcode(), "a 5xx is a transport failure (errcode -2)");
        assertEquals("pending", delivery(id, "forward").state(), "the ticket shows the retry pending");
        api.outage(false);
        OutboxEntry sent = await(() -> forward(id), e -> e.state() == OutboxEntry.State.SENT, "the forward sent", true);
        assertTrue(sent.attempts() >= 3, "attempts " + sent.attempts());
        assertEquals(1, textsTo(urbanDeputy.openId(), "#" + id).size(), "sent once after the outage");
        assertEquals("sent", delivery(id, "forward").state());
    }

    @Test
    void aTimeoutIsRetried() throws Exception {
        bot.say("oFaultWarmUp000000000000001", "你好"); // token fetched before WeChat turns slow
        api.setDelay(Duration.ofSeconds(11)); // the client gives up after 10 s
        String id = ask("oFaultTimeout00000000000001");
        OutboxEntry timedOut = await(() -> forward(id), e -> e.attempts() >= 1, "the first attempt to time out",
                false);
        assertEquals(-2, timedOut.lastErrcode());
        assertTrue(timedOut.lastError().contains("no answer"), timedOut.lastError());
        api.setDelay(Duration.ZERO);
        await(() -> forward(id), e -> e.state() == OutboxEntry.State.SENT, "the forward sent after the timeout", true);
        // a send that timed out may still have arrived: at least once, never zero
        assertTrue(textsTo(urbanDeputy.openId(), "#" + id).size() >= 1);
    }

    @Test
    void aRejectedTokenIsRefreshedAndTheSendSucceedsAtOnce() throws Exception {
        bot.say("oFaultWarmUp000000000000002", "你好");
        String first = ask("oFaultToken00000000000000001");
        await(() -> forward(first), e -> e.state() == OutboxEntry.State.SENT, "the first forward", false);
        int tokens = api.tokenRequests();
        api.invalidateTokens(); // the next send with the cached token gets 40001
        String id = ask("oFaultToken00000000000000002");
        OutboxEntry sent = await(() -> forward(id), e -> e.state() == OutboxEntry.State.SENT, "the forward", false);
        assertEquals(1, sent.attempts(), "refreshed inside the same attempt");
        assertTrue(api.tokenRequests() > tokens, "a new token was fetched");
        assertTrue(api.requests(FakeWeChatApi.CUSTOM_SEND_PATH).stream()
                .anyMatch(r -> !r.queryMap().get("access_token").equals(api.currentToken())), "the old token was tried");
        assertEquals(1, textsTo(urbanDeputy.openId(), "#" + id).size());
    }

    @Test
    void outsideTheWindowTheRelayWaitsANoticeGoesOutAndTheNextMessageReleasesIt() throws Exception {
        relayWaitsForTheConstituent("oFaultWindow0000000000000001", 45015);
    }

    @Test
    void outOfQuotaTheRelayWaitsANoticeGoesOutAndTheNextMessageReleasesIt() throws Exception {
        relayWaitsForTheConstituent("oFaultQuota00000000000000001", 45047);
    }

    private void relayWaitsForTheConstituent(String citizen, int errcode) throws Exception {
        String id = ask(citizen);
        await(() -> forward(id), e -> e.state() == OutboxEntry.State.SENT, "the forward", false);
        api.failFor(citizen, errcode);
        String recorded = bot.say(urbanDeputy.openId(), "#" + id + " 已联系物业，周五前处理");
        assertTrue(recorded.contains("已记录"), recorded);
        OutboxEntry relay = await(() -> entry(id, "relay"), e -> e.state() == OutboxEntry.State.WAITING,
                "the relay to wait", false);
        assertEquals(errcode, relay.lastErrcode());
        Ticket.Delivery shown = delivery(id, "relay");
        assertEquals("waiting", shown.state(), "visible on the ticket");
        assertEquals(errcode, shown.errcode());
        api.awaitNotices(1, WAIT);
        assertEquals(citizen, api.notices().get(0).toUser());
        assertEquals(TEMPLATE, api.notices().get(0).templateId());
        long end = System.nanoTime() + WAIT.toNanos();
        while (bot.tickets().stream().filter(t -> t.id().equals(id)).findFirst().orElseThrow().deliveries()
                .stream().noneMatch(d -> d.purpose().endsWith("(notice)") && d.state().equals("sent"))) {
            assertTrue(System.nanoTime() < end, "the sent notice shows on the ticket");
            Thread.sleep(50);
        }
        assertEquals(List.of(), textsTo(citizen, "#" + id), "nothing reached the constituent yet");

        // the constituent writes again (the notice invited them): the waiting relay goes out
        api.clearFailFor(citizen);
        bot.say(citizen, "收到通知了");
        await(() -> entry(id, "relay"), e -> e.state() == OutboxEntry.State.SENT, "the released relay", false);
        List<SentMessage> got = textsTo(citizen, "#" + id);
        assertEquals(1, got.size(), got.toString());
        assertTrue(got.get(0).content().contains("周五前处理"));
        assertEquals("sent", delivery(id, "relay").state());
    }

    @Test
    void retriesThatRunOutParkTheMessageVisiblyOnTheTicket() throws Exception {
        api.outage(true);
        String id = ask("oFaultParked000000000000001");
        await(() -> forward(id), e -> e.attempts() >= 8, "eight attempts of the forward", true);
        // an outage is retried for 48 hours from the text's creation, then the text is parked until a restart
        clock.advance(Duration.ofHours(48));
        OutboxEntry parked = await(() -> forward(id), e -> e.state() == OutboxEntry.State.PARKED,
                "the forward to be parked after 48 hours", true);
        assertTrue(parked.attempts() > 8, "attempts " + parked.attempts());
        assertEquals(-2, parked.lastErrcode());
        Ticket.Delivery shown = delivery(id, "forward");
        assertEquals("parked", shown.state());
        assertEquals(-2, shown.errcode());
        api.outage(false);
        // every outbox entry is either sent or visibly not: nothing dropped silently
        for (OutboxEntry e : bot.app().store().outbox().scan(x -> true, false, 0, Integer.MAX_VALUE)) {
            if (e.state() != OutboxEntry.State.SENT) {
                assertNotNull(e.lastErrcode(), "an unsent entry without a reason: " + e);
            }
        }
    }

    // ---- helpers ----

    /** A constituent's question that becomes an urban-construction ticket; returns its id. */
    private String ask(String openId) {
        String ack = bot.say(openId, "小区门口的路灯坏了一个多星期，晚上黑漆漆的很危险");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("#(\\d+)").matcher(ack);
        assertTrue(m.find(), ack);
        return m.group(1);
    }

    private Optional<OutboxEntry> forward(String ticketId) {
        return entry(ticketId, "forward");
    }

    private Optional<OutboxEntry> entry(String ticketId, String purpose) {
        return bot.app().store().outbox().scan(e -> ticketId.equals(e.ticketId()) && e.purpose().equals(purpose)
                && e.kind() == OutboxEntry.Kind.TEXT, false, 0, 1).stream().findFirst();
    }

    private Ticket.Delivery delivery(String ticketId, String purpose) {
        Ticket t = bot.tickets().stream().filter(x -> x.id().equals(ticketId)).findFirst().orElseThrow();
        return t.deliveries().stream().filter(d -> d.purpose().equals(purpose)).reduce((a, b) -> b).orElseThrow(
                () -> new AssertionError("no " + purpose + " delivery on " + t.deliveries()));
    }

    private List<SentMessage> textsTo(String openId, String containing) {
        return api.sentTexts().stream().filter(m -> m.toUser().equals(openId) && m.content().contains(containing))
                .toList();
    }

    /**
     * Polls until the entry matches; with {@code moveClock} it also moves the clock 5 s per poll so back-offs
     * (1 s, 2 s, 4 s … between attempts) pass in real milliseconds.
     */
    private OutboxEntry await(Supplier<Optional<OutboxEntry>> entry, Predicate<OutboxEntry> done, String what,
                              boolean moveClock) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        Optional<OutboxEntry> last = Optional.empty();
        while (System.nanoTime() < end) {
            last = entry.get();
            if (last.isPresent() && done.test(last.get())) {
                return last.get();
            }
            if (moveClock) {
                clock.advance(Duration.ofSeconds(5));
            }
            Thread.sleep(moveClock ? 150 : 50);
        }
        fail("waited " + WAIT + " for " + what + "; entry is " + last);
        return null;
    }
}
