package cn.budayang.knowledge;

/** Developer tool: average route() time per benchmark message. Not a test. */
final class PerMessage {
    public static void main(String[] args) {
        Router r = Router.build(KnowledgeLoader.loadBundled());
        QuestionAnalyzer a = r.analysis();
        for (int round = 0; round < 3; round++) {
            for (String m : cn.budayang.knowledge.bench.RouteBenchmark.MESSAGES) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 300; i++) {
                    r.route(m);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < 300; i++) {
                    a.tokens(QuestionAnalyzer.WORD, m);
                }
                long t2 = System.nanoTime();
                for (int i = 0; i < 300; i++) {
                    a.tokens(QuestionAnalyzer.BIGRAM, m);
                }
                long t3 = System.nanoTime();
                if (round == 2) {
                    System.out.printf("%6d us route  %6d us word  %6d us bigram  %s%n", (t1 - t0) / 300000, (t2 - t1) / 300000, (t3 - t2) / 300000, m.substring(0, Math.min(15, m.length())));
                }
            }
        }
    }
}
