package cn.budayang.bot.reception;

import cn.budayang.bot.ticket.Ticket.TicketMessage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the bot remembers of one openid, constituent or deputy.
 *
 * @param stationId        station bound by a QR scan or a location, or null
 * @param areaGroupId      area group of that station, or of a place the person named
 * @param deputyId         the deputy this openid is bound to (绑定), or null
 * @param openTicketId     the constituent's ticket that follow-up messages join, or null
 * @param ratingTicketId   the answered ticket a bare rating (1, 满意) rates: the one whose answer or rating reply asked
 *                         for it last; other answered tickets may wait too (rated by 评价 <编号>), or null
 * @param lastInboundAt    last message from this openid: opens WeChat's 48-hour customer-service window
 * @param subscribed       false after an unsubscribe event
 * @param ticketIds        the constituent's tickets, newest last (at most {@value #MAX_TICKETS})
 * @param forwarded        for deputies: open tickets forwarded to them
 * @param pending          attachments (images, voice) sent before any ticket, joined to the next ticket
 * @param lastAnswered     the constituent's last question an FAQ answered or no group took, for 转代表 and for the
 *                         group the constituent picks
 * @param choices          FAQ or group ids the bot just offered by number (您是不是想问, 属于哪一类): valid for the
 *                         next text message only, where a number picks one
 */
public record Conversation(
        String openId,
        String stationId,
        String areaGroupId,
        String deputyId,
        String openTicketId,
        String ratingTicketId,
        Instant lastInboundAt,
        boolean subscribed,
        List<String> ticketIds,
        List<String> forwarded,
        List<TicketMessage> pending,
        String lastAnswered,
        List<String> choices) {

    public static final int MAX_TICKETS = 20;
    public static final int MAX_PENDING = 9;
    /** Open forwarded tickets remembered per deputy (the newest); beyond it the deputy answers with #编号. */
    public static final int MAX_FORWARDED = 100;
    /** WeChat's customer-service window after a user's message. */
    public static final Duration WINDOW = Duration.ofHours(48);
    /** Customer-service messages WeChat allows per window. */
    public static final int WINDOW_QUOTA = 5;

    public Conversation {
        ticketIds = List.copyOf(ticketIds);
        forwarded = List.copyOf(forwarded);
        pending = List.copyOf(pending);
        choices = choices == null ? List.of() : List.copyOf(choices);
    }

    public static Conversation fresh(String openId) {
        return new Conversation(openId, null, null, null, null, null, null, true, List.of(), List.of(), List.of(),
                null, List.of());
    }

    /** A message arrived from this openid: the 48-hour window opens again. */
    public Conversation inbound(Instant now) {
        return new Conversation(openId, stationId, areaGroupId, deputyId, openTicketId, ratingTicketId, now, true,
                ticketIds, forwarded, pending, lastAnswered, choices);
    }

    /**
     * Whether this openid is inside WeChat's 48-hour customer-service window, as far as we know: never-seen openids
     * count as inside (the send is tried and WeChat answers 45015 if not). The 5-per-window quota is counted by the
     * outbox.
     */
    public boolean windowOpen(Instant now) {
        return lastInboundAt == null || now.isBefore(lastInboundAt.plus(WINDOW));
    }

    /** WeChat said the window is closed (45015): remember it until the person writes again. */
    public Conversation windowClosed(Instant now) {
        if (!windowOpen(now)) {
            return this;
        }
        return new Conversation(openId, stationId, areaGroupId, deputyId, openTicketId, ratingTicketId,
                now.minus(WINDOW), subscribed, ticketIds, forwarded, pending, lastAnswered, choices);
    }


    public Conversation withStation(String station, String area) {
        return new Conversation(openId, station, area, deputyId, openTicketId, ratingTicketId, lastInboundAt,
                subscribed, ticketIds, forwarded, pending, lastAnswered, choices);
    }

    public Conversation withArea(String area) {
        return new Conversation(openId, stationId, area, deputyId, openTicketId, ratingTicketId, lastInboundAt,
                subscribed, ticketIds, forwarded, pending, lastAnswered, choices);
    }

    public Conversation withDeputy(String deputy) {
        return new Conversation(openId, stationId, areaGroupId, deputy, openTicketId, ratingTicketId, lastInboundAt,
                subscribed, ticketIds, forwarded, pending, lastAnswered, choices);
    }

    public Conversation withOpenTicket(String ticketId) {
        return new Conversation(openId, stationId, areaGroupId, deputyId, ticketId, ratingTicketId, lastInboundAt,
                subscribed, ticketIds, forwarded, pending, lastAnswered, choices);
    }

    public Conversation withRatingTicket(String ticketId) {
        return new Conversation(openId, stationId, areaGroupId, deputyId, openTicketId, ticketId, lastInboundAt,
                subscribed, ticketIds, forwarded, pending, lastAnswered, choices);
    }

    public Conversation unsubscribed() {
        return new Conversation(openId, stationId, areaGroupId, deputyId, openTicketId, ratingTicketId, lastInboundAt,
                false, ticketIds, forwarded, pending, lastAnswered, choices);
    }

    public Conversation withTicket(String ticketId) {
        List<String> ids = new ArrayList<>(ticketIds);
        ids.add(ticketId);
        if (ids.size() > MAX_TICKETS) {
            ids = ids.subList(ids.size() - MAX_TICKETS, ids.size());
        }
        return new Conversation(openId, stationId, areaGroupId, deputyId, ticketId, ratingTicketId, lastInboundAt,
                subscribed, ids, forwarded, List.of(), lastAnswered, choices);
    }

    public Conversation withForwarded(String ticketId, boolean add) {
        int at = forwarded.indexOf(ticketId);
        if (add ? at >= 0 : at < 0) {
            return this;
        }
        List<String> f;
        if (add) {
            // the oldest fall off the front (the list is kept as a plain array: a busy deputy's is full, and this runs
            // once per forward)
            int from = Math.max(0, forwarded.size() + 1 - MAX_FORWARDED);
            f = new ArrayList<>(forwarded.size() + 1 - from);
            f.addAll(forwarded.subList(from, forwarded.size()));
            f.add(ticketId);
        } else {
            f = new ArrayList<>(forwarded);
            f.remove(at);
        }
        return new Conversation(openId, stationId, areaGroupId, deputyId, openTicketId, ratingTicketId, lastInboundAt,
                subscribed, ticketIds, f, pending, lastAnswered, choices);
    }

    public Conversation withLastAnswered(String question) {
        return new Conversation(openId, stationId, areaGroupId, deputyId, openTicketId, ratingTicketId, lastInboundAt,
                subscribed, ticketIds, forwarded, pending, question, choices);
    }

    /** The FAQ or group ids just offered by number (empty: none). */
    public Conversation withChoices(List<String> ids) {
        return new Conversation(openId, stationId, areaGroupId, deputyId, openTicketId, ratingTicketId, lastInboundAt,
                subscribed, ticketIds, forwarded, pending, lastAnswered, ids);
    }

    public Conversation withPending(TicketMessage m) {
        List<TicketMessage> p = new ArrayList<>(pending);
        if (p.size() < MAX_PENDING) {
            p.add(m);
        }
        return new Conversation(openId, stationId, areaGroupId, deputyId, openTicketId, ratingTicketId, lastInboundAt,
                subscribed, ticketIds, forwarded, p, lastAnswered, choices);
    }
}
