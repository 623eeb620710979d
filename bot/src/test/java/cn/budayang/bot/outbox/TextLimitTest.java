package cn.budayang.bot.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Splitting and shortening texts to WeChat's size limit. */
class TextLimitTest {

    private static final Pattern LABEL = Pattern.compile("^\\((\\d+)/(\\d+)\\) ");

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The parts' contents without their labels, checking the labels count 1..n. */
    private static List<String> unlabelled(List<String> parts) {
        for (int k = 0; k < parts.size(); k++) {
            Matcher m = LABEL.matcher(parts.get(k));
            assertTrue(m.find(), parts.get(k));
            assertEquals(k + 1, Integer.parseInt(m.group(1)));
            assertEquals(parts.size(), Integer.parseInt(m.group(2)));
        }
        return parts.stream().map(p -> LABEL.matcher(p).replaceFirst("")).toList();
    }

    @Test
    void aTextWithinTheLimitIsOneMessageAsItIs() {
        String text = "路".repeat(666) + "ab";
        assertEquals(2000, utf8(text));
        assertEquals(List.of(text), TextLimit.split(text));
        assertEquals(text, TextLimit.shorten(text, TextLimit.MAX_BYTES, "…"));
        assertEquals(2000, TextLimit.bytes(text));
        assertEquals(utf8("a😀é路"), TextLimit.bytes("a😀é路"));
    }

    @Test
    void aLongTextBecomesNumberedPartsWithinTheLimitThatTogetherHoldAllOfIt() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 120; i++) {
            b.append("第").append(i).append("句：小区门口的下水道堵了，一下雨就积水。");
        }
        String text = b.toString();
        List<String> parts = TextLimit.split(text);
        assertEquals(4, parts.size(), utf8(text) + " bytes");
        for (String p : parts) {
            assertTrue(utf8(p) <= TextLimit.MAX_BYTES, utf8(p) + " bytes");
        }
        List<String> contents = unlabelled(parts);
        assertEquals(text, String.join("", contents));
        for (String c : contents.subList(0, contents.size() - 1)) {
            assertTrue(c.endsWith("。"), "cut after a sentence: " + c.substring(c.length() - 10));
        }
    }

    @Test
    void partsEndAtALineOrAWordNeverInsideASurrogatePairOrALatinWord() {
        String lines = ("一二三四五六七八九十".repeat(10) + "\n").repeat(20);
        for (String c : unlabelled(TextLimit.split(lines))) {
            assertTrue(lines.startsWith(c) || lines.contains("\n" + c + "\n") || lines.endsWith(c), c);
        }

        String emoji = "😀".repeat(700);
        for (String c : unlabelled(TextLimit.split(emoji))) {
            assertFalse(Character.isLowSurrogate(c.charAt(0)) || Character.isHighSurrogate(c.charAt(c.length() - 1)),
                    "a part starts or ends inside a surrogate pair");
            assertEquals(c.length(), 2 * c.codePointCount(0, c.length()));
        }

        String words = "please repair the broken street light near gate three ".repeat(60);
        List<String> contents = unlabelled(TextLimit.split(words));
        assertTrue(contents.size() >= 2);
        for (String c : contents) {
            assertTrue(words.startsWith(c) || words.contains(" " + c + " ") || words.strip().endsWith(c),
                    "cut inside a word: ..." + c.substring(c.length() - 12));
        }
    }

    @Test
    void textsQuotedWithinTheCapacityOfNPartsNeedAtMostN() {
        // the worst case for boundaries: no punctuation, no space, only CJK, so every cut may fall anywhere
        for (int parts = 2; parts <= TextLimit.MAX_PARTS; parts++) {
            String text = "路".repeat(TextLimit.capacity(parts) / 3);
            assertTrue(TextLimit.split(text).size() <= parts, parts + " parts");
            String sentences = ("小区门口的下水道堵了，一下雨就积水。".repeat(400)).substring(0,
                    TextLimit.capacity(parts) / 3);
            assertTrue(TextLimit.split(sentences).size() <= parts, parts + " parts of sentences");
        }
    }

    @Test
    void aVeryLongTextGetsTwoDigitLabelsStillWithinTheLimit() {
        String text = "路".repeat(10_000);
        List<String> parts = TextLimit.split(text);
        assertTrue(parts.size() >= 10, parts.size() + " parts");
        assertTrue(parts.get(parts.size() - 1).startsWith("(" + parts.size() + "/" + parts.size() + ") "));
        for (String p : parts) {
            assertTrue(utf8(p) <= TextLimit.MAX_BYTES, utf8(p) + " bytes");
        }
        assertEquals(text, String.join("", unlabelled(parts)));
    }

    @Test
    void shortenKeepsTheBeginningAndSaysWhatWasLeftOut() {
        String answer = "已联系排水公司，明天上午来疏通。".repeat(200);
        String tail = "……（以下从略）";
        String s = TextLimit.shorten(answer, 500, tail);
        assertTrue(utf8(s) <= 500, utf8(s) + " bytes");
        assertTrue(s.endsWith("。" + tail), s);
        assertTrue(answer.startsWith(s.substring(0, s.length() - tail.length())));
        assertEquals("", TextLimit.shorten(answer, 3, tail), "no room even for the tail");
    }
}
