package cn.budayang.bot.reception;

import java.time.Instant;
import java.util.Optional;

/**
 * The durable de-duplication record of one handled inbound message: a retry of the same message gets the same
 * passive reply and causes nothing new. {@code transferToAgent} records a hand-over to WeChat's customer-service
 * desk. {@code replyByOutbox} is set when the passive reply missed its deadline and went by customer-service message
 * instead, so retries then answer {@code success}.
 */
public record Processed(String reply, Instant at, boolean replyByOutbox, boolean transferToAgent) {

    public Processed replyMissed() {
        return new Processed(reply, at, true, transferToAgent);
    }

    /** The passive reply to give (again), if any. */
    public Optional<Reply> passive() {
        if (transferToAgent) {
            return Optional.of(new Reply.TransferToAgent());
        }
        return replyByOutbox || reply == null ? Optional.empty() : Optional.of(Reply.text(reply));
    }
}
