package cn.budayang.bot.reception;

import cn.budayang.bot.outbox.TextLimit;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.bot.ticket.Ticket.Rating;
import cn.budayang.bot.ticket.Ticket.TicketMessage;
import cn.budayang.bot.ticket.TicketStatus;
import cn.budayang.knowledge.Deputy;
import cn.budayang.knowledge.Group;
import cn.budayang.knowledge.Station;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Pattern;

/** Every sentence the bot says to constituents and deputies, in one place. */
final class Texts {

    /** The product serves one Chinese city; times are shown in its zone. */
    static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("M月d日 HH:mm").withZone(ZONE);
    private static final int PREVIEW = 40;

    static final String WELCOME = """
            您好，欢迎关注人大代表“不打烊”联络平台！在这里，您可以全天候给人大代表留言：
            · 直接发送文字（或语音）说明您遇到的问题、意见或建议，常见问题会马上自动解答，其余留言会生成编号，转交对口的代表小组跟进答复；
            · 扫描代表之家、联络站门口的“码上见”二维码，或发送您的位置，可以联系身边的代表；
            · 发送“我的留言”查看办理情况，发送“进度 编号”查询某条留言。""";

    static final String HELP = """
            您好！请直接发送文字，说明您要反映的问题或建议（写清楚地点、经过和诉求），我们会转交对口的人大代表小组答复。
            其他用法：发送“我的留言”查看办理情况；“进度 编号”查询某条留言；“新问题”另起一条留言；发送位置可联系身边的代表联络站。""";

    static final String ASK = "请直接发送文字或语音，说明您要反映的问题或建议，写清楚地点、经过和您的诉求，我们会转交对口的代表小组答复。";

    static final String NEW_QUESTION = "好的，请发送您的新问题，我们会为它单独生成一条留言。";

    static final String NO_TICKETS = "您还没有留言。直接发送文字说明问题，即可给人大代表留言。";

    static final String BAD_BIND_CODE = "绑定码不正确，请核对后重新发送“绑定 绑定码”。绑定码由人大常委会代表工作部门提供。";

    static final String BIND_LOCKED = "绑定码错误次数过多，请一小时后再试，或联系人大常委会代表工作部门核对绑定码。";

    static final String BIND_HOWTO = "人大代表请发送“绑定 绑定码”（绑定码由人大常委会代表工作部门提供），绑定后群众留言会转到您的微信。";

    static final String OFF_DUTY = "现在是非工作时间，人工客服在工作日 9:00—17:30 接入。"
            + "您也可以直接发送文字留言，我们会生成编号，马上转交对口的代表。";

    static final String NOTHING_TO_TRANSFER = "请直接发送您要反映的问题，写清楚地点、经过和诉求，我们会转交对口的代表小组。";

    static final String NEEDS_DETAIL = "为了转给合适的代表小组，请再具体说说您遇到的问题（地点、经过、诉求），我们会生成留言编号转交代表。";

    private static final Pattern THANKS = Pattern.compile("谢|感谢|辛苦|thank", Pattern.CASE_INSENSITIVE);
    private static final Pattern GREETING = Pattern.compile("^(你好|您好|在吗|在不在|哈喽|hello|hi|早上好|晚上好|下午好|中午好)",
            Pattern.CASE_INSENSITIVE);

    private Texts() {
    }

    /** The reminder of a ticket still being handled, added to small-talk replies (empty when there is none). */
    private static String openTicketTail(String openTicketId) {
        return openTicketId == null ? ""
                : "\n您的留言 #" + openTicketId + " 正在办理中，发送“进度 " + openTicketId + "”可查询。";
    }

    static String chitChat(String text, String openTicketId) {
        String tail = openTicketTail(openTicketId);
        if (THANKS.matcher(text).find()) {
            return "不客气！有问题或建议，随时在这里给人大代表留言。" + tail;
        }
        if (GREETING.matcher(text).find()) {
            return "您好！我是人大代表联络平台，全天候接收您的留言。请直接说明您要反映的问题，写清楚地点和诉求。" + tail;
        }
        return "您好！如需给人大代表留言，请直接说明您遇到的具体问题或建议（地点、经过、诉求）。发送“帮助”查看用法。" + tail;
    }

    static String goodNews(String openTicketId) {
        return "谢谢您告诉我们这个好消息！以后遇到问题或有建议，随时在这里给人大代表留言。" + openTicketTail(openTicketId);
    }

