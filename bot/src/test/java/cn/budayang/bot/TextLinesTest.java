package cn.budayang.bot;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lines across the reader's 8 KiB buffers: sequences cut by a buffer edge, bad bytes at the edge and at the end. */
class TextLinesTest {

    private static List<TextLines.Line> read(byte[] bytes) throws IOException {
        List<TextLines.Line> lines = new ArrayList<>();
        TextLines.read(new ByteArrayInputStream(bytes), lines::add);
        return lines;
    }

    private static List<String> texts(List<TextLines.Line> lines) {
        return lines.stream().map(TextLines.Line::text).toList();
    }

    @Test
    void longChineseTextReadsBackWholeAcrossBuffers() throws IOException {
        StringBuilder text = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            // lines of 1 to 4 bytes per character, so that sequences fall across every buffer edge
            String line = i + " 路灯坏了，晚上太黑 😀 é" + "啊".repeat(i % 7);
            expected.add(line);
            text.append(line).append(i % 2 == 0 ? "\n" : "\r\n");
        }
        List<TextLines.Line> lines = read(text.toString().getBytes(StandardCharsets.UTF_8));
        assertEquals(expected, texts(lines));
        assertTrue(lines.stream().noneMatch(TextLines.Line::replaced));
        assertEquals(3000, lines.get(2999).number());
    }

    @Test
    void aBadByteOnABufferEdgeSpoilsOnlyItsOwnLine() throws IOException {
        for (int edge : new int[] {8190, 8191, 8192, 8193}) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            byte[] filler = new byte[edge - 1];
            Arrays.fill(filler, (byte) 'x');
            filler[100] = '\n';
            b.writeBytes(filler);
            b.write(0xe8); // the first byte of 路 (e8 b7 af), cut short by a line feed
            b.writeBytes("\n路灯\n".getBytes(StandardCharsets.UTF_8));
            List<TextLines.Line> lines = read(b.toByteArray());
            assertEquals(3, lines.size(), "edge " + edge);
            assertFalse(lines.get(0).replaced());
            assertTrue(lines.get(1).replaced());
            assertTrue(lines.get(1).text().endsWith("x\uFFFD"), "edge " + edge);
            assertEquals("路灯", lines.get(2).text());
            assertFalse(lines.get(2).replaced());
        }
    }

    @Test
    void aSequenceCutShortByTheEndOfTheFileIsReplaced() throws IOException {
        byte[] bytes = "谢谢\n路".getBytes(StandardCharsets.UTF_8);
        List<TextLines.Line> lines = read(Arrays.copyOf(bytes, bytes.length - 1));
        assertEquals(List.of("谢谢", "\uFFFD"), texts(lines));
        assertTrue(lines.get(1).replaced());

        byte[] utf16 = "\uFEFF谢谢\n".getBytes(StandardCharsets.UTF_16LE);
        List<TextLines.Line> odd = read(Arrays.copyOf(utf16, utf16.length + 1)); // a stray last byte
        assertEquals(List.of("谢谢", "\uFFFD"), texts(odd));
    }

    @Test
    void theCharsetIsUtf8UnlessAUtf16MarkSaysOtherwise() throws IOException {
        assertEquals(StandardCharsets.UTF_8, TextLines.read(new ByteArrayInputStream(new byte[0]), l -> { }));
        assertEquals(List.of(), read(new byte[0]));
        assertEquals(List.of(""), texts(read("\n".getBytes(StandardCharsets.UTF_8))));
        assertEquals(List.of(""), texts(read(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, '\n'})));
        Charset le = TextLines.read(new ByteArrayInputStream(new byte[] {(byte) 0xff, (byte) 0xfe, 'a', 0}), l -> { });
        assertEquals(StandardCharsets.UTF_16LE, le);
    }
}
