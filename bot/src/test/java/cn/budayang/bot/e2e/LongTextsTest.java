package cn.budayang.bot.e2e;

import cn.budayang.wechat.testing.FakeWeChatApi.SentMessage;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Questions and answers longer than one WeChat message, over the real protocol against the fake WeChat API, which
 * refuses a text over 2,048 bytes with 45002 as WeChat does.
 */
class LongTextsTest {

    static final String CITIZEN = "oCitizen000000000000000000001";
    static final String YU = "oDeputyYu00000000000000000001";

    @TempDir
    Path data;

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The messages' contents without their "(k/n) " labels, checking each is labelled and within the limit. */
    private static String joined(List<SentMessage> parts) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < parts.size(); k++) {
            String c = parts.get(k).content();
            assertTrue(utf8(c) <= 2000, utf8(c) + " bytes");
            String label = "(" + (k + 1) + "/" + parts.size() + ") ";
            assertTrue(c.startsWith(label), c.substring(0, 10));
            b.append(c.substring(label.length()));
        }
        return b.toString();
    }

    private static List<JsonNode> deliveries(BotHarness bot) {
        List<JsonNode> out = new ArrayList<>();
        bot.admin("/api/tickets/1001").get("deliveries").forEach(out::add);
        return out;
    }

    @Test
    void aLongQuestionReachesTheDeputyAndALongAnswerTheConstituentInNumberedPartsAndProgressFitsOneReply() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(YU, "绑定 274115");
            // 638 characters: a 2,137-byte forward, which WeChat refused
            String question = ("小区门口的下水道堵了，一下雨就积水，老人孩子出门都要蹚水。".repeat(23)).substring(0, 638);
            assertTrue(bot.say(CITIZEN, question).contains("#1001"));
            List<SentMessage> forward = ReceptionFlowTest.awaitTo(bot, YU, 2);
            assertEquals(2, forward.size(), "one forward, in two parts");
            String toYu = joined(forward);
            assertTrue(toYu.startsWith("【群众留言 #1001】") && toYu.contains(question), toYu);

            // a 700-character answer: a 2,506-byte relay
            String answer = ("已联系排水公司，明天上午来疏通，后天检查雨水篦子。".repeat(30)).substring(0, 700);
            assertTrue(bot.say(YU, "#1001 " + answer).contains("已记录"));
            List<SentMessage> relay = ReceptionFlowTest.awaitTo(bot, CITIZEN, 2);
            String toCitizen = joined(relay);
            assertTrue(toCitizen.contains(answer) && toCitizen.contains("3 未解决"), toCitizen);

            // 进度 is answered passively, in one message
            String progress = bot.say(CITIZEN, "进度 1001");
            assertTrue(utf8(progress) <= 2000, utf8(progress) + " bytes");
            assertTrue(progress.contains("最新答复") && progress.contains(answer.substring(0, 100)), progress);

            LifecycleTest.await(() -> deliveries(bot).stream().allMatch(d -> "sent".equals(d.get("state").asText())),
                    "every delivery of the ticket sent, none failed with 45002");
        }
    }
}
