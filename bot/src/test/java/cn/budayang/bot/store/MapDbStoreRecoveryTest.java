package cn.budayang.bot.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.spy;

import cn.budayang.bot.reception.Conversation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a crash the MapDB file is not trusted: it is rebuilt from the snapshot and the journal. The crash is
 * simulated by copying the data directory of a store that is still open (its journal holds the batches written since
 * the snapshot) and then damaging the copy's MapDB file, as a commit cut short does.
 */
class MapDbStoreRecoveryTest {

    @TempDir
    Path live;
    @TempDir
    Path crashed;

    @Test
    void everyAcknowledgedWriteSurvivesADamagedStoreFile() throws Exception {
        try (MapDbStore store = MapDbStore.open(live)) {
            for (int i = 0; i < 50; i++) {
                int n = i;
                store.write(s -> {
                    s.deputyBindings().put("code-" + n, "dep-" + n);
                    s.conversations().put("o" + n, Conversation.fresh("o" + n).withLastAnswered("问题 " + n));
                    return null;
                }).join();
            }
            store.write(s -> {
                s.deputyBindings().remove("code-7");
                return null;
            }).join();
            assertTrue(Files.size(live.resolve(MapDbStore.JOURNAL_NAME)) > 0, "the batches are journalled");
            copyStore(live, crashed);
        }
        // the copy's MapDB file is damaged past its header, as an index written half-way leaves it
        damageStoreFile(crashed, 11);

        try (MapDbStore store = MapDbStore.open(crashed)) {
            for (int i = 0; i < 50; i++) {
                assertEquals(i == 7 ? null : "dep-" + i, store.deputyBindings().get("code-" + i).orElse(null));
                assertEquals("问题 " + i, store.conversations().get("o" + i).orElseThrow().lastAnswered());
            }
            assertEquals(List.of(List.of()), Journal.read(crashed.resolve(MapDbStore.JOURNAL_NAME)),
                    "folded into a new snapshot: the journal holds only the marker of a running store");
        }
    }

    @Test
    void aStoreThatDidNotCloseIsRebuiltEvenWithNoBatchJournalledSinceItsSnapshot() throws Exception {
        try (MapDbStore store = MapDbStore.open(live)) {
            store.write(s -> {
                s.deputyBindings().put("code", "dep-1");
                return null;
            }).join();
        }
        // reopened, then "killed" before its first batch reached the journal: only the open's marker is there, and
        // MapDB may have written into its file in place already
        try (MapDbStore store = MapDbStore.open(live)) {
            copyStore(live, crashed);
        }
        damageStoreFile(crashed, 5);

        try (MapDbStore store = MapDbStore.open(crashed)) {
            assertEquals("dep-1", store.deputyBindings().get("code").orElseThrow());
        }
    }

    @Test
    void aCheckpointWhileRunningFoldsTheJournalIntoTheSnapshotAndACrashAfterItLosesNothing() throws Exception {
        String text = "问".repeat(2000);
        long written = 0;
        try (MapDbStore store = MapDbStore.open(live, UnaryOperator.identity(), 0, 0.5,
                Executors.newSingleThreadExecutor())) {
            for (int i = 0; i < 2000; i++) {
                int n = i;
                store.write(s -> {
                    s.conversations().put("o" + n, Conversation.fresh("o" + n).withLastAnswered(n + text));
                    return null;
                }).join();
                written += text.length() * 3L;
            }
            long journal = Files.size(live.resolve(MapDbStore.JOURNAL_NAME));
            assertTrue(journal < written / 2, "the journal (" + journal + " bytes) was folded into the snapshot "
                    + "while " + written + " bytes were written");
            copyStore(live, crashed);
        }
        assertFalse(Files.exists(live.resolve(MapDbStore.PREVIOUS_JOURNAL_NAME)), "a clean close settles everything");
        damageStoreFile(crashed, 3);

        try (MapDbStore store = MapDbStore.open(crashed)) {
            for (int i = 0; i < 2000; i++) {
                assertEquals(i + text, store.conversations().get("o" + i).orElseThrow().lastAnswered());
            }
        }
    }

