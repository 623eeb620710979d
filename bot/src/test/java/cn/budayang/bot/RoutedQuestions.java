package cn.budayang.bot;

import java.util.List;

/** Realistic constituent questions that route to a professional group of the sample city and become tickets. */
public final class RoutedQuestions {

    public static final List<String> ALL = List.of(
            "小区门口的路灯坏了一个多星期，晚上黑漆漆的很危险",
            "楼下饭店油烟直排，窗户都不敢开",
            "孩子上小学划片太远了，学区划分能不能调整一下",
            "小区里的垃圾好几天没人清运，臭味很大",
            "村里的灌溉水渠堵了，今年的秧苗没法插",
            "老旧小区加装电梯的补贴什么时候能落实",
            "公交站台离小区太远，老人出行很不方便",
            "养老院床位太紧张，排队一年多还没排上",
            "农村医保报销比例太低，看病负担重",
            "工地夜里施工噪音太大，影响休息");

    private RoutedQuestions() {
    }
}
