package cn.budayang.bot.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import cn.budayang.bot.outbox.OutboxEntry;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.bot.ticket.TicketStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.DB;
import org.mapdb.DBMaker;

/**
 * The store keeps the numbers of the open tickets with every ticket write, so that reading them (what the lifecycle
 * clock does at every start) costs the open tickets, not every ticket ever stored.
 */
class MapDbStoreIndexTest {

    private static final Instant T0 = Instant.parse("2026-03-01T02:00:00Z");

    @TempDir
    Path live;
    @TempDir
    Path crashed;

    private static Ticket admitted(long id) {
        Instant at = T0.plusSeconds(id);
        return Ticket.admitted(String.valueOf(id), "oCitizen" + id, "路灯坏了 " + id,
                new Ticket.TicketMessage(at, "text", "路灯坏了 " + id, null, null), null, null, at);
    }

    private static Ticket assigned(long id) {
        return admitted(id).assigned("pro-urban", T0.plus(Duration.ofDays(1)), "system", "交办", T0);
    }

    private static Ticket rated(long id) {
        return assigned(id).answered(new Ticket.Answer(T0.plusSeconds(3600), "d1", "余宏超", "明天上午修好"))
                .rated(new Ticket.Rating(T0.plusSeconds(7200), true, 1), TicketStatus.RATED, "满意");
    }

    private static List<Long> ids(List<Ticket> tickets) {
        return tickets.stream().map(t -> Long.parseLong(t.id())).toList();
    }

    @Test
    void openTicketsFollowEveryWriteOfATicket() {
        try (MapDbStore store = MapDbStore.open(live)) {
            store.write(s -> {
                for (long id = 1001; id <= 1006; id++) {
                    s.tickets().put(id, id % 2 == 0 ? assigned(id) : admitted(id));
                }
                return null;
            }).join();
            assertEquals(List.of(1001L, 1002L, 1003L, 1004L, 1005L, 1006L), ids(store.openTickets()));

            store.write(s -> {
                s.tickets().put(1002L, rated(1002));
                s.tickets().remove(1005L);
                s.tickets().put(1007L, rated(1007));
                return null;
            }).join();
            assertEquals(List.of(1001L, 1003L, 1004L, 1006L), ids(store.openTickets()));
            assertEquals(TicketStatus.ASSIGNED, store.openTickets().get(2).status(), "the newest value is read");

            store.write(s -> s.tickets().removeIf(t -> t.id().equals("1004"))).join();
            assertEquals(List.of(1001L, 1003L, 1006L), ids(store.openTickets()));
        }
        try (MapDbStore store = MapDbStore.open(live)) {
            assertEquals(List.of(1001L, 1003L, 1006L), ids(store.openTickets()), "kept across a clean close");
        }
    }

    private static OutboxEntry entry(long id, OutboxEntry.State state) {
        OutboxEntry e = OutboxEntry.text(id, "oDeputy" + id, "路灯坏了", "1001", "deputy", "forward", T0);
        return state == OutboxEntry.State.PENDING ? e : e.with(state, 1, T0, 45015, "out of the window", T0);
    }

    private static List<Long> entryIds(List<OutboxEntry> entries) {
        return entries.stream().map(OutboxEntry::id).toList();
    }

    @Test
    void unfinishedOutboxEntriesFollowEveryWriteOfAnEntry() {
        try (MapDbStore store = MapDbStore.open(live)) {
            store.write(s -> {
                s.outbox().put(1L, entry(1, OutboxEntry.State.PENDING));
                s.outbox().put(2L, entry(2, OutboxEntry.State.WAITING));
                s.outbox().put(3L, entry(3, OutboxEntry.State.SENT));
                s.outbox().put(4L, entry(4, OutboxEntry.State.PARKED));
                s.outbox().put(5L, entry(5, OutboxEntry.State.FAILED));
                return null;
            }).join();
            assertEquals(List.of(1L, 2L, 4L), entryIds(store.unfinishedOutbox()));
            store.write(s -> {
                s.outbox().put(1L, entry(1, OutboxEntry.State.SENT));
                s.outbox().put(3L, entry(3, OutboxEntry.State.PENDING));
                return null;
            }).join();
            assertEquals(List.of(2L, 3L, 4L), entryIds(store.unfinishedOutbox()));
        }
        forgetIndex(live.resolve(MapDbStore.FILE_NAME), "unfinishedOutbox");
        forgetIndex(live.resolve(MapDbStore.SNAPSHOT_NAME), "unfinishedOutbox");
        try (MapDbStore store = MapDbStore.open(live)) {
            assertEquals(List.of(2L, 3L, 4L), entryIds(store.unfinishedOutbox()), "built at open for a file without it");
        }
    }