    static String ticketAccepted(Ticket t, String groupName, Duration deadline) {
        return "您的留言已受理，编号 #" + t.id() + "，已交办给“" + groupName + "”。\n"
                + "代表答复后会第一时间在这里转告您，答复时限为" + hours(deadline) + "。\n"
                + "补充情况可直接继续发送（文字、图片都可以）；发送“进度 " + t.id() + "”随时查询，发送“新问题”另起一条留言。";
    }

    /** An FAQ answer, the questions close to it (numbered, 您可能还想问), and the way out when it does not fit. */
    static String faqAnswer(String answer, List<String> related) {
        StringBuilder b = new StringBuilder(answer);
        if (!related.isEmpty()) {
            b.append("\n\n您可能还想问：");
            numbered(b, related);
            b.append("\n回复数字查看解答。");
        }
        return b.append("\n（如果没有解答您的问题，回复“转代表”转给代表处理。）").toString();
    }

    /** A question no FAQ answered well enough: the FAQs it may mean, numbered. */
    static String suggestFaqs(List<String> questions, String openTicketId) {
        StringBuilder b = new StringBuilder("您是不是想问：");
        numbered(b, questions);
        return b.append("\n回复数字查看解答。都不是的话，请直接说明您遇到的问题（地点、经过、诉求），我们会转给人大代表。")
                .append(openTicketTail(openTicketId)).toString();
    }

    /**
     * A message no group's words named: the professional groups, numbered, each with the first things its description
     * says it follows (执法司法公正、执行难、社会治安).
     */
    static String chooseGroup(List<Group> groups) {
        StringBuilder b = new StringBuilder("收到您的留言。为了交给合适的代表小组，请回复数字告诉我们它属于哪一类：");
        numbered(b, groups.stream().map(Texts::groupLine).toList());
        return b.append("\n选好后我们会生成留言编号转交代表；只是打个招呼的话，不用回复。").toString();
    }

    private static String groupLine(Group g) {
        String name = g.name().replace("代表小组", "");
        String d = g.description();
        int at = d.indexOf("关注");
        if (at < 0) {
            return name;
        }
        String[] topics = d.substring(at + 2).replaceAll("[。；;].*$", "").split("、");
        return name + "（" + String.join("、", java.util.Arrays.asList(topics).subList(0, Math.min(3, topics.length)))
                + "）";
    }

    private static void numbered(StringBuilder b, List<String> lines) {
        for (int i = 0; i < lines.size(); i++) {
            b.append('\n').append(i + 1).append(". ").append(lines.get(i));
        }
    }

    static String closedSupplement(Ticket t) {
        return "留言 #" + t.id() + " 当前状态为“" + t.status().label() + "”，不能再补充。如果问题又出现了，请直接发送新的留言，"
                + "并注明原留言编号 " + t.id() + "。";
    }

    /**
     * Why a ticket cannot be withdrawn, by its status: as the platform's FAQ says, only a ticket under admission can;
     * one in the deputies' hands takes a 补充 instead (also to say the problem solved itself).
     */
    static String cannotWithdraw(Ticket t) {
        return switch (t.status()) {
            case ASSIGNED, ESCALATED -> "留言 #" + t.id() + " 已经交办，不能撤回。需要补充情况的，请发送“补充 " + t.id()
                    + " 补充内容”；问题已经自行解决的，也请用“补充”说明，代表会据此结束办理。";
            case ANSWERED -> "留言 #" + t.id() + " 代表已经答复，不能撤回。请回复 1 满意、2 基本满意、3 不满意 评价这次答复。";
            case REJECTED -> "留言 #" + t.id() + " 未受理，不需要撤回。";
            default -> "留言 #" + t.id() + " 已经办结，不需要撤回。";
        };
    }

    static String withdrawn(Ticket t) {
        return "留言 #" + t.id() + " 已撤回。需要时可以重新提交。";
    }

    static String cannotUrge(Ticket t) {
        return "留言 #" + t.id() + " 当前状态为“" + t.status().label() + "”，不需要催办。发送“进度 " + t.id() + "”可查看详情。";
    }

    static String urgedAlready(Ticket t, Instant at) {
        return "留言 #" + t.id() + " 已于" + TIME.format(at) + "催办过，代表会尽快答复，请耐心等待。";
    }

