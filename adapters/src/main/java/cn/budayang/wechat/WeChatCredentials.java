package cn.budayang.wechat;

import java.util.Objects;

/**
 * The Official Account's secrets as configured on the WeChat platform.
 *
 * @param token          the server-configuration Token used for {@code signature}; non-empty
 * @param appId          the AppID ({@code wx…}); non-empty
 * @param appSecret      the AppSecret for {@code access_token}; non-null (may be empty when only the webhook is used)
 * @param encodingAesKey the 43-character EncodingAESKey, or null/blank when encrypted modes are not used
 *                       (blank is normalised to null)
 */
public record WeChatCredentials(String token, String appId, String appSecret, String encodingAesKey) {

    public WeChatCredentials {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(appId, "appId");
        Objects.requireNonNull(appSecret, "appSecret");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("WeChat token must not be empty");
        }
        if (appId.isEmpty()) {
            throw new IllegalArgumentException("WeChat appId must not be empty");
        }
        if (encodingAesKey != null && encodingAesKey.isBlank()) {
            encodingAesKey = null;
        }
    }

    /** Whether an EncodingAESKey is configured, i.e. compatible and safe mode can be decoded. */
    public boolean aesEnabled() {
        return encodingAesKey != null;
    }

    /** Shows the AppID only; token, secret and key are masked. */
    @Override
    public String toString() {
        return "WeChatCredentials[token=***, appId=" + appId + ", appSecret=***, encodingAesKey="
                + (aesEnabled() ? "***" : "none") + "]";
    }
}
