package cn.budayang.knowledge;

/** Whether a deputy group is organised by profession (and receives routed tickets) or by area. */
public enum GroupKind {
    PROFESSIONAL,
    AREA;

    static GroupKind parse(String value) {
        return switch (value) {
            case "professional" -> PROFESSIONAL;
            case "area" -> AREA;
            default -> throw new IllegalArgumentException(value);
        };
    }
}
