package cn.budayang.wechat;

import java.util.List;
import java.util.Objects;

/**
 * A passive reply, rendered by {@link WeChatXml#render(WeChatReply)}. {@code toUser} is the user's OpenID (the
 * inbound {@code FromUserName}), {@code fromUser} the account's {@code gh_…} id, {@code createTime} Unix seconds.
 */
public sealed interface WeChatReply {

    String toUser();

    String fromUser();

    long createTime();

    /**
     * A text reply to {@code to}, with sender and recipient swapped.
     *
     * @param now Unix seconds for {@code CreateTime}
     */
    static Text text(WeChatMessage to, String content, long now) {
        return new Text(to.fromUser(), to.toUser(), now, content);
    }

    /** {@code text}; newlines are allowed, keep it under about 2000 UTF-8 bytes. */
    record Text(String toUser, String fromUser, long createTime, String content) implements WeChatReply {
        public Text {
            Objects.requireNonNull(toUser, "toUser");
            Objects.requireNonNull(fromUser, "fromUser");
            Objects.requireNonNull(content, "content");
        }
    }

    /** {@code image} with an uploaded media id. */
    record Image(String toUser, String fromUser, long createTime, String mediaId) implements WeChatReply {
        public Image {
            Objects.requireNonNull(toUser, "toUser");
            Objects.requireNonNull(fromUser, "fromUser");
            Objects.requireNonNull(mediaId, "mediaId");
        }
    }

    /** {@code news}: article cards; WeChat shows only one when answering a user message. */
    record News(String toUser, String fromUser, long createTime, List<Article> articles) implements WeChatReply {
        public News {
            Objects.requireNonNull(toUser, "toUser");
            Objects.requireNonNull(fromUser, "fromUser");
            articles = List.copyOf(articles);
            if (articles.isEmpty()) {
                throw new IllegalArgumentException("a news reply needs at least one article");
            }
        }

        /** One card; null fields are rendered empty. */
        public record Article(String title, String description, String picUrl, String url) {
        }
    }

    /** {@code transfer_customer_service}; {@code kfAccount} pins an agent, or null for any agent. */
    record TransferCustomerService(String toUser, String fromUser, long createTime, String kfAccount)
            implements WeChatReply {
        public TransferCustomerService {
            Objects.requireNonNull(toUser, "toUser");
            Objects.requireNonNull(fromUser, "fromUser");
        }
    }
}
