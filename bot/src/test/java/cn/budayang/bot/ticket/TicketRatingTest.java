package cn.budayang.bot.ticket;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which rating of a ticket the statistics count. */
class TicketRatingTest {

    static final Instant T0 = Instant.parse("2026-11-26T02:00:00Z");

    static Ticket answered() {
        return Ticket.admitted("1001", "oCitizen", "下水道堵了", new Ticket.TicketMessage(T0, "text", "下水道堵了",
                        null, null), null, null, T0)
                .assigned("pro-urban", T0.plus(Duration.ofHours(24)), "system", "交办", T0)
                .answered(new Ticket.Answer(T0.plusSeconds(60), "d1", "余宏超", "已安排疏通"));
    }

    @Test
    void aReopenedTicketCountsByTheRatingThatReopenedItThroughReassignmentUntilReRated() {
        Instant at = T0.plusSeconds(120);
        Ticket.Rating unsolved = new Ticket.Rating(at, false, 2);
        Ticket reopened = answered().reopenedBy(unsolved, at.plus(Duration.ofHours(24)), "基本满意，未解决，重新督办");
        assertNull(reopened.rating(), "the next answer is rated anew");
        assertEquals(unsolved, reopened.countedRating());
        assertFalse(reopened.countedRating().solved());
        assertTrue(reopened.countedRating().satisfied(), "基本满意 with the problem unsolved is still 基本满意");

        Ticket reassigned = reopened.assigned("pro-finance", at.plus(Duration.ofHours(30)), "余宏超", "改派", at);
        assertNull(reassigned.reopened());
        assertEquals(unsolved, reassigned.countedRating(), "a reassignment does not forget it");

        Ticket reRated = reassigned.answered(new Ticket.Answer(at.plusSeconds(60), "d2", "熊若敏", "已修好"))
                .rated(new Ticket.Rating(at.plusSeconds(90), true, 1), TicketStatus.RATED, "满意，已解决");
        assertTrue(reRated.countedRating().solved());
        assertEquals(1, reRated.countedRating().satisfaction());
    }

    @Test
    void aTicketStoredReopenedBeforeTheLatestRatingWasKeptCountsAsNotSolvedNotSatisfied() {
        Ticket stored = answered().reopenedBy(new Ticket.Rating(T0.plusSeconds(120), false, 1),
                T0.plus(Duration.ofHours(30)), "满意，未解决，重新督办");
        // as read from a store written before: no latestRating
        Ticket legacy = new Ticket(stored.id(), stored.status(), stored.openId(), stored.question(),
                stored.groupId(), stored.stationId(), stored.areaGroupId(), stored.createdAt(), stored.assignedAt(),
                stored.deadlineAt(), stored.firstAnsweredAt(), stored.reminded(), stored.overdue(),
                stored.claimedBy(), stored.forwardedTo(), stored.declined(), stored.messages(), stored.answers(),
                null, stored.reopened(), null, stored.history(), List.of());
        assertFalse(legacy.countedRating().solved());
        assertFalse(legacy.countedRating().satisfied());
        assertNull(answered().countedRating(), "never rated: not counted");
    }
}
