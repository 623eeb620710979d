package cn.budayang.bot.reception;

import cn.budayang.bot.ticket.Ticket;
import cn.budayang.knowledge.KnowledgeBase;
import cn.budayang.knowledge.RouteDecision;
import cn.budayang.knowledge.Router;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Conversation state in plain maps, for tests of the pure core; {@link #apply} performs a decision's actions. */
final class MapState implements DeskState {

    final KnowledgeBase kb;
    final Router router;
    final Map<String, Conversation> conversations = new HashMap<>();
    final Map<String, Ticket> tickets = new HashMap<>();
    final Map<String, String> bindings = new HashMap<>();
    final List<Action.Send> sent = new ArrayList<>();
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
            }
        }
        sent.addAll(sends);
        return sends;
    }
}
