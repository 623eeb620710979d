package cn.budayang.wechat.api;

import java.time.Instant;
import java.util.Objects;

/**
 * An access_token and when to stop using it. {@link #toString()} masks the value; read it only through
 * {@link #value()} to put it into a request.
 *
 * @param value     the token
 * @param obtained  when it was issued to us
 * @param refreshAt when to fetch a new one (somewhat before WeChat's expiry)
 */
public record AccessToken(String value, Instant obtained, Instant refreshAt) {

    public AccessToken {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(obtained, "obtained");
        Objects.requireNonNull(refreshAt, "refreshAt");
    }

    /** Whether the token may still be used at {@code now}. */
    public boolean usableAt(Instant now) {
        return now.isBefore(refreshAt);
    }

    @Override
    public String toString() {
        return "AccessToken[value=***(" + value.length() + " chars), obtained=" + obtained + ", refreshAt="
                + refreshAt + "]";
    }
}
