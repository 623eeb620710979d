package cn.budayang.wechat.api;

import cn.budayang.wechat.WeChatCredentials;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessTokenProviderTest {

    private final FakeWeChatApi fake = new FakeWeChatApi();
    private final MutableClock clock = MutableClock.atEpochSecond(1732600000L);
    private final AccessTokenProvider tokens = new AccessTokenProvider(fake.baseUrl(),
            new WeChatCredentials("tok", FakeWeChatApi.DEFAULT_APP_ID, FakeWeChatApi.DEFAULT_APP_SECRET, null),
            HttpClient.newHttpClient(), clock, d -> { }, false, Duration.ofSeconds(5));

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void lifetimeLeavesMarginBeforeExpiry() {
        assertEquals(6900, AccessTokenProvider.lifetime(7200));
        assertEquals(100, AccessTokenProvider.lifetime(400));
        assertEquals(60, AccessTokenProvider.lifetime(300));
        assertEquals(50, AccessTokenProvider.lifetime(100));
        assertEquals(15, AccessTokenProvider.lifetime(30));
        assertEquals(0, AccessTokenProvider.lifetime(0));
    }

    @Test
    void aSettingsRefusalIsRepeatedForAMinuteWithoutAskingAgain() {
        fake.failNext(AccessTokenProvider.TOKEN_PATH, 40164, 1);
        for (int i = 0; i < 20; i++) {
            WeChatApiException e = org.junit.jupiter.api.Assertions.assertThrows(WeChatApiException.class,
                    tokens::current);
            assertEquals(40164, e.errcode());
            assertEquals(WeChatApiException.Kind.CONFIG, e.kind());
        }
        assertEquals(1, fake.tokenRequests(), "twenty sends, one token call");
        clock.advance(AccessTokenProvider.REFUSAL_TTL);
        assertEquals("TOKEN-1", tokens.current().value(), "asked again after a minute: the IP was whitelisted");
        assertEquals(2, fake.tokenRequests());
    }

    @Test
    void refreshAtFollowsExpiresIn() {
        fake.expiresIn(1000);
        AccessToken t = tokens.current();
        assertEquals(Instant.ofEpochSecond(1732600000L + 700), t.refreshAt());
        clock.advance(Duration.ofSeconds(699));
        assertSame(t, tokens.current());
        clock.advance(Duration.ofSeconds(1));
        assertEquals("TOKEN-2", tokens.current().value());
    }

    @Test
    void compareAndInvalidateKeepsANewerToken() {
        AccessToken first = tokens.current();
        AccessToken second = tokens.refreshAfterRejection(first);
        assertEquals("TOKEN-2", second.value());
        // a late rejection of the old token must not throw away the new one
        assertSame(second, tokens.refreshAfterRejection(first));
        tokens.invalidate(first);
        assertSame(second, tokens.current());
        assertEquals(2, fake.tokenRequests());
        tokens.invalidate(second);
        assertEquals("TOKEN-3", tokens.current().value());
    }

    @Test
    void failedFetchIsNotCachedAndTheNextCallRetries() {
        // a refusal that is not about the account's settings (those are repeated for a minute, below)
        fake.failNext(FakeWeChatApi.TOKEN_PATH, 45009, 1);
        WeChatApiException e = org.junit.jupiter.api.Assertions.assertThrows(WeChatApiException.class, tokens::current);
        assertEquals(WeChatApiException.Kind.RATE_LIMITED, e.kind());
        assertEquals("TOKEN-1", tokens.current().value());
    }

    @Test
    void toStringMasksTheToken() {
        AccessToken t = tokens.current();
        assertFalse(t.toString().contains(t.value()));
        assertTrue(t.toString().contains("***"));
        assertFalse(tokens.toString().contains(FakeWeChatApi.DEFAULT_APP_SECRET));
    }
}
