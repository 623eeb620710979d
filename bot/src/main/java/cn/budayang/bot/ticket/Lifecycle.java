package cn.budayang.bot.ticket;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static cn.budayang.bot.ticket.TicketStatus.ADMITTED;
import static cn.budayang.bot.ticket.TicketStatus.ANSWERED;
import static cn.budayang.bot.ticket.TicketStatus.ASSIGNED;
import static cn.budayang.bot.ticket.TicketStatus.CLOSED;
import static cn.budayang.bot.ticket.TicketStatus.ESCALATED;
import static cn.budayang.bot.ticket.TicketStatus.RATED;
import static cn.budayang.bot.ticket.TicketStatus.REJECTED;

/**
 * The one place that says which status may follow which. 审核准入 admitted → 交办 assigned → 办复 answered →
 * 共评 rated → closed; 督办 escalated when overdue or when the constituent is not satisfied; rejected at admission.
 */
public final class Lifecycle {

    private static final Map<TicketStatus, Set<TicketStatus>> ALLOWED = new EnumMap<>(TicketStatus.class);

    static {
        // withdrawn by the constituent while still under admission
        ALLOWED.put(ADMITTED, EnumSet.of(ASSIGNED, REJECTED, CLOSED));
        // re-assignment (非本组) keeps a ticket assigned; an answer may come before or after escalation
        ALLOWED.put(ASSIGNED, EnumSet.of(ASSIGNED, ANSWERED, ESCALATED, CLOSED));
        ALLOWED.put(ESCALATED, EnumSet.of(ASSIGNED, ANSWERED, CLOSED));
        // further answers may follow; a rating closes the loop; "not solved" reopens as escalated
        ALLOWED.put(ANSWERED, EnumSet.of(ANSWERED, RATED, ESCALATED, CLOSED));
        ALLOWED.put(RATED, EnumSet.of(CLOSED, ESCALATED));
        ALLOWED.put(CLOSED, EnumSet.noneOf(TicketStatus.class));
        ALLOWED.put(REJECTED, EnumSet.noneOf(TicketStatus.class));
    }

    private Lifecycle() {
    }

    public static boolean allowed(TicketStatus from, TicketStatus to) {
        return ALLOWED.get(from).contains(to);
    }

    static void check(TicketStatus from, TicketStatus to, String event) {
        if (!allowed(from, to)) {
            throw new IllegalStateException("ticket cannot go from " + from.wireName() + " to " + to.wireName()
                    + " (" + event + ")");
        }
    }
}
