package cn.budayang.bot;

import cn.budayang.bot.config.BotConfig;
import cn.budayang.bot.http.AdminExecutors;
import cn.budayang.bot.http.BotServer;
import cn.budayang.bot.outbox.Outbox;
import cn.budayang.bot.reception.ConversationEngine;
import cn.budayang.bot.reception.Desk;
import cn.budayang.bot.store.MapDbStore;
import cn.budayang.bot.store.Store;
import cn.budayang.bot.ticket.TicketAdmin;
import cn.budayang.knowledge.Knowledge;
import cn.budayang.wechat.WeChatProtocol;
import cn.budayang.wechat.api.Sleeper;
import cn.budayang.wechat.api.WeChatApiClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The composition root: builds every part from one {@link BotConfig}, starts them in order and stops them in
 * reverse. Tests build the same app on port 0 with a fixed or moving clock.
 */
public final class BotApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BotApp.class);
    /** How often the lifecycle clock looks for reminders and escalations, at most ... */
    static final Duration TICK = Duration.ofSeconds(30);
    /** ... and at least (a tenth of a short answer deadline, so that its reminder at half comes on time). */
    static final Duration MIN_TICK = Duration.ofSeconds(1);
    /** Concurrent outbound calls: WeChat answers in tens of milliseconds, so sends wait on the network, not CPU. */
    static final int OUTBOX_THREADS = 16;
    /** Admin lookups, and ticket lists, that may run at once (each kind apart from the other). */
    static final int ADMIN_THREADS = 2;

    private final BotConfig config;
    private final Clock clock;
    private final Knowledge knowledge;
    private final Store store;
    private final ExecutorService appExecutor;
    /**
     * The admin API's queries, apart from the webhook's work and from each other: lookups of one ticket, ticket
     * lists, and the statistics one at a time (requests that queue behind one computation get its result).
     */
    private final ExecutorService adminLookups;
    private final ExecutorService adminLists;
    private final ExecutorService adminStats;
    private final Outbox outbox;
    private final Desk desk;
    private final TicketAdmin admin;
    private final BotServer server;
    private final ScheduledExecutorService ticker;
    private final HttpClient http;
    private final Instant startedAt;
    private int port;

    public BotApp(BotConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.startedAt = clock.instant();
        // the store first: a data directory another server is using stops the start at once, before seconds of
        // loading the knowledge
        this.store = MapDbStore.open(config.dataDir());
        try {
            this.knowledge = config.knowledgeDir() == null ? Knowledge.bundled(clock)
                    : Knowledge.fromDirectory(config.knowledgeDir(), clock);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
        this.appExecutor = Executors.newFixedThreadPool(threads, named("app"));
        this.adminLookups = Executors.newFixedThreadPool(ADMIN_THREADS, named("admin-lookup"));
        this.adminLists = Executors.newFixedThreadPool(ADMIN_THREADS, named("admin-list"));
        this.adminStats = Executors.newSingleThreadExecutor(named("admin-stats"));
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        WeChatApiClient api = new WeChatApiClient(config.apiBase(), config.wechat(), http, clock, Sleeper.system(),
                false);
        this.outbox = new Outbox(store, new Outbox.Sender() {
            @Override
            public void sendText(String openId, String content) {
                api.sendText(openId, content);
            }

            @Override
            public void sendNotice(String openId, String templateId, Map<String, String> data) {
                api.sendSubscribeNotice(openId, templateId, null, data);
            }
        }, config.noticeTemplateId(), clock, Executors.newFixedThreadPool(OUTBOX_THREADS, named("outbox")));
        this.desk = new Desk(store, knowledge::current, new ConversationEngine(config.answerDeadline(), config.duty()), outbox,
                appExecutor, clock);
        this.admin = new TicketAdmin(store, clock);
        WeChatProtocol protocol = new WeChatProtocol(config.wechat(), clock, config.freshness(), new SecureRandom());
        this.server = new BotServer(config, protocol, desk, admin, this::health, appExecutor,
                new AdminExecutors(adminLookups, adminLists, adminStats), clock);
        this.ticker = Executors.newSingleThreadScheduledExecutor(named("lifecycle-clock"));
    }

    /** Recovers state, starts delivery and the clock, binds the server. Returns the bound port. */
    public int start() {
        desk.recover();
        outbox.start();
        if (config.knowledgeDir() != null) {
            knowledge.startWatching(Duration.ofSeconds(2));
        }
        long tick = tick(config.answerDeadline()).toMillis();
        ticker.scheduleWithFixedDelay(this::tickQuietly, tick, tick, TimeUnit.MILLISECONDS);
        port = server.start();
        return port;
    }

    /**
     * The lifecycle clock's period: {@link #TICK}, or a tenth of the answer deadline when that is shorter (a deadline
     * of 20 s is checked every 2 s: its reminder comes at 10–12 s, its escalation at 20–22 s), never under
     * {@link #MIN_TICK}.
     */
    static Duration tick(Duration answerDeadline) {
        Duration tenth = answerDeadline.dividedBy(10);
        return tenth.compareTo(TICK) >= 0 ? TICK : tenth.compareTo(MIN_TICK) <= 0 ? MIN_TICK : tenth;
    }

    private void tickQuietly() {
        try {
            desk.tick().join();
        } catch (RuntimeException e) {
            log.error("event=lifecycle_tick_failed error=\"{}\" action=\"retried at the next tick\"", e.toString());
        }
    }

    /**
     * Runs on an event loop: only in-memory figures, never a store scan. {@code status} is {@code degraded} (and the
     * answer 503) when the knowledge watcher has stopped: edits of the knowledge files are no longer picked up.
     */
    Map<String, Object> health() {
        Knowledge.Status k = knowledge.status();
        Map<String, Object> served = new LinkedHashMap<>();
        served.put("source", k.directory() == null ? "bundled" : k.directory().toString());
        served.put("loadedAt", k.loadedAt().toString());
        served.put("watcher", k.watcher().name().toLowerCase(Locale.ROOT));
        served.put("lastError", k.lastError());
        served.put("summary", knowledge.current().base().toString());
        Map<String, Object> h = new LinkedHashMap<>();
        // "degraded" (503): the knowledge watcher stopped; "attention" (200): texts are parked or sends are failing
        // (see "outbox"), the server itself serves
        h.put("status", k.watcher() == Knowledge.Watcher.STOPPED ? "degraded"
                : outbox.needsAttention() ? "attention" : "ok");
        h.put("uptimeSeconds", Duration.between(startedAt, clock.instant()).toSeconds());
        h.put("outboxBacklog", outbox.backlog());
        h.put("outbox", outbox.health());
        h.put("watchedDeadlines", desk.watched());
        h.put("knowledge", served);
        return h;
    }

    public int port() {
        return port;
    }

    public Desk desk() {
        return desk;
    }

    public Store store() {
        return store;
    }

    public TicketAdmin admin() {
        return admin;
    }

    public Knowledge knowledge() {
        return knowledge;
    }

    @Override
    public void close() {
        server.close();
        ticker.shutdownNow();
        outbox.close();
        knowledge.close();
        store.close();
        appExecutor.shutdown();
        adminLookups.shutdownNow();
        adminLists.shutdownNow();
        adminStats.shutdownNow();
        try {
            appExecutor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
