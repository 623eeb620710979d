package cn.budayang.bot.ticket;

import java.time.Instant;

/**
 * The fields of a stored {@link Ticket} that lists filter on and the statistics count: read from the store without
 * its messages, answers, history and other lists, which make up most of a ticket and would be decoded for nothing.
 */
public record TicketFigures(
        String id,
        TicketStatus status,
        String openId,
        String groupId,
        String stationId,
        Instant assignedAt,
        Instant deadlineAt,
        Instant firstAnsweredAt,
        boolean overdue,
        Ticket.Rating rating,
        Ticket.Reopen reopened,
        Ticket.Rating latestRating) {

    /** See {@link Ticket#countedRating()}. */
    public Ticket.Rating countedRating() {
        return Ticket.countedRating(latestRating, rating, reopened);
    }
}
