package cn.budayang.bot.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Slow-loris guard, placed before the HTTP codec: the first bytes of a request start a deadline, the first bytes
 * of the response clear it; when the deadline passes first, {@link Expired} goes down the pipeline: the
 * {@link HttpDispatcher} answers a request it is working on with a 503 and closes the connection, and closes one
 * whose request never arrived in full. Unlike a plain read timeout this also catches a client that trickles one
 * byte at a time, and it leaves idle keep-alive connections to the idle timeout. The deadline therefore bounds
 * "request received and answer started", so it must exceed the slowest endpoint (the webhook answers within its
 * reply budget).
 */
final class RequestTimeoutHandler extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(RequestTimeoutHandler.class);

    /** The user event of a deadline passed: the request was not answered within {@code timeout}. */
    record Expired(Duration timeout) {
    }

    private final long timeoutNanos;
    private ScheduledFuture<?> deadline;

    RequestTimeoutHandler(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive, was " + timeout);
        }
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (deadline == null) {
            deadline = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        cancel();
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void expire(ChannelHandlerContext ctx) {
        deadline = null;
        log.debug("request on {} not answered within {} ms", ctx.channel().id(),
                TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        ctx.fireUserEventTriggered(new Expired(Duration.ofNanos(timeoutNanos)));
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
