package cn.budayang.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
            assertFalse(k.reloadIfChanged(), "the same broken edit is not retried");

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
