package cn.budayang.bot.store;

import cn.budayang.bot.Problems;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An exclusive lock on {@value #NAME} in a data directory, taken by the store before it reads or writes anything there
 * and held until it closes: a second server on the same directory stops at start instead of taking the running
 * server's journal for a crash and rebuilding the store under it.
 *
 * <p>The lock is the operating system's ({@link FileChannel#tryLock()}): it goes with the process, however the process
 * ends, so a killed server leaves no stale lock behind. The file itself stays; it is never deleted, since a server that
 * still held the deleted file and one that created it anew would each hold a lock of their own. It holds the pid of the
 * server that locked it last, for the message of the one refused.
 *
 * <p>Within one JVM the operating system's lock does not tell two opens apart, and closing any channel of the file
 * drops every lock the process holds on it: this JVM's locks are therefore also kept in a set, by file identity, and
 * looked up before the file is ever opened.
 */
final class DataDirLock implements AutoCloseable {

    static final String NAME = "budayang.lock";

    /** The identities ({@link BasicFileAttributes#fileKey()}, or the real path) of the lock files this JVM holds. */
    private static final Set<Object> HELD = new HashSet<>();
    /**
     * Channels found locked by this JVM although not in {@link #HELD} (the same file loaded through another class
     * loader): never closed, since closing them would drop that holder's lock.
     */
    private static final List<FileChannel> KEPT_OPEN = new ArrayList<>();

    private final Object key;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean released;

    private DataDirLock(Object key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dataDir} (an existing directory) for this store.
     *
     * @throws IllegalStateException when another server, in another process or in this one, holds it
     * @throws UncheckedIOException  when the lock file cannot be created, opened or locked
     */
    static synchronized DataDirLock acquire(Path dataDir) {
        Path path = dataDir.resolve(NAME);
        Object key;
        try {
            try {
                // O_EXCL: when the file exists, no descriptor of it is opened (and closed) here
                Files.createFile(path);
            } catch (FileAlreadyExistsException exists) {
                // the usual case
            }
            Object fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            key = fileKey != null ? fileKey : path.toRealPath();
        } catch (IOException e) {
            throw cannotLock(path, e);
        }
        if (HELD.contains(key)) {
            throw inUse(dataDir, "in this process");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw cannotLock(path, e);
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            KEPT_OPEN.add(channel);
            throw inUse(dataDir, "in this process");
        } catch (IOException e) {
            closeQuietly(channel);
            throw cannotLock(path, e);
        }
        if (lock == null) {
            String pid = pid(channel);
            closeQuietly(channel);
            throw inUse(dataDir, pid == null ? null : "pid " + pid);
        }
        HELD.add(key);
        try {
            // who holds it, for the message of a server refused; the lock itself is what counts
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
                    0);
        } catch (IOException | UnsupportedOperationException e) {
            // a lock file without a pid only makes the refusal's message shorter
        }
        return new DataDirLock(key, channel, lock);
    }

    /** The pid written by the holder, or null when it cannot be read (some systems refuse reads of a locked file). */
    private static String pid(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            channel.read(b, 0);
            String s = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
            return s.matches("\\d{1,19}") ? s : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static IllegalStateException inUse(Path dataDir, String holder) {
        return new IllegalStateException("data directory " + dataDir.toAbsolutePath() + " is in use by another "
                + "Budayang server" + (holder == null ? "" : " (" + holder + ")") + ": stop that server, or set "
                + "BOT_DATA_DIR to another directory");
    }

    private static UncheckedIOException cannotLock(Path path, IOException e) {
        return new UncheckedIOException("cannot lock " + path.toAbsolutePath() + ": " + Problems.of(e)
                + "; check BOT_DATA_DIR and its permissions", e);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was locked through it
        }
    }

    /** Releases the lock; another server may then open the directory. Idempotent. */
    @Override
    public void close() {
        synchronized (DataDirLock.class) {
            if (released) {
                return;
            }
            released = true;
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel below releases it too
            }
            closeQuietly(channel);
            HELD.remove(key);
        }
    }
}
