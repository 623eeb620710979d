package cn.budayang.bot.store;

import cn.budayang.bot.Json;
import cn.budayang.bot.Problems;

import cn.budayang.bot.outbox.OutboxEntry;
import cn.budayang.bot.reception.Conversation;
import cn.budayang.bot.reception.Processed;
import cn.budayang.bot.ticket.Ticket;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The {@link Store} on one MapDB file ({@code budayang.db} in the data directory), memory-mapped, with a redo
 * journal of its own in front.
 *
 * <p>One writer thread owns every write. It takes all calls waiting in its queue (up to {@value #MAX_BATCH}), runs
 * them one after another, appends their writes to the {@link Journal} as one batch and forces it to disk, and only
 * then completes their futures: a message is durable before the webhook answers WeChat, and one forced write serves a
 * whole batch. Values are stored as JSON bytes with an explicit serializer, never MapDB's default Java serialization.
 *
 * <p>The journal is what makes a batch durable and atomic, so MapDB runs without transactions and without syncing its
 * file: its writes go straight into the memory-mapped file, and a batch the journal refused is undone from the previous
 * values the writes returned. The MapDB file is trusted only after a clean close; otherwise it is rebuilt from a copy
 * of it taken between two batches (the snapshot) and the journal's batches since that copy.
 * <ul>
 *   <li>At open and at close the snapshot is taken in full (copied, forced, renamed) and the journal emptied.</li>
 *   <li>While running, when the journal grows past half the size of the MapDB file (and at least
 *   {@value #CHECKPOINT_BYTES} bytes: at most two bytes copied per byte journalled, and at most half a file's worth
 *   of journal replayed after a crash), the writer starts a new journal; the old one stays as
 *   {@code budayang.journal.prev} while a background thread copies the file, forces the copy, renames it over the
 *   snapshot and deletes the old journal. While the file is being copied MapDB is not written: each table keeps the
 *   writes in an overlay in memory, read before MapDB, and the writer moves them into MapDB once the copy is done.
 *   Acknowledgements wait for neither the copy nor the disk. A crash in between finds the old snapshot with both
 *   journals, or the new one with a redundant old journal: replaying a batch the snapshot holds changes nothing,
 *   since the last write of a key wins.</li>
 *   <li>While the server runs the journal always holds at least an empty marker batch, so batches in the journals at
 *   open mean the last run did not close.</li>
 * </ul>
 * That last rule holds only with one store per directory: the store locks the directory ({@link DataDirLock}) before
 * it reads anything there and keeps the lock until it closes, so a second server on it stops at start.
 */
public final class MapDbStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(MapDbStore.class);
    static final int MAX_BATCH = 512;
    public static final String FILE_NAME = "budayang.db";
    public static final String SNAPSHOT_NAME = FILE_NAME + ".snapshot";
    static final String JOURNAL_NAME = "budayang.journal";
    /** The journal before the last checkpoint, until that checkpoint's snapshot is on disk. */
    static final String PREVIOUS_JOURNAL_NAME = JOURNAL_NAME + ".prev";
    /** The journal is folded into a new snapshot when it grows past this size and past half the MapDB file's. */
    static final long CHECKPOINT_BYTES = 64L << 20;
    static final double CHECKPOINT_FILE_SHARE = 0.5;
    /**
     * System property: a checkpoint whenever the journal passes this many bytes, whatever the file's size (shorter
     * recoveries for the price of more copying; the crash tests use it to kill the server inside checkpoints).
     */
    public static final String CHECKPOINT_BYTES_PROPERTY = "budayang.store.checkpointBytes";
    /** Overlay entries moved into MapDB after each batch while draining: a few milliseconds of the writer's time. */
    static final int DRAIN_PER_BATCH = 2_000;

    private final DB db;
    /** The data directory's lock, held from before the first read there until {@link #close()}. */
    private final DataDirLock lock;
    /** {@link #CHECKPOINT_BYTES}, or less in tests. */
    private final long checkpointBytes;
    /** The share of the MapDB file's size the journal must also pass: {@value #CHECKPOINT_FILE_SHARE}, or 0 in tests. */
    private final double checkpointFileShare;
    private final Path file;
    private final UnaryOperator<Journal> journalWrapper;
    /** The journal being appended to (writer thread; replaced at each checkpoint). */
    private Journal journal;
    /** Copies the file, forces and installs the snapshot of each checkpoint taken while running. */
    private final ExecutorService checkpointer;
    /** The running checkpoint's background part (writer thread only). */
    private Future<?> settling = CompletableFuture.completedFuture(null);
    /** Completes when the running checkpoint has copied the file. */
    private volatile CompletableFuture<Void> copied = CompletableFuture.completedFuture(null);
    /** The file is being copied: writes go to the tables' overlays, not into MapDB (set by the writer). */
    private volatile boolean copying;
    /** The copy is done and the overlays are moved into MapDB a little per batch (writer thread only). */
    private boolean draining;
    /** When the running checkpoint began, for its log line (writer thread only). */
    private long checkpointStarted;
    /** The writes of the batch being applied, journalled before its commit (writer thread only). */
    private final List<Journal.Op> pending = new ArrayList<>();
    /** The value each write of {@link #pending} replaced (null: none), to undo a batch the journal refused. */
    private final List<byte[]> replaced = new ArrayList<>();
    private final Thread writer;
    private final BlockingQueue<Job<?>> queue = new LinkedBlockingQueue<>();
    /** Sequences live in memory, seeded at open from the largest key stored: no store write per number. */
    private final Map<String, AtomicLong> sequences = new ConcurrentHashMap<>();
    private final NavigableMap<Long, byte[]> ticketMap;
    private final NavigableMap<Long, byte[]> outboxMap;
    private final MapTable<Long, Ticket> tickets;
    private final MapTable<String, Conversation> conversations;
    private final MapTable<String, Processed> processed;
    private final MapTable<Long, OutboxEntry> outbox;
    private final MapTable<String, String> bindings;
    private final MapTable<Long, long[]> ticketDeliveries;
    /** Numbers of the open tickets ({@link cn.budayang.bot.ticket.TicketStatus#open()}), kept by {@link #tickets}. */
    private final MapTable<Long, Boolean> openTickets;
    /** Ids of the outbox entries still to deliver or parked ({@link OutboxEntry#unfinished()}), kept by {@link #outbox}. */
    private final MapTable<Long, Boolean> unfinishedOutbox;
    /** The indexes the file did not have: each is built from its table once the journal is replayed. */
    private final List<MapTable<?, ?>> indexesMissing = new ArrayList<>();
    private final List<MapTable<?, ?>> tables;
    private volatile boolean closed;
    /** Set when a batch could not be undone: the maps may hold writes that were never journalled. */
    private volatile Throwable broken;

    private record Job<R>(Function<Store, R> work, CompletableFuture<R> future) {
    }

    private MapDbStore(DB db, DataDirLock lock, Path file, Journal journal, UnaryOperator<Journal> journalWrapper,
                       long checkpointBytes, double checkpointFileShare, ExecutorService checkpointer) {
        this.db = db;
        this.lock = lock;
        this.checkpointFileShare = checkpointFileShare;
        this.checkpointer = checkpointer;
        this.journalWrapper = journalWrapper;
        this.checkpointBytes = checkpointBytes;
        this.file = file;
        this.journal = journal;
        // values (JSON of a few KB) outside the B-tree nodes: otherwise every put rewrites a whole leaf of values
        this.ticketMap = db.treeMap("tickets", Serializer.LONG, Serializer.BYTE_ARRAY).valuesOutsideNodesEnable()
                .createOrOpen();
        this.outboxMap = db.treeMap("outbox", Serializer.LONG, Serializer.BYTE_ARRAY).valuesOutsideNodesEnable()
                .createOrOpen();
        this.tickets = new MapTable<>(this, 0, ticketMap, Ticket.class);
        this.conversations = new MapTable<>(this, 1, db.hashMap("conversations", Serializer.STRING,
                Serializer.BYTE_ARRAY).createOrOpen(), Conversation.class);
        this.processed = new MapTable<>(this, 2, db.hashMap("processed", Serializer.STRING, Serializer.BYTE_ARRAY)
                .createOrOpen(), Processed.class);
        this.outbox = new MapTable<>(this, 3, outboxMap, OutboxEntry.class);
        this.bindings = new MapTable<>(this, 4, db.hashMap("deputyBindings", Serializer.STRING, Serializer.BYTE_ARRAY)
                .createOrOpen(), String.class);
        this.ticketDeliveries = new MapTable<>(this, 5, db.treeMap("ticketDeliveries", Serializer.LONG,
                Serializer.BYTE_ARRAY).valuesOutsideNodesEnable().createOrOpen(), long[].class);
        if (!db.exists("openTickets")) {
            indexesMissing.add(tickets);
        }
        if (!db.exists("unfinishedOutbox")) {
            indexesMissing.add(outbox);
        }
        this.openTickets = new MapTable<>(this, 6, db.treeMap("openTickets", Serializer.LONG, Serializer.BYTE_ARRAY)
                .createOrOpen(), Boolean.class);
        tickets.indexBy(openTickets, t -> t.status().open());
        this.unfinishedOutbox = new MapTable<>(this, 7, db.treeMap("unfinishedOutbox", Serializer.LONG,
                Serializer.BYTE_ARRAY).createOrOpen(), Boolean.class);
        outbox.indexBy(unfinishedOutbox, OutboxEntry::unfinished);
        // a table's number is its place in this list and in the journal's records: append new tables, never renumber
        this.tables = List.of(tickets, conversations, processed, outbox, bindings, ticketDeliveries, openTickets,
                unfinishedOutbox);
        for (int i = 0; i < tables.size(); i++) {
            if (tables.get(i).id != i) {
                throw new IllegalStateException("store table " + i + " is numbered " + tables.get(i).id);
            }
        }
        db.commit();
        this.writer = new Thread(this::run, "store-writer");
        this.writer.setDaemon(true);
    }

    /**
     * Opens (or creates) the store in {@code dataDir}, locked for this store until it is closed.
     *
     * @throws UncheckedIOException  when the directory cannot be created or the file cannot be opened, with the path
     * @throws IllegalStateException when another store, in this process or another, has the directory open
     */
    public static MapDbStore open(Path dataDir) {
        Long bytes = Long.getLong(CHECKPOINT_BYTES_PROPERTY);
        return open(dataDir, UnaryOperator.identity(), bytes == null ? CHECKPOINT_BYTES : bytes,
                bytes == null ? CHECKPOINT_FILE_SHARE : 0,
                Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "store-checkpoint");
            t.setDaemon(true);
            return t;
        }));
    }

    /**
     * {@link #open(Path)} for tests: the journal passed through {@code journalWrapper} (a disk that fails), the
     * journal size and share of the file's size that call for a checkpoint, and the executor of checkpoints (shut
     * down at close).
     */
    static MapDbStore open(Path dataDir, UnaryOperator<Journal> journalWrapper, long checkpointBytes,
                           double checkpointFileShare, ExecutorService checkpointer) {
        try {
            Files.createDirectories(dataDir);
        } catch (FileAlreadyExistsException e) { // createDirectories: it exists and is not a directory
            throw new UncheckedIOException("cannot create data directory " + dataDir.toAbsolutePath() + ": it is a "
                    + "file, not a directory; set BOT_DATA_DIR to a directory (it is created when missing)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir.toAbsolutePath() + ": "
                    + Problems.of(e) + "; check BOT_DATA_DIR and its permissions", e);
        }
        DataDirLock lock;
        try {
            // before anything is read: a running server's journal is never empty, and would be taken for a crash
            lock = DataDirLock.acquire(dataDir);
        } catch (RuntimeException e) {
            checkpointer.shutdown();
            throw e;
        }
        try {
            return open(dataDir, lock, journalWrapper, checkpointBytes, checkpointFileShare, checkpointer);
        } catch (RuntimeException | Error e) {
            checkpointer.shutdown();
            lock.close();
            throw e;
        }
    }

    /** {@link #open(Path, UnaryOperator, long, double, ExecutorService)} once the directory is locked. */
    private static MapDbStore open(Path dataDir, DataDirLock lock, UnaryOperator<Journal> journalWrapper,
                                   long checkpointBytes, double checkpointFileShare, ExecutorService checkpointer) {
        Path file = dataDir.resolve(FILE_NAME);
        Path snapshot = dataDir.resolve(SNAPSHOT_NAME);
        Path journalPath = dataDir.resolve(JOURNAL_NAME);
        List<List<Journal.Op>> redo;
        Journal journal;
        try {
            // the journal before a checkpoint whose snapshot may not have reached the disk, then the current one
            redo = new ArrayList<>(Journal.read(dataDir.resolve(PREVIOUS_JOURNAL_NAME)));
            redo.addAll(Journal.read(journalPath));
            Files.deleteIfExists(dataDir.resolve(SNAPSHOT_NAME + ".tmp"));
            if (!redo.isEmpty()) {
                if (Files.exists(snapshot)) {
                    // the last commit may have been cut short: the file is rebuilt, not trusted
                    try (var leftovers = Files.list(dataDir)) {
                        for (Path p : leftovers.toList()) {
                            if (p.getFileName().toString().startsWith(FILE_NAME + ".wal.")) {
                                Files.delete(p);
                            }
                        }
                    }
                    Files.copy(snapshot, file, StandardCopyOption.REPLACE_EXISTING);
                    log.warn("event=store_rebuilt batches={} action=\"none: the store was not closed cleanly and was "
                            + "rebuilt from its snapshot and journal\"", redo.size());
                } else {
                    log.error("event=store_snapshot_missing file={} action=\"the journal is replayed onto the store "
                            + "file as it is; restore {} from a backup if the store was damaged\"", snapshot, snapshot);
                }
            }
            journal = journalWrapper.apply(Journal.open(journalPath));
        } catch (IOException e) {
            checkpointer.shutdown();
            throw new UncheckedIOException("cannot recover the store in " + dataDir.toAbsolutePath()
                    + " from its snapshot and journal: " + Problems.of(e) + "; check the disk and permissions of "
                    + "BOT_DATA_DIR", e);
        }
        MapDbStore store;
        try {
            // no MapDB transactions and no sync of its file: the journal makes batches durable and atomic
            DB db = DBMaker.fileDB(file.toFile())
                    .fileMmapEnable()
                    .fileMmapPreclearDisable()
                    .cleanerHackEnable()
                    .fileSyncDisable()
                    .make();
            store = new MapDbStore(db, lock, file, journal, journalWrapper, checkpointBytes, checkpointFileShare,
                    checkpointer);
        } catch (RuntimeException e) {
            closeQuietly(journal);
            checkpointer.shutdown();
            throw new IllegalStateException("cannot open store " + file.toAbsolutePath() + ": " + Problems.of(e)
                    + " (check that BOT_DATA_DIR is writable and has free space)", e);
        }
        try {
            store.replay(redo);
            // a file (or snapshot) written before an index: built once, after the replay of journals that may not
            // hold its writes
            store.indexesMissing.forEach(MapTable::rebuildIndex);
            // a journal with anything in it (replayed batches, or a batch cut short) is folded into a new snapshot
            if (journal.size() > 0 || Files.exists(dataDir.resolve(PREVIOUS_JOURNAL_NAME))
                    || !Files.exists(snapshot)) {
                store.checkpoint(false);
            }
            // from here on the file changes in place: the marker says so to the next open, should this run not close
            journal.append(List.of());
        } catch (IOException | RuntimeException e) {
            store.db.close();
            closeQuietly(journal);
            checkpointer.shutdown();
            throw new IllegalStateException("cannot bring the store in " + dataDir.toAbsolutePath()
                    + " up to date from its journal: " + Problems.of(e) + "; check the disk of BOT_DATA_DIR", e);
        }
        store.writer.start();
        return store;
    }

    private static void closeQuietly(Journal journal) {
        try {
            journal.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    /** Applies journalled batches straight to the MapDB maps and commits them (before the writer starts). */
    private void replay(List<List<Journal.Op>> batches) {
        if (batches.isEmpty()) {
            return;
        }
        for (List<Journal.Op> batch : batches) {
            for (Journal.Op op : batch) {
                tables.get(op.table()).apply(op.key(), op.value());
            }
        }
        db.commit();
    }

    /**
     * Copies the MapDB file, as of the last commit, over the snapshot (through a temporary file, forced, then renamed)
     * and empties the journals: everything in them is now in the snapshot. Only between commits, with no checkpoint
     * settling. At close ({@code closing}) the MapDB file itself is forced too: the next open trusts it.
     */
    private void checkpoint(boolean closing) throws IOException {
        db.commit();
        if (closing) {
            try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
                c.force(true);
            }
        }
        Path tmp = copyFile();
        installSnapshot(tmp);
        journal.clear();
        Files.deleteIfExists(file.resolveSibling(PREVIOUS_JOURNAL_NAME));
    }

    /** Copies the MapDB file, as of the last commit, to the snapshot's temporary file (not forced). */
    private Path copyFile() throws IOException {
        Path tmp = file.resolveSibling(SNAPSHOT_NAME + ".tmp");
        Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
        return tmp;
    }

    /** Forces the copy and renames it over the snapshot. */
    private void installSnapshot(Path tmp) throws IOException {
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Files.move(tmp, file.resolveSibling(SNAPSHOT_NAME), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        forceDirectory();
    }

    private void forceDirectory() {
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // a directory cannot be forced on every file system; renames are still atomic
        }
    }

    /**
     * A checkpoint while running (writer thread, between commits): moves the journal aside as the previous journal
     * and starts a new one, turns the tables' overlays on, and leaves copying the file, forcing and installing the
     * copy, then deleting the previous journal, to the background. Nothing is started while the last one is still
     * settling.
     */
    private void checkpointWhileRunning() throws IOException {
        db.commit();
        Path journalPath = file.resolveSibling(JOURNAL_NAME);
        Path previous = file.resolveSibling(PREVIOUS_JOURNAL_NAME);
        // the open journal follows its file through the rename: until the new one is ready, appends still land
        Files.move(journalPath, previous, StandardCopyOption.ATOMIC_MOVE);
        Journal next = null;
        try {
            next = journalWrapper.apply(Journal.open(journalPath));
            next.append(List.of());
        } catch (IOException | RuntimeException e) {
            if (next != null) {
                closeQuietly(next);
            }
            try {
                Files.move(previous, journalPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException back) {
                e.addSuppressed(back);
                broken = e;
            }
            throw e;
        }
        closeQuietly(journal);
        journal = next;
        forceDirectory();
        CompletableFuture<Void> done = new CompletableFuture<>();
        copied = done;
        copying = true;
        checkpointStarted = System.nanoTime();
        settling = checkpointer.submit(() -> {
            try {
                Path tmp;
                try {
                    tmp = copyFile();
                } finally {
                    done.complete(null);
                }
                installSnapshot(tmp);
                Files.delete(previous);
                forceDirectory();
            } catch (IOException e) {
                // both journals stay: the old snapshot and them still hold every write, and the next open folds them
                log.error("event=store_checkpoint_failed error=\"{}\" action=\"check disk space in BOT_DATA_DIR; "
                        + "the journals keep every write meanwhile\"", e.toString());
            }
            return null;
        });
    }

    /** Records one write of the batch being applied, for the journal, and the value it replaced. */
    void record(int table, Object key, byte[] value, byte[] replaced) {
        pending.add(new Journal.Op(table, key, value));
        this.replaced.add(replaced);
    }

    /**
     * Once the file is copied, moves the writes the overlays hold into MapDB, at most {@code budget} entries per call
     * (writer thread, between batches; no write runs in between). Until an overlay is empty, a write to a key it holds
     * stays in it, newer than MapDB.
     */
    private void drainOverlays(int budget) {
        if (copying && copied.isDone()) {
            copying = false;
            draining = true;
        }
        if (!draining) {
            return;
        }
        int left = budget;
        for (MapTable<?, ?> t : tables) {
            left -= t.drain(left);
        }
        if (left > 0) {
            draining = false;
            log.info("event=store_checkpoint took_ms={} action=\"none\"",
                    (System.nanoTime() - checkpointStarted) / 1_000_000);
        }
    }

    /**
     * Undoes the writes of the batch being applied, newest first, after the journal refused it: the maps hold what
     * they held before the batch. Should MapDB fail here too, the store refuses every later write; the next start
     * rebuilds the file from the snapshot and the journal, which never held this batch.
     */
    private void undo() {
        undo(0);
    }

    /**
     * Undoes the writes of the batch from {@code from} on, newest first, and forgets them: the whole batch when the
     * journal refused it, or the writes of one job that failed.
     */
    private void undo(int from) {
        try {
            for (int i = pending.size() - 1; i >= from; i--) {
                Journal.Op op = pending.get(i);
                tables.get(op.table()).apply(op.key(), replaced.get(i));
            }
            pending.subList(from, pending.size()).clear();
            replaced.subList(from, replaced.size()).clear();
            if (!copying) {
                db.commit();
            }
        } catch (RuntimeException | Error e) {
            broken = e;
            log.error("event=store_undo_failed error=\"{}\" action=\"restart the server: the store is rebuilt from its "
                    + "snapshot and journal; every acknowledged message is in them\"", e.toString());
        }
        tables.forEach(MapTable::forget);
    }

    @Override
    public Table<Long, Ticket> tickets() {
        return tickets;
    }

    /**
     * {@inheritDoc} Read through an index of ticket numbers that the tickets table keeps with every write, so that
     * the cost follows the open tickets, not every ticket ever stored.
     */
    @Override
    public List<Ticket> openTickets() {
        return tickets.indexed();
    }

    /** {@inheritDoc} Read through an index of entry ids kept with every write of the outbox table. */
    @Override
    public List<OutboxEntry> unfinishedOutbox() {
        return outbox.indexed();
    }

    @Override
    public Table<String, Conversation> conversations() {
        return conversations;
    }

    @Override
    public Table<String, Processed> processed() {
        return processed;
    }

    @Override
    public Table<Long, OutboxEntry> outbox() {
        return outbox;
    }

    @Override
    public Table<Long, long[]> ticketDeliveries() {
        return ticketDeliveries;
    }

    @Override
    public Table<String, String> deputyBindings() {
        return bindings;
    }

    /**
     * {@inheritDoc} Numbers come from memory, seeded from the largest key of the table they number ({@code ticket}:
     * ticket numbers are 1000 + n; {@code outbox}: entry ids): a number whose write never committed may be handed
     * out again after a restart, which is harmless because nothing about it was acknowledged.
     */
    @Override
    public long next(String sequence) {
        checkWriter();
        return sequences.computeIfAbsent(sequence, s -> new AtomicLong(switch (s) {
            case "ticket" -> Math.max(0, lastKey(ticketMap) - 1000);
            case "outbox" -> lastKey(outboxMap);
            default -> throw new IllegalArgumentException("unknown sequence " + s);
        })).incrementAndGet();
    }

    private static long lastKey(NavigableMap<Long, byte[]> map) {
        return map.isEmpty() ? 0 : map.lastKey();
    }

    @Override
    public <R> CompletableFuture<R> write(Function<Store, R> work) {
        CompletableFuture<R> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new RejectedExecutionException("store is closed"));
            return f;
        }
        if (broken != null) {
            f.completeExceptionally(new IllegalStateException("the store could not undo a batch its journal refused ("
                    + broken + "); restart the server to rebuild it from its snapshot and journal", broken));
            return f;
        }
        queue.add(new Job<>(work, f));
        return f;
    }

    /** The actions of this batch's calls to run once it is committed ({@link #afterCommit}). */
    private final List<Runnable> onCommit = new ArrayList<>();

    @Override
    public void afterCommit(Runnable action) {
        checkWriter();
        onCommit.add(action);
    }

    private void run() {
        List<Job<?>> batch = new ArrayList<>(MAX_BATCH);
        List<Object> results = new ArrayList<>(MAX_BATCH);
        while (true) {
            try {
                Job<?> first = queue.take();
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
            } catch (InterruptedException e) {
                break;
            }
            boolean stop = false;
            long tA = System.nanoTime();
            for (Job<?> job : batch) {
                if (job.work == null) {
                    stop = true;
                    results.add(null);
                    continue;
                }
                int mark = pending.size();
                int actions = onCommit.size();
                try {
                    results.add(job.work.apply(this));
                } catch (RuntimeException | Error e) {
                    // a job that fails leaves nothing behind: its writes are undone before the batch commits
                    undo(mark);
                    onCommit.subList(actions, onCommit.size()).clear();
                    results.add(new Failure(e));
                }
            }
            Throwable commitError = null;
            long tB = System.nanoTime();
            try {
                if (!pending.isEmpty()) {
                    // the commit point: once forced, the batch survives any crash (the file is rebuilt from here)
                    journal.append(pending);
                }
                if (log.isDebugEnabled()) {
                    log.debug("event=store_commit batch={} apply_us={} commit_us={}", batch.size(),
                            (tB - tA) / 1000, (System.nanoTime() - tB) / 1000);
                }
            } catch (IOException | RuntimeException | Error e) {
                commitError = e;
                log.error("event=store_commit_failed batch={} error=\"{}\" action=\"messages in this batch were not "
                        + "acknowledged; WeChat will retry them; check disk space and BOT_DATA_DIR\"",
                        batch.size(), e.toString());
                undo();
            }
            pending.clear();
            replaced.clear();
            if (commitError == null) {
                for (Runnable action : onCommit) {
                    try {
                        action.run();
                    } catch (RuntimeException e) {
                        log.error("event=store_after_commit_failed error=\"{}\" action=\"none: the batch is committed; "
                                + "figures kept beside the store may be off until a restart\"", e.toString());
                    }
                }
                drainOverlays(DRAIN_PER_BATCH);
                checkpointIfLarge();
            }
            onCommit.clear();
            for (int i = 0; i < batch.size(); i++) {
                complete(batch.get(i), results.get(i), commitError);
            }
            batch.clear();
            results.clear();
            if (stop) {
                break;
            }
        }
    }

    private record Failure(Throwable error) {
    }

    private void checkpointIfLarge() {
        try {
            long size = journal.size();
            if (size > checkpointBytes && settling.isDone() && !copying && !draining
                    && size > Files.size(file) * checkpointFileShare) {
                if (Files.exists(file.resolveSibling(PREVIOUS_JOURNAL_NAME))) {
                    // the last checkpoint failed in the background: this one is done in full, on the writer
                    checkpoint(false);
                    journal.append(List.of());
                } else {
                    checkpointWhileRunning();
                }
            }
        } catch (IOException e) {
            // the journal keeps growing and still holds every write: nothing is lost, the next try may succeed
            log.error("event=store_checkpoint_failed error=\"{}\" action=\"check disk space in BOT_DATA_DIR; the "
                    + "journal keeps every write meanwhile\"", e.toString());
        }
    }

    @SuppressWarnings("unchecked")
    private static <R> void complete(Job<R> job, Object result, Throwable commitError) {
        if (commitError != null) {
            job.future.completeExceptionally(commitError);
        } else if (result instanceof Failure failure) {
            job.future.completeExceptionally(failure.error);
        } else if (job.work != null) {
            job.future.complete((R) result);
        } else {
            job.future.complete(null);
        }
    }

    void checkWriter() {
        if (Thread.currentThread() != writer) {
            throw new IllegalStateException("store writes are only allowed inside Store.write");
        }
    }

    /** Finishes every queued write, commits, closes the file and releases the data directory. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CompletableFuture<Object> stop = new CompletableFuture<>();
        queue.add(new Job<>(null, stop));
        try {
            writer.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        checkpointer.shutdown();
        try {
            checkpointer.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!writer.isAlive() && broken == null && !settling.isDone()) {
            // the overlays' writes are journalled: the next start rebuilds the file from the snapshot and journals
            log.error("event=store_checkpoint_failed error=\"a checkpoint of the store file did not finish within "
                    + "60 s\" action=\"none: the journals are replayed at the next start\"");
        } else if (!writer.isAlive() && broken == null) {
            try {
                drainOverlays(Integer.MAX_VALUE);
                checkpoint(true);
            } catch (IOException e) {
                log.error("event=store_checkpoint_failed error=\"{}\" action=\"none: the journal is replayed at the "
                        + "next start\"", e.toString());
            }
        }
        closeQuietly(journal);
        try {
            db.close();
        } finally {
            lock.close();
        }
    }

    /**
     * A MapDB map of JSON values with a cache of decoded values in front: the writer thread is the only writer and
     * updates the map, then the cache; readers load missing values through the cache, atomically per key, so a value
     * read before a write never lands in the cache after it. After a failed commit the cache is dropped.
     */
    private static final class MapTable<K, V> implements Table<K, V> {
        /**
         * Decoded values kept per table. Small on purpose: under a burst every new ticket, conversation and outbox
         * entry enters its table's cache, and a cache that holds them for seconds makes G1 copy them from survivor
         * space to survivor space at every young collection. With 20,000 the webhook benchmark's young pauses took
         * 2.5–3.0 s of a run (33–38 above 40 ms) and the ticket path's p99 was 92–115 ms; with 2,000, in alternating
         * runs of the same build, 1.8–2.0 s (11–16 above 40 ms) and 75–90 ms, throughput within the machine's noise
         * (plaintext 1,574–2,305 against 1,725–2,177 req/s; 2026-11-27). A value not cached is decoded from its
         * stored JSON again.
         */
        static final int CACHED = 2_000;
        /** An overlay's mark of a removed key (compared by identity). */
        private static final byte[] REMOVED = new byte[0];
        private final MapDbStore store;
        /** The table's number in the journal. */
        private final int id;
        private final Map<K, byte[]> map;
        private final Class<V> type;
        private final Cache<K, V> cache = Caffeine.newBuilder().maximumSize(CACHED).build();
        /** Writes made while the file is copied, {@link #REMOVED} for a removal; read before {@link #map}. */
        private final ConcurrentHashMap<K, byte[]> overlay = new ConcurrentHashMap<>();
        /** The keys of the values that match {@link #member}, kept with every write; null: no index. */
        private MapTable<K, Boolean> index;
        private Predicate<V> member;

        MapTable(MapDbStore store, int id, Map<K, byte[]> map, Class<V> type) {
            this.store = store;
            this.id = id;
            this.map = map;
            this.type = type;
        }

        /**
         * Keeps {@code index} as the keys of this table's values that match {@code member}: every put and removal
         * through this table writes the index in the same batch (journalled, undone and replayed like any write).
         */
        void indexBy(MapTable<K, Boolean> index, Predicate<V> member) {
            this.index = index;
            this.member = member;
        }

        /** Fills the index from every stored value, straight into MapDB (at open, before anything is journalled). */
        void rebuildIndex() {
            byte[] yes = Json.bytes(Boolean.TRUE);
            int n = 0;
            index.map.clear();
            for (Map.Entry<K, byte[]> e : map.entrySet()) {
                if (member.test(Json.read(e.getValue(), type))) {
                    index.map.put(e.getKey(), yes);
                    n++;
                }
            }
            store.db.commit();
            log.info("event=store_index_built table={} entries={} indexed={}", index.id, map.size(), n);
        }

        /** The values whose keys the index holds, in key order. */
        List<V> indexed() {
            List<V> out = new ArrayList<>();
            for (Iterator<Map.Entry<K, byte[]>> it = index.entries(false); it.hasNext(); ) {
                get(it.next().getKey()).ifPresent(out::add);
            }
            return out;
        }

        private void reindex(K key, V value) {
            if (index == null) {
                return;
            }
            boolean in = value != null && member.test(value);
            if (in != (index.read(key) != null)) {
                if (in) {
                    index.put(key, Boolean.TRUE);
                } else {
                    index.remove(key);
                }
            }
        }

        /** Replays or undoes one write ({@code value} null: removed). */
        @SuppressWarnings("unchecked")
        void apply(Object key, byte[] value) {
            write((K) key, value);
        }

        /** The stored bytes of {@code key}, overlay first; null when absent. */
        private byte[] read(K key) {
            byte[] b = overlay.get(key);
            if (b != null) {
                return b == REMOVED ? null : b;
            }
            return map.get(key);
        }

        /**
         * Writes {@code bytes} (null: removes), into the overlay while the file is copied or while the overlay still
         * holds the key; returns what it replaced.
         */
        private byte[] write(K key, byte[] bytes) {
            if (store.copying || overlay.containsKey(key)) {
                byte[] replaced = read(key);
                overlay.put(key, bytes == null ? REMOVED : bytes);
                return replaced;
            }
            return bytes == null ? map.remove(key) : map.put(key, bytes);
        }

        /**
         * Moves up to {@code most} of the overlay's writes into MapDB and returns how many it moved (writer thread, no
         * write in between): each key reaches MapDB before it leaves the overlay, so a reader finds it in one or the
         * other.
         */
        int drain(int most) {
            int moved = 0;
            for (Iterator<Map.Entry<K, byte[]>> it = overlay.entrySet().iterator(); it.hasNext() && moved < most; ) {
                Map.Entry<K, byte[]> e = it.next();
                if (e.getValue() == REMOVED) {
                    map.remove(e.getKey());
                } else {
                    map.put(e.getKey(), e.getValue());
                }
                overlay.remove(e.getKey(), e.getValue());
                moved++;
            }
            return moved;
        }

        /** Every stored entry, overlay included, in key order for sorted tables ({@code descending}: reversed). */
        @SuppressWarnings("unchecked")
        private Iterator<Map.Entry<K, byte[]>> entries(boolean descending) {
            Map<K, byte[]> base = map instanceof NavigableMap<K, byte[]> nav && descending ? nav.descendingMap() : map;
            if (overlay.isEmpty()) {
                return base.entrySet().iterator();
            }
            if (map instanceof NavigableMap) {
                // sorted tables have Long keys in natural order
                Comparator<K> order = (Comparator<K>) (descending ? Comparator.reverseOrder()
                        : Comparator.naturalOrder());
                TreeMap<K, byte[]> extra = new TreeMap<>(order);
                extra.putAll(overlay);
                return new Merged<>(base.entrySet().iterator(), extra.entrySet().iterator(), order);
            }
            Map<K, byte[]> extra = new HashMap<>(overlay);
            Iterator<Map.Entry<K, byte[]>> stored = base.entrySet().stream()
                    .filter(e -> !extra.containsKey(e.getKey())).iterator();
            Iterator<Map.Entry<K, byte[]>> added = extra.entrySet().stream()
                    .filter(e -> e.getValue() != REMOVED).iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return stored.hasNext() || added.hasNext();
                }

                @Override
                public Map.Entry<K, byte[]> next() {
                    return stored.hasNext() ? stored.next() : added.next();
                }
            };
        }

        @Override
        public Optional<V> get(K key) {
            // loaded through the cache, atomically per key: a reader that read the map before the writer's put must
            // not put its older value into the cache after the writer's (the writer updates the map, then the cache)
            return Optional.ofNullable(cache.get(key, k -> {
                byte[] b = read(k);
                return b == null ? null : Json.read(b, type);
            }));
        }

        @Override
        public void put(K key, V value) {
            store.checkWriter();
            byte[] bytes = Json.bytes(value);
            store.record(id, key, bytes, write(key, bytes));
            cache.put(key, value);
            reindex(key, value);
        }

        @Override
        public void remove(K key) {
            store.checkWriter();
            store.record(id, key, null, write(key, null));
            cache.invalidate(key);
            reindex(key, null);
        }

        void forget() {
            cache.invalidateAll();
        }

        @Override
        public int size() {
            int n = map.size();
            for (Map.Entry<K, byte[]> e : overlay.entrySet()) {
                boolean stored = map.containsKey(e.getKey());
                if (e.getValue() == REMOVED) {
                    n -= stored ? 1 : 0;
                } else {
                    n += stored ? 0 : 1;
                }
            }
            return n;
        }

        @Override
        public int removeIf(Predicate<V> filter) {
            store.checkWriter();
            List<K> doomed = new ArrayList<>();
            for (Iterator<Map.Entry<K, byte[]>> it = entries(false); it.hasNext(); ) {
                Map.Entry<K, byte[]> e = it.next();
                if (filter.test(Json.read(e.getValue(), type))) {
                    doomed.add(e.getKey());
                }
            }
            for (K k : doomed) {
                store.record(id, k, null, write(k, null));
                cache.invalidate(k);
                reindex(k, null);
            }
            return doomed.size();
        }

        @Override
        public List<V> scan(Predicate<V> filter, boolean descending, int offset, int limit) {
            return scanAs(type, filter, descending, offset, limit);
        }

        @Override
        public <T> List<T> scanAs(Class<T> view, Predicate<T> filter, boolean descending, int offset, int limit) {
            List<T> out = new ArrayList<>(Math.min(limit, 256));
            int skipped = 0;
            for (Iterator<Map.Entry<K, byte[]>> it = entries(descending); it.hasNext(); ) {
                T v = Json.read(it.next().getValue(), view);
                if (!filter.test(v)) {
                    continue;
                }
                if (skipped < offset) {
                    skipped++;
                    continue;
                }
                out.add(v);
                if (out.size() >= limit) {
                    break;
                }
            }
            return out;
        }
    }

    /**
     * Two iterators of entries in one key order merged into one; on equal keys the second (the overlay) wins, and its
     * removals hide the key.
     */
    private static final class Merged<K> implements Iterator<Map.Entry<K, byte[]>> {
        private final Iterator<Map.Entry<K, byte[]>> stored;
        private final Iterator<Map.Entry<K, byte[]>> overlay;
        private final Comparator<K> order;
        private Map.Entry<K, byte[]> a;
        private Map.Entry<K, byte[]> b;
        private Map.Entry<K, byte[]> next;

        Merged(Iterator<Map.Entry<K, byte[]>> stored, Iterator<Map.Entry<K, byte[]>> overlay, Comparator<K> order) {
            this.stored = stored;
            this.overlay = overlay;
            this.order = order;
            a = stored.hasNext() ? stored.next() : null;
            b = overlay.hasNext() ? overlay.next() : null;
            advance();
        }

        private void advance() {
            next = null;
            while (next == null && (a != null || b != null)) {
                int c = a == null ? 1 : b == null ? -1 : order.compare(a.getKey(), b.getKey());
                if (c < 0) {
                    next = a;
                    a = stored.hasNext() ? stored.next() : null;
                } else {
                    if (c == 0) {
                        a = stored.hasNext() ? stored.next() : null;
                    }
                    if (b.getValue() != MapTable.REMOVED) {
                        next = b;
                    }
                    b = overlay.hasNext() ? overlay.next() : null;
                }
            }
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public Map.Entry<K, byte[]> next() {
            if (next == null) {
                throw new NoSuchElementException();
            }
            Map.Entry<K, byte[]> e = next;
            advance();
            return e;
        }
    }
}
