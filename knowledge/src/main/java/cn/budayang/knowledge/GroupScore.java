package cn.budayang.knowledge;

/** The routing score of one professional group for one question (comparable only within that question). */
public record GroupScore(String groupId, double score) {
}
