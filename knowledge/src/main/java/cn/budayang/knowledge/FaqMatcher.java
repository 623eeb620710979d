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
 * The {@link Router} decides with the similarity and with the margin over the second FAQ.
 *
 * <p>Immutable and thread-safe.
 */
final class FaqMatcher {
    /** One scored FAQ. {@code matched} are the question terms the FAQ contains, in question order. */
    record Candidate(String faqId, String paraphrase, double similarity, double questionCoverage,
                     double paraphraseCoverage, List<String> matched) {
    }

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

    /**
     * @param questionWords terms ({@code field + '\0' + term}) that only make a sentence a question (什么时候, 能不能,
     *                      在哪): they weigh nothing here, so that "什么时候能通自来水" does not lean towards an FAQ
     *                      asked with 什么时候
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
        this.paraphraseMass = new double[index.size()];
        for (int i = 0; i < index.size(); i++) {
            if (index.entry(i).kind() == TermIndex.Kind.QUESTION) {
                double mass = 0;
                for (String f : fields) {
                    for (String t : index.terms(i, f)) {
                        mass += weight(f, t);
                    }
                }
                paraphraseMass[i] = mass;
            }
        }
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

    /** The best {@code n} FAQs for the question terms ({@code field → terms}), best first. */
    List<Candidate> rank(Map<String, Set<String>> query, int n) {
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
            double qc = Math.min(1, mass / queryMass);
            double pc = e.getValue();
            double sim = qc + pc <= 0 ? 0 : 2 * qc * pc / (qc + pc);
            out.add(new Candidate(e.getKey(), bestText.getOrDefault(e.getKey(), ""), sim, qc, pc,
                    List.copyOf(matched.keySet())));
        }
        out.sort(Comparator.comparingDouble(Candidate::similarity).reversed());
        return List.copyOf(out.size() > n ? out.subList(0, n) : out);
    }
}
