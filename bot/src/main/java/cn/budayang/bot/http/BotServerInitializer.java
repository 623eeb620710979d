package cn.budayang.bot.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline of one connection, and nothing else: request deadline (slow-loris), idle close, HTTP codec,
 * keep-alive, aggregation up to {@code maxBodyBytes} (413 and close beyond), then the per-connection
 * {@link HttpDispatcher}.
 */
final class BotServerInitializer extends ChannelInitializer<Channel> {

    private final List<Route> routes;
    private final Executor appExecutor;
    private final int maxBodyBytes;
    private final Duration idleTimeout;
    private final Duration requestTimeout;

    /**
     * @param idleTimeout    a connection with no traffic either way for this long is closed
     * @param requestTimeout a request must arrive in full, and its answer start, within this long of its first byte
     */
    BotServerInitializer(List<Route> routes, Executor appExecutor, int maxBodyBytes, Duration idleTimeout,
                         Duration requestTimeout) {
        this.routes = List.copyOf(routes);
        this.appExecutor = Objects.requireNonNull(appExecutor, "appExecutor");
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be positive, was " + maxBodyBytes);
        }
        this.maxBodyBytes = maxBodyBytes;
        this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("requestTimeout", new RequestTimeoutHandler(requestTimeout));
        p.addLast("idle", new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        p.addLast("codec", new HttpServerCodec());
        p.addLast("keepAlive", new HttpServerKeepAliveHandler());
        p.addLast("aggregator", new BoundedHttpObjectAggregator(maxBodyBytes));
        p.addLast("dispatcher", new HttpDispatcher(routes, appExecutor));
    }
}
