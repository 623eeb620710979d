package cn.budayang.wechat.api;

/**
 * A failed call to the WeChat API. {@link #errcode()} is WeChat's errcode, or {@link #TRANSPORT_ERRCODE} for
 * I/O errors, timeouts and non-200 HTTP answers. The message names the API path and the errcode/errmsg; it never
 * contains the access_token or the AppSecret.
 */
public final class WeChatApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The errcode used for failures below the WeChat protocol (I/O, timeout, HTTP status). */
    public static final int TRANSPORT_ERRCODE = -2;

    /** What the caller should do about it. */
    public enum Kind {
        /** 45015: outside the 48-hour window or the user unfollowed; fall back to a notice. */
        OUT_OF_WINDOW,
        /** 45047: the customer-service quota for this user is used up; fall back to a notice. */
        QUOTA_EXHAUSTED,
        /** 40003: the OpenID does not belong to this account. */
        INVALID_OPENID,
        /** 43004: the recipient does not follow the account. */
        NOT_FOLLOWING,
        /** 43019: the recipient is on the account's blacklist. */
        BLOCKED,
        /** 43101: no subscription consent left. */
        CONSENT_MISSING,
        /** 45002: content too long; not retried (the same text is refused again, whoever it is for). */
        CONTENT_TOO_LONG,
        /** 40001/40014/42001 still failing after one refresh and retry. */
        TOKEN,
        /** -1 (system busy) after the bounded back-off retries. */
        BUSY,
        /** 40013/40125/40164/40243/48001: AppID, AppSecret, IP whitelist or permissions need fixing. */
        CONFIG,
        /** 45009/45011: daily quota or per-minute frequency exceeded. */
        RATE_LIMITED,
        /** I/O error, timeout or non-200 HTTP status. */
        TRANSPORT,
        /** Any other errcode. */
        OTHER
    }

    private final String apiPath;
    private final int errcode;
    private final String errmsg;
    private final Kind kind;

    /** For an errcode answered by WeChat. */
    public WeChatApiException(String apiPath, int errcode, String errmsg) {
        this(apiPath, errcode, errmsg, kindOf(errcode), null);
    }

    /** For a transport failure ({@link Kind#TRANSPORT}, errcode {@link #TRANSPORT_ERRCODE}). */
    public static WeChatApiException transport(String apiPath, String what, Throwable cause) {
        return new WeChatApiException(apiPath, TRANSPORT_ERRCODE, what, Kind.TRANSPORT, cause);
    }

    WeChatApiException(String apiPath, int errcode, String errmsg, Kind kind) {
        this(apiPath, errcode, errmsg, kind, null);
    }

    private WeChatApiException(String apiPath, int errcode, String errmsg, Kind kind, Throwable cause) {
        super("WeChat API " + apiPath + " failed: " + (kind == Kind.TRANSPORT ? "" : "errcode " + errcode + ", ")
                + "errmsg " + (errmsg == null ? "(none)" : errmsg) + " [" + kind + "]", cause);
        this.apiPath = apiPath;
        this.errcode = errcode;
        this.errmsg = errmsg;
        this.kind = kind;
    }

    /** Maps a WeChat errcode to a {@link Kind}. */
    public static Kind kindOf(int errcode) {
        switch (errcode) {
            case 45015:
                return Kind.OUT_OF_WINDOW;
            case 45047:
                return Kind.QUOTA_EXHAUSTED;
            case 40003:
                return Kind.INVALID_OPENID;
            case 43004:
                return Kind.NOT_FOLLOWING;
            case 43019:
                return Kind.BLOCKED;
            case 43101:
                return Kind.CONSENT_MISSING;
            case 45002:
                return Kind.CONTENT_TOO_LONG;
            case 40001:
            case 40014:
            case 42001:
                return Kind.TOKEN;
            case -1:
                return Kind.BUSY;
            case 40013:
            case 40125:
            case 40164:
            case 40243:
            case 48001:
                return Kind.CONFIG;
            case 45009:
            case 45011:
                return Kind.RATE_LIMITED;
            case TRANSPORT_ERRCODE:
                return Kind.TRANSPORT;
            default:
                return Kind.OTHER;
        }
    }

    /** The API path without query string, e.g. {@code /cgi-bin/message/custom/send}. */
    public String apiPath() {
        return apiPath;
    }

    /** WeChat's errcode, or {@link #TRANSPORT_ERRCODE}. */
    public int errcode() {
        return errcode;
    }

    /** WeChat's errmsg (or a transport description); may be null. */
    public String errmsg() {
        return errmsg;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * Whether trying the same call later may succeed: true for TRANSPORT, BUSY, RATE_LIMITED and TOKEN; false
     * otherwise (for OUT_OF_WINDOW and QUOTA_EXHAUSTED the caller should fall back to a subscribe notice).
     */
    public boolean retryable() {
        return retryable(kind);
    }

    /** Whether failures of this kind are temporary: TRANSPORT, BUSY, RATE_LIMITED and TOKEN. */
    public static boolean retryable(Kind kind) {
        return kind == Kind.TRANSPORT || kind == Kind.BUSY || kind == Kind.RATE_LIMITED || kind == Kind.TOKEN;
    }

    /**
     * Whether the refusal is about this one recipient (outside the 48-hour window, quota used, not following,
     * blacklisted, an openid not of this account, no consent), so that someone else may still be reached. Failures of
     * the network, the account (rate limits, busy, tokens, settings) and the content are not: anyone else would fail
     * the same way.
     */
    public boolean aboutTheRecipient() {
        return aboutTheRecipient(kind);
    }

    /** See {@link #aboutTheRecipient()}. */
    public static boolean aboutTheRecipient(Kind kind) {
        return kind == Kind.OUT_OF_WINDOW || kind == Kind.QUOTA_EXHAUSTED || kind == Kind.NOT_FOLLOWING
                || kind == Kind.BLOCKED || kind == Kind.INVALID_OPENID || kind == Kind.CONSENT_MISSING;
    }
}
