package cn.budayang.knowledge;

/** Developer tool: prints tokens. Not a test. */
final class Toks {
    public static void main(String[] args) {
        QuestionAnalyzer a = QuestionAnalyzer.standard();
        for (String s : args) {
            System.out.println(s + "\n  bigram " + a.tokens(QuestionAnalyzer.BIGRAM, s) + "\n  word   " + a.tokens(QuestionAnalyzer.WORD, s)
                    + "\n  concepts " + a.concepts(QuestionAnalyzer.BIGRAM, s));
        }
    }
}
