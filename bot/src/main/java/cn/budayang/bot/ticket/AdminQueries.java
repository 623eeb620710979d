package cn.budayang.bot.ticket;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Read-only queries of the admin API. Calls may touch the store: callers run them on an application executor,
 * never on an event loop. Results are plain records and maps that Jackson serializes as they are.
 */
public interface AdminQueries {

    /** Tickets matching the query, newest first, paged. */
    List<Ticket> tickets(TicketQuery query);

    /** One ticket with its whole history. */
    Optional<Ticket> ticket(String id);

    /** Counts by status, group and station, median time to first answer, and the three rates. */
    Map<String, Object> stats();
}
