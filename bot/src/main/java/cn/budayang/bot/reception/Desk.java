package cn.budayang.bot.reception;

import cn.budayang.bot.outbox.Outbox;
import cn.budayang.bot.store.Store;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.bot.ticket.TicketStatus;
import cn.budayang.knowledge.Knowledge;
import cn.budayang.knowledge.KnowledgeBase;
import cn.budayang.knowledge.RouteDecision;
import cn.budayang.wechat.WeChatMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The reception desk: runs the {@link ConversationEngine} for each message inside one store write, performs its
 * actions (tickets, conversations, outbox entries) in the same batch, and keeps the de-duplication record with them,
 * so a message is handled exactly once and everything it caused is durable before WeChat gets its answer.
 *
 * <p>Routing (Lucene) runs on {@code routingExecutor} before the write; the write itself runs on the store's writer
 * thread. Newly created outbox entries are handed to the {@link Outbox} after their commit.
 */
public final class Desk implements Reception {

    private static final Logger log = LoggerFactory.getLogger(Desk.class);
    /** De-duplication records are kept this long; WeChat retries within seconds. */
    static final Duration DEDUP_TTL = Duration.ofDays(2);

    private final Store store;
    private final Supplier<Knowledge.Snapshot> knowledge;
    private final ConversationEngine engine;
    private final Outbox outbox;
    private final Executor routingExecutor;
    private final Clock clock;
    /**
     * Assigned and reopened tickets (reminder, deadline) and unrated answered ones, by when the clock next acts on
     * them.
     */
    private final Map<String, Instant> due = new ConcurrentHashMap<>();
    /**
     * De-duplication keys of messages whose reply budget passed (the webhook answered {@code success}) before their
     * store write ran: that write sends the reply through the outbox itself. Routing and the store queue can take
     * longer than the budget under load; without this the reply (a ticket number) was lost.
     */
    private final Set<String> late = ConcurrentHashMap.newKeySet();
    private volatile Instant lastPrune = Instant.EPOCH;

    public Desk(Store store, Supplier<Knowledge.Snapshot> knowledge, ConversationEngine engine, Outbox outbox,
                Executor routingExecutor, Clock clock) {
        this.store = store;
        this.knowledge = knowledge;
        this.engine = engine;
        this.outbox = outbox;
        this.routingExecutor = routingExecutor;
        this.clock = clock;
        outbox.onUndeliverable(this::undeliverable);
        outbox.onDelivered(this::delivered);
    }

    /** An answer reached the constituent: its rating window starts now (see {@link ConversationEngine#ratingDue}). */
    private void delivered(Store s, cn.budayang.bot.outbox.OutboxEntry e, Instant now) {
        if (e.ticketId() == null || !ConversationEngine.RELAY.equals(e.purpose())) {
            return;
        }
        try {
            s.tickets().get(Long.parseLong(e.ticketId())).ifPresent(t -> track(s, t));
        } catch (NumberFormatException ignored) {
            // not a ticket of ours
        }
    }

    /** The ticket's deliveries as the outbox records them now, oldest first. */
    static List<Ticket.Delivery> deliveries(Store s, String ticketId) {
        try {
            return Outbox.deliveries(s, Long.parseLong(ticketId));
        } catch (NumberFormatException e) {
            return List.of();
        }
    }

    /** A forward that cannot reach its deputy goes to another deputy of the group. */
    private List<Long> undeliverable(Store s, cn.budayang.bot.outbox.OutboxEntry e, Instant now) {
        if (e.ticketId() == null || !"forward".equals(e.purpose())) {
            return List.of();
        }
        ConversationEngine.Decision d = engine.onUnreachable(new StoreState(s, knowledge.get()), e.ticketId(),
                e.openId(), e.lastErrcode(), now);
        return apply(s, d.actions(), now);
    }

    /** Rebuilds the deadline index from the stored tickets; call once before serving. */
    public void recover() {
        for (Ticket t : store.openTickets()) {
            if (t.status() == TicketStatus.ASSIGNED || t.status() == TicketStatus.ANSWERED
                    || ConversationEngine.reopenWatched(t)) {
                track(store, t);
            }
        }
    }

