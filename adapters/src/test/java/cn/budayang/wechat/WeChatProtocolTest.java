package cn.budayang.wechat;

import cn.budayang.wechat.WeChatProtocolException.Kind;
import cn.budayang.wechat.testing.MutableClock;
import cn.budayang.wechat.testing.SignedRequests;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static cn.budayang.wechat.testing.SignedRequests.textXml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The protocol entry point end to end: plaintext, compatible and safe mode, and every rejection. */
class WeChatProtocolTest {

    private static final String TOKEN = "DeputyBotToken2024";
    private static final String APP_ID = "wx1a2b3c4d5e6f7a8b";
    private static final String KEY = "WeChatDeputyBotTestKey0123456789abcdefghijk";
    private static final long NOW = 1732600000L;

    private final MutableClock clock = MutableClock.atEpochSecond(NOW);
    private final WeChatProtocol protocol = new WeChatProtocol(new WeChatCredentials(TOKEN, APP_ID, "secret", KEY),
            clock, Duration.ofSeconds(300), new SecureRandom());
    private final WeChatProtocol plainOnly = new WeChatProtocol(new WeChatCredentials(TOKEN, APP_ID, "secret", null),
            clock, new SecureRandom());
    private final SignedRequests requests = new SignedRequests(TOKEN, APP_ID, KEY, clock, "1320562132");
    private final String message = textXml("gh_3f1e2d4c5b6a", "oQx1", NOW - 1, 24612345678901234L, "你好 ]]> & <b>");

    private static Kind kindOf(Runnable r) {
        return assertThrows(WeChatProtocolException.class, r::run).kind();
    }

    @Test
    void urlVerificationEchoesAndRejects() {
        Map<String, String> q = SignedRequests.parseQuery(requests.urlVerifyQuery("4375120948345356249"));
        assertEquals("4375120948345356249", protocol.verifyUrl(q));
        assertEquals("4375120948345356249", plainOnly.verifyUrl(q), "GET verification is the same without AES");

        Map<String, String> bad = new HashMap<>(q);
        bad.put("signature", "0".repeat(40));
        assertEquals(Kind.BAD_SIGNATURE, kindOf(() -> protocol.verifyUrl(bad)));
        for (String missing : List.of("signature", "timestamp", "nonce", "echostr")) {
            Map<String, String> m = new HashMap<>(q);
            m.remove(missing);
            assertEquals(Kind.MISSING_PARAMETER, kindOf(() -> protocol.verifyUrl(m)), missing);
            m.put(missing, "");
            assertEquals(Kind.MISSING_PARAMETER, kindOf(() -> protocol.verifyUrl(m)), missing);
        }
        clock.advance(Duration.ofSeconds(301));
        assertEquals(Kind.STALE_TIMESTAMP, kindOf(() -> protocol.verifyUrl(q)));
    }

    @Test
    void plaintextMode() {
        SignedRequests.Request r = requests.plaintext(message);
        assertEquals("oQx1", r.queryMap().get("openid"));
        WeChatProtocol.Inbound in = protocol.decode(r.queryMap(), r.body());
        assertFalse(in.encrypted());
        assertEquals("你好 ]]> & <b>", ((WeChatMessage.Text) in.message()).content());
        assertEquals(24612345678901234L, ((WeChatMessage.Text) in.message()).msgId());
        assertFalse(protocol.encodeReply(WeChatReply.text(in.message(), "ok", NOW), false).contains("Encrypt"));
    }

    @Test
    void safeModeDecodesAndRepliesEncrypted() {
        String msg = textXml("gh_3f1e2d4c5b6a", "oQx1", NOW - 1, 5L, "请问几点开门？");
        SignedRequests.Request r = requests.safe(msg);
        assertFalse(r.bodyText().contains("请问"));
        WeChatProtocol.Inbound in = protocol.decode(r.queryMap(), r.body());
        assertTrue(in.encrypted());
        assertEquals("请问几点开门？", ((WeChatMessage.Text) in.message()).content());

        clock.advance(Duration.ofSeconds(1));
        String reply = protocol.encodeReply(WeChatReply.text(in.message(), "已收到", NOW + 1), true);
        EncryptedEnvelope env = EncryptedEnvelope.parseReply(reply.getBytes(StandardCharsets.UTF_8));
        assertEquals(Long.toString(NOW + 1), env.timeStamp());
        assertTrue(env.nonce().matches("[1-9][0-9]{9}"), env.nonce());
        assertTrue(env.verify(TOKEN));
        Map<String, String> inner = WeChatXml.readFlat(requests.openReply(reply).getBytes(StandardCharsets.UTF_8));
        assertEquals("已收到", inner.get("Content"));
        assertEquals("oQx1", inner.get("ToUserName"));
        assertEquals("gh_3f1e2d4c5b6a", inner.get("FromUserName"));
        String second = protocol.encodeReply(WeChatReply.text(in.message(), "已收到", NOW + 1), true);
        assertNotEquals(reply, second, "fresh nonce and random prefix per reply");
    }

