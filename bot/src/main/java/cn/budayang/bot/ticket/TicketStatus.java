package cn.budayang.bot.ticket;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;
import java.util.Optional;

/** Where a ticket stands in the suggestion lifecycle (审核准入 → 交办 → 办复 → 共评; 督办 when overdue). */
public enum TicketStatus {
    ADMITTED, ASSIGNED, ANSWERED, ESCALATED, RATED, CLOSED, REJECTED;

    /** The wire name, as in the run contract: lower case. */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<TicketStatus> parse(String s) {
        for (TicketStatus v : values()) {
            if (v.wireName().equalsIgnoreCase(s)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** Open tickets still wait for a deputy or the constituent. */
    public boolean open() {
        return this == ADMITTED || this == ASSIGNED || this == ESCALATED || this == ANSWERED;
    }

    /** Chinese label shown to constituents, in the words the FAQ uses. */
    public String label() {
        return switch (this) {
            case ADMITTED -> "审核中";
            case ASSIGNED -> "已交办";
            case ANSWERED -> "已办复，待评价";
            case ESCALATED -> "督办中";
            case RATED -> "已评价";
            case CLOSED -> "已办结";
            case REJECTED -> "未受理";
        };
    }
}