    @Override
    public CompletableFuture<Optional<Reply>> receive(WeChatMessage message) {
        Knowledge.Snapshot snapshot = knowledge.get();
        String text = textOf(message);
        CompletableFuture<RouteDecision> routed = text == null
                ? CompletableFuture.completedFuture(null)
                : CompletableFuture.supplyAsync(() -> snapshot.router().route(text), routingExecutor);
        return routed.thenCompose(route -> store.write(s -> handle(s, snapshot, message, route)))
                .whenComplete((outcome, failure) -> {
                    if (failure != null) {
                        late.remove(message.dedupKey());
                    }
                })
                .thenApply(outcome -> {
                    outbox.wake(outcome.outboxIds());
                    return outcome.reply();
                });
    }

    private record Outcome(Optional<Reply> reply, List<Long> outboxIds) {
    }

    private record Ticked(int changed, List<Long> outboxIds) {
    }

    private Outcome handle(Store s, Knowledge.Snapshot snapshot, WeChatMessage message, RouteDecision route) {
        String key = message.dedupKey();
        Optional<Processed> seen = s.processed().get(key);
        if (seen.isPresent()) {
            if (late.remove(key)) {
                // a retry whose own budget passed before this write: its reply goes by the outbox, once
                return new Outcome(Optional.empty(), replyByOutbox(s, message, seen.get()));
            }
            return new Outcome(seen.get().passive(), List.of());
        }
        Instant now = clock.instant();
        // the decision first: should it fail, nothing of this message has been written or released yet (and the
        // store undoes a failed job's writes), so WeChat's retry finds everything as it was
        ConversationEngine.Decision decision = engine.handle(new StoreState(s, snapshot), message, route, now);
        List<Long> created = new ArrayList<>();
        if (message instanceof WeChatMessage.Ordinary) {
            created.addAll(outbox.release(s, message.fromUser(), now));
        } else if (message instanceof WeChatMessage.Subscribe || message instanceof WeChatMessage.Scan
                || message instanceof WeChatMessage.Click) {
            created.addAll(outbox.releaseForEvent(s, message.fromUser(), now));
        }
        created.addAll(apply(s, decision.actions(), now));
        Processed p = new Processed(decision.reply(), now, false, decision.transferToAgent());
        s.processed().put(key, p);
        if (late.remove(key)) {
            created.addAll(replyByOutbox(s, message, p));
            return new Outcome(Optional.empty(), created);
        }
        return new Outcome(p.passive(), created);
    }

    /** The passive reply of a handled message, sent by customer-service message instead (once); inside a write. */
    private List<Long> replyByOutbox(Store s, WeChatMessage message, Processed p) {
        if (p.replyByOutbox() || p.reply() == null) {
            return List.of();
        }
        s.processed().put(message.dedupKey(), p.replyMissed());
        return outbox.enqueue(s, message.fromUser(), p.reply(), null, "群众", "reply", clock.instant(),
                new Outbox.Deliveries());
    }

    private List<Long> apply(Store s, List<Action> actions, Instant now) {
        List<Long> created = new ArrayList<>();
        Outbox.Deliveries deliveries = new Outbox.Deliveries();
        for (Action a : actions) {
            if (a instanceof Action.SaveTicket t) {
                s.tickets().put(Long.parseLong(t.ticket().id()), t.ticket());
                track(s, t.ticket());
            } else if (a instanceof Action.SaveConversation c) {
                s.conversations().put(c.conversation().openId(), c.conversation());
            } else if (a instanceof Action.BindDeputy b) {
                s.deputyBindings().put(b.deputyId(), b.openId());
            } else if (a instanceof Action.Send send) {
                created.addAll(outbox.enqueue(s, send.openId(), send.text(), send.ticketId(), send.recipient(),
                        send.purpose(), now, deliveries));
            }
        }
        deliveries.flush(s);
        return created;
    }

    @Override
    public void replyMissed(WeChatMessage message) {
        String key = message.dedupKey();
        late.add(key);
        store.write(s -> {
            Optional<Processed> p = s.processed().get(key);
            if (p.isEmpty()) {
                // not handled yet: its own write will see it is late
                return List.<Long>of();
            }
            late.remove(key);
            return replyByOutbox(s, message, p.get());
        }).whenComplete((ids, e) -> {
            if (e != null) {
                log.error("event=reply_missed_not_queued from_key={} error=\"{}\"", message.dedupKey(), e.toString());
            } else {
                outbox.wake(ids);
            }
        });
    }