    @Test
    void aCrashWhileACheckpointSettlesReplaysBothJournalsOntoTheOldSnapshot() throws Exception {
        try (MapDbStore store = MapDbStore.open(live)) {
            store.write(s -> {
                s.deputyBindings().put("first", "dep-1");
                return null;
            }).join();
        }
        // the next run writes a batch, then a checkpoint moves its journal aside and starts a new one, which gets
        // another batch; the crash comes before the copy is forced and renamed over the snapshot
        try (MapDbStore store = MapDbStore.open(live)) {
            store.write(s -> {
                s.deputyBindings().put("second", "dep-2");
                s.deputyBindings().put("first", "dep-1b");
                return null;
            }).join();
            copyStore(live, crashed);
        }
        Files.move(crashed.resolve(MapDbStore.JOURNAL_NAME), crashed.resolve(MapDbStore.PREVIOUS_JOURNAL_NAME));
        try (Journal next = Journal.open(crashed.resolve(MapDbStore.JOURNAL_NAME))) {
            next.append(List.of());
            next.append(List.of(new Journal.Op(4, "third", "\"dep-3\"".getBytes(StandardCharsets.UTF_8)),
                    new Journal.Op(4, "second", null)));
        }
        Files.write(crashed.resolve(MapDbStore.SNAPSHOT_NAME + ".tmp"), new byte[] {1, 2, 3});
        damageStoreFile(crashed, 7);

        try (MapDbStore store = MapDbStore.open(crashed)) {
            assertEquals("dep-1b", store.deputyBindings().get("first").orElseThrow());
            assertTrue(store.deputyBindings().get("second").isEmpty(), "removed in the new journal");
            assertEquals("dep-3", store.deputyBindings().get("third").orElseThrow());
            assertFalse(Files.exists(crashed.resolve(MapDbStore.PREVIOUS_JOURNAL_NAME)), "folded into the snapshot");
            assertFalse(Files.exists(crashed.resolve(MapDbStore.SNAPSHOT_NAME + ".tmp")));
        }
    }

