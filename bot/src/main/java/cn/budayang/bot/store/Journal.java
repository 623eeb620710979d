package cn.budayang.bot.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The store's redo journal: every batch of writes, as table, key and value bytes, appended and forced to disk before
 * the batch is acknowledged. It is the store's commit point.
 *
 * <p>MapDB 3.1 cannot be trusted after a crash on its own: its transactions roll back, but do not recover a commit cut
 * short (its write-ahead log is never replayed when the file is opened, and the index of records is written straight
 * into the file during the commit), and without transactions its file is changed in place. The journal, with a copy
 * of the MapDB file taken between batches (the snapshot), is what {@link MapDbStore} rebuilds the file from after a
 * crash. An empty batch is a marker: the store was running.
 *
 * <p>A record is {@code [int length][int crc32][batch]}; a batch is {@code [int ops]} then per op {@code [byte table]
 * [byte kind: 0 put, 1 remove][key][int length, bytes: put only]}, a key {@code ['L', long]} or {@code ['S', int
 * length, UTF-8]}. A record that is cut short or fails its checksum ends the journal (its batch was never
 * acknowledged). Only the store's writer thread uses it.
 */
final class Journal implements AutoCloseable {

    /** One write: {@code value} null for a removal. */
    record Op(int table, Object key, byte[] value) {
    }

    private final FileChannel channel;
    /** A failed write that could not be cut back: anything appended after it would be unreadable. */
    private IOException stuck;

    Journal(FileChannel channel) {
        this.channel = channel;
    }

    /** Opens the journal for appending (creates it when missing). */
    static Journal open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        ch.position(ch.size());
        return new Journal(ch);
    }

    /** Appends one batch and forces it to disk; after a failure nothing of the batch stays in the journal. */
    void append(List<Op> ops) throws IOException {
        if (stuck != null) {
            throw new IOException("the journal holds part of a batch it could not remove (" + stuck.getMessage()
                    + "); restart the server once the disk is writable", stuck);
        }
        ByteBuffer batch = encode(ops);
        CRC32 crc = new CRC32();
        crc.update(batch.duplicate());
        ByteBuffer head = ByteBuffer.allocate(8).putInt(batch.remaining()).putInt((int) crc.getValue()).flip();
        long start = channel.position();
        try {
            while (head.hasRemaining() || batch.hasRemaining()) {
                channel.write(new ByteBuffer[] {head, batch});
            }
            channel.force(false);
        } catch (IOException e) {
            // a batch half written must not stay in front of the next one: reading stops at it
            try {
                channel.truncate(start);
                channel.position(start);
            } catch (IOException cut) {
                e.addSuppressed(cut);
                stuck = e;
            }
            throw e;
        }
    }

    /** Bytes in the journal. */
    long size() throws IOException {
        return channel.size();
    }

    /** Empties the journal (after a snapshot that holds everything in it). */
    void clear() throws IOException {
        channel.truncate(0);
        channel.position(0);
        channel.force(true);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** The complete batches of the journal at {@code path}, oldest first (none when the file is missing). */
    static List<List<Op>> read(Path path) throws IOException {
        List<List<Op>> out = new ArrayList<>();
        if (!Files.exists(path)) {
            return out;
        }
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(path));
        while (all.remaining() >= 8) {
            int length = all.getInt();
            int crc = all.getInt();
            if (length < 4 || length > all.remaining()) {
                break;
            }
            ByteBuffer batch = all.slice(all.position(), length);
            CRC32 check = new CRC32();
            check.update(batch.duplicate());
            if ((int) check.getValue() != crc) {
                break;
            }
            out.add(decode(batch));
            all.position(all.position() + length);
        }
        return out;
    }

    private static ByteBuffer encode(List<Op> ops) {
        int size = 4;
        List<byte[]> keys = new ArrayList<>(ops.size());
        for (Op op : ops) {
            byte[] key = op.key() instanceof Long ? null : ((String) op.key()).getBytes(StandardCharsets.UTF_8);
            keys.add(key);
            size += 2 + (key == null ? 9 : 5 + key.length) + (op.value() == null ? 0 : 4 + op.value().length);
        }
        ByteBuffer b = ByteBuffer.allocate(size).putInt(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            b.put((byte) op.table()).put((byte) (op.value() == null ? 1 : 0));
            byte[] key = keys.get(i);
            if (key == null) {
                b.put((byte) 'L').putLong((Long) op.key());
            } else {
                b.put((byte) 'S').putInt(key.length).put(key);
            }
            if (op.value() != null) {
                b.putInt(op.value().length).put(op.value());
            }
        }
        return b.flip();
    }

    private static List<Op> decode(ByteBuffer b) {
        int n = b.getInt();
        List<Op> ops = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int table = b.get();
            boolean remove = b.get() == 1;
            Object key;
            if (b.get() == 'L') {
                key = b.getLong();
            } else {
                byte[] k = new byte[b.getInt()];
                b.get(k);
                key = new String(k, StandardCharsets.UTF_8);
            }
            byte[] value = null;
            if (!remove) {
                value = new byte[b.getInt()];
                b.get(value);
            }
            ops.add(new Op(table, key, value));
        }
        return ops;
    }
}
