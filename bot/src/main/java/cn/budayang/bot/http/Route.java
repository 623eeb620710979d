package cn.budayang.bot.http;

import io.netty.handler.codec.http.HttpMethod;

import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A path (or a path and everything below it) with an endpoint per method. The guard runs before the method check,
 * so that, for example, every {@code /api} request without credentials gets 401 whatever its method.
 *
 * @param guard throws {@link HttpError} to refuse; runs on the event loop, must be cheap
 */
record Route(String path, boolean prefix, Consumer<Request> guard, Map<HttpMethod, Endpoint> methods) {

    private static final Consumer<Request> OPEN = r -> { };

    Route {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(guard, "guard");
        methods = Map.copyOf(methods);
    }

    static Route exact(String path, Map<HttpMethod, Endpoint> methods) {
        return new Route(path, false, OPEN, methods);
    }

    /** {@code path} itself and every path below it ({@code path + "/..."}). */
    static Route tree(String path, Consumer<Request> guard, Map<HttpMethod, Endpoint> methods) {
        return new Route(path, true, guard, methods);
    }

    boolean matches(String requestPath) {
        return prefix
                ? requestPath.equals(path) || requestPath.startsWith(path + "/")
                : requestPath.equals(path);
    }
}
