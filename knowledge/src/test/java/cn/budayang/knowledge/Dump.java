package cn.budayang.knowledge;

import java.nio.file.Path;

/** Developer tool: prints every decision of a labelled file. Not a test. */
final class Dump {
    public static void main(String[] args) throws Exception {
        Router r = Router.build(KnowledgeLoader.load(Path.of("/work/shared/data")));
        for (Evaluation.Example e : Evaluation.read(Path.of(args[0]))) {
            if (args.length > 1 && !e.label().matches(args[1])) {
                continue;
            }
            RouteDecision d = r.route(e.text());
            String exp = e.group() != null ? e.group() : e.faq() != null ? e.faq() : "none";
            String got = d.groupId() != null ? d.groupId() : d.faqId() != null ? d.faqId() : "none";
            System.out.println((exp.equals(got) ? "  " : "XX") + " " + exp + " | " + e.text() + " | " + d.reason());
        }
    }
}
