package cn.budayang.bot;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the lines of a text file, streaming, for {@code route --file}: every line comes out, whatever its bytes.
 *
 * <ul>
 *   <li>The file is UTF-8, its byte-order mark (if any) skipped; a file that starts with a UTF-16 byte-order mark
 *       is read as UTF-16 of that byte order.</li>
 *   <li>Bytes that do not decode become U+FFFD (one per undecodable sequence) and their line says so
 *       ({@link Line#replaced()}); reading goes on.</li>
 *   <li>A line ends at {@code \n} only; a {@code \r} just before it (or at the very end) is dropped, so CRLF files
 *       read like LF files, and a lone {@code \r} stays in the text. Text after the last {@code \n} is a line;
 *       an empty file has none.</li>
 * </ul>
 */
final class TextLines {

    private static final int BUFFER = 8192;

    private TextLines() {
    }

    /**
     * One line of the file.
     *
     * @param number   its number, from 1
     * @param replaced whether bytes that did not decode were replaced by U+FFFD in it
     */
    record Line(long number, String text, boolean replaced) {
    }

    /** Receives each line in order. */
    interface Sink {
        void accept(Line line);
    }

    /**
     * Reads {@code in} to its end, handing each line to {@code sink} as soon as it ends (a line is held whole, the
     * file never is). Does not close {@code in}.
     *
     * @return the charset the file was read in
     * @throws IOException only when reading fails, never for the bytes read
     */
    static Charset read(InputStream in, Sink sink) throws IOException {
        BufferedInputStream b = new BufferedInputStream(in, BUFFER);
        Charset charset = skipByteOrderMark(b);
        CharsetDecoder decoder = charset.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.allocate(BUFFER);
        CharBuffer chars = CharBuffer.allocate(BUFFER);
        Lines lines = new Lines(sink);
        boolean end = false;
        while (!end) {
            int n = b.read(bytes.array(), bytes.position(), bytes.remaining());
            if (n < 0) {
                end = true;
            } else {
                bytes.position(bytes.position() + n);
            }
            bytes.flip();
            decode(decoder, bytes, chars, end, lines);
            // what is left is the start of a sequence cut by the buffer: it is decoded with the next bytes
            bytes.compact();
        }
        while (decoder.flush(chars).isOverflow()) {
            lines.take(chars);
        }
        lines.take(chars);
        lines.end();
        return charset;
    }

    private static void decode(CharsetDecoder decoder, ByteBuffer bytes, CharBuffer chars, boolean end, Lines lines) {
        while (true) {
            CoderResult r = decoder.decode(bytes, chars, end);
            lines.take(chars);
            if (r.isError()) {
                lines.replace();
                bytes.position(bytes.position() + r.length());
            } else if (r.isUnderflow()) {
                return;
            }
        }
    }

    /** Skips a byte-order mark and returns the charset it names; UTF-8 when there is none. */
    private static Charset skipByteOrderMark(BufferedInputStream in) throws IOException {
        in.mark(3);
        byte[] head = in.readNBytes(3);
        in.reset();
        if (head.length == 3 && (head[0] & 0xff) == 0xef && (head[1] & 0xff) == 0xbb && (head[2] & 0xff) == 0xbf) {
            in.skipNBytes(3);
            return StandardCharsets.UTF_8;
        }
        if (head.length >= 2 && (head[0] & 0xff) == 0xff && (head[1] & 0xff) == 0xfe) {
            in.skipNBytes(2);
            return StandardCharsets.UTF_16LE;
        }
        if (head.length >= 2 && (head[0] & 0xff) == 0xfe && (head[1] & 0xff) == 0xff) {
            in.skipNBytes(2);
            return StandardCharsets.UTF_16BE;
        }
        return StandardCharsets.UTF_8;
    }

    /** Cuts decoded characters into lines. */
    private static final class Lines {
        private final Sink sink;
        private final StringBuilder line = new StringBuilder();
        private boolean replaced;
        private long number;

        Lines(Sink sink) {
            this.sink = sink;
        }

        /** Takes the decoded characters out of {@code chars} (left empty, ready for more). */
        void take(CharBuffer chars) {
            chars.flip();
            while (chars.hasRemaining()) {
                char c = chars.get();
                if (c == '\n') {
                    emit();
                } else {
                    line.append(c);
                }
            }
            chars.clear();
        }

        /** An undecodable sequence at this point of the line. */
        void replace() {
            line.append('\uFFFD');
            replaced = true;
        }

        void end() {
            if (line.length() > 0) {
                emit();
            }
        }

        private void emit() {
            int length = line.length();
            if (length > 0 && line.charAt(length - 1) == '\r') {
                line.setLength(length - 1);
            }
            sink.accept(new Line(++number, line.toString(), replaced));
            line.setLength(0);
            replaced = false;
        }
    }
}
