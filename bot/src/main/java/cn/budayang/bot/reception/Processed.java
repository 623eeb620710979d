package cn.budayang.bot.reception;

import java.time.Instant;

/**
 * The durable de-duplication record of one handled inbound message: a retry of the same message gets the same
 * {@code reply} and causes nothing new. {@code replyByOutbox} is set when the passive reply missed its deadline and
 * went by customer-service message instead, so retries then answer {@code success}.
 */
public record Processed(String reply, Instant at, boolean replyByOutbox) {

    public Processed replyMissed() {
        return new Processed(reply, at, true);
    }
}