    @Test
    void aJobThatFailsLeavesTheIndexAsItWas() {
        try (MapDbStore store = MapDbStore.open(live)) {
            store.write(s -> {
                s.tickets().put(1001L, assigned(1001));
                return null;
            }).join();
            store.write(s -> {
                s.tickets().put(1001L, rated(1001));
                s.tickets().put(1002L, assigned(1002));
                throw new IllegalStateException("the job fails after its writes");
            }).exceptionally(e -> null).join();
            assertEquals(List.of(1001L), ids(store.openTickets()));
            assertEquals(TicketStatus.ASSIGNED, store.openTickets().get(0).status());
        }
    }

    @Test
    void afterACrashTheIndexIsReplayedWithTheTickets() throws IOException {
        try (MapDbStore store = MapDbStore.open(live)) {
            store.write(s -> {
                for (long id = 1001; id <= 1004; id++) {
                    s.tickets().put(id, assigned(id));
                }
                return null;
            }).join();
            store.write(s -> {
                s.tickets().put(1003L, rated(1003));
                return null;
            }).join();
            copyStore(live, crashed);
        }
        // the copy's MapDB file is lost, as a torn file is not trusted: rebuilt from the snapshot and the journal
        Files.delete(crashed.resolve(MapDbStore.FILE_NAME));
        try (MapDbStore store = MapDbStore.open(crashed)) {
            assertEquals(List.of(1001L, 1002L, 1004L), ids(store.openTickets()));
        }
    }

    @Test
    void aStoreWrittenBeforeTheIndexGetsItBuiltAtOpen() {
        try (MapDbStore store = MapDbStore.open(live)) {
            store.write(s -> {
                for (long id = 1001; id <= 1005; id++) {
                    s.tickets().put(id, id == 1002 || id == 1004 ? rated(id) : assigned(id));
                }
                return null;
            }).join();
        }
        // the file as the store wrote it before it kept the index: no such collection in MapDB's catalogue
        forgetIndex(live.resolve(MapDbStore.FILE_NAME), "openTickets");
        forgetIndex(live.resolve(MapDbStore.SNAPSHOT_NAME), "openTickets");
        try (MapDbStore store = MapDbStore.open(live)) {
            assertEquals(List.of(1001L, 1003L, 1005L), ids(store.openTickets()));
            store.write(s -> {
                s.tickets().put(1001L, rated(1001));
                return null;
            }).join();
        }
        try (MapDbStore store = MapDbStore.open(live)) {
            assertEquals(List.of(1003L, 1005L), ids(store.openTickets()), "then kept like any table");
        }
    }

    private static void forgetIndex(Path file, String name) {
        DB db = DBMaker.fileDB(file.toFile()).fileMmapEnable().fileSyncDisable().make();
        try {
            SortedMap<String, String> catalog = db.nameCatalogLoad();
            catalog.keySet().removeIf(k -> k.startsWith(name + "#"));
            db.nameCatalogSave(catalog);
            db.commit();
        } finally {
            db.close();
        }
    }

    private static void copyStore(Path from, Path to) throws IOException {
        for (String name : new String[] {MapDbStore.PREVIOUS_JOURNAL_NAME, MapDbStore.SNAPSHOT_NAME,
                MapDbStore.JOURNAL_NAME, MapDbStore.FILE_NAME}) {
            if (Files.exists(from.resolve(name))) {
                Files.copy(from.resolve(name), to.resolve(name));
            }
        }
    }
}