    static String urgeRecorded(Ticket t) {
        return "已催办留言 #" + t.id() + "，负责的代表会收到提醒。超过答复期限仍未答复的留言会自动督办。";
    }

    static String urgeRecordedForOffice(Ticket t) {
        return "已催办留言 #" + t.id() + "。这条留言已转人大常委会督办，工作人员会看到您的催办。";
    }

    static String urged(Ticket t, String groupName) {
        return "【催办 · 留言 #" + t.id() + "】群众催问交办给" + groupName + "的留言，请尽快答复。内容："
                + preview(t.question()) + "\n回复“#" + t.id() + " 答复内容”即可答复。";
    }

    static String rejected(Ticket t) {
        return "您的留言（编号 #" + t.id() + "）含有广告推广等与人大代表履职无关的内容，未予受理。"
                + "如有需要反映的问题或建议，请直接说明具体情况（地点、经过、诉求）。";
    }

    /**
     * A question forwarded to a deputy; {@code ofTheGroup} false for a station's deputy outside its group, whose
     * 非本组 only stops it coming to them.
     */
    static String forward(Ticket t, String groupName, String stationName, String areaName, boolean ofTheGroup) {
        StringBuilder b = new StringBuilder();
        b.append("【群众留言 #").append(t.id()).append("】交办：").append(groupName).append('\n');
        if (stationName != null) {
            b.append("来自站点：").append(stationName).append('\n');
        } else if (areaName != null && !areaName.isEmpty()) {
            b.append("所在片区：").append(areaName).append('\n');
        }
        b.append("内容：");
        return quoting(b.toString(), t.question(), "\n答复期限：" + TIME.format(t.deadlineAt()) + "\n请回复“#" + t.id()
                + " 答复内容”直接答复；发送“认领 #" + t.id() + "”认领，发送“非本组 #" + t.id()
                + (ofTheGroup ? "”退回改派。" : "”不再接收这条留言。"));
    }

    /**
     * What the constituent added to a forwarded ticket, for its deputies: the words of a text (or of a voice WeChat
     * recognised), the address of an image or a link (with its title), or that a voice or video came.
     */
    static String followUp(Ticket t, TicketMessage m) {
        String head = "【留言 #" + t.id() + " 群众补充】";
        String tail = "\n回复“#" + t.id() + " 答复内容”即可答复。";
        boolean words = m.text() != null && !m.text().isBlank();
        return switch (m.kind()) {
            case "image" -> m.url() == null ? head + "群众发来一张图片。" + tail
                    : quoting(head + "群众发来一张图片：", m.url(), tail);
            case "video" -> head + "群众发来一段视频。" + tail;
            case "voice" -> words ? quoting(head + "群众发来一段语音，识别的文字：", m.text(), tail)
                    : head + "群众发来一段语音（未能识别文字）。" + tail;
            case "link" -> quoting(head + "群众发来一个链接：" + (words ? "《" + preview(m.text()) + "》\n" : ""),
                    m.url() == null ? "" : m.url(), tail);
            default -> quoting(head, words ? m.text() : "", tail);
        };
    }

    /**
     * {@code before + quoted + after}, the quoted words (a question, an answer) shortened so that the whole goes in
     * at most {@link TextLimit#MAX_PARTS} messages: what the bot says around them always arrives.
     */
    private static String quoting(String before, String quoted, String after) {
        int room = TextLimit.capacity(TextLimit.MAX_PARTS) - TextLimit.bytes(before) - TextLimit.bytes(after);
        return before + TextLimit.shorten(quoted, room, "……（全文共" + quoted.codePointCount(0, quoted.length())
                + "字，以下从略）") + after;
    }

    static String followUpAdded(Ticket t) {
        return "已将您补充的内容加入留言 #" + t.id() + "，并转给负责的代表。如要反映另一件事，请先发送“新问题”。";
    }

    static String attachmentAdded(String ticketId, String what, boolean toldDeputies) {
        return "已将这条" + what + "附到留言 #" + ticketId + (toldDeputies ? "，并转告负责的代表。" : "。");
    }

    static String attachmentPending(String what) {
        return "已收到您的" + what + "。请再用文字说明您要反映的问题（地点、经过、诉求），" + what + "会一并附在留言中。";
    }

