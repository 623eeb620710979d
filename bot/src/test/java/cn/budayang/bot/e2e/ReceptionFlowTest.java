package cn.budayang.bot.e2e;

import cn.budayang.wechat.testing.FakeWeChatApi.SentMessage;
import cn.budayang.wechat.testing.SignedRequests;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole reception loop over the real protocol: constituent → FAQ or ticket → deputy → answer → rating. */
class ReceptionFlowTest {

    static final String CITIZEN = "oCitizen000000000000000000001";
    static final String DEPUTY_YU = "oDeputyYu00000000000000000001";
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path data;

    @Test
    void constituentQuestionReachesDeputyAndTheAnswerComesBackInPlaintextMode() {
        try (BotHarness bot = new BotHarness(data)) {
            runWholeFlow(bot, false);
        }
    }

    @Test
    void theSameFlowWorksInSafeMode() {
        try (BotHarness bot = new BotHarness(data)) {
            runWholeFlow(bot, true);
        }
    }

    private void runWholeFlow(BotHarness bot, boolean safe) {
        // a deputy binds the WeChat account with the bind code from the congress office
        String bound = say(bot, safe, DEPUTY_YU, "绑定 274115");
        assertTrue(bound.contains("绑定成功") && bound.contains("余宏超"), bound);

        // the constituent scans the QR code of a station
        String welcome = bot.contentOf(bot.post(bot.signer.plaintext(SignedRequests.subscribeWithSceneXml(
                BotHarness.ACCOUNT, CITIZEN, bot.now(), "st-01", "ticket-1"))));
        assertTrue(welcome.contains("青莲街道人大代表之家"), welcome);

        // an FAQ is answered at once, without a ticket
        String faq = say(bot, safe, CITIZEN, "联络站几点开门？");
        assertTrue(faq.contains("开放时间"), faq);
        // chit-chat gets a short helpful reply, no ticket
        String thanks = say(bot, safe, CITIZEN, "谢谢");
        assertTrue(thanks.contains("不客气"), thanks);
        assertEquals(0, bot.admin("/api/tickets").size());

        // a real question becomes a ticket assigned to the urban-construction group
        String ack = say(bot, safe, CITIZEN, "我们小区门口的路灯坏了一个多星期，晚上黑漆漆的很危险");
        assertTrue(ack.contains("#1001") && ack.contains("城建环保"), ack);
        JsonNode ticket = bot.admin("/api/tickets/1001");
        assertEquals("assigned", ticket.get("status").asText());
        assertEquals("pro-urban", ticket.get("groupId").asText());
        assertEquals("st-01", ticket.get("stationId").asText());

        // the bound deputy (of the station's area) gets the question, without the constituent's openid
        List<SentMessage> forwards = awaitTo(bot, DEPUTY_YU, 1);
        assertTrue(forwards.get(0).content().contains("#1001"), forwards.get(0).content());
        assertTrue(forwards.get(0).content().contains("路灯"), forwards.get(0).content());
        for (SentMessage m : bot.api.sentTexts()) {
            assertFalse(m.content().contains(CITIZEN), "a forward must never show the constituent's openid");
        }

        // a follow-up joins the open ticket
        String more = say(bot, safe, CITIZEN, "补充一下，是3栋楼前面那一盏路灯");
        assertTrue(more.contains("#1001"), more);
        assertEquals(2, bot.admin("/api/tickets/1001").get("messages").size());

        // the deputy answers from WeChat; the answer is relayed to the constituent
        String recorded = say(bot, safe, DEPUTY_YU, "#1001 已联系城管，明天上午修复");
        assertTrue(recorded.contains("已记录"), recorded);
        List<SentMessage> relays = awaitTo(bot, CITIZEN, 1);
        assertTrue(relays.get(0).content().contains("明天上午修复"), relays.get(0).content());
        assertTrue(relays.get(0).content().contains("余宏超"), relays.get(0).content());
        assertEquals("answered", bot.admin("/api/tickets/1001").get("status").asText());

        // the constituent rates the answer
        String rated = say(bot, safe, CITIZEN, "1");
        assertTrue(rated.contains("感谢您的评价"), rated);
        JsonNode done = bot.admin("/api/tickets/1001");
        assertEquals("rated", done.get("status").asText());
        assertEquals(1, done.get("rating").get("satisfaction").asInt());
        assertTrue(done.get("rating").get("solved").asBoolean());
        assertEquals("已联系城管，明天上午修复", done.get("answers").get(0).get("text").asText());
        assertTrue(done.get("history").size() >= 4, done.get("history").toString());

        // progress and my tickets answer from the store
        assertTrue(say(bot, safe, CITIZEN, "进度 1001").contains("已评价"));
        assertTrue(say(bot, safe, CITIZEN, "我的留言").contains("#1001"));
    }

