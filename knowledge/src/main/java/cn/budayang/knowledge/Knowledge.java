package cn.budayang.knowledge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The knowledge currently in service: an immutable {@link Snapshot} (knowledge base and its router) held in an
 * {@link AtomicReference} and swapped whole when the knowledge directory changes.
 *
 * <p>Built from the bundled sample city ({@link #bundled()}) or from a directory ({@link #fromDirectory(Path)}, which
 * throws {@link KnowledgeException} when the files are broken, so start-up stops). Nothing runs in the background
 * until {@link #startWatching(Duration)}: it starts one daemon thread that polls the four files' contents; a change
 * that loads is swapped in atomically, a broken edit keeps the old snapshot serving and logs one warning naming file,
 * id and field. {@link #close()} stops the thread. Thread-safe.
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

    private final Path directory;
    private final AtomicReference<Snapshot> current;
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private long fingerprint;
    private long failedFingerprint;
    private Thread watcher;
    private volatile boolean closed;

    private Knowledge(Path directory, Snapshot first, long fingerprint) {
        this.directory = directory;
        this.current = new AtomicReference<>(first);
        this.fingerprint = fingerprint;
    }

    /** The sample city bundled in this jar; never reloads. */
    public static Knowledge bundled() {
        return new Knowledge(null, Snapshot.of(KnowledgeLoader.loadBundled()), 0);
    }

    /**
     * The knowledge of a directory.
     *
     * @throws KnowledgeException when a file is missing, does not parse or fails validation
     */
    public static Knowledge fromDirectory(Path directory) {
        Objects.requireNonNull(directory, "directory");
        long print = fingerprint(directory);
        KnowledgeBase base = KnowledgeLoader.load(directory);
        logGaps(directory, base);
        return new Knowledge(directory, Snapshot.of(base), print);
    }

    private static void logGaps(Path directory, KnowledgeBase base) {
        for (String gap : KnowledgeLoader.gaps(base)) {
            LOG.warn("event=knowledge_gap dir={} problem=\"{}\"", directory, gap);
        }
    }

    /** The snapshot in service now. */
    public Snapshot current() {
        return current.get();
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
     * Checks the directory once and swaps in a new snapshot when the files changed and load. Returns true when a new
     * snapshot was swapped in; a broken edit returns false, keeps the current snapshot and logs why (once per edit).
     */
    public boolean reloadIfChanged() {
        if (directory == null) {
            return false;
        }
        synchronized (lock) {
            long print = fingerprint(directory);
            if (print == fingerprint || print == failedFingerprint) {
                return false;
            }
            Snapshot next;
            try {
                next = Snapshot.of(KnowledgeLoader.load(directory));
            } catch (KnowledgeException e) {
                failedFingerprint = print;
                LOG.warn("knowledge reload rejected, still serving the previous snapshot: {}", e.getMessage());
                return false;
            } catch (RuntimeException e) {
                failedFingerprint = print;
                LOG.warn("knowledge reload failed, still serving the previous snapshot: {}", e.toString());
                return false;
            }
            fingerprint = print;
            failedFingerprint = 0;
            current.set(next);
            LOG.info("knowledge reloaded from {}: {}", directory, next.base());
            logGaps(directory, next.base());
            for (Consumer<Snapshot> l : listeners) {
                l.accept(next);
            }
            return true;
        }
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

    private void watch(long millis) {
        while (!closed) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                reloadIfChanged();
            } catch (RuntimeException e) {
                LOG.warn("knowledge watcher: {}", e.toString());
            }
        }
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

    /** A checksum over the contents of the four files (a missing file counts as its own state). */
    private static long fingerprint(Path dir) {
        CRC32 crc = new CRC32();
        List<String> missing = new ArrayList<>();
        for (String file : KnowledgeLoader.FILES) {
            try {
                crc.update(Files.readAllBytes(dir.resolve(file)));
            } catch (NoSuchFileException e) {
                missing.add(file);
            } catch (IOException e) {
                missing.add(file + ":" + e.getClass().getSimpleName());
            }
            crc.update(0);
        }
        crc.update(String.join(",", missing).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return crc.getValue() | (1L << 40);
    }
}
