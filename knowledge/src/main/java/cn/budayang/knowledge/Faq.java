package cn.budayang.knowledge;

import java.util.List;
import java.util.Objects;

/** A frequently asked question: every paraphrase in {@code questions} is matched, {@code answer} is sent back. */
public record Faq(String id, List<String> questions, String answer, List<String> tags) {
    public Faq {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(answer, "answer");
        questions = List.copyOf(questions);
        tags = tags == null ? List.of() : List.copyOf(tags);
    }
}
