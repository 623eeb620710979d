package cn.budayang.knowledge;

import java.util.Objects;

/**
 * A reception site: {@code kind} is {@code home} (代表之家), {@code station} (代表联络站) or {@code point} (代表联系点).
 * {@code groupId} names the area group the station belongs to; {@code address} and {@code hours} are null when
 * stations.json does not give them.
 */
public record Station(String id, String name, String kind, String address, double lat, double lon, String groupId,
                      String hours) {
    public Station {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(groupId, "groupId");
    }
}
