package cn.budayang.bot.http;

import cn.budayang.bot.reception.Reply;

import cn.budayang.bot.http.Fixtures.FakeAdminQueries;
import cn.budayang.bot.http.Fixtures.FakeReception;
import cn.budayang.bot.http.Fixtures.Resp;
import cn.budayang.wechat.WeChatMessage;
import cn.budayang.wechat.WeChatSignature;
import cn.budayang.wechat.WeChatXml;
import cn.budayang.wechat.testing.SignedRequests;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static cn.budayang.bot.http.Fixtures.BUDGET;
import static cn.budayang.bot.http.Fixtures.OPEN_ID;
import static cn.budayang.bot.http.Fixtures.next;
import static cn.budayang.bot.http.Fixtures.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeChatEndpointTest {

    private final SignedRequests signed = Fixtures.signed();

    private static EmbeddedChannel channel(boolean aes, FakeReception reception) {
        return Fixtures.dispatcher(Fixtures.routes(aes, null, reception, new FakeAdminQueries(List.of()),
                Fixtures::health));
    }

    private static Resp post(EmbeddedChannel ch, SignedRequests.Request r) {
        ch.writeInbound(request(HttpMethod.POST, "/wechat?" + r.query(), r.body()));
        return next(ch);
    }

    private static Map<String, String> xml(String body) {
        return WeChatXml.readFlat(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void urlVerificationEchoesEchostrAsPlainText() {
        EmbeddedChannel ch = channel(false, new FakeReception());
        ch.writeInbound(Fixtures.get("/wechat?" + signed.urlVerifyQuery("4375120948345356249")));
        Resp r = next(ch);
        assertEquals(200, r.status());
        assertEquals("4375120948345356249", r.body());
        assertEquals("text/plain; charset=utf-8", r.header(HttpHeaderNames.CONTENT_TYPE));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void urlVerificationWithWrongSignatureIs403() {
        EmbeddedChannel ch = channel(false, new FakeReception());
        String query = signed.urlVerifyQuery("123").replaceFirst("signature=[0-9a-f]{40}",
                "signature=" + "0".repeat(40));
        ch.writeInbound(Fixtures.get("/wechat?" + query));
        Resp r = next(ch);
        assertEquals(403, r.status());
        assertFalse(r.body().contains("123"), r.body());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void urlVerificationWithoutParametersIs403() {
        EmbeddedChannel ch = channel(false, new FakeReception());
        ch.writeInbound(Fixtures.get("/wechat"));
        assertEquals(403, next(ch).status());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void plaintextPushGetsPassiveXmlReply() {
        FakeReception reception = FakeReception.replying("已收到，工单号 1024");
        EmbeddedChannel ch = channel(false, reception);
        Resp r = post(ch, signed.plaintext(Fixtures.textXml("小区停车难怎么办？")));
        assertEquals(200, r.status());
        assertEquals("application/xml; charset=utf-8", r.header(HttpHeaderNames.CONTENT_TYPE));
        Map<String, String> reply = xml(r.body());
        assertEquals("已收到，工单号 1024", reply.get("Content"));
        assertEquals(OPEN_ID, reply.get("ToUserName"));
        assertEquals(Fixtures.ACCOUNT, reply.get("FromUserName"));
        assertEquals("text", reply.get("MsgType"));
        assertEquals(String.valueOf(Fixtures.NOW.getEpochSecond()), reply.get("CreateTime"));
        assertEquals(1, reception.received.size());
        WeChatMessage.Text text = assertInstanceOf(WeChatMessage.Text.class, reception.received.get(0));
        assertEquals("小区停车难怎么办？", text.content());
        assertTrue(reception.missed.isEmpty());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void safeModePushGetsEncryptedReplyThatDecryptsBack() {
        FakeReception reception = FakeReception.replying("您好，代表已收到");
        EmbeddedChannel ch = channel(true, reception);
        SignedRequests.Request push = signed.safe(Fixtures.textXml("加装电梯的补贴政策？"));
        assertFalse(push.bodyText().contains("加装电梯"), "safe mode sends no plaintext");
        Resp r = post(ch, push);
        assertEquals(200, r.status());
        assertTrue(r.body().contains("<Encrypt>"), r.body());
        assertFalse(r.body().contains("代表已收到"), "reply must be encrypted");
        Map<String, String> inner = xml(signed.openReply(r.body()));
        assertEquals("您好，代表已收到", inner.get("Content"));
        assertEquals(OPEN_ID, inner.get("ToUserName"));
        assertEquals("加装电梯的补贴政策？",
                assertInstanceOf(WeChatMessage.Text.class, reception.received.get(0)).content());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void compatibleModeUsesDecryptedPayloadAndRepliesEncrypted() {
        FakeReception reception = FakeReception.replying("好的");
        EmbeddedChannel ch = channel(true, reception);
        Resp r = post(ch, signed.compatible(Fixtures.textXml("路灯坏了")));
        assertEquals(200, r.status());
        assertEquals("好的", xml(signed.openReply(r.body())).get("Content"));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void pushWithBadSignatureIs403AndNeverReachesReception() {
        FakeReception reception = FakeReception.replying("x");
        EmbeddedChannel ch = channel(false, reception);
        SignedRequests.Request good = signed.plaintext(Fixtures.textXml("hi"));
        String forged = good.query().replaceFirst("signature=[0-9a-f]{40}", "signature=" + "a".repeat(40));
        Resp r = post(ch, new SignedRequests.Request(forged, good.body()));
        assertEquals(403, r.status());
        assertTrue(reception.received.isEmpty());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void pushWithStaleTimestampIs403() {
        FakeReception reception = new FakeReception();
        EmbeddedChannel ch = channel(false, reception);
        SignedRequests old = new SignedRequests(Fixtures.TOKEN, Fixtures.APP_ID, null,
                java.time.Clock.fixed(Fixtures.NOW.minusSeconds(3600), java.time.ZoneOffset.UTC), "42");
        assertEquals(403, post(ch, old.plaintext(Fixtures.textXml("hi"))).status());
        assertTrue(reception.received.isEmpty());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void tamperedSafeModeCiphertextIs403() {
        FakeReception reception = new FakeReception();
        EmbeddedChannel ch = channel(true, reception);
        SignedRequests.Request push = signed.safe(Fixtures.textXml("hi"));
        // flip the first Base64 character (to another one: the ciphertext is random, so it may already be an A)
        String text = push.bodyText();
        int at = text.indexOf("<Encrypt><![CDATA[") + "<Encrypt><![CDATA[".length();
        char flipped = text.charAt(at) == 'A' ? 'B' : 'A';
        String body = text.substring(0, at) + flipped + text.substring(at + 1);
        Resp r = post(ch, new SignedRequests.Request(push.query(), body.getBytes(StandardCharsets.UTF_8)));
        assertEquals(403, r.status());
        assertTrue(reception.received.isEmpty());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void malformedXmlIs400() {
        FakeReception reception = new FakeReception();
        EmbeddedChannel ch = channel(false, reception);
        String query = signed.plaintext(Fixtures.textXml("hi")).query();
        Resp r = post(ch, new SignedRequests.Request(query, "<xml><ToUserName>oops".getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, r.status());
        assertEquals("application/json; charset=utf-8", r.header(HttpHeaderNames.CONTENT_TYPE));
        assertTrue(r.body().contains("\"error\":\"malformed_xml\""), r.body());
        assertTrue(reception.received.isEmpty());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void signedButUndecryptableCiphertextIs400() {
        FakeReception reception = new FakeReception();
        EmbeddedChannel ch = channel(true, reception);
        String ts = signed.timestamp();
        String nonce = "77";
        String encrypt = "QUJD"; // valid Base64, but 3 bytes is no AES block
        String query = SignedRequests.formatQuery(Map.of(
                "signature", WeChatSignature.sign(Fixtures.TOKEN, ts, nonce), "timestamp", ts, "nonce", nonce,
                "encrypt_type", "aes", "msg_signature", WeChatSignature.sign(Fixtures.TOKEN, ts, nonce, encrypt)));
        String body = "<xml><ToUserName><![CDATA[" + Fixtures.ACCOUNT + "]]></ToUserName><Encrypt><![CDATA["
                + encrypt + "]]></Encrypt></xml>";
        Resp r = post(ch, new SignedRequests.Request(query, body.getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, r.status());
        assertTrue(reception.received.isEmpty());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void encryptedPushWithoutConfiguredKeyGetsSuccess() {
        FakeReception reception = FakeReception.replying("never");
        EmbeddedChannel ch = channel(false, reception);
        Resp r = post(ch, signed.safe(Fixtures.textXml("hi")));
        assertEquals(200, r.status());
        assertEquals("success", r.body());
        assertTrue(reception.received.isEmpty());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void emptyReplyIsSuccess() {
        FakeReception reception = new FakeReception();
        EmbeddedChannel ch = channel(false, reception);
        Resp r = post(ch, signed.plaintext(Fixtures.textXml("谢谢")));
        assertEquals(200, r.status());
        assertEquals("success", r.body());
        assertEquals("text/plain; charset=utf-8", r.header(HttpHeaderNames.CONTENT_TYPE));
        assertEquals(1, reception.received.size());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void slowReceptionGetsSuccessAtTheBudgetAndReplyMissedOnce() {
        FakeReception reception = new FakeReception();
        CompletableFuture<Optional<Reply>> slow = new CompletableFuture<>();
        reception.answer = m -> slow;
        EmbeddedChannel ch = channel(false, reception);
        assertNull(post(ch, signed.plaintext(Fixtures.textXml("hi"))), "nothing before the budget");

        ch.advanceTimeBy(BUDGET.toMillis() - 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertNull(next(ch), "still nothing just before the budget");

        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        Resp r = next(ch);
        assertNotNull(r);
        assertEquals(200, r.status());
        assertEquals("success", r.body());
        assertEquals(1, reception.missed.size());

        slow.complete(Optional.of(Reply.text("late reply")));
        ch.runPendingTasks();
        assertNull(next(ch), "a late reply writes nothing");
        assertEquals(1, reception.missed.size());
        assertTrue(ch.isActive());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void replyJustInsideTheBudgetIsSentAndTheTimerDoesNothing() {
        FakeReception reception = new FakeReception();
        CompletableFuture<Optional<Reply>> slow = new CompletableFuture<>();
        reception.answer = m -> slow;
        EmbeddedChannel ch = channel(false, reception);
        post(ch, signed.plaintext(Fixtures.textXml("hi")));
        ch.advanceTimeBy(BUDGET.toMillis() - 10, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        slow.complete(Optional.of(Reply.text("准时")));
        Resp r = next(ch);
        assertEquals("准时", xml(r.body()).get("Content"));
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertNull(next(ch));
        assertTrue(reception.missed.isEmpty());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void failingReceptionIsNotAcknowledgedSoWeChatRetries() {
        FakeReception reception = new FakeReception();
        reception.answer = m -> CompletableFuture.failedFuture(new IllegalStateException("store down"));
        EmbeddedChannel ch = channel(false, reception);
        Resp r = post(ch, signed.plaintext(Fixtures.textXml("hi")));
        assertEquals(503, r.status());
        assertTrue(reception.missed.isEmpty());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void receptionThrowingSynchronouslyIsNotAcknowledged() {
        FakeReception reception = new FakeReception();
        reception.answer = m -> {
            throw new IllegalStateException("bug");
        };
        EmbeddedChannel ch = channel(false, reception);
        assertEquals(503, post(ch, signed.plaintext(Fixtures.textXml("hi"))).status());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void replyThatCannotBeWrittenIsReportedMissed() {
        FakeReception reception = new FakeReception();
        CompletableFuture<Optional<Reply>> slow = new CompletableFuture<>();
        reception.answer = m -> slow;
        EmbeddedChannel ch = channel(false, reception);
        post(ch, signed.plaintext(Fixtures.textXml("hi")));
        ch.close(); // WeChat gave up on the connection
        slow.complete(Optional.of(Reply.text("too late for this connection")));
        ch.runPendingTasks();
        assertEquals(1, reception.missed.size());
        ch.advanceTimeBy(BUDGET.toMillis(), TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(1, reception.missed.size(), "the budget timer was cancelled");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() {
        FakeReception reception = new FakeReception();
        CompletableFuture<Optional<Reply>> slow = new CompletableFuture<>();
        reception.answer = m -> slow;
        EmbeddedChannel ch = channel(false, reception);
        SignedRequests.Request push = signed.plaintext(Fixtures.textXml("hi"));
        ch.writeInbound(request(HttpMethod.POST, "/wechat?" + push.query(), push.body()));
        ch.writeInbound(Fixtures.get("/healthz"));
        assertNull(next(ch), "the health answer waits for the push answer");
        slow.complete(Optional.of(Reply.text("先到先答")));
        assertEquals("先到先答", xml(next(ch).body()).get("Content"));
        Resp health = next(ch);
        assertEquals(200, health.status());
        assertTrue(health.body().contains("\"status\":\"ok\""));
        assertTrue(ch.config().isAutoRead());
        assertFalse(ch.finishAndReleaseAll());
    }
}
