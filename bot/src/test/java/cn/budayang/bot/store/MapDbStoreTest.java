package cn.budayang.bot.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real store on a real file: the journal, the checkpoints, and what a crash leaves. */
class MapDbStoreTest {

    private static final Duration NEVER = Duration.ofHours(1);

    @TempDir
    Path dir;

    private static <R> R await(java.util.concurrent.CompletableFuture<R> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void acknowledgedWritesSurviveACrashBeforeAnyCheckpoint() throws Exception {
        MapDbStore store = MapDbStore.open(dir, NEVER);
        for (long i = 1; i <= 300; i++) {
            long n = i;
            await(store.write(s -> {
                s.ticketDeliveries().put(n, new long[]{n, n * 2});
                s.deputyBindings().put("d" + n, "o" + n);
                return null;
            }));
        }
        await(store.write(s -> {
            s.deputyBindings().remove("d7");
            s.ticketDeliveries().put(5L, new long[]{55});
            return null;
        }));
        assertFalse(Journal.segments(dir).isEmpty(), "the writes are in the journal");
        store.haltForTest();

        try (MapDbStore reopened = MapDbStore.open(dir, NEVER)) {
            assertEquals(Optional.of("o300"), reopened.deputyBindings().get("d300"));
            assertEquals(Optional.empty(), reopened.deputyBindings().get("d7"), "the removal was replayed too");
            assertArrayEquals(new long[]{55}, reopened.ticketDeliveries().get(5L).orElseThrow());
            assertEquals(300, reopened.ticketDeliveries().size());
            assertEquals(299, reopened.deputyBindings().size());
            assertEquals(List.of(), Journal.segments(dir).stream().filter(s -> s < 2).toList(),
                    "replayed segments are deleted once committed");
        }
    }

    @Test
    void aRecordCutShortByACrashIsIgnoredAndTheRestKept() throws Exception {
        MapDbStore store = MapDbStore.open(dir, NEVER);
        await(store.write(s -> {
            s.deputyBindings().put("kept", "yes");
            return null;
        }));
        store.haltForTest();
        List<Long> segments = Journal.segments(dir);
        Path last = dir.resolve(String.format("journal-%016d.log", segments.get(segments.size() - 1)));
        // a record header promising more bytes than were written: the crash came mid-append
        Files.write(last, new byte[]{0, 0, 1, 0, 1, 2, 3, 4, 9, 9}, StandardOpenOption.APPEND);

        try (MapDbStore reopened = MapDbStore.open(dir, NEVER)) {
            assertEquals(Optional.of("yes"), reopened.deputyBindings().get("kept"));
            assertEquals(1, reopened.deputyBindings().size());
        }
    }

    @Test
    void checkpointsMoveWritesIntoMapDbAndDeleteTheJournal() throws Exception {
        try (MapDbStore store = MapDbStore.open(dir, Duration.ofMillis(20))) {
            for (long i = 1; i <= 50; i++) {
                long n = i;
                await(store.write(s -> {
                    s.ticketDeliveries().put(n, new long[]{n});
                    return null;
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Journal.segments(dir).size() > 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, Journal.segments(dir).size(), "only the open segment is left after a checkpoint");
            assertEquals(50, store.ticketDeliveries().size());
        }
        // a clean close commits everything: nothing to replay, and the values are in MapDB
        try (MapDbStore reopened = MapDbStore.open(dir, NEVER)) {
            assertEquals(50, reopened.ticketDeliveries().size());
            assertArrayEquals(new long[]{50}, reopened.ticketDeliveries().get(50L).orElseThrow());
        }
    }

    @Test
    void scansMergeCommittedAndJournaledWritesInKeyOrder() throws Exception {
        try (MapDbStore store = MapDbStore.open(dir, NEVER)) {
            await(store.write(s -> {
                for (long k : new long[]{1, 3, 5, 7}) {
                    s.ticketDeliveries().put(k, new long[]{k});
                }
                return null;
            }));
            store.close();
        }
        try (MapDbStore store = MapDbStore.open(dir, NEVER)) {
            // 1, 3, 5, 7 are in MapDB; 2 and 6 only in the overlay; 3 replaced, 5 removed
            await(store.write(s -> {
                s.ticketDeliveries().put(2L, new long[]{2});
                s.ticketDeliveries().put(6L, new long[]{6});
                s.ticketDeliveries().put(3L, new long[]{33});
                s.ticketDeliveries().remove(5L);
                return null;
            }));
            assertEquals(List.of(1L, 2L, 33L, 6L, 7L), firsts(store.ticketDeliveries().scan(v -> true, false, 0, 100)));
            assertEquals(List.of(7L, 6L, 33L, 2L, 1L), firsts(store.ticketDeliveries().scan(v -> true, true, 0, 100)));
            assertEquals(List.of(6L, 33L), firsts(store.ticketDeliveries().scan(v -> true, true, 1, 2)));
            assertEquals(5, store.ticketDeliveries().size());
            int removed = await(store.write(s -> s.ticketDeliveries().removeIf(v -> v[0] % 2 == 1)));
            assertEquals(3, removed, "1, 33 and 7");
            assertEquals(List.of(2L, 6L), firsts(store.ticketDeliveries().scan(v -> true, false, 0, 100)));
        }
    }

    @Test
    void writesOutsideTheWriterAreRefusedAndAFailingCallFailsOnlyItself() throws Exception {
        try (MapDbStore store = MapDbStore.open(dir, NEVER)) {
            assertThrows(IllegalStateException.class, () -> store.deputyBindings().put("x", "y"));
            var failing = store.write(s -> {
                throw new IllegalArgumentException("boom");
            });
            var fine = store.write(s -> {
                s.deputyBindings().put("a", "b");
                return "ok";
            });
            ExecutionException e = assertThrows(ExecutionException.class, () -> await(failing));
            assertTrue(e.getCause() instanceof IllegalArgumentException);
            assertEquals("ok", await(fine));
            assertEquals(Optional.of("b"), store.deputyBindings().get("a"));
        }
    }

    private static List<Long> firsts(List<long[]> values) {
        List<Long> out = new ArrayList<>();
        values.forEach(v -> out.add(v[0]));
        return out;
    }

    @Test
    void aStoreThatCannotBeOpenedSaysWhichDirectory() throws IOException {
        Path file = Files.createFile(dir.resolve("not-a-directory"));
        Exception e = assertThrows(RuntimeException.class, () -> MapDbStore.open(file.resolve("data")));
        assertTrue(e.getMessage().contains("not-a-directory"), e.getMessage());
    }
}
