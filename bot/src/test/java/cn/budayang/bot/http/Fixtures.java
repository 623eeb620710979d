package cn.budayang.bot.http;

import cn.budayang.bot.config.BotConfig;
import cn.budayang.bot.reception.Reception;
import cn.budayang.bot.reception.Reply;
import cn.budayang.bot.ticket.AdminQueries;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.bot.ticket.TicketQuery;
import cn.budayang.wechat.WeChatCredentials;
import cn.budayang.wechat.WeChatMessage;
import cn.budayang.wechat.WeChatProtocol;
import cn.budayang.wechat.testing.SignedRequests;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpVersion;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/** Shared wiring and fakes for the http tests. */
final class Fixtures {

    static final String TOKEN = "DeputyBotToken2024";
    static final String APP_ID = "wx1a2b3c4d5e6f7a8b";
    static final String AES_KEY = "WeChatDeputyBotTestKey0123456789abcdefghijk";
    static final String ADMIN_TOKEN = "s3cret-admin-token";
    static final String ACCOUNT = "gh_3f1e2d4c5b6a";
    static final String OPEN_ID = "oQx1Z5vD9kLmN3pR7tY2wE8uI0aS";
    static final Instant NOW = Instant.ofEpochSecond(1_732_600_000L);
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Duration BUDGET = Duration.ofMillis(4000);
    static final Executor DIRECT = Runnable::run;

    private Fixtures() {
    }

    static BotConfig config(boolean aes, String adminToken) {
        return BotConfig.defaults()
                .withWeChat(credentials(aes), URI.create("http://127.0.0.1:1"))
                .withAdminToken(adminToken)
                .withReplyBudget(BUDGET);
    }

    static WeChatCredentials credentials(boolean aes) {
        return new WeChatCredentials(TOKEN, APP_ID, "secret", aes ? AES_KEY : null);
    }

    static WeChatProtocol protocol(boolean aes) {
        return new WeChatProtocol(credentials(aes), CLOCK, Duration.ofSeconds(300), new SecureRandom());
    }

    static SignedRequests signed() {
        return new SignedRequests(TOKEN, APP_ID, AES_KEY, CLOCK, "1320562132");
    }

    static String textXml(String content) {
        return SignedRequests.textXml(ACCOUNT, OPEN_ID, NOW.getEpochSecond() - 1, 24612345678901234L, content);
    }

    static Map<String, Object> health() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "ok");
        m.put("tickets", 3);
        return m;
    }

    /** The server's routes over the given fakes, with direct executors. */
    static List<Route> routes(boolean aes, String adminToken, Reception reception, AdminQueries admin,
                              Supplier<Map<String, Object>> health) {
        return BotServer.routes(config(aes, adminToken), protocol(aes), reception, admin, health, DIRECT, DIRECT,
                CLOCK);
    }

    /** A channel with only the dispatcher: write {@link FullHttpRequest}s, read {@link FullHttpResponse}s. */
    /** A channel whose clock moves only with {@code advanceTimeBy}: deadlines never fire early on a busy machine. */
    static EmbeddedChannel dispatcher(List<Route> routes) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpDispatcher(routes, DIRECT));
        ch.freezeTime();
        return ch;
    }

    static FullHttpRequest request(HttpMethod method, String uri, byte[] body) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                Unpooled.wrappedBuffer(body));
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return r;
    }

    static FullHttpRequest get(String uri) {
        return request(HttpMethod.GET, uri, new byte[0]);
    }

    /** A response copied out of its buffer (the buffer is released). */
    record Resp(int status, HttpHeaders headers, String body) {

        static Resp of(FullHttpResponse r) {
            try {
                return new Resp(r.status().code(), r.headers().copy(), r.content().toString(StandardCharsets.UTF_8));
            } finally {
                r.release();
            }
        }

        String header(CharSequence name) {
            return headers.get(name);
        }
    }

    /** The next response written by a dispatcher-only channel, or null. */
    static Resp next(EmbeddedChannel ch) {
        FullHttpResponse r = ch.readOutbound();
        return r == null ? null : Resp.of(r);
    }

    /** Every response written (as bytes) by a full-pipeline channel so far. */
    static List<Resp> wireResponses(EmbeddedChannel ch) {
        EmbeddedChannel decoder = new EmbeddedChannel(new HttpResponseDecoder(), new HttpObjectAggregator(1 << 20));
        for (Object o; (o = ch.readOutbound()) != null; ) {
            decoder.writeInbound((ByteBuf) o);
        }
        List<Resp> out = new ArrayList<>();
        for (Object o; (o = decoder.readInbound()) != null; ) {
            out.add(Resp.of((FullHttpResponse) o));
        }
        decoder.finishAndReleaseAll();
        return out;
    }

    static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** A reception whose answer each test scripts; records what it was given. */
    static final class FakeReception implements Reception {
        final List<WeChatMessage> received = new CopyOnWriteArrayList<>();
        final List<WeChatMessage> missed = new CopyOnWriteArrayList<>();
        volatile Function<WeChatMessage, CompletableFuture<Optional<Reply>>> answer =
                m -> CompletableFuture.completedFuture(Optional.empty());

        static FakeReception replying(String text) {
            FakeReception r = new FakeReception();
            r.answer = m -> CompletableFuture.completedFuture(Optional.of(Reply.text(text)));
            return r;
        }

        @Override
        public CompletableFuture<Optional<Reply>> receive(WeChatMessage message) {
            received.add(message);
            return answer.apply(message);
        }

        @Override
        public void replyMissed(WeChatMessage message) {
            missed.add(message);
        }
    }

    /** Admin queries over a fixed list of tickets; records the last query. */
    static class FakeAdminQueries implements AdminQueries {
        final List<Ticket> tickets;
        final AtomicInteger calls = new AtomicInteger();
        volatile TicketQuery lastQuery;

        FakeAdminQueries(List<Ticket> tickets) {
            this.tickets = List.copyOf(tickets);
        }

        @Override
        public List<Ticket> tickets(TicketQuery query) {
            calls.incrementAndGet();
            lastQuery = query;
            return tickets.stream().skip(query.offset()).limit(query.limit()).toList();
        }

        @Override
        public Optional<Ticket> ticket(String id) {
            calls.incrementAndGet();
            return tickets.stream().filter(t -> t.id().equals(id)).findFirst();
        }

        @Override
        public Map<String, Object> stats() {
            calls.incrementAndGet();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("byStatus", Map.of("admitted", tickets.size()));
            m.put("medianFirstAnswer", Duration.ofMinutes(90));
            return m;
        }
    }

    static Ticket ticket(String id) {
        return Ticket.admitted(id, OPEN_ID, "小区停车难", new Ticket.TicketMessage(NOW, "text", "小区停车难", null, null),
                "S001", "G-area", NOW);
    }
}
