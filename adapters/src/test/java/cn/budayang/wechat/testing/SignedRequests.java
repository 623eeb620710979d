package cn.budayang.wechat.testing;

import cn.budayang.wechat.EncryptedEnvelope;
import cn.budayang.wechat.WeChatCipher;
import cn.budayang.wechat.WeChatSignature;
import cn.budayang.wechat.WeChatXml;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Builds pushes exactly as WeChat would send them (validly signed, optionally encrypted) for end-to-end tests,
 * plus small builders for inbound message XML.
 *
 * <p>The timestamp is read from the clock at each call; the nonce is fixed per instance.
 */
public final class SignedRequests {

    /** A query string (URL-encoded, without '?') and a body (empty for GET). */
    public record Request(String query, byte[] body) {

        /** The query decoded into a map, as an HTTP server would hand it to {@code WeChatProtocol}. */
        public Map<String, String> queryMap() {
            return parseQuery(query);
        }

        /** The body as UTF-8 text. */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final String token;
    private final String appId;
    private final String encodingAesKey;
    private final Clock clock;
    private final String nonce;
    private final WeChatCipher cipher;

    /**
     * @param encodingAesKey null when only plaintext requests are needed
     * @param nonce          the nonce for every request (any decimal string)
     */
    public SignedRequests(String token, String appId, String encodingAesKey, Clock clock, String nonce) {
        this.token = Objects.requireNonNull(token, "token");
        this.appId = Objects.requireNonNull(appId, "appId");
        this.encodingAesKey = encodingAesKey;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nonce = Objects.requireNonNull(nonce, "nonce");
        this.cipher = encodingAesKey == null ? null : new WeChatCipher(encodingAesKey, appId, new SecureRandom());
    }

    /** The current timestamp (Unix seconds) as WeChat sends it. */
    public String timestamp() {
        return Long.toString(clock.instant().getEpochSecond());
    }

    /** The URL-verification GET query: signature, timestamp, nonce, echostr. */
    public String urlVerifyQuery(String echostr) {
        String ts = timestamp();
        Map<String, String> q = new LinkedHashMap<>();
        q.put("signature", WeChatSignature.sign(token, ts, nonce));
        q.put("timestamp", ts);
        q.put("nonce", nonce);
        q.put("echostr", echostr);
        return formatQuery(q);
    }

    /** A plaintext-mode POST: signature, timestamp, nonce, openid; the body is the message itself. */
    public Request plaintext(String messageXml) {
        String ts = timestamp();
        return new Request(formatQuery(baseQuery(ts, openIdOf(messageXml))), utf8(messageXml));
    }

    /** A compatible-mode POST: the plaintext message with an extra {@code <Encrypt>} of the same message. */
    public Request compatible(String messageXml) {
        String ts = timestamp();
        String encrypt = requireCipher().encrypt(messageXml);
        int end = messageXml.lastIndexOf("</xml>");
        if (end < 0) {
            throw new IllegalArgumentException("message XML must end with </xml>");
        }
        String body = messageXml.substring(0, end) + "<Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>";
        return new Request(encryptedQuery(ts, openIdOf(messageXml), encrypt), utf8(body));
    }

    /** A safe-mode POST: only {@code <ToUserName>} and {@code <Encrypt>} in the body. */
    public Request safe(String messageXml) {
        String ts = timestamp();
        String encrypt = requireCipher().encrypt(messageXml);
        Map<String, String> fields = WeChatXml.readFlat(utf8(messageXml));
        String body = "<xml>\n    <ToUserName><![CDATA[" + fields.getOrDefault("ToUserName", "")
                + "]]></ToUserName>\n    <Encrypt><![CDATA[" + encrypt + "]]></Encrypt>\n</xml>";
        return new Request(encryptedQuery(ts, openIdOf(messageXml), encrypt), utf8(body));
    }

