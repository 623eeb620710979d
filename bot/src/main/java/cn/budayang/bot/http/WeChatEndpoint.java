package cn.budayang.bot.http;

import cn.budayang.bot.QuietWarnings;
import cn.budayang.bot.reception.Reception;
import cn.budayang.bot.reception.Reply;
import cn.budayang.wechat.WeChatMessage;
import cn.budayang.wechat.WeChatProtocol;
import cn.budayang.wechat.WeChatProtocol.Inbound;
import cn.budayang.wechat.WeChatProtocolException;
import cn.budayang.wechat.WeChatReply;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code /wechat}: URL verification (GET) and pushes (POST).
 *
 * <p>A push is verified and decoded by {@link WeChatProtocol}, then handed to {@link Reception} on the application
 * executor. Its passive reply is sent if it is ready within the reply budget; otherwise {@code success} goes out when
 * the budget passes and {@link Reception#replyMissed} is told, once. A reply that is ready in time but cannot be
 * written (the connection is gone) is reported the same way. A failing {@link Reception} (the message could not be
 * stored) gets 503 and an error log: nothing was acknowledged, so WeChat's retry gets another try. Refusals: bad or missing signature, stale timestamp: 403 (the body is not logged); a body that is
 * not a valid push: 400; too large: 413; an encrypted push without a configured key: 200 {@code success} and a
 * warning.
 */
final class WeChatEndpoint {

    private static final Logger log = LoggerFactory.getLogger(WeChatEndpoint.class);
    private final QuietWarnings warnings = new QuietWarnings(log);

    /** WeChat waits 5 s; a budget above this would let the answer arrive too late. */
    static final Duration MAX_REPLY_BUDGET = Duration.ofMillis(4500);

    private final WeChatProtocol protocol;
    private final Reception reception;
    private final Executor appExecutor;
    private final Clock clock;
    private final long budgetNanos;

    /**
     * @param replyBudget how long to wait for the passive reply; capped at {@link #MAX_REPLY_BUDGET}
     */
    WeChatEndpoint(WeChatProtocol protocol, Reception reception, Executor appExecutor, Clock clock,
                   Duration replyBudget) {
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.reception = Objects.requireNonNull(reception, "reception");
        this.appExecutor = Objects.requireNonNull(appExecutor, "appExecutor");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (replyBudget.isNegative() || replyBudget.isZero()) {
            throw new IllegalArgumentException("reply budget must be positive, was " + replyBudget);
        }
        Duration budget = replyBudget.compareTo(MAX_REPLY_BUDGET) > 0 ? MAX_REPLY_BUDGET : replyBudget;
        this.budgetNanos = budget.toNanos();
    }

    /** GET: the echostr as text when the signature holds, else 403. */
    CompletableFuture<Response> verify(Request request, EventExecutor loop) {
        try {
            return CompletableFuture.completedFuture(
                    Response.text(HttpResponseStatus.OK, protocol.verifyUrl(request.query())));
        } catch (WeChatProtocolException e) {
            log.debug("URL verification refused: {} {}", e.kind(), e.getMessage());
            throw HttpError.forbidden("URL verification failed: " + e.kind().name().toLowerCase(Locale.ROOT));
        }
    }

    /** POST: a push. */
    CompletableFuture<Response> receive(Request request, EventExecutor loop) {
        Inbound inbound;
        try {
            inbound = protocol.decode(request.query(), request.body());
        } catch (WeChatProtocolException e) {
            if (e.kind() == WeChatProtocolException.Kind.AES_NOT_CONFIGURED) {
                warnings.warn("aes_push_without_key", "action=\"an encrypted push (encrypt_type=aes) arrived but no "
                        + "EncodingAESKey is configured: set WECHAT_AES_KEY or switch the account to plaintext mode; "
                        + "answered success, the message is lost\"");
                return CompletableFuture.completedFuture(Response.SUCCESS);
            }
            throw refusal(e);
        }
        return answer(inbound, loop);
    }

    private HttpError refusal(WeChatProtocolException e) {
        String what = e.kind().name().toLowerCase(Locale.ROOT);
        return switch (e.kind()) {
            case BAD_SIGNATURE, STALE_TIMESTAMP, MISSING_PARAMETER -> {
                log.debug("push refused: {} {}", e.kind(), e.getMessage());
                yield HttpError.forbidden("not a verified WeChat push: " + what);
            }
            case TOO_LARGE -> HttpError.tooLarge("push body too large", false);
            case MALFORMED_XML, BAD_BASE64, BAD_CIPHERTEXT, BAD_PADDING, WRONG_APP_ID -> {
                warnings.warn("signed_push_refused", "kind=" + e.kind() + " detail=\"" + e.getMessage()
                        + "\" action=\"a correctly signed body did not parse or decrypt: check WECHAT_AES_KEY and "
                        + "WECHAT_APP_ID, or the token may have leaked\"");
                yield HttpError.badRequest(what, "not a valid WeChat push: " + what);
            }
            case AES_NOT_CONFIGURED -> throw new IllegalStateException("handled by the caller", e);
        };
    }

    private CompletableFuture<Response> answer(Inbound inbound, EventExecutor loop) {
        WeChatMessage message = inbound.message();
        CompletableFuture<Response> out = new CompletableFuture<>();
        ScheduledFuture<?> budget = loop.schedule(() -> {
            if (out.complete(Response.SUCCESS)) {
                log.debug("reply budget passed for {}; answered success", message.dedupKey());
                replyMissed(message);
            }
        }, budgetNanos, TimeUnit.NANOSECONDS);

        CompletableFuture<Optional<Reply>> reply;
        try {
            reply = CompletableFuture.supplyAsync(() -> reception.receive(message), appExecutor)
                    .thenCompose(f -> Objects.requireNonNull(f, "Reception.receive returned null"));
        } catch (RejectedExecutionException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        reply.whenComplete((text, failure) -> {
            if (out.isDone()) {
                if (failure != null) {
                    // WeChat's deadline came first: it was answered success and will not retry
                    log.error("event=reception_failed_after_budget key={} from={} error=\"{}\" action=\"the message "
                            + "was answered success before it could be stored and is lost: check the store (disk space, "
                            + "BOT_DATA_DIR) and the server's load\"", message.dedupKey(), message.fromUser(),
                            cause(failure).toString());
                }
                return;
            }
            Response response = failure == null ? passiveReply(inbound, text) : failed(message, failure);
            if (out.complete(response)) {
                budget.cancel(false);
            }
        });
        return out;
    }

    private Response passiveReply(Inbound inbound, Optional<Reply> reply) {
        if (reply.isEmpty() || reply.get() instanceof Reply.Text t && t.content().isBlank()) {
            return Response.SUCCESS;
        }
        WeChatMessage message = inbound.message();
        long now = clock.instant().getEpochSecond();
        try {
            WeChatReply out = reply.get() instanceof Reply.Text t
                    ? WeChatReply.text(message, t.content(), now)
                    : new WeChatReply.TransferCustomerService(message.fromUser(), message.toUser(), now, null);
            String xml = protocol.encodeReply(out, inbound.encrypted());
            return Response.xml(xml).onUndelivered(() -> reception.replyMissed(message));
        } catch (RuntimeException e) {
            log.error("cannot encode the passive reply for {}; answered success", message.dedupKey(), e);
            replyMissed(message);
            return Response.SUCCESS;
        }
    }

    private static Response failed(WeChatMessage message, Throwable failure) {
        log.error("event=reception_failed key={} error=\"{}\" action=\"answered 503 so WeChat retries; check the "
                + "store (disk space, BOT_DATA_DIR)\"", message.dedupKey(), cause(failure).toString());
        return Response.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "the message could not be stored; retry");
    }

    private static Throwable cause(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private void replyMissed(WeChatMessage message) {
        try {
            appExecutor.execute(() -> reception.replyMissed(message));
        } catch (RejectedExecutionException e) {
            log.error("cannot report the missed reply for {}: application executor refused the task",
                    message.dedupKey());
        }
    }
}
