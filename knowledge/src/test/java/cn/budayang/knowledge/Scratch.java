package cn.budayang.knowledge;

import java.nio.file.Path;
import java.util.List;

/** Developer tool: prints metrics and errors for a labelled file. Not a test. */
final class Scratch {
    public static void main(String[] args) throws Exception {
        KnowledgeBase kb = KnowledgeLoader.load(Path.of("/work/shared/data"));
        List<String> fieldsSets = args.length > 1 ? List.of(args[1].split(";")) : List.of("bigram,word");
        for (String fs : fieldsSets) {
            Router r = Router.build(kb, Router.Settings.DEFAULT.withFields(List.of(fs.split(","))));
            var res = Evaluation.evaluate(r, Evaluation.read(Path.of(args[0])));
            System.out.println("== " + fs + ": " + res.summary());
            if (fieldsSets.size() == 1) {
                System.out.println(res.confusionTable());
                res.errors().forEach(System.out::println);
            }
        }
    }
}
