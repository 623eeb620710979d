package cn.budayang.bot;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuietWarningsTest {

    @Test
    void aFloodOfTheSameWarningLogsOnceAndOtherKindsStillLog() {
        Logger logger = (Logger) LoggerFactory.getLogger("quiet-warnings-test");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        QuietWarnings warnings = new QuietWarnings(logger);
        for (int i = 0; i < 10_000; i++) {
            warnings.warn("signed_push_refused", "kind=MALFORMED_XML");
        }
        warnings.warn("aes_push_without_key", "action=\"set WECHAT_AES_KEY\"");
        assertEquals(2, appender.list.size());
        assertTrue(appender.list.get(0).getFormattedMessage().startsWith("event=signed_push_refused kind=MALFORMED_XML"));
        assertTrue(appender.list.get(1).getFormattedMessage().contains("event=aes_push_without_key"));

        for (int i = 0; i < 20; i++) {
            warnings.error("outbox_config_error", "errcode=40164");
        }
        assertEquals(3, appender.list.size());
        assertEquals(ch.qos.logback.classic.Level.ERROR, appender.list.get(2).getLevel());
        assertTrue(appender.list.get(2).getFormattedMessage().startsWith("event=outbox_config_error errcode=40164"));
    }
}
