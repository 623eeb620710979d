package cn.budayang.wechat.api;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import cn.budayang.wechat.WeChatCredentials;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs successes and every kind of failure at DEBUG and checks that no token or secret is ever written. */
class NoSecretsInLogsTest {

    private static final String OPENID = "oQx1";

    private final FakeWeChatApi fake = new FakeWeChatApi();
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private Level previous;

    @BeforeEach
    void attach() {
        previous = root.getLevel();
        root.setLevel(Level.DEBUG);
        appender.start();
        root.addAppender(appender);
    }

    @AfterEach
    void detach() {
        root.detachAppender(appender);
        root.setLevel(previous);
        fake.close();
    }

    @Test
    void tokenAndSecretNeverAppearInLogsOrExceptions() {
        WeChatCredentials credentials = new WeChatCredentials("the-webhook-token", FakeWeChatApi.DEFAULT_APP_ID,
                FakeWeChatApi.DEFAULT_APP_SECRET, null);
        WeChatApiClient client = new WeChatApiClient(fake.baseUrl(), credentials, HttpClient.newHttpClient(),
                MutableClock.atEpochSecond(1732600000L), d -> { }, false, Duration.ofMillis(300));
        List<Throwable> thrown = new ArrayList<>();

        client.sendText(OPENID, "ok");
        fake.invalidateTokens();
        client.sendText(OPENID, "after refresh");
        fake.failNext(FakeWeChatApi.CUSTOM_SEND_PATH, 40001, 2);
        thrown.add(assertThrows(WeChatApiException.class, () -> client.sendText(OPENID, "token keeps failing")));
        fake.failNext(FakeWeChatApi.CUSTOM_SEND_PATH, -1, 5);
        thrown.add(assertThrows(WeChatApiException.class, () -> client.sendText(OPENID, "busy")));
        fake.failFor(OPENID, 45015);
        thrown.add(assertThrows(WeChatApiException.class, () -> client.sendText(OPENID, "window")));
        fake.clearFailFor(OPENID);
        fake.failNext(FakeWeChatApi.CUSTOM_SEND_PATH, 40164, 1);
        thrown.add(assertThrows(WeChatApiException.class, () -> client.sendText(OPENID, "ip")));
        client.sendSubscribeNotice(OPENID, "T", null, Map.of("thing1", "x"));
        fake.setDelay(Duration.ofSeconds(2));
        thrown.add(assertThrows(WeChatApiException.class, () -> client.sendText(OPENID, "timeout")));
        fake.setDelay(Duration.ZERO);
        fake.outage(true);
        thrown.add(assertThrows(WeChatApiException.class, () -> client.sendText(OPENID, "503")));

        List<String> secrets = new ArrayList<>(fake.issuedTokens());
        assertTrue(secrets.size() >= 3, "the scenario issued several tokens: " + secrets.size());
        secrets.add(FakeWeChatApi.DEFAULT_APP_SECRET);
        secrets.add("the-webhook-token");

        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : appender.list) {
            lines.add(e.getFormattedMessage());
            for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                lines.add(t.getMessage());
            }
        }
        for (Throwable t : thrown) {
            for (Throwable c = t; c != null; c = c.getCause()) {
                lines.add(c.toString());
            }
        }
        assertTrue(lines.stream().anyMatch(l -> l != null && l.contains(FakeWeChatApi.CUSTOM_SEND_PATH)),
                "the client logged its calls at DEBUG: " + lines);
        for (String line : lines) {
            for (String secret : secrets) {
                assertFalse(line != null && line.contains(secret), "secret '" + secret + "' in: " + line);
            }
            assertFalse(line != null && line.contains("access_token="), "query string logged: " + line);
        }
    }
}
