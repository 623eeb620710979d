package cn.budayang.bot.http;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Where the admin API's queries run, apart from the webhook's work and from each other, so that a slow one never
 * holds up a quick one: {@code lookups} one ticket by number (a few reads), {@code lists} ticket lists (a scan of
 * the tickets until the page is full), {@code stats} the statistics (a scan of every ticket).
 */
public record AdminExecutors(Executor lookups, Executor lists, Executor stats) {

    public AdminExecutors {
        Objects.requireNonNull(lookups, "lookups");
        Objects.requireNonNull(lists, "lists");
        Objects.requireNonNull(stats, "stats");
    }

    /** Every admin query on one executor. */
    public static AdminExecutors all(Executor executor) {
        return new AdminExecutors(executor, executor, executor);
    }
}
