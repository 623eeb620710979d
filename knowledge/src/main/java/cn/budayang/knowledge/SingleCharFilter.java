package cn.budayang.knowledge;

import org.apache.lucene.analysis.FilteringTokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.TypeAttribute;

/**
 * Drops single Han characters that SmartCN left over (医|保, 学|区): on their own they match almost everything. Concept
 * tokens from the synonym graph (税) are kept.
 */
final class SingleCharFilter extends FilteringTokenFilter {
    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final TypeAttribute type = addAttribute(TypeAttribute.class);

    SingleCharFilter(TokenStream in) {
        super(in);
    }

    @Override
    protected boolean accept() {
        return term.length() != 1 || !Character.isIdeographic(term.charAt(0))
                || QuestionAnalyzer.CONCEPT_TYPE.equals(type.type());
    }
}
