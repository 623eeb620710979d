package cn.budayang.wechat;

import cn.budayang.wechat.WeChatProtocolException.Kind;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * WeChat's message encryption: AES-256-CBC without JCE padding, IV = first 16 key bytes, plaintext
 * {@code random[16] || len[4, big-endian] || msg || appId || pad} with PKCS#7 padding to 32-byte blocks.
 *
 * <p>Immutable and thread-safe (a {@link Cipher} is created per call). {@link #toString()} never shows the key.
 */
public final class WeChatCipher {

    private static final int BLOCK = 32;
    private static final String ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final SecretKeySpec key;
    private final IvParameterSpec iv;
    private final byte[] appId;
    private final String appIdText;
    private final SecureRandom random;

    /**
     * @param encodingAesKey the 43-character EncodingAESKey; decoded as {@code Base64(key + "=")}, which tolerates
     *                       non-zero trailing bits in the last character
     * @param appId          our AppID, checked on every decryption
     * @param random         source of the 16 random prefix characters
     * @throws IllegalArgumentException if the key is not 43 Base64 characters decoding to 32 bytes
     */
    public WeChatCipher(String encodingAesKey, String appId, SecureRandom random) {
        Objects.requireNonNull(encodingAesKey, "encodingAesKey");
        this.appIdText = Objects.requireNonNull(appId, "appId");
        this.random = Objects.requireNonNull(random, "random");
        if (encodingAesKey.length() != 43) {
            throw new IllegalArgumentException("EncodingAESKey must have 43 characters, it has "
                    + encodingAesKey.length() + "; copy it again from the WeChat platform");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(encodingAesKey + "=");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("EncodingAESKey is not Base64 ([A-Za-z0-9+/]); copy it again from the"
                    + " WeChat platform");
        }
        if (raw.length != 32) {
            throw new IllegalArgumentException("EncodingAESKey must decode to 32 bytes, got " + raw.length);
        }
        this.key = new SecretKeySpec(raw, "AES");
        this.iv = new IvParameterSpec(Arrays.copyOf(raw, 16));
        this.appId = appId.getBytes(StandardCharsets.UTF_8);
    }

    /** Encrypts with 16 random alphanumerics as prefix; returns standard Base64 without line breaks. */
    public String encrypt(String plaintext) {
        byte[] prefix = new byte[16];
        for (int i = 0; i < prefix.length; i++) {
            prefix[i] = (byte) ALPHANUMERIC.charAt(random.nextInt(ALPHANUMERIC.length()));
        }
        return encrypt(prefix, plaintext);
    }

    /**
     * Deterministic encryption for known vectors.
     *
     * @param random16 exactly 16 bytes placed before the length field
     */
    public String encrypt(byte[] random16, String plaintext) {
        if (random16 == null || random16.length != 16) {
            throw new IllegalArgumentException("random prefix must be exactly 16 bytes");
        }
        byte[] msg = plaintext.getBytes(StandardCharsets.UTF_8);
        int unpadded = 16 + 4 + msg.length + appId.length;
        int pad = BLOCK - (unpadded % BLOCK);
        ByteBuffer buf = ByteBuffer.allocate(unpadded + pad);
        buf.put(random16).putInt(msg.length).put(msg).put(appId);
        for (int i = 0; i < pad; i++) {
            buf.put((byte) pad);
        }
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, iv);
            return Base64.getEncoder().encodeToString(c.doFinal(buf.array()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/CBC/NoPadding with a 256-bit key is unavailable", e);
        }
    }

    /**
     * Decrypts an {@code Encrypt} value and returns the inner message (UTF-8).
     *
     * @throws WeChatProtocolException {@link Kind#BAD_BASE64}; {@link Kind#BAD_CIPHERTEXT} when the length is
     *                                 zero or not a multiple of 16, or the length field or UTF-8 is inconsistent;
     *                                 {@link Kind#BAD_PADDING} unless the last byte k is 1..32 and the last k
     *                                 bytes all equal k; {@link Kind#WRONG_APP_ID} when the trailing AppID is not ours
     */
    public String decrypt(String base64) {
        byte[] data;
        try {
            data = Base64.getDecoder().decode(Objects.requireNonNull(base64, "base64"));
        } catch (IllegalArgumentException e) {
            throw new WeChatProtocolException(Kind.BAD_BASE64, "Encrypt is not valid standard Base64");
        }
        if (data.length == 0 || data.length % 16 != 0) {
            throw new WeChatProtocolException(Kind.BAD_CIPHERTEXT,
                    "ciphertext length " + data.length + " is not a positive multiple of 16 bytes");
        }
        byte[] plain;
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, iv);
            plain = c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new WeChatProtocolException(Kind.BAD_CIPHERTEXT, "AES decryption failed", e);
        }
        int pad = plain[plain.length - 1] & 0xFF;
        if (pad < 1 || pad > BLOCK || pad > plain.length) {
            throw new WeChatProtocolException(Kind.BAD_PADDING, "decrypted block has pad value " + pad
                    + " (expected 1..32); is the EncodingAESKey the one configured on the platform?");
        }
        for (int i = plain.length - pad; i < plain.length; i++) {
            if ((plain[i] & 0xFF) != pad) {
                throw new WeChatProtocolException(Kind.BAD_PADDING, "decrypted block has inconsistent padding;"
                        + " is the EncodingAESKey the one configured on the platform?");
            }
        }
        int end = plain.length - pad;
        if (end < 20) {
            throw new WeChatProtocolException(Kind.BAD_CIPHERTEXT, "decrypted block is too short for its header");
        }
        long len = ByteBuffer.wrap(plain, 16, 4).getInt() & 0xFFFFFFFFL;
        if (20 + len > end) {
            throw new WeChatProtocolException(Kind.BAD_CIPHERTEXT,
                    "message length field " + len + " exceeds the decrypted block");
        }
        int msgEnd = 20 + (int) len;
        byte[] receivedAppId = Arrays.copyOfRange(plain, msgEnd, end);
        if (!MessageDigest.isEqual(receivedAppId, appId)) {
            throw new WeChatProtocolException(Kind.WRONG_APP_ID,
                    "decrypted message is addressed to another AppID than " + appIdText
                            + "; check WECHAT_APP_ID and the EncodingAESKey");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(plain, 20, (int) len))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new WeChatProtocolException(Kind.BAD_CIPHERTEXT, "decrypted message is not valid UTF-8", e);
        }
    }

    @Override
    public String toString() {
        return "WeChatCipher[appId=" + appIdText + ", key=***]";
    }
}
