package cn.budayang.wechat;

import cn.budayang.wechat.WeChatProtocolException.Kind;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The WeChat push protocol as one object: the HTTP layer maps a request to {@link #verifyUrl(Map)} or
 * {@link #decode(Map, byte[])} and a reply to {@link #encodeReply(WeChatReply, boolean)}, and maps
 * {@link WeChatProtocolException#kind()} to a status. Query maps hold URL-decoded parameter values.
 *
 * <p>Immutable and thread-safe.
 */
public final class WeChatProtocol {

    /** The default freshness window for {@code timestamp}: 300 s either way. */
    public static final Duration DEFAULT_FRESHNESS = Duration.ofSeconds(300);

    /** The result of decoding a push: the message and whether it came encrypted (then reply encrypted). */
    public record Inbound(WeChatMessage message, boolean encrypted) {
        public Inbound {
            Objects.requireNonNull(message, "message");
        }
    }

    private final WeChatCredentials credentials;
    private final Clock clock;
    private final Duration freshness;
    private final SecureRandom random;
    private final WeChatCipher cipher;

    /**
     * @param freshness how far {@code timestamp} may be from now, either way; positive
     * @throws IllegalArgumentException if the configured EncodingAESKey is invalid or freshness is not positive
     */
    public WeChatProtocol(WeChatCredentials credentials, Clock clock, Duration freshness, SecureRandom random) {
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.freshness = Objects.requireNonNull(freshness, "freshness");
        this.random = Objects.requireNonNull(random, "random");
        if (freshness.isNegative() || freshness.isZero()) {
            throw new IllegalArgumentException("freshness must be positive, was " + freshness);
        }
        this.cipher = credentials.aesEnabled()
                ? new WeChatCipher(credentials.encodingAesKey(), credentials.appId(), random)
                : null;
    }

    /** As the four-argument constructor with {@link #DEFAULT_FRESHNESS}. */
    public WeChatProtocol(WeChatCredentials credentials, Clock clock, SecureRandom random) {
        this(credentials, clock, DEFAULT_FRESHNESS, random);
    }

    /**
     * URL verification (GET): returns {@code echostr} verbatim when {@code signature} over (token, timestamp,
     * nonce) holds and the timestamp is fresh.
     *
     * @throws WeChatProtocolException {@link Kind#MISSING_PARAMETER}, {@link Kind#BAD_SIGNATURE} or
     *                                 {@link Kind#STALE_TIMESTAMP}
     */
    public String verifyUrl(Map<String, String> query) {
        String echostr = require(query, "echostr");
        checkSignatureAndFreshness(query);
        return echostr;
    }

    /**
     * Decodes a push (POST). Order: required parameters, {@code signature}, freshness, then the body. With
     * {@code encrypt_type=aes} it verifies {@code msg_signature} over (token, timestamp, nonce, Encrypt), decrypts
     * and parses only the decrypted XML (the plaintext elements of compatible mode are ignored).
     *
     * @throws WeChatProtocolException any {@link Kind}; {@link Kind#AES_NOT_CONFIGURED} for an encrypted push
     *                                 without a configured EncodingAESKey
     */
    public Inbound decode(Map<String, String> query, byte[] body) {
        checkSignatureAndFreshness(query);
        String encryptType = query.get("encrypt_type");
        if (encryptType == null || encryptType.isEmpty() || "raw".equalsIgnoreCase(encryptType)) {
            return new Inbound(WeChatXml.parseMessage(body), false);
        }
        if (!"aes".equalsIgnoreCase(encryptType)) {
            throw new WeChatProtocolException(Kind.MISSING_PARAMETER,
                    "encrypt_type=" + WeChatXml.abbreviate(encryptType) + " is not supported; expected aes or none");
        }
        if (cipher == null) {
            throw new WeChatProtocolException(Kind.AES_NOT_CONFIGURED,
                    "an encrypted push (encrypt_type=aes) arrived but no EncodingAESKey is configured;"
                            + " set WECHAT_AES_KEY or switch the account to plaintext mode");
        }
        String msgSignature = require(query, "msg_signature");
        EncryptedEnvelope envelope = EncryptedEnvelope.parse(body, msgSignature, query.get("timestamp"),
                query.get("nonce"));
        if (!envelope.verify(credentials.token())) {
            throw new WeChatProtocolException(Kind.BAD_SIGNATURE,
                    "msg_signature does not match the Encrypt element; the body was altered or the Token differs");
        }
        String xml = cipher.decrypt(envelope.encrypt());
        return new Inbound(WeChatXml.parseMessage(xml.getBytes(StandardCharsets.UTF_8)), true);
    }

    /**
     * Encodes a passive reply: the plain XML, or (when {@code encrypted}) the envelope with its own TimeStamp
     * (the clock), a random numeric Nonce and MsgSignature.
     *
     * @throws WeChatProtocolException {@link Kind#AES_NOT_CONFIGURED} when asked to encrypt without a key
     */
    public String encodeReply(WeChatReply reply, boolean encrypted) {
        if (!encrypted) {
            return WeChatXml.render(reply);
        }
        requireCipher();
        return seal(WeChatXml.render(reply), null, randomNonce());
    }

    /** Deterministic variant for known vectors: fixed 16-byte prefix and nonce, TimeStamp from the clock. */
    String encodeReply(WeChatReply reply, byte[] random16, String nonce) {
        requireCipher();
        return seal(WeChatXml.render(reply), random16, nonce);
    }

    private String seal(String plainXml, byte[] random16, String nonce) {
        String encrypt = random16 == null ? cipher.encrypt(plainXml) : cipher.encrypt(random16, plainXml);
        String timeStamp = Long.toString(clock.instant().getEpochSecond());
        return EncryptedEnvelope.sign(credentials.token(), encrypt, timeStamp, nonce).render();
    }

    private void requireCipher() {
        if (cipher == null) {
            throw new WeChatProtocolException(Kind.AES_NOT_CONFIGURED,
                    "cannot encrypt the reply: no EncodingAESKey is configured");
        }
    }

    private String randomNonce() {
        StringBuilder sb = new StringBuilder(10).append((char) ('1' + random.nextInt(9)));
        for (int i = 0; i < 9; i++) {
            sb.append((char) ('0' + random.nextInt(10)));
        }
        return sb.toString();
    }

    private void checkSignatureAndFreshness(Map<String, String> query) {
        String signature = require(query, "signature");
        String timestamp = require(query, "timestamp");
        String nonce = require(query, "nonce");
        if (!WeChatSignature.matches(WeChatSignature.sign(credentials.token(), timestamp, nonce), signature)) {
            throw new WeChatProtocolException(Kind.BAD_SIGNATURE,
                    "signature does not match; the request is not from WeChat or the Token differs");
        }
        long ts;
        try {
            ts = Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
            throw new WeChatProtocolException(Kind.STALE_TIMESTAMP, "timestamp is not a Unix time in seconds");
        }
        long now = clock.instant().getEpochSecond();
        // compared without subtracting: now - ts overflows for a timestamp near Long.MIN_VALUE
        if (ts < now - freshness.toSeconds() || ts > now + freshness.toSeconds()) {
            throw new WeChatProtocolException(Kind.STALE_TIMESTAMP, "timestamp is " + (now - ts)
                    + " s away from now, outside ±" + freshness.toSeconds() + " s; replayed request or a wrong clock");
        }
    }

    private static String require(Map<String, String> query, String name) {
        String v = query.get(name);
        if (v == null || v.isEmpty()) {
            throw new WeChatProtocolException(Kind.MISSING_PARAMETER,
                    "query parameter '" + name + "' is missing or empty");
        }
        return v;
    }

    @Override
    public String toString() {
        return "WeChatProtocol[" + credentials + ", freshness=" + freshness + "]";
    }
}
