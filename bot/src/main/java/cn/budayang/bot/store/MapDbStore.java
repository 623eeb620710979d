package cn.budayang.bot.store;

import cn.budayang.bot.Json;

import cn.budayang.bot.outbox.OutboxEntry;
import cn.budayang.bot.reception.Conversation;
import cn.budayang.bot.reception.Processed;
import cn.budayang.bot.ticket.Ticket;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.common.hash.BloomFilter;
import com.google.common.hash.Funnels;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.TreeSet;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The {@link Store} on one MapDB file ({@code budayang.db} in the data directory, memory-mapped, with transactions)
 * behind a write-ahead {@link Journal}.
 *
 * <p>Three threads, a pipeline:
 * <ol>
 *   <li><b>writer</b>: owns every write. It takes all calls waiting in its queue (up to {@value #MAX_BATCH}) and runs
 *   them one after another; each put or remove updates the table's in-memory overlay (and cache) and is recorded;
 *   the batch goes to the syncer and the writer takes the next one at once;</li>
 *   <li><b>syncer</b>: appends the writes of every batch waiting as one checksummed journal record, forces the
 *   journal to disk (one fsync for them all: group commit), then completes the batches' futures in order. A message
 *   is durable before the webhook answers WeChat;</li>
 *   <li><b>checkpointer</b>: applies the journaled writes to the MapDB maps and commits MapDB about every
 *   {@code checkpointEvery} (a MapDB commit costs tens of milliseconds whatever its size), then deletes the journal
 *   segments that commit covers and drops the overlay entries it made redundant.</li>
 * </ol>
 * Reads see the newest write: cache, then overlay (written, maybe not yet in MapDB), then MapDB. At open, the journal
 * segments left by a crash are replayed into MapDB and committed before anything else runs. Values are stored as JSON
 * bytes with an explicit serializer, never MapDB's default Java serialization.
 */
public final class MapDbStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(MapDbStore.class);
    static final int MAX_BATCH = 512;
    public static final String FILE_NAME = "budayang.db";
    static final Duration CHECKPOINT_EVERY = Duration.ofMillis(500);

    private final DB db;
    private final Journal journal;
    private final Duration checkpointEvery;
    private final Thread writer;
    private final Thread syncer;
    private final Thread checkpointer;
    private final BlockingQueue<Job<?>> queue = new LinkedBlockingQueue<>();
    private final BlockingQueue<Batch> toSync = new LinkedBlockingQueue<>();
    private final BlockingQueue<Object> toApply = new LinkedBlockingQueue<>();
    /** Writes of the batch the writer is running; only the writer touches it. */
    private List<Op> recording = new ArrayList<>();
    /** Sequences live in memory, seeded at open from the largest key stored: no store write per number. */
    private final Map<String, AtomicLong> sequences = new ConcurrentHashMap<>();
    private final MapTable<Long, Ticket> tickets;
    private final MapTable<String, Conversation> conversations;
    private final MapTable<String, Processed> processed;
    private final MapTable<Long, OutboxEntry> outbox;
    private final MapTable<String, String> bindings;
    private final MapTable<Long, long[]> ticketDeliveries;
    /** By their journal number: never reorder. */
    private final List<MapTable<?, ?>> tables;
    private volatile boolean closed;
    /** Set when the journal cannot be written: nothing more is acknowledged until a restart. */
    private volatile Throwable broken;

    private record Job<R>(Function<Store, R> work, CompletableFuture<R> future) {
    }

    /** One batch of jobs with their results and writes, on its way through the syncer. */
    private record Batch(List<Job<?>> jobs, List<Object> results, List<Op> ops, boolean last) {
    }

    /** One write: the overlay entry it made. */
    private record Op(MapTable<?, ?> table, Object key, Pending pending) {
    }

    /** The journal segment that just closed: everything applied before it may be committed. */
    private record Rotated(long segment, boolean last) {
    }

    /** An overlay entry: the newest bytes of a key not yet committed to MapDB, or a removal ({@code null}). */
    private record Pending(byte[] bytes) {
    }

    private MapDbStore(DB db, Path dataDir, Duration checkpointEvery) throws IOException {
        this.db = db;
        this.checkpointEvery = checkpointEvery;
        // values (JSON of a few KB) outside the B-tree nodes: otherwise every put rewrites a whole leaf of values
        this.tickets = new MapTable<>(this, 0, db.treeMap("tickets", Serializer.LONG, Serializer.BYTE_ARRAY)
                .valuesOutsideNodesEnable().createOrOpen(), Ticket.class, KeyCodec.LONG);
        this.conversations = new MapTable<>(this, 1, db.hashMap("conversations", Serializer.STRING,
                Serializer.BYTE_ARRAY).createOrOpen(), Conversation.class, KeyCodec.STRING);
        this.processed = new MapTable<>(this, 2, db.hashMap("processed", Serializer.STRING, Serializer.BYTE_ARRAY)
                .createOrOpen(), Processed.class, KeyCodec.STRING);
        this.outbox = new MapTable<>(this, 3, db.treeMap("outbox", Serializer.LONG, Serializer.BYTE_ARRAY)
                .valuesOutsideNodesEnable().createOrOpen(), OutboxEntry.class, KeyCodec.LONG);
        this.bindings = new MapTable<>(this, 4, db.hashMap("deputyBindings", Serializer.STRING, Serializer.BYTE_ARRAY)
                .createOrOpen(), String.class, KeyCodec.STRING);
        this.ticketDeliveries = new MapTable<>(this, 5, db.treeMap("ticketDeliveries", Serializer.LONG,
                Serializer.BYTE_ARRAY).valuesOutsideNodesEnable().createOrOpen(), long[].class, KeyCodec.LONG);
        this.tables = List.of(tickets, conversations, processed, outbox, bindings, ticketDeliveries);
        // writes a crash left in the journal: into MapDB, committed, before anything else runs
        this.journal = Journal.replayAndOpen(dataDir, e -> tables.get(e.table()).applyRaw(e.key(), e.value()));
        db.commit();
        journal.deleteUpTo(journal.segment() - 1);
        tables.forEach(MapTable::learnStoredKeys);
        this.writer = new Thread(this::runWriter, "store-writer");
        this.syncer = new Thread(this::runSyncer, "store-syncer");
        this.checkpointer = new Thread(this::runCheckpointer, "store-checkpointer");
        for (Thread t : List.of(writer, syncer, checkpointer)) {
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Opens (or creates) the store in {@code dataDir}, replaying what a crash left in the journal.
     *
     * @throws UncheckedIOException when the directory cannot be created or the file cannot be opened, with the path
     */
    public static MapDbStore open(Path dataDir) {
        return open(dataDir, CHECKPOINT_EVERY);
    }

    static MapDbStore open(Path dataDir, Duration checkpointEvery) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir.toAbsolutePath()
                    + ": check BOT_DATA_DIR and its permissions", e);
        }
        Path file = dataDir.resolve(FILE_NAME);
        DB db;
        try {
            db = DBMaker.fileDB(file.toFile())
                    .fileMmapEnable()
                    .fileMmapPreclearDisable()
                    .cleanerHackEnable()
                    .transactionEnable()
                    .make();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot open store " + file.toAbsolutePath() + ": " + e.getMessage()
                    + " (is another Budayang server using this BOT_DATA_DIR?)", e);
        }
        try {
            return new MapDbStore(db, dataDir, checkpointEvery);
        } catch (IOException | RuntimeException e) {
            db.close();
            throw new IllegalStateException("cannot replay the store journal in " + dataDir.toAbsolutePath() + ": "
                    + e.getMessage() + " (check the disk and the permissions of BOT_DATA_DIR)", e);
        }
    }

    @Override
    public Table<Long, Ticket> tickets() {
        return tickets;
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
     * ticket numbers are 1000 + n; {@code outbox}: entry ids): a number whose write never became durable may be
     * handed out again after a restart, which is harmless because nothing about it was acknowledged.
     */
    @Override
    public long next(String sequence) {
        checkWriter();
        return sequences.computeIfAbsent(sequence, s -> new AtomicLong(switch (s) {
            case "ticket" -> Math.max(0, tickets.lastKey() - 1000);
            case "outbox" -> outbox.lastKey();
            default -> throw new IllegalArgumentException("unknown sequence " + s);
        })).incrementAndGet();
    }

    @Override
    public <R> CompletableFuture<R> write(Function<Store, R> work) {
        CompletableFuture<R> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new RejectedExecutionException("store is closed"));
            return f;
        }
        queue.add(new Job<>(work, f));
        return f;
    }

    // ---- writer

    private void runWriter() {
        boolean stop = false;
        while (!stop) {
            List<Job<?>> batch = new ArrayList<>();
            try {
                batch.add(queue.take());
                queue.drainTo(batch, MAX_BATCH - 1);
            } catch (InterruptedException e) {
                break;
            }
            List<Object> results = new ArrayList<>(batch.size());
            long t0 = System.nanoTime();
            for (Job<?> job : batch) {
                if (job.work == null) {
                    stop = true;
                    results.add(null);
                    continue;
                }
                if (broken != null) {
                    results.add(new Failure(new IllegalStateException("store journal failed earlier; restart "
                            + "the server", broken)));
                    continue;
                }
                try {
                    results.add(job.work.apply(this));
                } catch (RuntimeException | Error e) {
                    results.add(new Failure(e));
                }
            }
            List<Op> ops = recording;
            recording = new ArrayList<>();
            if (log.isDebugEnabled()) {
                log.debug("event=store_batch jobs={} writes={} apply_us={}", batch.size(), ops.size(),
                        (System.nanoTime() - t0) / 1000);
            }
            // a batch without writes still waits for the batches before it: what it read may not be durable yet
            toSync.add(new Batch(batch, results, ops, stop));
        }
    }

    private void record(Op op) {
        recording.add(op);
    }

    // ---- syncer

    private void runSyncer() {
        long segmentStart = System.nanoTime();
        boolean last = false;
        while (!last) {
            List<Batch> group = new ArrayList<>();
            try {
                Batch first = toSync.poll(checkpointEvery.toMillis(), TimeUnit.MILLISECONDS);
                if (first != null) {
                    group.add(first);
                    toSync.drainTo(group);
                }
            } catch (InterruptedException e) {
                break;
            }
            Journal.RecordBuilder record = new Journal.RecordBuilder();
            List<Op> ops = new ArrayList<>();
            for (Batch b : group) {
                last |= b.last;
                for (Op op : b.ops) {
                    record.add(op.table.number, op.table.keyBytes(op.key), op.pending.bytes);
                    ops.add(op);
                }
            }
            Throwable failure = broken;
            if (failure == null && !record.isEmpty()) {
                try {
                    long t0 = System.nanoTime();
                    journal.append(record.finish());
                    journal.force();
                    if (log.isDebugEnabled()) {
                        log.debug("event=journal_sync batches={} writes={} sync_us={}", group.size(), ops.size(),
                                (System.nanoTime() - t0) / 1000);
                    }
                } catch (IOException | RuntimeException e) {
                    failure = e;
                    broken = e;
                    log.error("event=journal_write_failed batches={} error=\"{}\" action=\"these messages were not "
                            + "acknowledged (WeChat retries them) and no more will be until a restart; check disk "
                            + "space and BOT_DATA_DIR, then restart\"", group.size(), e.toString());
                }
            }
            if (failure == null && !ops.isEmpty()) {
                // handed on before the futures complete: a caller that saw its write acknowledged finds it applied
                toApply.add(ops);
            }
            for (Batch b : group) {
                for (int i = 0; i < b.jobs.size(); i++) {
                    complete(b.jobs.get(i), b.results.get(i), failure);
                }
            }
            boolean due = System.nanoTime() - segmentStart >= checkpointEvery.toNanos();
            if (broken == null && (last || due) && !journal.currentSegmentEmpty()) {
                try {
                    toApply.add(new Rotated(journal.rotate(), false));
                    segmentStart = System.nanoTime();
                } catch (IOException e) {
                    broken = e;
                    log.error("event=journal_rotate_failed error=\"{}\" action=\"check disk space and BOT_DATA_DIR, "
                            + "then restart\"", e.toString());
                }
            } else if (due) {
                segmentStart = System.nanoTime();
            }
        }
        toApply.add(new Rotated(-1, true));
    }

    // ---- checkpointer

    private void runCheckpointer() {
        // applied to MapDB since its last commit, in order: settled after the commit, re-applied after a failed one
        List<Op> uncommitted = new ArrayList<>();
        // a write MapDB refused: from then on nothing is committed or deleted, the journal and the overlay keep all
        boolean stuck = false;
        while (true) {
            Object item;
            try {
                item = toApply.take();
            } catch (InterruptedException e) {
                break;
            }
            if (item instanceof List<?> ops) {
                for (Object o : ops) {
                    Op op = (Op) o;
                    uncommitted.add(op);
                    try {
                        op.table.apply(op);
                    } catch (RuntimeException e) {
                        if (!stuck) {
                            log.error("event=store_apply_failed error=\"{}\" action=\"nothing is lost: the journal "
                                    + "keeps every write from now on and reads see them; restart the server to replay "
                                    + "the journal into the store\"", e.toString());
                        }
                        stuck = true;
                    }
                }
                continue;
            }
            Rotated r = (Rotated) item;
            if (!stuck && (!uncommitted.isEmpty() || r.last)) {
                try {
                    long t0 = System.nanoTime();
                    db.commit();
                    if (r.segment >= 0) {
                        journal.deleteUpTo(r.segment);
                    }
                    for (Op op : uncommitted) {
                        op.table.settle(op);
                    }
                    if (log.isDebugEnabled()) {
                        log.debug("event=store_checkpoint writes={} commit_us={}", uncommitted.size(),
                                (System.nanoTime() - t0) / 1000);
                    }
                    uncommitted.clear();
                } catch (IOException | RuntimeException e) {
                    log.error("event=store_checkpoint_failed writes={} error=\"{}\" action=\"nothing is lost (the "
                            + "journal keeps these writes and the next checkpoint retries); if it repeats, check disk "
                            + "space and BOT_DATA_DIR\"", uncommitted.size(), e.toString());
                    try {
                        db.rollback();
                        for (Op op : uncommitted) {
                            op.table.apply(op);
                        }
                    } catch (RuntimeException again) {
                        log.error("event=store_reapply_failed error=\"{}\"", again.toString());
                    }
                }
            }
            if (r.last) {
                break;
            }
        }
    }

    private record Failure(Throwable error) {
    }

    @SuppressWarnings("unchecked")
    private static <R> void complete(Job<R> job, Object result, Throwable journalError) {
        if (journalError != null) {
            job.future.completeExceptionally(journalError);
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

    /** Finishes every queued write, makes it durable, commits it to MapDB, and closes the files. */
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
            syncer.join(30_000);
            checkpointer.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            journal.close();
        } catch (IOException e) {
            log.warn("event=journal_close_failed error=\"{}\"", e.toString());
        }
        db.close();
    }

    /**
     * Tests only: stops the way a crash would once every acknowledged write is in the journal: no checkpoint, MapDB
     * back at its last commit, the journal left as it is.
     */
    void haltForTest() throws InterruptedException, IOException {
        closed = true;
        for (Thread t : List.of(writer, syncer, checkpointer)) {
            t.interrupt();
            t.join(10_000);
        }
        journal.close();
        db.rollback();
        db.close();
    }

    /** How a table's keys are written in the journal. */
    private enum KeyCodec {
        LONG {
            @Override
            byte[] encode(Object key) {
                return ByteBuffer.allocate(8).putLong((Long) key).array();
            }

            @Override
            Object decode(byte[] b) {
                return ByteBuffer.wrap(b).getLong();
            }
        },
        STRING {
            @Override
            byte[] encode(Object key) {
                return ((String) key).getBytes(StandardCharsets.UTF_8);
            }

            @Override
            Object decode(byte[] b) {
                return new String(b, StandardCharsets.UTF_8);
            }
        };

        abstract byte[] encode(Object key);

        abstract Object decode(byte[] b);
    }

    /**
     * A MapDB map of JSON values, with an overlay of the writes not yet committed to MapDB and a cache of decoded
     * values in front. Only the writer writes the overlay and the cache (write-through, never stale); the
     * checkpointer writes the map and then drops overlay entries nothing newer has replaced.
     */
    private static final class MapTable<K, V> implements Table<K, V> {
        static final int CACHED = 20_000;
        /** Sized for a province's year of constituents at 1 % false positives (about 1.2 MB per table). */
        static final int EXPECTED_KEYS = 1_000_000;
        private final MapDbStore store;
        private final int number;
        private final Map<K, byte[]> map;
        private final Class<V> type;
        private final KeyCodec codec;
        private final ConcurrentMap<K, Pending> overlay;
        private final Cache<K, V> cache = Caffeine.newBuilder().maximumSize(CACHED).build();
        /**
         * Every key ever written since open (and every key MapDB held then): a key it has never seen is absent
         * without reading MapDB, which a checkpoint's commit locks for tens of milliseconds. New constituents and
         * new messages are exactly such keys. Removed keys stay in it, costing one MapDB read.
         */
        private final BloomFilter<byte[]> seen;

        MapTable(MapDbStore store, int number, Map<K, byte[]> map, Class<V> type, KeyCodec codec) {
            this.store = store;
            this.number = number;
            this.map = map;
            this.type = type;
            this.codec = codec;
            this.overlay = map instanceof NavigableMap ? new ConcurrentSkipListMap<>() : new ConcurrentHashMap<>();
            this.seen = BloomFilter.create(Funnels.byteArrayFunnel(), EXPECTED_KEYS, 0.01);
        }

        /** After the journal replay: the keys MapDB holds. */
        void learnStoredKeys() {
            for (K k : map.keySet()) {
                seen.put(codec.encode(k));
            }
        }

        @Override
        public Optional<V> get(K key) {
            V cached = cache.getIfPresent(key);
            if (cached != null) {
                return Optional.of(cached);
            }
            Pending p = overlay.get(key);
            byte[] b = p != null ? p.bytes : seen.mightContain(codec.encode(key)) ? map.get(key) : null;
            if (b == null) {
                return Optional.empty();
            }
            V v = Json.read(b, type);
            // only the writer fills the cache: a reader could otherwise cache a value the writer just replaced
            if (Thread.currentThread() == store.writer) {
                cache.put(key, v);
            }
            return Optional.of(v);
        }

        @Override
        public void put(K key, V value) {
            store.checkWriter();
            Pending p = new Pending(Json.bytes(value));
            seen.put(codec.encode(key));
            overlay.put(key, p);
            cache.put(key, value);
            store.record(new Op(this, key, p));
        }

        @Override
        public void remove(K key) {
            store.checkWriter();
            Pending p = new Pending(null);
            overlay.put(key, p);
            cache.invalidate(key);
            store.record(new Op(this, key, p));
        }

        byte[] keyBytes(Object key) {
            return codec.encode(key);
        }

        /** Replay: a journaled write straight into MapDB (before any thread runs). */
        @SuppressWarnings("unchecked")
        void applyRaw(byte[] key, byte[] value) {
            K k = (K) codec.decode(key);
            if (value == null) {
                map.remove(k);
            } else {
                map.put(k, value);
            }
        }

        /** Checkpointer: a journaled write into MapDB. */
        @SuppressWarnings("unchecked")
        void apply(Op op) {
            K k = (K) op.key;
            if (op.pending.bytes == null) {
                map.remove(k);
            } else {
                map.put(k, op.pending.bytes);
            }
        }

        /** Checkpointer, after the commit: the overlay entry is redundant unless a newer write replaced it. */
        @SuppressWarnings("unchecked")
        void settle(Op op) {
            overlay.remove((K) op.key, op.pending);
        }

        long lastKey() {
            long last = 0;
            if (map instanceof NavigableMap<K, byte[]> nav && !nav.isEmpty()) {
                last = (Long) nav.lastKey();
            }
            for (K k : overlay.keySet()) {
                last = Math.max(last, (Long) k);
            }
            return last;
        }

        /**
         * Every key, lazily: a snapshot of the overlay's keys is taken first, then MapDB's are read as the caller
         * iterates (merged in key order for B-tree tables). A write the checkpointer moves from the overlay to MapDB
         * meanwhile is in the snapshot or already in MapDB, so nothing is missed.
         */
        @SuppressWarnings("unchecked")
        private Iterable<K> keys(boolean descending) {
            if (map instanceof NavigableMap<K, byte[]> nav) {
                TreeSet<K> pending = new TreeSet<>(overlay.keySet());
                Iterable<K> stored = descending ? nav.descendingKeySet() : nav.keySet();
                Comparator<K> order = descending ? (Comparator<K>) Comparator.reverseOrder()
                        : (Comparator<K>) Comparator.naturalOrder();
                return () -> new MergedKeys<>(descending ? pending.descendingIterator() : pending.iterator(),
                        stored.iterator(), order);
            }
            Set<K> pending = new LinkedHashSet<>(overlay.keySet());
            return () -> java.util.stream.Stream.concat(pending.stream(),
                    map.keySet().stream().filter(k -> !pending.contains(k))).iterator();
        }

        @Override
        public int size() {
            int n = 0;
            for (K k : keys(false)) {
                if (current(k) != null) {
                    n++;
                }
            }
            return n;
        }

        /** The newest bytes of a key: the overlay's, else MapDB's; null when absent or removed. */
        private byte[] current(K key) {
            Pending p = overlay.get(key);
            return p != null ? p.bytes : map.get(key);
        }

        @Override
        public int removeIf(Predicate<V> filter) {
            store.checkWriter();
            List<K> doomed = new ArrayList<>();
            for (K k : keys(false)) {
                byte[] b = current(k);
                if (b != null && filter.test(Json.read(b, type))) {
                    doomed.add(k);
                }
            }
            doomed.forEach(this::remove);
            return doomed.size();
        }

        /**
         * {@inheritDoc} The overlay's keys are taken before MapDB's: a write the checkpointer moves from one to the
         * other meanwhile is in MapDB by the time MapDB is read, so nothing is missed.
         */
        @Override
        public List<V> scan(Predicate<V> filter, boolean descending, int offset, int limit) {
            List<V> out = new ArrayList<>(Math.min(limit, 256));
            int skipped = 0;
            for (K k : keys(descending)) {
                byte[] b = current(k);
                if (b == null) {
                    continue;
                }
                V v = Json.read(b, type);
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

    /** Two sorted key iterators merged into one, without duplicates. */
    private static final class MergedKeys<K> implements Iterator<K> {
        private final Iterator<K> a;
        private final Iterator<K> b;
        private final Comparator<K> order;
        private K nextA;
        private K nextB;

        MergedKeys(Iterator<K> a, Iterator<K> b, Comparator<K> order) {
            this.a = a;
            this.b = b;
            this.order = order;
            this.nextA = a.hasNext() ? a.next() : null;
            this.nextB = b.hasNext() ? b.next() : null;
        }

        @Override
        public boolean hasNext() {
            return nextA != null || nextB != null;
        }

        @Override
        public K next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            K out;
            if (nextB == null || (nextA != null && order.compare(nextA, nextB) <= 0)) {
                out = nextA;
                if (nextB != null && order.compare(nextA, nextB) == 0) {
                    nextB = b.hasNext() ? b.next() : null;
                }
                nextA = a.hasNext() ? a.next() : null;
            } else {
                out = nextB;
                nextB = b.hasNext() ? b.next() : null;
            }
            return out;
        }
    }
}
