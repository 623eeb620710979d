package cn.budayang.bot.reception;

import cn.budayang.bot.ticket.Ticket;

/** What the conversation core asks the executor to do; the executor stores and sends, the core only decides. */
public sealed interface Action {

    /** Store this conversation state. */
    record SaveConversation(Conversation conversation) implements Action {
    }

    /** Store this ticket (created or changed). */
    record SaveTicket(Ticket ticket) implements Action {
    }

    /** Remember that {@code deputyId} is reachable at {@code openId} (绑定). */
    record BindDeputy(String deputyId, String openId) implements Action {
    }

    /**
     * Send a customer-service text to {@code openId} through the outbox, recorded on {@code ticketId} (if any) as
     * a delivery to {@code recipient} for {@code purpose}.
     */
    record Send(String openId, String text, String ticketId, String recipient, String purpose) implements Action {
    }
}
