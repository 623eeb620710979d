package cn.budayang.knowledge;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The knowledge currently in service: an immutable {@link Snapshot} (knowledge base and its router) held in an
 * {@link AtomicReference} and swapped whole when the knowledge directory changes.
 *
 * <p>Built from the bundled sample city ({@link #bundled()}) or from a directory ({@link #fromDirectory(Path)}, which
 * throws {@link KnowledgeException} when the files are broken, so start-up stops). Nothing runs in the background
 * until {@link #startWatching(Duration)}: it starts one daemon thread that reads the four files at every poll and
 * parses the bytes it read when they differ from those in service; a change that loads is swapped in atomically,
 * files that do not load keep the old snapshot serving, are tried again at the next poll and are logged once (naming
 * file, id and field). {@link #close()} stops the thread. {@link #status()} says what is served and whether the
 * thread still polls, without waiting for a poll. Thread-safe.
 */
public final class Knowledge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Knowledge.class);

    /** One consistent generation of the knowledge. */
    public record Snapshot(KnowledgeBase base, Router router) {
        public Snapshot {
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(router, "router");
        }

        static Snapshot of(KnowledgeBase base) {
            return new Snapshot(base, Router.build(base));
        }
    }

    /** Whether the directory is watched: not (bundled, not started or closed), polling, or stopped by an error. */
    public enum Watcher {
        OFF, RUNNING, STOPPED
    }

    /**
     * What is served and how it is kept up to date.
     *
     * @param directory the watched directory, or null for the bundled sample
     * @param loadedAt  when the snapshot in service was loaded
     * @param watcher   whether the directory is polled
     * @param lastError on one line, why the files on disk are not served (a refused reload) or why the watcher
     *                  stopped; null when the files on disk are those in service
     */
    public record Status(Path directory, Instant loadedAt, Watcher watcher, String lastError) {
    }

    /** The snapshot in service and when it was loaded. */
    private record Served(Snapshot snapshot, Instant at) {
    }

    private final Path directory;
    private final Clock clock;
    private final AtomicReference<Served> current;
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    /** Digest of the files the current snapshot was parsed from; null for the bundled sample. */
    private byte[] served;
    /** The last refusal logged (digest of the files read, if any, and the problem), so that it is logged once. */
    private String refusal;
    /** {@link Status#lastError()}; read by {@link #status()} without the lock. */
    private volatile String lastError;
    /** Written under the lock, read by {@link #status()} without it. */
    private volatile Thread watcher;
    private volatile boolean closed;

    private Knowledge(Path directory, Snapshot first, byte[] served, Clock clock) {
        this.directory = directory;
        this.clock = clock;
        this.current = new AtomicReference<>(new Served(first, clock.instant()));
        this.served = served;
    }

    /** The sample city bundled in this jar; never reloads. */
    public static Knowledge bundled() {
        return bundled(Clock.systemUTC());
    }

    /** {@link #bundled()}, its load time read from {@code clock}. */
    public static Knowledge bundled(Clock clock) {
        return new Knowledge(null, Snapshot.of(KnowledgeLoader.loadBundled()), null, clock);
    }

    /**
     * The knowledge of a directory.
     *
     * @throws KnowledgeException when a file is missing, does not parse or fails validation
     */
    public static Knowledge fromDirectory(Path directory) {
        return fromDirectory(directory, Clock.systemUTC());
    }

    /** {@link #fromDirectory(Path)}, the load time of each snapshot read from {@code clock}. */
    public static Knowledge fromDirectory(Path directory, Clock clock) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(clock, "clock");
        Map<String, byte[]> files = KnowledgeLoader.read(directory);
        KnowledgeBase base = KnowledgeLoader.parse(files);
        logGaps(directory, base);
        return new Knowledge(directory, Snapshot.of(base), digest(files), clock);
    }

    private static void logGaps(Path directory, KnowledgeBase base) {
        for (String gap : KnowledgeLoader.gaps(base)) {
            LOG.warn("event=knowledge_gap dir={} problem=\"{}\"", directory, gap);
        }
    }

    /** The snapshot in service now. */
    public Snapshot current() {
        return current.get().snapshot();
    }

    /** What is served, since when, and whether the watcher polls. Cheap and never blocks: it takes no lock. */
    public Status status() {
        Served s = current.get();
        Thread w = watcher;
        Watcher state = directory == null || w == null ? Watcher.OFF : w.isAlive() ? Watcher.RUNNING : Watcher.STOPPED;
        return new Status(directory, s.at(), state, lastError);
    }

    /** The watched directory, empty for the bundled sample. */
    public Optional<Path> directory() {
        return Optional.ofNullable(directory);
    }

    /** Calls {@code listener} with every snapshot swapped in after this call. */
    public void onReload(Consumer<Snapshot> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Reads the four files once and, when their bytes differ from those in service, parses those same bytes and swaps
     * in the new snapshot. Returns true when it did. Files that do not load (a broken edit, a file caught half
     * written, a file that cannot be read) return false and keep the current snapshot; they are read and tried again
     * at every call, and each refusal is logged once (again when the files or the problem change, or when they come
     * back after the files were restored to those in service, which is logged too).
     */
    public boolean reloadIfChanged() {
        if (directory == null) {
            return false;
        }
        synchronized (lock) {
            Map<String, byte[]> files;
            try {
                files = KnowledgeLoader.read(directory);
            } catch (KnowledgeException e) {
                return refused(null, e.getMessage());
            }
            byte[] digest = digest(files);
            if (Arrays.equals(digest, served)) {
                lastError = null;
                if (refusal != null) {
                    refusal = null; // the same broken edit made again is logged again
                    LOG.info("event=knowledge_files_restored dir={} action=\"none: the files are back to the "
                            + "knowledge in service\"", directory);
                }
                return false;
            }
            Snapshot next;
            try {
                next = Snapshot.of(KnowledgeLoader.parse(files));
            } catch (KnowledgeException e) {
                return refused(digest, e.getMessage());
            } catch (RuntimeException e) {
                return refused(digest, "unexpected failure: " + e);
            }
            served = digest;
            refusal = null;
            lastError = null;
            current.set(new Served(next, clock.instant()));
            LOG.info("event=knowledge_reloaded dir={} knowledge=\"{}\"", directory, next.base());
            logGaps(directory, next.base());
            for (Consumer<Snapshot> l : listeners) {
                l.accept(next);
            }
            return true;
        }
    }

    /** Logs a refusal unless it is the one logged last; returns false. */
    private boolean refused(byte[] digest, String problem) {
        String key = (digest == null ? "-" : HexFormat.of().formatHex(digest)) + " " + problem;
        lastError = oneLine(problem);
        if (!key.equals(refusal)) {
            refusal = key;
            LOG.warn("event=knowledge_reload_rejected dir={} problem=\"{}\" action=\"the previous knowledge keeps "
                    + "serving; correct the file and save it again (it is read again every poll)\"", directory, problem);
        }
        return false;
    }

    /** How often {@link #startWatching()} checks the directory. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);

    /** {@link #startWatching(Duration)} every {@link #DEFAULT_POLL_INTERVAL}. */
    public void startWatching() {
        startWatching(DEFAULT_POLL_INTERVAL);
    }

    /**
     * Starts a daemon thread that checks the directory every {@code interval}; does nothing for the bundled sample
     * or when already watching.
     */
    public void startWatching(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        if (directory == null) {
            return;
        }
        synchronized (lock) {
            if (watcher != null || closed) {
                return;
            }
            long millis = Math.max(10, interval.toMillis());
            Thread t = new Thread(() -> watch(millis), "knowledge-watcher");
            t.setDaemon(true);
            watcher = t;
            t.start();
        }
    }

    /**
     * Polls until closed. Whatever a poll throws (a listener's failure, an allocation too large for the heap) is
     * logged, once while it repeats, and the next poll goes on; only a virtual machine error it cannot survive
     * ({@link InternalError}, {@link UnknownError}) stops the thread, logged as such.
     */
    private void watch(long millis) {
        String lastFailure = null;
        while (!closed) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                reloadIfChanged();
                lastFailure = null;
            } catch (VirtualMachineError e) {
                if (!(e instanceof OutOfMemoryError || e instanceof StackOverflowError)) {
                    lastError = oneLine("watcher stopped: " + e);
                    LOG.error("event=knowledge_watcher_stopped dir={} error=\"{}\" action=\"the knowledge in service "
                            + "stays; edits are no longer picked up: restart the server\"", directory, e.toString(), e);
                    throw e;
                }
                lastFailure = logFailure(lastFailure, e);
            } catch (Throwable e) {
                lastFailure = logFailure(lastFailure, e);
            }
        }
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    private String logFailure(String last, Throwable e) {
        String failure = e.toString();
        if (!failure.equals(last)) {
            LOG.error("event=knowledge_poll_failed dir={} error=\"{}\" action=\"the knowledge in service stays; "
                    + "the files are read again at the next poll\"", directory, failure, e);
        }
        return failure;
    }

    /** Stops the watcher thread, if any. The current snapshot stays usable. */
    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            closed = true;
            t = watcher;
            watcher = null;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** SHA-256 over the four files' names and bytes. */
    private static byte[] digest(Map<String, byte[]> files) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        files.forEach((name, bytes) -> {
            sha.update(name.getBytes(StandardCharsets.UTF_8));
            sha.update(ByteBuffer.allocate(Long.BYTES).putLong(bytes.length).flip());
            sha.update(bytes);
        });
        return sha.digest();
    }
}
