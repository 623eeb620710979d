package cn.budayang.bot.reception;

import cn.budayang.bot.ticket.Ticket;
import cn.budayang.knowledge.KnowledgeBase;
import cn.budayang.knowledge.RouteDecision;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/** What the conversation core may read while deciding. Implementations read the store; tests use maps. */
public interface DeskState {

    KnowledgeBase knowledge();

    /** The stored conversation of {@code openId}, or a fresh one. */
    Conversation conversation(String openId);

    Optional<Ticket> ticket(String id);

    /**
     * The ticket's outbound messages and how they fared, oldest first, as the outbox records them (a text WeChat
     * accepted is {@code sent}, at the time it was accepted).
     */
    List<Ticket.Delivery> deliveries(String ticketId);

    /** The openid a deputy bound with 绑定, if any. */
    Optional<String> boundOpenId(String deputyId);

    /** A new ticket number. */
    String nextTicketId();

    /** Routes a text the engine picked out itself (a 民生实事 suggestion, an earlier question). */
    RouteDecision route(String text);

    /** Routes {@code text} again, never to the excluded groups and never to an FAQ (used when a group declines). */
    RouteDecision reroute(String text, Set<String> excludedGroups);
}
