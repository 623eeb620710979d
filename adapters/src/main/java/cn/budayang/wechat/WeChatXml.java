package cn.budayang.wechat;

import cn.budayang.wechat.WeChatProtocolException.Kind;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Hardened reader for WeChat's flat {@code <xml>} documents and writer for passive replies.
 *
 * <p>Reading refuses any DOCTYPE (so no external entities, no entity expansion, no billion laughs), loads no
 * external DTD, disables XInclude, turns on secure processing and refuses inputs over {@link #MAX_BYTES}.
 * All methods are stateless and thread-safe.
 */
public final class WeChatXml {

    /** Largest document accepted: 256 KiB. Real pushes are a few KiB (compatible mode about three times more). */
    public static final int MAX_BYTES = 256 * 1024;

    private WeChatXml() {
    }

    /**
     * Reads the direct children of the root {@code <xml>} element as name → text (CDATA or not; nested
     * elements contribute their concatenated text). The first occurrence of a repeated name wins; text is not
     * trimmed.
     *
     * @throws WeChatProtocolException {@link Kind#TOO_LARGE} over {@link #MAX_BYTES},
     *                                 {@link Kind#MALFORMED_XML} for anything not well-formed, with a DOCTYPE,
     *                                 or whose root is not {@code <xml>}
     */
    public static Map<String, String> readFlat(byte[] xml) {
        if (xml == null || xml.length == 0) {
            throw new WeChatProtocolException(Kind.MALFORMED_XML, "XML body is empty; expected a WeChat <xml> document");
        }
        if (xml.length > MAX_BYTES) {
            throw new WeChatProtocolException(Kind.TOO_LARGE,
                    "XML body has " + xml.length + " bytes, more than the limit of " + MAX_BYTES);
        }
        Document doc = parse(xml);
        Element root = doc.getDocumentElement();
        if (!"xml".equals(root.getNodeName())) {
            throw new WeChatProtocolException(Kind.MALFORMED_XML,
                    "root element is <" + abbreviate(root.getNodeName()) + ">, expected <xml>");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeType() == Node.ELEMENT_NODE) {
                fields.putIfAbsent(n.getNodeName(), n.getTextContent());
            }
        }
        return Collections.unmodifiableMap(fields);
    }

    /**
     * Parses an inbound push. Unknown message types and events become {@link WeChatMessage.Other}.
     *
     * @throws WeChatProtocolException as {@link #readFlat(byte[])}, and {@link Kind#MALFORMED_XML} when
     *                                 ToUserName, FromUserName, CreateTime or MsgType is missing or invalid
     */
    public static WeChatMessage parseMessage(byte[] xml) {
        return MessageMapper.map(readFlat(xml));
    }

    /**
     * Renders a passive reply as WeChat expects it: {@code <xml>} with CDATA strings and a bare CreateTime.
     * {@code ]]>} inside text is split across two CDATA sections and characters XML 1.0 forbids are dropped, so
     * the output is always well-formed and reads back to the same text.
     */
    public static String render(WeChatReply reply) {
        StringBuilder sb = new StringBuilder(256).append("<xml>");
        cdata(sb, "ToUserName", reply.toUser());
        cdata(sb, "FromUserName", reply.fromUser());
        sb.append("<CreateTime>").append(reply.createTime()).append("</CreateTime>");
        if (reply instanceof WeChatReply.Text t) {
            cdata(sb, "MsgType", "text");
            cdata(sb, "Content", t.content());
        } else if (reply instanceof WeChatReply.Image i) {
            cdata(sb, "MsgType", "image");
            sb.append("<Image>");
            cdata(sb, "MediaId", i.mediaId());
            sb.append("</Image>");
        } else if (reply instanceof WeChatReply.News n) {
            cdata(sb, "MsgType", "news");
            sb.append("<ArticleCount>").append(n.articles().size()).append("</ArticleCount><Articles>");
            for (WeChatReply.News.Article a : n.articles()) {
                sb.append("<item>");
                cdata(sb, "Title", a.title());
                cdata(sb, "Description", a.description());
                cdata(sb, "PicUrl", a.picUrl());
                cdata(sb, "Url", a.url());
                sb.append("</item>");
            }
            sb.append("</Articles>");
        } else if (reply instanceof WeChatReply.TransferCustomerService k) {
            cdata(sb, "MsgType", "transfer_customer_service");
            if (k.kfAccount() != null) {
                sb.append("<TransInfo>");
                cdata(sb, "KfAccount", k.kfAccount());
                sb.append("</TransInfo>");
            }
        } else {
            throw new IllegalArgumentException("unknown reply type " + reply.getClass().getName());
        }
        return sb.append("</xml>").toString();
    }

    /** Appends {@code <name><![CDATA[value]]></name>}; null renders as empty. */
    static void cdata(StringBuilder sb, String name, String value) {
        sb.append('<').append(name).append("><![CDATA[")
                .append(escapeCdata(value == null ? "" : value))
                .append("]]></").append(name).append('>');
    }

    /** Drops characters XML 1.0 forbids and splits {@code ]]>} as {@code ]]]]><![CDATA[>}. */
    static String escapeCdata(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean allowed = cp == 0x9 || cp == 0xA || cp == 0xD
                    || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
            if (allowed) {
                out.appendCodePoint(cp);
            }
        }
        return out.toString().replace("]]>", "]]]]><![CDATA[>");
    }

    private static Document parse(byte[] xml) {
        DocumentBuilder builder = BUILDER.get();
        try {
            return builder.parse(new ByteArrayInputStream(xml));
        } catch (SAXParseException e) {
            String what = e.getMessage() != null && e.getMessage().contains("DOCTYPE")
                    ? "a DOCTYPE declaration, which WeChat never sends and we refuse"
                    : "malformed XML (" + abbreviate(e.getMessage()) + ")";
            throw new WeChatProtocolException(Kind.MALFORMED_XML,
                    "XML body rejected at line " + e.getLineNumber() + ", column " + e.getColumnNumber() + ": "
                            + what, e);
        } catch (SAXException | IOException e) {
            throw new WeChatProtocolException(Kind.MALFORMED_XML,
                    "XML body could not be parsed: " + abbreviate(e.getMessage()), e);
        }
    }

    /**
     * One hardened parser per thread: looking up and configuring a JAXP factory costs more than parsing a WeChat
     * message (a file-system probe for jaxp.properties each time). A DocumentBuilder parses one document at a time,
     * which a thread-local guarantees, and keeps its features, resolver and error handler between documents.
     */
    /** Elements may nest this deep at most (root included). */
    static final int MAX_DEPTH = 16;

    private static final ThreadLocal<DocumentBuilder> BUILDER = ThreadLocal.withInitial(WeChatXml::newBuilder);

    private static DocumentBuilder newBuilder() {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        try {
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            // WeChat's pushes nest five deep at most (SendPicsInfo/PicList/item/PicMd5Sum); thousands of levels would
            // overflow the stack of the thread reading the text of a field
            f.setAttribute("http://www.oracle.com/xml/jaxp/properties/maxElementDepth", String.valueOf(MAX_DEPTH));
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.setNamespaceAware(false);
            f.setValidating(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setEntityResolver((publicId, systemId) -> new InputSource(new StringReader("")));
            b.setErrorHandler(new ErrorHandler() {
                @Override
                public void warning(SAXParseException e) {
                    // warnings are not failures
                }

                @Override
                public void error(SAXParseException e) throws SAXException {
                    throw e;
                }

                @Override
                public void fatalError(SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            return b;
        } catch (ParserConfigurationException | IllegalArgumentException e) {
            throw new IllegalStateException("the JDK XML parser does not support the required hardening", e);
        }
    }

    static String abbreviate(String s) {
        if (s == null) {
            return "no detail";
        }
        return s.length() <= 120 ? s : s.substring(0, 120) + "…";
    }

    /** Maps the flat field map to a {@link WeChatMessage}. */
    private static final class MessageMapper {

        static WeChatMessage map(Map<String, String> f) {
            String to = required(f, "ToUserName");
            String from = required(f, "FromUserName");
            long createTime = requiredLong(f, "CreateTime");
            String msgType = required(f, "MsgType").trim();
            String event = "event".equalsIgnoreCase(msgType) ? trimmed(f.get("Event")) : null;
            try {
                WeChatMessage known = "event".equalsIgnoreCase(msgType)
                        ? mapEvent(f, to, from, createTime, event)
                        : mapOrdinary(f, to, from, createTime, msgType);
                if (known != null) {
                    return known;
                }
            } catch (IllegalArgumentException | NullPointerException e) {
                // a known type with missing or malformed specific fields: fall through to Other
            }
            return new WeChatMessage.Other(to, from, createTime, msgType, event, f);
        }

        private static WeChatMessage mapOrdinary(Map<String, String> f, String to, String from, long t,
                                                 String msgType) {
            switch (msgType.toLowerCase(Locale.ROOT)) {
                case "text":
                    return new WeChatMessage.Text(to, from, t, msgId(f, "MsgId"), f.get("Content"));
                case "image":
                    return new WeChatMessage.Image(to, from, t, msgId(f, "MsgId"), f.get("PicUrl"), f.get("MediaId"));
                case "voice":
                    return new WeChatMessage.Voice(to, from, t, msgId(f, "MsgId"), f.get("MediaId"),
                            f.get("Format"), f.get("Recognition"));
                case "video":
                case "shortvideo":
                    return new WeChatMessage.Video(to, from, t, msgId(f, "MsgId"), f.get("MediaId"),
                            f.get("ThumbMediaId"), "shortvideo".equalsIgnoreCase(msgType));
                case "location":
                    return new WeChatMessage.Location(to, from, t, msgId(f, "MsgId"),
                            Double.parseDouble(f.get("Location_X").trim()),
                            Double.parseDouble(f.get("Location_Y").trim()),
                            parseIntLenient(f.get("Scale")), f.get("Label"));
                case "link":
                    return new WeChatMessage.Link(to, from, t, msgId(f, "MsgId"), f.get("Title"),
                            f.get("Description"), f.get("Url"));
                default:
                    return null;
            }
        }

        private static WeChatMessage mapEvent(Map<String, String> f, String to, String from, long t, String event) {
            if (event == null) {
                return null;
            }
            String key = emptyToNull(f.get("EventKey"));
            switch (event.toLowerCase(Locale.ROOT)) {
                case "subscribe":
                    return new WeChatMessage.Subscribe(to, from, t, key, emptyToNull(f.get("Ticket")));
                case "unsubscribe":
                    return new WeChatMessage.Unsubscribe(to, from, t);
                case "scan":
                    return new WeChatMessage.Scan(to, from, t, key, emptyToNull(f.get("Ticket")));
                case "location":
                    return new WeChatMessage.LocationEvent(to, from, t,
                            Double.parseDouble(f.get("Latitude").trim()),
                            Double.parseDouble(f.get("Longitude").trim()),
                            Double.parseDouble(f.get("Precision").trim()));
                case "click":
                    return new WeChatMessage.Click(to, from, t, key);
                case "view": {
                    String menuId = trimmed(f.get("MenuId"));
                    return new WeChatMessage.View(to, from, t, key,
                            menuId == null || menuId.isEmpty() ? null : Long.valueOf(menuId));
                }
                case "templatesendjobfinish":
                    return new WeChatMessage.TemplateSendJobFinish(to, from, t, msgId(f, "MsgID"), f.get("Status"));
                default:
                    return null;
            }
        }

        private static long msgId(Map<String, String> f, String name) {
            return Long.parseLong(f.get(name).trim());
        }

        private static int parseIntLenient(String s) {
            String v = s.trim();
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                return (int) Double.parseDouble(v);
            }
        }

        private static String required(Map<String, String> f, String name) {
            String v = f.get(name);
            if (v == null || v.isBlank()) {
                throw new WeChatProtocolException(Kind.MALFORMED_XML,
                        "WeChat message lacks <" + name + ">; is this really a WeChat push?");
            }
            return v;
        }

        private static long requiredLong(Map<String, String> f, String name) {
            String v = required(f, name).trim();
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new WeChatProtocolException(Kind.MALFORMED_XML,
                        "<" + name + "> is not an integer (" + abbreviate(v) + ")", e);
            }
        }

        private static String trimmed(String s) {
            return s == null ? null : s.trim();
        }

        private static String emptyToNull(String s) {
            return s == null || s.isEmpty() ? null : s;
        }
    }
}
