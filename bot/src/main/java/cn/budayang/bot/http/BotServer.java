package cn.budayang.bot.http;

import cn.budayang.bot.Problems;
import cn.budayang.bot.config.BotConfig;
import cn.budayang.bot.reception.Reception;
import cn.budayang.bot.ticket.AdminQueries;
import cn.budayang.wechat.WeChatProtocol;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.UnresolvedAddressException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The HTTP server: {@code /wechat} (webhook), {@code /healthz}, {@code /api/*} (admin, bearer token).
 *
 * <p>{@link #start()} creates the event loops and binds {@code config.host():config.port()} (port 0 picks a free
 * one); {@link #close()} stops accepting, and shuts the loops down gracefully. Event loops never block: webhook
 * receptions and admin queries run on {@code appExecutor}, which the caller owns and shuts down. The health
 * supplier runs on the event loop and must be cheap. Not restartable: one start, one close.
 */
public final class BotServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BotServer.class);

    /** Time from a request's first byte to the start of its answer (slow-loris bound); above any endpoint's work. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final BotConfig config;
    private final BotServerInitializer initializer;

    private EventLoopGroup bossGroup;
    private EventLoopGroup workerGroup;
    private Channel serverChannel;
    private boolean started;

    public BotServer(BotConfig config, WeChatProtocol protocol, Reception reception, AdminQueries admin,
                     Supplier<Map<String, Object>> health, Executor appExecutor, Clock clock) {
        this(config, protocol, reception, admin, health, appExecutor, appExecutor, clock);
    }

    /**
     * @param adminExecutor runs the admin API's queries (full scans for stats and long lists): apart from
     *                      {@code appExecutor}, so that however many of them run, the webhook's work is not queued
     *                      behind them
     */
    public BotServer(BotConfig config, WeChatProtocol protocol, Reception reception, AdminQueries admin,
                     Supplier<Map<String, Object>> health, Executor appExecutor, Executor adminExecutor,
                     Clock clock) {
        this(config, protocol, reception, admin, health, appExecutor, AdminExecutors.all(adminExecutor), clock);
    }

    /**
     * @param adminExecutors run the admin API's lookups, lists and statistics, each apart from the others and from
     *                       {@code appExecutor}
     */
    public BotServer(BotConfig config, WeChatProtocol protocol, Reception reception, AdminQueries admin,
                     Supplier<Map<String, Object>> health, Executor appExecutor, AdminExecutors adminExecutors,
                     Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.initializer = new BotServerInitializer(
                routes(config, protocol, reception, admin, health, appExecutor, adminExecutors, clock), appExecutor,
                config.maxBodyBytes(), config.idleTimeout(), REQUEST_TIMEOUT);
    }

    /** The route table; tests build their pipelines from the same wiring. */
    static List<Route> routes(BotConfig config, WeChatProtocol protocol, Reception reception, AdminQueries admin,
                              Supplier<Map<String, Object>> health, Executor appExecutor, Executor adminExecutor,
                              Clock clock) {
        return routes(config, protocol, reception, admin, health, appExecutor, AdminExecutors.all(adminExecutor),
                clock);
    }

    static List<Route> routes(BotConfig config, WeChatProtocol protocol, Reception reception, AdminQueries admin,
                              Supplier<Map<String, Object>> health, Executor appExecutor,
                              AdminExecutors adminExecutors, Clock clock) {
        WeChatEndpoint wechat = new WeChatEndpoint(protocol, reception, appExecutor, clock, config.replyBudget());
        AdminEndpoint api = new AdminEndpoint(admin, config.adminToken(), adminExecutors);
        HealthEndpoint healthz = new HealthEndpoint(health);
        return List.of(
                Route.exact("/wechat", Map.of(HttpMethod.GET, wechat::verify, HttpMethod.POST, wechat::receive)),
                Route.exact("/healthz", Map.of(HttpMethod.GET, healthz::get)),
                Route.tree("/api", api::authorize, Map.of(HttpMethod.GET, api::get)));
    }

    /** The pipeline initializer, for tests on {@code EmbeddedChannel}. */
    BotServerInitializer initializer() {
        return initializer;
    }

    /**
     * Binds and starts serving.
     *
     * @return the port actually bound
     * @throws IllegalStateException when already started, or when the address cannot be bound (the message names it)
     */
    public synchronized int start() {
        if (started) {
            throw new IllegalStateException("server already started");
        }
        started = true;
        bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("http-accept"),
                NioIoHandler.newFactory());
        workerGroup = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("http-io"),
                NioIoHandler.newFactory());
        try {
            serverChannel = new ServerBootstrap()
                    .group(bossGroup, workerGroup)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 256)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(initializer)
                    .bind(config.host(), config.port())
                    .syncUninterruptibly()
                    .channel();
        } catch (Exception e) { // BindException arrives unchecked-by-stealth from syncUninterruptibly
            shutdownGroups();
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + bindProblem(e), e);
        }
        int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        log.info("HTTP server listening on {}:{}", config.host(), port);
        return port;
    }

    /** Why a bind failed and which setting to change (an unresolved host's exception has no message at all). */
    private static String bindProblem(Exception e) {
        String why = Problems.of(e);
        if (e instanceof UnresolvedAddressException) {
            return why + "; set BOT_HOST to a name or address of this machine (0.0.0.0 listens on all)";
        }
        if (e instanceof BindException && why.toLowerCase(Locale.ROOT).contains("in use")) {
            return why + "; set BOT_PORT to a free port, or stop what listens on it";
        }
        return why + "; check BOT_HOST (an address of this machine) and BOT_PORT";
    }

    /** Stops accepting, closes the listening socket and shuts the event loops down; idempotent. */
    @Override
    public synchronized void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
            serverChannel = null;
        }
        shutdownGroups();
    }

    private void shutdownGroups() {
        if (bossGroup != null) {
            bossGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        }
        if (workerGroup != null) {
            workerGroup.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
        if (bossGroup != null) {
            bossGroup.terminationFuture().syncUninterruptibly();
        }
        bossGroup = null;
        workerGroup = null;
    }
}