    @Test
    void compatibleModeUsesOnlyTheDecryptedPayload() {
        String genuine = textXml("gh_3f1e2d4c5b6a", "oQx1", NOW - 1, 7L, "genuine");
        SignedRequests.Request r = requests.compatible(genuine);
        assertTrue(r.bodyText().contains("genuine") && r.bodyText().contains("<Encrypt>"));
        assertEquals("genuine", ((WeChatMessage.Text) protocol.decode(r.queryMap(), r.body()).message()).content());

        // an attacker rewrites the unsigned plaintext elements; only the encrypted copy counts
        byte[] forged = r.bodyText().replace("genuine", "forged").replace("oQx1", "oEVIL")
                .getBytes(StandardCharsets.UTF_8);
        WeChatProtocol.Inbound in = protocol.decode(r.queryMap(), forged);
        WeChatMessage.Text t = assertInstanceOf(WeChatMessage.Text.class, in.message());
        assertEquals("genuine", t.content());
        assertEquals("oQx1", t.fromUser());
        assertTrue(in.encrypted());
    }

    @Test
    void tamperedEncryptFailsMsgSignature() {
        SignedRequests.Request r = requests.safe(message);
        String encrypt = WeChatXml.readFlat(r.body()).get("Encrypt");
        byte[] raw = Base64.getDecoder().decode(encrypt);
        raw[raw.length - 17] ^= 0x01;
        String tampered = Base64.getEncoder().encodeToString(raw);
        byte[] body = r.bodyText().replace(encrypt, tampered).getBytes(StandardCharsets.UTF_8);
        assertEquals(Kind.BAD_SIGNATURE, kindOf(() -> protocol.decode(r.queryMap(), body)));

        // even with a matching msg_signature (an attacker knowing the Token), the padding check catches the flip
        Map<String, String> q = new HashMap<>(r.queryMap());
        q.put("msg_signature", WeChatSignature.sign(TOKEN, q.get("timestamp"), q.get("nonce"), tampered));
        assertEquals(Kind.BAD_PADDING, kindOf(() -> protocol.decode(q, body)));
    }

