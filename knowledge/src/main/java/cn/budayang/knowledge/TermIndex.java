package cn.budayang.knowledge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TermStates;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.ConstantScoreQuery;
import org.apache.lucene.search.FilterWeight;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.Weight;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TopScoreDocCollectorManager;
import org.apache.lucene.store.ByteBuffersDataOutput;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.SingleInstanceLockFactory;

/**
 * An in-memory Lucene index of short texts (FAQ paraphrases, group keywords) searched by weighted term overlap.
 *
 * <p>Each query term is a {@link ConstantScoreQuery} boosted by the term's inverse document frequency in this index,
 * so a hit's Lucene score is exactly the IDF mass of the query terms the entry contains. Dividing by the entry's own
 * IDF mass gives its coverage (how much of the entry the question contains); dividing by the question's IDF mass gives
 * how much of the question the entry explains. Both are comparable across questions, unlike raw BM25 scores.
 *
 * <p>Immutable after construction and safe for concurrent searches.
 */
final class TermIndex {
    private static final String ORD = "ord";
    static final int MAX_CLAUSES = 64;
    private static final FieldType TERMS_ONLY = new FieldType();

    static {
        TERMS_ONLY.setIndexOptions(IndexOptions.DOCS);
        TERMS_ONLY.setOmitNorms(true);
        TERMS_ONLY.setTokenized(false);
        TERMS_ONLY.freeze();
    }

    /** One indexed text; {@code key} is what it stands for (a group or FAQ id); {@code normalized} as analysed. */
    record Entry(String key, String text, Kind kind, String normalized) {
        Entry(String key, String text, Kind kind) {
            this(key, text, kind, QuestionAnalyzer.normalize(text));
        }
    }

    /** What part of the knowledge an entry comes from. */
    enum Kind {
        KEYWORD,
        DESCRIPTION,
        QUESTION,
        TAG,
        ANSWER
    }

    /** A matched entry: IDF mass matched and the entry's own IDF mass. */
    record Hit(int ord, Entry entry, double matched, double total) {
        double coverage() {
            return total <= 0 ? 0 : matched / total;
        }
    }

    private final List<String> fields;
    private final List<Entry> entries;
    private final List<Map<String, Set<String>>> entryTerms;
    private final double[] totals;
    private final int[] docToOrd;
    private final IndexSearcher searcher;
    private final int docCount;
    /** field → indexed term → its weight and its pre-resolved Lucene term state (queries skip the term lookup). */
    private final Map<String, Map<String, Known>> known;

    private record Known(Term term, double weight, TermStates states) {
    }

