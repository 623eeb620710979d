package cn.budayang.bot.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.budayang.bot.store.MapDbStore;
import cn.budayang.wechat.api.WeChatApiException;
import cn.budayang.wechat.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A text that becomes sendable again late in its life (resumed at a start after it was parked, or released by its
 * recipient's message after days of waiting) gets the whole retry period again, not what was left of it.
 */
class OutboxResumeTest {

    @TempDir
    Path data;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T02:00:00Z"));
    private final List<String> accepted = new CopyOnWriteArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();

    /** Fails the first {@code n} sends as an outage does (HTTP 502), then accepts. */
    private Outbox.Sender failingFirst(int n) {
        return new Outbox.Sender() {
            @Override
            public void sendText(String openId, String content) {
                if (calls.incrementAndGet() <= n) {
                    throw new WeChatApiException("/cgi-bin/message/custom/send", -2, "HTTP status 502");
                }
                accepted.add(content);
            }

            @Override
            public void sendNotice(String openId, String templateId, Map<String, String> data) {
            }
        };
    }

    /** Moves the clock on by {@code step} until the entry leaves PENDING (or 60 steps), and returns it. */
    private OutboxEntry stepUntilSettled(MapDbStore store, long id, Duration step) throws InterruptedException {
        for (int i = 0; i < 60; i++) {
            Thread.sleep(100);
            if (store.outbox().get(id).orElseThrow().state() != OutboxEntry.State.PENDING) {
                break;
            }
            clock.advance(step);
        }
        return store.outbox().get(id).orElseThrow();
    }

    @Test
    void aTextParkedAfterAnOutageAndResumedAtStartIsRetriedAfterAnotherFailure() throws Exception {
        Instant then = clock.instant().minus(Duration.ofDays(3));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (MapDbStore store = MapDbStore.open(data)) {
            store.write(s -> {
                s.next("outbox");
                s.outbox().put(1L, new OutboxEntry(1L, "oCitizen", OutboxEntry.Kind.TEXT, "【代表答复 #1001】已修好", "1001",
                        "群众", "relay", OutboxEntry.State.PARKED, 12, 0, null, -2, "HTTP status 502", "TRANSPORT",
                        then, then.plus(Duration.ofHours(48)), null));
                return null;
            }).join();
            try (Outbox outbox = new Outbox(store, failingFirst(1), null, clock, pool)) {
                outbox.start();
                OutboxEntry e = stepUntilSettled(store, 1L, Duration.ofSeconds(20));
                assertEquals(OutboxEntry.State.SENT, e.state(), "one more 502 after the restart does not park it");
                assertEquals(List.of("【代表答复 #1001】已修好"), accepted);
                assertEquals(2, calls.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTextReleasedAfterDaysOfWaitingGetsTheWholeRetryPeriod() throws Exception {
        Instant then = clock.instant().minus(Duration.ofDays(3));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (MapDbStore store = MapDbStore.open(data)) {
            store.write(s -> {
                s.next("outbox");
                s.outbox().put(1L, new OutboxEntry(1L, "oCitizen", OutboxEntry.Kind.TEXT, "【代表答复 #1001】已修好", "1001",
                        "群众", "relay", OutboxEntry.State.WAITING, 1, 0, null, 45015, "out of the window",
                        "OUT_OF_WINDOW", then, then.plusSeconds(1), null));
                return null;
            }).join();
            try (Outbox outbox = new Outbox(store, failingFirst(10), null, clock, pool)) {
                outbox.start();
                Instant released = clock.instant();
                outbox.wake(store.write(s -> outbox.release(s, "oCitizen", released)).join());
                // ten failures take about a quarter of an hour of back-off: well inside 48 hours from the release
                OutboxEntry e = stepUntilSettled(store, 1L, Duration.ofSeconds(30));
                assertEquals(OutboxEntry.State.SENT, e.state(), "released three days after its creation");
                assertEquals(11, calls.get());
                assertTrue(e.retriedSince().equals(released), "retried since its release");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
