package cn.budayang.wechat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An inbound push from WeChat: an ordinary message ({@code MsgType} text, image, voice, video, shortvideo,
 * location, link) or an event ({@code MsgType} event). Anything this module does not model is an {@link Other},
 * never an exception.
 *
 * <p>{@code toUser} is the account's original id ({@code gh_…}), {@code fromUser} the sender's OpenID,
 * {@code createTime} Unix seconds. Built by {@link WeChatXml#parseMessage(byte[])}.
 */
public sealed interface WeChatMessage {

    /** The account's original id ({@code ToUserName}). */
    String toUser();

    /** The sender's OpenID ({@code FromUserName}). */
    String fromUser();

    /** {@code CreateTime}, Unix seconds. */
    long createTime();

    /**
     * The key under which WeChat's retries of this push are recognised: {@code "msg:" + MsgId} for ordinary
     * messages, {@code "evt:" + fromUser + ":" + createTime + ":" + event + ":" + eventKey} for events (an absent
     * EventKey is empty; TEMPLATESENDJOBFINISH uses its MsgID as the key part).
     */
    String dedupKey();

    /** Ordinary messages, which carry a numeric {@code MsgId}. */
    sealed interface Ordinary extends WeChatMessage {
        long msgId();

        @Override
        default String dedupKey() {
            return "msg:" + msgId();
        }
    }

    /** Events ({@code MsgType} = event), which have no {@code MsgId}. */
    sealed interface Event extends WeChatMessage {
        /** The {@code Event} value as WeChat spells it, e.g. {@code subscribe}, {@code SCAN}. */
        String event();

        /** The {@code EventKey}, or null when absent. */
        String eventKey();

        @Override
        default String dedupKey() {
            return eventDedupKey(fromUser(), createTime(), event(), eventKey());
        }
    }

    private static String eventDedupKey(String from, long createTime, String event, String eventKey) {
        return "evt:" + from + ":" + createTime + ":" + event + ":" + (eventKey == null ? "" : eventKey);
    }

    /** {@code text}; {@code content} is the user's text. */
    record Text(String toUser, String fromUser, long createTime, long msgId, String content) implements Ordinary {
        public Text {
            Objects.requireNonNull(content, "content");
        }
    }

    /** {@code image}. */
    record Image(String toUser, String fromUser, long createTime, long msgId, String picUrl, String mediaId)
            implements Ordinary {
    }

    /** {@code voice}; {@code recognition} is the speech-to-text result, or null when recognition is off. */
    record Voice(String toUser, String fromUser, long createTime, long msgId, String mediaId, String format,
                 String recognition) implements Ordinary {
    }

    /** {@code video}, or {@code shortvideo} when {@code shortVideo} is true. */
    record Video(String toUser, String fromUser, long createTime, long msgId, String mediaId, String thumbMediaId,
                 boolean shortVideo) implements Ordinary {
    }

    /** {@code location}: {@code Location_X} is the latitude, {@code Location_Y} the longitude. */
    record Location(String toUser, String fromUser, long createTime, long msgId, double latitude, double longitude,
                    int scale, String label) implements Ordinary {
    }

    /** {@code link}. */
    record Link(String toUser, String fromUser, long createTime, long msgId, String title, String description,
                String url) implements Ordinary {
    }

    /**
     * {@code subscribe}: an ordinary follow (eventKey and ticket null) or a follow through a parametric QR code
     * ({@code EventKey = "qrscene_" + scene}, with a ticket).
     */
    record Subscribe(String toUser, String fromUser, long createTime, String eventKey, String ticket)
            implements Event {

        /** The QR scene without the {@code qrscene_} prefix, if this follow came from a parametric QR code. */
        public Optional<String> scene() {
            if (eventKey == null || !eventKey.startsWith("qrscene_") || eventKey.length() == "qrscene_".length()) {
                return Optional.empty();
            }
            return Optional.of(eventKey.substring("qrscene_".length()));
        }

        @Override
        public String event() {
            return "subscribe";
        }
    }

    /** {@code unsubscribe}; no reply reaches the user. */
    record Unsubscribe(String toUser, String fromUser, long createTime) implements Event {
        @Override
        public String event() {
            return "unsubscribe";
        }

        @Override
        public String eventKey() {
            return null;
        }
    }

    /** {@code SCAN}: an existing follower scanned a parametric QR code; {@code eventKey} is the scene. */
    record Scan(String toUser, String fromUser, long createTime, String eventKey, String ticket) implements Event {
        @Override
        public String event() {
            return "SCAN";
        }
    }

    /** {@code LOCATION}: the reported position of a follower who allowed it. */
    record LocationEvent(String toUser, String fromUser, long createTime, double latitude, double longitude,
                         double precision) implements Event {
        @Override
        public String event() {
            return "LOCATION";
        }

        @Override
        public String eventKey() {
            return null;
        }
    }

    /** {@code CLICK} on a menu button; {@code eventKey} is the button's key. */
    record Click(String toUser, String fromUser, long createTime, String eventKey) implements Event {
        @Override
        public String event() {
            return "CLICK";
        }
    }

    /** {@code VIEW}: the user opened a menu link; {@code menuId} is null when absent. */
    record View(String toUser, String fromUser, long createTime, String url, Long menuId) implements Event {
        @Override
        public String event() {
            return "VIEW";
        }

        @Override
        public String eventKey() {
            return url;
        }
    }

    /** {@code TEMPLATESENDJOBFINISH}: delivery result of a template message ({@code MsgID}, {@code Status}). */
    record TemplateSendJobFinish(String toUser, String fromUser, long createTime, long msgId, String status)
            implements Event {
        @Override
        public String event() {
            return "TEMPLATESENDJOBFINISH";
        }

        @Override
        public String eventKey() {
            return null;
        }

        @Override
        public String dedupKey() {
            return eventDedupKey(fromUser, createTime, event(), Long.toString(msgId));
        }
    }

    /**
     * Any push this module does not model (unknown {@code MsgType}, unknown {@code Event}, or a known type whose
     * specific fields are missing or malformed). {@code fields} holds every direct child of {@code <xml>}.
     *
     * @param event the {@code Event} value, or null when this is not an event
     */
    record Other(String toUser, String fromUser, long createTime, String msgType, String event,
                 Map<String, String> fields) implements WeChatMessage {

        public Other {
            fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }

        /**
         * For events the event key formula; otherwise {@code "msg:" + MsgId} when a MsgId is present, else
         * {@code "other:" + fromUser + ":" + createTime + ":" + msgType}.
         */
        @Override
        public String dedupKey() {
            if (event != null) {
                return eventDedupKey(fromUser, createTime, event, fields.get("EventKey"));
            }
            String msgId = fields.get("MsgId");
            if (msgId != null && !msgId.isBlank()) {
                return "msg:" + msgId.trim();
            }
            return "other:" + fromUser + ":" + createTime + ":" + msgType;
        }
    }
}
