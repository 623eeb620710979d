package cn.budayang.knowledge;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Matches a question against every FAQ, each FAQ seen both as its best paraphrase and as one document (paraphrases,
 * tags and answer together).
 *
 * <p>Lucene ({@link TermIndex}, one entry per paraphrase, tag list and answer) finds the candidate FAQs. Each candidate
 * is then scored with term weights that are inverse FAQ frequencies: a term's weight is its IDF over the FAQs as whole
 * documents, so the words every platform FAQ shares (代表, 留言, 反映, 问题, 公众号) weigh little and the words that
 * tell FAQs apart (撤回, 票决, 选举, 隐私, 照片) weigh much. A question term no FAQ contains weighs the most, so a
 * complaint full of its own words is never "covered" by an FAQ.
 * <ul>
 *   <li><b>question coverage</b>: the weight of the question's terms the FAQ document contains (a term found only
 *   in the answer counts {@code answerFactor} of its weight), over the weight of all the question's terms;</li>
 *   <li><b>paraphrase coverage</b>: the best share of one paraphrase's weight that the question contains;</li>
 *   <li><b>similarity</b>: their harmonic mean: high only when the question is mostly about this FAQ and says
 *   much of one way of asking it.</li>
 * </ul>
 * Question words themselves weigh nothing, but the question <em>type</em> they express (lexicon markers {@code @why},
 * {@code @mine}, {@code @who}, {@code @when}, {@code @what}) is one more term on both sides, weighing
 * {@link #CUE_WEIGHT} times its IDF over FAQs: "由哪些人投票" and the paraphrase "由谁来投票" share {@code @who},
 * "什么是票决制" does not. A cue counts only for a candidate that already shares an ordinary term, so a bare "几点了"
 * matches no FAQ by its cue.
 * The {@link Router} decides with the similarity and with the margin over the second FAQ.
 *
 * <p>Sibling platform FAQs (未受理 / 受理范围, 开放时间 / 最近站点, 联名 / 重复提交) share most of their words, so the
 * candidates are <em>ordered</em> by the similarity plus two small bonuses that only break near ties; the similarity itself, which
 * the Router's thresholds use, is left unchanged:
 * <ul>
 *   <li><b>tag</b>: the question contains one of the FAQ's tags whole (联名, 开放时间, 履职), worth {@link #TAG_BONUS}
 *   scaled by the tag's IDF over FAQs (a tag every FAQ shares, 留言, is worth little);</li>
 *   <li><b>question type</b>: the question and one of the FAQ's paraphrases share a question-type cue of the lexicon
 *   ({@code @why} 为什么/什么原因, {@code @mine} 我的留言/我反映的, {@code @who} 谁/哪些人, {@code @when} 什么时候/哪天,
 *   {@code @what} 什么是/啥意思/么名堂),
 *   worth {@link #CUE_BONUS} each on top of the cue's term weight: "我的留言显示不予受理，什么原因" asks
 *   "为什么我的留言显示未受理", not "哪些意见建议不予受理".</li>
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
final class FaqMatcher {
    /** One scored FAQ. {@code matched} are the question terms the FAQ contains, in question order. */
    record Candidate(String faqId, String paraphrase, double similarity, double questionCoverage,
                     double paraphraseCoverage, List<String> matched, double rankScore) {
    }

    /** Lexicon markers that say what kind of answer a question wants (see lexicon.txt). */
    static final Set<String> QUESTION_TYPES = Set.of("@why", "@mine", "@who", "@when", "@what");
    static final double TAG_BONUS = 0.08;
    static final double CUE_BONUS = 0.05;
    /**
     * A question-type cue weighs this many times its IDF over FAQs when counted as a term (dev plateau 2–3, measured;
     * the middle taken): the cue is what tells sibling FAQs on one topic apart (由谁投票 / 什么是票决制).
     */
    static final double CUE_WEIGHT = 2.5;

    private final List<String> fields;
    private final TermIndex index;
    private final double answerFactor;
    /** field + '\0' + term → IDF over FAQ documents. */
    private final Map<String, Double> idf = new HashMap<>();
    private final double unknownWeight;
    private final Set<String> questionWords;
    /** FAQ id → field + '\0' + term → 1 (paraphrase or tag) or answerFactor (answer only). */
    private final Map<String, Map<String, Double>> profiles = new HashMap<>();
    /** entry ordinal of a paraphrase → its weight under {@link #idf}. */
    private final double[] paraphraseMass;
    /** FAQ id → its tags, normalised, with their IDF share (IDF over FAQs / the largest IDF). */
    private final Map<String, Map<String, Double>> tagWeights = new HashMap<>();
    /** FAQ id → question-type cues of its paraphrases. */
    private final Map<String, Set<String>> questionTypes = new HashMap<>();
    /** entry ordinal of a paraphrase → its question-type cues. */
    private final List<Set<String>> paraphraseCues = new ArrayList<>();
    /** question-type cue → its weight as a term: {@link #CUE_WEIGHT} × its IDF over FAQs. */
    private final Map<String, Double> cueWeights = new HashMap<>();

    /**
     * @param questionWords terms ({@code field + '\0' + term}) that only make a sentence a question (什么时候, 能不能,
     *                      在哪) or frame it (平时, 到底): they weigh nothing here, so that "什么时候能通自来水" does
     *                      not lean towards an FAQ asked with 什么时候
     */
    FaqMatcher(QuestionAnalyzer analysis, List<String> fields, List<Faq> faqs, double answerFactor,
               Set<String> questionWords) {
        this.fields = List.copyOf(fields);
        this.questionWords = Set.copyOf(questionWords);
        this.answerFactor = answerFactor;
        List<TermIndex.Entry> entries = new ArrayList<>();
        for (Faq f : faqs) {
            for (String q : f.questions()) {
                entries.add(new TermIndex.Entry(f.id(), q, TermIndex.Kind.QUESTION));
            }
            if (!f.tags().isEmpty()) {
                entries.add(new TermIndex.Entry(f.id(), String.join("，", f.tags()), TermIndex.Kind.TAG));
            }
            entries.add(new TermIndex.Entry(f.id(), f.answer(), TermIndex.Kind.ANSWER));
        }
        this.index = new TermIndex(analysis, fields, entries);
        Map<String, Integer> df = new HashMap<>();
        for (int i = 0; i < index.size(); i++) {
            TermIndex.Entry e = index.entry(i);
            Map<String, Double> profile = profiles.computeIfAbsent(e.key(), k -> new HashMap<>());
            double factor = e.kind() == TermIndex.Kind.ANSWER ? answerFactor : 1.0;
            for (String f : fields) {
                for (String t : index.terms(i, f)) {
                    String key = key(f, t);
                    if (profile.put(key, Math.max(factor, profile.getOrDefault(key, 0.0))) == null) {
                        df.merge(key, 1, Integer::sum);
                    }
                }
            }
        }
        int n = profiles.size();
        df.forEach((k, d) -> idf.put(k, Math.log(1 + (n - d + 0.5) / (d + 0.5))));
        this.unknownWeight = Math.log(1 + (n + 0.5) / 0.5);
        for (Faq f : faqs) {
            Map<String, Double> tags = new HashMap<>();
            for (String tag : f.tags()) {
                String t = QuestionAnalyzer.normalize(tag).strip();
                double w = 0;
                for (String field : fields) {
                    w = Math.max(w, idf.getOrDefault(key(field, t), 0.0));
                }
                if (w > 0) {
                    tags.put(t, w / unknownWeight);
                }
            }
            tagWeights.put(f.id(), tags);
            Set<String> types = new java.util.HashSet<>();
            for (String q : f.questions()) {
                for (String m : analysis.markers(q)) {
                    if (QUESTION_TYPES.contains(m)) {
                        types.add(m);
                    }
                }
            }
            questionTypes.put(f.id(), types);
        }
        Map<String, Integer> cueDf = new HashMap<>();
        questionTypes.values().forEach(ts -> ts.forEach(t -> cueDf.merge(t, 1, Integer::sum)));
        cueDf.forEach((c, d) -> cueWeights.put(c, CUE_WEIGHT * Math.log(1 + (n - d + 0.5) / (d + 0.5))));
        for (int i = 0; i < index.size(); i++) {
            Set<String> cues = new java.util.HashSet<>();
            if (index.entry(i).kind() == TermIndex.Kind.QUESTION) {
                for (String m : analysis.markers(index.entry(i).text())) {
                    if (QUESTION_TYPES.contains(m)) {
                        cues.add(m);
                    }
                }
            }
            paraphraseCues.add(cues);
        }
        this.paraphraseMass = new double[index.size()];
        for (int i = 0; i < index.size(); i++) {
            if (index.entry(i).kind() == TermIndex.Kind.QUESTION) {
                double mass = 0;
                for (String f : fields) {
                    for (String t : index.terms(i, f)) {
                        mass += weight(f, t);
                    }
                }
                for (String c : paraphraseCues.get(i)) {
                    mass += cueWeights.getOrDefault(c, 0.0);
                }
                paraphraseMass[i] = mass;
            }
        }
    }

    private static boolean containsTerm(Map<String, Set<String>> query, String term) {
        for (Set<String> terms : query.values()) {
            if (terms.contains(term)) {
                return true;
            }
        }
        return false;
    }

    private static String key(String field, String term) {
        return field + '\u0000' + term;
    }

    /** The weight of a term: its IDF over FAQ documents, the largest IDF for a term no FAQ contains. */
    double weight(String field, String term) {
        String key = key(field, term);
        return questionWords.contains(key) ? 0 : idf.getOrDefault(key, unknownWeight);
    }

    /** A question term with its key and weight, computed once per question. */
    private record QueryTerm(String field, String term, String key, double weight) {
    }

    /**
     * The best {@code n} FAQs for the question terms ({@code field → terms}) and the question's markers, best first by
     * {@link Candidate#rankScore()}.
     */
    List<Candidate> rank(Map<String, Set<String>> query, Set<String> markers, int n) {
        List<QueryTerm> terms = new ArrayList<>();
        double queryMass = 0;
        for (String f : fields) {
            for (String t : query.getOrDefault(f, Set.of())) {
                String key = key(f, t);
                double w = questionWords.contains(key) ? 0 : idf.getOrDefault(key, unknownWeight);
                if (w > 0) {
                    terms.add(new QueryTerm(f, t, key, w));
                    queryMass += w;
                }
            }
        }
        if (queryMass <= 0) {
            return List.of();
        }
        Map<String, Double> cues = new HashMap<>();
        for (String m : markers) {
            Double w = cueWeights.get(m);
            if (w != null && w > 0) {
                cues.put(m, w);
                queryMass += w;
            }
        }
        Map<String, Double> bestParaphrase = new LinkedHashMap<>();
        Map<String, String> bestText = new HashMap<>();
        for (TermIndex.Hit hit : index.search(query, 40)) {
            String id = hit.entry().key();
            bestParaphrase.putIfAbsent(id, 0.0);
            if (hit.entry().kind() != TermIndex.Kind.QUESTION) {
                continue;
            }
            double matched = 0;
            for (QueryTerm qt : terms) {
                if (index.terms(hit.ord(), qt.field()).contains(qt.term())) {
                    matched += qt.weight();
                }
            }
            for (Map.Entry<String, Double> c : cues.entrySet()) {
                if (matched > 0 && paraphraseCues.get(hit.ord()).contains(c.getKey())) {
                    matched += c.getValue();
                }
            }
            double pc = paraphraseMass[hit.ord()] <= 0 ? 0 : matched / paraphraseMass[hit.ord()];
            if (pc > bestParaphrase.get(id)) {
                bestParaphrase.put(id, pc);
                bestText.put(id, hit.entry().text());
            }
        }
        List<Candidate> out = new ArrayList<>();
        for (Map.Entry<String, Double> e : bestParaphrase.entrySet()) {
            Map<String, Double> profile = profiles.get(e.getKey());
            double mass = 0;
            Map<String, Double> matched = new LinkedHashMap<>();
            for (QueryTerm qt : terms) {
                Double factor = profile.get(qt.key());
                if (factor != null) {
                    double w = factor * qt.weight();
                    mass += w;
                    matched.merge(qt.term(), w, Math::max);
                }
            }
            for (Map.Entry<String, Double> c : cues.entrySet()) {
                if (mass > 0 && questionTypes.getOrDefault(e.getKey(), Set.of()).contains(c.getKey())) {
                    mass += c.getValue();
                }
            }
            double qc = Math.min(1, mass / queryMass);
            double pc = e.getValue();
            double sim = qc + pc <= 0 ? 0 : 2 * qc * pc / (qc + pc);
            double bonus = 0;
            if (sim > 0) {
                double tag = 0;
                for (Map.Entry<String, Double> t : tagWeights.getOrDefault(e.getKey(), Map.of()).entrySet()) {
                    if (containsTerm(query, t.getKey())) {
                        tag = Math.max(tag, t.getValue());
                    }
                }
                bonus += TAG_BONUS * tag;
                for (String m : questionTypes.getOrDefault(e.getKey(), Set.of())) {
                    if (markers.contains(m)) {
                        bonus += CUE_BONUS;
                    }
                }
            }
            out.add(new Candidate(e.getKey(), bestText.getOrDefault(e.getKey(), ""), sim, qc, pc,
                    List.copyOf(matched.keySet()), sim + bonus));
        }
        out.sort(Comparator.comparingDouble(Candidate::rankScore).reversed());
        return List.copyOf(out.size() > n ? out.subList(0, n) : out);
    }
}