    @Test
    void malformedEncryptedPayloadsAreTyped() {
        SignedRequests.Request r = requests.safe(message);
        for (Map.Entry<String, Kind> c : Map.of("not*base64", Kind.BAD_BASE64,
                Base64.getEncoder().encodeToString(new byte[24]), Kind.BAD_CIPHERTEXT).entrySet()) {
            Map<String, String> q = new HashMap<>(r.queryMap());
            q.put("msg_signature", WeChatSignature.sign(TOKEN, q.get("timestamp"), q.get("nonce"), c.getKey()));
            byte[] body = ("<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[" + c.getKey() + "]]></Encrypt></xml>")
                    .getBytes(StandardCharsets.UTF_8);
            assertEquals(c.getValue(), kindOf(() -> protocol.decode(q, body)), c.getKey());
        }
        Map<String, String> q = new HashMap<>(r.queryMap());
        assertEquals(Kind.MALFORMED_XML, kindOf(() -> protocol.decode(q,
                "<xml><ToUserName>gh</ToUserName></xml>".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void encryptedPayloadForAnotherAppIdIsRejected() {
        SignedRequests other = new SignedRequests(TOKEN, "wxOTHERAPP0000000", KEY, clock, "99");
        SignedRequests.Request r = other.safe(message);
        assertEquals(Kind.WRONG_APP_ID, kindOf(() -> protocol.decode(r.queryMap(), r.body())));
    }

    @Test
    void staleAndFutureTimestampsAreRejected() {
        SignedRequests.Request r = requests.plaintext(message);
        clock.advance(Duration.ofSeconds(300));
        protocol.decode(r.queryMap(), r.body()); // exactly at the edge is accepted
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Kind.STALE_TIMESTAMP, kindOf(() -> protocol.decode(r.queryMap(), r.body())));
        clock.set(java.time.Instant.ofEpochSecond(NOW - 301));
        assertEquals(Kind.STALE_TIMESTAMP, kindOf(() -> protocol.decode(r.queryMap(), r.body())));
    }

    @Test
    void aTimestampThatWouldOverflowTheFreshnessCheckIsStale() {
        String ts = Long.toString(NOW + Long.MIN_VALUE); // now - ts overflows back into the window
        Map<String, String> q = Map.of("signature", WeChatSignature.sign(TOKEN, ts, "1"), "timestamp", ts,
                "nonce", "1");
        assertEquals(Kind.STALE_TIMESTAMP, kindOf(() -> protocol.decode(q, message.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void nonNumericTimestampWithValidSignatureIsStale() {
        Map<String, String> q = Map.of("signature", WeChatSignature.sign(TOKEN, "abc", "1"), "timestamp", "abc",
                "nonce", "1");
        assertEquals(Kind.STALE_TIMESTAMP, kindOf(() -> protocol.decode(q, message.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void missingParametersAndBadSignature() {
        SignedRequests.Request plain = requests.plaintext(message);
        for (String missing : List.of("signature", "timestamp", "nonce")) {
            Map<String, String> q = new HashMap<>(plain.queryMap());
            q.remove(missing);
            assertEquals(Kind.MISSING_PARAMETER, kindOf(() -> protocol.decode(q, plain.body())), missing);
        }
        SignedRequests.Request safe = requests.safe(message);
        Map<String, String> noMsgSig = new HashMap<>(safe.queryMap());
        noMsgSig.remove("msg_signature");
        assertEquals(Kind.MISSING_PARAMETER, kindOf(() -> protocol.decode(noMsgSig, safe.body())));

        Map<String, String> badSig = new HashMap<>(plain.queryMap());
        badSig.put("signature", WeChatSignature.sign("another-token", badSig.get("timestamp"), badSig.get("nonce")));
        assertEquals(Kind.BAD_SIGNATURE, kindOf(() -> protocol.decode(badSig, plain.body())));

        Map<String, String> badMsgSig = new HashMap<>(safe.queryMap());
        badMsgSig.put("msg_signature", "f".repeat(40));
        assertEquals(Kind.BAD_SIGNATURE, kindOf(() -> protocol.decode(badMsgSig, safe.body())));

        Map<String, String> weird = new HashMap<>(plain.queryMap());
        weird.put("encrypt_type", "rot13");
        assertEquals(Kind.MISSING_PARAMETER, kindOf(() -> protocol.decode(weird, plain.body())));
    }

    @Test
    void signatureIsCheckedBeforeTheBodyIsParsed() {
        Map<String, String> badSig = new HashMap<>(requests.plaintext(message).queryMap());
        badSig.put("signature", "0".repeat(40));
        assertEquals(Kind.BAD_SIGNATURE, kindOf(() -> protocol.decode(badSig, "garbage".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void encryptedPushWithoutConfiguredKey() {
        SignedRequests.Request r = requests.safe(message);
        assertEquals(Kind.AES_NOT_CONFIGURED, kindOf(() -> plainOnly.decode(r.queryMap(), r.body())));
        assertEquals(Kind.AES_NOT_CONFIGURED,
                kindOf(() -> plainOnly.encodeReply(new WeChatReply.Text("o", "g", 1L, "x"), true)));
        SignedRequests.Request p = requests.plaintext(message);
        assertInstanceOf(WeChatMessage.Text.class, plainOnly.decode(p.queryMap(), p.body()).message());
    }

    @Test
    void exceptionMessagesNeverContainSecretsOrTheBody() {
        String secretContent = "MY-PRIVATE-QUESTION-CONTENT";
        SignedRequests.Request r = requests.safe(textXml("gh", "o", NOW, 1L, secretContent));
        Map<String, String> badMsgSig = new HashMap<>(r.queryMap());
        badMsgSig.put("msg_signature", "f".repeat(40));
        WeChatProtocolException e = assertThrows(WeChatProtocolException.class,
                () -> protocol.decode(badMsgSig, r.body()));
        WeChatProtocolException e2 = assertThrows(WeChatProtocolException.class,
                () -> new WeChatProtocol(new WeChatCredentials(TOKEN, "wxOTHER", "s", KEY), clock, new SecureRandom())
                        .decode(r.queryMap(), r.body()));
        for (WeChatProtocolException x : List.of(e, e2)) {
            assertFalse(x.getMessage().contains(TOKEN));
            assertFalse(x.getMessage().contains(KEY));
            assertFalse(x.getMessage().contains(secretContent));
            assertFalse(x.getMessage().contains(WeChatXml.readFlat(r.body()).get("Encrypt")));
        }
        assertFalse(protocol.toString().contains(TOKEN));
        assertFalse(protocol.toString().contains(KEY));
    }

    @Test
    void freshnessMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new WeChatProtocol(
                new WeChatCredentials(TOKEN, APP_ID, "s", null), clock, Duration.ZERO, new SecureRandom()));
    }
}