    /** The answer, and the rating request for it; {@code alsoAwaiting}: the constituent's other answers not rated. */
    static String relay(Ticket t, Deputy d, String groupName, String text, List<String> alsoAwaiting) {
        StringBuilder tail = new StringBuilder("\n\n留言 #").append(t.id())
                .append(" 的问题解决了吗？请回复评价：1 满意，2 基本满意，3 不满意")
                .append("（也可以直接回复“满意”等，并补充一句理由）。")
                .append("如果问题还没有解决，请在后面加“未解决”，例如“3 未解决”，我们会继续督办。");
        if (!alsoAwaiting.isEmpty()) {
            List<String> ids = alsoAwaiting.subList(0, Math.min(MAX_LISTED, alsoAwaiting.size()));
            tail.append("\n您的留言 #").append(String.join("、#", ids)).append(" 的答复也还没有评价，可以发送“评价 ")
                    .append(ids.get(0)).append(" 1”这样的消息，按编号评价。");
        }
        return quoting("【代表答复 · 留言 #" + t.id() + "】\n" + d.name() + "代表（" + groupName + "）：\n", text,
                tail.toString());
    }

    /** The request for the next answer waiting for a rating, after the constituent rated one. */
    static String nextRating(Ticket t) {
        return "\n留言 #" + t.id() + "（" + preview(t.question()) + "）的答复也还在等您评价：请回复 1 满意，2 基本满意，"
                + "3 不满意；问题没有解决的，请加“未解决”。";
    }

    static String ratingNeedsValue(String id) {
        return "请在编号后写上评价，例如“评价 " + id + " 1”：1 满意，2 基本满意，3 不满意；问题没有解决的，请加“未解决”。";
    }

    static String notAwaitingRating(Ticket t) {
        return "留言 #" + t.id() + " 当前状态为“" + t.status().label() + "”，现在不需要评价。";
    }

    static String answerRecorded(Ticket t) {
        return "已记录您对留言 #" + t.id() + " 的答复，并转告群众。感谢您的履职！";
    }

    static String answeredByOther(Ticket t, Deputy d) {
        return "【留言 #" + t.id() + "】已由" + d.name() + "代表答复，无需重复处理。";
    }

    static String claimRecorded(Ticket t) {
        return "您已认领留言 #" + t.id() + "，请在期限内回复“#" + t.id() + " 答复内容”。";
    }

    static String claimedAlready(Ticket t) {
        return "留言 #" + t.id() + " 已由您认领。";
    }

    static String claimedByOther(Ticket t, String who) {
        return "留言 #" + t.id() + " 已由" + who + "代表认领。";
    }

    static String claimedNotice(Ticket t, Deputy d) {
        return "【留言 #" + t.id() + "】已由" + d.name() + "代表认领办理。";
    }

    static String claimedToConstituent(Ticket t, Deputy d) {
        return "您的留言 #" + t.id() + " 已由" + d.name() + "代表认领办理，请耐心等待答复。";
    }

    static String declineRecorded(Ticket t, String nextGroup) {
        return "已将留言 #" + t.id() + " 退回，改派给“" + nextGroup + "”。";
    }

    static String steppedOut(Ticket t, String groupName) {
        return "好的，留言 #" + t.id() + " 不再转给您，仍由“" + groupName + "”办理。";
    }

    static String declinedAlready(Ticket t) {
        return "留言 #" + t.id() + " 已被各专业代表小组退回，已转人大常委会督办，无需再次退回。";
    }

    static String noGroupToConstituent(Ticket t) {
        return "您的留言 #" + t.id() + " 暂未找到对口的专业代表小组，已转人大常委会督办，工作人员会跟进并答复您。";
    }

    static String answerNeedsText(String id) {
        return "请在编号后写上答复内容，例如“#" + id + " 已联系相关部门，本周内处理”。";
    }

    static String supplementNeedsText(String id) {
        return "请在编号后写上要补充的内容，例如“补充 #" + id + " 具体位置在小区东门”。";
    }

    static String declineNoGroup(Ticket t) {
        return "已将留言 #" + t.id() + " 退回。各专业代表小组均已退回，已转人大常委会督办。";
    }

    static String reassignedToConstituent(Ticket t, String nextGroup) {
        return "您的留言 #" + t.id() + " 已转由“" + nextGroup + "”办理，代表答复后会在这里转告您。";
    }

