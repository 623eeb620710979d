package cn.budayang.wechat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * WeChat's SHA-1 signatures: {@code signature = sha1(sort(token, timestamp, nonce))} and
 * {@code msg_signature = sha1(sort(token, timestamp, nonce, Encrypt))}.
 */
public final class WeChatSignature {

    private WeChatSignature() {
    }

    /**
     * Sorts the parts lexicographically by UTF-16 code unit (not numerically), concatenates them without
     * separator and returns the SHA-1 of the UTF-8 bytes as 40 lowercase hex digits.
     *
     * @throws NullPointerException if {@code parts} or any part is null
     */
    public static String sign(String... parts) {
        String[] sorted = parts.clone();
        for (String p : sorted) {
            Objects.requireNonNull(p, "signature part");
        }
        Arrays.sort(sorted);
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            return HexFormat.of().formatHex(sha1.digest(String.join("", sorted).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by every Java platform", e);
        }
    }

    /**
     * Compares a computed signature with a received one in constant time (for equal lengths). The received value
     * is compared case-insensitively. Returns false when either argument is null.
     */
    public static boolean matches(String expectedHex, String received) {
        if (expectedHex == null || received == null) {
            return false;
        }
        return MessageDigest.isEqual(
                expectedHex.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8),
                received.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
    }
}
