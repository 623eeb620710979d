package cn.budayang.knowledge;

import static cn.budayang.knowledge.QuestionAnalyzer.BIGRAM;
import static cn.budayang.knowledge.QuestionAnalyzer.WORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QuestionAnalyzerTest {
    private final QuestionAnalyzer analyzer = QuestionAnalyzer.standard();

    @Test
    void bigramsOfAStreetLightComplaint() {
        // 太 is a function word: dropped before bigrams, so no 亮太/太危; 路灯 is also emitted as a concept
        assertEquals(List.of("晚上", "路灯", "上路", "路灯", "灯不", "不亮", "危险"),
                analyzer.tokens(BIGRAM, "晚上路灯不亮太危险"));
    }

    @Test
    void smartcnCutsWordsTheLexiconRejoins() {
        // SmartCN alone cuts 医保 into 医|保 and 路灯 into 路|灯; the left-over single characters are dropped and the
        // concept graph puts the word back
        assertEquals(List.of("医保", "报销", "报销"), analyzer.tokens(WORD, "医保报销"));
        assertEquals(List.of("晚上", "路灯", "危险"), analyzer.tokens(WORD, "晚上路灯不亮太危险"));
    }

    @Test
    void smartcnCutsSchoolDistrictApartButBigramsKeepIt() {
        // SmartCN cuts 学|区划|分: only the wrong word 区划 survives
        assertEquals(List.of("区划", "合理"), analyzer.tokens(WORD, "学区划分不合理"));
        assertEquals(List.of("学区", "区划", "划分", "分不", "不合", "合理"),
                analyzer.tokens(BIGRAM, "学区划分不合理"));
    }

    @Test
    void fullWidthLettersAndDigitsAreNormalisedAndLowerCased() {
        assertEquals(List.of("abc123", "ok"), analyzer.tokens(BIGRAM, "ＡＢＣ１２３，ｏｋ？"));
        assertEquals("abc123,ok?", QuestionAnalyzer.normalize("ＡＢＣ１２３，ｏｋ？"));
    }

    @Test
    void emojiAndPunctuationAreDropped() {
        assertEquals(List.of("路灯", "路灯", "灯坏"), analyzer.tokens(BIGRAM, "路灯坏了👍👍！！"));
        assertEquals(List.of("路灯"), analyzer.tokens(WORD, "路灯坏了👍👍！！"));
        assertEquals(List.of(), analyzer.tokens(BIGRAM, "👍👍👍。。。"));
        assertEquals(List.of(), analyzer.tokens(WORD, "👍👍👍。。。"));
    }

    @Test
    void dialectAndColloquialPhrasesMapToConcepts() {
        assertEquals(List.of("路灯", "没有"), List.copyOf(analyzer.concepts(BIGRAM, "楼道灯冇人修")));
        assertTrue(analyzer.concepts(BIGRAM, "工资没发，么样办？").containsAll(List.of("拖欠工资", "怎么样")));
        assertTrue(analyzer.concepts(WORD, "老板欠了我们的工钱").contains("拖欠工资"));
        assertTrue(analyzer.concepts(BIGRAM, "娃今年上小学").contains("孩子"));
        // dialect pronouns are function words like 我 and 我们
        assertEquals(List.of("想问"), analyzer.tokens(BIGRAM, "俺想问"));
        assertTrue(analyzer.concepts(BIGRAM, "我们镇的代表都有谁").contains("名单"));
        assertTrue(analyzer.concepts(BIGRAM, "投诉一定要留真名吗").contains("实名"));
        assertTrue(analyzer.concepts(WORD, "能直接打字说吗").contains("留言"));
    }

    @Test
    void questionTypeMarkers() {
        assertTrue(analyzer.markers("这事最后由谁拍板").contains("@who"));
        // a question-type cue also makes the sentence a question
        assertTrue(analyzer.markers("报名哪天截止").containsAll(List.of("@when", QuestionAnalyzer.ASK)));
        assertTrue(analyzer.markers("为啥还没人回").contains("@why"));
        assertTrue(analyzer.markers("代表平时到底管什么").contains(QuestionAnalyzer.FILLER));
        // 我想知道 frames a question and says nothing about its topic
        assertTrue(analyzer.markers("我想知道站点地址").contains(QuestionAnalyzer.ASK));
    }

    @Test
    void aComplaintPhraseInsideALongerQuestionPhraseAsks() {
        // 不管 (a complaint cue) inside 管不管 (a question): the sentence asks whether deputies deal with it
        assertFalse(analyzer.markers("我的官司代表管不管").contains(QuestionAnalyzer.COMPLAIN));
        assertTrue(analyzer.markers("我的官司代表管不管").contains(QuestionAnalyzer.ASK));
        // standing alone, or next to the question, it still complains
        assertTrue(analyzer.markers("路灯坏了都不管").contains(QuestionAnalyzer.COMPLAIN));
        assertTrue(analyzer.markers("路灯坏了都不管，你们管不管").contains(QuestionAnalyzer.COMPLAIN));
        // a phrase both markers share (怎么办) is both
        assertTrue(analyzer.markers("被骗了怎么办")
                .containsAll(List.of(QuestionAnalyzer.COMPLAIN, QuestionAnalyzer.ASK)));
    }

    @Test
    void markersForSpamSmallTalkAndQuestions() {
        assertEquals(Set.of(QuestionAnalyzer.SPAM), analyzer.markers("兼职日结，有意者私聊"));
        // 代表 names the platform's own people: @platform, which makes a question one about the service
        assertEquals(Set.of(QuestionAnalyzer.CHAT, QuestionAnalyzer.PLATFORM), analyzer.markers("谢谢代表，辛苦了"));
        assertEquals(Set.of(QuestionAnalyzer.ASK, QuestionAnalyzer.PLATFORM), analyzer.markers("在这里发消息有用吗"));
        assertEquals(Set.of(QuestionAnalyzer.ASK), analyzer.markers("博物馆周末开放吗"));
        // 几点开门 is also a concept phrase (开放时间): markers are found apart from it, so 几点 still counts as a question
        assertTrue(analyzer.markers("联络站几点开门").contains(QuestionAnalyzer.ASK));
        assertTrue(analyzer.concepts(BIGRAM, "联络站几点开门").contains("开放时间"));
        assertEquals(Set.of(QuestionAnalyzer.COMPLAIN, QuestionAnalyzer.PROBLEM), analyzer.markers("学区划分不合理"));
        assertEquals(Set.of(QuestionAnalyzer.PROBLEM), analyzer.markers("路灯坏了"));
        // good news, and good news with a problem in it (太低, not 太好)
        assertEquals(Set.of(QuestionAnalyzer.GOOD), analyzer.markers("今年橘子丰收了，太好了"));
        assertEquals(Set.of(QuestionAnalyzer.GOOD, QuestionAnalyzer.PROBLEM), analyzer.markers("今年丰收了，收购价压得太低"));
        // every occurrence of every marker phrase counts: 有人吗 is small talk, and its 吗 still makes it a question
        assertEquals(Set.of(QuestionAnalyzer.CHAT, QuestionAnalyzer.ASK, QuestionAnalyzer.PLATFORM),
                analyzer.markers("代表之家周六有人吗"));
    }

    @Test
    void knowledgeTermsBecomeConceptsWhereverTheyAppear() {
        QuestionAnalyzer withKeywords = QuestionAnalyzer.withConcepts(List.of("学区", "税"));
        assertTrue(withKeywords.concepts(BIGRAM, "低价出售学区房").contains("学区"));
        assertTrue(withKeywords.concepts(WORD, "个体户交税太多").contains("税"));
        assertFalse(analyzer.concepts(BIGRAM, "低价出售学区房").contains("学区"));
    }

    @Test
    void lexiconLinesParse() throws Exception {
        var parsed = QuestionAnalyzer.parseLexicon(new java.io.BufferedReader(new java.io.StringReader(
                "# comment\n路灯 <= 楼道灯，灯不亮\n@spam <= 私聊\n")));
        assertEquals(List.of("路灯", "楼道灯", "灯不亮"), parsed.get("路灯"));
        assertEquals(List.of("私聊"), parsed.get("@spam"));
    }

    @Test
    void bundledLexiconHasNoEmptyOrBrokenLines() {
        var lexicon = QuestionAnalyzer.bundledLexicon();
        assertTrue(lexicon.size() > 250, "lexicon concepts: " + lexicon.size());
        lexicon.forEach((concept, phrases) -> assertFalse(phrases.isEmpty(), concept));
    }
}
