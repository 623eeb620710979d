package cn.budayang.bot.ticket;

/**
 * A filter over tickets: every non-null field must match. {@code limit} is 1..{@value #MAX_LIMIT}.
 */
public record TicketQuery(TicketStatus status, String groupId, String stationId, String openId, int limit, int offset) {

    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 5000;

    public TicketQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, was " + offset);
        }
    }

    public static TicketQuery all() {
        return new TicketQuery(null, null, null, null, DEFAULT_LIMIT, 0);
    }

    boolean matches(TicketFigures t) {
        return (status == null || status == t.status())
                && (groupId == null || groupId.equals(t.groupId()))
                && (stationId == null || stationId.equals(t.stationId()))
                && (openId == null || openId.equals(t.openId()));
    }

    boolean matches(Ticket t) {
        return (status == null || status == t.status())
                && (groupId == null || groupId.equals(t.groupId()))
                && (stationId == null || stationId.equals(t.stationId()))
                && (openId == null || openId.equals(t.openId()));
    }
}
