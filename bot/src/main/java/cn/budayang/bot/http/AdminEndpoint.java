package cn.budayang.bot.http;

import cn.budayang.bot.ticket.AdminQueries;
import cn.budayang.bot.ticket.TicketQuery;
import cn.budayang.bot.ticket.TicketStatus;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code /api/*}: read-only ticket queries for administrators.
 *
 * <p>{@link #authorize} guards every {@code /api} path: {@code Authorization: Bearer <token>} compared in constant
 * time (over SHA-256 digests, so not even the length leaks); missing or wrong: 401 with {@code WWW-Authenticate};
 * no token configured: 401 for everything. Queries run on the admin executors: a lookup of one ticket never waits
 * behind a list or the statistics.
 * <ul>
 *   <li>{@code GET /api/tickets?status=&group=&station=&openId=&limit=&offset=} — JSON array, newest first;
 *       empty parameters count as absent; {@code limit} 1..5000 (default 100), {@code offset} ≥ 0, {@code status}
 *       one of the wire names; {@code groupId} and {@code stationId} are other names of {@code group} and
 *       {@code station}; a bad value, an unknown parameter or one given twice is a 400 naming the parameter.</li>
 *   <li>{@code GET /api/tickets/{id}} — the ticket, or 404.</li>
 *   <li>{@code GET /api/stats} — the statistics map.</li>
 * </ul>
 */
final class AdminEndpoint {

    private static final String TICKETS = "/api/tickets";
    private static final String STATS = "/api/stats";
    private static final String BEARER = "Bearer ";

    private final AdminQueries queries;
    private final byte[] tokenDigest;
    private final AdminExecutors executors;

    /**
     * @param adminToken the bearer token, or null to refuse every request
     * @param executors  where lookups, lists and statistics run (each apart from the others)
     */
    AdminEndpoint(AdminQueries queries, String adminToken, AdminExecutors executors) {
        this.queries = Objects.requireNonNull(queries, "queries");
        this.tokenDigest = adminToken == null || adminToken.isEmpty() ? null : sha256(adminToken);
        this.executors = Objects.requireNonNull(executors, "executors");
    }

    /** Route guard: returns when the request carries the admin token, else throws a 401. */
    void authorize(Request request) {
        if (tokenDigest == null) {
            throw HttpError.unauthorized("the admin API is disabled: BOT_ADMIN_TOKEN is not set");
        }
        String header = request.header(HttpHeaderNames.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw HttpError.unauthorized("missing bearer token");
        }
        byte[] given = sha256(header.substring(BEARER.length()).trim());
        if (!MessageDigest.isEqual(tokenDigest, given)) {
            throw HttpError.unauthorized("wrong bearer token");
        }
    }

    /** GET on any {@code /api} path (already authorized). */
    CompletableFuture<Response> get(Request request, EventExecutor loop) {
        String path = request.path();
        if (path.equals(TICKETS)) {
            TicketQuery query = ticketQuery(request);
            return async(executors.lists(), () -> Response.json(HttpResponseStatus.OK, queries.tickets(query)));
        }
        if (path.equals(STATS)) {
            checkParameters(request, List.of());
            return async(executors.stats(), () -> Response.json(HttpResponseStatus.OK, queries.stats()));
        }
        if (path.startsWith(TICKETS + "/")) {
            String id = path.substring(TICKETS.length() + 1);
            if (!id.isEmpty() && id.indexOf('/') < 0) {
                checkParameters(request, List.of());
                return async(executors.lookups(), () -> queries.ticket(id)
                        .map(t -> Response.json(HttpResponseStatus.OK, t))
                        .orElseThrow(() -> HttpError.notFound("no ticket " + HttpDispatcher.abbreviate(id))));
            }
        }
        throw HttpError.notFound("no such path: " + HttpDispatcher.abbreviate(path));
    }

    private static CompletableFuture<Response> async(Executor executor, Supplier<Response> work) {
        return CompletableFuture.supplyAsync(work, executor);
    }

    /** The parameters of {@code /api/tickets}; {@code groupId} and {@code stationId}, as a ticket names them, too. */
    static final List<String> TICKET_PARAMETERS = List.of("status", "group", "station", "openId", "limit", "offset",
            "groupId", "stationId");

    /**
     * Refuses (400 bad_parameter, naming it) a parameter the path does not take, or one given twice (also as
     * {@code group} and {@code groupId}): ignored, it would return what was not asked for.
     */
    static void checkParameters(Request r, List<String> accepted) {
        String accepts = accepted.isEmpty() ? HttpDispatcher.abbreviate(r.path()) + " takes no parameters"
                : "accepted parameters: " + String.join(", ", accepted);
        for (String name : r.query().keySet()) {
            if (!accepted.contains(name)) {
                throw HttpError.badParameter(name, "unknown parameter " + HttpDispatcher.abbreviate(name) + "; "
                        + accepts);
            }
        }
        for (String name : r.repeated()) {
            throw HttpError.badParameter(name, name + " is given more than once; give it once (one value); "
                    + accepts);
        }
        for (String[] alias : new String[][] {{"group", "groupId"}, {"station", "stationId"}}) {
            if (r.query().containsKey(alias[0]) && r.query().containsKey(alias[1])) {
                throw HttpError.badParameter(alias[1], alias[1] + " is another name of " + alias[0]
                        + ": give one of them; " + accepts);
            }
        }
    }

    static TicketQuery ticketQuery(Request r) {
        checkParameters(r, TICKET_PARAMETERS);
        TicketStatus status = null;
        String s = r.param("status");
        if (s != null) {
            status = TicketStatus.parse(s).orElseThrow(() -> HttpError.badParameter("status",
                    "status must be one of " + Arrays.stream(TicketStatus.values()).map(TicketStatus::wireName)
                            .collect(Collectors.joining(", "))));
        }
        int limit = intParam(r, "limit", TicketQuery.DEFAULT_LIMIT, 1, TicketQuery.MAX_LIMIT);
        int offset = intParam(r, "offset", 0, 0, Integer.MAX_VALUE);
        String group = r.param("group") != null ? r.param("group") : r.param("groupId");
        String station = r.param("station") != null ? r.param("station") : r.param("stationId");
        return new TicketQuery(status, group, station, r.param("openId"), limit, offset);
    }

    private static int intParam(Request r, String name, int dflt, int min, int max) {
        String v = r.param(name);
        if (v == null) {
            return dflt;
        }
        String range = max == Integer.MAX_VALUE ? "an integer >= " + min : "an integer from " + min + " to " + max;
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw HttpError.badParameter(name, name + " must be " + range);
        }
        if (n < min || n > max) {
            throw HttpError.badParameter(name, name + " must be " + range + ", was " + n);
        }
        return n;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
