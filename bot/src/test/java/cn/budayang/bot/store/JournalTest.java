package cn.budayang.bot.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {

    @TempDir
    Path dir;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void batchesComeBackInOrderWithTheirKeysAndValues() throws Exception {
        Path path = dir.resolve("j");
        try (Journal j = Journal.open(path)) {
            j.append(List.of(new Journal.Op(0, 1001L, utf8("{\"id\":\"1001\"}")), new Journal.Op(1, "oAbc", utf8("{}"))));
            j.append(List.of(new Journal.Op(3, 7L, null), new Journal.Op(4, "绑定码", utf8("dep-004"))));
        }
        List<List<Journal.Op>> batches = Journal.read(path);
        assertEquals(2, batches.size());
        assertEquals(1001L, batches.get(0).get(0).key());
        assertArrayEquals(utf8("{\"id\":\"1001\"}"), batches.get(0).get(0).value());
        assertEquals("oAbc", batches.get(0).get(1).key());
        assertEquals(3, batches.get(1).get(0).table());
        assertNull(batches.get(1).get(0).value(), "a removal has no value");
        assertEquals("绑定码", batches.get(1).get(1).key());
    }

    @Test
    void aBatchCutShortOrDamagedEndsTheJournalAndLaterAppendsFollowACleanEnd() throws Exception {
        Path path = dir.resolve("j");
        try (Journal j = Journal.open(path)) {
            j.append(List.of(new Journal.Op(1, "a", utf8("1"))));
            j.append(List.of(new Journal.Op(1, "b", utf8("2"))));
        }
        byte[] whole = Files.readAllBytes(path);
        // cut in the middle of the second batch: the first one survives
        Files.write(path, java.util.Arrays.copyOf(whole, whole.length - 3));
        assertEquals(1, Journal.read(path).size());
        // a flipped byte in the first batch: its checksum fails, nothing after it is trusted
        byte[] damaged = whole.clone();
        damaged[10] ^= 0x40;
        Files.write(path, damaged);
        assertEquals(0, Journal.read(path).size());
        // cleared, the journal takes new batches from its start
        Files.write(path, whole);
        try (Journal j = Journal.open(path)) {
            j.clear();
            j.append(List.of(new Journal.Op(1, "c", utf8("3"))));
        }
        assertEquals("c", Journal.read(path).get(0).get(0).key());
        assertEquals(0, Journal.read(dir.resolve("missing")).size());
        Files.write(path, new byte[] {0, 0, 0}, StandardOpenOption.APPEND);
        assertEquals(1, Journal.read(path).size(), "a few stray bytes at the end are a cut batch");
    }

    @Test
    void aFailedWriteThatCannotBeCutBackStopsEveryLaterAppend() throws Exception {
        FileChannel disk = mock(FileChannel.class);
        when(disk.position()).thenReturn(100L);
        when(disk.write(any(ByteBuffer[].class))).thenThrow(new IOException("No space left on device"));
        when(disk.truncate(100L)).thenThrow(new IOException("Input/output error"));
        Journal journal = new Journal(disk);
        List<Journal.Op> batch = List.of(new Journal.Op(4, "code", utf8("dep-1")));

        IOException first = assertThrows(IOException.class, () -> journal.append(batch));
        assertEquals("No space left on device", first.getMessage());
        IOException later = assertThrows(IOException.class, () -> journal.append(batch));
        assertTrue(later.getMessage().contains("restart the server"), later.getMessage());
        verify(disk, times(1)).write(any(ByteBuffer[].class));
    }

    @Test
    void aFailedWriteThatIsCutBackLeavesTheJournalUsable() throws Exception {
        FileChannel disk = mock(FileChannel.class);
        when(disk.position()).thenReturn(100L);
        when(disk.write(any(ByteBuffer[].class))).thenThrow(new IOException("No space left on device"))
                .thenAnswer(call -> {
                    long n = 0;
                    for (ByteBuffer b : call.getArgument(0, ByteBuffer[].class)) {
                        n += b.remaining();
                        b.position(b.limit());
                    }
                    return n;
                });
        Journal journal = new Journal(disk);
        List<Journal.Op> batch = List.of(new Journal.Op(4, "code", utf8("dep-1")));

        assertThrows(IOException.class, () -> journal.append(batch));
        verify(disk).truncate(100L);
        journal.append(batch);
        verify(disk).force(false);
    }
}
