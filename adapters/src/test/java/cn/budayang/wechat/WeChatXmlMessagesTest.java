package cn.budayang.wechat;

import cn.budayang.wechat.WeChatProtocolException.Kind;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import static cn.budayang.wechat.testing.SignedRequests.clickXml;
import static cn.budayang.wechat.testing.SignedRequests.imageXml;
import static cn.budayang.wechat.testing.SignedRequests.linkXml;
import static cn.budayang.wechat.testing.SignedRequests.locationEventXml;
import static cn.budayang.wechat.testing.SignedRequests.locationXml;
import static cn.budayang.wechat.testing.SignedRequests.scanXml;
import static cn.budayang.wechat.testing.SignedRequests.subscribeWithSceneXml;
import static cn.budayang.wechat.testing.SignedRequests.subscribeXml;
import static cn.budayang.wechat.testing.SignedRequests.templateSendJobFinishXml;
import static cn.budayang.wechat.testing.SignedRequests.textXml;
import static cn.budayang.wechat.testing.SignedRequests.unknownEventXml;
import static cn.budayang.wechat.testing.SignedRequests.unknownTypeXml;
import static cn.budayang.wechat.testing.SignedRequests.unsubscribeXml;
import static cn.budayang.wechat.testing.SignedRequests.videoXml;
import static cn.budayang.wechat.testing.SignedRequests.viewXml;
import static cn.budayang.wechat.testing.SignedRequests.voiceXml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One fixture per message and event type, plus dedup keys. */
class WeChatXmlMessagesTest {

    private static final String GH = "gh_3f1e2d4c5b6a";
    private static final String OPENID = "oQx1Z5vD9kLmN3pR7tY2wE8uI0aS";

