package cn.budayang.bot.http;

import org.slf4j.Logger;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Warnings that a flood of bad requests could repeat thousands of times: the first of each kind is logged, then at
 * most one a minute with how many were left out meanwhile. Thread-safe.
 */
final class QuietWarnings {

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

    QuietWarnings(Logger log) {
        this.log = log;
    }

    /** Logs {@code event} (a key=value line) unless the same event was logged less than a minute ago. */
    void warn(String event, String details) {
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
        log.warn("event={} {}{}", event, details, left == 0 ? "" : " suppressed_since_last=" + left);
    }
}
