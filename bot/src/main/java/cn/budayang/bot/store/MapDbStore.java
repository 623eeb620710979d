package cn.budayang.bot.store;

import cn.budayang.bot.Json;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The {@link Store} on one MapDB file ({@code budayang.db} in the data directory), memory-mapped, with transactions.
 *
 * <p>One writer thread owns every write. It takes all calls waiting in its queue (up to {@value #MAX_BATCH}), runs
 * them one after another, commits once, and only then completes their futures: a message is durable before the
 * webhook answers WeChat, and a commit serves a whole batch (MapDB's commit costs milliseconds whatever its size).
 * Values are stored as JSON bytes with an explicit serializer, never MapDB's default Java serialization.
 */
public final class MapDbStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(MapDbStore.class);
    static final int MAX_BATCH = 512;
    public static final String FILE_NAME = "budayang.db";

    private final DB db;
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
    private final List<MapTable<?, ?>> tables;
    private volatile boolean closed;

    private record Job<R>(Function<Store, R> work, CompletableFuture<R> future) {
    }

    private MapDbStore(DB db) {
        this.db = db;
        // values (JSON of a few KB) outside the B-tree nodes: otherwise every put rewrites a whole leaf of values
        this.ticketMap = db.treeMap("tickets", Serializer.LONG, Serializer.BYTE_ARRAY).valuesOutsideNodesEnable()
                .createOrOpen();
        this.outboxMap = db.treeMap("outbox", Serializer.LONG, Serializer.BYTE_ARRAY).valuesOutsideNodesEnable()
                .createOrOpen();
        this.tickets = new MapTable<>(this, ticketMap, Ticket.class);
        this.conversations = new MapTable<>(this, db.hashMap("conversations", Serializer.STRING,
                Serializer.BYTE_ARRAY).createOrOpen(), Conversation.class);
        this.processed = new MapTable<>(this, db.hashMap("processed", Serializer.STRING, Serializer.BYTE_ARRAY)
                .createOrOpen(), Processed.class);
        this.outbox = new MapTable<>(this, outboxMap, OutboxEntry.class);
        this.bindings = new MapTable<>(this, db.hashMap("deputyBindings", Serializer.STRING, Serializer.BYTE_ARRAY)
                .createOrOpen(), String.class);
        this.ticketDeliveries = new MapTable<>(this, db.treeMap("ticketDeliveries", Serializer.LONG,
                Serializer.BYTE_ARRAY).valuesOutsideNodesEnable().createOrOpen(), long[].class);
        this.tables = List.of(tickets, conversations, processed, outbox, bindings, ticketDeliveries);
        db.commit();
        this.writer = new Thread(this::run, "store-writer");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /**
     * Opens (or creates) the store in {@code dataDir}.
     *
     * @throws UncheckedIOException when the directory cannot be created or the file cannot be opened, with the path
     */
    public static MapDbStore open(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir.toAbsolutePath()
                    + ": check BOT_DATA_DIR and its permissions", e);
        }
        Path file = dataDir.resolve(FILE_NAME);
        try {
            DB db = DBMaker.fileDB(file.toFile())
                    .fileMmapEnable()
                    .fileMmapPreclearDisable()
                    .cleanerHackEnable()
                    .transactionEnable()
                    .make();
            return new MapDbStore(db);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot open store " + file.toAbsolutePath() + ": " + e.getMessage()
                    + " (is another Budayang server using this BOT_DATA_DIR?)", e);
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
        queue.add(new Job<>(work, f));
        return f;
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
                try {
                    results.add(job.work.apply(this));
                } catch (RuntimeException | Error e) {
                    results.add(new Failure(e));
                }
            }
            Throwable commitError = null;
            long tB = System.nanoTime();
            try {
                db.commit();
                if (log.isDebugEnabled()) {
                    log.debug("event=store_commit batch={} apply_us={} commit_us={}", batch.size(),
                            (tB - tA) / 1000, (System.nanoTime() - tB) / 1000);
                }
            } catch (RuntimeException | Error e) {
                commitError = e;
                log.error("event=store_commit_failed batch={} error=\"{}\" action=\"messages in this batch were not "
                        + "acknowledged; WeChat will retry them; check disk space and BOT_DATA_DIR\"",
                        batch.size(), e.toString());
                try {
                    db.rollback();
                } catch (RuntimeException ignored) {
                    // the store stays as it was at the last good commit
                }
                tables.forEach(MapTable::forget);
            }
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

    /** Finishes every queued write, commits, and closes the file. */
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
        db.close();
    }

    /**
     * A MapDB map of JSON values with a cache of decoded values in front: the writer thread is the only writer, so
     * the cache is written through and never stale; after a failed commit it is dropped.
     */
    private static final class MapTable<K, V> implements Table<K, V> {
        static final int CACHED = 20_000;
        private final MapDbStore store;
        private final Map<K, byte[]> map;
        private final Class<V> type;
        private final Cache<K, V> cache = Caffeine.newBuilder().maximumSize(CACHED).build();

        MapTable(MapDbStore store, Map<K, byte[]> map, Class<V> type) {
            this.store = store;
            this.map = map;
            this.type = type;
        }

        @Override
        public Optional<V> get(K key) {
            V cached = cache.getIfPresent(key);
            if (cached != null) {
                return Optional.of(cached);
            }
            byte[] b = map.get(key);
            if (b == null) {
                return Optional.empty();
            }
            V v = Json.read(b, type);
            cache.put(key, v);
            return Optional.of(v);
        }

        @Override
        public void put(K key, V value) {
            store.checkWriter();
            map.put(key, Json.bytes(value));
            cache.put(key, value);
        }

        @Override
        public void remove(K key) {
            store.checkWriter();
            map.remove(key);
            cache.invalidate(key);
        }

        void forget() {
            cache.invalidateAll();
        }

        @Override
        public int size() {
            return map.size();
        }

        @Override
        public int removeIf(Predicate<V> filter) {
            store.checkWriter();
            List<K> doomed = new ArrayList<>();
            for (Map.Entry<K, byte[]> e : map.entrySet()) {
                if (filter.test(Json.read(e.getValue(), type))) {
                    doomed.add(e.getKey());
                }
            }
            for (K k : doomed) {
                map.remove(k);
                cache.invalidate(k);
            }
            return doomed.size();
        }

        @Override
        public List<V> scan(Predicate<V> filter, boolean descending, int offset, int limit) {
            Iterable<byte[]> values = map instanceof NavigableMap<K, byte[]> nav && descending
                    ? nav.descendingMap().values() : map.values();
            List<V> out = new ArrayList<>(Math.min(limit, 256));
            int skipped = 0;
            for (byte[] b : values) {
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
}
