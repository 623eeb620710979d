package cn.budayang.bot.store;

import java.util.Optional;
import java.util.function.Predicate;
import java.util.List;

/**
 * One typed table of the store. Reads are safe from any thread and see the newest written value; writes are only
 * allowed inside {@link Store#write} (on the store's writer thread) and become durable with that batch's commit.
 */
public interface Table<K, V> {

    Optional<V> get(K key);

    void put(K key, V value);

    void remove(K key);

    int size();

    /** Removes every entry whose value matches; only inside {@link Store#write}. Returns how many. */
    int removeIf(Predicate<V> filter);

    /**
     * Values in key order ({@code descending} for newest first where keys grow), skipping {@code offset} matches and
     * returning at most {@code limit}.
     */
    List<V> scan(Predicate<V> filter, boolean descending, int offset, int limit);

    /**
     * Like {@link #scan}, but reads each stored value as {@code view}: a record of some of the value's fields, which
     * is much cheaper to read than the whole value when the value is large (a ticket's messages and history). Reads
     * the stored values, not the cache of whole values.
     */
    <T> List<T> scanAs(Class<T> view, Predicate<T> filter, boolean descending, int offset, int limit);
}
