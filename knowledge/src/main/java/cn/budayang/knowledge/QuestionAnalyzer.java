package cn.budayang.knowledge;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.DelegatingAnalyzerWrapper;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.apache.lucene.analysis.cjk.CJKWidthCharFilter;
import org.apache.lucene.analysis.cn.smart.HMMChineseTokenizer;
import org.apache.lucene.analysis.cn.smart.SmartChineseAnalyzer;
import org.apache.lucene.analysis.core.TypeTokenFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.synonym.SynonymGraphFilter;
import org.apache.lucene.analysis.synonym.SynonymMap;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.TypeAttribute;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.CharsRef;
import org.apache.lucene.util.CharsRefBuilder;
import org.apache.lucene.util.fst.ByteSequenceOutputs;
import org.apache.lucene.util.fst.FST;
import org.apache.lucene.util.fst.FSTCompiler;
import org.apache.lucene.util.fst.IntsRefFSTEnum;

/**
 * The one place where text analysis is defined for the whole product: questions, FAQ paraphrases and group keywords
 * all pass through here, so they are always cut the same way.
 *
 * <p>Two analysis chains, one per index field, share the same normalisation and the same concept graph:
 * <ul>
 *   <li>{@link #BIGRAM}: full-width → half-width ({@link CJKWidthCharFilter}), {@link StandardTokenizer} (one token per
 *   Han character, punctuation dropped), emoji and symbols dropped, lower case, {@link SynonymGraphFilter},
 *   function words (的, 了, 吗, 我们 ...) dropped, then overlapping {@link CJKBigramFilter} bigrams (a lone Han
 *   character stays a unigram);</li>
 *   <li>{@link #WORD}: the same normalisation, SmartCN word segmentation ({@link HMMChineseTokenizer}), its
 *   punctuation stop set, symbols dropped, lower case, {@link SynonymGraphFilter}, function words and left-over single
 *   Han characters (医|保) dropped, concepts kept.</li>
 * </ul>
 * Measured on the dev set (see {@code RoutingEvaluationTest}): both fields together match FAQs best; SmartCN alone cuts
 * 学区 and 医保 apart and lets chit-chat reach FAQs; bigrams alone miss more FAQ paraphrases.
 *
 * <p>Markers ({@code @spam}, {@code @chat}, {@code @ask}, {@code @complain}, question types such as {@code @who},
 * {@code @filler}) are matched in a separate pass
 * ({@link #markers}) so that they never hide, or are hidden by, an overlapping concept phrase.
 *
 * <p>The synonym graph comes from the reviewed domain lexicon {@code lexicon.txt} shipped in this jar (colloquial or
 * dialect phrase → concept, e.g. 工资没发 → 拖欠工资, 冇 → 没有) plus identity rules for the knowledge's own terms (group
 * keywords), so that a whole concept is emitted as one extra token of type {@value #CONCEPT_TYPE} next to the
 * ordinary tokens. Concepts starting with {@code @} are markers (for example {@code @spam}, {@code @chat}).
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class QuestionAnalyzer {
    /** Field of CJK bigrams. */
    public static final String BIGRAM = "bigram";
    /** Field of SmartCN words. */
    public static final String WORD = "word";
    /** Token type of concepts emitted by the synonym graph. */
    public static final String CONCEPT_TYPE = SynonymGraphFilter.TYPE_SYNONYM;
    /** Marker concept of advertising and spam. */
    public static final String SPAM = "@spam";
    /** Marker concept of greetings, thanks and small talk. */
    public static final String CHAT = "@chat";
    /** Marker concept of question cues (吗, 怎么, 能不能 ...). */
    public static final String ASK = "@ask";
    /** Marker concept of complaint and request cues (被骗, 投诉, 希望 ...). */
    public static final String COMPLAIN = "@complain";
    /** Marker of words that address the platform itself (代表, 公众号, 在这里, 发消息): a question about the service. */
    public static final String PLATFORM = "@platform";
    /** A request that someone act on a matter (帮忙, 帮我, 催一下, 管一管): a complaint, even when it names the platform. */
    public static final String ACT = "@act";
    /** The asker's own earlier message (我的留言, 我反映的): a question about it is about the service. */
    public static final String MINE = "@mine";
    /**
     * Good news or praise (修好了, 舒服多了, 丰收, 都正常): a message that only reports something going well asks no one
     * to act, even when it names a group's topic.
     */
    public static final String GOOD = "@good";
    /**
     * Words that turn good news into a problem: a negation or a "but" (修好了没两天又坏了), or a word of damage or
     * trouble (修好的路又裂了, 楼道灯坏了).
     */
    public static final String PROBLEM = "@problem";
    /** Marker of adverbs that frame a sentence and say nothing about its topic (平时, 以后, 到底): weightless for FAQs. */
    public static final String FILLER = "@filler";
    /** Prefix of weak context concepts: {@code ~小区} is weak evidence for the concept 小区. */
    public static final String WEAK_PREFIX = "~";
    /**
     * Prefix of contextual concepts: {@code ^农村公路} from 修路 means 农村公路 only when the question is already in the
     * concept's group (a village, a farm: weak context or another keyword of that group).
     */
    public static final String CONTEXT_PREFIX = "^";

    private static final String LEXICON = "lexicon.txt";
    /**
     * Particles and pronouns that carry no topic: dropped after the synonym graph (so lexicon phrases still see
     * them) and before bigrams are formed (so no bigram spans them).
     */
    static final CharArraySet FUNCTION_WORDS = CharArraySet.unmodifiableSet(new CharArraySet(List.of(
            "的", "了", "吗", "呢", "啊", "吧", "呀", "嘛", "哦", "哈", "嗯", "我", "你", "您", "他", "她", "它", "们",
            "这", "那", "很", "太", "我们", "你们", "他们", "咱们", "俺", "俺们", "咱", "这个", "那个", "一个", "这些", "那些", "自己"), false));
    private static final Set<String> DROPPED_TYPES = Set.of("<EMOJI>");

    private final Map<String, List<String>> lexicon;
    private final SynonymMap bigramSynonyms;
    private final SynonymMap wordSynonyms;
    private final Analyzer analyzer;
    /** Normalised characters without synonyms: how marker phrases and texts are cut for marker detection. */
    private final Analyzer characterBase = new BigramBase();
    /**
     * Marker phrase (its characters joined by {@link SynonymMap#WORD_SEPARATOR}) → the markers it belongs to. Every
     * occurrence of every phrase counts, so overlapping marker phrases (有人吗 @chat, 吗 @ask) never hide each other.
     */
    private final Map<String, Set<String>> markerPhrases;
    /** The longest marker phrase, in tokens. */
    private final int longestMarkerPhrase;

    private QuestionAnalyzer(Map<String, List<String>> lexicon) {
        this.lexicon = lexicon;
        Map<String, List<String>> concepts = new LinkedHashMap<>();
        Map<String, List<String>> markers = new LinkedHashMap<>();
        lexicon.forEach((k, v) -> (k.startsWith("@") ? markers : concepts).put(k, v));
        try {
            this.bigramSynonyms = synonyms(concepts, new BigramBase());
            this.wordSynonyms = synonyms(concepts, new WordBase());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Set<String>> phrases = new java.util.HashMap<>();
        int longest = 0;
        for (Map.Entry<String, List<String>> m : markers.entrySet()) {
            for (String phrase : m.getValue()) {
                List<String> chars = baseTokens(characterBase, phrase);
                if (!chars.isEmpty()) {
                    phrases.computeIfAbsent(String.join(SEPARATOR, chars), k -> new LinkedHashSet<>()).add(m.getKey());
                    longest = Math.max(longest, chars.size());
                }
            }
        }
        this.markerPhrases = phrases;
        this.longestMarkerPhrase = longest;
        Analyzer bigram = new BigramAnalyzer(bigramSynonyms);
        Analyzer word = new WordAnalyzer(wordSynonyms);
        this.analyzer = new DelegatingAnalyzerWrapper(Analyzer.PER_FIELD_REUSE_STRATEGY) {
            @Override
            protected Analyzer getWrappedAnalyzer(String fieldName) {
                return WORD.equals(fieldName) ? word : bigram;
            }
        };
    }

    /** The analyzer with the bundled lexicon only. */
    public static QuestionAnalyzer standard() {
        return withConcepts(List.of());
    }

    /**
     * The analyzer with the bundled lexicon plus identity rules for the given terms (typically every group keyword),
     * so that each term, wherever it appears, is also emitted whole as a concept token.
     */
    public static QuestionAnalyzer withConcepts(Collection<String> terms) {
        Map<String, List<String>> lexicon = bundledLexicon();
        for (String term : terms) {
            String t = normalize(term).trim();
            if (!t.isEmpty()) {
                lexicon.computeIfAbsent(t, k -> new ArrayList<>()).add(t);
            }
        }
        return new QuestionAnalyzer(lexicon);
    }

    /** The per-field analyzer ({@link #BIGRAM}, {@link #WORD}; any other field analyses as bigrams). */
    public Analyzer analyzer() {
        return analyzer;
    }

    /** Concept → the phrases that map to it (including identity rules), in lexicon order. */
    public Map<String, List<String>> lexicon() {
        return lexicon;
    }

    /** The terms of {@code text} in {@code field}, in token order (duplicates kept). */
    public List<String> tokens(String field, String text) {
        List<String> out = new ArrayList<>();
        analyze(field, text, (term, concept) -> out.add(term));
        return out;
    }

    /** The concept tokens of {@code text} in {@code field}, in order of appearance, without duplicates. */
    public Set<String> concepts(String field, String text) {
        Set<String> out = new LinkedHashSet<>();
        analyze(field, text, (term, concept) -> {
            if (concept) {
                out.add(term);
            }
        });
        return out;
    }

    /**
     * The markers ({@link #SPAM}, {@link #CHAT}, {@link #ASK}, {@link #COMPLAIN}) whose phrases occur in the text.
     * Markers are found apart from the synonym graph, in one pass over the normalised characters that counts every
     * occurrence of every marker phrase, so a concept phrase that overlaps a marker phrase (几点开门 / 几点) hides
     * neither, and neither do two markers (有人吗 is @chat, its 吗 still @ask).
     */
    public Set<String> markers(String text) {
        List<String> chars = baseTokens(characterBase, text);
        Set<String> out = new LinkedHashSet<>();
        List<int[]> complaints = new ArrayList<>();
        List<int[]> questions = new ArrayList<>();
        StringBuilder span = new StringBuilder();
        for (int i = 0; i < chars.size(); i++) {
            span.setLength(0);
            for (int j = i; j < chars.size() && j - i < longestMarkerPhrase; j++) {
                if (j > i) {
                    span.append(SEPARATOR);
                }
                span.append(chars.get(j));
                Set<String> m = markerPhrases.get(span.toString());
                if (m == null) {
                    continue;
                }
                for (String marker : m) {
                    if (!COMPLAIN.equals(marker)) {
                        out.add(marker);
                    }
                }
                if (m.contains(COMPLAIN)) {
                    complaints.add(new int[] {i, j});
                }
                if (m.contains(ASK)) {
                    questions.add(new int[] {i, j});
                }
            }
        }
        // a complaint phrase inside a longer question phrase (不管 in 管不管) asks, it does not complain
        for (int[] c : complaints) {
            boolean inside = false;
            for (int[] q : questions) {
                inside |= q[0] <= c[0] && c[1] <= q[1] && q[1] - q[0] > c[1] - c[0];
            }
            if (!inside) {
                out.add(COMPLAIN);
                break;
            }
        }
        return out;
    }

    private static final String SEPARATOR = String.valueOf(SynonymMap.WORD_SEPARATOR);

    /** The tokens of {@code text} under an analyzer without synonyms. */
    private static List<String> baseTokens(Analyzer base, String text) {
        List<String> out = new ArrayList<>();
        try (TokenStream ts = base.tokenStream("rule", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                out.add(term.toString());
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Receives each token of an analysis. */
    public interface TokenSink {
        void accept(String term, boolean concept);
    }

    /** Receives each token of an analysis with its span {@code [start, end)} in the text. */
    public interface SpanSink {
        void accept(String term, boolean concept, int start, int end);
    }

    /** Runs the analysis of {@code field} over {@code text}. */
    public void analyze(String field, String text, TokenSink sink) {
        analyze(field, text, (term, concept, start, end) -> sink.accept(term, concept));
    }

    /** Runs the analysis of {@code field} over {@code text}, with each token's span. */
    public void analyze(String field, String text, SpanSink sink) {
        try (TokenStream ts = analyzer.tokenStream(field, text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            TypeAttribute type = ts.addAttribute(TypeAttribute.class);
            OffsetAttribute offset = ts.addAttribute(OffsetAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                sink.accept(term.toString(), CONCEPT_TYPE.equals(type.type()), offset.startOffset(),
                        offset.endOffset());
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * True for marker ({@code @...}), weak-context ({@code ~...}) and contextual ({@code ^...}) concepts, which are not
     * ordinary terms.
     */
    public static boolean isMarker(String term) {
        return term.startsWith("@") || term.startsWith(WEAK_PREFIX) || term.startsWith(CONTEXT_PREFIX);
    }

    /** The number of Chinese characters (Han script) in a text. */
    public static int chineseCharacters(String text) {
        return (int) text.codePoints().filter(c -> Character.UnicodeScript.of(c) == Character.UnicodeScript.HAN)
                .count();
    }

    /** Full-width to half-width and lower case: the normalisation applied before tokenization, as a string. */
    public static String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        try (Reader r = new CJKWidthCharFilter(new StringReader(text))) {
            char[] buf = new char[256];
            int n;
            while ((n = r.read(buf)) > 0) {
                sb.append(buf, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString().replace('\u3000', ' ').toLowerCase(java.util.Locale.ROOT);
    }

    static Map<String, List<String>> bundledLexicon() {
        try (InputStream in = QuestionAnalyzer.class.getResourceAsStream(LEXICON)) {
            if (in == null) {
                throw new IllegalStateException(LEXICON + " missing from the classpath");
            }
            return parseLexicon(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Parses lexicon lines {@code concept <= phrase, phrase, ...}; {@code #} starts a comment line. The concept maps to
     * itself as well.
     */
    static Map<String, List<String>> parseLexicon(BufferedReader reader) throws IOException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String line;
        int n = 0;
        while ((line = reader.readLine()) != null) {
            n++;
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int arrow = line.indexOf("<=");
            if (arrow <= 0) {
                throw new IllegalArgumentException(LEXICON + " line " + n + ": expected 'concept <= phrase, ...'");
            }
            String concept = normalize(line.substring(0, arrow)).strip();
            List<String> phrases = out.computeIfAbsent(concept, k -> new ArrayList<>());
            if (!isMarker(concept) && !phrases.contains(concept)) {
                phrases.add(concept);
            }
            for (String p : line.substring(arrow + 2).split("[,，]")) {
                String phrase = normalize(p).strip();
                if (!phrase.isEmpty() && !phrases.contains(phrase)) {
                    phrases.add(phrase);
                }
            }
        }
        return out;
    }

    private static SynonymMap synonyms(Map<String, List<String>> lexicon, Analyzer base) throws IOException {
        SynonymMap.Builder builder = new SynonymMap.Builder(true);
        CharsRefBuilder scratch = new CharsRefBuilder();
        for (Map.Entry<String, List<String>> e : lexicon.entrySet()) {
            CharsRef output = new CharsRef(e.getKey());
            for (String phrase : e.getValue()) {
                List<String> words = new ArrayList<>();
                try (TokenStream ts = base.tokenStream("rule", phrase)) {
                    CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
                    ts.reset();
                    while (ts.incrementToken()) {
                        words.add(term.toString());
                    }
                    ts.end();
                }
                if (words.isEmpty()) {
                    continue;
                }
                CharsRef input = SynonymMap.Builder.join(words.toArray(new String[0]), scratch);
                builder.add(input, output, true);
            }
        }
        return binarySearchArcs(builder.build());
    }

    /**
     * The same synonym map with an FST whose nodes find their arcs by binary search only. Lucene's default lays a node
     * with many arcs out for direct addressing over its label range; with code-point labels that range spans from ASCII
     * to the CJK block, and finding an arc counts bits over most of it: with a large lexicon plus thousands of group
     * keywords, analysis became about ten times slower (540 µs against 51 µs for a 60-character message).
     */
    private static SynonymMap binarySearchArcs(SynonymMap map) throws IOException {
        FSTCompiler<BytesRef> compiler = new FSTCompiler.Builder<>(FST.INPUT_TYPE.BYTE4,
                ByteSequenceOutputs.getSingleton()).directAddressingMaxOversizingFactor(-1f).build();
        IntsRefFSTEnum<BytesRef> arcs = new IntsRefFSTEnum<>(map.fst);
        for (IntsRefFSTEnum.InputOutput<BytesRef> rule = arcs.next(); rule != null; rule = arcs.next()) {
            compiler.add(rule.input, BytesRef.deepCopyOf(rule.output));
        }
        FST<BytesRef> fst = FST.fromFSTReader(compiler.compile(), compiler.getFSTReader());
        return new SynonymMap(fst, map.words, map.maxHorizontalContext);
    }

    /** Every analysis chain reads full-width forms as half-width ones first. */
    private abstract static class NormalizingAnalyzer extends Analyzer {
        @Override
        protected Reader initReader(String fieldName, Reader reader) {
            return new CJKWidthCharFilter(reader);
        }
    }

    /** The start of the character chains: CJK characters one by one, symbols and dropped types out, lower case. */
    private static TokenStream characters(Tokenizer source) {
        return new LowerCaseFilter(new SymbolFilter(new TypeTokenFilter(source, DROPPED_TYPES)));
    }

    /** Normalised characters without synonyms or bigrams: how lexicon phrases are cut for the bigram chain. */
    private static final class BigramBase extends NormalizingAnalyzer {
        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            Tokenizer source = new StandardTokenizer();
            TokenStream ts = characters(source);
            return new TokenStreamComponents(source, ts);
        }
    }

    /** Normalised SmartCN words without synonyms: how lexicon phrases are cut for the word chain. */
    private static class WordBase extends NormalizingAnalyzer {
        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            Tokenizer source = new HMMChineseTokenizer();
            TokenStream ts = new LowerCaseFilter(new SymbolFilter(source));
            ts = new StopFilter(ts, stopWords());
            return new TokenStreamComponents(source, ts);
        }

        static CharArraySet stopWords() {
            return SmartChineseAnalyzer.getDefaultStopSet();
        }
    }

    private static final class BigramAnalyzer extends NormalizingAnalyzer {
        private final SynonymMap synonyms;

        BigramAnalyzer(SynonymMap synonyms) {
            this.synonyms = synonyms;
        }

        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            Tokenizer source = new StandardTokenizer();
            TokenStream ts = characters(source);
            ts = new SynonymGraphFilter(ts, synonyms, false);
            ts = new StopFilter(ts, FUNCTION_WORDS);
            ts = new CJKBigramFilter(ts);
            return new TokenStreamComponents(source, ts);
        }
    }

    private static final class WordAnalyzer extends NormalizingAnalyzer {
        private final SynonymMap synonyms;

        WordAnalyzer(SynonymMap synonyms) {
            this.synonyms = synonyms;
        }

        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            Tokenizer source = new HMMChineseTokenizer();
            TokenStream ts = new LowerCaseFilter(new SymbolFilter(source));
            ts = new StopFilter(ts, WordBase.stopWords());
            ts = new SynonymGraphFilter(ts, synonyms, false);
            ts = new StopFilter(ts, FUNCTION_WORDS);
            ts = new SingleCharFilter(ts);
            return new TokenStreamComponents(source, ts);
        }
    }
}
