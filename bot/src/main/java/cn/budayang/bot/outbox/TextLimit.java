package cn.budayang.bot.outbox;

import java.util.ArrayList;
import java.util.List;

/**
 * WeChat's size limit for one text (a customer-service message or a passive reply), and the two ways to keep within
 * it: {@link #split} a long text into numbered parts ({@code (1/3) …}), each sent as a message of its own, or
 * {@link #shorten} it when it must stay one message. Both cut between code points (never inside a surrogate pair,
 * before a combining mark or around a zero-width joiner) and, within {@value #LOOKBACK_BYTES} bytes of the limit,
 * after a line, then a sentence, then a clause, then a space, then anywhere but inside a Latin word or number.
 */
public final class TextLimit {

    /**
     * UTF-8 bytes of one text. WeChat refuses a longer customer-service text with 45002 (about 2,048 bytes is
     * reported; none is documented), and a passive reply is held to the same.
     */
    public static final int MAX_BYTES = 2000;
    /**
     * Parts the texts that quote someone (a question, an answer) need at most: their quotation is shortened to
     * {@link #capacity} of this many. Each part uses one of the recipient's five messages per window.
     */
    public static final int MAX_PARTS = 3;
    /** How far before the limit a part may end to end at a boundary rather than mid-sentence or mid-word. */
    static final int LOOKBACK_BYTES = 300;
    /** The label of a part of up to nine: {@code "(1/3) "}. */
    private static final int LABEL_BYTES = 6;
    /** The rank of a place no cut should fall: inside a Latin word or number, or inside one visible character. */
    private static final int NOWHERE = 5;

    private TextLimit() {
    }

    /** The text's length in UTF-8 bytes. */
    public static int bytes(CharSequence s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * UTF-8 bytes of text that always fit in {@code parts} parts of {@link #split}, however the boundaries fall:
     * a text that quotes someone keeps its frame and quotes at most this much minus the frame.
     */
    public static int capacity(int parts) {
        if (parts <= 1) {
            return MAX_BYTES;
        }
        // each part but the last holds at least its room less the look-back and a code point
        return parts * (MAX_BYTES - LABEL_BYTES - LOOKBACK_BYTES - 3);
    }

    /** The text as it is sent: itself when it fits in {@link #MAX_BYTES}, otherwise its numbered parts. */
    public static List<String> split(String text) {
        return split(text, MAX_BYTES);
    }

    static List<String> split(String text, int maxBytes) {
        if (bytes(text) <= maxBytes) {
            return List.of(text);
        }
        // the label's length depends on the count: assume one digit, then more while the count needs them
        for (int digits = 1; ; digits++) {
            int label = 4 + 2 * digits;  // "(" k "/" n ") "
            List<String> pieces = cut(text, maxBytes - label);
            if (String.valueOf(pieces.size()).length() <= digits) {
                List<String> parts = new ArrayList<>(pieces.size());
                for (int k = 0; k < pieces.size(); k++) {
                    parts.add("(" + (k + 1) + "/" + pieces.size() + ") " + pieces.get(k));
                }
                return parts;
            }
        }
    }

    /** Number of messages {@link #split} makes of the text. */
    public static int parts(String text) {
        return split(text).size();
    }

    /**
     * The text itself when it fits in {@code maxBytes}; otherwise its beginning, cut at a boundary, followed by
     * {@code tail} (which says what was left out), together within {@code maxBytes}.
     */
    public static String shorten(String text, int maxBytes, String tail) {
        if (bytes(text) <= maxBytes) {
            return text;
        }
        int room = maxBytes - bytes(tail);
        if (room <= 0) {
            return "";
        }
        int end = fill(text, 0, room);
        return text.substring(0, boundary(text, 0, end, Math.min(LOOKBACK_BYTES, room / 4))).stripTrailing() + tail;
    }

    /** The pieces of {@code text}, each at most {@code room} bytes, cut at boundaries; white space at cuts dropped. */
    private static List<String> cut(String text, int room) {
        List<String> pieces = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = fill(text, start, room);
            int at = end == text.length() ? end : boundary(text, start, end, LOOKBACK_BYTES);
            String piece = text.substring(start, at).stripTrailing();
            if (!piece.isEmpty()) {
                pieces.add(piece);
            }
            start = at;
            while (start < text.length() && Character.isWhitespace(text.charAt(start))) {
                start++;
            }
        }
        return pieces;
    }

    /** The furthest index after {@code start} such that text[start, index) has at most {@code room} bytes. */
    private static int fill(String text, int start, int room) {
        int used = 0;
        int i = start;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            int b = utf8(cp);
            if (used + b > room) {
                break;
            }
            used += b;
            i += Character.charCount(cp);
        }
        if (i == start && i < text.length()) {
            // not even one code point fits: take it whole rather than loop (rooms here are far larger)
            i += Character.charCount(text.codePointAt(i));
        }
        return i;
    }

    /** The best place to cut text[start, end) at or before {@code end}, at most {@code lookback} bytes back. */
    private static int boundary(String text, int start, int end, int lookback) {
        int best = -1;
        int bestRank = Integer.MAX_VALUE;
        int back = 0;
        for (int i = end; i > start && back <= lookback; ) {
            int rank = rank(text, i);
            if (rank < bestRank) {
                best = i;
                bestRank = rank;
                if (rank == 0) {
                    break;
                }
            }
            int cp = text.codePointBefore(i);
            back += utf8(cp);
            i -= Character.charCount(cp);
        }
        return best > start && bestRank < NOWHERE ? best : end;
    }

    /**
     * How good a cut before index {@code i} is: 0 after a line, 1 after a sentence, 2 after a clause, 3 after a
     * space, 4 anywhere else outside a Latin word, number or grapheme, {@link #NOWHERE} inside one.
     */
    private static int rank(String text, int i) {
        int before = text.codePointBefore(i);
        int after = text.codePointAt(i);
        if (joins(before, after)) {
            return NOWHERE;
        }
        if (before == '\n') {
            return 0;
        }
        if ("。！？!?；;…".indexOf(before) >= 0) {
            return 1;
        }
        if ("，、,：:）)】」』》".indexOf(before) >= 0) {
            return 2;
        }
        if (Character.isWhitespace(before)) {
            return 3;
        }
        return latinWord(before) && latinWord(after) ? NOWHERE : 4;
    }

    /**
     * Whether the two code points may belong to one visible character: a combining mark, a variation selector, a
     * skin tone, either side of a zero-width joiner, two regional indicators (a flag).
     */
    private static boolean joins(int before, int after) {
        int type = Character.getType(after);
        return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
                || type == Character.COMBINING_SPACING_MARK || after == 0x200D || before == 0x200D
                || (after >= 0xFE00 && after <= 0xFE0F) || (after >= 0x1F3FB && after <= 0x1F3FF)
                || (regional(before) && regional(after));
    }

    private static boolean regional(int cp) {
        return cp >= 0x1F1E6 && cp <= 0x1F1FF;
    }

    private static int utf8(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }

    private static boolean latinWord(int cp) {
        return cp < 0x250 && Character.isLetterOrDigit(cp);
    }
}