    TermIndex(QuestionAnalyzer analysis, List<String> fields, List<Entry> entries) {
        this.fields = List.copyOf(fields);
        this.entries = List.copyOf(entries);
        this.entryTerms = new ArrayList<>(entries.size());
        // each file as one heap buffer: postings are opened for every query term, and slicing one buffer is cheaper
        // than slicing a list of them (the default)
        ByteBuffersDirectory dir = new ByteBuffersDirectory(new SingleInstanceLockFactory(),
                ByteBuffersDataOutput::new, ByteBuffersDirectory.OUTPUT_AS_ONE_BUFFER);
        try {
            // terms come from QuestionAnalyzer; each is indexed as is (no positions or offsets are needed)
            IndexWriterConfig config = new IndexWriterConfig();
            config.setRAMBufferSizeMB(64);
            try (IndexWriter writer = new IndexWriter(dir, config)) {
                for (int i = 0; i < entries.size(); i++) {
                    Entry e = entries.get(i);
                    Map<String, Set<String>> terms = new HashMap<>();
                    Document doc = new Document();
                    for (String f : fields) {
                        Set<String> t = new LinkedHashSet<>();
                        for (String term : analysis.tokens(f, e.text())) {
                            if (!QuestionAnalyzer.isMarker(term)) {
                                t.add(term);
                            }
                        }
                        terms.put(f, t);
                        for (String term : t) {
                            doc.add(new Field(f, term, TERMS_ONLY));
                        }
                    }
                    doc.add(new NumericDocValuesField(ORD, i));
                    entryTerms.add(terms);
                    writer.addDocument(doc);
                }
                writer.forceMerge(1);
            }
            DirectoryReader reader = DirectoryReader.open(dir);
            this.searcher = new IndexSearcher(reader);
            this.searcher.setQueryCache(null);
            this.docCount = reader.numDocs();
            this.docToOrd = new int[reader.maxDoc()];
            for (LeafReaderContext leaf : reader.leaves()) {
                NumericDocValues ords = leaf.reader().getNumericDocValues(ORD);
                for (int d = 0; d < leaf.reader().maxDoc(); d++) {
                    if (ords != null && ords.advanceExact(d)) {
                        docToOrd[leaf.docBase + d] = (int) ords.longValue();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.known = new HashMap<>();
        for (String f : fields) {
            known.put(f, new HashMap<>());
        }
        // precompute the weight and term state of every indexed term: a query then never seeks the terms dictionary
        this.totals = new double[entries.size()];
        try {
            for (int i = 0; i < entries.size(); i++) {
                double total = 0;
                for (String f : fields) {
                    Map<String, Known> byTerm = known.get(f);
                    for (String t : entryTerms.get(i).get(f)) {
                        Known k = byTerm.get(t);
                        if (k == null) {
                            Term term = new Term(f, t);
                            k = new Known(term, idf(f, t), TermStates.build(searcher, term, false));
                            byTerm.put(t, k);
                        }
                        total += k.weight();
                    }
                }
                totals[i] = total;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int size() {
        return entries.size();
    }

    List<String> fields() {
        return fields;
    }

    Entry entry(int ord) {
        return entries.get(ord);
    }

    /** The terms of an entry in one field. */
    Set<String> terms(int ord, String field) {
        return entryTerms.get(ord).get(field);
    }

    /** BM25's inverse document frequency of a term in this index (the maximum for terms no entry contains). */
    double weight(String field, String term) {
        Known k = known.get(field).get(term);
        return k != null ? k.weight() : Math.log(1 + (docCount + 0.5) / 0.5);
    }

    private double idf(String field, String term) {
        try {
            int df = searcher.getIndexReader().docFreq(new Term(field, term));
            return Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True when some entry contains the term. */
    boolean known(String field, String term) {
        return known.get(field).containsKey(term);
    }

    /**
     * The {@code n} entries with the largest matched IDF mass for the query terms ({@code field → terms}). A long
     * question is searched with its {@value #MAX_CLAUSES} rarest terms: the frequent ones change no ranking and cost the
     * most to score.
     */
    List<Hit> search(Map<String, Set<String>> query, int n) {
        List<Known> terms = new ArrayList<>();
        for (String f : fields) {
            Map<String, Known> byTerm = known.get(f);
            for (String t : query.getOrDefault(f, Set.of())) {
                Known k = byTerm.get(t);
                if (k != null) {
                    terms.add(k);
                }
            }
        }
        if (terms.isEmpty()) {
            return List.of();
        }
        if (terms.size() > MAX_CLAUSES) {
            terms.sort((x, y) -> Double.compare(y.weight(), x.weight()));
            terms = terms.subList(0, MAX_CLAUSES);
        }
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        for (Known k : terms) {
            Query q = new BoostQuery(new ConstantScoreQuery(new TermQuery(k.term(), k.states())), (float) k.weight());
            b.add(q, BooleanClause.Occur.SHOULD);
        }
        try {
            // count no more hits than are kept, so that Lucene may skip documents that cannot enter the top n
            TopDocs top = searcher.search(new ScorerOnly(b.build()), new TopScoreDocCollectorManager(n, null, n));
            List<Hit> hits = new ArrayList<>(top.scoreDocs.length);
            for (ScoreDoc sd : top.scoreDocs) {
                int ord = docToOrd[sd.doc];
                hits.add(new Hit(ord, entries.get(ord), sd.score, totals[ord]));
            }
            return hits;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
    /**
     * A query scored document by document through its {@link Scorer}, never by the inner query's own bulk scorer:
     * for a disjunction Lucene's bulk scorer ({@code MaxScoreBulkScorer}) allocates windows of 4,096 scores and match
     * bits per search, about a fifth of all that routing allocated, to score a few hundred short documents. The
     * scores are the same sums of the same clause scores.
     */
    private static final class ScorerOnly extends Query {
        private final Query in;

        ScorerOnly(Query in) {
            this.in = in;
        }

        @Override
        public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost) throws IOException {
            return new FilterWeight(in.createWeight(searcher, scoreMode, boost)) {
            };
        }

        @Override
        public Query rewrite(IndexSearcher searcher) throws IOException {
            Query rewritten = in.rewrite(searcher);
            return rewritten == in ? this : new ScorerOnly(rewritten);
        }

        @Override
        public void visit(QueryVisitor visitor) {
            in.visit(visitor);
        }

        @Override
        public String toString(String field) {
            return in.toString(field);
        }

        @Override
        public boolean equals(Object o) {
            return sameClassAs(o) && in.equals(((ScorerOnly) o).in);
        }

        @Override
        public int hashCode() {
            return 31 * classHash() + in.hashCode();
        }
    }
}