    /**
     * Decrypts an encrypted reply envelope produced by the server and checks its MsgSignature; returns the inner
     * reply XML.
     *
     * @throws AssertionError if the envelope signature does not verify
     */
    public String openReply(String envelopeXml) {
        EncryptedEnvelope envelope = EncryptedEnvelope.parseReply(utf8(envelopeXml));
        if (!envelope.verify(token)) {
            throw new AssertionError("reply MsgSignature does not verify");
        }
        return requireCipher().decrypt(envelope.encrypt());
    }

    private String encryptedQuery(String ts, String openId, String encrypt) {
        Map<String, String> q = baseQuery(ts, openId);
        q.put("encrypt_type", "aes");
        q.put("msg_signature", WeChatSignature.sign(token, ts, nonce, encrypt));
        return formatQuery(q);
    }

    private Map<String, String> baseQuery(String ts, String openId) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("signature", WeChatSignature.sign(token, ts, nonce));
        q.put("timestamp", ts);
        q.put("nonce", nonce);
        if (openId != null) {
            q.put("openid", openId);
        }
        return q;
    }

    private WeChatCipher requireCipher() {
        if (cipher == null) {
            throw new IllegalStateException("no EncodingAESKey given to SignedRequests; encrypted modes need one");
        }
        return cipher;
    }

