package cn.budayang.bot.http;

import io.netty.util.concurrent.EventExecutor;

import java.util.concurrent.CompletableFuture;

/**
 * One method on one route. Called on the channel's event loop: it must not block, so anything slow goes to the
 * application executor and comes back as the future. It refuses a request by throwing {@link HttpError} or by
 * failing the future with one.
 */
@FunctionalInterface
interface Endpoint {

    /**
     * @param loop the channel's event loop, for timers; completing the future from any thread is fine
     */
    CompletableFuture<Response> handle(Request request, EventExecutor loop);
}
