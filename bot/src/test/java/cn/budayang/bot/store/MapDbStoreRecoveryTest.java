package cn.budayang.bot.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.budayang.bot.reception.Conversation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
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
            for (String name : new String[] {MapDbStore.FILE_NAME, MapDbStore.SNAPSHOT_NAME, MapDbStore.JOURNAL_NAME}) {
                Files.copy(live.resolve(name), crashed.resolve(name));
            }
        }
        // the copy's MapDB file is damaged past its header, as an index written half-way leaves it
        byte[] db = Files.readAllBytes(crashed.resolve(MapDbStore.FILE_NAME));
        byte[] noise = new byte[db.length - 4096];
        new Random(11).nextBytes(noise);
        System.arraycopy(noise, 0, db, 4096, noise.length);
        Files.write(crashed.resolve(MapDbStore.FILE_NAME), db);

        try (MapDbStore store = MapDbStore.open(crashed)) {
            for (int i = 0; i < 50; i++) {
                assertEquals(i == 7 ? null : "dep-" + i, store.deputyBindings().get("code-" + i).orElse(null));
                assertEquals("问题 " + i, store.conversations().get("o" + i).orElseThrow().lastAnswered());
            }
            assertEquals(0, Files.size(crashed.resolve(MapDbStore.JOURNAL_NAME)), "folded into a new snapshot");
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