    @Test
    void whileTheFileIsCopiedWritesAreReadFromTheOverlayAndReachMapDbAfterwards() throws Exception {
        ExecutorService checkpointer = Executors.newSingleThreadExecutor();
        CountDownLatch release = new CountDownLatch(1);
        checkpointer.submit(() -> {
            release.await();
            return null;
        });
        try (MapDbStore store = MapDbStore.open(live, UnaryOperator.identity(), 2000, 0, checkpointer)) {
            store.write(s -> {
                for (long k = 1; k <= 6; k++) {
                    s.ticketDeliveries().put(k, new long[] {k});
                }
                s.deputyBindings().put("kept", "dep-1");
                s.deputyBindings().put("changed", "dep-2");
                s.deputyBindings().put("removed", "dep-3");
                s.deputyBindings().put("large", "代".repeat(1000));
                s.deputyBindings().remove("large");
                return null;
            }).join();
            // that batch (3,000 bytes in one value) started a checkpoint, the later ones stay below 2,000 bytes; its
            // copy waits behind the latch, so these writes go to the overlays
            assertTrue(Files.exists(live.resolve(MapDbStore.PREVIOUS_JOURNAL_NAME)), "a checkpoint is running");
            store.write(s -> {
                s.ticketDeliveries().remove(2L);
                s.ticketDeliveries().put(4L, new long[] {40});
                s.ticketDeliveries().put(9L, new long[] {9});
                s.ticketDeliveries().put(0L, new long[] {0});
                s.deputyBindings().put("changed", "dep-20");
                s.deputyBindings().remove("removed");
                s.deputyBindings().put("new", "dep-4");
                return null;
            }).join();
            Table<Long, long[]> deliveries = store.ticketDeliveries();
            assertEquals(List.of(0L, 1L, 3L, 40L, 5L, 6L, 9L), firsts(deliveries.scan(d -> true, false, 0, 100)));
            assertEquals(List.of(9L, 6L, 5L, 40L, 3L, 1L, 0L), firsts(deliveries.scan(d -> true, true, 0, 100)));
            assertEquals(List.of(40L, 3L), firsts(deliveries.scan(d -> true, true, 3, 2)), "offset and limit");
            assertEquals(7, deliveries.size());
            assertEquals(3, store.deputyBindings().size());
            assertTrue(store.deputyBindings().get("large").isEmpty());
            assertEquals("dep-20", store.deputyBindings().get("changed").orElseThrow());
            assertTrue(store.deputyBindings().get("removed").isEmpty());
            assertEquals(List.of("dep-1", "dep-20", "dep-4"),
                    store.deputyBindings().scan(d -> true, false, 0, 10).stream().sorted().toList());
            assertEquals(2, store.write(s -> s.ticketDeliveries().removeIf(d -> d[0] == 9 || d[0] == 3)).join());

            release.countDown();
            // the next batches find the copy done and move the overlays into MapDB
            for (int i = 0; i < 50 && Files.exists(live.resolve(MapDbStore.PREVIOUS_JOURNAL_NAME)); i++) {
                store.write(s -> null).join();
                Thread.sleep(20);
            }
            assertFalse(Files.exists(live.resolve(MapDbStore.PREVIOUS_JOURNAL_NAME)), "the checkpoint settled");
            assertEquals(List.of(0L, 1L, 40L, 5L, 6L), firsts(deliveries.scan(d -> true, false, 0, 100)));
            Files.copy(live.resolve(MapDbStore.SNAPSHOT_NAME), crashed.resolve(MapDbStore.FILE_NAME));
        }
        // the snapshot is the file as it was when the checkpoint began: the writes held in the overlays are not in it
        try (MapDbStore snapshot = MapDbStore.open(crashed)) {
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L),
                    firsts(snapshot.ticketDeliveries().scan(d -> true, false, 0, 100)));
            assertEquals("dep-2", snapshot.deputyBindings().get("changed").orElseThrow());
            assertEquals("dep-3", snapshot.deputyBindings().get("removed").orElseThrow());
            assertTrue(snapshot.deputyBindings().get("new").isEmpty());
        }
        try (MapDbStore store = MapDbStore.open(live)) {
            assertEquals(List.of(0L, 1L, 40L, 5L, 6L),
                    firsts(store.ticketDeliveries().scan(d -> true, false, 0, 100)));
            assertEquals("dep-20", store.deputyBindings().get("changed").orElseThrow());
            assertTrue(store.deputyBindings().get("removed").isEmpty());
            assertEquals("dep-4", store.deputyBindings().get("new").orElseThrow());
        }
    }

    @Test
    void writesWhileTheOverlaysDrainAFewThousandAtATimeAreNeverOverwrittenByOlderOnes() throws Exception {
        ExecutorService checkpointer = Executors.newSingleThreadExecutor();
        CountDownLatch release = new CountDownLatch(1);
        checkpointer.submit(() -> {
            release.await();
            return null;
        });
        int keys = MapDbStore.DRAIN_PER_BATCH + 500;
        try (MapDbStore store = MapDbStore.open(live, UnaryOperator.identity(), 2000, 0, checkpointer)) {
            store.write(s -> {
                s.deputyBindings().put("large", "代".repeat(1000));
                return null;
            }).join();
            store.write(s -> {
                for (int i = 0; i < keys; i++) {
                    s.deputyBindings().put("k" + i, "v1");
                }
                return null;
            }).join();
            release.countDown();
            for (int i = 0; i < 100 && Files.exists(live.resolve(MapDbStore.PREVIOUS_JOURNAL_NAME)); i++) {
                Thread.sleep(20);
            }
            assertFalse(Files.exists(live.resolve(MapDbStore.PREVIOUS_JOURNAL_NAME)), "the copy is done");
            // this batch writes nothing: after it, the first DRAIN_PER_BATCH entries are in MapDB, 500 still held
            store.write(s -> null).join();
            store.write(s -> {
                for (int i = 0; i < keys; i++) {
                    s.deputyBindings().put("k" + i, "v2");
                }
                return null;
            }).join();
            for (int i = 0; i < 3; i++) {
                store.write(s -> null).join();
            }
            for (int i = 0; i < keys; i++) {
                assertEquals("v2", store.deputyBindings().get("k" + i).orElseThrow(), "k" + i);
            }
        }
        try (MapDbStore store = MapDbStore.open(live)) {
            for (int i = 0; i < keys; i++) {
                assertEquals("v2", store.deputyBindings().get("k" + i).orElseThrow(), "k" + i);
            }
            assertEquals(keys + 1, store.deputyBindings().size());
        }
    }

    /**
     * Copies a store directory as a crash could leave it: the previous journal first (it is deleted only after the
     * new snapshot is in place), then the snapshot, the journal and the file; no checkpoint starts while the writer
     * is idle.
     */
    private static void copyStore(Path from, Path to) throws IOException {
        for (String name : new String[] {MapDbStore.PREVIOUS_JOURNAL_NAME, MapDbStore.SNAPSHOT_NAME,
                MapDbStore.JOURNAL_NAME, MapDbStore.FILE_NAME}) {
            if (Files.exists(from.resolve(name))) {
                Files.copy(from.resolve(name), to.resolve(name));
            }
        }
    }

    /** Overwrites the MapDB file past its header with noise, as an index written half-way leaves it. */
    private static void damageStoreFile(Path dir, long seed) throws IOException {
        byte[] db = Files.readAllBytes(dir.resolve(MapDbStore.FILE_NAME));
        byte[] noise = new byte[db.length - 4096];
        new Random(seed).nextBytes(noise);
        System.arraycopy(noise, 0, db, 4096, noise.length);
        Files.write(dir.resolve(MapDbStore.FILE_NAME), db);
    }

    private static List<Long> firsts(List<long[]> values) {
        return values.stream().map(v -> v[0]).toList();
    }

    @Test
    void aBatchTheJournalRefusesIsUndoneAndNotAcknowledged() throws Exception {
        AtomicBoolean diskFull = new AtomicBoolean();
        try (MapDbStore store = MapDbStore.open(live, journal -> {
            Journal failing = spy(journal);
            try {
                doAnswer(call -> {
                    if (diskFull.get()) {
                        throw new IOException("No space left on device");
                    }
                    return call.callRealMethod();
                }).when(failing).append(anyList());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return failing;
        }, MapDbStore.CHECKPOINT_BYTES, MapDbStore.CHECKPOINT_FILE_SHARE, Executors.newSingleThreadExecutor())) {
            store.write(s -> {
                s.deputyBindings().put("kept", "dep-1");
                s.deputyBindings().put("changed", "dep-2");
                s.deputyBindings().put("removed", "dep-3");
                return null;
            }).join();

            diskFull.set(true);
            List<String> committed = new java.util.concurrent.CopyOnWriteArrayList<>();
            CompletableFuture<Object> refused = store.write(s -> {
                s.afterCommit(() -> committed.add("refused batch"));
                s.deputyBindings().put("changed", "dep-20");
                s.deputyBindings().put("changed", "dep-21");
                s.deputyBindings().remove("removed");
                s.deputyBindings().put("new", "dep-4");
                return "done";
            });
            ExecutionException e = assertThrows(ExecutionException.class, refused::get);
            assertEquals("No space left on device", e.getCause().getMessage());
            assertEquals("dep-2", store.deputyBindings().get("changed").orElseThrow());
            assertEquals("dep-3", store.deputyBindings().get("removed").orElseThrow());
            assertTrue(store.deputyBindings().get("new").isEmpty());
            assertEquals(3, store.deputyBindings().size());
            assertEquals(List.of(), committed, "nothing runs after a commit that did not happen");

            diskFull.set(false);
            store.write(s -> {
                s.afterCommit(() -> committed.add("committed batch"));
                s.deputyBindings().put("new", "dep-5");
                return null;
            }).join();
            assertEquals(List.of("committed batch"), committed, "run before the call's future completes");
        }
        try (MapDbStore store = MapDbStore.open(live)) {
            assertEquals("dep-1", store.deputyBindings().get("kept").orElseThrow());
            assertEquals("dep-2", store.deputyBindings().get("changed").orElseThrow());
            assertEquals("dep-3", store.deputyBindings().get("removed").orElseThrow());
            assertEquals("dep-5", store.deputyBindings().get("new").orElseThrow());
        }
    }

    @Test
    void aJobThatFailsLeavesNoWriteBehindAndTheOtherJobsOfItsBatchCommit() throws Exception {
        try (MapDbStore store = MapDbStore.open(live)) {
            store.write(s -> {
                s.deputyBindings().put("a", "1");
                return null;
            }).join();
            CompletableFuture<Object> failing = store.write(s -> {
                s.deputyBindings().put("a", "2");
                s.deputyBindings().put("b", "x");
                s.conversations().put("o1", Conversation.fresh("o1"));
                throw new IllegalStateException("a bug in the job");
            });
            CompletableFuture<Object> next = store.write(s -> {
                s.deputyBindings().put("c", "3");
                return null;
            });
            ExecutionException e = assertThrows(ExecutionException.class, failing::get);
            assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
            next.join();
            // read back through the caches ...
            assertEquals("1", store.deputyBindings().get("a").orElse(null));
            assertTrue(store.deputyBindings().get("b").isEmpty());
            assertTrue(store.conversations().get("o1").isEmpty());
            assertEquals("3", store.deputyBindings().get("c").orElse(null));
            copyStore(live, crashed);
        }
        // ... and from the journal after a crash
        try (MapDbStore store = MapDbStore.open(crashed)) {
            assertEquals("1", store.deputyBindings().get("a").orElse(null));
            assertTrue(store.deputyBindings().get("b").isEmpty());
            assertTrue(store.conversations().get("o1").isEmpty());
            assertEquals("3", store.deputyBindings().get("c").orElse(null));
        }
    }

    @Test
    void aCleanCloseLeavesAnEmptyJournalAndTheNextOpenTrustsTheFile() throws Exception {
        try (MapDbStore store = MapDbStore.open(live)) {
            store.write(s -> {
                s.deputyBindings().put("code", "dep-1");
                return null;
            }).join();
        }
        assertEquals(0, Files.size(live.resolve(MapDbStore.JOURNAL_NAME)));
        assertTrue(Files.exists(live.resolve(MapDbStore.SNAPSHOT_NAME)));
        try (MapDbStore store = MapDbStore.open(live)) {
            assertEquals("dep-1", store.deputyBindings().get("code").orElseThrow());
            assertFalse(Files.exists(live.resolve(MapDbStore.SNAPSHOT_NAME + ".tmp")));
        }
    }
}
