package cn.budayang.bot.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The one handler with logic: finds the {@link Route} for each aggregated request, runs its {@link Endpoint} and
 * writes the answer; refusals ({@link HttpError}) and failures become responses here and nowhere else.
 *
 * <p>One instance per channel (it is stateful): responses go out in request order, so while one request is in
 * flight later pipelined requests wait in a queue and reading pauses. The request message is copied into a
 * {@link Request} before the handler returns (the message is released then); responses are built on the event
 * loop. Unknown path: 404; known path, wrong method: 405 with {@code Allow}; a request the codec could not parse:
 * 400/414/431 and close; an unexpected failure: 500, logged once with its stack trace.
 */
final class HttpDispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(HttpDispatcher.class);

    /** A request and, when it was refused before routing (unparseable, too large), the refusal. */
    private record Exchange(Request request, HttpError refusal) {
    }

    private final List<Route> routes;
    private final Executor appExecutor;
    private final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
    private boolean busy;
    /** The exchange being answered, or null; one given up at the request timeout is no longer it. */
    private Exchange current;

    /**
     * @param routes      tried in order; the first whose path matches answers
     * @param appExecutor runs {@link Response#undelivered()} callbacks
     */
    HttpDispatcher(List<Route> routes, Executor appExecutor) {
        this.routes = List.copyOf(routes);
        this.appExecutor = Objects.requireNonNull(appExecutor, "appExecutor");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        DecoderResult result = msg.decoderResult();
        if (result.isFailure()) {
            log.debug("unparseable request on {}: {}", ctx.channel().id(), result.cause().toString());
            submit(ctx, new Exchange(Request.headOnly(msg), malformed(result.cause())));
            return;
        }
        Request request = Request.of(msg);
        if (request.uriProblem() != null) {
            log.debug("undecodable request URI on {}: {}", ctx.channel().id(), request.uriProblem());
            submit(ctx, new Exchange(request, HttpError.badRequest("bad_uri",
                    "the request URI cannot be decoded: " + request.uriProblem())));
        } else {
            submit(ctx, new Exchange(request, null));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            log.debug("closing idle connection {}", ctx.channel().id());
            ctx.close();
        } else if (evt instanceof RequestTimeoutHandler.Expired expired) {
            timedOut(ctx, expired);
        } else if (evt instanceof BoundedHttpObjectAggregator.RequestTooLarge tooLarge) {
            submit(ctx, new Exchange(tooLarge.request(), HttpError.tooLarge(
                    "request body exceeds " + tooLarge.limit() + " bytes", true)));
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        waiting.clear();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("http connection {} failed: {}", ctx.channel().id(), cause.toString());
        } else {
            log.warn("http connection {} failed, closing: {}", ctx.channel().id(), cause.toString());
        }
        ctx.close();
    }

    private void submit(ChannelHandlerContext ctx, Exchange exchange) {
        if (busy) {
            waiting.add(exchange);
            ctx.channel().config().setAutoRead(false);
        } else {
            start(ctx, exchange);
        }
    }

    private void start(ChannelHandlerContext ctx, Exchange exchange) {
        busy = true;
        current = exchange;
        CompletableFuture<Response> answer;
        try {
            answer = exchange.refusal() != null
                    ? CompletableFuture.failedFuture(exchange.refusal())
                    : route(exchange.request(), ctx.executor());
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((response, failure) -> onLoop(ctx, () -> {
            if (current == exchange) {
                finish(ctx, exchange.request(), response, failure);
            } else {
                abandoned(exchange.request(), response);
            }
        }));
    }

    /**
     * The request timeout passed before the answer started: a request being worked on gets a 503 saying so (logged
     * once, at WARN), one that never arrived in full (a slow or stalled client) nothing; the connection is closed
     * either way.
     */
    private void timedOut(ChannelHandlerContext ctx, RequestTimeoutHandler.Expired expired) {
        Exchange ex = current;
        current = null;
        busy = false;
        waiting.clear();
        if (ex == null) {
            log.debug("closing {}: request not received in full within {} s", ctx.channel().id(),
                    expired.timeout().toSeconds());
            ctx.close();
            return;
        }
        Request r = ex.request();
        String what = r.method() + " " + abbreviate(r.path());
        log.warn("event=request_timeout request=\"{}\" seconds={} action=\"answered 503 and closed the connection; "
                + "the server is busy (the admin API's statistics and unfiltered lists of a large store take "
                + "longest): the client may try again in a minute\"", what, expired.timeout().toSeconds());
        Response timeout = HttpError.timedOut(what + " was not answered within " + expired.timeout().toSeconds()
                + " s: the server is busy (statistics and lists of a large store take longest). Try again in a "
                + "minute; narrow a list with status, group, station or openId, or page it with limit.",
                RETRY_AFTER_SECONDS).toResponse();
        ctx.writeAndFlush(toNetty(timeout, true)).addListener(ChannelFutureListener.CLOSE);
    }

    /** When to try again after a request timed out, in seconds (the statistics are reused for up to a minute). */
    static final long RETRY_AFTER_SECONDS = 60;

    /** The answer of a request given up at the request timeout: dropped, its undelivered action run. */
    private void abandoned(Request request, Response response) {
        log.debug("dropping the late answer of {} {}", request.method(), abbreviate(request.path()));
        if (response != null && response.undelivered() != null) {
            runUndelivered(response.undelivered());
        }
    }

    private CompletableFuture<Response> route(Request request, EventExecutor loop) {
        for (Route route : routes) {
            if (route.matches(request.path())) {
                route.guard().accept(request);
                Endpoint endpoint = route.methods().get(request.method());
                if (endpoint == null) {
                    throw HttpError.methodNotAllowed(request.method(), route.methods().keySet());
                }
                return Objects.requireNonNull(endpoint.handle(request, loop), "endpoint returned null");
            }
        }
        throw HttpError.notFound("no such path: " + abbreviate(request.path()));
    }

    private static void onLoop(ChannelHandlerContext ctx, Runnable task) {
        EventExecutor loop = ctx.executor();
        if (loop.inEventLoop()) {
            task.run();
            return;
        }
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            log.debug("event loop is shut down; dropping the response on {}", ctx.channel().id());
        }
    }

    private void finish(ChannelHandlerContext ctx, Request request, Response response, Throwable failure) {
        Response r = failure == null && response != null ? response : refusal(failure, request);
        boolean close = r.close() || !request.keepAlive();
        ChannelFuture written = ctx.writeAndFlush(toNetty(r, close));
        if (r.undelivered() != null) {
            Runnable undelivered = r.undelivered();
            written.addListener(f -> {
                if (!f.isSuccess()) {
                    runUndelivered(undelivered);
                }
            });
        }
        busy = false;
        current = null;
        if (close) {
            written.addListener(ChannelFutureListener.CLOSE);
            waiting.clear();
            return;
        }
        Exchange next = waiting.poll();
        if (next != null) {
            start(ctx, next);
        } else if (!ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void runUndelivered(Runnable action) {
        try {
            appExecutor.execute(action);
        } catch (RejectedExecutionException e) {
            log.error("cannot report an undelivered response: application executor refused the task");
        }
    }

    /** The single mapping from a failure to a response. */
    private static Response refusal(Throwable failure, Request request) {
        Throwable t = unwrap(failure);
        if (t instanceof HttpError e) {
            return e.toResponse();
        }
        if (t instanceof RejectedExecutionException) {
            log.warn("application executor refused {} {}; answering 503", request.method(), request.path());
            return HttpError.unavailable("server busy, try again").toResponse();
        }
        log.error("unhandled failure answering {} {}", request.method(), request.path(), t);
        return HttpError.internal().toResponse();
    }

    private static Throwable unwrap(Throwable t) {
        Throwable cur = t == null ? new NullPointerException("endpoint completed with null") : t;
        while ((cur instanceof CompletionException || cur instanceof ExecutionException) && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur;
    }

    private static HttpError malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpError.malformed(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpError.malformed(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large");
        }
        return HttpError.malformed(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
    }

    private static FullHttpResponse toNetty(Response r, boolean close) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(),
                Unpooled.wrappedBuffer(r.body()));
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        for (Map.Entry<String, String> h : r.headers().entrySet()) {
            res.headers().set(h.getKey(), h.getValue());
        }
        if (close) {
            HttpUtil.setKeepAlive(res, false);
        }
        return res;
    }

    static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "…";
    }
}
