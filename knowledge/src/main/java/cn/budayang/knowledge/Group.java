package cn.budayang.knowledge;

import java.util.List;
import java.util.Objects;

/** A deputy group: one of the professional groups tickets are routed to, or an area group. */
public record Group(String id, String name, GroupKind kind, List<String> keywords, String description) {
    public Group {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        keywords = List.copyOf(keywords);
        description = description == null ? "" : description;
    }

    public boolean professional() {
        return kind == GroupKind.PROFESSIONAL;
    }
}
