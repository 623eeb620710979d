package cn.budayang.knowledge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The JSON line of the {@code route} command (CONTRACT.md). */
public final class RouteDecisions {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RouteDecisions() {
    }

    /**
     * One line of JSON: {@code text, group, faq, score, reason, runnerUp} as in CONTRACT.md, plus {@code area}
     * (area group id or null), {@code matched} (matched terms), {@code ranking} (group → score, best first) and
     * {@code suggestions} (FAQ ids that may be what a question asks, best first).
     */
    public static String toJson(RouteDecision d) {
        ObjectNode o = toNode(d);
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same object as {@link #toJson}, as a Jackson tree. */
    public static ObjectNode toNode(RouteDecision d) {
        ObjectNode o = JSON.createObjectNode();
        o.put("text", d.text());
        o.put("group", d.groupId());
        o.put("faq", d.faqId());
        o.put("score", Math.round(d.score() * 1000) / 1000.0);
        o.put("reason", d.reason());
        o.put("runnerUp", d.runnerUp());
        o.put("area", d.areaGroupId());
        ArrayNode matched = o.putArray("matched");
        d.matchedTerms().forEach(matched::add);
        ObjectNode ranking = o.putObject("ranking");
        d.ranking().forEach(g -> ranking.put(g.groupId(), Math.round(g.score() * 1000) / 1000.0));
        ArrayNode suggestions = o.putArray("suggestions");
        d.faqSuggestions().forEach(suggestions::add);
        return o;
    }
}
