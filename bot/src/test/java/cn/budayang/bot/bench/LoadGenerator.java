package cn.budayang.bot.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A closed-loop HTTP/1.1 load generator on Netty, loopback only: {@code connections} keep-alive connections, each
 * sending its next request as soon as the previous answer arrived. Requests are pre-encoded bytes written straight
 * to the socket (no client-side encoder); answers are decoded and counted by status. Bounded twice: by the number
 * of requests the supplier hands out ({@code null} ends a connection) and by time (warm-up, then measurement).
 * Latencies of the measured window are kept in full and sorted at the end.
 */
final class LoadGenerator {

    /** What one run measured. Latencies are in nanoseconds, sorted. */
    record Result(String name, int connections, long requests, long errors, Duration measured, long[] latencies) {
        double perSecond() {
            return requests / (measured.toNanos() / 1e9);
        }

        double millis(double quantile) {
            if (latencies.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.min(latencies.length - 1, Math.ceil(quantile * latencies.length) - 1);
            return latencies[Math.max(0, i)] / 1e6;
        }
    }

    private LoadGenerator() {
    }

    /**
     * @param requests supplies request {@code i} as raw HTTP bytes, or null when the bounded supply is used up
     */
    static Result run(String name, int port, int connections, Duration warmup, Duration measure,
                      IntFunction<byte[]> requests) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        AtomicInteger next = new AtomicInteger();
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long measureTo = measureFrom + measure.toNanos();
        List<Recorder> recorders = new ArrayList<>();
        CountDownLatch finished = new CountDownLatch(connections);
        long[] lastEnd = new long[connections];
        try {
            for (int c = 0; c < connections; c++) {
                Recorder rec = new Recorder();
                recorders.add(rec);
                int slot = c;
                Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                ch.pipeline().addLast(new HttpResponseDecoder(), new HttpObjectAggregator(1 << 20),
                                        new Driver(requests, next, measureFrom, measureTo, rec, ok, errors,
                                                finished, lastEnd, slot));
                            }
                        });
                b.connect("127.0.0.1", port).syncUninterruptibly();
            }
            if (!finished.await(warmup.plus(measure).toSeconds() + 60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + ": connections did not finish");
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        long end = Math.min(measureTo, Arrays.stream(lastEnd).max().orElse(measureTo));
        int total = recorders.stream().mapToInt(r -> r.count).sum();
        long[] all = new long[total];
        int at = 0;
        for (Recorder r : recorders) {
            System.arraycopy(r.latencies, 0, all, at, r.count);
            at += r.count;
        }
        Arrays.sort(all);
        return new Result(name, connections, total, errors.get(), Duration.ofNanos(Math.max(1, end - measureFrom)),
                all);
    }

    /** Latencies of one connection; written only by its event loop, read after the run. */
    private static final class Recorder {
        long[] latencies = new long[1 << 14];
        int count;

        void add(long nanos) {
            if (count == latencies.length) {
                latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = nanos;
        }
    }

    /** One connection's loop. Runs on the client event loop. */
    private static final class Driver extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final IntFunction<byte[]> requests;
        private final AtomicInteger next;
        private final long measureFrom;
        private final long measureTo;
        private final Recorder recorder;
        private final AtomicLong ok;
        private final AtomicLong errors;
        private final CountDownLatch finished;
        private final long[] lastEnd;
        private final int slot;
        private long sentAt;
        private boolean done;

        Driver(IntFunction<byte[]> requests, AtomicInteger next, long measureFrom, long measureTo, Recorder recorder,
               AtomicLong ok, AtomicLong errors, CountDownLatch finished, long[] lastEnd, int slot) {
            this.requests = requests;
            this.next = next;
            this.measureFrom = measureFrom;
            this.measureTo = measureTo;
            this.recorder = recorder;
            this.ok = ok;
            this.errors = errors;
            this.finished = finished;
            this.lastEnd = lastEnd;
            this.slot = slot;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            sendNext(ctx);
        }

        private void sendNext(ChannelHandlerContext ctx) {
            byte[] r = System.nanoTime() < measureTo ? requests.apply(next.getAndIncrement()) : null;
            if (r == null) {
                finish(ctx);
                return;
            }
            sentAt = System.nanoTime();
            ctx.writeAndFlush(Unpooled.wrappedBuffer(r));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
            long now = System.nanoTime();
            if (msg.status().code() != 200) {
                errors.incrementAndGet();
            } else {
                ok.incrementAndGet();
            }
            if (sentAt >= measureFrom && now <= measureTo) {
                recorder.add(now - sentAt);
                lastEnd[slot] = now;
            }
            sendNext(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.incrementAndGet();
            ctx.close();
        }

        private void finish(ChannelHandlerContext ctx) {
            if (!done) {
                done = true;
                finished.countDown();
                ctx.close();
            }
        }
    }
}
