package cn.budayang.knowledge;

import java.util.List;

/**
 * What the router decided for one message, with its explanation.
 *
 * <p>Exactly one of: {@link Outcome#FAQ} ({@code faqId} set, {@code groupId} null), {@link Outcome#GROUP}
 * ({@code groupId} set to a professional group, {@code faqId} null), {@link Outcome#NONE} (both null: greetings,
 * thanks, chit-chat, spam, gibberish, or too little evidence).
 *
 * @param text         the message as received
 * @param outcome      the decision
 * @param faqId        the FAQ that answers the message, or null
 * @param groupId      the professional group the message is routed to, or null
 * @param score        confidence of the decision in [0, 1] (FAQ similarity or group confidence; 0 for NONE
 *                     without evidence)
 * @param reason       a human-readable explanation (matched terms, coverage, margin, thresholds)
 * @param runnerUp     the second-best professional group, or null
 * @param areaGroupId  the area group whose place names appear in the text, or null
 * @param matchedTerms the knowledge terms that matched (group keywords, concepts, FAQ terms)
 * @param ranking      every professional group scored, best first
 * @param faqSuggestions other FAQs that may be what the question asks, best first ("您是不是想问"): after an FAQ
 *                     answer the runners-up close to it, for a question no FAQ answered the best candidates; empty
 *                     for complaints, small talk without a question and spam
 */
public record RouteDecision(String text, Outcome outcome, String faqId, String groupId, double score, String reason,
                            String runnerUp, String areaGroupId, List<String> matchedTerms,
                            List<GroupScore> ranking, List<String> faqSuggestions) {
    public RouteDecision {
        matchedTerms = List.copyOf(matchedTerms);
        ranking = List.copyOf(ranking);
        faqSuggestions = faqSuggestions == null ? List.of() : List.copyOf(faqSuggestions);
        if (outcome == Outcome.FAQ && (faqId == null || groupId != null)) {
            throw new IllegalArgumentException("an FAQ decision names an faq and no group");
        }
        if (outcome == Outcome.GROUP && (groupId == null || faqId != null)) {
            throw new IllegalArgumentException("a GROUP decision names a group and no faq");
        }
        if (outcome == Outcome.NONE && (groupId != null || faqId != null)) {
            throw new IllegalArgumentException("a NONE decision names neither group nor faq");
        }
    }

    /** A decision without FAQ suggestions. */
    public RouteDecision(String text, Outcome outcome, String faqId, String groupId, double score, String reason,
                         String runnerUp, String areaGroupId, List<String> matchedTerms, List<GroupScore> ranking) {
        this(text, outcome, faqId, groupId, score, reason, runnerUp, areaGroupId, matchedTerms, ranking, List.of());
    }

    /** The three possible outcomes. */
    public enum Outcome {
        FAQ,
        GROUP,
        NONE
    }
}
