package cn.budayang.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnowledgeTest {
    @TempDir
    Path dir;

    @Test
    void bundledServesASnapshotAndNeverReloads() {
        try (Knowledge k = Knowledge.bundled()) {
            Knowledge.Snapshot s = k.current();
            assertEquals(60, s.base().faqs().size());
            assertEquals("pro-urban", s.router().route("路灯坏了").groupId());
            assertFalse(k.reloadIfChanged());
            assertTrue(k.directory().isEmpty());
        }
    }

    @Test
    void brokenDirectoryStopsStartUp() throws IOException {
        KnowledgeLoaderTest.copyBundled(dir);
        Files.writeString(dir.resolve("groups.json"), "not json");
        assertThrows(KnowledgeException.class, () -> Knowledge.fromDirectory(dir));
    }

    @Test
    void editSwapsInANewSnapshotAndABrokenEditKeepsTheOld() throws IOException {
        KnowledgeLoaderTest.copyBundled(dir);
        try (Knowledge k = Knowledge.fromDirectory(dir)) {
            List<Knowledge.Snapshot> seen = new ArrayList<>();
            k.onReload(seen::add);
            Knowledge.Snapshot first = k.current();
            assertFalse(k.reloadIfChanged(), "nothing changed yet");

            KnowledgeLoaderTest.edit(dir, "faq.json",
                    a -> ((ObjectNode) a.get(0)).put("answer", "新的答复：请发送社区名称。"));
            assertTrue(k.reloadIfChanged());
            Knowledge.Snapshot second = k.current();
            assertNotSame(first, second);
            assertEquals("新的答复：请发送社区名称。", second.base().faq("faq-01").orElseThrow().answer());
            assertEquals(List.of(second), seen);

            KnowledgeLoaderTest.edit(dir, "deputies.json",
                    a -> ((ObjectNode) a.get(0)).put("stationId", "st-404"));
            assertFalse(k.reloadIfChanged(), "a broken edit is rejected");
            assertSame(second, k.current(), "the previous snapshot keeps serving");
            assertFalse(k.reloadIfChanged(), "the same broken edit is refused again");

            KnowledgeLoaderTest.edit(dir, "deputies.json",
                    a -> ((ObjectNode) a.get(0)).put("stationId", "st-01"));
            assertTrue(k.reloadIfChanged(), "fixing the file reloads");
            assertEquals(2, seen.size());
        }
    }

    @Test
    void aProfessionalGroupWithoutDeputiesAndAnEmptyFaqAreServedWithAWarningAtStartAndOnReload() throws IOException {
        KnowledgeLoaderTest.copyBundled(dir);
        KnowledgeLoaderTest.edit(dir, "deputies.json", a -> a.forEach(d -> {
            ArrayNode groups = (ArrayNode) d.get("groupIds");
            for (int i = groups.size() - 1; i >= 0; i--) {
                if (groups.get(i).asText().equals("pro-rural")) {
                    groups.remove(i);
                }
            }
        }));
        try (LogCapture log = new LogCapture(Knowledge.class); Knowledge k = Knowledge.fromDirectory(dir)) {
            assertTrue(k.current().base().deputiesOf("pro-rural").isEmpty());
            List<String> warned = log.at(Level.WARN);
            assertEquals(1, warned.size(), warned.toString());
            assertTrue(warned.get(0).contains("deputies.json: no deputy belongs to professional group pro-rural "
                    + "(农业农村代表小组)"), warned.get(0));

            // an empty faq.json is served (a city may have no FAQ yet), with a warning; the gap still open is repeated
            log.clear();
            Files.writeString(dir.resolve("faq.json"), "[]");
            assertTrue(k.reloadIfChanged());
            assertTrue(k.current().base().faqs().isEmpty());
            warned = log.at(Level.WARN);
            assertEquals(2, warned.size(), warned.toString());
            assertTrue(warned.get(0).contains("pro-rural"), warned.get(0));
            assertTrue(warned.get(1).contains("faq.json: no FAQ"), warned.get(1));
        }
    }

    /*
     * A file caught half written, as by a tool that truncates it and then writes. faq.json is a named pipe in these
     * tests, so that each time it is opened it gives the next content of a script, as a file rewritten between two
     * reads would.
     */

    /** Each poll parses the very bytes it compared with those in service. */
    @Test
    void aFileCompleteWhenComparedButHalfWrittenWhenParsedIsLoadedOnceComplete() throws Exception {
        KnowledgeLoaderTest.copyBundled(dir);
        Path faq = dir.resolve("faq.json");
        byte[] complete = withFirstAnswer(faq, "新的答复");
        try (Knowledge k = Knowledge.fromDirectory(dir); ScriptedFile file = ScriptedFile.replace(faq)) {
            // complete, then half written (the tool writing it once more), then complete for good: the complete file
            // was marked failed and never loaded
            file.play(complete, half(complete), complete);
            for (int poll = 0; poll < 3 && !firstAnswer(k).equals("新的答复"); poll++) {
                k.reloadIfChanged();
            }
            assertEquals("新的答复", firstAnswer(k));
        }
    }

    /** Files that did not load are read and tried again at the next poll; the refusal is logged once. */
    @Test
    void aFileCaughtHalfWrittenIsRefusedOnceAndLoadedAtTheNextPoll() throws Exception {
        KnowledgeLoaderTest.copyBundled(dir);
        Path faq = dir.resolve("faq.json");
        byte[] complete = withFirstAnswer(faq, "新的答复");
        try (LogCapture log = new LogCapture(Knowledge.class); Knowledge k = Knowledge.fromDirectory(dir);
             ScriptedFile file = ScriptedFile.replace(faq)) {
            file.play(half(complete), half(complete), complete);
            assertFalse(k.reloadIfChanged());
            assertFalse(k.reloadIfChanged(), "still half written");
            List<String> warned = log.at(Level.WARN);
            assertEquals(1, warned.size(), "logged once: " + warned);
            assertTrue(warned.get(0).contains("problem=\"faq.json: not valid JSON"), warned.get(0));
            assertTrue(k.reloadIfChanged(), "the complete file is loaded at the next poll");
            assertEquals("新的答复", firstAnswer(k));
            assertFalse(k.reloadIfChanged(), "unchanged since");
        }
    }

    private static byte[] withFirstAnswer(Path faq, String answer) throws IOException {
        ArrayNode array = (ArrayNode) new ObjectMapper().readTree(faq.toFile());
        ((ObjectNode) array.get(0)).put("answer", answer);
        return new ObjectMapper().writeValueAsBytes(array);
    }

    private static byte[] half(byte[] bytes) {
        return Arrays.copyOf(bytes, bytes.length / 2);
    }

    private static String firstAnswer(Knowledge k) {
        return k.current().base().faqs().get(0).answer();
    }

    /**
     * A named pipe in place of a file: every open for reading gets the next content of the script, the last one
     * again once the script is played. Linux only: it waits for the reader to close the pipe before it opens it
     * again (watching /proc/self/fd: reader and writer share this JVM), lest two contents run into one read.
     */
    private static final class ScriptedFile implements AutoCloseable {
        private final Path path;
        private final Deque<byte[]> script = new ConcurrentLinkedDeque<>();
        private final AtomicBoolean closing = new AtomicBoolean();
        private final Thread writer;

        private ScriptedFile(Path path) {
            this.path = path;
            this.writer = new Thread(this::write, "scripted-file");
            writer.setDaemon(true);
        }

        static ScriptedFile replace(Path file) throws IOException, InterruptedException {
            assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs Linux's /proc");
            Files.delete(file);
            Process mkfifo = new ProcessBuilder("mkfifo", file.toString()).inheritIO().start();
            assertEquals(0, mkfifo.waitFor(), "mkfifo");
            ScriptedFile f = new ScriptedFile(file.toRealPath());
            f.writer.start();
            return f;
        }

        /** The contents the next opens get; only between reads, when no read is under way. */
        void play(byte[]... contents) {
            script.clear();
            script.addAll(List.of(contents));
        }

        private void write() {
            try {
                while (true) {
                    // opening the pipe for writing waits for a reader; the content is chosen once one came
                    try (OutputStream out = Files.newOutputStream(path)) {
                        if (closing.get()) {
                            return;
                        }
                        out.write(script.size() > 1 ? script.poll() : script.getFirst());
                        // the reader's open may return after ours; it cannot finish before we close
                        while (openCount() < 2) {
                            Thread.onSpinWait();
                        }
                    }
                    while (openCount() > 0) {
                        Thread.onSpinWait();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** How many descriptors of this JVM have the pipe open. */
        private long openCount() throws IOException {
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                return fds.filter(fd -> {
                    try {
                        return Files.readSymbolicLink(fd).equals(path);
                    } catch (IOException e) {
                        return false; // closed while listed
                    }
                }).count();
            }
        }

        @Override
        public void close() throws Exception {
            closing.set(true);
            Files.readAllBytes(path); // the reader the writer waits for; it then stops
            writer.join(5000);
            assertFalse(writer.isAlive());
        }
    }

    /** The watcher logs a broken edit, the files restored, and the same broken edit made again. */
    @Test
    void theSameBrokenEditMadeAgainAfterARestoreIsLoggedAgain() throws Exception {
        KnowledgeLoaderTest.copyBundled(dir);
        Path deputies = dir.resolve("deputies.json");
        byte[] served = Files.readAllBytes(deputies);
        ArrayNode edited = (ArrayNode) new ObjectMapper().readTree(served);
        ((ObjectNode) edited.get(0)).put("stationId", "st-404");
        byte[] broken = new ObjectMapper().writeValueAsBytes(edited);
        try (LogCapture log = new LogCapture(Knowledge.class); Knowledge k = Knowledge.fromDirectory(dir)) {
            Knowledge.Snapshot first = k.current();
            k.startWatching(Duration.ofMillis(10));
            // each file replaced whole, so that the watcher never sees one half written
            replace(deputies, broken);
            awaitLogged(log, Level.WARN, 1);

            replace(deputies, served);
            awaitLogged(log, Level.INFO, 1);
            assertTrue(log.at(Level.INFO).get(0).startsWith("event=knowledge_files_restored"), log.at(Level.INFO).get(0));

            replace(deputies, broken);
            awaitLogged(log, Level.WARN, 2);
            List<String> warned = log.at(Level.WARN);
            assertEquals(warned.get(0), warned.get(1));
            assertTrue(warned.get(1).contains("deputies.json: id=dep-001 field=stationId"), warned.get(1));
            assertSame(first, k.current(), "the knowledge in service never changed");
        }
    }

    private static void replace(Path file, byte[] bytes) throws IOException {
        Path next = file.resolveSibling(file.getFileName() + ".next");
        Files.write(next, bytes);
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void awaitLogged(LogCapture log, Level level, int count) throws InterruptedException {
        for (int i = 0; i < 500 && log.at(level).size() < count; i++) {
            Thread.sleep(10);
        }
        assertEquals(count, log.at(level).size(), () -> level + ": " + log.at(level));
    }

    @Test
    void aFileOverTheLimitStopsStartUpUnread() throws IOException {
        KnowledgeLoaderTest.copyBundled(dir);
        sparse(dir.resolve("faq.json"), (64L << 20) + 1);
        KnowledgeException e = assertThrows(KnowledgeException.class, () -> Knowledge.fromDirectory(dir));
        assertTrue(e.getMessage().startsWith("faq.json: 64.0 MiB (67108865 bytes) is over the 64 MiB a knowledge file "
                + "may hold"), e.getMessage());
    }

    /** A 3 GiB file (Files.readAllBytes throws OutOfMemoryError on it) is refused unread, and the watcher goes on. */
    @Test
    void aHugeFileIsRefusedWhileServingAndTheWatcherGoesOn() throws Exception {
        KnowledgeLoaderTest.copyBundled(dir);
        Path faq = dir.resolve("faq.json");
        byte[] edited = withFirstAnswer(faq, "新的答复");
        try (LogCapture log = new LogCapture(Knowledge.class); Knowledge k = Knowledge.fromDirectory(dir)) {
            k.startWatching(Duration.ofMillis(10));
            sparse(faq, 3L << 30);
            awaitLogged(log, Level.WARN, 1);
            assertTrue(log.at(Level.WARN).get(0).contains("problem=\"faq.json: 3072.0 MiB (3221225472 bytes) is over "
                    + "the 64 MiB"), log.at(Level.WARN).get(0));

            replace(faq, edited);
            awaitFirstAnswer(k, "新的答复");
            assertEquals(List.of(), log.at(Level.ERROR));
        }
    }

    /** A poll that throws an Error (here a listener's) is logged once, and the next edits are still picked up. */
    @Test
    void theWatcherGoesOnAfterAPollThrowsAnError() throws Exception {
        KnowledgeLoaderTest.copyBundled(dir);
        Path faq = dir.resolve("faq.json");
        try (LogCapture log = new LogCapture(Knowledge.class); Knowledge k = Knowledge.fromDirectory(dir)) {
            AtomicBoolean failing = new AtomicBoolean(true);
            k.onReload(snapshot -> {
                if (failing.getAndSet(false)) {
                    throw new StackOverflowError("listener");
                }
            });
            k.startWatching(Duration.ofMillis(10));
            replace(faq, withFirstAnswer(faq, "答复一"));
            awaitLogged(log, Level.ERROR, 1);
            assertTrue(log.at(Level.ERROR).get(0).startsWith("event=knowledge_poll_failed"), log.at(Level.ERROR).get(0));

            replace(faq, withFirstAnswer(faq, "答复二"));
            awaitFirstAnswer(k, "答复二");
        }
    }

    /** A virtual machine error nothing survives stops the watcher, and says so. */
    @Test
    void theWatcherStopsOnAnInternalErrorAndSaysSo() throws Exception {
        KnowledgeLoaderTest.copyBundled(dir);
        Path faq = dir.resolve("faq.json");
        try (LogCapture log = new LogCapture(Knowledge.class); Knowledge k = Knowledge.fromDirectory(dir)) {
            k.onReload(snapshot -> {
                throw new InternalError("a broken virtual machine");
            });
            k.startWatching(Duration.ofMillis(10));
            Thread watcher = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("knowledge-watcher")).findFirst().orElseThrow();
            watcher.setUncaughtExceptionHandler((t, e) -> { }); // expected: keep the test output quiet
            replace(faq, withFirstAnswer(faq, "答复一"));
            assertEquals(Knowledge.Watcher.RUNNING, k.status().watcher());
            watcher.join(5000);
            assertFalse(watcher.isAlive());
            assertEquals(Knowledge.Watcher.STOPPED, k.status().watcher());
            assertTrue(k.status().lastError().startsWith("watcher stopped: java.lang.InternalError"),
                    k.status().lastError());
            List<String> errors = log.at(Level.ERROR);
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).startsWith("event=knowledge_watcher_stopped"), errors.get(0));
            assertTrue(errors.get(0).contains("restart the server"), errors.get(0));
        }
    }

    private static void awaitFirstAnswer(Knowledge k, String answer) throws InterruptedException {
        for (int i = 0; i < 500 && !firstAnswer(k).equals(answer); i++) {
            Thread.sleep(10);
        }
        assertEquals(answer, firstAnswer(k), "the watcher is still polling");
    }

    private static void sparse(Path file, long size) throws IOException {
        Path next = file.resolveSibling(file.getFileName() + ".next");
        try (RandomAccessFile f = new RandomAccessFile(next.toFile(), "rw")) {
            f.setLength(size);
        }
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void watcherThreadPicksUpAnEditAndStopsOnClose() throws Exception {
        KnowledgeLoaderTest.copyBundled(dir);
        Knowledge k = Knowledge.fromDirectory(dir);
        Knowledge.Snapshot first = k.current();
        k.startWatching(Duration.ofMillis(20));
        Thread watcher = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("knowledge-watcher")).findFirst().orElseThrow();
        assertTrue(watcher.isDaemon());
        KnowledgeLoaderTest.edit(dir, "faq.json", a -> ((ObjectNode) a.get(1)).put("answer", "已更新"));
        for (int i = 0; i < 500 && k.current() == first; i++) {
            Thread.sleep(20);
        }
        assertEquals("已更新", k.current().base().faq("faq-02").orElseThrow().answer());
        k.close();
        watcher.join(5000);
        assertFalse(watcher.isAlive());
    }
}
