package cn.budayang.bot.reception;

import cn.budayang.bot.ticket.Ticket;
import cn.budayang.knowledge.KnowledgeBase;
import cn.budayang.knowledge.RouteDecision;
import cn.budayang.knowledge.Router;

import java.util.ArrayList;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/** Conversation state in plain maps, for tests of the pure core; {@link #apply} performs a decision's actions. */
final class MapState implements DeskState {

    final KnowledgeBase kb;
    final Router router;
    final Map<String, Conversation> conversations = new HashMap<>();
    final Map<String, Ticket> tickets = new HashMap<>();
    final Map<String, String> bindings = new HashMap<>();
    final List<Action.Send> sent = new ArrayList<>();
    /** Each ticket's sends as the outbox would record them: sent at {@link #clock}, or waiting for the unreachable. */
    final Map<String, List<Ticket.Delivery>> deliveries = new HashMap<>();
    /** Recipients WeChat does not reach now: their texts wait (45015) until {@link #reach}. */
    final Set<String> unreachable = new HashSet<>();
    /** When sends are delivered; tests that move time point it at their clock. */
    Supplier<Instant> clock = () -> Instant.parse("2026-11-26T02:00:00Z");
    private final Map<String, String> recipientOf = new HashMap<>();
    private long seq = 1000;

    MapState(Router router) {
        this.router = router;
        this.kb = router.base();
    }

    @Override
    public KnowledgeBase knowledge() {
        return kb;
    }

    @Override
    public Conversation conversation(String openId) {
        return conversations.getOrDefault(openId, Conversation.fresh(openId));
    }

    @Override
    public Optional<Ticket> ticket(String id) {
        return Optional.ofNullable(tickets.get(id));
    }

    @Override
    public Optional<String> boundOpenId(String deputyId) {
        return Optional.ofNullable(bindings.get(deputyId));
    }

    @Override
    public String nextTicketId() {
        return String.valueOf(++seq);
    }

    @Override
    public RouteDecision route(String text) {
        return router.route(text);
    }

    @Override
    public RouteDecision reroute(String text, Set<String> excludedGroups) {
        return router.route(text, excludedGroups);
    }

    @Override
    public List<Ticket.Delivery> deliveries(String ticketId) {
        return List.copyOf(deliveries.getOrDefault(ticketId, List.of()));
    }

    /** {@code openId} can be reached again: what waits for them is delivered now. */
    void reach(String openId) {
        unreachable.remove(openId);
        deliveries.values().forEach(list -> list.replaceAll(d -> d.state().equals("waiting")
                && openId.equals(recipientOf.get(d.outboxId()))
                ? new Ticket.Delivery(d.outboxId(), d.recipient(), d.purpose(), "sent", null, null, clock.get()) : d));
    }

    /** Performs the actions and returns the sends of this decision. */
    List<Action.Send> apply(ConversationEngine.Decision d) {
        List<Action.Send> sends = new ArrayList<>();
        for (Action a : d.actions()) {
            if (a instanceof Action.SaveTicket t) {
                tickets.put(t.ticket().id(), t.ticket());
            } else if (a instanceof Action.SaveConversation c) {
                conversations.put(c.conversation().openId(), c.conversation());
            } else if (a instanceof Action.BindDeputy b) {
                bindings.put(b.deputyId(), b.openId());
            } else if (a instanceof Action.Send s) {
                sends.add(s);
                if (s.ticketId() != null) {
                    String id = String.valueOf(recipientOf.size() + 1);
                    recipientOf.put(id, s.openId());
                    boolean waits = unreachable.contains(s.openId());
                    deliveries.computeIfAbsent(s.ticketId(), k -> new ArrayList<>()).add(new Ticket.Delivery(id,
                            s.recipient(), s.purpose(), waits ? "waiting" : "sent", waits ? 45015 : null,
                            waits ? "out of the 48-hour window" : null, clock.get()));
                }
            }
        }
        sent.addAll(sends);
        return sends;
    }
}
