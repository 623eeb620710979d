package cn.budayang.knowledge.bench;

import cn.budayang.knowledge.Faq;
import cn.budayang.knowledge.Group;
import cn.budayang.knowledge.GroupKind;
import cn.budayang.knowledge.KnowledgeBase;
import cn.budayang.knowledge.KnowledgeLoader;
import cn.budayang.knowledge.RouteDecision;
import cn.budayang.knowledge.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Latency of {@link Router#route(String)} on the bundled sample city and on a synthetic knowledge base of 10,000 FAQs
 * (30,000 paraphrases) and 1,000 professional groups (20,000 keywords). Not a test: surefire does not run it.
 *
 * <p>Run: {@code cd /work/main && mvn -B -o -q -pl knowledge test-compile dependency:build-classpath
 * -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test && cd knowledge && java -cp
 * target/test-classes:target/classes:$(cat target/cp.txt) cn.budayang.knowledge.bench.RouteBenchmark}
 * (prints p50/p90/p99 per knowledge base in SampleTime mode; the fork runs with a fixed 2 GiB heap).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
// a fixed heap, as the webhook benchmark runs: with the default (small, growing) heap, G1's resizing shows up in p99
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class RouteBenchmark {
    /** Messages of every kind: short, long, dialect, FAQ, small talk, spam. */
    public static final String[] MESSAGES = {
        "路灯坏了",
        "小区门口的路灯坏了一个多月，晚上出门黑灯瞎火的，老人摔了好几次，物业说归市政管，市政说归物业管，到底谁来管？",
        "工资没发，么样办？",
        "孩子明年上小学，户籍在老家，能在这边入学吗",
        "医保报销比例太低了",
        "村里的水渠堵了好几年，灌溉不了",
        "电信诈骗骗走了我的养老钱",
        "小微企业贷款太难了",
        "怎么给人大代表留言？",
        "联络站周末开门吗",
        "你好",
        "谢谢代表",
        "兼职日结，有意者私聊",
        "楼上漏水，物业不管",
        "冇人管的垃圾堆臭死了",
        "asdfgh",
    };

    @Param({"sample", "synthetic"})
    public String knowledge;

    private Router router;
    private int next;

    @Setup
    public void setUp() {
        KnowledgeBase base = "sample".equals(knowledge) ? KnowledgeLoader.loadBundled() : synthetic(1_000, 20, 10_000);
        router = Router.build(base);
    }

    @Benchmark
    public RouteDecision route() {
        String text = MESSAGES[next];
        next = (next + 1) % MESSAGES.length;
        return router.route(text);
    }

    /**
     * A synthetic knowledge base: {@code groups} professional groups of {@code keywordsPerGroup} two- to four-character
     * keywords, and {@code faqs} FAQs of three paraphrases each, all drawn (seeded) from the characters of the sample
     * city's own text so that terms overlap the way real ones do.
     */
    static KnowledgeBase synthetic(int groups, int keywordsPerGroup, int faqs) {
        KnowledgeBase sample = KnowledgeLoader.loadBundled();
        StringBuilder pool = new StringBuilder();
        sample.groups().forEach(g -> pool.append(String.join("", g.keywords())).append(g.description()));
        sample.faqs().forEach(f -> pool.append(String.join("", f.questions())));
        int[] chars = pool.codePoints().filter(Character::isIdeographic).toArray();
        Random random = new Random(42);
        List<Group> gs = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            List<String> keywords = new ArrayList<>();
            for (int k = 0; k < keywordsPerGroup; k++) {
                keywords.add(text(random, chars, 2 + random.nextInt(3)));
            }
            gs.add(new Group("g-" + g, "小组" + g, GroupKind.PROFESSIONAL, keywords, text(random, chars, 40)));
        }
        List<Faq> fs = new ArrayList<>();
        for (int f = 0; f < faqs; f++) {
            List<String> questions = List.of(text(random, chars, 8 + random.nextInt(12)),
                    text(random, chars, 8 + random.nextInt(12)), text(random, chars, 8 + random.nextInt(12)));
            fs.add(new Faq("f-" + f, questions, text(random, chars, 60), List.of(text(random, chars, 3))));
        }
        return KnowledgeBase.of(gs, List.of(), List.of(), fs);
    }

    private static String text(Random random, int[] chars, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.appendCodePoint(chars[random.nextInt(chars.length)]);
        }
        return sb.toString();
    }

    public static void main(String[] args) throws RunnerException {
        Options options = new OptionsBuilder()
                .include(RouteBenchmark.class.getName())
                .mode(Mode.SampleTime)
                .timeUnit(TimeUnit.MICROSECONDS)
                .build();
        new Runner(options).run();
    }
}
