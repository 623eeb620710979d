package cn.budayang.wechat;

import cn.budayang.wechat.WeChatProtocolException.Kind;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeChatCipherTest {

    private static final JsonNode V = Vectors.crypto("inbound-text-safe-mode");
    private static final String KEY = V.path("encodingAesKey").asText();
    private static final String APP_ID = V.path("appId").asText();
    private static final byte[] RAW_KEY = HexFormat.of().parseHex(V.path("aesKeyHex").asText());

    private final WeChatCipher cipher = new WeChatCipher(KEY, APP_ID, new SecureRandom());

    private static Kind kindOf(Runnable r) {
        return assertThrows(WeChatProtocolException.class, r::run).kind();
    }

    /** AES/CBC/NoPadding over an arbitrary (already block-aligned) plaintext with the vector key. */
    private static String rawEncrypt(byte[] plain) {
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(RAW_KEY, "AES"),
                    new IvParameterSpec(Arrays.copyOf(RAW_KEY, 16)));
            return Base64.getEncoder().encodeToString(c.doFinal(plain));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** random16 || len || msg || appId || pad, with the given pad bytes (not necessarily valid). */
    private static byte[] layout(int declaredLen, byte[] msg, byte[] appId, byte[] pad) {
        ByteBuffer b = ByteBuffer.allocate(20 + msg.length + appId.length + pad.length);
        b.put("0123456789abcdef".getBytes(StandardCharsets.US_ASCII)).putInt(declaredLen).put(msg).put(appId).put(pad);
        return b.array();
    }

    private static byte[] pad(int count, int value) {
        byte[] p = new byte[count];
        Arrays.fill(p, (byte) value);
        return p;
    }

    @Test
    void roundTripWithRandomPrefixUsesAlphanumericsAndDiffersEachTime() {
        String a = cipher.encrypt("<xml>你好</xml>");
        String b = cipher.encrypt("<xml>你好</xml>");
        assertNotEquals(a, b);
        assertEquals("<xml>你好</xml>", cipher.decrypt(a));
        byte[] prefix = Arrays.copyOf(VectorsTest.rawDecrypt(V.path("aesKeyHex").asText(), a), 16);
        assertTrue(new String(prefix, StandardCharsets.US_ASCII).matches("[A-Za-z0-9]{16}"));
        assertFalse(a.contains("\n"), "Base64 must not be line-wrapped");
    }

    @Test
    void handBuiltValidLayoutDecrypts() {
        byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
        byte[] app = APP_ID.getBytes(StandardCharsets.US_ASCII);
        int unpadded = 20 + msg.length + app.length;
        int k = 32 - unpadded % 32;
        assertEquals("hello", cipher.decrypt(rawEncrypt(layout(msg.length, msg, app, pad(k, k)))));
    }

    @Test
    void wrongAppIdIsRejected() {
        WeChatCipher other = new WeChatCipher(KEY, "wxffffffffffffffff", new SecureRandom());
        WeChatProtocolException e = assertThrows(WeChatProtocolException.class,
                () -> other.decrypt(V.path("encrypt").asText()));
        assertEquals(Kind.WRONG_APP_ID, e.kind());
        // also a prefix of our AppID must not pass
        WeChatCipher prefix = new WeChatCipher(KEY, APP_ID.substring(0, 10), new SecureRandom());
        assertEquals(Kind.WRONG_APP_ID, kindOf(() -> prefix.decrypt(V.path("encrypt").asText())));
    }

    @Test
    void badPaddingIsRejected() {
        byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
        byte[] app = APP_ID.getBytes(StandardCharsets.US_ASCII);
        int k = 32 - (20 + msg.length + app.length) % 32;
        // last byte 0
        byte[] zero = layout(msg.length, msg, app, pad(k, 0));
        assertEquals(Kind.BAD_PADDING, kindOf(() -> cipher.decrypt(rawEncrypt(zero))));
        // last byte 33 (> 32)
        byte[] big = layout(msg.length, msg, app, pad(k, 33));
        assertEquals(Kind.BAD_PADDING, kindOf(() -> cipher.decrypt(rawEncrypt(big))));
        // right last byte, but not all pad bytes equal
        byte[] mixed = layout(msg.length, msg, app, pad(k, k));
        mixed[mixed.length - 2] = (byte) (k + 1);
        assertEquals(Kind.BAD_PADDING, kindOf(() -> cipher.decrypt(rawEncrypt(mixed))));
    }

    @Test
    void wrongKeyIsRejected() {
        WeChatCipher wrongKey = new WeChatCipher("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", APP_ID,
                new SecureRandom());
        Kind kind = kindOf(() -> wrongKey.decrypt(V.path("encrypt").asText()));
        assertTrue(kind == Kind.BAD_PADDING || kind == Kind.BAD_CIPHERTEXT || kind == Kind.WRONG_APP_ID, kind.name());
    }

    @Test
    void lengthFieldBeyondTheBlockIsRejected() {
        byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
        byte[] app = APP_ID.getBytes(StandardCharsets.US_ASCII);
        int k = 32 - (20 + msg.length + app.length) % 32;
        byte[] lying = layout(0x7FFFFFF0, msg, app, pad(k, k));
        assertEquals(Kind.BAD_CIPHERTEXT, kindOf(() -> cipher.decrypt(rawEncrypt(lying))));
        byte[] negative = layout(-1, msg, app, pad(k, k));
        assertEquals(Kind.BAD_CIPHERTEXT, kindOf(() -> cipher.decrypt(rawEncrypt(negative))));
    }

    @Test
    void badBase64IsRejected() {
        assertEquals(Kind.BAD_BASE64, kindOf(() -> cipher.decrypt("not*base64!")));
        assertEquals(Kind.BAD_BASE64, kindOf(() -> cipher.decrypt("QUJD\nREVG")));
    }

    @Test
    void lengthNotMultipleOfSixteenIsRejected() {
        assertEquals(Kind.BAD_CIPHERTEXT, kindOf(() -> cipher.decrypt(Base64.getEncoder().encodeToString(new byte[20]))));
        assertEquals(Kind.BAD_CIPHERTEXT, kindOf(() -> cipher.decrypt("")));
    }

    @Test
    void invalidKeysFailAtConstructionWithoutShowingTheKey() {
        String shortKey = "tooShort";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WeChatCipher(shortKey, APP_ID, new SecureRandom()));
        assertFalse(e.getMessage().contains(shortKey));
        String badChars = "WeChatDeputyBotTestKey0123456789abcdefghij!";
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> new WeChatCipher(badChars, APP_ID, new SecureRandom()));
        assertFalse(e2.getMessage().contains(badChars));
    }

    @Test
    void toStringNeverShowsTheKey() {
        assertFalse(cipher.toString().contains(KEY));
        assertTrue(cipher.toString().contains(APP_ID));
        WeChatCredentials c = new WeChatCredentials("the-token-value", APP_ID, "the-app-secret", KEY);
        assertFalse(c.toString().contains("the-token-value"));
        assertFalse(c.toString().contains("the-app-secret"));
        assertFalse(c.toString().contains(KEY));
        assertTrue(c.aesEnabled());
        assertFalse(new WeChatCredentials("t", APP_ID, "s", " ").aesEnabled());
    }
}