    static String reminder(Ticket t, String groupName, Instant deadline) {
        return "【提醒 · 留言 #" + t.id() + "】交办给" + groupName + "的留言还没有答复，答复期限为"
                + TIME.format(deadline) + "。内容：" + preview(t.question())
                + "\n回复“#" + t.id() + " 答复内容”即可答复。";
    }

    static String escalation(Ticket t, String groupName, Instant deadline) {
        return "【督办 · 留言 #" + t.id() + "】交办给" + groupName + "的留言已超过答复期限（"
                + TIME.format(deadline) + "），请尽快答复。内容：" + preview(t.question())
                + "\n回复“#" + t.id() + " 答复内容”即可答复。";
    }

    static String escalatedToConstituent(Ticket t) {
        return "您的留言 #" + t.id() + " 已超过答复时限，已启动督办，我们会督促代表尽快答复。";
    }

    static String reopened(Ticket t, String note) {
        return "【督办 · 留言 #" + t.id() + "】群众对答复的评价：" + note + "，请继续跟进，答复期限为"
                + TIME.format(t.reopened().deadlineAt()) + "。内容：" + preview(t.question())
                + "\n回复“#" + t.id() + " 答复内容”即可再次答复。";
    }

    static String reopenedToConstituent(Ticket t, Duration deadline) {
        return "收到您的评价。留言 #" + t.id() + " 已重新督办，代表会继续跟进，答复时限为" + hours(deadline)
                + "，有新答复会在这里告诉您。";
    }

    static String thanksForRating(Ticket t) {
        return "感谢您的评价！留言 #" + t.id() + " 已办结。有新的问题或建议，随时在这里留言。";
    }

    static String dissatisfactionRecorded(Ticket t) {
        return "收到您的评价，您的意见已经记录在案。留言 #" + t.id() + " 已办结；如果问题其实还没有解决，"
                + "请重新留言并注明原编号 " + t.id() + "。";
    }

    static String ratingNote(Rating r) {
        String s = switch (r.satisfaction()) {
            case 1 -> "满意";
            case 2 -> "基本满意";
            default -> "不满意";
        };
        return s + (r.solved() ? "，已解决" : "，未解决");
    }

    /** Ticket numbers listed at most in one message (WeChat's text limit is about 2,000 bytes, see TextLimit). */
    static final int MAX_LISTED = 20;

    static String whichTicket(List<String> open) {
        StringBuilder b = new StringBuilder("您有多条待答复的留言：");
        appendIds(b, open);
        return b.append("。请用“#编号 答复内容”说明答复哪一条。").toString();
    }

    /** A command without a number (认领, 非本组) while several forwarded tickets are open. */
    static String whichTicket(List<String> open, String command) {
        StringBuilder b = new StringBuilder("您有多条待处理的留言：");
        appendIds(b, open);
        return b.append("。请发送“").append(command).append(" #编号”说明是哪一条。").toString();
    }

    private static void appendIds(StringBuilder b, List<String> open) {
        for (String id : open.subList(0, Math.min(MAX_LISTED, open.size()))) {
            b.append(" #").append(id);
        }
        if (open.size() > MAX_LISTED) {
            b.append(" 等").append(open.size()).append("条");
        }
    }

    /** A command without a number (认领, 非本组) from a deputy with no open forwarded ticket. */
    static String commandNeedsNumber(String command) {
        return "请写上留言编号，例如“" + command + " #1001”。";
    }

    /** A deputy's 好的、收到、在吗 while tickets wait for their answer: nothing is relayed. */
    static String acknowledged(List<String> open) {
        if (open.size() == 1) {
            return "好的。留言 #" + open.get(0) + " 还在等您答复，答复请发送“#" + open.get(0) + " 答复内容”。";
        }
        StringBuilder b = new StringBuilder("好的。您还有待答复的留言：");
        appendIds(b, open);
        return b.append("。答复请发送“#编号 答复内容”。").toString();
    }

    /** A deputy's short plain reply (or a question to the bot) is not relayed until they confirm it. */
    static String confirmAnswer(String id) {
        return "这条消息没有转给群众。如果它就是对留言 #" + id + " 的答复，请发送“#" + id + " 答复内容”确认。";
    }

    static String noSuchTicket(String id) {
        return "没有找到编号为 " + id + " 的留言，请核对编号。发送“我的留言”可查看您的留言。";
    }

