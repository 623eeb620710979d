package cn.budayang.bot.store;

import cn.budayang.bot.outbox.OutboxEntry;
import cn.budayang.bot.reception.Conversation;
import cn.budayang.bot.reception.Processed;
import cn.budayang.bot.ticket.Ticket;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Everything the bot keeps, behind one narrow interface.
 *
 * <p>All writes go through {@link #write}: the work runs on the store's single writer thread, writes of many calls
 * are committed together (group commit), and the returned future completes only after the commit that holds this
 * call's writes. A call that throws has its future fail; callers compute first and write last so a failing call
 * leaves nothing half-written.
 */
public interface Store extends AutoCloseable {

    /** Tickets by number, ascending. */
    Table<Long, Ticket> tickets();

    /**
     * The open tickets ({@link cn.budayang.bot.ticket.TicketStatus#open()}: admitted, assigned, answered, escalated),
     * by number ascending, read without going through the closed ones.
     */
    List<Ticket> openTickets();

    /**
     * The outbox entries not yet sent nor failed for good ({@link OutboxEntry#unfinished()}: pending, waiting or
     * parked), by id ascending, read without going through the finished ones.
     */
    List<OutboxEntry> unfinishedOutbox();

    /** Per-openid conversation state (constituents and deputies alike). */
    Table<String, Conversation> conversations();

    /** De-duplication records of handled inbound messages, by {@code WeChatMessage#dedupKey()}. */
    Table<String, Processed> processed();

    /** Outbound messages, by id ascending. */
    Table<Long, OutboxEntry> outbox();

    /** Ticket number → ids of the outbox entries about it, oldest first (the ticket's deliveries). */
    Table<Long, long[]> ticketDeliveries();

    /** Deputy id → the openid the deputy bound with {@code 绑定}. */
    Table<String, String> deputyBindings();

    /** Next value of a named durable sequence; only inside {@link #write}. */
    long next(String sequence);

    /**
     * Runs {@code action} on the writer thread once the writes of the current call are committed, before its future
     * completes; never when the call fails (its writes undone) or its batch is not committed. Only inside
     * {@link #write}: for state kept beside the store (counters, caches) that must match what was committed.
     */
    void afterCommit(Runnable action);

    /** Runs {@code work} on the writer thread; completes after its writes are committed. */
    <R> CompletableFuture<R> write(Function<Store, R> work);

    @Override
    void close();
}
