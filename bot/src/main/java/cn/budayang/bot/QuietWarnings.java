package cn.budayang.bot;

import org.slf4j.Logger;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Warnings and errors that a flood of bad requests or a wrong setting could repeat thousands of times: the first of
 * each kind is logged, then at most one a minute with how many were left out meanwhile. Thread-safe.
 */
public final class QuietWarnings {

    private static final long INTERVAL = TimeUnit.MINUTES.toNanos(1);

    private final Logger log;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        volatile long loggedAt;
        final AtomicLong suppressed = new AtomicLong();

        Window(long loggedAt) {
            this.loggedAt = loggedAt;
        }
    }

    public QuietWarnings(Logger log) {
        this.log = log;
    }

    /** Logs {@code event} (a key=value line) as a warning unless the same event was logged less than a minute ago. */
    public void warn(String event, String details) {
        log(event, details, false);
    }

    /** The same as {@link #warn}, at error level: something an operator must mend. */
    public void error(String event, String details) {
        log(event, details, true);
    }

    private void log(String event, String details, boolean error) {
        long now = System.nanoTime();
        Window w = windows.computeIfAbsent(event, e -> new Window(now - INTERVAL));
        synchronized (w) {
            if (now - w.loggedAt < INTERVAL) {
                w.suppressed.incrementAndGet();
                return;
            }
            w.loggedAt = now;
        }
        long left = w.suppressed.getAndSet(0);
        String suffix = left == 0 ? "" : " suppressed_since_last=" + left;
        if (error) {
            log.error("event={} {}{}", event, details, suffix);
        } else {
            log.warn("event={} {}{}", event, details, suffix);
        }
    }
}
