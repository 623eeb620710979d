package cn.budayang.bot.proof;

import cn.budayang.wechat.WeChatCipher;
import cn.budayang.wechat.WeChatSignature;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.SignedRequests;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * A seeded generator of hostile pushes: each {@link Case} is the raw HTTP request and the statuses the server may
 * answer. Signatures are valid unless the case is about signatures, so the hostility reaches the layer it targets
 * (XML parser, cipher, size limit) instead of stopping at the signature check.
 */
final class HostileCorpus {

    /** One request; {@code expected} holds the acceptable statuses. */
    record Case(String kind, byte[] request, Set<Integer> expected) {
    }

    private static final Set<Integer> BAD_REQUEST = Set.of(400);
    private static final Set<Integer> FORBIDDEN = Set.of(403);
    private static final Set<Integer> TOO_LARGE = Set.of(413);

    private final Random random;
    private final Clock clock;
    private final String secretUri;
    private final String canaryUrl;
    private final String nonce = "5772156649";
    private final WeChatCipher ours;
    private final WeChatCipher otherApp;
    private final SecretKeySpec key;
    private final IvParameterSpec iv;
    private long msgId = 24_900_000_000_000_000L;

    /**
     * @param secretUri a {@code file:} URI of a local file whose content must never come back
     * @param canaryUrl an {@code http:} URL on loopback that must never be fetched
     */
    HostileCorpus(long seed, Clock clock, String secretUri, String canaryUrl) {
        this.random = new Random(seed);
        this.clock = clock;
        this.secretUri = secretUri;
        this.canaryUrl = canaryUrl;
        SecureRandom sr = new SecureRandom();
        this.ours = new WeChatCipher(ProofBot.AES_KEY, FakeWeChatApi.DEFAULT_APP_ID, sr);
        this.otherApp = new WeChatCipher(ProofBot.AES_KEY, "wx9f8e7d6c5b4a3f2e", sr);
        byte[] raw = Base64.getDecoder().decode(ProofBot.AES_KEY + "=");
        this.key = new SecretKeySpec(raw, "AES");
        this.iv = new IvParameterSpec(Arrays.copyOf(raw, 16));
    }

    /** The generators by kind; the corpus cycles through them. */
    Map<String, Function<HostileCorpus, Case>> kinds() {
        Map<String, Function<HostileCorpus, Case>> k = new LinkedHashMap<>();
        k.put("xxe-file", c -> c.signedPlain("xxe-file", c.xxeFile(), BAD_REQUEST));
        k.put("xxe-external-dtd", c -> c.signedPlain("xxe-external-dtd", c.xxeDtd(), BAD_REQUEST));
        k.put("entity-expansion", c -> c.signedPlain("entity-expansion", c.billionLaughs(), BAD_REQUEST));
        k.put("xxe-in-safe-mode", c -> c.signedSafe("xxe-in-safe-mode", c.ours.encrypt(c.xxeFile()), BAD_REQUEST));
        k.put("bad-signature", c -> c.badSignature());
        k.put("missing-parameter", c -> c.missingParameter());
        k.put("stale-timestamp", c -> c.stale());
        k.put("oversized", c -> c.oversized());
        k.put("truncated-xml", c -> c.signedPlain("truncated-xml", c.truncated(), BAD_REQUEST));
        k.put("invalid-utf8", c -> c.invalidUtf8());
        k.put("bad-base64", c -> c.signedSafe("bad-base64", c.badBase64(), BAD_REQUEST));
        k.put("bad-padding", c -> c.signedSafe("bad-padding", c.badPadding(), BAD_REQUEST));
        k.put("bad-ciphertext-length", c -> c.signedSafe("bad-ciphertext-length",
                Base64.getEncoder().encodeToString(c.bytes(16 * (1 + c.random.nextInt(8)) + 1 + c.random.nextInt(15))),
                BAD_REQUEST));
        k.put("wrong-app-id", c -> c.signedSafe("wrong-app-id", c.otherApp.encrypt(c.legitXml("oWrongApp")),
                BAD_REQUEST));
        k.put("random-bytes-signed", c -> c.signedPlainBytes("random-bytes-signed", c.bytes(1 + c.random.nextInt(
                4096)), BAD_REQUEST));
        k.put("random-bytes-unsigned", c -> new Case("random-bytes-unsigned", RawHttp.post("/wechat?x=1",
                c.bytes(1 + c.random.nextInt(4096))), FORBIDDEN));
        k.put("not-http", c -> c.notHttp());
        k.put("deep-nesting", c -> c.signedPlain("deep-nesting", c.deepNesting(), BAD_REQUEST));
        k.put("bad-uri-escape", c -> new Case("bad-uri-escape", c.random.nextBoolean()
                ? RawHttp.get("/healthz?x=%" + "zZ%".charAt(c.random.nextInt(3)), "")
                : RawHttp.post("/wechat%" + Integer.toHexString(c.random.nextInt(16)), c.bytes(16)), BAD_REQUEST));
        return k;
    }

