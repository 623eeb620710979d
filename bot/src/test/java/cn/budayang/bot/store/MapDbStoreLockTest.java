package cn.budayang.bot.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One store per data directory: a second open of a directory whose store is open fails at once, before it reads or
 * changes anything there, and the first store goes on as if nothing had happened.
 */
class MapDbStoreLockTest {

    @TempDir
    Path dir;

    private static void bind(Store store, String code, String deputy) {
        store.write(s -> {
            s.deputyBindings().put(code, deputy);
            return null;
        }).join();
    }

    private void assertRefused(Path dataDir) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> MapDbStore.open(dataDir).close(),
                "a second store opened " + dataDir + " while the first had it open");
        String message = e.getMessage();
        assertFalse(message.contains("\n"), "one line: " + message);
        assertTrue(message.contains(dataDir.toAbsolutePath().toString()), "names the directory: " + message);
        assertTrue(message.contains("in use by another Budayang server"), message);
        assertTrue(message.contains("BOT_DATA_DIR"), message);
        assertFalse(message.contains("Exception") || message.contains("null"), message);
    }

    @Test
    void aSecondOpenOfAnOpenDirectoryFailsAndLeavesTheFirstStoreUntouched() throws Exception {
        MapDbStore first = MapDbStore.open(dir);
        try {
            bind(first, "before", "dep-1");
            byte[] journal = Files.readAllBytes(dir.resolve(MapDbStore.JOURNAL_NAME));
            byte[] snapshot = Files.readAllBytes(dir.resolve(MapDbStore.SNAPSHOT_NAME));

            assertRefused(dir);
            // the same directory by another name
            Path link = Files.createSymbolicLink(dir.resolveSibling(dir.getFileName() + "-link"), dir);
            try {
                assertRefused(link);
            } finally {
                Files.delete(link);
            }

            assertEquals(List.of(), List.of(dir.toFile().list((d, n) -> n.endsWith(".tmp"))),
                    "the refused open copied nothing");
            assertTrue(java.util.Arrays.equals(journal, Files.readAllBytes(dir.resolve(MapDbStore.JOURNAL_NAME))),
                    "the refused open left the running store's journal as it was");
            assertTrue(java.util.Arrays.equals(snapshot, Files.readAllBytes(dir.resolve(MapDbStore.SNAPSHOT_NAME))),
                    "the refused open left the snapshot as it was");
            // the refused open in this JVM did not drop the lock the operating system holds for the first
            assertEquals("held", probe(dir.resolve("budayang.lock")));

            bind(first, "after", "dep-2");
            assertEquals("dep-1", first.deputyBindings().get("before").orElseThrow());
        } finally {
            first.close();
        }
        assertEquals("free", probe(dir.resolve("budayang.lock")), "a closed store releases the directory");

        try (MapDbStore again = MapDbStore.open(dir)) {
            assertEquals("dep-1", again.deputyBindings().get("before").orElseThrow());
            assertEquals("dep-2", again.deputyBindings().get("after").orElseThrow());
            assertRefused(dir);
        }
        MapDbStore.open(dir).close();
    }

    @Test
    void anOpenThatFailsAfterLockingReleasesTheDirectory() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> MapDbStore.open(dir, journal -> {
            throw new IllegalStateException("disk on fire");
        }, MapDbStore.CHECKPOINT_BYTES, MapDbStore.CHECKPOINT_FILE_SHARE, Executors.newSingleThreadExecutor()));
        assertTrue(e.getMessage().contains("disk on fire"), e.getMessage());
        try (MapDbStore store = MapDbStore.open(dir)) {
            bind(store, "code", "dep-1");
        }
    }

    /** "held" or "free": whether another process can lock {@code lockFile}. */
    private static String probe(Path lockFile) throws IOException, InterruptedException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", classpath, LockProbe.class.getName(),
                lockFile.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the probe did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** In a JVM of its own: prints whether the file could be locked, and unlocks it. */
    public static final class LockProbe {
        public static void main(String[] args) throws IOException {
            try (FileChannel c = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
                FileLock lock = c.tryLock();
                System.out.println(lock == null ? "held" : "free");
            }
        }
    }
}
