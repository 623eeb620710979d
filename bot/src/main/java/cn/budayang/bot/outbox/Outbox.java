package cn.budayang.bot.outbox;

import cn.budayang.bot.QuietWarnings;
import cn.budayang.bot.outbox.OutboxEntry.Kind;
import cn.budayang.bot.outbox.OutboxEntry.State;
import cn.budayang.bot.reception.Conversation;
import cn.budayang.bot.store.Store;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.wechat.api.WeChatApiException;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Everything the bot sends to WeChat, persisted first and delivered after: entries are created inside the store
 * write that caused them, handed over with {@link #wake} after its commit, sent on a small pool, and their fate
 * (sent, waiting for the recipient's 48-hour window, failed with an errcode, parked after retries) is stored on the
 * entry and on its ticket. A restart resumes every pending and parked entry ({@link #start}); an entry whose send was
 * cut short by a crash is sent again (at least once).
 *
 * <p>Temporary failures (the network, HTTP errors, -1 busy, 45009/45011 rate limits, tokens refused again and again)
 * are retried for the same recipient with back-off doubling up to {@link #MAX_BACKOFF}, for {@link #MAX_AGE} from the
 * entry's creation, release or resumption ({@link OutboxEntry#retriedSince()}); then the entry is parked until the
 * next start. The first failure of such an outage is logged once, with what to do, and its end once; a send cut
 * short by {@link #close} is none.
 *
 * <p>WeChat's customer-service rule: a message reaches only someone who wrote within 48 hours, 5 per window. Entries
 * for someone known to be outside it wait ({@code WAITING}), a subscribe notice invites them to write (when a
 * template is configured), and their next message releases the waiting entries.
 *
 * <p>A text longer than WeChat accepts in one message is sent as its numbered parts ({@link TextLimit#split}), in
 * order, one entry still: each part counts as one of the five, a text waits whole when its parts do not fit in what
 * is left, and one cut short (45047 after some parts) goes on with its next part.
 */
public final class Outbox implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Outbox.class);
    /**
     * Attempts an entry has at least before it may be parked for its age, and the most a refusal for the recipient's
     * window is tried again at once when they wrote during the call.
     */
    static final int MAX_ATTEMPTS = 8;
    /**
     * How long temporary failures (network, HTTP errors, busy, rate limits, tokens) are retried, from the entry's
     * creation: a text to a constituent or a deputy is worth sending for at least the 48-hour customer-service window.
     * After that it is parked until the next start.
     */
    static final Duration MAX_AGE = Duration.ofHours(48);
    /**
     * Waiting texts worth a subscribe notice (each notice uses one of the recipient's consents): questions, answers,
     * reminders and escalations. Courtesy notes (someone else answered, claimed) just wait for the next message.
     */
    static final Set<String> INVITE_FOR = Set.of("forward", "relay", "remind", "escalate", "reply");
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    private static final DateTimeFormatter NOTICE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")
            .withZone(ZoneId.of("Asia/Shanghai"));

    /** The outbound calls; the WeChat API client in production, the same client against a local fake in tests. */
    public interface Sender {
        void sendText(String openId, String content);

        void sendNotice(String openId, String templateId, Map<String, String> data);
    }

    /**
     * Told, inside the store write that records it, that a text could not be delivered to its recipient (waiting for
     * the recipient's window, or refused for good for a reason about that recipient; never for failures of the
     * network, the account or the text); returns ids of entries it created, to be sent after the commit.
     */
    public interface Undeliverable {
        List<Long> handle(Store s, OutboxEntry entry, Instant now);
    }

    /** Told, inside the store write that records it, that WeChat accepted a text (every part of it). */
    public interface Delivered {
        void handle(Store s, OutboxEntry entry, Instant now);
    }

    private final Store store;
    private final Sender sender;
    private volatile Undeliverable undeliverable = (s, e, now) -> List.of();
    private volatile Delivered delivered = (s, e, now) -> { };
    private final String noticeTemplateId;
    private final Clock clock;
    private final ExecutorService pool;
    private final DelayQueue<Due> queue = new DelayQueue<>();
    private final Set<Long> queued = ConcurrentHashMap.newKeySet();
    /**
     * openid → messages (texts, or parts of long ones) sent since that person last wrote (WeChat allows {@value
     * Conversation#WINDOW_QUOTA}). Kept in
     * memory: after a restart the count starts again, and WeChat's 45047 then tells what the count would have.
     */
    private final Map<String, Integer> sentInWindow = Caffeine.newBuilder()
            .expireAfterWrite(Conversation.WINDOW).maximumSize(1_000_000).<String, Integer>build().asMap();
    /** openid → ids of entries waiting for that person's next message. Maintained on the writer thread. */
    private final Map<String, Set<Long>> waiting = new ConcurrentHashMap<>();
    private final Thread dispatcher;
    /** Errors a wrong setting repeats for every send: one a minute (every parked text shows it too). */
    private final QuietWarnings quiet = new QuietWarnings(log);
    /**
     * The temporary failure that sends are running into now, from its first until the next text WeChat accepts; null
     * while sends go through. Logged once when it begins and once when it ends, not once per entry and attempt.
     */
    private final AtomicReference<Outage> outage = new AtomicReference<>();
    private volatile boolean closed;

    /** Temporary failures since {@code since}: the first one's errcode, API path and reason, and how many followed. */
    private record Outage(Instant since, int errcode, String apiPath, String reason, AtomicLong failures) {
    }

    public Outbox(Store store, Sender sender, String noticeTemplateId, Clock clock, ExecutorService pool) {
        this.store = store;
        this.sender = sender;
        this.noticeTemplateId = noticeTemplateId;
        this.clock = clock;
        this.pool = pool;
        this.dispatcher = new Thread(this::dispatch, "outbox-dispatcher");
        this.dispatcher.setDaemon(true);
    }

    /** Sets who is told about undeliverable texts (the desk, which forwards to another deputy). */
    public void onUndeliverable(Undeliverable handler) {
        this.undeliverable = handler;
    }

    /** Sets who is told about delivered texts (the desk, which starts an answer's rating window). */
    public void onDelivered(Delivered handler) {
        this.delivered = handler;
    }

    /**
     * Loads pending and waiting entries from the store and starts delivering. Parked entries are pending again: a
     * restart is what an operator does after mending what parked them, the account's settings (a failure of {@link
     * WeChatApiException.Kind#CONFIG}, as the client classified it: 40001 from the token endpoint is a wrong AppSecret
     * there, a stale token from a send) or an outage that outlasted {@link #MAX_AGE} (and entries that older versions
     * gave up on after a few minutes of one).
     */
    public void start() {
        List<OutboxEntry> parked = new ArrayList<>();
        // the unfinished entries only (read through the store's index): failed ones are counted from this start on
        for (OutboxEntry e : store.unfinishedOutbox()) {
            counted(null, e);
            if (e.state() == State.PENDING) {
                schedule(e.id(), e.nextAttemptAt());
            } else if (e.state() == State.WAITING) {
                waiting.computeIfAbsent(e.openId(), k -> ConcurrentHashMap.newKeySet()).add(e.id());
            } else {
                parked.add(e);
            }
        }
        if (!parked.isEmpty()) {
            Instant now = clock.instant();
            store.write(s -> {
                for (OutboxEntry e : parked) {
                    put(s, e, e.resumed(now));
                }
                return null;
            }).join();
            parked.forEach(e -> schedule(e.id(), now));
            log.info("event=outbox_resumed parked={} action=\"none: texts parked before this start (settings errors, "
                    + "outages longer than {} h) are sent again now\"", parked.size(), MAX_AGE.toHours());
        }
        dispatcher.start();
    }

    /**
     * Creates the entry (inside a store write) for a text to {@code openId}: pending when the recipient can be
     * reached, waiting otherwise (with a subscribe notice when one is configured and none is already out). Records
     * the delivery on the ticket. A forward (purpose {@code forward}) created waiting is also reported as
     * undeliverable at once, as a refusal by WeChat would be: its question goes to another deputy meanwhile. Returns
     * the ids to {@link #wake} after the commit.
     */
    public List<Long> enqueue(Store s, String openId, String text, String ticketId, String recipient,
                              String purpose, Instant now, Deliveries deliveries) {
        long id = s.next("outbox");
        Conversation c = s.conversations().get(openId).orElseGet(() -> Conversation.fresh(openId));
        OutboxEntry e = OutboxEntry.text(id, openId, text, ticketId, recipient, purpose, now);
        List<Long> wake = new ArrayList<>();
        boolean waits = !reachable(c, e.partsLeft(), now);
        if (!waits) {
            wake.add(id);
        } else {
            e = e.with(State.WAITING, 0, now, null, "outside the 48-hour window", now);
            wake.addAll(wait(s, e, now, deliveries));
        }
        put(s, null, e);
        deliveries.add(e);
        if (waits && REPLACED_WHEN_WAITING.equals(purpose)) {
            // the ticket lists its deliveries in the order they were made: this write's so far, then the replacement's
            deliveries.flush(s);
            wake.addAll(undeliverable.handle(s, e, now));
        }
        return wake;
    }

    /** The purpose of texts that another recipient takes over when they would wait: a question for a deputy. */
    static final String REPLACED_WHEN_WAITING = "forward";

    /**
     * Whether a text of {@code parts} messages to this person can go out now, as far as we know: never-seen openids
     * are tried (WeChat answers 45015 if their window is closed); known ones need a message within 48 hours and quota
     * left for all its parts (for a text of more parts than a window allows, a fresh window).
     */
    private boolean reachable(Conversation c, int parts, Instant now) {
        return c.windowOpen(now) && (c.lastInboundAt() == null || sentInWindow.getOrDefault(c.openId(), 0)
                + Math.min(parts, Conversation.WINDOW_QUOTA) <= Conversation.WINDOW_QUOTA);
    }

    /** The recipient wrote: their waiting entries become pending (up to WeChat's quota). Inside a store write. */
    public List<Long> release(Store s, String openId, Instant now) {
        sentInWindow.remove(openId);
        return release(s, openId, now, Conversation.WINDOW_QUOTA);
    }

    /**
     * The recipient followed the account, scanned one of its QR codes or clicked a menu: WeChat lets {@value
     * #EVENT_QUOTA} texts reach them within the next minute, so that many waiting entries become pending (the
     * 48-hour window is not opened by these). Inside a store write.
     */
    public List<Long> releaseForEvent(Store s, String openId, Instant now) {
        return release(s, openId, now, EVENT_QUOTA);
    }

    /** Texts WeChat lets through in the minute after a follow, a QR scan or a menu click. */
    static final int EVENT_QUOTA = 3;

    /** Makes waiting entries pending, oldest first, while their parts fit in {@code quota} messages. */
    private List<Long> release(Store s, String openId, Instant now, int quota) {
        Set<Long> ids = waiting.remove(openId);
        if (ids == null || ids.isEmpty()) {
            return List.of();
        }
        List<Long> wake = new ArrayList<>();
        List<Long> sorted = new ArrayList<>(ids);
        sorted.sort(null);
        int left = quota;
        for (Long id : sorted) {
            Optional<OutboxEntry> e = s.outbox().get(id);
            if (e.isEmpty() || e.get().state() != State.WAITING) {
                continue;
            }
            // a text of more parts than the quota goes first in a window of its own, as far as it gets
            int parts = Math.min(e.get().partsLeft(), quota);
            if (parts > left) {
                // the rest keep their order: none overtakes a text that waits
                left = 0;
                waiting.computeIfAbsent(openId, k -> ConcurrentHashMap.newKeySet()).add(id);
                continue;
            }
            left -= parts;
            OutboxEntry next = e.get().resumed(now);
            put(s, e.get(), next);
            wake.add(id);
        }
        return wake;
    }

    /** Schedules committed entries for sending now. Call after the write that created them completed. */
    public void wake(Collection<Long> ids) {
        Instant now = clock.instant();
        for (Long id : ids) {
            schedule(id, now);
        }
    }

    private List<Long> wait(Store s, OutboxEntry e, Instant now, Deliveries deliveries) {
        Set<Long> set = waiting.computeIfAbsent(e.openId(), k -> ConcurrentHashMap.newKeySet());
        boolean first = set.isEmpty();
        set.add(e.id());
        if (!first || noticeTemplateId == null || e.kind() == Kind.NOTICE || !INVITE_FOR.contains(e.purpose())) {
            return List.of();
        }
        long noticeId = s.next("outbox");
        OutboxEntry notice = new OutboxEntry(noticeId, e.openId(), Kind.NOTICE, noticeText(e), e.ticketId(),
                e.recipient(), "invite", State.PENDING, 0, 0, now, null, null, null, now, now, null);
        put(s, null, notice);
        deliveries.add(notice);
        return List.of(noticeId);
    }

    private static String noticeText(OutboxEntry e) {
        return e.ticketId() == null ? "您有一条新消息，请进入公众号查看" : "留言#" + e.ticketId() + "有新消息";
    }

    private void schedule(long id, Instant at) {
        if (queued.add(id)) {
            queue.add(new Due(id, at, clock));
        }
    }

    private void dispatch() {
        while (!closed) {
            Due due;
            try {
                due = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (due == null) {
                continue;
            }
            try {
                pool.execute(() -> send(due.id));
            } catch (RuntimeException rejected) {
                queued.remove(due.id);
                return;
            }
        }
    }

    private void send(long id) {
        if (closed) {
            return;
        }
        Optional<OutboxEntry> found = store.outbox().get(id);
        if (found.isEmpty() || found.get().state() != State.PENDING) {
            queued.remove(id);
            return;
        }
        OutboxEntry e = found.get();
        Instant started = clock.instant();
        Result result;
        int parts = 0;
        try {
            if (e.kind() == Kind.NOTICE) {
                Map<String, String> data = new LinkedHashMap<>();
                data.put("thing1", truncate(e.text(), 20));
                data.put("time2", NOTICE_TIME.format(clock.instant()));
                sender.sendNotice(e.openId(), noticeTemplateId, data);
            } else {
                // one part after the other, in order; a refusal stops the rest
                List<String> all = TextLimit.split(e.text());
                for (int k = e.partsSent(); k < all.size(); k++) {
                    sender.sendText(e.openId(), all.get(k));
                    parts++;
                }
            }
            result = new Result(null, started, parts);
        } catch (WeChatApiException x) {
            result = new Result(x, started, parts);
        } catch (RuntimeException x) {
            result = new Result(new WeChatApiException("outbox", WeChatApiException.TRANSPORT_ERRCODE,
                    x.toString()), started, parts);
        }
        Result r = result;
        store.write(s -> settle(s, id, r)).whenComplete((settled, err) -> {
            queued.remove(id);
            if (err != null) {
                log.error("event=outbox_settle_failed id={} error=\"{}\" action=\"the entry stays pending and is "
                        + "retried after restart\"", id, err.toString());
                return;
            }
            if (settled.again() != null) {
                schedule(id, settled.again());
            }
            wake(settled.wake());
        });
    }

    /** When to try this entry again (or null), and entries created meanwhile, to send after the commit. */
    private record Settled(Instant again, List<Long> wake) {
    }

    /** What one attempt came to (no error: sent), when it started, and how many parts of a text WeChat accepted. */
    private record Result(WeChatApiException error, Instant startedAt, int parts) {
    }

    /** Stores what became of one attempt. Runs on the writer thread. */
    private Settled settle(Store s, long id, Result r) {
        Optional<OutboxEntry> found = s.outbox().get(id);
        if (found.isEmpty()) {
            return new Settled(null, List.of());
        }
        List<Long> wake = new ArrayList<>();
        OutboxEntry e = found.get().withPartsSent(found.get().partsSent() + r.parts());
        Instant now = clock.instant();
        int tries = e.attempts() + 1;
        OutboxEntry next;
        Instant again = null;
        if (r.parts() > 0) {
            sentInWindow.merge(e.openId(), r.parts(), Integer::sum);
        }
        if (r.error == null) {
            next = e.with(State.SENT, tries, null, null, null, now);
            recovered(now);
        } else {
            WeChatApiException x = r.error;
            switch (x.kind()) {
                case OUT_OF_WINDOW, QUOTA_EXHAUSTED, NOT_FOLLOWING -> {
                    Instant wrote = s.conversations().get(e.openId()).map(Conversation::lastInboundAt).orElse(null);
                    boolean wroteMeanwhile = wrote != null && !wrote.isBefore(r.startedAt());
                    if (e.kind() != Kind.NOTICE && wroteMeanwhile && tries < MAX_ATTEMPTS) {
                        // the recipient wrote while the call was under way: their window and quota are new, the
                        // refusal is about the state before; try again now instead of waiting for yet another message
                        next = e.with(State.PENDING, tries, now, x, now);
                        again = now;
                    } else if (e.kind() == Kind.NOTICE) {
                        next = e.with(State.FAILED, tries, null, x, now);
                    } else {
                        next = e.with(State.WAITING, tries, null, x, now);
                        if (x.kind() == WeChatApiException.Kind.QUOTA_EXHAUSTED) {
                            sentInWindow.put(e.openId(), Conversation.WINDOW_QUOTA);
                        } else {
                            // what we knew was wrong: remember the window is closed for this person
                            Conversation c = s.conversations().get(e.openId()).orElseGet(() ->
                                    Conversation.fresh(e.openId()));
                            if (c.windowOpen(now)) {
                                s.conversations().put(e.openId(), c.windowClosed(now));
                            }
                        }
                        Deliveries notices = new Deliveries();
                        wake.addAll(wait(s, next, now, notices));
                        notices.flush(s);
                    }
                }
                default -> {
                    if (x.retryable() && (tries < MAX_ATTEMPTS || now.isBefore(e.retriedSince().plus(MAX_AGE)))) {
                        // the network or the account, not this text: the same recipient again, later and later
                        again = now.plus(backoff(tries));
                        next = e.with(State.PENDING, tries, again, x, now);
                        failing(x, now);
                    } else if (x.retryable()) {
                        failing(x, now);
                        next = e.with(State.PARKED, tries, null, x, now);
                        log.warn("event=outbox_parked id={} ticket={} purpose={} recipient=\"{}\" errcode={} "
                                + "reason=\"{}\" attempts={} action=\"temporary failures went on for {} h: the text "
                                + "is put aside; mend the cause ({}) and restart the server: parked texts are sent "
                                + "again at start\"", id, e.ticketId(), e.purpose(), e.recipient(), x.errcode(),
                                x.errmsg(), tries, MAX_AGE.toHours(), remedy(x));
                        notePark(s, next, now);
                    } else if (x.kind() == WeChatApiException.Kind.CONFIG) {
                        // the account's settings are wrong (AppID, AppSecret, IP whitelist): nothing about this text;
                        // it is parked and sent again when the server restarts with the settings fixed
                        next = e.with(State.PARKED, tries, null, x, now);
                        quiet.error("outbox_config_error", "errcode=" + x.errcode() + " errmsg=\"" + x.errmsg()
                                + "\" action=\"fix WECHAT_APP_ID / WECHAT_APP_SECRET or add this server's egress IP to "
                                + "the account's API IP whitelist (40164), then restart: texts parked for this are "
                                + "sent again at start\"");
                    } else if (x.kind() == WeChatApiException.Kind.CONTENT_TOO_LONG) {
                        // about the text, not its recipient: the same text would be refused again, to anyone
                        next = e.with(State.FAILED, tries, null, x, now);
                        log.warn("event=outbox_content_refused id={} ticket={} purpose={} errcode={} action=\"WeChat "
                                + "refused the text as too long: not retried, no other recipient tried; the ticket's "
                                + "deliveries show it failed\"", id, e.ticketId(), e.purpose(), x.errcode());
                    } else {
                        next = e.with(State.FAILED, tries, null, x, now);
                        log.warn("event=outbox_failed id={} ticket={} purpose={} recipient=\"{}\" errcode={} kind={} "
                                + "reason=\"{}\" action=\"{}\"", id, e.ticketId(), e.purpose() + (e.kind()
                                == Kind.NOTICE ? " (notice)" : ""), e.recipient(), x.errcode(), x.kind(), x.errmsg(),
                                refusalRemedy(e, x));
                    }
                }
            }
        }
        put(s, found.get(), next);
        if (next.kind() == Kind.TEXT && next.state() == State.SENT) {
            delivered.handle(s, next, now);
        }
        // only a refusal about this recipient (window, quota, not following, blacklisted, an openid not of this
        // account) lets another recipient take over; the network, the account's limits, tokens or settings and the
        // text itself would fail anyone else the same way, and "unreachable" would be untrue
        boolean aboutTheRecipient = r.error != null && r.error.aboutTheRecipient();
        if (next.kind() == Kind.TEXT && aboutTheRecipient && (next.state() == State.WAITING
                || next.state() == State.FAILED || next.state() == State.PARKED)) {
            wake.addAll(undeliverable.handle(s, next, now));
        }
        return new Settled(again, wake);
    }


    /** A temporary failure: the first of an outage is logged, with what to do; the others are counted. */
    private void failing(WeChatApiException x, Instant now) {
        if (closed) {
            // a send cut short because the server stops: the text stays pending for the next start, no outage
            return;
        }
        Outage current = outage.get();
        if (current != null) {
            current.failures().incrementAndGet();
            return;
        }
        Outage started = new Outage(now, x.errcode(), x.apiPath(), x.errmsg(), new AtomicLong(1));
        if (outage.compareAndSet(null, started)) {
            log.warn("event=outbox_delivery_failing errcode={} api={} reason=\"{}\" action=\"{}; every text is kept "
                    + "and retried with back-off (at most {} min apart) for {} h from when it could be sent, then "
                    + "parked until a restart; the end of this is logged as event=outbox_delivery_recovered\"", x.errcode(),
                    x.apiPath(), x.errmsg(), remedy(x), MAX_BACKOFF.toMinutes(), MAX_AGE.toHours());
        }
    }

    /** A text went through: an outage under way is over, and texts backing off from it go now. */
    private void recovered(Instant now) {
        Outage over = outage.getAndSet(null);
        if (over == null) {
            return;
        }
        log.info("event=outbox_delivery_recovered failing_since={} seconds={} failed_attempts={} first_errcode={} "
                + "action=\"none: texts held meanwhile are being sent\"", over.since(),
                Duration.between(over.since(), now).toSeconds(), over.failures().get(), over.errcode());
        hurry(now);
    }

    /** Entries backing off from failed attempts are due now. */
    private void hurry(Instant now) {
        for (Due d : queue) {
            if (d.at.isAfter(now) && queue.remove(d)) {
                queue.add(new Due(d.id, now, clock));
            }
        }
    }

    /** What an operator can do about a temporary failure. */
    static String remedy(WeChatApiException x) {
        return switch (x.kind()) {
            case TRANSPORT -> x.errmsg() != null && x.errmsg().startsWith("HTTP status")
                    ? "WeChat's API (or a proxy on the way) answers with HTTP errors: usually it passes by itself; "
                    + "check WECHAT_API_BASE and any egress proxy if it lasts"
                    : "check this server's network access to WECHAT_API_BASE (DNS, firewall, egress proxy)";
            case BUSY -> "WeChat reports itself busy: usually it passes by itself";
            case RATE_LIMITED -> x.errcode() == 45009
                    ? "the account's daily API quota is used up: it is renewed at midnight (Beijing time), or can be "
                    + "reset in the Official Account platform (clear_quota)"
                    : "the account calls the API too often a minute: it passes by itself; check that no other system "
                    + "sends with this AppID";
            case TOKEN -> "WeChat keeps refusing fresh access_tokens: make sure no other server or tool fetches "
                    + "tokens for this AppID (each fetch ends the previous token)";
            default -> "see WeChat's errcode " + x.errcode();
        };
    }

    /** What an operator can do about a refusal for good (the text is not sent again). */
    static String refusalRemedy(OutboxEntry e, WeChatApiException x) {
        boolean deputy = e.recipient() != null && e.recipient().startsWith("代表");
        String fate = e.kind() == Kind.NOTICE ? "the notice is not sent again; the text it announces still waits"
                : "the text is not sent again; the ticket's deliveries show it failed";
        String what = switch (x.kind()) {
            case INVALID_OPENID -> deputy
                    ? "the deputy's openid is not one of this account's: check this deputy's openId in deputies.json "
                    + "(or have them send 绑定 <bindCode> again from the WeChat they use)"
                    : "the openid is not one of this account's: was WECHAT_APP_ID changed since they wrote?";
            case BLOCKED -> "the recipient is on the account's blacklist: remove them from it in the Official Account "
                    + "platform if they are to be reached";
            case CONSENT_MISSING -> "the recipient has not agreed to (more) notices: nothing to do";
            default -> "WeChat refused it for a reason the bot does not know: look the errcode up in WeChat's "
                    + "errcode reference";
        };
        return what + "; " + fate;
    }

    /** Tells the ticket that a text about it was put aside after {@link #MAX_AGE} of temporary failures. */
    private static void notePark(Store s, OutboxEntry e, Instant now) {
        if (e.ticketId() == null) {
            return;
        }
        long key;
        try {
            key = Long.parseLong(e.ticketId());
        } catch (NumberFormatException notOurs) {
            return;
        }
        s.tickets().get(key).ifPresent(t -> s.tickets().put(key, t.noted("parked", "system", "发给"
                + (e.recipient() == null ? "" : e.recipient()) + "的消息（" + e.purpose() + "）" + MAX_AGE.toHours()
                + "小时内未能发出（errcode " + e.lastErrcode() + "：" + e.lastError() + "），已暂停；故障排除后重启服务即重发",
                now)));
    }

    static Duration backoff(int tries) {
        long ms = FIRST_BACKOFF.toMillis() << Math.min(tries - 1, 20);
        return Duration.ofMillis(Math.min(ms, MAX_BACKOFF.toMillis()));
    }

    /**
     * New entries of one store write, per ticket, so that each ticket's delivery index is appended once per write
     * rather than once per entry. {@link #flush} inside the same write.
     */
    public static final class Deliveries {
        private final Map<Long, List<Long>> byTicket = new LinkedHashMap<>();

        void add(OutboxEntry e) {
            if (e.ticketId() == null) {
                return;
            }
            try {
                byTicket.computeIfAbsent(Long.parseLong(e.ticketId()), k -> new ArrayList<>()).add(e.id());
            } catch (NumberFormatException ignored) {
                // not a ticket of ours: nothing to index
            }
        }

        /** Appends the collected ids to each ticket's index (the entries carry their own state from then on). */
        public void flush(Store s) {
            byTicket.forEach((ticket, ids) -> {
                long[] old = s.ticketDeliveries().get(ticket).orElse(new long[0]);
                long[] next = java.util.Arrays.copyOf(old, old.length + ids.size());
                for (int i = 0; i < ids.size(); i++) {
                    next[old.length + i] = ids.get(i);
                }
                s.ticketDeliveries().put(ticket, next);
            });
            byTicket.clear();
        }
    }

    /** Ticket {@code ticket}'s deliveries as the outbox records them now, oldest first. */
    public static List<Ticket.Delivery> deliveries(Store s, long ticket) {
        long[] ids = s.ticketDeliveries().get(ticket).orElse(new long[0]);
        List<Ticket.Delivery> out = new ArrayList<>(ids.length);
        for (long id : ids) {
            s.outbox().get(id).ifPresent(e -> out.add(delivery(e)));
        }
        return out;
    }

    /** How an entry shows on its ticket. */
    public static Ticket.Delivery delivery(OutboxEntry e) {
        return new Ticket.Delivery(String.valueOf(e.id()), e.recipient(),
                e.purpose() + (e.kind() == Kind.NOTICE ? " (notice)" : ""), e.state().wireName(), e.lastErrcode(),
                e.lastError(), e.updatedAt());
    }

    private static String truncate(String s, int max) {
        return s.codePointCount(0, s.length()) <= max ? s : s.substring(0, s.offsetByCodePoints(0, max));
    }

    /** Entries waiting to be sent now or later (pending), for health and tests. */
    public int backlog() {
        return queued.size();
    }

    /** The outbox's figures for {@code /healthz}, shown in this order. */
    enum Figure { PENDING, RETRYING, WAITING, PARKED, FAILED }

    /**
     * Entries per {@link Figure}: the unfinished ones counted from the store at start, failed ones from this start
     * on, all kept up to date by every committed write of an entry. Sent ones are not counted.
     */
    private final AtomicLong[] figures = java.util.stream.Stream.generate(AtomicLong::new)
            .limit(Figure.values().length).toArray(AtomicLong[]::new);

    private static Figure figure(OutboxEntry e) {
        return switch (e.state()) {
            case PENDING -> WeChatApiException.retryable(e.lastKind()) ? Figure.RETRYING : Figure.PENDING;
            case WAITING -> Figure.WAITING;
            case PARKED -> Figure.PARKED;
            case FAILED -> Figure.FAILED;
            case SENT -> null;
        };
    }

    private void counted(OutboxEntry before, OutboxEntry after) {
        Figure was = before == null ? null : figure(before);
        Figure is = after == null ? null : figure(after);
        if (was != is) {
            if (was != null) {
                figures[was.ordinal()].decrementAndGet();
            }
            if (is != null) {
                figures[is.ordinal()].incrementAndGet();
            }
        }
    }

    /** Stores {@code after} (inside a store write) in place of {@code before} (null: a new entry) and counts it. */
    private void put(Store s, OutboxEntry before, OutboxEntry after) {
        s.outbox().put(after.id(), after);
        // counted once committed: a call that fails has its writes undone, and the figures must not keep them
        s.afterCommit(() -> counted(before, after));
    }

    /**
     * For {@code /healthz} (in-memory figures only): entries {@code pending} (to be sent), {@code retrying} (pending
     * after a temporary failure), {@code waiting} (for the recipient's 48-hour window), {@code parked} (until the next
     * start), {@code failed} (refused for good since this start; failed subscribe notices included), and {@code failing}: the
     * temporary failure sends are running into now ({@code since}, {@code errcode}, {@code reason}), or null.
     */
    public Map<String, Object> health() {
        Map<String, Object> h = new LinkedHashMap<>();
        for (Figure f : Figure.values()) {
            h.put(f.name().toLowerCase(java.util.Locale.ROOT), Math.max(0, figures[f.ordinal()].get()));
        }
        Outage o = outage.get();
        if (o == null) {
            h.put("failing", null);
        } else {
            Map<String, Object> failing = new LinkedHashMap<>();
            failing.put("since", o.since().toString());
            failing.put("errcode", o.errcode());
            failing.put("reason", o.reason());
            h.put("failing", failing);
        }
        return h;
    }

    /** Whether delivery needs someone: texts are parked (a restart sends them), or sends are failing now. */
    public boolean needsAttention() {
        return figures[Figure.PARKED.ordinal()].get() > 0 || outage.get() != null;
    }

    @Override
    public void close() {
        closed = true;
        dispatcher.interrupt();
        // queued sends stay pending in the store and are resumed at the next start
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Due implements Delayed {
        final long id;
        final Instant at;
        final Clock clock;

        Due(long id, Instant at, Clock clock) {
            this.id = id;
            this.at = at;
            this.clock = clock;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(Duration.between(clock.instant(), at).toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return at.compareTo(((Due) o).at);
        }
    }
}
