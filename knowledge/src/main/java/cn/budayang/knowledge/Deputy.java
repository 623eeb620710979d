package cn.budayang.knowledge;

import java.util.List;
import java.util.Objects;

/**
 * A deputy; {@code openId} is null until the deputy binds their WeChat account with {@code bindCode}, {@code level}
 * (全国, 省, 市 …) and {@code stationId} are null when deputies.json does not give them.
 */
public record Deputy(String id, String name, String level, List<String> groupIds, String stationId, String openId,
                     String bindCode) {
    public Deputy {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        groupIds = List.copyOf(groupIds);
    }
}
