package cn.budayang.bot.bench;

import cn.budayang.bot.RoutedQuestions;

import cn.budayang.bot.BotApp;
import cn.budayang.bot.config.BotConfig;
import cn.budayang.wechat.WeChatCredentials;
import cn.budayang.wechat.testing.FakeWeChatApi;
import cn.budayang.wechat.testing.SignedRequests;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * Runs the bare Netty ceiling and our webhook side by side in one JVM and prints req/s and latency of each, the
 * ratios against the issue's targets, where the webhook's time goes (a JFR profile of its run), heap after many
 * tickets, and start-up time to healthy. Loopback only; every run is bounded in requests and time.
 *
 * <pre>mvn -B -o -q -pl bot -Pbench test-compile exec:exec [-Dbench.args="--seconds 15 --tickets 100000"]</pre>
 *
 * Options: {@code --connections N} (64), {@code --warmup S} (5), {@code --seconds S} (15), {@code --max N} requests
 * per webhook run (20000), {@code --tickets N} for the memory figure (100000, 0 skips), {@code --jar PATH}
 * (target/bot.jar; skipped when missing), {@code --no-profile}, {@code --profile-faq} (record the FAQ-answer workload
 * instead of the plaintext one).
 */
public final class WebhookBenchmark {

    static final String TOKEN = "BenchToken2026";
    static final String AES_KEY = "BenchDeskKey0123456789abcdefghijklmnopqrstu";
    static final String ACCOUNT = "gh_b3e4c5d6e7f8";
    /** Questions people send; each routes to a professional group and becomes a ticket. */
    static final List<String> QUESTIONS = RoutedQuestions.ALL;
    /** The first paraphrase of every bundled FAQ: platform questions the bot answers itself. */
    static final List<String> FAQ_QUESTIONS = cn.budayang.knowledge.KnowledgeLoader.loadBundled().faqs().stream()
            .map(f -> f.questions().get(0)).toList();

    private WebhookBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        int connections = Integer.parseInt(opt.getOrDefault("connections", "64"));
        Duration warmup = Duration.ofSeconds(Long.parseLong(opt.getOrDefault("warmup", "5")));
        Duration measure = Duration.ofSeconds(Long.parseLong(opt.getOrDefault("seconds", "15")));
        int max = Integer.parseInt(opt.getOrDefault("max", "60000"));
        int tickets = Integer.parseInt(opt.getOrDefault("tickets", "100000"));
        Path jar = Path.of(opt.getOrDefault("jar", "target/bot.jar"));
        boolean profile = !opt.containsKey("no-profile");
        boolean profileFaq = opt.containsKey("profile-faq");

