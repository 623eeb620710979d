package cn.budayang.bot.outbox;

import java.time.Instant;

/**
 * One message to send to WeChat, kept until it is delivered or visibly given up.
 *
 * @param kind       {@code TEXT} (customer-service message) or {@code NOTICE} (subscribe notice inviting a reply)
 * @param ticketId   the ticket it is about, or null
 * @param recipient  who it is for, as shown on the ticket (a role and a name, never an openid)
 * @param purpose    why it is sent: ack, forward, relay, notify, remind, escalate, rate, invite
 * @param state      see {@link State}
 * @param partsSent  of a text longer than one message ({@link TextLimit#split}), the parts WeChat accepted so far:
 *                   a later attempt goes on with the next one
 * @param nextAttemptAt when a pending entry is tried next
 */
public record OutboxEntry(
        long id,
        String openId,
        Kind kind,
        String text,
        String ticketId,
        String recipient,
        String purpose,
        State state,
        int attempts,
        int partsSent,
        Instant nextAttemptAt,
        Integer lastErrcode,
        String lastError,
        Instant createdAt,
        Instant updatedAt) {

    public enum Kind { TEXT, NOTICE }

    /**
     * PENDING: to be sent. SENT: WeChat accepted it. WAITING: the recipient is outside the 48-hour window or out of
     * quota; sent when they next write. FAILED: WeChat refused it for good (errcode kept). PARKED: retries ran out.
     */
    public enum State { PENDING, SENT, WAITING, FAILED, PARKED;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** True while the entry may still be sent: pending, waiting for its recipient, or parked until a restart. */
    public boolean unfinished() {
        return state == State.PENDING || state == State.WAITING || state == State.PARKED;
    }

    public static OutboxEntry text(long id, String openId, String text, String ticketId, String recipient,
                                   String purpose, Instant now) {
        return new OutboxEntry(id, openId, Kind.TEXT, text, ticketId, recipient, purpose, State.PENDING, 0, 0, now,
                null, null, now, now);
    }

    public OutboxEntry with(State s, int tries, Instant next, Integer errcode, String error, Instant now) {
        return new OutboxEntry(id, openId, kind, text, ticketId, recipient, purpose, s, tries, partsSent, next, errcode,
                error, createdAt, now);
    }

    /** This entry with {@code n} of its parts accepted by WeChat. */
    public OutboxEntry withPartsSent(int n) {
        return new OutboxEntry(id, openId, kind, text, ticketId, recipient, purpose, state, attempts, n, nextAttemptAt,
                lastErrcode, lastError, createdAt, updatedAt);
    }

    /** The messages a text still takes (a notice: none of the recipient's customer-service messages). */
    int partsLeft() {
        return kind == Kind.NOTICE ? 0 : Math.max(1, TextLimit.parts(text) - partsSent);
    }
}