    private static String say(BotHarness bot, boolean safe, String from, String text) {
        return safe ? bot.saySafe(from, text) : bot.say(from, text);
    }

    static List<SentMessage> awaitTo(BotHarness bot, String openId, int n) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            List<SentMessage> to = bot.api.sentTexts().stream().filter(m -> m.toUser().equals(openId)).toList();
            if (to.size() >= n) {
                return to;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("expected " + n + " messages to " + openId + ", got " + bot.api.sentTexts());
    }

    @Test
    void anImageAndALinkAddedToAnOpenTicketReachTheDeputyThroughTheOutbox() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(DEPUTY_YU, "绑定 274115");
            assertTrue(bot.say(CITIZEN, "我们小区门口的路灯坏了一个多星期，晚上黑漆漆的很危险").contains("#1001"));
            awaitTo(bot, DEPUTY_YU, 1);

            String image = bot.contentOf(bot.post(bot.signer.plaintext(SignedRequests.imageXml(BotHarness.ACCOUNT,
                    CITIZEN, bot.now(), bot.nextMsgId(), "http://mmbiz.qpic.cn/mmbiz_jpg/lamp/0", "MEDIA_ID_1"))));
            assertTrue(image.contains("#1001") && image.contains("转告"), image);
            bot.contentOf(bot.post(bot.signer.safe(SignedRequests.linkXml(BotHarness.ACCOUNT, CITIZEN, bot.now(),
                    bot.nextMsgId(), "路灯报修记录", "摘要", "https://example.org/lamp?id=3"))));

