package cn.budayang.bot.reception;

import cn.budayang.knowledge.QuestionAnalyzer;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A constituent's reply to the rating request after an answer: {@code satisfaction} 1 满意, 2 基本满意, 3 不满意, and
 * whether they said the problem is not solved (未解决).
 *
 * <p>Read from the digit the request asks for, alone, with a reason after a separator ({@code 3 拖得太久了}), or run
 * into a rating word ({@code 1满意}, {@code 2未解决}, {@code 3不满意，还是没修}); or from 满意 with the adverbs people
 * put around it ({@code 很满意}, {@code 挺满意的}, {@code 满意了}, {@code 比较满意}, {@code 不太满意}). A negation
 * makes it 不满意 whatever the degree (很不满意, 不太满意); a moderate degree (比较, 基本, 还算) makes it 基本满意. When a
 * digit and a word disagree the digit counts: it is what the request asks for. A number followed by a long text that
 * says nothing of the answer ({@code 1、小区门口又有一个井盖丢了，很危险}) is a numbered new message, not a rating. A
 * short reply that only says the problem is not solved ({@code 还没解决}) is 不满意 and 未解决.
 *
 * <p>{@code notSolved} depends on the 未解决-type words alone ({@link #NOT_SOLVED}), never on the satisfaction: 3 alone
 * is 不满意 with the problem solved.
 */
record RatingReply(int satisfaction, boolean notSolved) {

    private static final String SEPARATOR = "[\\s,，。.、!！:：;；~～]";
    private static final Pattern DIGIT = Pattern.compile("^([123])(?![0-9])");
    /** 满意 with its degree (group 1) and negation (group 2). */
    private static final Pattern WORD = Pattern.compile(
            "^((?:还算|还比较|比较|基本上|基本|还|很|非常|十分|特别|挺|蛮|超|真|太|相当)*)"
                    + "(不太|不怎么|不是很|不是太|不大|不)?满意(?:了|的|啦|呀|哈|呢)*");
    private static final Pattern MODERATE = Pattern.compile("基本|比较|还");
    /** Words saying the problem is not solved: only these make a rating 未解决 (and reopen the ticket). */
    static final Pattern NOT_SOLVED = Pattern.compile("未解决|没解决|没有解决|没能解决|不解决|解决不了|没得到解决"
            + "|没处理|未处理|没有处理|没修|没有修|还没好|没办好|没有办好|未办好|没办成|没落实|未落实|没有落实|还是老样子");
    /** A short reply that only says the problem is not solved (还没解决, 问题还没修好). */
    private static final Pattern ONLY_NOT_SOLVED = Pattern.compile(
            "^(?:问题|可是|但是|还是|还|都|仍然|依然)*(?:" + NOT_SOLVED.pattern() + ")");
    private static final Pattern LEADING_SEPARATORS = Pattern.compile("^" + SEPARATOR + "+");
    /** A reason at least this long (Chinese characters) that says nothing of the answer is a new matter. */
    static final int MATTER_CHARS = 10;
    private static final Pattern ABOUT_THE_ANSWER = Pattern.compile(
            "满意|解决|答复|回复|评价|谢|辛苦|" + NOT_SOLVED.pattern());
    /** What may follow a rating word directly, without a separator: the problem's state, or thanks. */
    private static final Pattern CONTINUATION = Pattern.compile(
            "^(?:" + SEPARATOR + "|已解决|已经解决|解决了|" + NOT_SOLVED.pattern() + "|谢|感谢|多谢|辛苦|点赞)");

    /** The rating {@code text} (normalized) gives, or empty when it is not a rating reply. */
    static Optional<RatingReply> parse(String text) {
        Matcher d = DIGIT.matcher(text);
        if (d.find()) {
            int digit = Integer.parseInt(d.group(1));
            String rest = text.substring(d.end());
            String reason = LEADING_SEPARATORS.matcher(rest).replaceFirst("");
            if (rest.isEmpty() || startsWithRating(reason)
                    || reason.length() < rest.length() && !newMatter(reason)) {
                return Optional.of(new RatingReply(digit, notSolved(text)));
            }
            return Optional.empty();
        }
        Matcher w = WORD.matcher(text);
        if (w.find()) {
            String rest = text.substring(w.end());
            if (rest.isEmpty() || CONTINUATION.matcher(rest).find()) {
                return Optional.of(new RatingReply(satisfaction(w), notSolved(text)));
            }
        }
        if (ONLY_NOT_SOLVED.matcher(text).find() && QuestionAnalyzer.chineseCharacters(text) < MATTER_CHARS) {
            return Optional.of(new RatingReply(3, true));
        }
        return Optional.empty();
    }

    /**
     * Whether what follows a leading number is a matter of its own (1、小区门口又有一个井盖丢了，很危险: a numbered new
     * question), not a reason for the rating: long, and not a word about the answer or its result.
     */
    private static boolean newMatter(String reason) {
        return QuestionAnalyzer.chineseCharacters(reason) >= MATTER_CHARS && !ABOUT_THE_ANSWER.matcher(reason).find();
    }

    private static boolean startsWithRating(String s) {
        return WORD.matcher(s).find() || CONTINUATION.matcher(s).find();
    }

    private static int satisfaction(Matcher word) {
        if (word.group(2) != null) {
            return 3;
        }
        return MODERATE.matcher(word.group(1)).find() ? 2 : 1;
    }

    private static boolean notSolved(String text) {
        return NOT_SOLVED.matcher(text).find();
    }
}
