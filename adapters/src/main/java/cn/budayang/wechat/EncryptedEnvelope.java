package cn.budayang.wechat;

import cn.budayang.wechat.WeChatProtocolException.Kind;

import java.util.Map;
import java.util.Objects;

/**
 * The encrypted wrapper of safe and compatible mode: the Base64 {@code Encrypt} text and the
 * {@code msg_signature}, {@code timestamp} and {@code nonce} that sign it. Inbound, the signature fields come
 * from the query string; in a reply they are elements of the body.
 */
public record EncryptedEnvelope(String encrypt, String msgSignature, String timeStamp, String nonce) {

    public EncryptedEnvelope {
        Objects.requireNonNull(encrypt, "encrypt");
        Objects.requireNonNull(msgSignature, "msgSignature");
        Objects.requireNonNull(timeStamp, "timeStamp");
        Objects.requireNonNull(nonce, "nonce");
    }

    /**
     * Signs {@code encrypt}: {@code msgSignature = sha1(sort(token, timeStamp, nonce, encrypt))}.
     */
    public static EncryptedEnvelope sign(String token, String encrypt, String timeStamp, String nonce) {
        return new EncryptedEnvelope(encrypt, WeChatSignature.sign(token, timeStamp, nonce, encrypt), timeStamp, nonce);
    }

    /**
     * Reads {@code <Encrypt>} from an inbound body through the hardened parser and pairs it with the query's
     * {@code msg_signature}, {@code timestamp} and {@code nonce}. Does not verify anything.
     *
     * @throws WeChatProtocolException {@link Kind#MALFORMED_XML} when the body has no non-empty Encrypt
     */
    public static EncryptedEnvelope parse(byte[] body, String msgSignature, String timestamp, String nonce) {
        Map<String, String> fields = WeChatXml.readFlat(body);
        String encrypt = fields.get("Encrypt");
        if (encrypt == null || encrypt.isBlank()) {
            throw new WeChatProtocolException(Kind.MALFORMED_XML,
                    "encrypt_type=aes but the body has no <Encrypt> element");
        }
        return new EncryptedEnvelope(encrypt, msgSignature, timestamp, nonce);
    }

    /**
     * Reads a rendered reply envelope (all four elements from the body), e.g. to check our own output in tests.
     *
     * @throws WeChatProtocolException {@link Kind#MALFORMED_XML} when an element is missing
     */
    public static EncryptedEnvelope parseReply(byte[] body) {
        Map<String, String> f = WeChatXml.readFlat(body);
        for (String name : new String[] {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}) {
            if (f.get(name) == null) {
                throw new WeChatProtocolException(Kind.MALFORMED_XML, "reply envelope lacks <" + name + ">");
            }
        }
        return new EncryptedEnvelope(f.get("Encrypt"), f.get("MsgSignature"), f.get("TimeStamp").trim(),
                f.get("Nonce"));
    }

    /** Whether {@link #msgSignature()} is the signature of this envelope under {@code token} (constant time). */
    public boolean verify(String token) {
        return WeChatSignature.matches(WeChatSignature.sign(token, timeStamp, nonce, encrypt), msgSignature);
    }

    /**
     * The reply body: {@code <xml><Encrypt>…</Encrypt><MsgSignature>…</MsgSignature><TimeStamp>…</TimeStamp>
     * <Nonce>…</Nonce></xml>} with CDATA strings and a bare TimeStamp.
     */
    public String render() {
        StringBuilder sb = new StringBuilder(encrypt.length() + 200).append("<xml>");
        WeChatXml.cdata(sb, "Encrypt", encrypt);
        WeChatXml.cdata(sb, "MsgSignature", msgSignature);
        sb.append("<TimeStamp>").append(timeStamp).append("</TimeStamp>");
        WeChatXml.cdata(sb, "Nonce", nonce);
        return sb.append("</xml>").toString();
    }
}
