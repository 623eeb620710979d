package cn.budayang.bot.proof;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Catches Netty's leak reports: attaches a list appender to {@link ResourceLeakDetector}'s logger (it logs
 * {@code LEAK: ...} at ERROR when a tracked buffer is garbage-collected unreleased). Tests run with
 * {@code -Dio.netty.leakDetection.level=paranoid} (parent POM), so every buffer is tracked.
 */
final class LeakWatch implements AutoCloseable {

    private final Logger logger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LeakWatch() {
        appender.setName("leak-watch");
        appender.start();
        logger.addAppender(appender);
    }

    /**
     * Collects garbage and allocates a few tracked buffers so the detector drains its reference queue, then returns
     * the leak reports seen so far. {@code traffic} is run in between (requests to the server allocate, too).
     */
    List<String> leaks(Runnable traffic) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
            for (int j = 0; j < 64; j++) {
                ByteBuf b = ByteBufAllocator.DEFAULT.buffer(64);
                b.release();
            }
            traffic.run();
        }
        synchronized (appender.list) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("LEAK:")).toList();
        }
    }

    String level() {
        return ResourceLeakDetector.getLevel().name();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
