package cn.budayang.bot.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The store's write-ahead journal: append-only segment files ({@code journal-<n>.log}) of checksummed records, each
 * the writes of one group of batches. A record is durable once {@link #force()} returns; a record cut short by a
 * crash fails its length or checksum and is ignored on replay (its writes were never acknowledged).
 *
 * <p>Record: {@code int length, int crc32c, payload[length]}; payload: {@code int count} then per write
 * {@code byte table, byte kind (1 put, 0 remove), int keyLength, key, [int valueLength, value]}.
 *
 * <p>Used by one thread at a time (the store's syncer appends and rotates; replay runs before it starts).
 */
final class Journal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Journal.class);
    private static final Pattern NAME = Pattern.compile("journal-(\\d{16})\\.log");
    private static final int MAX_RECORD = 1 << 30;

    /** One write read back from the journal. */
    record Entry(int table, byte[] key, byte[] value) {
    }

    private final Path dir;
    private FileChannel channel;
    private long segment;
    private long segmentBytes;

    private Journal(Path dir, long firstSegment) throws IOException {
        this.dir = dir;
        this.segment = firstSegment;
        open(firstSegment);
    }

    /**
     * Replays every segment in {@code dir} in order into {@code sink}, then returns a journal writing a new segment
     * after them. The replayed segments stay on disk until {@link #deleteUpTo} removes them.
     */
    static Journal replayAndOpen(Path dir, java.util.function.Consumer<Entry> sink) throws IOException {
        List<Long> segments = segments(dir);
        for (long s : segments) {
            replay(file(dir, s), sink);
        }
        return new Journal(dir, segments.isEmpty() ? 1 : segments.get(segments.size() - 1) + 1);
    }

    static List<Long> segments(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches()) {
                    out.add(Long.parseLong(m.group(1)));
                }
            });
        }
        out.sort(null);
        return out;
    }

    private static Path file(Path dir, long segment) {
        return dir.resolve(String.format("journal-%016d.log", segment));
    }

    private static void replay(Path file, java.util.function.Consumer<Entry> sink) throws IOException {
        long offset = 0;
        int records = 0;
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException end) {
                    break;
                }
                byte[] payload;
                int crc;
                try {
                    crc = in.readInt();
                    if (length < 4 || length > MAX_RECORD) {
                        throw new EOFException("bad length " + length);
                    }
                    payload = in.readNBytes(length);
                    if (payload.length < length) {
                        throw new EOFException("short record");
                    }
                } catch (EOFException torn) {
                    log.warn("event=journal_torn_record file={} offset={} action=\"ignored: a write cut short by a "
                            + "crash was never acknowledged\"", file.getFileName(), offset);
                    break;
                }
                CRC32C c = new CRC32C();
                c.update(payload);
                if ((int) c.getValue() != crc) {
                    log.warn("event=journal_bad_checksum file={} offset={} action=\"ignored the rest of this segment:"
                            + " a record cut short by a crash was never acknowledged\"", file.getFileName(), offset);
                    break;
                }
                decode(payload, sink);
                records++;
                offset += 8 + length;
            }
        }
        log.info("event=journal_replayed file={} records={}", file.getFileName(), records);
    }

    private static void decode(byte[] payload, java.util.function.Consumer<Entry> sink) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            int table = b.get();
            boolean put = b.get() == 1;
            byte[] key = new byte[b.getInt()];
            b.get(key);
            byte[] value = null;
            if (put) {
                value = new byte[b.getInt()];
                b.get(value);
            }
            sink.accept(new Entry(table, key, value));
        }
    }

    /** Encodes writes as one record payload. */
    static final class RecordBuilder {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        private int count;

        RecordBuilder() {
            buf.position(12);
        }

        void add(int table, byte[] key, byte[] value) {
            ensure(10 + key.length + (value == null ? 0 : 4 + value.length));
            buf.put((byte) table).put((byte) (value == null ? 0 : 1)).putInt(key.length).put(key);
            if (value != null) {
                buf.putInt(value.length).put(value);
            }
            count++;
        }

        private void ensure(int more) {
            if (buf.remaining() < more) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + more));
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        boolean isEmpty() {
            return count == 0;
        }

        /** The finished record: header and payload, ready to write. */
        ByteBuffer finish() {
            int end = buf.position();
            buf.putInt(8, count);
            CRC32C c = new CRC32C();
            c.update(buf.array(), 8, end - 8);
            buf.putInt(0, end - 8);
            buf.putInt(4, (int) c.getValue());
            buf.position(0);
            buf.limit(end);
            return buf;
        }
    }

    /** Appends a finished record (not yet durable). */
    void append(ByteBuffer record) throws IOException {
        while (record.hasRemaining()) {
            segmentBytes += channel.write(record);
        }
    }

    /** Makes every appended record durable. */
    void force() throws IOException {
        channel.force(false);
    }

    boolean currentSegmentEmpty() {
        return segmentBytes == 0;
    }

    /** Closes the current segment (after a {@link #force()}) and starts the next; returns the closed one. */
    long rotate() throws IOException {
        long closed = segment;
        channel.close();
        segment++;
        open(segment);
        return closed;
    }

    /** Deletes every segment up to and including {@code segment} (its writes are committed to the store). */
    void deleteUpTo(long segment) throws IOException {
        for (long s : segments(dir)) {
            if (s <= segment) {
                Files.deleteIfExists(file(dir, s));
            }
        }
    }

    private void open(long s) throws IOException {
        channel = FileChannel.open(file(dir, s), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        segmentBytes = 0;
        // the new file's directory entry must survive a crash too
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    long segment() {
        return segment;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