    private static String openIdOf(String messageXml) {
        return WeChatXml.readFlat(utf8(messageXml)).get("FromUserName");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** URL-encodes a parameter map as {@code a=1&b=2}. */
    public static String formatQuery(Map<String, String> params) {
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> {
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
        return sb.toString();
    }

    /** Decodes {@code a=1&b=2} (first occurrence wins). */
    public static Map<String, String> parseQuery(String query) {
        Map<String, String> out = new LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return out;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(k, v);
        }
        return out;
    }

    // ---- message XML builders (values are wrapped in CDATA like WeChat does; numbers are bare) ----

    private static String header(String toUser, String fromUser, long createTime, String msgType) {
        return "<xml><ToUserName><![CDATA[" + toUser + "]]></ToUserName><FromUserName><![CDATA[" + fromUser
                + "]]></FromUserName><CreateTime>" + createTime + "</CreateTime>" + cdata("MsgType", msgType);
    }

    private static String cdata(String name, String value) {
        return "<" + name + "><![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]></" + name + ">";
    }

    private static String eventHeader(String toUser, String fromUser, long createTime, String event) {
        return header(toUser, fromUser, createTime, "event") + cdata("Event", event);
    }

    public static String textXml(String toUser, String fromUser, long createTime, long msgId, String content) {
        return header(toUser, fromUser, createTime, "text") + cdata("Content", content)
                + "<MsgId>" + msgId + "</MsgId></xml>";
    }

    public static String imageXml(String toUser, String fromUser, long createTime, long msgId, String picUrl,
                                  String mediaId) {
        return header(toUser, fromUser, createTime, "image") + cdata("PicUrl", picUrl) + cdata("MediaId", mediaId)
                + "<MsgId>" + msgId + "</MsgId></xml>";
    }

    /** @param recognition null to omit the element (recognition switched off) */
    public static String voiceXml(String toUser, String fromUser, long createTime, long msgId, String mediaId,
                                  String format, String recognition) {
        return header(toUser, fromUser, createTime, "voice") + cdata("MediaId", mediaId) + cdata("Format", format)
                + (recognition == null ? "" : cdata("Recognition", recognition))
                + "<MsgId>" + msgId + "</MsgId></xml>";
    }

    /** @param shortVideo true for MsgType shortvideo */
    public static String videoXml(String toUser, String fromUser, long createTime, long msgId, String mediaId,
                                  String thumbMediaId, boolean shortVideo) {
        return header(toUser, fromUser, createTime, shortVideo ? "shortvideo" : "video") + cdata("MediaId", mediaId)
                + cdata("ThumbMediaId", thumbMediaId) + "<MsgId>" + msgId + "</MsgId></xml>";
    }

    public static String locationXml(String toUser, String fromUser, long createTime, long msgId, double latitude,
                                     double longitude, int scale, String label) {
        return header(toUser, fromUser, createTime, "location") + "<Location_X>" + latitude + "</Location_X>"
                + "<Location_Y>" + longitude + "</Location_Y><Scale>" + scale + "</Scale>" + cdata("Label", label)
                + "<MsgId>" + msgId + "</MsgId></xml>";
    }

    public static String linkXml(String toUser, String fromUser, long createTime, long msgId, String title,
                                 String description, String url) {
        return header(toUser, fromUser, createTime, "link") + cdata("Title", title)
                + cdata("Description", description) + cdata("Url", url) + "<MsgId>" + msgId + "</MsgId></xml>";
    }

    /** An ordinary follow: no EventKey. */
    public static String subscribeXml(String toUser, String fromUser, long createTime) {
        return eventHeader(toUser, fromUser, createTime, "subscribe") + "</xml>";
    }

    /** A follow through a parametric QR code: EventKey {@code qrscene_<scene>} and a Ticket. */
    public static String subscribeWithSceneXml(String toUser, String fromUser, long createTime, String scene,
                                               String ticket) {
        return eventHeader(toUser, fromUser, createTime, "subscribe") + cdata("EventKey", "qrscene_" + scene)
                + cdata("Ticket", ticket) + "</xml>";
    }

    public static String unsubscribeXml(String toUser, String fromUser, long createTime) {
        return eventHeader(toUser, fromUser, createTime, "unsubscribe") + "</xml>";
    }

    /** SCAN by an existing follower: EventKey is the scene without prefix. */
    public static String scanXml(String toUser, String fromUser, long createTime, String scene, String ticket) {
        return eventHeader(toUser, fromUser, createTime, "SCAN") + cdata("EventKey", scene) + cdata("Ticket", ticket)
                + "</xml>";
    }

    public static String locationEventXml(String toUser, String fromUser, long createTime, double latitude,
                                          double longitude, double precision) {
        return eventHeader(toUser, fromUser, createTime, "LOCATION") + "<Latitude>" + latitude + "</Latitude>"
                + "<Longitude>" + longitude + "</Longitude><Precision>" + precision + "</Precision></xml>";
    }

    public static String clickXml(String toUser, String fromUser, long createTime, String key) {
        return eventHeader(toUser, fromUser, createTime, "CLICK") + cdata("EventKey", key) + "</xml>";
    }

    /** @param menuId null to omit MenuId */
    public static String viewXml(String toUser, String fromUser, long createTime, String url, Long menuId) {
        return eventHeader(toUser, fromUser, createTime, "VIEW") + cdata("EventKey", url)
                + (menuId == null ? "" : "<MenuId>" + menuId + "</MenuId>") + "</xml>";
    }

    /** Note the capital D in {@code MsgID}, as WeChat sends it. */
    public static String templateSendJobFinishXml(String toUser, String fromUser, long createTime, long msgId,
                                                  String status) {
        return eventHeader(toUser, fromUser, createTime, "TEMPLATESENDJOBFINISH") + "<MsgID>" + msgId + "</MsgID>"
                + cdata("Status", status) + "</xml>";
    }

    /** A message with an arbitrary MsgType, e.g. a type WeChat may add in future. */
    public static String unknownTypeXml(String toUser, String fromUser, long createTime, String msgType, long msgId) {
        return header(toUser, fromUser, createTime, msgType) + "<MsgId>" + msgId + "</MsgId></xml>";
    }

    /** An event with an arbitrary Event name and EventKey (null to omit). */
    public static String unknownEventXml(String toUser, String fromUser, long createTime, String event,
                                         String eventKey) {
        return eventHeader(toUser, fromUser, createTime, event)
                + (eventKey == null ? "" : cdata("EventKey", eventKey)) + "</xml>";
    }

    @Override
    public String toString() {
        return "SignedRequests[appId=" + appId + ", aes=" + (encodingAesKey != null) + "]";
    }
}
