package cn.budayang.bot.reception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConversationTest {

    @Test
    void aDeputyRemembersTheNewestForwardedTicketsOnceEach() {
        Conversation c = Conversation.fresh("deputy");
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= Conversation.MAX_FORWARDED + 5; i++) {
            c = c.withForwarded("T" + i, true);
            expected.add("T" + i);
        }
        List<String> newest = expected.subList(5, expected.size());
        assertEquals(newest, c.forwarded(), "the five oldest fell off the front");

        assertSame(c, c.withForwarded("T50", true), "a ticket forwarded again keeps its place");
        assertSame(c, c.withForwarded("T1", false), "a ticket no longer remembered changes nothing");

        Conversation answered = c.withForwarded("T50", false);
        List<String> rest = new ArrayList<>(newest);
        rest.remove("T50");
        assertEquals(rest, answered.forwarded());
        assertEquals(Conversation.MAX_FORWARDED, answered.withForwarded("T999", true).forwarded().size(),
                "room again for one more");
    }
}
