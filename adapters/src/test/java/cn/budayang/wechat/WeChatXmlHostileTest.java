package cn.budayang.wechat;

import cn.budayang.wechat.WeChatProtocolException.Kind;
import cn.budayang.wechat.testing.SignedRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hostile and broken XML, and reply rendering that must stay well-formed. */
class WeChatXmlHostileTest {

    private static final String HEAD = "<ToUserName><![CDATA[gh_a]]></ToUserName><FromUserName><![CDATA[o_b]]>"
            + "</FromUserName><CreateTime>1732600000</CreateTime><MsgType><![CDATA[text]]></MsgType>";

    @TempDir
    Path tmp;

    private static WeChatProtocolException refused(String xml) {
        return assertThrows(WeChatProtocolException.class,
                () -> WeChatXml.parseMessage(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static void assertSecretNowhere(Throwable e, String secret) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains(secret), "secret leaked into: " + t);
            assertFalse(t.toString().contains(secret));
        }
    }

    private Path secretFile() throws Exception {
        String secret = "TOP-SECRET-" + UUID.randomUUID();
        Path file = tmp.resolve("secret.txt");
        Files.writeString(file, secret);
        return file;
    }

    @Test
    void deepNestingIsMalformedNotAStackOverflowAndWeChatsOwnNestingParses() {
        String deep = "<a>".repeat(9000) + "x" + "</a>".repeat(9000);
        WeChatProtocolException e = refused("<xml>" + HEAD + "<Content>" + deep + "</Content><MsgId>1</MsgId></xml>");
        assertEquals(Kind.MALFORMED_XML, e.kind());

        // the deepest push WeChat sends: a picture-menu event, five levels with the root
        String pics = "<xml><ToUserName><![CDATA[gh_a]]></ToUserName><FromUserName><![CDATA[o_b]]></FromUserName>"
                + "<CreateTime>1732600000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                + "<Event><![CDATA[pic_sysphoto]]></Event><EventKey><![CDATA[k]]></EventKey>"
                + "<SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[abc]]></PicMd5Sum></item>"
                + "</PicList></SendPicsInfo></xml>";
        Map<String, String> fields = WeChatXml.readFlat(pics.getBytes(StandardCharsets.UTF_8));
        assertEquals("1abc", fields.get("SendPicsInfo"));
    }