    /**
     * Does what the clock asks of open tickets: reminders at half the deadline, escalation (督办) at the deadline
     * (also the new deadline of a reopened ticket), answers not rated within ten days of reaching the constituent
     * counted as 基本满意;
     * once an hour it also forgets de-duplication records older than {@link #DEDUP_TTL}. Runs as one store write;
     * completes, after its commit, with how many tickets changed.
     */
    public CompletableFuture<Integer> tick() {
        Knowledge.Snapshot snapshot = knowledge.get();
        return store.write(s -> {
            Instant now = clock.instant();
            int changed = 0;
            List<Long> created = new ArrayList<>();
            for (Map.Entry<String, Instant> e : List.copyOf(due.entrySet())) {
                if (e.getValue().isAfter(now)) {
                    continue;
                }
                Optional<Ticket> t = s.tickets().get(Long.parseLong(e.getKey()));
                if (t.isEmpty()) {
                    due.remove(e.getKey());
                    continue;
                }
                ConversationEngine.Decision d = engine.onClock(new StoreState(s, snapshot), t.get(), now);
                if (!d.actions().isEmpty()) {
                    changed++;
                    created.addAll(apply(s, d.actions(), now));
                } else {
                    track(s, t.get());
                }
            }
            if (Duration.between(lastPrune, now).compareTo(Duration.ofHours(1)) >= 0) {
                lastPrune = now;
                Instant cutoff = now.minus(DEDUP_TTL);
                int pruned = s.processed().removeIf(p -> p.at().isBefore(cutoff));
                if (pruned > 0) {
                    log.debug("event=dedup_prune count={}", pruned);
                }
            }
            return new Ticked(changed, created);
        }).thenApply(t -> {
            outbox.wake(t.outboxIds());
            return t.changed();
        });
    }

    /**
     * Indexes when the clock next acts on the ticket, if ever. An answered ticket is watched once its answer reached
     * the constituent ({@link #delivered} tracks it again then).
     */
    private void track(Store s, Ticket t) {
        if (t.status() == TicketStatus.ANSWERED) {
            Instant rating = ConversationEngine.ratingDue(t, deliveries(s, t.id()));
            if (rating == null) {
                due.remove(t.id());
            } else {
                due.put(t.id(), rating);
            }
            return;
        }
        if (ConversationEngine.reopenWatched(t)) {
            due.put(t.id(), t.reopened().reminded() ? t.reopened().deadlineAt() : t.reopened().remindAt());
            return;
        }
        if (t.status() != TicketStatus.ASSIGNED || t.deadlineAt() == null) {
            due.remove(t.id());
            return;
        }
        Instant next = t.reminded() ? t.deadlineAt()
                : t.assignedAt().plus(Duration.between(t.assignedAt(), t.deadlineAt()).dividedBy(2));
        due.put(t.id(), next);
    }

    /** Number of open tickets the clock is watching. */
    public int watched() {
        return due.size();
    }

    static String textOf(WeChatMessage m) {
        if (m instanceof WeChatMessage.Text t) {
            return t.content();
        }
        if (m instanceof WeChatMessage.Voice v && v.recognition() != null && !v.recognition().isBlank()) {
            return v.recognition();
        }
        return null;
    }

    /** The engine's view of the store during one write. */
    private static final class StoreState implements DeskState {
        private final Store s;
        private final Knowledge.Snapshot snapshot;

        StoreState(Store s, Knowledge.Snapshot snapshot) {
            this.s = s;
            this.snapshot = snapshot;
        }

        @Override
        public KnowledgeBase knowledge() {
            return snapshot.base();
        }

        @Override
        public Conversation conversation(String openId) {
            return s.conversations().get(openId).orElseGet(() -> Conversation.fresh(openId));
        }

        @Override
        public Optional<Ticket> ticket(String id) {
            try {
                return s.tickets().get(Long.parseLong(id));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        @Override
        public List<Ticket.Delivery> deliveries(String ticketId) {
            return Desk.deliveries(s, ticketId);
        }

        @Override
        public Optional<String> boundOpenId(String deputyId) {
            return s.deputyBindings().get(deputyId);
        }

        @Override
        public String nextTicketId() {
            return String.valueOf(1000 + s.next("ticket"));
        }

        @Override
        public RouteDecision route(String text) {
            return snapshot.router().route(text);
        }

        @Override
        public RouteDecision reroute(String text, Set<String> excludedGroups) {
            return snapshot.router().route(text, excludedGroups);
        }
    }
}
