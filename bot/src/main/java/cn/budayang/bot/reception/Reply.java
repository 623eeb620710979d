package cn.budayang.bot.reception;

/** The passive reply to one inbound message. */
public sealed interface Reply {

    /** A text back to the sender. */
    record Text(String content) implements Reply {
    }

    /** Hand the message to the account's WeChat customer-service desk (人工, during duty hours). */
    record TransferToAgent() implements Reply {
    }

    static Reply text(String content) {
        return new Text(content);
    }
}
