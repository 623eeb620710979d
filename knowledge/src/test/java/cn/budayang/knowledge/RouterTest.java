package cn.budayang.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A golden table of hand-written messages (none taken from the dev or held-out sets) against the sample city. */
class RouterTest {
    private static Router router;

    @BeforeAll
    static void build() {
        router = Router.build(KnowledgeLoader.loadBundled());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            路灯坏了                                    | pro-urban
            晚上路灯不亮太危险                          | pro-urban
            小区电梯又坏了，物业说没钱修                | pro-urban
            楼下夜宵摊每天吵到凌晨                      | pro-urban
            医保报销比例能不能提高                      | pro-social
            工资没发                                    | pro-social
            老板欠了半年工钱不给                        | pro-social
            我爸退休金被停发了                          | pro-social
            在外地住院回来报销，比例太低了              | pro-social
            异地住院报销要跑好几趟                      | pro-social
            孩子上学划片太远了                          | pro-education
            乡镇卫生院晚上没有医生值班                  | pro-education
            电信诈骗把我半辈子积蓄骗走了                | pro-judicial
            派出所接警后一直不出警                      | pro-judicial
            法院判了对方还是不还钱，执行难              | pro-judicial
            银行贷款审批太慢，小微企业等不起            | pro-finance
            超市卖过期食品                              | pro-finance
            村里土地流转费三年没给                      | pro-rural
            水渠塌了田里灌溉不了                        | pro-rural
            野猪把庄稼都拱了                            | pro-rural
            怎么给人大代表留言？                        | faq-02
            码上见是什么意思                            | faq-03
            联络站周末开不开门？                        | faq-05
            对电动车管理办法的征求意见稿有几条看法      | faq-60
            可以匿名反映问题吗                          | faq-31
            绑定码丢了怎么办                            | faq-34
            你好                                        | none
            谢谢代表                                    | none
            哈哈哈                                      | none
            急用钱找我，无抵押，电话同号138xxxx0000     | none
            管道疏通马桶维修，24小时上门，价格优惠      | none
            👍👍                                         | none
            asdfgh                                      | none
            专业代开发票，加微信私聊                    | none
            驾照考试包过，日结返现，详情私聊            | none
            孩子九月入学，学校到现在还没通知分班        | pro-education
            节日结束后垃圾堆了好几天没人清运            | pro-urban
            超市卖的面包过期好几天了                    | pro-finance
            普通村民能不能去旁听常委会                  | faq-55
            村里的路坏了好几年没人修                    | pro-rural
            小区门口的马路坑坑洼洼                      | pro-urban
            我们村停水三天了                            | pro-rural
            小区停水三天了                              | pro-urban
            村里的垃圾堆在路边没人清                    | pro-rural
            鱼塘被旁边的厂子污染了                      | pro-rural
            网贷利息太高，天天打电话骚扰我家人          | pro-judicial
            楼下理发店办的卡用不了了，老板跑了          | pro-finance
            联络站礼拜天开门不                          | faq-05
            代表之家周六有人吗                          | faq-05
            您好，请问有人在吗                          | none
            什么时候能把村里的路修一修                  | pro-rural
            民生实事到底是哪些人说了算投票              | faq-29
            民生项目的建议一般哪天开始收                | faq-28
            几点了                                      | none
            你是谁                                      | none
            我是刚才那个                                | none
            小区门口装了红绿灯，过马路安全多了          | none
            网上说包过的驾照培训班，交了钱考了三次都没过，现在不退钱 | pro-finance
            有人在网上打广告说低息贷款，我交了三千手续费，然后就把我拉黑了 | pro-judicial
            低息贷款，无抵押，当天放款，加微信详谈      | none
            请转发给家人：医院说这种药吃了伤肝          | none
            村里自来水通了，大家很满意                  | none
            路灯修好了，楼道灯又坏了                    | pro-urban
            今年橘子丰收，可是卖不出去，烂在树上        | pro-rural
            今年丰收了，收购价压得太低                  | pro-rural
            我们镇的人大代表都有谁                      | faq-01
            我们街道的代表是哪几个人                    | faq-01
            代表每个月哪天到站里接待群众                | faq-06
            扫了联络站门口那个码会怎么样                | faq-03
            我有急事能不能在这里发消息找人              | faq-24
            种了一辈子地的农民，能不能选上人大代表？    | faq-43
            村里的水渠堵了，你们能不能找人来修？        | pro-rural
            路灯坏了一个月，代表能不能帮忙催催？        | pro-urban
            我们村的路烂了好几年，人大代表能不能帮忙反映一下？ | pro-rural
            小区物业乱收费，在这里反映有用吗？          | pro-urban
            工资被拖欠半年了，代表能帮我要回来吗？      | pro-social
            我举报村干部贪污，代表能不能帮忙查一查？    | pro-judicial
            医保报销太难了，代表能不能帮我们说说话？    | pro-social
            之前反映过路灯的问题，到现在还没修好，能不能再催一下？ | pro-urban
            电信诈骗被骗了五万，在这里发消息能帮我追回来吗？ | pro-judicial
            请代表帮我反映一下，小区垃圾没人清          | pro-urban
            我想跟代表反映一下村里低保评得不公平，可以吗 | pro-social
            能不能帮我向代表反映学校乱收费的问题        | pro-education
            我的工伤仲裁还没判下来，现在找代表管用吗    | faq-22
            劳动仲裁正在走程序，这期间找代表有冇得用    | faq-22
            路灯坏了，在这里反映有人管吗                | pro-urban
            前几天我反映了村里路灯不亮的事，一般要等几个工作日才有答复？ | faq-09
            我反映的垃圾站太臭的问题，一般多久能有答复？ | faq-09
            忘记评价了，过了好多天会咋样                | faq-17
            我反映的垃圾站太臭了，能不能派人来处理一下？ | pro-urban
            我是中学老师，想去人大常委会旁听，上哪登记  | faq-55
            村里的路坑坑洼洼，给代表发消息能解决吗      | pro-rural
            小区电梯坏了半个月，代表能不能帮忙催一下    | pro-urban
            反映问题有没有写多长的要求                  | faq-40
            我已经反复发了好几次，会不会处理得快点      | faq-50
            系统的回复和我的问题对不上                  | faq-57
            足不出户也能找代表反映吗                    | faq-02
            代表之家礼拜六有没有人上班                  | faq-05
            民生实事是老百姓投票还是代表投票            | faq-29
            民生实事票决是个么名堂，能不能讲一下        | faq-25
            听说有个社会建设小组，它跟财政经济小组怎么分工 | faq-37
            现在几点了                                  | none
            代表们一年到头都做些什么                    | faq-20
            联络站中午休息吗，下午几点开                | faq-05
            孩子学校中午没有地方午休                    | pro-education
            人大代表到底有什么用                        | faq-20
            有人冒充银行工作人员让我把钱转过去          | pro-judicial
            隔壁那家人仗着人多老是欺负我们              | pro-judicial
            学校每学期都乱收费                          | pro-education
            健身房预存了三千块，现在老板联系不上        | pro-finance
            超市的秤少了好几两                          | pro-finance
            今年猪肉价格翻了一倍                        | pro-finance
            我们组通组的路一直没硬化                    | pro-rural
            厂里机器没有防护罩，工友手指差点被夹断      | pro-social
            小孩三岁了报不上公办的园，私立的一个月三千  | pro-education
            电瓶三天两头被人拔走                        | pro-judicial
            我们路口新开了一家店                        | none
            今天在路口碰到老同学了                      | none
            你叫啥名字啊                                | none
            代表领不领薪水                              | faq-45
            明天下不下雨                                | none
            对面楼从早到晚打钻                          | pro-urban
            饭都煮不熟，气公司说是气压低                | pro-urban
            社区的老人饭堂关门半年了                    | pro-social
            公共法律服务中心一直锁着门                  | pro-judicial
            去开个证明还得先塞烟                        | pro-judicial
            我爸一个人住在老屋里，腿脚不方便，子女都在外地 | pro-social
            老屋拆了重建，手续一直批不下来              | pro-rural
            给我爸办护理补贴，跑了好几趟都说材料不全    | pro-social
            办个营业执照跑了好几趟                      | pro-finance
            那几个专门小组都管些什么                    | faq-37
            代表是不是专门干这个的                      | faq-45
            你今年多大啦                                | none
            你今年几岁了                                | none
            你好，我们社区的代表叫什么名字              | faq-01
            不留名字能提意见吗                          | faq-31
            组里的路修通了，谢谢代表帮忙跑              | none
            路修通了，可是路灯一直不亮                  | pro-urban
            不送礼就不给办，这是什么道理                | pro-judicial
            交了钱连张收据都不给                        | pro-finance
            """)
    void routes(String text, String expected) {
        RouteDecision d = router.route(text);
        String got = d.groupId() != null ? d.groupId() : d.faqId() != null ? d.faqId() : "none";
        assertEquals(expected, got, () -> text + " -> " + d.reason());
    }

    @Test
    void everyDecisionExplainsItself() {
        RouteDecision d = router.route("小区门口路灯坏了一个多月，物业也不管");
        assertEquals(RouteDecision.Outcome.GROUP, d.outcome());
        assertEquals("pro-urban", d.groupId());
        assertNull(d.faqId());
        assertTrue(d.matchedTerms().contains("路灯"), d.matchedTerms().toString());
        assertTrue(d.reason().contains("路灯") && d.reason().contains("margin"), d.reason());
        assertEquals(6, d.ranking().size());
        assertEquals("pro-urban", d.ranking().get(0).groupId());
        assertTrue(d.score() > 0 && d.score() <= 1);
    }

    @Test
    void aGrievanceWithoutKeywordsGoesToTheGroupWhoseLexiconWordsItHas() {
        RouteDecision d = router.route("小孩三岁了报不上公办的园，私立的一个月三千");
        assertEquals(RouteDecision.Outcome.GROUP, d.outcome());
        assertEquals("pro-education", d.groupId());
        assertEquals(java.util.List.of("≈公办", "≈私立"), d.matchedTerms());
        assertTrue(d.reason().contains("lexicon phrases"), d.reason());
        double keywordConfidence = router.route("孩子上学划片太远了").score();
        assertTrue(d.score() > 0 && d.score() < keywordConfidence, d.score() + " vs " + keywordConfidence);
        // the same kind of word in a question about the service is not a complaint
        assertNotEquals(RouteDecision.Outcome.GROUP, router.route("代表能不能来我们路口看看").outcome());
        // a group declining the message is not offered it again by the fallback
        assertNotEquals("pro-education", router.route("小孩三岁了报不上公办的园，私立的一个月三千",
                Set.of("pro-education")).groupId());
    }

    @Test
    void questionsGetFaqSuggestionsComplaintsAndSmallTalkDoNot() {
        RouteDecision answered = router.route("给代表提意见要注意些什么呢");
        assertEquals(RouteDecision.Outcome.FAQ, answered.outcome());
        assertEquals(Router.MAX_RELATED, answered.faqSuggestions().size(), answered.reason());
        assertTrue(!answered.faqSuggestions().contains(answered.faqId()));
        RouteDecision unanswered = router.route("能不能换个人来回我？");
        assertEquals(RouteDecision.Outcome.NONE, unanswered.outcome());
        assertEquals(Router.MAX_SUGGESTIONS, unanswered.faqSuggestions().size(), unanswered.reason());
        assertTrue(unanswered.reason().contains("suggested"), unanswered.reason());
        assertEquals(unanswered.faqSuggestions(), new ObjectMapper().convertValue(
                RouteDecisions.toNode(unanswered).get("suggestions"), java.util.List.class));
        assertTrue(router.route("路灯坏了").faqSuggestions().isEmpty());
        assertTrue(router.route("你好").faqSuggestions().isEmpty());
        assertTrue(router.route("招代理，日结，有意者加微信").faqSuggestions().isEmpty());
    }

    @Test
    void faqDecisionHasNoGroup() {
        RouteDecision d = router.route("怎么给人大代表留言？");
        assertEquals(RouteDecision.Outcome.FAQ, d.outcome());
        assertNull(d.groupId());
        assertTrue(d.reason().contains("faq-02"), d.reason());
    }

    @Test
    void spamIsNeitherGroupNorFaqEvenWithKeywords() {
        RouteDecision d = router.route("低价出售学区房，有意速联");
        assertEquals(RouteDecision.Outcome.NONE, d.outcome());
        assertTrue(d.reason().contains("spam"), d.reason());
    }

    @Test
    void goodNewsDecisionsNameTheGoodNewsMarker() {
        RouteDecision d = router.route("小区门口装了红绿灯，过马路安全多了");
        assertEquals(RouteDecision.Outcome.NONE, d.outcome());
        assertEquals(java.util.List.of(QuestionAnalyzer.GOOD), d.matchedTerms());
        assertEquals("pro-urban", d.ranking().get(0).groupId(), "the group evidence is still reported");
    }

    @Test
    void spamDecisionsNameTheSpamMarker() {
        RouteDecision d = router.route("招代理，日结，有意者加微信");
        assertEquals(RouteDecision.Outcome.NONE, d.outcome());
        assertEquals(java.util.List.of(QuestionAnalyzer.SPAM), d.matchedTerms());
        assertEquals(java.util.List.of(QuestionAnalyzer.CHAT), router.route("你好").matchedTerms());
        assertTrue(router.route("asdfgh").matchedTerms().isEmpty());
        // a chain message (pass it on to so many groups) is advertising for the desk too
        assertEquals(java.util.List.of(QuestionAnalyzer.SPAM), router.route("请大家转发到五个群，让更多人知道").matchedTerms());
        assertEquals(java.util.List.of(QuestionAnalyzer.SPAM), router.route("把这条转给10个好友就能抽奖").matchedTerms());
        assertTrue(router.route("我给三个人转了钱").matchedTerms().isEmpty());
        assertEquals(java.util.List.of(QuestionAnalyzer.SPAM),
                new ObjectMapper().convertValue(
                        RouteDecisions.toNode(d).get("matched"), java.util.List.class));
    }

    @Test
    void aVictimQuotingTheScammersPitchStillRoutes() {
        RouteDecision d = router.route("我被人骗进一个炒股群，对方说稳赚不赔，结果钱全亏没了");
        assertEquals("pro-judicial", d.groupId(), d.reason());
    }

    @Test
    void aComplaintMentioningASpamWordStillRoutes() {
        RouteDecision d = router.route("有人加微信骗我刷单，被骗了三千块，怎么办？");
        assertEquals("pro-judicial", d.groupId(), d.reason());
    }

    @Test
    void reroutingNeverReturnsAnExcludedGroupAndSkipsFaqs() {
        RouteDecision first = router.route("小区停车位被占，物业不管");
        assertEquals("pro-urban", first.groupId());
        RouteDecision again = router.route("小区停车位被占，物业不管", Set.of("pro-urban"));
        assertNotEquals("pro-urban", again.groupId());
        assertTrue(again.ranking().stream().noneMatch(g -> g.groupId().equals("pro-urban")));
        RouteDecision faq = router.route("怎么给人大代表留言？", Set.of("pro-social"));
        assertNull(faq.faqId(), faq.reason());
    }

    @Test
    void detectsTheAreaFromPlaceNames() {
        RouteDecision d = router.route("桂花湾社区的路灯坏了");
        assertEquals("area-huangzhou-1", d.areaGroupId());
        assertEquals("pro-urban", d.groupId());
        assertEquals("area-huangmei-2", router.route("柳林湖镇鲍家墩村的水渠堵了").areaGroupId());
        assertNull(router.route("路灯坏了").areaGroupId());
    }

    @Test
    void emptyAndNullTextAbstain() {
        assertEquals(RouteDecision.Outcome.NONE, router.route("").outcome());
        assertEquals(RouteDecision.Outcome.NONE, router.route(null).outcome());
        assertEquals(RouteDecision.Outcome.NONE, router.route("   ").outcome());
    }

    @Test
    void aVeryLongMessageStillRoutes() {
        String longText = "我们这个小区是二十年前的老房子，".repeat(30) + "楼道灯全坏了，晚上老人上下楼摔了好几次。";
        RouteDecision d = router.route(longText);
        assertEquals("pro-urban", d.groupId(), d.reason());
    }

    @Test
    void jsonLineHasTheContractFields() throws Exception {
        JsonNode n = new ObjectMapper().readTree(RouteDecisions.toJson(router.route("桂花湾社区的路灯坏了")));
        for (String f : new String[] {"text", "group", "faq", "score", "reason", "runnerUp", "area", "matched"}) {
            assertTrue(n.has(f), f);
        }
        assertEquals("pro-urban", n.get("group").asText());
        assertTrue(n.get("faq").isNull());
        assertEquals("area-huangzhou-1", n.get("area").asText());
        JsonNode none = new ObjectMapper().readTree(RouteDecisions.toJson(router.route("你好")));
        assertTrue(none.get("group").isNull() && none.get("faq").isNull());
        assertNotNull(none.get("reason").asText());
    }
}