    @Test
    void externalEntityIsRefusedAndTheFileNeverAppears() throws Exception {
        Path file = secretFile();
        String secret = Files.readString(file);
        String xxe = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE xml [<!ENTITY xxe SYSTEM \""
                + file.toUri() + "\">]>\n<xml>" + HEAD + "<Content>&xxe;</Content><MsgId>1</MsgId></xml>";
        WeChatProtocolException e = refused(xxe);
        assertEquals(Kind.MALFORMED_XML, e.kind());
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
        assertSecretNowhere(e, secret);
    }

    @Test
    void externalEntityIsRefusedThroughTheProtocolInPlaintextAndSafeModeEnvelope() throws Exception {
        Path file = secretFile();
        String secret = Files.readString(file);
        String key = "WeChatDeputyBotTestKey0123456789abcdefghijk";
        Clock clock = Clock.fixed(Instant.ofEpochSecond(1732600000L), ZoneOffset.UTC);
        WeChatProtocol protocol = new WeChatProtocol(new WeChatCredentials("tok", "wx1", "s", key), clock,
                Duration.ofSeconds(300), new SecureRandom());
        SignedRequests requests = new SignedRequests("tok", "wx1", key, clock, "123");
        String dtd = "<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"" + file.toUri() + "\">]>";

        SignedRequests.Request plain = requests.plaintext(SignedRequests.textXml("gh_a", "o_b", 1L, 1L, "x"));
        WeChatProtocolException e1 = assertThrows(WeChatProtocolException.class, () -> protocol.decode(
                plain.queryMap(), (dtd + "<xml>" + HEAD + "<Content>&xxe;</Content><MsgId>1</MsgId></xml>")
                        .getBytes(StandardCharsets.UTF_8)));
        assertEquals(Kind.MALFORMED_XML, e1.kind());
        assertSecretNowhere(e1, secret);

        // safe mode: the unauthenticated outer envelope is parsed before msg_signature can be checked
        SignedRequests.Request safe = requests.safe(SignedRequests.textXml("gh_a", "o_b", 1L, 1L, "x"));
        WeChatProtocolException e2 = assertThrows(WeChatProtocolException.class, () -> protocol.decode(
                safe.queryMap(), (dtd + "<xml><ToUserName>&xxe;</ToUserName><Encrypt>AAAA</Encrypt></xml>")
                        .getBytes(StandardCharsets.UTF_8)));
        assertEquals(Kind.MALFORMED_XML, e2.kind());
        assertSecretNowhere(e2, secret);
    }

    @Test
    void externalDtdAndParameterEntitiesAreRefused() {
        assertEquals(Kind.MALFORMED_XML, refused("<!DOCTYPE xml SYSTEM \"http://127.0.0.1:1/evil.dtd\"><xml>"
                + HEAD + "<Content>x</Content><MsgId>1</MsgId></xml>").kind());
        assertEquals(Kind.MALFORMED_XML, refused("<!DOCTYPE xml [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/p\"> %p;]>"
                + "<xml>" + HEAD + "<Content>x</Content><MsgId>1</MsgId></xml>").kind());
    }

    @Test
    void xincludeIsNotProcessed() throws Exception {
        Path file = secretFile();
        String secret = Files.readString(file);
        String xml = "<xml xmlns:xi=\"http://www.w3.org/2001/XInclude\">" + HEAD
                + "<Content><xi:include href=\"" + file.toUri() + "\" parse=\"text\"/></Content><MsgId>1</MsgId></xml>";
        Map<String, String> fields = WeChatXml.readFlat(xml.getBytes(StandardCharsets.UTF_8));
        fields.values().forEach(v -> assertFalse(v.contains(secret)));
        WeChatMessage m = WeChatXml.parseMessage(xml.getBytes(StandardCharsets.UTF_8));
        assertFalse(m.toString().contains(secret));
    }

    @Test
    void billionLaughsIsRefusedQuickly() {
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY lol0 \"lol\">");
        for (int i = 1; i <= 10; i++) {
            sb.append("<!ENTITY lol").append(i).append(" \"");
            for (int j = 0; j < 10; j++) {
                sb.append("&lol").append(i - 1).append(';');
            }
            sb.append("\">");
        }
        sb.append("]><xml>").append(HEAD).append("<Content>&lol10;</Content><MsgId>1</MsgId></xml>");
        WeChatProtocolException e = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> refused(sb.toString()));
        assertEquals(Kind.MALFORMED_XML, e.kind());
    }

    @Test
    void plainDoctypeIsRefused() {
        assertEquals(Kind.MALFORMED_XML,
                refused("<!DOCTYPE xml><xml>" + HEAD + "<Content>x</Content><MsgId>1</MsgId></xml>").kind());
    }

    @Test
    void oversizedBodyIsRefusedBeforeParsing() {
        String big = "<xml>" + HEAD + "<Content>" + "a".repeat(WeChatXml.MAX_BYTES) + "</Content><MsgId>1</MsgId></xml>";
        assertEquals(Kind.TOO_LARGE, refused(big).kind());
        // just under the limit is fine
        String ok = "<xml>" + HEAD + "<Content>" + "a".repeat(200 * 1024) + "</Content><MsgId>1</MsgId></xml>";
        assertEquals(200 * 1024, ((WeChatMessage.Text) WeChatXml.parseMessage(ok.getBytes(StandardCharsets.UTF_8)))
                .content().length());
    }

    @Test
    void truncatedGarbageAndWrongRootAreMalformed() {
        String whole = "<xml>" + HEAD + "<Content>x</Content><MsgId>1</MsgId></xml>";
        for (String bad : List.of(whole.substring(0, whole.length() - 10), "garbage", "{\"msgtype\":\"text\"}",
                "<notxml>" + HEAD + "</notxml>", "<xml><a></b></xml>", "<xml>", "\u0000\u0001")) {
            assertEquals(Kind.MALFORMED_XML, refused(bad).kind(), bad);
        }
        assertEquals(Kind.MALFORMED_XML, assertThrows(WeChatProtocolException.class,
                () -> WeChatXml.readFlat(new byte[0])).kind());
        assertEquals(Kind.MALFORMED_XML, assertThrows(WeChatProtocolException.class,
                () -> WeChatXml.readFlat(null)).kind());
    }

    @Test
    void cdataTerminatorInReplyContentStaysValidXml() {
        String hostile = "x]]><Injected>1</Injected><![CDATA[y";
        String rendered = WeChatXml.render(new WeChatReply.Text("o_b", "gh_a", 5L, hostile));
        assertTrue(rendered.contains("]]]]><![CDATA[>"));
        Map<String, String> back = WeChatXml.readFlat(rendered.getBytes(StandardCharsets.UTF_8));
        assertEquals(hostile, back.get("Content"));
        assertFalse(back.containsKey("Injected"));
        assertEquals("text", back.get("MsgType"));
    }

    @Test
    void manyTerminatorsAndControlCharactersRoundTrip() {
        String content = "]]>]]]>>]]";
        Map<String, String> back = WeChatXml.readFlat(WeChatXml.render(new WeChatReply.Text("o", "g", 1L,
                content + "\u0000\u0007ok")).getBytes(StandardCharsets.UTF_8));
        assertEquals(content + "ok", back.get("Content"), "XML-forbidden control characters are dropped");
    }

    @Test
    void allReplyTypesRenderAsTheSpecShowsAndParseBack() {
        assertEquals("<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[g]]></FromUserName>"
                        + "<CreateTime>7</CreateTime><MsgType><![CDATA[image]]></MsgType>"
                        + "<Image><MediaId><![CDATA[MEDIA_ID]]></MediaId></Image></xml>",
                WeChatXml.render(new WeChatReply.Image("o", "g", 7L, "MEDIA_ID")));

        String news = WeChatXml.render(new WeChatReply.News("o", "g", 8L, List.of(new WeChatReply.News.Article(
                "服务站开放时间", "点击查看详情", "https://example.org/p.jpg", "https://example.org/a"))));
        assertEquals("<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[g]]></FromUserName>"
                + "<CreateTime>8</CreateTime><MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount>"
                + "<Articles><item><Title><![CDATA[服务站开放时间]]></Title><Description><![CDATA[点击查看详情]]>"
                + "</Description><PicUrl><![CDATA[https://example.org/p.jpg]]></PicUrl><Url><![CDATA["
                + "https://example.org/a]]></Url></item></Articles></xml>", news);

        Map<String, String> kf = WeChatXml.readFlat(WeChatXml.render(
                new WeChatReply.TransferCustomerService("o", "g", 9L, "agent@account")).getBytes(StandardCharsets.UTF_8));
        assertEquals("transfer_customer_service", kf.get("MsgType"));
        assertEquals("agent@account", kf.get("TransInfo"));
        assertFalse(WeChatXml.render(new WeChatReply.TransferCustomerService("o", "g", 9L, null)).contains("TransInfo"));
        assertThrows(IllegalArgumentException.class, () -> new WeChatReply.News("o", "g", 1L, List.of()));
    }
}
