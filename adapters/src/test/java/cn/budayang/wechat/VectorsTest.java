package cn.budayang.wechat;

import cn.budayang.wechat.WeChatProtocolException.Kind;
import cn.budayang.wechat.testing.SignedRequests;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every vector of wechat-vectors.json (verified against WxJava 4.7.0 and an independent JDK implementation). */
class VectorsTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void resourceCopyIsIdenticalToTheSharedSpec() throws Exception {
        Path shared = Vectors.sharedFile();
        Assumptions.assumeTrue(shared != null && Files.isRegularFile(shared), "shared spec dir not available");
        byte[] copy;
        try (var in = VectorsTest.class.getResourceAsStream(Vectors.RESOURCE)) {
            copy = in.readAllBytes();
        }
        assertArrayEquals(Files.readAllBytes(shared), copy, "test resource copy drifted from the shared spec");
    }

    @TestFactory
    Stream<DynamicTest> signatureVectors() {
        List<JsonNode> vectors = Vectors.list("signatureVectors");
        assertEquals(2, vectors.size());
        return vectors.stream().map(v -> DynamicTest.dynamicTest(v.path("name").asText(), () -> {
            String token = v.path("token").asText();
            String ts = v.path("timestamp").asText();
            String nonce = v.path("nonce").asText();
            String expected = v.path("signature").asText();
            assertEquals(expected, WeChatSignature.sign(token, ts, nonce));
            assertEquals(expected, WeChatSignature.sign(nonce, token, ts), "argument order must not matter");
            assertTrue(WeChatSignature.matches(WeChatSignature.sign(token, ts, nonce), expected));
            assertTrue(WeChatSignature.matches(WeChatSignature.sign(token, ts, nonce), expected.toUpperCase()));
        }));
    }

    @Test
    void urlVerificationVectorEchoes() {
        JsonNode v = Vectors.list("signatureVectors").get(0);
        WeChatProtocol protocol = protocol(v.path("token").asText(), "wx0000000000000000", null,
                Long.parseLong(v.path("timestamp").asText()));
        Map<String, String> query = Map.of("signature", v.path("signature").asText(),
                "timestamp", v.path("timestamp").asText(), "nonce", v.path("nonce").asText(),
                "echostr", v.path("echostr").asText());
        assertEquals("4375120948345356249", protocol.verifyUrl(query));
    }

    @Test
    void numericSortVectorIsRejected() {
        JsonNode neg = Vectors.list("negativeVectors").get(0);
        assertEquals("numeric-sort-is-wrong", neg.path("name").asText());
        JsonNode v = Vectors.list("signatureVectors").get(1);
        String token = v.path("token").asText();
        String ts = v.path("timestamp").asText();
        String nonce = v.path("nonce").asText();
        String wrong = neg.path("wrongSignature").asText();
        // the wrong signature really is the SHA-1 of the numerically ordered concatenation
        assertEquals(wrong, WeChatSignature.sign(neg.path("wrongConcatenation").asText()));
        assertNotEquals(wrong, WeChatSignature.sign(token, ts, nonce));
        assertFalse(WeChatSignature.matches(WeChatSignature.sign(token, ts, nonce), wrong));

        WeChatProtocol protocol = protocol(token, "wx0000000000000000", null, Long.parseLong(ts));
        WeChatProtocolException e = assertThrows(WeChatProtocolException.class, () -> protocol.decode(
                Map.of("signature", wrong, "timestamp", ts, "nonce", nonce),
                SignedRequests.textXml("gh_a", "o_b", Long.parseLong(ts), 1, "hi").getBytes(StandardCharsets.UTF_8)));
        assertEquals(Kind.BAD_SIGNATURE, e.kind());
    }

    @TestFactory
    Stream<DynamicTest> cryptoVectors() {
        List<JsonNode> vectors = Vectors.list("cryptoVectors");
        assertEquals(4, vectors.size());
        return vectors.stream().flatMap(v -> {
            String name = v.path("name").asText();
            WeChatCipher cipher = new WeChatCipher(v.path("encodingAesKey").asText(), v.path("appId").asText(),
                    new SecureRandom());
            byte[] random16 = v.path("random16").asText().getBytes(StandardCharsets.US_ASCII);
            String plaintext = v.path("plaintext").asText();
            String encrypt = v.path("encrypt").asText();
            return Stream.of(
                    DynamicTest.dynamicTest(name + ": key decodes to aesKeyHex", () -> {
                        byte[] key = Base64.getDecoder().decode(v.path("encodingAesKey").asText() + "=");
                        assertEquals(v.path("aesKeyHex").asText(), HEX.formatHex(key));
                        assertEquals(v.path("random16Hex").asText(), HEX.formatHex(random16));
                    }),
                    DynamicTest.dynamicTest(name + ": Encrypt reproduced from the fixed random", () ->
                            assertEquals(encrypt, cipher.encrypt(random16, plaintext))),
                    DynamicTest.dynamicTest(name + ": decrypts back", () ->
                            assertEquals(plaintext, cipher.decrypt(encrypt))),
                    DynamicTest.dynamicTest(name + ": padded plaintext layout", () -> {
                        byte[] padded = rawDecrypt(v.path("aesKeyHex").asText(), encrypt);
                        assertEquals(v.path("paddedPlaintextHex").asText(), HEX.formatHex(padded));
                        assertEquals(v.path("ciphertextLength").asInt(), padded.length);
                        assertEquals(v.path("padLength").asInt(), padded[padded.length - 1]);
                    }),
                    DynamicTest.dynamicTest(name + ": msg_signature reproduced", () -> {
                        String token = v.path("token").asText();
                        String ts = v.path("timestamp").asText();
                        String nonce = v.path("nonce").asText();
                        assertEquals(v.path("msgSignature").asText(), WeChatSignature.sign(token, ts, nonce, encrypt));
                        EncryptedEnvelope env = EncryptedEnvelope.sign(token, encrypt, ts, nonce);
                        assertEquals(v.path("msgSignature").asText(), env.msgSignature());
                        assertTrue(env.verify(token));
                    }));
        });
    }

    @Test
    void tencentSampleKeyWithNonZeroTrailingBitsIsAccepted() {
        JsonNode v = Vectors.crypto("tencent-sample");
        String key = v.path("encodingAesKey").asText();
        assertEquals('G', key.charAt(42), "the sample key's last character carries non-zero trailing bits");
        WeChatCipher cipher = new WeChatCipher(key, v.path("appId").asText(), new SecureRandom());
        assertEquals("我是中文abcd123", cipher.decrypt(v.path("encrypt").asText()));
    }

    @Test
    void inboundSafeModeVectorDecodesThroughTheProtocol() {
        JsonNode v = Vectors.crypto("inbound-text-safe-mode");
        WeChatProtocol protocol = protocol(v.path("token").asText(), v.path("appId").asText(),
                v.path("encodingAesKey").asText(), Long.parseLong(v.path("timestamp").asText()));
        Map<String, String> query = SignedRequests.parseQuery(v.path("requestQuery").asText());
        assertEquals(v.path("urlSignature").asText(), query.get("signature"));
        WeChatProtocol.Inbound inbound = protocol.decode(query,
                v.path("requestBody").asText().getBytes(StandardCharsets.UTF_8));
        assertTrue(inbound.encrypted());
        WeChatMessage.Text text = assertInstanceOf(WeChatMessage.Text.class, inbound.message());
        assertEquals("gh_3f1e2d4c5b6a", text.toUser());
        assertEquals(v.path("openid").asText(), text.fromUser());
        assertEquals(1732599999L, text.createTime());
        assertEquals(24612345678901234L, text.msgId());
        assertEquals("你好，请问社区服务站几点开门？", text.content());
    }

    @Test
    void replyVectorResponseBodyReproducedExactly() {
        JsonNode in = Vectors.crypto("inbound-text-safe-mode");
        JsonNode v = Vectors.crypto("reply-text-safe-mode");
        long ts = Long.parseLong(v.path("timestamp").asText());
        WeChatProtocol protocol = protocol(v.path("token").asText(), v.path("appId").asText(),
                v.path("encodingAesKey").asText(), ts);
        WeChatMessage inbound = WeChatXml.parseMessage(in.path("plaintext").asText().getBytes(StandardCharsets.UTF_8));
        WeChatReply.Text reply = WeChatReply.text(inbound, "已收到，工单号 T20241126-0001", ts);

        assertEquals(v.path("plaintext").asText(), WeChatXml.render(reply));
        String body = protocol.encodeReply(reply, v.path("random16").asText().getBytes(StandardCharsets.US_ASCII),
                v.path("nonce").asText());
        assertEquals(v.path("responseBody").asText(), body);

        EncryptedEnvelope env = EncryptedEnvelope.parseReply(body.getBytes(StandardCharsets.UTF_8));
        assertEquals(v.path("msgSignature").asText(), env.msgSignature());
        assertEquals(v.path("timestamp").asText(), env.timeStamp());
        assertEquals(v.path("nonce").asText(), env.nonce());
        assertEquals(v.path("responseBody").asText(), env.render());
    }

    @Test
    void fullThirtyTwoBytePadEdgeVector() {
        JsonNode v = Vectors.crypto("edge-full-32-byte-pad");
        assertEquals(32, v.path("padLength").asInt());
        WeChatCipher cipher = new WeChatCipher(v.path("encodingAesKey").asText(), v.path("appId").asText(),
                new SecureRandom());
        byte[] padded = rawDecrypt(v.path("aesKeyHex").asText(), v.path("encrypt").asText());
        byte[] tail = Arrays.copyOfRange(padded, padded.length - 32, padded.length);
        byte[] expectedTail = new byte[32];
        Arrays.fill(expectedTail, (byte) 0x20);
        assertArrayEquals(expectedTail, tail);
        assertEquals(v.path("plaintext").asText(), cipher.decrypt(v.path("encrypt").asText()));
        assertEquals(v.path("encrypt").asText(),
                cipher.encrypt(v.path("random16").asText().getBytes(StandardCharsets.US_ASCII),
                        v.path("plaintext").asText()));
    }

    @Test
    void pkcs5PaddingCannotStripTheThirtyTwoBytePadButOurNoPaddingPathCan() throws Exception {
        JsonNode neg = Vectors.list("negativeVectors").get(1);
        assertEquals("pkcs5padding-cannot-strip-32-byte-pad", neg.path("name").asText());
        JsonNode v = Vectors.crypto("edge-full-32-byte-pad");
        byte[] key = HEX.parseHex(v.path("aesKeyHex").asText());
        Cipher pkcs5 = Cipher.getInstance("AES/CBC/PKCS5Padding");
        pkcs5.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(Arrays.copyOf(key, 16)));
        byte[] ciphertext = Base64.getDecoder().decode(v.path("encrypt").asText());
        assertThrows(BadPaddingException.class, () -> pkcs5.doFinal(ciphertext));

        WeChatCipher ours = new WeChatCipher(v.path("encodingAesKey").asText(), v.path("appId").asText(),
                new SecureRandom());
        assertEquals(v.path("plaintext").asText(), ours.decrypt(v.path("encrypt").asText()));
    }

    static byte[] rawDecrypt(String keyHex, String base64) {
        try {
            byte[] key = HEX.parseHex(keyHex);
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(Arrays.copyOf(key, 16)));
            return c.doFinal(Base64.getDecoder().decode(base64));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static WeChatProtocol protocol(String token, String appId, String aesKey, long nowEpochSecond) {
        Clock clock = Clock.fixed(Instant.ofEpochSecond(nowEpochSecond), ZoneOffset.UTC);
        return new WeChatProtocol(new WeChatCredentials(token, appId, "secret", aesKey), clock,
                WeChatProtocol.DEFAULT_FRESHNESS, new SecureRandom());
    }
}
