package cn.budayang.knowledge;

import org.apache.lucene.analysis.FilteringTokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/** Drops tokens without a letter or digit: emoji, pictographs and punctuation that a tokenizer let through. */
final class SymbolFilter extends FilteringTokenFilter {
    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);

    SymbolFilter(TokenStream in) {
        super(in);
    }

    @Override
    protected boolean accept() {
        for (int i = 0; i < term.length(); ) {
            int cp = Character.codePointAt(term.buffer(), i, term.length());
            if (Character.isLetterOrDigit(cp)) {
                return true;
            }
            i += Character.charCount(cp);
        }
        return false;
    }
}