    private static WeChatMessage parse(String xml) {
        return WeChatXml.parseMessage(xml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void textAsPrintedInTheSpecWithNewlinesBetweenElements() {
        String xml = "<xml><ToUserName><![CDATA[gh_3f1e2d4c5b6a]]></ToUserName>\n"
                + "<FromUserName><![CDATA[oQx1Z5vD9kLmN3pR7tY2wE8uI0aS]]></FromUserName>\n"
                + "<CreateTime>1732599999</CreateTime><MsgType><![CDATA[text]]></MsgType>\n"
                + "<Content><![CDATA[请问社区服务站几点开门？]]></Content><MsgId>24612345678901234</MsgId></xml>";
        WeChatMessage.Text t = assertInstanceOf(WeChatMessage.Text.class, parse(xml));
        assertEquals(new WeChatMessage.Text(GH, OPENID, 1732599999L, 24612345678901234L, "请问社区服务站几点开门？"), t);
        assertEquals("msg:24612345678901234", t.dedupKey());
    }

    @Test
    void textKeepsMultilineContentAndIgnoresUnknownElementsLikeBizmsgmenuid() {
        String xml = "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o_y]]></FromUserName>"
                + "<CreateTime> 1732600000 </CreateTime><MsgType><![CDATA[text]]></MsgType>"
                + "<Content><![CDATA[满意\n第二行 <b>&amp;</b>]]></Content><bizmsgmenuid>101</bizmsgmenuid>"
                + "<MsgDataId>7</MsgDataId><Idx>1</Idx><MsgId> 42 </MsgId></xml>";
        WeChatMessage.Text t = assertInstanceOf(WeChatMessage.Text.class, parse(xml));
        assertEquals("满意\n第二行 <b>&amp;</b>", t.content());
        assertEquals(1732600000L, t.createTime());
        assertEquals(42L, t.msgId());
    }

    @Test
    void textWithoutCdataAndWithEscapedCharacters() {
        String xml = "<xml><ToUserName>gh_x</ToUserName><FromUserName>o_y</FromUserName><CreateTime>1</CreateTime>"
                + "<MsgType>text</MsgType><Content>a &lt;b&gt; &amp; c</Content><MsgId>9</MsgId></xml>";
        assertEquals("a <b> & c", ((WeChatMessage.Text) parse(xml)).content());
    }

    @Test
    void image() {
        WeChatMessage m = parse(imageXml(GH, OPENID, 1732599999L, 24612345678901235L, "http://mmbiz.qpic.cn/x",
                "MEDIA_ID_1"));
        assertEquals(new WeChatMessage.Image(GH, OPENID, 1732599999L, 24612345678901235L, "http://mmbiz.qpic.cn/x",
                "MEDIA_ID_1"), m);
        assertEquals("msg:24612345678901235", m.dedupKey());
    }

    @Test
    void voiceWithAndWithoutRecognition() {
        WeChatMessage.Voice v = assertInstanceOf(WeChatMessage.Voice.class,
                parse(voiceXml(GH, OPENID, 1L, 24612345678901236L, "MEDIA_ID_2", "amr", "我想反映小区停车问题")));
        assertEquals("MEDIA_ID_2", v.mediaId());
        assertEquals("amr", v.format());
        assertEquals("我想反映小区停车问题", v.recognition());
        assertEquals(24612345678901236L, v.msgId());

        WeChatMessage.Voice plain = assertInstanceOf(WeChatMessage.Voice.class,
                parse(voiceXml(GH, OPENID, 1L, 5L, "M", "speex", null)));
        assertNull(plain.recognition());
    }

    @Test
    void videoAndShortVideo() {
        WeChatMessage.Video video = assertInstanceOf(WeChatMessage.Video.class,
                parse(videoXml(GH, OPENID, 1L, 7L, "MEDIA_ID_3", "THUMB_ID_3", false)));
        assertFalse(video.shortVideo());
        assertEquals("THUMB_ID_3", video.thumbMediaId());
        WeChatMessage.Video shortVideo = assertInstanceOf(WeChatMessage.Video.class,
                parse(videoXml(GH, OPENID, 1L, 24612345678901237L, "MEDIA_ID_3", "THUMB_ID_3", true)));
        assertTrue(shortVideo.shortVideo());
        assertEquals("MEDIA_ID_3", shortVideo.mediaId());
        assertEquals("msg:24612345678901237", shortVideo.dedupKey());
    }

    @Test
    void location() {
        WeChatMessage.Location l = assertInstanceOf(WeChatMessage.Location.class,
                parse(locationXml(GH, OPENID, 1L, 24612345678901238L, 31.230416, 121.473701, 15, "上海市黄浦区人民大道")));
        assertEquals(31.230416, l.latitude());
        assertEquals(121.473701, l.longitude());
        assertEquals(15, l.scale());
        assertEquals("上海市黄浦区人民大道", l.label());
    }

    @Test
    void locationWithCdataWrappedCoordinates() {
        String xml = "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o]]></FromUserName>"
                + "<CreateTime>1</CreateTime><MsgType><![CDATA[location]]></MsgType>"
                + "<Location_X><![CDATA[23.1]]></Location_X><Location_Y><![CDATA[113.2]]></Location_Y>"
                + "<Scale><![CDATA[16]]></Scale><Label><![CDATA[广州]]></Label><MsgId>3</MsgId></xml>";
        WeChatMessage.Location l = (WeChatMessage.Location) parse(xml);
        assertEquals(23.1, l.latitude());
        assertEquals(113.2, l.longitude());
        assertEquals(16, l.scale());
    }

    @Test
    void link() {
        WeChatMessage m = parse(linkXml(GH, OPENID, 1L, 24612345678901239L, "标题", "摘要", "https://example.org/a"));
        assertEquals(new WeChatMessage.Link(GH, OPENID, 1L, 24612345678901239L, "标题", "摘要",
                "https://example.org/a"), m);
    }

    @Test
    void subscribePlain() {
        WeChatMessage.Subscribe s = assertInstanceOf(WeChatMessage.Subscribe.class,
                parse(subscribeXml(GH, OPENID, 1732600100L)));
        assertNull(s.eventKey());
        assertNull(s.ticket());
        assertEquals(Optional.empty(), s.scene());
        assertEquals("evt:" + OPENID + ":1732600100:subscribe:", s.dedupKey());
    }

    @Test
    void subscribeWithEmptyEventKeyIsAnOrdinaryFollow() {
        String xml = subscribeXml(GH, OPENID, 1L).replace("</xml>", "<EventKey><![CDATA[]]></EventKey></xml>");
        WeChatMessage.Subscribe s = (WeChatMessage.Subscribe) parse(xml);
        assertNull(s.eventKey());
        assertEquals(Optional.empty(), s.scene());
    }

    @Test
    void subscribeThroughParametricQrCode() {
        WeChatMessage.Subscribe s = assertInstanceOf(WeChatMessage.Subscribe.class,
                parse(subscribeWithSceneXml(GH, OPENID, 1732600100L, "bind:7F3K9Q", "gQH47joAAAAAAAAAASxodHRw")));
        assertEquals("qrscene_bind:7F3K9Q", s.eventKey());
        assertEquals(Optional.of("bind:7F3K9Q"), s.scene());
        assertEquals("gQH47joAAAAAAAAAASxodHRw", s.ticket());
        assertEquals("evt:" + OPENID + ":1732600100:subscribe:qrscene_bind:7F3K9Q", s.dedupKey());
    }

    @Test
    void unsubscribe() {
        WeChatMessage m = parse(unsubscribeXml(GH, OPENID, 5L));
        assertEquals(new WeChatMessage.Unsubscribe(GH, OPENID, 5L), m);
        assertEquals("evt:" + OPENID + ":5:unsubscribe:", m.dedupKey());
    }

    @Test
    void scanCarriesTheSceneWithoutPrefix() {
        WeChatMessage.Scan s = assertInstanceOf(WeChatMessage.Scan.class,
                parse(scanXml(GH, OPENID, 6L, "S012", "gQH47jo")));
        assertEquals("S012", s.eventKey());
        assertEquals("gQH47jo", s.ticket());
        assertEquals("SCAN", s.event());
        assertEquals("evt:" + OPENID + ":6:SCAN:S012", s.dedupKey());
    }

    @Test
    void locationEvent() {
        WeChatMessage.LocationEvent l = assertInstanceOf(WeChatMessage.LocationEvent.class,
                parse(locationEventXml(GH, OPENID, 7L, 31.230416, 121.473701, 65.0)));
        assertEquals(31.230416, l.latitude());
        assertEquals(121.473701, l.longitude());
        assertEquals(65.0, l.precision());
        assertEquals("evt:" + OPENID + ":7:LOCATION:", l.dedupKey());
    }

    @Test
    void click() {
        WeChatMessage m = parse(clickXml(GH, OPENID, 8L, "MENU_ASK"));
        assertEquals(new WeChatMessage.Click(GH, OPENID, 8L, "MENU_ASK"), m);
        assertEquals("evt:" + OPENID + ":8:CLICK:MENU_ASK", m.dedupKey());
    }

    @Test
    void viewWithAndWithoutMenuId() {
        assertEquals(new WeChatMessage.View(GH, OPENID, 9L, "https://example.org/stations", 412345678L),
                parse(viewXml(GH, OPENID, 9L, "https://example.org/stations", 412345678L)));
        WeChatMessage.View v = (WeChatMessage.View) parse(viewXml(GH, OPENID, 9L, "https://example.org/s", null));
        assertNull(v.menuId());
    }

    @Test
    void templateSendJobFinishUsesMsgIdWithCapitalD() {
        WeChatMessage.TemplateSendJobFinish t = assertInstanceOf(WeChatMessage.TemplateSendJobFinish.class,
                parse(templateSendJobFinishXml(GH, OPENID, 1732600200L, 3487542469355618313L, "failed:user block")));
        assertEquals(3487542469355618313L, t.msgId());
        assertEquals("failed:user block", t.status());
        assertEquals("evt:" + OPENID + ":1732600200:TEMPLATESENDJOBFINISH:3487542469355618313", t.dedupKey());
    }

    @Test
    void unknownMsgTypeBecomesOtherWithAllFields() {
        WeChatMessage.Other o = assertInstanceOf(WeChatMessage.Other.class,
                parse(unknownTypeXml(GH, OPENID, 10L, "hologram", 77L)));
        assertEquals("hologram", o.msgType());
        assertNull(o.event());
        assertEquals("77", o.fields().get("MsgId"));
        assertEquals(GH, o.fields().get("ToUserName"));
        assertEquals("msg:77", o.dedupKey());
    }

    @Test
    void unknownEventBecomesOther() {
        WeChatMessage.Other o = assertInstanceOf(WeChatMessage.Other.class,
                parse(unknownEventXml(GH, OPENID, 11L, "scancode_push", "MENU_SCAN")));
        assertEquals("event", o.msgType());
        assertEquals("scancode_push", o.event());
        assertEquals("evt:" + OPENID + ":11:scancode_push:MENU_SCAN", o.dedupKey());
    }

    @Test
    void knownTypeWithMissingOrBrokenSpecificFieldsBecomesOtherNotAnException() {
        String noMsgId = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
                + "<MsgType>text</MsgType><Content>hi</Content></xml>";
        assertInstanceOf(WeChatMessage.Other.class, parse(noMsgId));
        String badLatitude = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
                + "<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>north</Latitude></xml>";
        WeChatMessage.Other o = assertInstanceOf(WeChatMessage.Other.class, parse(badLatitude));
        assertEquals("LOCATION", o.event());
        String eventWithoutName = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>"
                + "<CreateTime>1</CreateTime><MsgType>event</MsgType></xml>";
        assertInstanceOf(WeChatMessage.Other.class, parse(eventWithoutName));
    }

    @Test
    void missingCommonFieldsAreMalformed() {
        String noFrom = "<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>";
        assertEquals(Kind.MALFORMED_XML, assertThrows(WeChatProtocolException.class, () -> parse(noFrom)).kind());
        String badTime = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>soon</CreateTime>"
                + "<MsgType>text</MsgType></xml>";
        assertEquals(Kind.MALFORMED_XML, assertThrows(WeChatProtocolException.class, () -> parse(badTime)).kind());
        String noType = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime></xml>";
        assertEquals(Kind.MALFORMED_XML, assertThrows(WeChatProtocolException.class, () -> parse(noType)).kind());
    }

    @Test
    void retriedPushHasTheSameDedupKeyDifferentPushesDoNot() {
        String a = textXml(GH, OPENID, 1L, 100L, "hi");
        assertEquals(parse(a).dedupKey(), parse(a).dedupKey());
        assertNotEquals(parse(a).dedupKey(), parse(textXml(GH, OPENID, 1L, 101L, "hi")).dedupKey());
        assertNotEquals(parse(clickXml(GH, OPENID, 1L, "A")).dedupKey(), parse(clickXml(GH, OPENID, 1L, "B")).dedupKey());
        assertNotEquals(parse(clickXml(GH, OPENID, 1L, "A")).dedupKey(), parse(clickXml(GH, "o2", 1L, "A")).dedupKey());
    }

    @Test
    void readFlatReadsDirectChildrenRegardlessOfCdataAndKeepsTextUntrimmed() {
        Map<String, String> f = WeChatXml.readFlat(
                "<xml><A><![CDATA[ x ]]></A><B>2</B><A>second</A><C><D>nested</D></C></xml>"
                        .getBytes(StandardCharsets.UTF_8));
        assertEquals(" x ", f.get("A"));
        assertEquals("2", f.get("B"));
        assertEquals("nested", f.get("C"));
        assertNull(f.get("D"));
    }

    @Test
    void replyHelperSwapsSenderAndRecipient() {
        WeChatMessage in = parse(textXml(GH, OPENID, 1L, 1L, "hi"));
        WeChatReply.Text r = WeChatReply.text(in, "你好", 99L);
        assertEquals(OPENID, r.toUser());
        assertEquals(GH, r.fromUser());
        assertEquals(99L, r.createTime());
    }
}