            // two entries of the outbox, sent in whichever order
            List<String> toYu = awaitTo(bot, DEPUTY_YU, 3).stream().map(SentMessage::content).toList();
            assertTrue(toYu.stream().anyMatch(m -> m.contains("#1001") && m.contains("图片")
                    && m.contains("http://mmbiz.qpic.cn/mmbiz_jpg/lamp/0")), toYu.toString());
            assertTrue(toYu.stream().anyMatch(m -> m.contains("#1001") && m.contains("路灯报修记录")
                    && m.contains("https://example.org/lamp?id=3")), toYu.toString());
            assertEquals(3, bot.admin("/api/tickets/1001").get("messages").size());
        }
    }

    @Test
    void aRetryStormCreatesOneTicketOneForwardAndOneReply() throws Exception {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(DEPUTY_YU, "绑定 274115");
            SignedRequests.Request once = bot.signer.plaintext(bot.textXml(CITIZEN, "小区里的垃圾好几天没人清运，臭味很大"));
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<CompletableFuture<String>> replies = IntStream.range(0, 3).mapToObj(i ->
                        CompletableFuture.supplyAsync(() -> bot.contentOf(bot.post(once)), pool)).toList();
                List<String> texts = replies.stream().map(CompletableFuture::join).toList();
                assertEquals(1, texts.stream().distinct().count(), "every retry gets the same reply: " + texts);
                assertTrue(texts.get(0).contains("#1001"), texts.get(0));
            } finally {
                pool.shutdown();
            }
            assertEquals(1, bot.admin("/api/tickets").size());
            awaitTo(bot, DEPUTY_YU, 1);
            Thread.sleep(300);
            assertEquals(1, bot.api.sentTexts().stream().filter(m -> m.toUser().equals(DEPUTY_YU)).count(),
                    "one forward per deputy");
        }
    }

    @Test
    void aRestartOnTheSameDataKeepsTicketsAndConversations() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.contentOf(bot.post(bot.signer.plaintext(SignedRequests.scanXml(BotHarness.ACCOUNT, CITIZEN,
                    bot.now(), "st-01", "t"))));
            String ack = bot.say(CITIZEN, "孩子上小学划片太远了，学区划分能不能调整一下");
            assertTrue(ack.contains("#1001"), ack);
            bot.restart();
            JsonNode t = bot.admin("/api/tickets/1001");
            assertEquals("pro-education", t.get("groupId").asText());
            assertEquals("st-01", t.get("stationId").asText(), "the station binding survived");
            assertTrue(bot.say(CITIZEN, "进度 1001").contains("教科文卫"));
            // the follow-up still joins the open ticket after the restart
            assertTrue(bot.say(CITIZEN, "补充：我们是桂花湾社区的").contains("#1001"));
            String second = bot.say(CITIZEN, "新问题");
            assertTrue(second.contains("新问题"), second);
            assertTrue(bot.say(CITIZEN, "楼下饭店油烟直排，窗户都不敢开").contains("#1002"));
        }
    }

    @Test
    void aMatterNoGroupsWordsNameWaitsAcrossARestartForTheGroupTheConstituentPicks() {
        try (BotHarness bot = new BotHarness(data)) {
            bot.say(DEPUTY_YU, "绑定 274115");
            String menu = bot.say(CITIZEN, "对面那户人家的狗见人就咬");
            assertTrue(menu.contains("属于哪一类") && menu.contains("\n4. 城建环保"), menu);
            assertEquals(0, bot.admin("/api/tickets").size());
            bot.restart();
            String ack = bot.saySafe(CITIZEN, "4");
            assertTrue(ack.contains("#1001") && ack.contains("城建环保"), ack);
            JsonNode t = bot.admin("/api/tickets/1001");
            assertEquals("pro-urban", t.get("groupId").asText());
            assertEquals("对面那户人家的狗见人就咬", t.get("question").asText());
            assertTrue(awaitTo(bot, DEPUTY_YU, 1).get(0).content().contains("狗见人就咬"));
            // an FAQ offered by number is picked the same way (once the open ticket is set aside)
            bot.say(CITIZEN, "新问题");
            String offered = bot.say(CITIZEN, "能不能换个人来回我？");
            assertTrue(offered.startsWith("您是不是想问："), offered);
            assertFalse(bot.say(CITIZEN, "1").contains("您是不是想问"));
        }
    }

    @Test
    void humanHelpOnDutyHandsTheMessageToTheCustomerServiceDeskInBothModes() {
        try (BotHarness bot = new BotHarness(data)) {
            String plain = bot.post(bot.signer.plaintext(bot.textXml(CITIZEN, "人工"))).body();
            assertTrue(plain.contains("<MsgType><![CDATA[transfer_customer_service]]></MsgType>"), plain);
            String safe = bot.signer.openReply(bot.post(bot.signer.safe(bot.textXml(CITIZEN, "人工"))).body());
            assertTrue(safe.contains("transfer_customer_service"), safe);
        }
    }

    @Test
    void badSignatureIs403AndMalformedXmlIs400AndTheServerStaysHealthy() {
        try (BotHarness bot = new BotHarness(data)) {
            SignedRequests.Request good = bot.signer.plaintext(bot.textXml(CITIZEN, "你好"));
            String forged = good.query().replaceFirst("signature=[0-9a-f]{40}",
                    "signature=0000000000000000000000000000000000000000");
            assertEquals(403, bot.post(forged, good.body()).statusCode());
            SignedRequests.Request valid = bot.signer.plaintext(bot.textXml(CITIZEN, "x"));
            int status = bot.post(valid.query(), "<xml><ToUserName>oops".getBytes(StandardCharsets.UTF_8))
                    .statusCode();
            assertEquals(400, status);
            assertEquals(200, bot.get("/healthz").statusCode());
            assertTrue(bot.say(CITIZEN, "你好").contains("您好"));
            assertEquals(0, bot.admin("/api/tickets").size());
        }
    }
}