        machine();
        // BotApp.close() closes the store while outbox sends are still queued; those tasks then die on the closed
        // MapDB. Counted here instead of printed, and reported at the end.
        java.util.concurrent.atomic.AtomicInteger diedAfterClose = new java.util.concurrent.atomic.AtomicInteger();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            if (t.getName().startsWith("outbox")) {
                diedAfterClose.incrementAndGet();
            } else {
                System.err.println("uncaught in " + t.getName() + ":");
                e.printStackTrace();
            }
        });
        Path work = Files.createTempDirectory("budayang-bench");
        List<LoadGenerator.Result> results = new ArrayList<>();
        try (FakeWeChatApi api = new FakeWeChatApi()) {
            // 1. the ceiling: same request bytes, answered "success" on the event loop
            byte[] sample = plaintext(signer(), 0, QUESTIONS);
            try (BareNettyServer bare = new BareNettyServer()) {
                CpuMeter cpu = new CpuMeter();
                results.add(report(LoadGenerator.run("bare Netty 4.2 hello", bare.port(), connections, warmup,
                        measure, i -> sample)));
                cpu.print(warmup.plus(measure));
            }
            // JIT warm-up: both request kinds against a throwaway app, so that no measured run pays for compilation
            try (BotApp app = app(work.resolve("warm-up"), api)) {
                int port = app.start();
                byte[][] warm = generate(Math.min(max, 6_000), i -> i % 2 == 0
                        ? plaintext(signer(), i, QUESTIONS) : safe(signer(), i, QUESTIONS));
                LoadGenerator.run("JIT warm-up", port, connections, warmup, Duration.ofSeconds(1), supply(warm));
                System.out.println("(JIT warm-up done: " + app.store().tickets().size() + " tickets)");
            }
            // 2. the webhook, plaintext: verify, parse, route, durable store, reply; each request a new message
            Path jfr = work.resolve("webhook.jfr");
            results.add(measured("webhook, plaintext", work.resolve("plain"), api, connections, warmup, measure,
                    generate(max, i -> plaintext(signer(), i, QUESTIONS))));
            // 3. safe mode: the same plus AES decrypt, msg_signature, and an encrypted, signed reply
            results.add(measured("webhook, safe mode", work.resolve("safe"), api, connections, warmup, measure,
                    generate(max, i -> safe(signer(), i, QUESTIONS))));
            // 4. the light path: each request a new constituent asking a platform question an FAQ answers (verify,
            // parse, route, durable de-dup record and conversation, the answer as the passive reply; no ticket)
            results.add(measured("webhook, FAQ answers", work.resolve("faq"), api, connections, warmup, measure,
                    generate(max, i -> plaintext(signer(), i, FAQ_QUESTIONS))));
            // 5. where the time goes: the plaintext run again, recorded with JFR (the recording costs throughput, so
            // this run is not in the ratios)
            if (profile) {
                byte[][] profiled = generate(max, i -> plaintext(signer(), max + i,
                        profileFaq ? FAQ_QUESTIONS : QUESTIONS));
                try (BotApp app = app(work.resolve("profiled"), api)) {
                    int port = app.start();
                    Recording rec = new Recording(Configuration.getConfiguration("profile"));
                    rec.start();
                    report(LoadGenerator.run(profileFaq ? "FAQ answers, JFR on" : "plaintext, JFR on", port,
                            connections, warmup, measure, supply(profiled)));
                    rec.stop();
                    rec.dump(jfr);
                    rec.close();
                }
            }
            ratios(results.get(0), results.get(1), results.get(2), results.get(3), connections);
            if (profile) {
                whereTimeGoes(jfr);
            }
            if (tickets > 0) {
                memory(work.resolve("memory"), api, tickets);
            }
        }
        startup(work, jar);
        if (diedAfterClose.get() > 0) {
            System.out.printf("%nnote: %d outbox threads died with an uncaught exception after BotApp.close() (sends "
                    + "still queued when the store closed)%n", diedAfterClose.get());
        }
        deleteQuietly(work);
    }

    // ---- runs ----

    /** One measured webhook run on a fresh app: figures, CPU by thread, tickets stored. */
    private static LoadGenerator.Result measured(String name, Path dataDir, FakeWeChatApi api, int connections,
                                                 Duration warmup, Duration measure, byte[][] requests)
            throws Exception {
        try (BotApp app = app(dataDir, api)) {
            int port = app.start();
            CpuMeter cpu = new CpuMeter();
            LoadGenerator.Result r = report(LoadGenerator.run(name, port, connections, warmup, measure,
                    supply(requests)));
            cpu.print(warmup.plus(measure));
            System.out.printf("  tickets stored: %d%n", app.store().tickets().size());
            return r;
        }
    }

    private static BotApp app(Path dataDir, FakeWeChatApi api) {
        BotConfig config = BotConfig.defaults().withHost("127.0.0.1").withPort(0).withDataDir(dataDir)
                .withWeChat(new WeChatCredentials(TOKEN, FakeWeChatApi.DEFAULT_APP_ID,
                        FakeWeChatApi.DEFAULT_APP_SECRET, AES_KEY), api.baseUrl())
                .withAdminToken("bench-admin");
        return new BotApp(config, Clock.systemUTC());
    }

    private static SignedRequests signer() {
        return new SignedRequests(TOKEN, FakeWeChatApi.DEFAULT_APP_ID, AES_KEY, Clock.systemUTC(), "3141592653");
    }

    private static String textXml(int i, List<String> questions) {
        return SignedRequests.textXml(ACCOUNT, String.format("oBench%022d", i),
                Clock.systemUTC().instant().getEpochSecond(), 25_000_000_000_000_000L + i,
                questions.get(i % questions.size()));
    }

    static byte[] plaintext(SignedRequests signer, int i, List<String> questions) {
        SignedRequests.Request r = signer.plaintext(textXml(i, questions));
        return http("/wechat?" + r.query(), r.body());
    }

    static byte[] safe(SignedRequests signer, int i, List<String> questions) {
        SignedRequests.Request r = signer.safe(textXml(i, questions));
        return http("/wechat?" + r.query(), r.body());
    }

    private static byte[] http(String target, byte[] body) {
        byte[] head = ("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** Pre-builds the requests so signing and encrypting cost the client nothing during the run. */
    private static byte[][] generate(int n, IntFunction<byte[]> one) {
        byte[][] out = new byte[n][];
        for (int i = 0; i < n; i++) {
            out[i] = one.apply(i);
        }
        return out;
    }

    private static IntFunction<byte[]> supply(byte[][] requests) {
        return i -> i < requests.length ? requests[i] : null;
    }

    private static LoadGenerator.Result report(LoadGenerator.Result r) {
        System.out.printf(Locale.ROOT, "%-22s %3d conns  %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  "
                        + "max %7.2f ms  (%d answers in %.1f s, %d not 200)%n", r.name(), r.connections(),
                r.perSecond(), r.millis(0.50), r.millis(0.99), r.millis(0.999), r.millis(1.0), r.requests(),
                r.measured().toMillis() / 1000.0, r.errors());
        return r;
    }

    private static void ratios(LoadGenerator.Result bare, LoadGenerator.Result plain, LoadGenerator.Result safe,
                               LoadGenerator.Result faq, int connections) {
        double webhookShare = plain.perSecond() / bare.perSecond();
        double safeShare = safe.perSecond() / plain.perSecond();
        System.out.printf(Locale.ROOT, "%nratios at %d connections:%n", connections);
        System.out.printf(Locale.ROOT, "  webhook / bare  = %5.1f %%  (target >= 25 %%)   %s%n", 100 * webhookShare,
                webhookShare >= 0.25 ? "met" : "MISSED");
        System.out.printf(Locale.ROOT, "  webhook p99     = %5.2f ms (target <= 20 ms)   %s%n", plain.millis(0.99),
                plain.millis(0.99) <= 20 ? "met" : "MISSED");
        System.out.printf(Locale.ROOT, "  safe / plaintext = %5.1f %%  (target >= 80 %%)   %s%n", 100 * safeShare,
                safeShare >= 0.80 ? "met" : "MISSED");
        System.out.printf(Locale.ROOT, "  FAQ answers / bare = %5.1f %%, p99 %.2f ms (the light path, for comparison)%n",
                100 * faq.perSecond() / bare.perSecond(), faq.millis(0.99));
    }

    // ---- profile ----

    /** CPU time per thread group (ThreadMXBean) and of the whole process over one run. */
    private static final class CpuMeter {
        private final java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        private final Map<Long, Long> start = new HashMap<>();
        private final long processStart = processCpu();

        CpuMeter() {
            for (long id : threads.getAllThreadIds()) {
                start.put(id, threads.getThreadCpuTime(id));
            }
        }

        private static long processCpu() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime();
        }

        void print(Duration wall) {
            Map<String, Long> byGroup = new HashMap<>();
            for (java.lang.management.ThreadInfo ti : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (ti == null) {
                    continue;
                }
                long now = threads.getThreadCpuTime(ti.getThreadId());
                long used = now - start.getOrDefault(ti.getThreadId(), 0L);
                if (now > 0 && used > 0) {
                    byGroup.merge(ti.getThreadName().replaceAll("-\\d+(-\\d+)?$", "-*"), used, Long::sum);
                }
            }
            long process = processCpu() - processStart;
            System.out.printf(Locale.ROOT, "  CPU: process %.1f s of %.1f s wall x %d cores (%.0f %%); by thread: %s%n",
                    process / 1e9, wall.toMillis() / 1000.0, Runtime.getRuntime().availableProcessors(),
                    100.0 * process / (wall.toNanos() * Runtime.getRuntime().availableProcessors()),
                    byGroup.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                            .limit(16).map(e -> String.format(Locale.ROOT, "%s %.1f s", e.getKey(), e.getValue() / 1e9))
                            .collect(java.util.stream.Collectors.joining(", ")));
        }
    }

    /** Summarises the JFR execution samples of the webhook run: by thread, by top frame, by our own frames. */
    private static void whereTimeGoes(Path jfr) throws IOException {
        Map<String, Integer> byThread = new HashMap<>();
        Map<String, Integer> topFrame = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> writerInclusive = new HashMap<>();
        int writerSamples = 0;
        int samples = 0;
        Map<String, Integer> nativeByFrame = new HashMap<>();
        int nativeSamples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (e.getEventType().getName().equals("jdk.NativeMethodSample")) {
                RecordedStackTrace st = e.getStackTrace();
                String thread = e.getThread("sampledThread") == null ? "?"
                        : String.valueOf(e.getThread("sampledThread").getJavaName()).replaceAll("-\\d+(-\\d+)?$", "-*");
                if (st != null && !st.getFrames().isEmpty() && !thread.startsWith("?")) {
                    String top = name(st.getFrames().get(0));
                    String caller = st.getFrames().stream().map(WebhookBenchmark::name).filter(
                            WebhookBenchmark::interesting).findFirst().orElse("");
                    if (!top.contains("EPoll.wait") && !top.contains("park") && !top.contains("accept")
                            && !top.contains("Object.wait") && !top.contains("sleep")) {
                        nativeByFrame.merge(thread + "  " + top + "  <- " + caller, 1, Integer::sum);
                        nativeSamples++;
                    }
                }
                continue;
            }
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
            byThread.merge(thread == null ? "?" : thread.replaceAll("-\\d+(-\\d+)?$", "-*"), 1, Integer::sum);
            topFrame.merge(name(st.getFrames().get(0)), 1, Integer::sum);
            java.util.Set<String> seen = new java.util.HashSet<>();
            boolean writer = "store-writer".equals(thread);
            writerSamples += writer ? 1 : 0;
            for (RecordedFrame f : st.getFrames()) {
                String n = name(f);
                if (interesting(n) && seen.add(n)) {
                    inclusive.merge(n, 1, Integer::sum);
                }
                if (writer && seen.add("w " + n)) {
                    writerInclusive.merge(n, 1, Integer::sum);
                }
            }
        }
        System.out.printf("%nwhere the webhook's time goes (JFR, %d CPU samples of the recorded run, all threads "
                + "incl. the load generator):%n", samples);
        print("by thread", byThread, samples, 10);
        print("hottest methods (self)", topFrame, samples, 15);
        print("inclusive, our code and its libraries", inclusive, samples, 25);
        print("the store writer alone, inclusive (" + writerSamples + " samples)", writerInclusive, writerSamples, 30);
        System.out.printf("  threads blocked in native code other than idle waits (%d jdk.NativeMethodSample "
                + "samples, 20 ms period):%n", nativeSamples);
        nativeByFrame.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(8)
                .forEach(e -> System.out.printf(Locale.ROOT, "    %5d  %s%n", e.getValue(), e.getKey()));
    }

    private static boolean interesting(String method) {
        return method.startsWith("cn.budayang") || method.startsWith("org.mapdb") || method.startsWith(
                "org.apache.lucene") || method.startsWith("com.fasterxml") || method.startsWith("javax.xml")
                || method.startsWith("com.sun.org.apache.xerces") || method.startsWith("sun.nio.ch.FileDispatcherImpl")
                || method.startsWith("java.nio.MappedByteBuffer");
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static void print(String title, Map<String, Integer> counts, int total, int top) {
        System.out.println("  " + title + ":");
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                .forEach(e -> System.out.printf(Locale.ROOT, "    %5.1f %%  %s%n", 100.0 * e.getValue() / total,
                        e.getKey()));
    }

    // ---- memory and start-up ----

    /**
     * Heap after {@code tickets} tickets: the store is filled directly (the webhook path is far too slow to make
     * 100,000 tickets in a benchmark run, see the figures above) with what that many questions leave behind — an
     * assigned ticket forwarded to five deputies with five sent outbox entries, the constituent's conversation and the
     * de-duplication record — then the real app starts on it (recovering deadlines and the outbox), and the heap is
     * measured after GC, serving.
     */
    private static void memory(Path dataDir, FakeWeChatApi api, int tickets) throws Exception {
        long before = usedAfterGc();
        long t0 = System.nanoTime();
        java.time.Instant now = java.time.Instant.now();
        List<String> deputies = List.of("dep-004", "dep-010", "dep-016", "dep-022", "dep-028");
        try (cn.budayang.bot.store.MapDbStore store = cn.budayang.bot.store.MapDbStore.open(dataDir)) {
            for (int done = 0; done < tickets; done += 1000) {
                int from = done;
                int to = Math.min(tickets, done + 1000);
                store.write(st -> {
                    for (int i = from; i < to; i++) {
                        String id = String.valueOf(1000 + st.next("ticket"));
                        String openId = String.format("oMem%024d", i);
                        String question = QUESTIONS.get(i % QUESTIONS.size());
                        cn.budayang.bot.ticket.Ticket t = cn.budayang.bot.ticket.Ticket.admitted(id, openId, question,
                                        new cn.budayang.bot.ticket.Ticket.TicketMessage(now, "text", question, null,
                                                null), "st-01", "area-huangzhou-1", now)
                                .assigned("pro-urban", now.plus(Duration.ofHours(24)), "system", "交办：城建环保代表小组",
                                        now)
                                .withForwardedTo(deputies);
                        long[] deliveries = new long[deputies.size()];
                        for (int d = 0; d < deputies.size(); d++) {
                            long outboxId = st.next("outbox");
                            deliveries[d] = outboxId;
                            st.outbox().put(outboxId, cn.budayang.bot.outbox.OutboxEntry.text(outboxId,
                                    "oDeputy" + d, "【群众留言 #" + id + "】" + question, id, "代表 " + deputies.get(d),
                                    "forward", now).with(cn.budayang.bot.outbox.OutboxEntry.State.SENT, 1, null, null,
                                    null, now));
                        }
                        st.tickets().put(Long.parseLong(id), t);
                        st.ticketDeliveries().put(Long.parseLong(id), deliveries);
                        st.conversations().put(openId, cn.budayang.bot.reception.Conversation.fresh(openId)
                                .inbound(now).withTicket(id));
                        st.processed().put("msg:" + (26_000_000_000_000_000L + i),
                                new cn.budayang.bot.reception.Processed("您的留言已受理，编号 #" + id, now, false, false));
                    }
                    return null;
                }).join();
            }
        }
        double fill = (System.nanoTime() - t0) / 1e9;
        long file = Files.size(dataDir.resolve("budayang.db"));
        long s0 = System.nanoTime();
        try (BotApp app = app(dataDir, api)) {
            app.start();
            double start = (System.nanoTime() - s0) / 1e9;
            long after = usedAfterGc();
            System.out.printf(Locale.ROOT, "%nmemory: %d tickets (+%d conversations, %d de-dup records) written "
                            + "straight to the store in %.1f s; store file %.1f MiB (memory-mapped, off-heap)%n"
                            + "  app start on it (recover deadlines, outbox) %.1f s; heap used after GC: %.1f MiB "
                            + "before, %.1f MiB serving with %d watched deadlines (+%.2f KiB per ticket)%n",
                    app.store().tickets().size(), tickets, tickets, fill, file / 1048576.0, start,
                    before / 1048576.0, after / 1048576.0, app.desk().watched(),
                    (after - before) / 1024.0 / Math.max(1, tickets));
        }
    }

    private static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void startup(Path work, Path jar) throws Exception {
        System.out.println();
        if (!Files.isRegularFile(jar)) {
            System.out.println("start-up: " + jar.toAbsolutePath() + " not found; build it with "
                    + "mvn -B -o -q -DskipTests package");
            return;
        }
        List<Long> millis = new ArrayList<>();
        for (int run = 0; run < 3; run++) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path data = work.resolve("startup-" + run);
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", jar.toAbsolutePath().toString()).redirectErrorStream(true)
                    .redirectOutput(work.resolve("startup-" + run + ".log").toFile());
            pb.environment().put("BOT_PORT", String.valueOf(port));
            pb.environment().put("BOT_HOST", "127.0.0.1");
            pb.environment().put("BOT_DATA_DIR", data.toString());
            long t0 = System.nanoTime();
            Process p = pb.start();
            try {
                long end = t0 + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < end && p.isAlive()) {
                    if (healthy(port)) {
                        millis.add((System.nanoTime() - t0) / 1_000_000);
                        break;
                    }
                    Thread.sleep(10);
                }
            } finally {
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
        }
        millis.sort(Comparator.naturalOrder());
        System.out.printf("start-up of java -jar %s to GET /healthz 200: %s ms (3 runs, fresh data dir)%n",
                jar, millis);
    }

    private static boolean healthy(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/healthz").toURL()
                    .openConnection();
            c.setConnectTimeout(200);
            c.setReadTimeout(1000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private static String health(int port) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/healthz").toURL()
                .openConnection();
        try (InputStream in = c.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void machine() {
        Runtime rt = Runtime.getRuntime();
        System.out.printf("machine: %d CPUs, max heap %d MiB, %s %s (%s), %s%n", rt.availableProcessors(),
                rt.maxMemory() / 1048576, System.getProperty("java.vm.name"), System.getProperty("java.version"),
                ManagementFactory.getRuntimeMXBean().getInputArguments(), System.getProperty("os.name") + " "
                        + System.getProperty("os.arch"));
        System.out.println();
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String k = args[i].substring(2);
            if (k.equals("no-profile") || k.equals("profile-faq")) {
                m.put(k, "true");
            } else {
                m.put(k, args[++i]);
            }
        }
        return m;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir
        }
    }

}
