package cn.budayang.bot.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * {@code GET /healthz}: the supplier's map as JSON, 503 when its {@code status} is {@code degraded} (a part stopped:
 * a load balancer or monitor sees it) and 200 otherwise ({@code ok}, or {@code attention}: the server serves, but
 * something it reports needs a look). The supplier runs on the event loop, so that health answers
 * even when the application executor is saturated: it must be cheap and must not block.
 */
final class HealthEndpoint {

    private final Supplier<Map<String, Object>> health;

    HealthEndpoint(Supplier<Map<String, Object>> health) {
        this.health = Objects.requireNonNull(health, "health");
    }

    CompletableFuture<Response> get(Request request, EventExecutor loop) {
        Map<String, Object> h = health.get();
        return CompletableFuture.completedFuture(Response.json("degraded".equals(h.get("status"))
                ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK, h));
    }
}
