package cn.budayang.knowledge;

import java.nio.file.Path;
import java.util.List;

/** Developer tool: prints metrics and errors for a labelled file. Not a test. */
final class Scratch {
    public static void main(String[] args) throws Exception {
        KnowledgeBase kb = KnowledgeLoader.load(Path.of("/work/shared/data"));
        List<String> fieldsSets = args.length > 1 ? List.of(args[1].split(";")) : List.of("bigram,word");
        for (String fs : fieldsSets) {
            Router.Settings st = Router.Settings.DEFAULT.withFields(List.of(fs.split(",")));
            if (System.getProperty("answer") != null) {
                st = st.withAnswerFactor(Double.parseDouble(System.getProperty("answer")));
            }
            if (System.getProperty("faqt") != null) {
                st = st.withFaqThreshold(Double.parseDouble(System.getProperty("faqt")));
            }
            Router r = Router.build(kb, st);
            var examples = Evaluation.read(Path.of(args[0]));
            var res = Evaluation.evaluate(r, examples);
            long top1 = examples.stream().filter(e -> e.faq() != null && e.faq().equals(r.bestFaqId(e.text()))).count();
            System.out.println("== " + fs + ": " + res.summary() + " | faq top1 " + top1);
            if (fieldsSets.size() == 1 && System.getProperty("quiet") == null) {
                System.out.println(res.confusionTable());
                res.errors().forEach(System.out::println);
            }
        }
    }
}
