package cn.budayang.bot.reception;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RatingReplyTest {

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', textBlock = """
            1                    | 1 | false
            2.                   | 2 | false
            3 拖得太久了         | 3 | false
            1满意                | 1 | false
            2未解决              | 2 | true
            2 未解决             | 2 | true
            满意                 | 1 | false
            非常满意             | 1 | false
            满意了               | 1 | false
            挺满意的             | 1 | false
            太满意了             | 1 | false
            很满意谢谢           | 1 | false
            基本满意，就是慢了点 | 2 | false
            比较满意             | 2 | false
            还算满意             | 2 | false
            不满意               | 3 | false
            不太满意             | 3 | false
            不是很满意           | 3 | false
            很不满意             | 3 | false
            不满意没解决         | 3 | true
            1、                  | 1 | false
            3 已解决，但是拖得太久了 | 3 | false
            3，等了半个月，代表的答复一点用都没有 | 3 | false
            3不满意，还是没修    | 3 | true
            还没解决             | 3 | true
            问题还没修好         | 3 | true
            """)
    void readsTheRatingAndWhetherTheProblemIsSolved(String text, int satisfaction, boolean notSolved) {
        assertEquals(Optional.of(new RatingReply(satisfaction, notSolved)), RatingReply.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"12", "1001", "1号楼的电梯坏了", "3天了还没人来修", "满意度调查在哪里填", "谈不上满意",
            "你好", "小区门口的下水道堵了",
            "1、小区门口又有一个井盖丢了，很危险", "2. 楼下的饭店每天晚上油烟直排到我家窗户"})
    void otherMessagesAreNoRating(String text) {
        assertTrue(RatingReply.parse(text).isEmpty(), text);
    }
}
