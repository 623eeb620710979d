package cn.budayang.bot.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;

/**
 * {@link HttpObjectAggregator} whose oversized requests always end the connection with a 413.
 *
 * <p>The stock aggregator answers 413 and closes for a chunked body that grows too large, but for a keep-alive
 * request whose {@code Content-Length} is already over the limit it answers a bare 413 and keeps the connection
 * open, discarding the body. Here both cases hand the request head to {@link HttpDispatcher} as a
 * {@link RequestTooLarge} event; the dispatcher answers 413 in its usual format, in order, and closes. An
 * {@code Expect: 100-continue} request over the limit gets the stock 413 and is closed
 * ({@code closeOnExpectationFailed}); one within the limit gets {@code 100 Continue}.
 */
final class BoundedHttpObjectAggregator extends HttpObjectAggregator {

    /** A request whose body was refused for size; {@code request} has an empty body. */
    record RequestTooLarge(Request request, int limit) {
    }

    BoundedHttpObjectAggregator(int maxBodyBytes) {
        super(maxBodyBytes, true);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (oversized instanceof HttpRequest request) {
            ctx.fireUserEventTriggered(new RequestTooLarge(Request.headOnly(request), maxContentLength()));
        } else {
            super.handleOversizedMessage(ctx, oversized);
        }
    }
}
