package cn.budayang.bot.reception;

import cn.budayang.wechat.WeChatMessage;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The reception desk as the webhook sees it: one verified, decoded inbound message in, a passive reply out.
 *
 * <p>Implementations never block the caller: the returned future completes on an application thread once the
 * message and everything it caused (ticket, outbox entries, de-duplication record) is durable. A retry of a message
 * already handled completes with the reply recorded the first time and causes nothing new.
 */
public interface Reception {

    /**
     * Accepts a message.
     *
     * @return a future of the passive reply for the sender, or empty when the answer is {@code success}
     *     (nothing to say, or the reply goes by customer-service message). Completes exceptionally only when the
     *     message could not be stored; the caller then answers 503 (nothing acknowledged) and WeChat's retry gets
     *     another try.
     */
    CompletableFuture<Optional<Reply>> receive(WeChatMessage message);

    /**
     * Tells the desk that the passive reply for {@code message} did not reach WeChat in time (the webhook answered
     * {@code success} instead); the reply is then delivered by customer-service message through the outbox.
     */
    void replyMissed(WeChatMessage message);
}