    static String notYourGroup(String id) {
        return "留言 #" + id + " 不是交办给您所在代表小组的，不能在这里处理。";
    }

    /** A deputy's 答复, 认领 or 退回 of a question they asked themselves, as a constituent. */
    static String ownTicket(String id, String action) {
        return "留言 #" + id + " 是您本人提出的，不能由您" + action + "，本组其他代表会办理并答复您。";
    }

    static String alreadyClosed(Ticket t) {
        return "留言 #" + t.id() + " 当前状态为“" + t.status().label() + "”，不能再做此操作。";
    }

    static String bound(Deputy d, List<String> groups) {
        return "绑定成功：" + d.name() + "代表（" + String.join("、", groups) + "）。\n"
                + "群众留言会转到这里。回复“#编号 答复内容”答复，“认领 #编号”认领，“非本组 #编号”退回改派。";
    }

    static String station(Station s, List<String> deputies, Double km) {
        StringBuilder b = new StringBuilder();
        b.append("您已联系“").append(s.name()).append("”");
        if (km != null) {
            b.append(String.format("（离您约 %.1f 公里）", km));
        }
        b.append("。\n");
        // address and hours are optional in stations.json: a line without one is left out
        if (given(s.address())) {
            b.append("地址：").append(s.address()).append('\n');
        }
        if (given(s.hours())) {
            b.append("开放时间：").append(s.hours()).append('\n');
        }
        if (!deputies.isEmpty()) {
            b.append("驻站代表：").append(String.join("、", deputies)).append('\n');
        }
        b.append("现在就可以直接发送文字留言，留言会优先转给本站点和本片区对口的代表。");
        return b.toString();
    }

    /** A station's deputy as the station reply lists them: 范若勇（区人大代表）, or 范若勇（人大代表） without a level. */
    static String stationDeputy(Deputy d) {
        return d.name() + "（" + (given(d.level()) ? d.level() : "") + "人大代表）";
    }

    private static boolean given(String optional) {
        return optional != null && !optional.isBlank();
    }

    static String progress(Ticket t, String groupName) {
        StringBuilder b = new StringBuilder();
        b.append("留言 #").append(t.id()).append("：").append(t.status().label()).append('\n');
        b.append("内容：").append(preview(t.question())).append('\n');
        b.append("提交时间：").append(TIME.format(t.createdAt())).append('\n');
        if (t.groupId() != null) {
            b.append("承办：").append(groupName).append('\n');
        }
        if (!t.answers().isEmpty()) {
            // a passive reply is one message: a long answer shows its beginning (the relay carried it in parts)
            Ticket.Answer a = t.answers().get(t.answers().size() - 1);
            b.append("最新答复（").append(a.deputyName()).append("代表，").append(TIME.format(a.at())).append("）：");
            b.append(TextLimit.shorten(a.text(), TextLimit.MAX_BYTES - TextLimit.bytes(b),
                    "……（答复较长，这里只显示开头）"));
        } else if (t.deadlineAt() != null) {
            b.append("答复期限：").append(TIME.format(t.deadlineAt()));
        }
        if (t.status() == TicketStatus.ESCALATED && t.reopened() != null) {
            b.append("\n已重新督办，答复期限：").append(TIME.format(t.reopened().deadlineAt()));
        }
        return b.toString().strip();
    }

    static String myTickets(List<Ticket> tickets) {
        StringBuilder b = new StringBuilder("您最近的留言：");
        for (Ticket t : tickets) {
            b.append("\n#").append(t.id()).append(" [").append(t.status().label()).append("] ")
                    .append(preview(t.question()));
        }
        return b.append("\n发送“进度 编号”查看详情。").toString();
    }

    static String preview(String s) {
        if (s == null) {
            return "";
        }
        return s.codePointCount(0, s.length()) <= PREVIEW ? s
                : s.substring(0, s.offsetByCodePoints(0, PREVIEW)) + "…";
    }

    private static String hours(Duration d) {
        if (d.toHours() >= 1 && d.toMinutesPart() == 0 && d.toSecondsPart() == 0) {
            return d.toHours() + "小时";
        }
        if (d.toMinutes() >= 1 && d.toSecondsPart() == 0) {
            return d.toMinutes() + "分钟";
        }
        return d.toSeconds() + "秒";
    }

    static String time(Instant at) {
        return TIME.format(at);
    }
}
