package cn.budayang.wechat;

import java.util.Objects;

/**
 * A request or payload that does not satisfy the WeChat push protocol.
 *
 * <p>The {@link #kind()} tells the HTTP layer how to answer (for example {@link Kind#BAD_SIGNATURE} and
 * {@link Kind#STALE_TIMESTAMP} map to 403, {@link Kind#TOO_LARGE} to 413, the rest to 400). Messages say what
 * was wrong and what to check; they never contain the token, the AES key, the AppSecret or the request body.
 */
public final class WeChatProtocolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** {@code signature} or {@code msg_signature} does not match. */
        BAD_SIGNATURE,
        /** {@code timestamp} outside the freshness window, or not a Unix time. */
        STALE_TIMESTAMP,
        /** A required query parameter (or an unsupported {@code encrypt_type}) was found. */
        MISSING_PARAMETER,
        /** The body (or the decrypted payload) is not the expected XML. */
        MALFORMED_XML,
        /** The body exceeds {@link WeChatXml#MAX_BYTES}. */
        TOO_LARGE,
        /** {@code Encrypt} is not valid Base64. */
        BAD_BASE64,
        /** The ciphertext has a wrong length or an inconsistent inner layout. */
        BAD_CIPHERTEXT,
        /** The decrypted block does not end in a valid 1..32 byte PKCS#7 pad (often a wrong EncodingAESKey). */
        BAD_PADDING,
        /** The decrypted AppID is not ours. */
        WRONG_APP_ID,
        /** {@code encrypt_type=aes} arrived but no EncodingAESKey is configured. */
        AES_NOT_CONFIGURED
    }

    private final Kind kind;

    public WeChatProtocolException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public WeChatProtocolException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** The category of the failure; never null. */
    public Kind kind() {
        return kind;
    }
}
