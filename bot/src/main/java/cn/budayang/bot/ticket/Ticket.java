package cn.budayang.bot.ticket;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A constituent's suggestion and everything that happened to it. Immutable: every change makes a new ticket through
 * one of the {@code with...} methods, which also append to {@link #history()}.
 *
 * @param id           ticket number shown to people, e.g. {@code 1024}
 * @param openId       the constituent; never shown to deputies
 * @param question     the first message's text
 * @param groupId      the professional group the ticket is assigned to (null while only admitted or when rejected)
 * @param stationId    the constituent's station, when known
 * @param areaGroupId  the area group of the station, or of a place named in the text
 * @param deadlineAt   when the first answer is due (null until assigned)
 * @param claimedBy    deputy id of the deputy who claimed it (认领), or null
 * @param forwardedTo  deputy ids who hold the question in its current group: those it was forwarded to, and a
 *                     deputy who answered it without having been forwarded it
 * @param declined     groups that declined it (非本组), never routed to again
 * @param rating       the constituent's rating of the latest answer; cleared when a rating of 未解决 reopens the
 *                     ticket (the history keeps it)
 * @param reopened     the latest reopening (未解决) and its answer deadline, or null; a new assignment clears it
 * @param latestRating the constituent's latest rating, whatever it said: unlike {@code rating} it is kept when a
 *                     rating of 未解决 reopens the ticket and when the ticket is reassigned, until a later rating
 *                     replaces it; null on tickets stored before it was kept (see {@link #countedRating()})
 * @param deliveries   outbound messages sent about this ticket and how they fared
 */
public record Ticket(
        String id,
        TicketStatus status,
        String openId,
        String question,
        String groupId,
        String stationId,
        String areaGroupId,
        Instant createdAt,
        Instant assignedAt,
        Instant deadlineAt,
        Instant firstAnsweredAt,
        boolean reminded,
        boolean overdue,
        String claimedBy,
        List<String> forwardedTo,
        List<String> declined,
        List<TicketMessage> messages,
        List<Answer> answers,
        Rating rating,
        Reopen reopened,
        Rating latestRating,
        List<HistoryEntry> history,
        List<Delivery> deliveries) {

    public Ticket {
        forwardedTo = List.copyOf(forwardedTo);
        declined = List.copyOf(declined);
        messages = List.copyOf(messages);
        answers = List.copyOf(answers);
        history = List.copyOf(history);
        deliveries = List.copyOf(deliveries);
    }

    /** A message the constituent sent about the ticket. {@code kind} is text, image, voice, video, location or link. */
    public record TicketMessage(Instant at, String kind, String text, String mediaId, String url) {
    }

    /** A deputy's answer. */
    public record Answer(Instant at, String deputyId, String deputyName, String text) {
    }

    /** The constituent's evaluation (共评). {@code satisfaction}: 1 满意, 2 基本满意, 3 不满意. */
    public record Rating(Instant at, boolean solved, int satisfaction) {
        public boolean satisfied() {
            return satisfaction == 1 || satisfaction == 2;
        }
    }

    /**
     * A reopening: the constituent rated an answer 未解决 {@code at}, and a new answer is due by {@code deadlineAt}
     * (the first-answer {@link Ticket#deadlineAt()} stays as it was, for 响应率). The clock reminds at half the time
     * and escalates (督办) at the deadline, once each.
     */
    public record Reopen(Instant at, Instant deadlineAt, boolean reminded, boolean escalated) {
        /** When the reminder is due: half-way to the deadline. */
        public Instant remindAt() {
            return at.plus(Duration.between(at, deadlineAt).dividedBy(2));
        }
    }

    /** One lifecycle step: the status after it, who did it and a short note. */
    public record HistoryEntry(Instant at, TicketStatus status, String event, String actor, String note) {
    }

    /**
     * An outbound message about this ticket: to whom (role and name, never an openid), and its fate: its state, and
     * of its last failed attempt WeChat's errcode ({@code -2}: the network or an HTTP error) and what it said ({@code
     * error}, e.g. {@code invalid openid}, {@code HTTP status 502}).
     */
    public record Delivery(String outboxId, String recipient, String purpose, String state, Integer errcode,
                           String error, Instant at) {
    }

    public static Ticket admitted(String id, String openId, String question, TicketMessage first, String stationId,
                                  String areaGroupId, Instant now) {
        return new Ticket(id, TicketStatus.ADMITTED, openId, question, null, stationId, areaGroupId, now, null, null,
                null, false, false, null, List.of(), List.of(), List.of(first), List.of(), null, null,
                null, List.of(new HistoryEntry(now, TicketStatus.ADMITTED, "admit", "constituent", "审核准入")),
                List.of());
    }

    public Ticket withStatus(TicketStatus next, String event, String actor, String note, Instant now) {
        Lifecycle.check(status, next, event);
        return new Ticket(id, next, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, reminded, overdue, claimedBy, forwardedTo, declined, messages, answers,
                rating, reopened, latestRating, append(history, new HistoryEntry(now, next, event, actor, note)),
                deliveries);
    }

    /**
     * 交办: assigns to a group with a deadline; allowed from admitted, and again (reassignment) from open states. The
     * first answer is then that of this assignment (a reassigned ticket was not answered by its new group yet).
     */
    public Ticket assigned(String group, Instant deadline, String actor, String note, Instant now) {
        Lifecycle.check(status, TicketStatus.ASSIGNED, "assign");
        return new Ticket(id, TicketStatus.ASSIGNED, openId, question, group, stationId, areaGroupId, createdAt, now,
                deadline, null, false, false, null, List.of(), declined, messages, answers, rating, null,
                latestRating, append(history, new HistoryEntry(now, TicketStatus.ASSIGNED, "assign", actor, note)),
                deliveries);
    }

    public Ticket withMessage(TicketMessage m) {
        return new Ticket(id, status, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, reminded, overdue, claimedBy, forwardedTo, declined, append(messages, m),
                answers, rating, reopened, latestRating, history, deliveries);
    }

    public Ticket answered(Answer a) {
        Lifecycle.check(status, TicketStatus.ANSWERED, "answer");
        Instant first = firstAnsweredAt == null ? a.at() : firstAnsweredAt;
        return new Ticket(id, TicketStatus.ANSWERED, openId, question, groupId, stationId, areaGroupId, createdAt,
                assignedAt, deadlineAt, first, reminded, overdue, claimedBy, forwardedTo, declined, messages,
                append(answers, a), rating, reopened, latestRating,
                append(history, new HistoryEntry(a.at(), TicketStatus.ANSWERED, "answer", a.deputyName(), "办复")),
                deliveries);
    }

    public Ticket rated(Rating r, TicketStatus next, String note) {
        Lifecycle.check(status, next, "rate");
        return new Ticket(id, next, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, reminded, overdue, claimedBy, forwardedTo, declined, messages, answers, r,
                reopened, r, append(history, new HistoryEntry(r.at(), next, "rate", "constituent", note)),
                deliveries);
    }

    /**
     * The constituent rated the answer 未解决: the ticket is escalated again and a new answer is due by
     * {@code deadline}. The rating goes into the history, not into {@link #rating()}: the next answer is rated anew.
     */
    public Ticket reopenedBy(Rating r, Instant deadline, String note) {
        Lifecycle.check(status, TicketStatus.ESCALATED, "rate");
        return new Ticket(id, TicketStatus.ESCALATED, openId, question, groupId, stationId, areaGroupId, createdAt,
                assignedAt, deadlineAt, firstAnsweredAt, reminded, overdue, claimedBy, forwardedTo, declined, messages,
                answers, null, new Reopen(r.at(), deadline, false, false), r,
                append(history, new HistoryEntry(r.at(), TicketStatus.ESCALATED, "rate", "constituent", note)),
                deliveries);
    }

    /** The reminder half-way to a reopened ticket's deadline. */
    public Ticket reopenReminded(Instant now) {
        return new Ticket(id, status, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, reminded, overdue, claimedBy, forwardedTo, declined, messages, answers,
                rating, new Reopen(reopened.at(), reopened.deadlineAt(), true, reopened.escalated()),
                latestRating,
                append(history, new HistoryEntry(now, status, "remind", "system", "重新督办答复期限过半提醒")),
                deliveries);
    }

    /** 督办 once more: a reopened ticket passed its new deadline unanswered; flagged overdue. */
    public Ticket reopenEscalated(String actor, String note, Instant now) {
        return new Ticket(id, status, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, reminded, true, claimedBy, forwardedTo, declined, messages, answers,
                rating, new Reopen(reopened.at(), reopened.deadlineAt(), reopened.reminded(), true),
                latestRating, append(history, new HistoryEntry(now, status, "escalate", actor, note)), deliveries);
    }

    public Ticket claimed(String deputyId, String deputyName, Instant now) {
        return new Ticket(id, status, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, reminded, overdue, deputyId, forwardedTo, declined, messages, answers,
                rating, reopened, latestRating,
                append(history, new HistoryEntry(now, status, "claim", deputyName, "认领")),
                deliveries);
    }

    public Ticket declinedBy(String group, String deputyName, Instant now) {
        Set<String> d = new LinkedHashSet<>(declined);
        d.add(group);
        return new Ticket(id, status, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, reminded, overdue, claimedBy, forwardedTo, List.copyOf(d), messages,
                answers, rating, reopened, latestRating,
                append(history, new HistoryEntry(now, status, "decline", deputyName, "非本组：" + group)), deliveries);
    }

    public Ticket remindedAt(Instant now) {
        return new Ticket(id, status, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, true, overdue, claimedBy, forwardedTo, declined, messages, answers, rating,
                reopened, latestRating,
                append(history, new HistoryEntry(now, status, "remind", "system", "答复期限过半提醒")),
                deliveries);
    }

    /** 督办: escalated and flagged overdue. */
    public Ticket escalated(String actor, String note, Instant now) {
        Lifecycle.check(status, TicketStatus.ESCALATED, "escalate");
        return new Ticket(id, TicketStatus.ESCALATED, openId, question, groupId, stationId, areaGroupId, createdAt,
                assignedAt, deadlineAt, firstAnsweredAt, reminded, true, claimedBy, forwardedTo, declined, messages,
                answers, rating, reopened, latestRating,
                append(history, new HistoryEntry(now, TicketStatus.ESCALATED, "escalate", actor, note)), deliveries);
    }

    /** A history entry that does not change the status (e.g. a deputy skipped as unreachable). */
    public Ticket noted(String event, String actor, String note, Instant now) {
        return new Ticket(id, status, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, reminded, overdue, claimedBy, forwardedTo, declined, messages, answers,
                rating, reopened, latestRating, append(history, new HistoryEntry(now, status, event, actor, note)),
                deliveries);
    }

    public Ticket withForwardedTo(List<String> deputyIds) {
        return new Ticket(id, status, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, reminded, overdue, claimedBy, deputyIds, declined, messages, answers,
                rating, reopened, latestRating, history, deliveries);
    }

    /**
     * The rating the statistics count (解决率, 满意率): the constituent's latest rating. A ticket reopened by 未解决
     * counts as rated, not solved, with the satisfaction that rating gave, until its next answer is rated; a
     * ticket never rated counts as not rated. For a ticket stored before {@link #latestRating()} was kept and
     * reopened since: not solved and not satisfied (the satisfaction is in the history's note only). Null when the
     * ticket does not count.
     */
    public Rating countedRating() {
        return countedRating(latestRating, rating, reopened);
    }

    static Rating countedRating(Rating latestRating, Rating rating, Reopen reopened) {
        if (latestRating != null) {
            return latestRating;
        }
        if (rating != null) {
            return rating;
        }
        return reopened == null ? null : new Rating(reopened.at(), false, 3);
    }

    /** The ticket as shown: with the deliveries kept in the outbox. */
    public Ticket withDeliveries(List<Delivery> d) {
        return new Ticket(id, status, openId, question, groupId, stationId, areaGroupId, createdAt, assignedAt,
                deadlineAt, firstAnsweredAt, reminded, overdue, claimedBy, forwardedTo, declined, messages, answers,
                rating, reopened, latestRating, history, d);
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> next = new ArrayList<>(list.size() + 1);
        next.addAll(list);
        next.add(item);
        return next;
    }
}