    // ---- payloads ----

    String legitXml(String from) {
        return SignedRequests.textXml(ProofBot.ACCOUNT, from, now(), ++msgId,
                ProofBot.QUESTIONS.get(random.nextInt(ProofBot.QUESTIONS.size())));
    }

    private String xxeFile() {
        return "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"" + secretUri + "\">]>"
                + "<xml><ToUserName><![CDATA[" + ProofBot.ACCOUNT + "]]></ToUserName><FromUserName><![CDATA[oXxe"
                + random.nextInt(1000) + "]]></FromUserName><CreateTime>" + now() + "</CreateTime><MsgType>"
                + "<![CDATA[text]]></MsgType><Content>&xxe;</Content><MsgId>" + (++msgId) + "</MsgId></xml>";
    }

    private String xxeDtd() {
        return random.nextBoolean()
                ? "<?xml version=\"1.0\"?><!DOCTYPE xml SYSTEM \"" + canaryUrl + "\"><xml><Content>&x;</Content></xml>"
                : "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY % p SYSTEM \"" + canaryUrl + "\"> %p;]>"
                + "<xml><MsgType>text</MsgType></xml>";
    }

    private String billionLaughs() {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY l0 \"lol\">");
        for (int i = 1; i < 10; i++) {
            b.append("<!ENTITY l").append(i).append(" \"");
            for (int j = 0; j < 10; j++) {
                b.append("&l").append(i - 1).append(';');
            }
            b.append("\">");
        }
        return b.append("]><xml><Content>&l9;</Content></xml>").toString();
    }

    /** A well-formed push whose Content nests thousands of elements deep, inside the body size limit. */
    private String deepNesting() {
        int depth = 2_000 + random.nextInt(7_000);
        return "<xml><ToUserName><![CDATA[" + ProofBot.ACCOUNT + "]]></ToUserName><FromUserName><![CDATA[oDeep]]>"
                + "</FromUserName><CreateTime>" + now() + "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>"
                + "<a>".repeat(depth) + "x" + "</a>".repeat(depth) + "</Content><MsgId>" + (++msgId) + "</MsgId></xml>";
    }

    private String truncated() {
        String xml = legitXml("oTruncated");
        return xml.substring(0, 1 + random.nextInt(xml.length() - 8));
    }

    private String badBase64() {
        char[] alphabet = "!@#$%^&*()-_~`|\\\"'<>,.?{}[] \u4e2d".toCharArray();
        StringBuilder b = new StringBuilder(Base64.getEncoder().encodeToString(bytes(64)));
        for (int i = 0; i < 1 + random.nextInt(4); i++) {
            b.setCharAt(random.nextInt(b.length()), alphabet[random.nextInt(alphabet.length)]);
        }
        return b.toString();
    }

    /** WeChat's layout (16 random, 4-byte length, message, AppID), AES-CBC, but a PKCS#7 pad that does not hold. */
    private String badPadding() {
        byte[] msg = legitXml("oBadPadding").getBytes(StandardCharsets.UTF_8);
        byte[] app = FakeWeChatApi.DEFAULT_APP_ID.getBytes(StandardCharsets.UTF_8);
        int len = 16 + 4 + msg.length + app.length;
        int pad = 32 - len % 32;
        ByteBuffer plain = ByteBuffer.allocate(len + pad);
        plain.put(bytes(16)).putInt(msg.length).put(msg).put(app);
        int bad = switch (random.nextInt(3)) {
            case 0 -> 0;
            case 1 -> 33 + random.nextInt(200);
            default -> -1; // right last byte, wrong bytes before it
        };
        for (int i = 0; i < pad; i++) {
            plain.put((byte) (bad >= 0 ? bad : pad));
        }
        byte[] p = plain.array();
        if (bad < 0) {
            if (pad == 1) {
                p[p.length - 1] = 0;
            } else {
                p[p.length - 2] = (byte) (pad + 1);
            }
        }
        try {
            Cipher aes = Cipher.getInstance("AES/CBC/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, key, iv);
            return Base64.getEncoder().encodeToString(aes.doFinal(p));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private Case invalidUtf8() {
        byte[] xml = legitXml("oBadUtf8").getBytes(StandardCharsets.UTF_8);
        byte[][] evil = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x28,
                (byte) 0x8C, (byte) 0xBC}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}};
        byte[] e = evil[random.nextInt(evil.length)];
        int at = indexOf(xml, "<Content><![CDATA[".getBytes(StandardCharsets.UTF_8)) + 18;
        byte[] out = new byte[xml.length + e.length];
        System.arraycopy(xml, 0, out, 0, at);
        System.arraycopy(e, 0, out, at, e.length);
        System.arraycopy(xml, at, out, at + e.length, xml.length - at);
        return signedPlainBytes("invalid-utf8", out, BAD_REQUEST);
    }

    private Case badSignature() {
        SignedRequests.Request r = signer().plaintext(legitXml("oForged"));
        String forged = r.query().replaceFirst("signature=[0-9a-f]{40}", "signature=" + hex(20));
        return new Case("bad-signature", RawHttp.post("/wechat?" + forged, r.body()), FORBIDDEN);
    }

    private Case missingParameter() {
        SignedRequests.Request r = signer().plaintext(legitXml("oMissing"));
        String[] names = {"signature", "timestamp", "nonce"};
        String q = r.query().replaceFirst(names[random.nextInt(names.length)] + "=[^&]*&?", "");
        if (random.nextInt(4) == 0) {
            // encrypted mode without msg_signature
            q = r.query() + "&encrypt_type=aes";
        }
        return new Case("missing-parameter", RawHttp.post("/wechat?" + q, r.body()), FORBIDDEN);
    }

    private Case stale() {
        long ts = now() + (random.nextBoolean() ? -1 : 1) * (301 + random.nextInt(86_400 * 30));
        String t = Long.toString(ts);
        Map<String, String> q = new LinkedHashMap<>();
        q.put("signature", WeChatSignature.sign(ProofBot.TOKEN, t, nonce));
        q.put("timestamp", t);
        q.put("nonce", nonce);
        q.put("openid", "oStale");
        return new Case("stale-timestamp", RawHttp.post("/wechat?" + SignedRequests.formatQuery(q),
                legitXml("oStale").getBytes(StandardCharsets.UTF_8)), FORBIDDEN);
    }

    private Case oversized() {
        StringBuilder b = new StringBuilder(legitXml("oHuge"));
        int target = 64 * 1024 + 1 + random.nextInt(64 * 1024);
        b.insert(b.indexOf("]]></Content>"), "很".repeat((target - b.length()) / 3 + 1));
        return signedPlain("oversized", b.toString(), TOO_LARGE);
    }

    private Case notHttp() {
        byte[] junk = bytes(16 + random.nextInt(512));
        junk[0] = (byte) ('A' + random.nextInt(26)); // not a TLS handshake, not a valid method either
        byte[] request = Arrays.copyOf(junk, junk.length + 4);
        System.arraycopy("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0, request, junk.length, 4);
        return new Case("not-http", request, Set.of(400, 404, 405, 414, 431, 501));
    }

    // ---- signing ----

    SignedRequests signer() {
        return new SignedRequests(ProofBot.TOKEN, FakeWeChatApi.DEFAULT_APP_ID, ProofBot.AES_KEY, clock, nonce);
    }

    private Case signedPlain(String kind, String body, Set<Integer> expected) {
        return signedPlainBytes(kind, body.getBytes(StandardCharsets.UTF_8), expected);
    }

    private Case signedPlainBytes(String kind, byte[] body, Set<Integer> expected) {
        String t = Long.toString(now());
        Map<String, String> q = new LinkedHashMap<>();
        q.put("signature", WeChatSignature.sign(ProofBot.TOKEN, t, nonce));
        q.put("timestamp", t);
        q.put("nonce", nonce);
        q.put("openid", "oHostile");
        return new Case(kind, RawHttp.post("/wechat?" + SignedRequests.formatQuery(q), body), expected);
    }

    /** A safe-mode push whose msg_signature holds over whatever {@code encrypt} is. */
    private Case signedSafe(String kind, String encrypt, Set<Integer> expected) {
        String t = Long.toString(now());
        Map<String, String> q = new LinkedHashMap<>();
        q.put("signature", WeChatSignature.sign(ProofBot.TOKEN, t, nonce));
        q.put("timestamp", t);
        q.put("nonce", nonce);
        q.put("openid", "oHostile");
        q.put("encrypt_type", "aes");
        q.put("msg_signature", WeChatSignature.sign(ProofBot.TOKEN, t, nonce, encrypt));
        String body = "<xml><ToUserName><![CDATA[" + ProofBot.ACCOUNT + "]]></ToUserName><Encrypt><![CDATA["
                + encrypt + "]]></Encrypt></xml>";
        return new Case(kind, RawHttp.post("/wechat?" + SignedRequests.formatQuery(q),
                body.getBytes(StandardCharsets.UTF_8)), expected);
    }

    private long now() {
        return clock.instant().getEpochSecond();
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private String hex(int n) {
        StringBuilder b = new StringBuilder();
        for (byte x : bytes(n)) {
            b.append(String.format("%02x", x));
        }
        return b.toString();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("not found");
    }

    static List<String> kindNames(HostileCorpus c) {
        return List.copyOf(c.kinds().keySet());
    }
}
