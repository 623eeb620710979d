package cn.budayang.bot.outbox;

import cn.budayang.wechat.api.WeChatApiException;

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
 * @param lastErrcode   WeChat's errcode of the last failed attempt ({@code -2}: a transport failure), or null
 * @param lastError     what that failure said (WeChat's errmsg, or the transport failure), or null
 * @param lastErrorKind what the client made of it ({@link WeChatApiException.Kind} by name): the errcode alone does
 *                      not tell, e.g. 40001 from the token endpoint is a wrong AppSecret, from a send a stale token;
 *                      null for entries stored before it was kept (then {@link #lastKind} reads the errcode)
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
        String lastErrorKind,
        Instant createdAt,
        Instant updatedAt,
        Instant sendableSince) {

    public enum Kind { TEXT, NOTICE }

    /**
     * PENDING: to be sent (or retried after a temporary failure). SENT: WeChat accepted it. WAITING: the recipient is
     * outside the 48-hour window or out of quota; sent when they next write. FAILED: WeChat refused it for good
     * (errcode kept). PARKED: put aside until the next start, which sends it again: the account's settings are wrong,
     * or temporary failures went on for {@link Outbox#MAX_AGE}.
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
                null, null, null, now, now, null);
    }

    /** This entry in state {@code s}; the kind of the last error stays while its errcode does (null clears both). */
    public OutboxEntry with(State s, int tries, Instant next, Integer errcode, String error, Instant now) {
        String kindName = errcode != null && errcode.equals(lastErrcode) ? lastErrorKind : null;
        return new OutboxEntry(id, openId, kind, text, ticketId, recipient, purpose, s, tries, partsSent, next, errcode,
                error, kindName, createdAt, now, sendableSince);
    }

    /** This entry in state {@code s} after an attempt that failed with {@code x}: its errcode, errmsg and kind. */
    public OutboxEntry with(State s, int tries, Instant next, WeChatApiException x, Instant now) {
        return new OutboxEntry(id, openId, kind, text, ticketId, recipient, purpose, s, tries, partsSent, next,
                x.errcode(), x.errmsg(), x.kind().name(), createdAt, now, sendableSince);
    }

    /**
     * What the last failure was: the kind stored with it, or for an entry stored before kinds were kept, the kind its
     * errcode has on a send; null when the last attempt did not fail.
     */
    public WeChatApiException.Kind lastKind() {
        if (lastErrorKind != null) {
            try {
                return WeChatApiException.Kind.valueOf(lastErrorKind);
            } catch (IllegalArgumentException unknown) {
                // a kind of a later version: read the errcode
            }
        }
        return lastErrcode == null ? null : WeChatApiException.kindOf(lastErrcode);
    }

    /**
     * This entry pending again from {@code now} (released by its recipient's message, or resumed at a start after it
     * was parked): its attempts count from zero and temporary failures are retried for {@link Outbox#MAX_AGE} from
     * now, not from its creation; the last error stays for the record.
     */
    public OutboxEntry resumed(Instant now) {
        return new OutboxEntry(id, openId, kind, text, ticketId, recipient, purpose, State.PENDING, 0, partsSent, now,
                lastErrcode, lastError, lastErrorKind, createdAt, now, now);
    }

    /** Since when the entry may be sent: its creation, or its latest release or resumption. */
    public Instant retriedSince() {
        return sendableSince == null ? createdAt : sendableSince;
    }

    /** This entry with {@code n} of its parts accepted by WeChat. */
    public OutboxEntry withPartsSent(int n) {
        return new OutboxEntry(id, openId, kind, text, ticketId, recipient, purpose, state, attempts, n, nextAttemptAt,
                lastErrcode, lastError, lastErrorKind, createdAt, updatedAt, sendableSince);
    }

    /** The messages a text still takes (a notice: none of the recipient's customer-service messages). */
    int partsLeft() {
        return kind == Kind.NOTICE ? 0 : Math.max(1, TextLimit.parts(text) - partsSent);
    }
}
