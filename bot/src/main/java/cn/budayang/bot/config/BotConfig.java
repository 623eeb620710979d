package cn.budayang.bot.config;

import cn.budayang.bot.reception.DutyCalendar;
import cn.budayang.wechat.WeChatCredentials;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the server is configured with, loaded once at start by {@link ConfigLoader} (flags over environment
 * over config file over defaults) and validated there. Secrets never appear in {@link #toString()}.
 *
 * @param knowledgeDir   directory of the four knowledge files, or null for the bundled sample city
 * @param adminToken     bearer token for {@code /api/*}; null refuses every admin request
 * @param noticeTemplateId subscribe-notice template for recipients outside the 48-hour window; null disables notices
 * @param maxBodyBytes   largest accepted request body; larger gets 413
 * @param replyBudget    how long the webhook waits for the passive reply before answering {@code success}
 * @param freshness      accepted distance between a request's timestamp and now
 */
public record BotConfig(
        String host,
        int port,
        Path dataDir,
        Path knowledgeDir,
        WeChatCredentials wechat,
        URI apiBase,
        String noticeTemplateId,
        String adminToken,
        Duration answerDeadline,
        DutyCalendar duty,
        int maxBodyBytes,
        Duration replyBudget,
        Duration freshness,
        Duration idleTimeout,
        boolean demoToken) {

    public static final String DEMO_TOKEN = "budayang-demo-token";
    public static final String DEMO_APP_ID = "wx0000000000000000";
    public static final String DEMO_APP_SECRET = "budayang-demo-secret";

    /** Embedded defaults: port 8080 on every interface, data in ./data, the bundled sample city, demo credentials. */
    public static BotConfig defaults() {
        return new BotConfig("0.0.0.0", 8080, Path.of("data"), null,
                new WeChatCredentials(DEMO_TOKEN, DEMO_APP_ID, DEMO_APP_SECRET, null),
                URI.create("https://api.weixin.qq.com"), null, null, Duration.ofHours(24), DutyCalendar.WEEKDAYS, 64 * 1024,
                Duration.ofMillis(4000), Duration.ofSeconds(300), Duration.ofSeconds(60), true);
    }

    public BotConfig withPort(int p) {
        return with(b -> b.port = p);
    }

    public BotConfig withHost(String h) {
        return with(b -> b.host = h);
    }

    public BotConfig withDataDir(Path d) {
        return with(b -> b.dataDir = d);
    }

    /** Real credentials and API base: no longer the demo token. */
    public BotConfig withWeChat(WeChatCredentials w, URI api) {
        return with(b -> {
            b.wechat = w;
            b.apiBase = api;
            b.demoToken = false;
        });
    }

    public BotConfig withAdminToken(String t) {
        return with(b -> b.adminToken = t);
    }

    public BotConfig withNoticeTemplateId(String t) {
        return with(b -> b.noticeTemplateId = t);
    }

    public BotConfig withAnswerDeadline(Duration d) {
        return with(b -> b.answerDeadline = d);
    }

    public BotConfig withReplyBudget(Duration d) {
        return with(b -> b.replyBudget = d);
    }

    public BotConfig withKnowledgeDir(Path d) {
        return with(b -> b.knowledgeDir = d);
    }

    private BotConfig with(java.util.function.Consumer<Copy> change) {
        Copy b = new Copy(this);
        change.accept(b);
        return b.build();
    }

    /** A mutable copy, so that each {@code with...} names only what it changes. */
    private static final class Copy {
        String host;
        int port;
        Path dataDir;
        Path knowledgeDir;
        WeChatCredentials wechat;
        URI apiBase;
        String noticeTemplateId;
        String adminToken;
        Duration answerDeadline;
        DutyCalendar duty;
        int maxBodyBytes;
        Duration replyBudget;
        Duration freshness;
        Duration idleTimeout;
        boolean demoToken;

        Copy(BotConfig c) {
            host = c.host;
            port = c.port;
            dataDir = c.dataDir;
            knowledgeDir = c.knowledgeDir;
            wechat = c.wechat;
            apiBase = c.apiBase;
            noticeTemplateId = c.noticeTemplateId;
            adminToken = c.adminToken;
            answerDeadline = c.answerDeadline;
            duty = c.duty;
            maxBodyBytes = c.maxBodyBytes;
            replyBudget = c.replyBudget;
            freshness = c.freshness;
            idleTimeout = c.idleTimeout;
            demoToken = c.demoToken;
        }

        BotConfig build() {
            return new BotConfig(host, port, dataDir, knowledgeDir, wechat, apiBase, noticeTemplateId, adminToken,
                    answerDeadline, duty, maxBodyBytes, replyBudget, freshness, idleTimeout, demoToken);
        }
    }

    @Override
    public String toString() {
        return "BotConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir + ", knowledgeDir="
                + (knowledgeDir == null ? "(bundled sample)" : knowledgeDir) + ", wechat=" + wechat + ", apiBase="
                + apiBase + ", noticeTemplateId=" + noticeTemplateId + ", adminToken="
                + (adminToken == null ? "(unset: /api refused)" : "****") + ", answerDeadline=" + answerDeadline
                + ", duty=" + duty
                + ", maxBodyBytes=" + maxBodyBytes + ", replyBudget=" + replyBudget + ", freshness=" + freshness
                + ", idleTimeout=" + idleTimeout + "]";
    }
}
