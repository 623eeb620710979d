package cn.budayang.bot.ticket;

import cn.budayang.bot.outbox.Outbox;
import cn.budayang.bot.store.Store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The admin API's reads over the store: ticket lists, one ticket, and the statistics the congress reports on —
 * 响应率 (answered within the deadline), 解决率 (rated solved) and 满意率 (rated 满意 or 基本满意), overall and per
 * group and station. A ticket counts by its latest rating ({@link Ticket#countedRating()}): one reopened by a rating
 * of 未解决 is rated and not solved (and satisfied only if that rating said 满意 or 基本满意) until its next answer
 * is rated.
 */
public final class TicketAdmin implements AdminQueries {

    /** Statistics that took at least this long to compute are reused for a while; cheaper ones never are. */
    static final Duration REUSE_FROM = Duration.ofMillis(200);
    /** How long computed statistics are reused: ten times what they took, at most this long. */
    static final Duration MAX_REUSE = Duration.ofSeconds(60);

    private final Store store;
    private final Clock clock;
    /** The last statistics computed, reused while fresh; guarded by {@code this}. */
    private Computed last;

    private record Computed(Map<String, Object> stats, long startedNanos, long tookNanos) {
        boolean fresh(long nowNanos) {
            return tookNanos >= REUSE_FROM.toNanos()
                    && nowNanos - startedNanos < Math.min(MAX_REUSE.toNanos(), 10 * tookNanos);
        }
    }

    public TicketAdmin(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * Filters on each ticket's {@link TicketFigures} (cheap to read), then reads the page's tickets whole. A ticket
     * changed between the two reads is shown as it is now.
     */
    @Override
    public List<Ticket> tickets(TicketQuery query) {
        return store.tickets().scanAs(TicketFigures.class, query::matches, true, query.offset(), query.limit())
                .stream().map(f -> store.tickets().get(Long.parseLong(f.id())))
                .flatMap(Optional::stream).map(this::withDeliveries).toList();
    }

    @Override
    public Optional<Ticket> ticket(String id) {
        try {
            return store.tickets().get(Long.parseLong(id.startsWith("#") ? id.substring(1) : id))
                    .map(this::withDeliveries);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Joins the ticket's outbound messages, as they stand now, from the outbox. */
    private Ticket withDeliveries(Ticket t) {
        return t.withDeliveries(Outbox.deliveries(store, Long.parseLong(t.id())));
    }

    /**
     * The statistics, with {@code computedAt}. They read every ticket, so those of a large store (seconds) are reused
     * for ten times what they took, at most {@link #MAX_REUSE}: a request meanwhile gets them at once. Computed one
     * at a time: a caller that arrives while they are computed waits for that result.
     */
    @Override
    public synchronized Map<String, Object> stats() {
        long started = System.nanoTime();
        if (last != null && last.fresh(started)) {
            return last.stats();
        }
        Map<String, Object> stats = compute();
        last = new Computed(stats, started, System.nanoTime() - started);
        return stats;
    }

    private Map<String, Object> compute() {
        Instant now = clock.instant();
        Rates all = new Rates();
        Map<String, Long> byStatus = new TreeMap<>();
        for (TicketStatus s : TicketStatus.values()) {
            byStatus.put(s.wireName(), 0L);
        }
        Map<String, Rates> byGroup = new TreeMap<>();
        Map<String, Rates> byStation = new TreeMap<>();
        List<Long> firstAnswerSeconds = new ArrayList<>();
        long overdue = 0;
        for (TicketFigures t : store.tickets().scanAs(TicketFigures.class, t -> true, false, 0,
                Integer.MAX_VALUE)) {
            byStatus.merge(t.status().wireName(), 1L, Long::sum);
            all.add(t, now);
            if (t.groupId() != null) {
                byGroup.computeIfAbsent(t.groupId(), k -> new Rates()).add(t, now);
            }
            byStation.computeIfAbsent(t.stationId() == null ? "none" : t.stationId(), k -> new Rates()).add(t, now);
            // a reassignment clears the first answer; tickets stored before it did can hold an earlier one
            if (t.firstAnsweredAt() != null && t.assignedAt() != null && !t.firstAnsweredAt().isBefore(t.assignedAt())) {
                firstAnswerSeconds.add(Duration.between(t.assignedAt(), t.firstAnsweredAt()).toSeconds());
            }
            if (t.overdue()) {
                overdue++;
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("computedAt", now);
        out.put("total", all.total);
        out.put("byStatus", byStatus);
        out.put("overdue", overdue);
        out.put("medianFirstAnswerSeconds", median(firstAnswerSeconds));
        out.putAll(all.view());
        Map<String, Object> groups = new LinkedHashMap<>();
        byGroup.forEach((k, v) -> groups.put(k, v.view()));
        out.put("byGroup", groups);
        Map<String, Object> stations = new LinkedHashMap<>();
        byStation.forEach((k, v) -> stations.put(k, v.view()));
        out.put("byStation", stations);
        return out;
    }

    static Long median(List<Long> values) {
        if (values.isEmpty()) {
            return null;
        }
        Collections.sort(values);
        int n = values.size();
        return n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
    }

    /** Counters behind the three rates for one slice of tickets. */
    static final class Rates {
        long total;
        /** tickets whose first answer is due by now, or was given */
        long due;
        long answeredInTime;
        long rated;
        long solved;
        long satisfied;

        void add(TicketFigures t, Instant now) {
            total++;
            if (t.deadlineAt() != null && (t.firstAnsweredAt() != null || !now.isBefore(t.deadlineAt()))) {
                due++;
                if (t.firstAnsweredAt() != null && !t.firstAnsweredAt().isAfter(t.deadlineAt())) {
                    answeredInTime++;
                }
            }
            // by the latest rating: a ticket reopened by 未解决 counts as rated and not solved until re-rated
            Ticket.Rating r = t.countedRating();
            if (r != null) {
                rated++;
                if (r.solved()) {
                    solved++;
                }
                if (r.satisfied()) {
                    satisfied++;
                }
            }
        }

        Map<String, Object> view() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tickets", total);
            m.put("响应率", rate(answeredInTime, due));
            m.put("解决率", rate(solved, rated));
            m.put("满意率", rate(satisfied, rated));
            m.put("answeredInTime", answeredInTime);
            m.put("dueForAnswer", due);
            m.put("rated", rated);
            return m;
        }

        private static Double rate(long part, long whole) {
            return whole == 0 ? null : Math.round(1000.0 * part / whole) / 1000.0;
        }
    }
}
