package cn.budayang.bot.reception;

import cn.budayang.bot.outbox.OutboxEntry;
import cn.budayang.bot.outbox.TextLimit;
import cn.budayang.bot.ticket.Ticket;
import cn.budayang.bot.ticket.Ticket.Answer;
import cn.budayang.bot.ticket.Ticket.Rating;
import cn.budayang.bot.ticket.Ticket.TicketMessage;
import cn.budayang.bot.ticket.TicketStatus;
import cn.budayang.knowledge.Deputy;
import cn.budayang.knowledge.Group;
import cn.budayang.knowledge.GroupScore;
import cn.budayang.knowledge.KnowledgeBase;
import cn.budayang.knowledge.QuestionAnalyzer;
import cn.budayang.knowledge.RouteDecision;
import cn.budayang.knowledge.Station;
import cn.budayang.wechat.WeChatMessage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The conversation core: (state, inbound message, precomputed route, now) → (reply, actions). It reads through
 * {@link DeskState} and never stores or sends anything itself; {@link Desk} performs the returned actions. Its one
 * state of its own is in memory: the wrong bind codes each openid sent in the last hour.
 */
public final class ConversationEngine {

    /** Deputies a new question is forwarded to: those of the constituent's station and area first. */
    static final int MAX_FORWARD = 5;
    /** Groups offered by number (one digit each). */
    static final int MAX_GROUP_CHOICES = 9;
    /** A message of at least this many Chinese characters may be a matter of its own (shorter: small talk, a start). */
    static final int MATTER_MIN_CHARS = 5;

    private static final Pattern BIND = Pattern.compile("^绑定\\s*([A-Za-z0-9]{4,32})$");
    private static final Pattern PROGRESS = Pattern.compile("^(?:进度|查询进度|查进度|查询)\\s*#?\\s*(\\d+)?$");
    // the digits of a ticket number are taken whole (possessive \\d++): "#10015" is ticket 10015 with no answer, not
    // ticket 1001 answered "5"
    private static final Pattern ANSWER = Pattern.compile("^#\\s*(\\d++)\\s*[:：,，]?\\s*(.+)$", Pattern.DOTALL);
    private static final Pattern ANSWER_WITHOUT_TEXT = Pattern.compile("^#\\s*(\\d++)\\s*[:：,，]?$");
    private static final Pattern CLAIM = Pattern.compile("^认领\\s*#?\\s*(\\d+)$");
    private static final Pattern DECLINE = Pattern.compile("^非本组\\s*#?\\s*(\\d++)\\s*(.*)$", Pattern.DOTALL);
    /** 认领 without a number: the deputy's one open forwarded ticket. */
    private static final Pattern CLAIM_BARE = Pattern.compile("^认领[\\s!！。.~～]*$");
    /**
     * 非本组 without a number, alone or with a reason after it: the deputy's one open forwarded ticket (非本组？ asks, it
     * does not decline).
     */
    private static final Pattern DECLINE_BARE = Pattern.compile("^非本组(?:[\\s,，。.:：;；、!！~～].*)?$", Pattern.DOTALL);
    private static final Pattern SUPPLEMENT = Pattern.compile("^补充\\s*#?\\s*(\\d++)\\s*[:：,，]?\\s*(.+)$",
            Pattern.DOTALL);
    private static final Pattern SUPPLEMENT_WITHOUT_TEXT = Pattern.compile("^补充\\s*#?\\s*(\\d++)\\s*[:：,，]?$");
    private static final Pattern WITHDRAW = Pattern.compile("^撤回\\s*#?\\s*(\\d+)$");
    /** 评价 <编号> <rating>: rates that ticket's answer, whichever the bare rating would rate. */
    private static final Pattern RATE = Pattern.compile("^评价\\s*#?\\s*(\\d++)\\s*[:：,，]?\\s*(.*)$", Pattern.DOTALL);
    private static final Pattern URGE = Pattern.compile("^催办\\s*#?\\s*(\\d+)?$");
    /** The "choice" 新问题 leaves for the next message: it is the sender's own question, not a plain answer. */
    static final String OWN_QUESTION = "@新问题";
    /** A line break with the spaces around it, more than one blank line, a run of spaces (see {@link #normalize}). */
    private static final Pattern LINE_BREAK = Pattern.compile("[ \\t\\x0B\\f\\r]*\\n[ \\t\\x0B\\f\\r]*");
    private static final Pattern BLANK_LINES = Pattern.compile("\\n{3,}");
    private static final Pattern SPACES = Pattern.compile("[ \\t\\x0B\\f\\r]+");
    /** A number picking one of the choices the bot just offered (您是不是想问 FAQs, 属于哪一类 groups). */
    private static final Pattern CHOICE = Pattern.compile("^([1-9])[.。、]?$");
    private static final Pattern MINSHENG = Pattern.compile("^民生实事\\s*[:：,，]?\\s*\\S.*$", Pattern.DOTALL);
    /** An answer not rated within this time of reaching the constituent counts as 基本满意. */
    public static final Duration RATING_WINDOW = Duration.ofDays(10);
    /** Duty staff answer 人工 on working days 9:00–17:30 (as the FAQ tells constituents). */
    /** What asks for the customer-service desk (人工). */
    static final Set<String> HUMAN_DESK = Set.of("人工", "转人工", "人工客服", "转人工客服", "人工服务");
    /** A constituent may urge (催办) a ticket once a day. */
    private static final Duration URGE_INTERVAL = Duration.ofHours(24);
    /** Where 民生实事 suggestions go when their text names no group's subject: the group that follows budgets. */
    static final String MINSHENG_FALLBACK_GROUP = "pro-finance";
    /**
     * What a deputy may say without it being taken for an answer: acknowledgements, thanks and greetings, alone or
     * strung together (好的，收到), matched once punctuation, symbols and spaces are taken out (see {@link #bare}).
     */
    private static final Pattern ACKNOWLEDGEMENT = Pattern.compile(
            "^(?:好的?|好嘞|好滴|好哒|行|可以|没问题|收到了?|嗯+|哦+|噢+|ok|okay|谢谢(?:你|您|大家)?|感谢(?:你|您|大家)?"
                    + "|多谢|辛苦(?:了|啦|你了|您了)?|明白了?|了解|知道了|你好|您好|在吗|在么|在不在|哈喽|hello|hi"
                    + "|早上好|上午好|中午好|下午好|晚上好)+$",
            Pattern.CASE_INSENSITIVE);
    /** Punctuation, symbols (emoji among them) and white space, taken out before {@link #ACKNOWLEDGEMENT} is tried. */
    private static final Pattern NOT_WORDS = Pattern.compile("[\\p{P}\\p{S}\\p{Z}\\s]+");
    /**
     * A plain reply with fewer Chinese characters than this is not relayed as the answer of the deputy's one open
     * ticket: they are asked to confirm it with #编号 (收到！我看一下 is not an answer; #1001 已修好 still is).
     */
    static final int PLAIN_ANSWER_MIN_CHARS = 8;
    /**
     * A question to the bot about answering (这个怎么回复？), not an answer for the constituent, when it is short. Only
     * the bot's own mechanics: a deputy asking the constituent something (具体是哪个小区？) is an answer.
     */
    private static final Pattern QUESTION_TO_BOT = Pattern.compile(
            "(?:怎么|怎样|如何|咋)(?:答复|回复|操作|认领|退回)|你是谁|是机器人吗");
    /** Up to this many Chinese characters a question about using the bot is taken for one. */
    private static final int QUESTION_TO_BOT_MAX_CHARS = 20;

    private final Duration answerDeadline;
    private final DutyCalendar duty;
    /**
     * openid → when its wrong bind codes were sent, within {@link #BIND_WINDOW}: a six-digit code is not to be found
     * by trying. Kept in memory (a restart forgets it); touched on the store's writer thread only.
     */
    private final Map<String, List<Instant>> bindFailures = new java.util.concurrent.ConcurrentHashMap<>();
    /** Wrong bind codes an openid may send within {@link #BIND_WINDOW}. */
    static final int BIND_ATTEMPTS = 5;
    static final Duration BIND_WINDOW = Duration.ofHours(1);

    /** @param answerDeadline time from assignment to the first answer; a reminder goes at half of it */
    public ConversationEngine(Duration answerDeadline) {
        this(answerDeadline, DutyCalendar.WEEKDAYS);
    }

    /** @param duty when the customer-service desk (人工) is staffed */
    public ConversationEngine(Duration answerDeadline, DutyCalendar duty) {
        this.answerDeadline = answerDeadline;
        this.duty = duty;
    }

    /**
     * The reply to send back passively (null: answer {@code success}), whether to hand the message to WeChat's
     * customer-service desk instead (人工), and what to store and send. A passive reply is one message: a reply over
     * {@link TextLimit#MAX_BYTES} (a long FAQ answer from the knowledge files) is shortened to it.
     */
    public record Decision(String reply, List<Action> actions, boolean transferToAgent) {
        public Decision {
            actions = List.copyOf(actions);
            reply = reply == null ? null : TextLimit.shorten(reply, TextLimit.MAX_BYTES, "……");
        }

        public Decision(String reply, List<Action> actions) {
            this(reply, actions, false);
        }
    }

    /**
     * Decides what one inbound message does.
     *
     * @param route the router's decision for the message's text (text content, or voice recognition), or null when
     *              the message has no text
     */
    public Decision handle(DeskState state, WeChatMessage message, RouteDecision route, Instant now) {
        Changes ch = new Changes(state);
        String from = message.fromUser();
        Conversation c = ch.conversation(from);
        if (message instanceof WeChatMessage.Ordinary) {
            c = c.inbound(now);
        }
        ch.put(c);
        if (message instanceof WeChatMessage.Text t && HUMAN_DESK.contains(normalize(t.content()))) {
            if (duty.onDuty(now)) {
                return new Decision(null, ch.actions(), true);
            }
            return new Decision(Texts.OFF_DUTY, ch.actions());
        }
        String reply = dispatch(ch, from, message, route, now);
        return new Decision(reply, ch.actions());
    }

    private String dispatch(Changes ch, String from, WeChatMessage message, RouteDecision route, Instant now) {
        if (message instanceof WeChatMessage.Text t) {
            return onText(ch, from, t.content(), route, now, new TicketMessage(now, "text", t.content(), null, null));
        }
        if (message instanceof WeChatMessage.Voice v) {
            if (v.recognition() != null && !v.recognition().isBlank()) {
                return onText(ch, from, v.recognition(), route, now,
                        new TicketMessage(now, "voice", v.recognition(), v.mediaId(), null));
            }
            return attach(ch, from, new TicketMessage(now, "voice", null, v.mediaId(), null), "语音");
        }
        if (message instanceof WeChatMessage.Image i) {
            return attach(ch, from, new TicketMessage(now, "image", null, i.mediaId(), i.picUrl()), "图片");
        }
        if (message instanceof WeChatMessage.Video v) {
            return attach(ch, from, new TicketMessage(now, "video", null, v.mediaId(), null), "视频");
        }
        if (message instanceof WeChatMessage.Link l) {
            return attach(ch, from, new TicketMessage(now, "link", l.title(), null, l.url()), "链接");
        }
        if (message instanceof WeChatMessage.Location l) {
            return bindNearest(ch, from, l.latitude(), l.longitude(), true);
        }
        if (message instanceof WeChatMessage.LocationEvent l) {
            if (ch.conversation(from).stationId() == null) {
                bindNearest(ch, from, l.latitude(), l.longitude(), false);
            }
            return null;
        }
        if (message instanceof WeChatMessage.Subscribe s) {
            return s.scene().map(scene -> onScene(ch, from, scene, true, now)).orElse(Texts.WELCOME);
        }
        if (message instanceof WeChatMessage.Scan s) {
            return onScene(ch, from, s.eventKey() == null ? "" : s.eventKey(), false, now);
        }
        if (message instanceof WeChatMessage.Unsubscribe) {
            ch.put(ch.conversation(from).unsubscribed());
            return null;
        }
        if (message instanceof WeChatMessage.Click k) {
            return onMenu(ch, from, k.eventKey());
        }
        // VIEW, TEMPLATESENDJOBFINISH and every other event: nothing to say
        return null;
    }

    /**
     * What the clock does to one ticket: the reminder at half the deadline, escalation (督办) at the deadline, and
     * an answer not rated within {@link #RATING_WINDOW} of its delivery to the constituent counts as 基本满意 (as the
     * FAQ tells constituents; see {@link #ratingDue}). A ticket
     * reopened by a rating of 未解决 gets the same reminder and 督办 for its new deadline.
     * Returns no actions when nothing is due; never escalates a ticket twice for one deadline.
     */
    public Decision onClock(DeskState state, Ticket ticket, Instant now) {
        Changes ch = new Changes(state);
        // an answered ticket waits for its rating (one stored with the rating that reopened it, before reopening
        // cleared it, too), from when the answer reached the constituent: one still waiting or refused is not rated
        if (ticket.status() == TicketStatus.ANSWERED) {
            Instant due = ratingDue(ticket, state.deliveries(ticket.id()));
            if (due != null && !now.isBefore(due)) {
                ch.put(ticket.rated(new Rating(now, true, 2), TicketStatus.RATED, "逾期未评价，按基本满意处理"));
                Conversation c = ch.conversation(ticket.openId());
                if (ticket.id().equals(c.ratingTicketId())) {
                    ch.put(c.withRatingTicket(firstAwaitingRating(ch, c, ticket.id())));
                }
            }
            return new Decision(null, ch.actions());
        }
        if (reopenWatched(ticket)) {
            return onReopenClock(ch, ticket, now);
        }
        if (ticket.status() != TicketStatus.ASSIGNED || ticket.deadlineAt() == null) {
            return new Decision(null, List.of());
        }
        KnowledgeBase kb = state.knowledge();
        String group = groupName(kb, ticket.groupId());
        if (!now.isBefore(ticket.deadlineAt())) {
            Ticket t = ticket.escalated("system", "超过答复期限，督办", now);
            escalate(ch, t, group, t.deadlineAt());
            return new Decision(null, ch.actions());
        }
        Instant half = ticket.assignedAt().plus(Duration.between(ticket.assignedAt(), ticket.deadlineAt())
                .dividedBy(2));
        if (!ticket.reminded() && !now.isBefore(half)) {
            Ticket t = ticket.remindedAt(now);
            remind(ch, t, group, t.deadlineAt());
        }
        return new Decision(null, ch.actions());
    }

    /**
     * Stores the escalated ticket and sends 督办 to its group's and area's deputies and word to the constituent. At the
     * first deadline and at a reopened one alike: nobody answered in time, so 督办 widens to the whole group and area.
     */
    private static void escalate(Changes ch, Ticket t, String group, Instant deadline) {
        ch.put(t);
        groupAndArea(ch, t, (d, openId) -> ch.send(openId, Texts.escalation(t, group, deadline), t.id(),
                deputyLabel(d), "escalate"));
        ch.send(t.openId(), Texts.escalatedToConstituent(t), t.id(), "群众", "escalate");
    }

    /**
     * Stores the reminded ticket and reminds the deputies who hold it (those it was forwarded to, and whoever answered
     * it) of its deadline, at the first deadline and at a reopened one alike.
     */
    private static void remind(Changes ch, Ticket t, String group, Instant deadline) {
        ch.put(t);
        eachForwarded(ch, t, (d, openId) -> ch.send(openId, Texts.reminder(t, group, deadline), t.id(),
                deputyLabel(d), "remind"));
    }

    /**
     * Whether the clock watches a ticket reopened by a rating of 未解决: escalated, not yet escalated for its new
     * deadline, and still with a group (one every group declined waits for the standing committee's office).
     */
    public static boolean reopenWatched(Ticket t) {
        return t.status() == TicketStatus.ESCALATED && t.reopened() != null && !t.reopened().escalated()
                && !t.declined().contains(t.groupId());
    }

    /** The reminder half-way to a reopened ticket's new deadline, and 督办 again at it. */
    private Decision onReopenClock(Changes ch, Ticket ticket, Instant now) {
        Ticket.Reopen r = ticket.reopened();
        String group = groupName(ch.state.knowledge(), ticket.groupId());
        if (!now.isBefore(r.deadlineAt())) {
            escalate(ch, ticket.reopenEscalated("system", "重新督办后仍超过答复期限，再次督办", now), group,
                    r.deadlineAt());
        } else if (!r.reminded() && !now.isBefore(r.remindAt())) {
            remind(ch, ticket.reopenReminded(now), group, r.deadlineAt());
        }
        return new Decision(null, ch.actions());
    }

    /**
     * When an answered ticket's rating is due: {@link #RATING_WINDOW} after its latest answer was delivered to the
     * constituent (WeChat accepted the relay, the ticket's last delivery of purpose {@value #RELAY}); null while
     * that relay is pending, waiting for the constituent's next message, failed or parked: an answer the
     * constituent never received is not rated for them.
     */
    public static Instant ratingDue(Ticket t, List<Ticket.Delivery> deliveries) {
        if (t.answers().isEmpty()) {
            return null;
        }
        Ticket.Delivery relay = null;
        for (Ticket.Delivery d : deliveries) {
            if (RELAY.equals(d.purpose())) {
                relay = d;
            }
        }
        return relay != null && SENT.equals(relay.state()) && relay.at() != null
                ? relay.at().plus(RATING_WINDOW) : null;
    }

    /** The purpose of the text that takes an answer to the constituent. */
    public static final String RELAY = "relay";
    private static final String SENT = OutboxEntry.State.SENT.wireName();

    // ---------------------------------------------------------------- text

    private String onText(Changes ch, String from, String raw, RouteDecision route, Instant now, TicketMessage tm) {
        String text = normalize(raw);
        if (text.isEmpty()) {
            return Texts.HELP;
        }
        Conversation c = ch.conversation(from);
        Matcher m;
        // the choices just offered (FAQs or groups) are valid for this one message: a number picks one, anything else
        // drops them
        List<String> offered = c.choices();
        boolean ownQuestion = offered.equals(List.of(OWN_QUESTION));
        if (!offered.isEmpty()) {
            c = c.withChoices(List.of());
            ch.put(c);
            if (!ownQuestion && (m = CHOICE.matcher(text)).matches() && Integer.parseInt(m.group(1)) <= offered.size()) {
                String chosen = offered.get(Integer.parseInt(m.group(1)) - 1);
                Optional<String> answer = ch.state.knowledge().faq(chosen)
                        .map(f -> Texts.faqAnswer(f.answer(), List.of()));
                return answer.orElseGet(() -> toChosenGroup(ch, from, chosen, now));
            }
        }
        if ((m = BIND.matcher(text)).matches()) {
            return bind(ch, from, m.group(1), now);
        }
        if ((m = PROGRESS.matcher(text)).matches()) {
            return progress(ch, from, m.group(1));
        }
        if (text.equals("我的留言") || text.equals("我的工单")) {
            return myTickets(ch, from);
        }
        if (text.equals("新问题")) {
            // the next message is a question of the sender's own, also for a deputy with one open forwarded ticket
            ch.put(c.withOpenTicket(null).withChoices(List.of(OWN_QUESTION)));
            return Texts.NEW_QUESTION;
        }
        if (text.equals("帮助") || text.equals("菜单") || text.equalsIgnoreCase("help")) {
            return Texts.HELP;
        }
        if ((m = SUPPLEMENT.matcher(text)).matches()) {
            return supplement(ch, from, m.group(1), new TicketMessage(now, tm.kind(), m.group(2).strip(),
                    tm.mediaId(), tm.url()));
        }
        if ((m = SUPPLEMENT_WITHOUT_TEXT.matcher(text)).matches()) {
            return Texts.supplementNeedsText(m.group(1));
        }
        if ((m = WITHDRAW.matcher(text)).matches()) {
            return withdraw(ch, from, m.group(1), now);
        }
        if ((m = URGE.matcher(text)).matches()) {
            return urge(ch, from, m.group(1), now);
        }
        if ((m = RATE.matcher(text)).matches()) {
            return rateByNumber(ch, from, m.group(1), m.group(2).strip(), now);
        }
        if ((m = ANSWER.matcher(text)).matches() && awaiting(ch, from, m.group(1))
                && RatingReply.parse(m.group(2).strip()).isPresent()) {
            // "#1001 3" rates one's own answered ticket (a deputy's own question too: they do not answer it)
            return rateByNumber(ch, from, m.group(1), m.group(2).strip(), now);
        }
        if (MINSHENG.matcher(text).matches() && route != null) {
            // the message was routed before the write; its group evidence is the suggestion's
            return minsheng(ch, from, text, new TicketMessage(now, tm.kind(), text, tm.mediaId(), tm.url()), route,
                    now);
        }
        if (text.equals("转代表")) {
            return toDeputies(ch, from, now);
        }
        Optional<Deputy> deputy = deputyOf(ch, c);
        if (deputy.isPresent()) {
            Optional<String> deputyReply = onDeputyText(ch, from, deputy.get(), text, now, ownQuestion);
            if (deputyReply.isPresent()) {
                return deputyReply.get();
            }
        }
        String toRate = ratingTarget(ch, c);
        Optional<RatingReply> rating = toRate == null ? Optional.empty() : RatingReply.parse(text);
        if (rating.isPresent()) {
            return rate(ch, from, ch.ticket(toRate).orElseThrow(), rating.get(), now);
        }
        if (route != null && route.areaGroupId() != null && c.stationId() == null) {
            c = c.withArea(route.areaGroupId());
            ch.put(c);
        }
        Optional<Ticket> open = openTicket(ch, c);
        RouteDecision.Outcome outcome = route == null ? RouteDecision.Outcome.NONE : route.outcome();
        switch (outcome) {
            case FAQ: {
                List<String> related = knownFaqs(ch, route.faqSuggestions());
                ch.put(c.withLastAnswered(text).withChoices(related));
                return ch.state.knowledge().faq(route.faqId())
                        .map(f -> Texts.faqAnswer(f.answer(), questions(ch, related))).orElse(Texts.HELP);
            }
            case GROUP:
                if (open.isPresent()) {
                    return followUp(ch, open.get(), tm, true);
                }
                return newTicket(ch, from, text, tm, route, now);
            default:
                if (spam(route)) {
                    return reject(ch, from, text, tm, now);
                }
                // with a ticket open, a longer message (its problem solved, or good news) goes to that ticket first
                if (open.isPresent() && text.codePointCount(0, text.length()) >= 10) {
                    return followUp(ch, open.get(), tm, true);
                }
                if (goodNews(route)) {
                    return Texts.goodNews(open.map(Ticket::id).orElse(null));
                }
                // a question no FAQ answered well enough: offer the FAQs it may mean, numbered
                List<String> suggested = knownFaqs(ch, route == null ? List.of() : route.faqSuggestions());
                if (!suggested.isEmpty()) {
                    ch.put(ch.conversation(from).withLastAnswered(text).withChoices(suggested));
                    return Texts.suggestFaqs(questions(ch, suggested), open.map(Ticket::id).orElse(null));
                }
                // a matter that no group's words name: the constituent picks the group, nothing is lost
                List<Group> groups = ch.state.knowledge().professionalGroups();
                if (open.isEmpty() && unroutedMatter(route, text) && !groups.isEmpty()
                        && groups.size() <= MAX_GROUP_CHOICES) {
                    ch.put(ch.conversation(from).withLastAnswered(text)
                            .withChoices(groups.stream().map(Group::id).toList()));
                    return Texts.chooseGroup(groups);
                }
                return Texts.chitChat(text, open.map(Ticket::id).orElse(null));
        }
    }

    private Optional<String> onDeputyText(Changes ch, String from, Deputy d, String text, Instant now,
                                          boolean ownQuestion) {
        Matcher m;
        if ((m = ANSWER.matcher(text)).matches()) {
            return Optional.of(answer(ch, from, d, m.group(1), m.group(2).trim(), now));
        }
        if ((m = ANSWER_WITHOUT_TEXT.matcher(text)).matches()) {
            return Optional.of(Texts.answerNeedsText(m.group(1)));
        }
        if ((m = CLAIM.matcher(text)).matches()) {
            return Optional.of(claim(ch, d, m.group(1), now));
        }
        if ((m = DECLINE.matcher(text)).matches()) {
            return Optional.of(decline(ch, d, m.group(1), now));
        }
        if (CLAIM_BARE.matcher(text).matches()) {
            return Optional.of(onTheOneOpen(ch, from, "认领", id -> claim(ch, d, id, now)));
        }
        if (DECLINE_BARE.matcher(text).matches()) {
            return Optional.of(onTheOneOpen(ch, from, "非本组", id -> decline(ch, d, id, now)));
        }
        if (ownQuestion || ratingTarget(ch, ch.conversation(from)) != null && RatingReply.parse(text).isPresent()) {
            // a deputy writing as a constituent: the question after 新问题, or the rating ("1", "满意") of an answer
            // to their own question, is not a plain answer to a ticket forwarded to them
            return Optional.empty();
        }
        List<String> open = openForwarded(ch, from);
        if (open.isEmpty()) {
            return Optional.empty();
        }
        if (ACKNOWLEDGEMENT.matcher(bare(text)).matches()) {
            return Optional.of(Texts.acknowledged(open));
        }
        if (open.size() > 1) {
            return Optional.of(Texts.whichTicket(open));
        }
        if (!substantive(text)) {
            // too short, or a question about the bot: relayed, it would close the ticket with a non-answer
            return Optional.of(Texts.confirmAnswer(open.get(0)));
        }
        return Optional.of(answer(ch, from, d, open.get(0), text, now));
    }

    /** The open tickets forwarded to this deputy that still wait for an answer, oldest first. */
    private static List<String> openForwarded(Changes ch, String from) {
        List<String> open = new ArrayList<>();
        for (String id : ch.conversation(from).forwarded()) {
            ch.ticket(id).filter(t -> t.status().open() && t.status() != TicketStatus.ANSWERED)
                    .ifPresent(t -> open.add(t.id()));
        }
        return open;
    }

    /** A command written without a number (认领, 非本组) acts on the deputy's one open ticket; with several, asks which. */
    private static String onTheOneOpen(Changes ch, String from, String command,
                                       java.util.function.Function<String, String> action) {
        List<String> open = openForwarded(ch, from);
        if (open.isEmpty()) {
            return Texts.commandNeedsNumber(command);
        }
        if (open.size() > 1) {
            return Texts.whichTicket(open, command);
        }
        return action.apply(open.get(0));
    }

    /** The text without punctuation, symbols and spaces, in lower case: 在吗？ and 好的，收到！ as 在吗 and 好的收到. */
    static String bare(String text) {
        return NOT_WORDS.matcher(text).replaceAll("").toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether a deputy's plain reply says enough to be relayed as the answer without its ticket number. */
    static boolean substantive(String text) {
        int chars = QuestionAnalyzer.chineseCharacters(text);
        if (chars < PLAIN_ANSWER_MIN_CHARS) {
            return false;
        }
        return !(chars <= QUESTION_TO_BOT_MAX_CHARS && QUESTION_TO_BOT.matcher(text).find());
    }

    // ---------------------------------------------------------------- constituents

    private String newTicket(Changes ch, String from, String text, TicketMessage tm, RouteDecision route,
                             Instant now) {
        KnowledgeBase kb = ch.state.knowledge();
        Conversation c = ch.conversation(from);
        String id = ch.state.nextTicketId();
        String area = route.areaGroupId() != null ? route.areaGroupId() : c.areaGroupId();
        Ticket t = Ticket.admitted(id, from, text, tm, c.stationId(), area, now);
        for (TicketMessage p : c.pending()) {
            t = t.withMessage(p);
        }
        t = t.assigned(route.groupId(), now.plus(answerDeadline), "system",
                "交办：" + groupName(kb, route.groupId()), now);
        t = forward(ch, t, now);
        ch.put(ch.conversation(from).withTicket(id));
        return Texts.ticketAccepted(t, groupName(kb, t.groupId()), answerDeadline);
    }

    /** The constituent's own ticket by number, or null. */
    private static Ticket own(Changes ch, String from, String id) {
        return ch.ticket(id).filter(t -> t.openId().equals(from)).orElse(null);
    }

    /** 补充: adds to one of the constituent's tickets by number, and tells its deputies. */
    private String supplement(Changes ch, String from, String id, TicketMessage tm) {
        Ticket t = own(ch, from, id);
        if (t == null) {
            return Texts.noSuchTicket(id);
        }
        if (!t.status().open()) {
            return Texts.closedSupplement(t);
        }
        return followUp(ch, t, tm, true);
    }

    /** 撤回: only a ticket still under admission can be withdrawn; assigned ones take a 补充 instead. */
    private String withdraw(Changes ch, String from, String id, Instant now) {
        Ticket t = own(ch, from, id);
        if (t == null) {
            return Texts.noSuchTicket(id);
        }
        if (t.status() != TicketStatus.ADMITTED) {
            return Texts.cannotWithdraw(t);
        }
        ch.put(t.withStatus(TicketStatus.CLOSED, "withdraw", "constituent", "群众撤回", now));
        Conversation c = ch.conversation(from);
        if (id.equals(c.openTicketId())) {
            ch.put(c.withOpenTicket(null));
        }
        return Texts.withdrawn(t);
    }

    /**
     * 催办: reminds the deputies of an unanswered ticket, at most once a day. Without a number it urges the newest
     * ticket still waiting for an answer (the newest of all when none is).
     */
    private String urge(Changes ch, String from, String number, Instant now) {
        Conversation c = ch.conversation(from);
        String id = number;
        for (int i = c.ticketIds().size() - 1; id == null && i >= 0; i--) {
            Optional<Ticket> waiting = ch.ticket(c.ticketIds().get(i));
            if (waiting.isPresent() && (waiting.get().status() == TicketStatus.ASSIGNED
                    || waiting.get().status() == TicketStatus.ESCALATED)) {
                id = waiting.get().id();
            }
        }
        if (id == null && !c.ticketIds().isEmpty()) {
            id = c.ticketIds().get(c.ticketIds().size() - 1);
        }
        Ticket t = id == null ? null : own(ch, from, id);
        if (t == null) {
            return id == null ? Texts.NO_TICKETS : Texts.noSuchTicket(id);
        }
        if (t.status() != TicketStatus.ASSIGNED && t.status() != TicketStatus.ESCALATED) {
            return Texts.cannotUrge(t);
        }
        Optional<Ticket.HistoryEntry> last = t.history().stream().filter(h -> h.event().equals("urge"))
                .reduce((a, b) -> b);
        if (last.isPresent() && now.isBefore(last.get().at().plus(URGE_INTERVAL))) {
            return Texts.urgedAlready(t, last.get().at());
        }
        Ticket urged = t.noted("urge", "constituent", "群众催办", now);
        ch.put(urged);
        String group = groupName(ch.state.knowledge(), t.groupId());
        eachForwarded(ch, t, (d, openId) -> ch.send(openId, Texts.urged(urged, group), t.id(),
                deputyLabel(d), "remind"));
        // a ticket every group declined has no deputies: it waits for the standing committee's office, which sees
        // the urge in the ticket's history
        return t.forwardedTo().isEmpty() ? Texts.urgeRecordedForOffice(t) : Texts.urgeRecorded(t);
    }

    /** 民生实事: a suggestion for the yearly livelihood projects always becomes a ticket of its own. */
    private String minsheng(Changes ch, String from, String text, TicketMessage tm, RouteDecision suggestion,
                            Instant now) {
        String group = bestGroup(suggestion);
        RouteDecision route = new RouteDecision(text, RouteDecision.Outcome.GROUP, null,
                group == null ? MINSHENG_FALLBACK_GROUP : group, suggestion.score(), "民生实事建议",
                suggestion.runnerUp(), suggestion.areaGroupId(), suggestion.matchedTerms(), suggestion.ranking());
        return newTicket(ch, from, text, tm, route, now);
    }

    /** 转代表: the question the FAQ answered did not fit; it becomes a ticket for the deputies. */
    private String toDeputies(Changes ch, String from, Instant now) {
        Conversation c = ch.conversation(from);
        if (c.lastAnswered() == null) {
            return Texts.NOTHING_TO_TRANSFER;
        }
        RouteDecision r = ch.state.route(c.lastAnswered());
        String group = bestGroup(r);
        List<Group> groups = ch.state.knowledge().professionalGroups();
        if (group == null && !groups.isEmpty() && groups.size() <= MAX_GROUP_CHOICES) {
            // a question about the service names no group's words: the constituent picks the group
            ch.put(c.withChoices(groups.stream().map(Group::id).toList()));
            return Texts.chooseGroup(groups);
        }
        if (group == null) {
            return Texts.NEEDS_DETAIL;
        }
        ch.put(c.withLastAnswered(null));
        RouteDecision route = new RouteDecision(c.lastAnswered(), RouteDecision.Outcome.GROUP, null, group,
                r.score(), "转代表", r.runnerUp(), r.areaGroupId(), r.matchedTerms(), r.ranking());
        return newTicket(ch, from, c.lastAnswered(), new TicketMessage(now, "text", c.lastAnswered(), null, null),
                route, now);
    }

    /** The FAQ ids of the current knowledge among {@code ids} (a reload may have removed some). */
    private static List<String> knownFaqs(Changes ch, List<String> ids) {
        return ids.stream().filter(id -> ch.state.knowledge().faq(id).isPresent()).toList();
    }

    /** Each FAQ's first way of asking, as offered to the constituent. */
    private static List<String> questions(Changes ch, List<String> faqIds) {
        return faqIds.stream().map(id -> ch.state.knowledge().faq(id).orElseThrow().questions().get(0)).toList();
    }

    /**
     * Whether a message the router placed nowhere may still be a matter for the deputies: no small talk, advertising
     * or good news, and long enough to say something (对面那户人家的狗见人就咬, not 嗯嗯好).
     */
    static boolean unroutedMatter(RouteDecision route, String text) {
        if (route == null || route.outcome() != RouteDecision.Outcome.NONE) {
            return false;
        }
        if (route.matchedTerms().contains(QuestionAnalyzer.CHAT) || spam(route) || goodNews(route)) {
            return false;
        }
        return QuestionAnalyzer.chineseCharacters(text) >= MATTER_MIN_CHARS;
    }

    /** The group the constituent picked for their last message, which no group's words named: it becomes a ticket. */
    private String toChosenGroup(Changes ch, String from, String groupId, Instant now) {
        Conversation c = ch.conversation(from);
        KnowledgeBase kb = ch.state.knowledge();
        String question = c.lastAnswered();
        if (question == null || kb.group(groupId).isEmpty()) {
            return Texts.NOTHING_TO_TRANSFER;
        }
        ch.put(c.withLastAnswered(null));
        RouteDecision r = ch.state.route(question);
        RouteDecision route = new RouteDecision(question, RouteDecision.Outcome.GROUP, null, groupId, 0,
                "群众选择：" + groupName(kb, groupId), r.runnerUp(), r.areaGroupId(), List.of(), r.ranking());
        return newTicket(ch, from, question, new TicketMessage(now, "text", question, null, null), route, now);
    }

    /** The routed group, or the best-ranked group with any evidence, or null. */
    private static String bestGroup(RouteDecision r) {
        if (r.outcome() == RouteDecision.Outcome.GROUP) {
            return r.groupId();
        }
        return r.ranking().stream().filter(g -> g.score() > 0).map(GroupScore::groupId).findFirst().orElse(null);
    }

    /** 审核准入 refuses advertising and scams: the ticket is kept as rejected, nobody is bothered with it. */
    private String reject(Changes ch, String from, String text, TicketMessage tm, Instant now) {
        Conversation c = ch.conversation(from);
        String id = ch.state.nextTicketId();
        Ticket t = Ticket.admitted(id, from, text, tm, c.stationId(), c.areaGroupId(), now)
                .withStatus(TicketStatus.REJECTED, "reject", "system", "广告推广等与代表履职无关的内容，不予受理", now);
        ch.put(t);
        Conversation next = c.withTicket(id).withOpenTicket(c.openTicketId());
        ch.put(next);
        return Texts.rejected(t);
    }

    /** Whether the router read the message as good news that asks nothing (路灯修好了，晚上亮堂多了). */
    static boolean goodNews(RouteDecision route) {
        return route != null && route.outcome() == RouteDecision.Outcome.NONE
                && route.matchedTerms().contains(QuestionAnalyzer.GOOD);
    }

    /** Whether the router recognised advertising or a scam. */
    static boolean spam(RouteDecision route) {
        return route != null && route.outcome() == RouteDecision.Outcome.NONE
                && (route.matchedTerms().contains("@spam") || route.reason().startsWith("spam"));
    }

    /**
     * Forwards the ticket to up to {@value #MAX_FORWARD} deputies of its group: those of the constituent's station
     * first, then of the area, then the rest; among them, deputies WeChat can reach now (who wrote within 48 hours,
     * or who have never been tried) before those known to be outside the window, who are only added when too few
     * can be reached (their copy waits for their next message). Records who got it.
     */
    private Ticket forward(Changes ch, Ticket t, Instant now) {
        KnowledgeBase kb = ch.state.knowledge();
        List<Deputy> reachable = new ArrayList<>();
        List<Deputy> waiting = new ArrayList<>();
        // narrowed to the station's or area's deputies when any of them can be reached now (an openid, not the
        // asker's, inside WeChat's 48-hour window as far as we know); the whole group otherwise
        List<Deputy> local = localDeputies(kb, t.groupId(), t.stationId(), t.areaGroupId());
        boolean anyLocal = local.stream().anyMatch(d -> deputyOpenId(ch.state, d).filter(o -> !o.equals(t.openId())
                && ch.conversation(o).windowOpen(now)).isPresent());
        for (Deputy d : anyLocal ? local : withTheRestOfTheGroup(kb, t.groupId(), local)) {
            Optional<String> openId = deputyOpenId(ch.state, d);
            // a deputy who asks a question of their own is not sent it to answer
            if (openId.isEmpty() || openId.get().equals(t.openId())) {
                continue;
            }
            (ch.conversation(openId.get()).windowOpen(now) ? reachable : waiting).add(d);
        }
        List<Deputy> chosen = new ArrayList<>(reachable.subList(0, Math.min(MAX_FORWARD, reachable.size())));
        for (Deputy d : waiting) {
            if (chosen.size() >= MAX_FORWARD) {
                break;
            }
            chosen.add(d);
        }
        List<String> ids = new ArrayList<>(t.forwardedTo());
        for (Deputy d : chosen) {
            sendForward(ch, t, d);
            if (!ids.contains(d.id())) {
                ids.add(d.id());
            }
        }
        Ticket next = t.withForwardedTo(ids);
        ch.put(next);
        return next;
    }

    private void sendForward(Changes ch, Ticket t, Deputy d) {
        KnowledgeBase kb = ch.state.knowledge();
        String openId = deputyOpenId(ch.state, d).orElseThrow();
        String stationName = t.stationId() == null ? null
                : kb.station(t.stationId()).map(Station::name).orElse(null);
        String areaName = t.areaGroupId() == null ? null : groupName(kb, t.areaGroupId());
        boolean ofTheGroup = t.groupId() != null && d.groupIds().contains(t.groupId());
        ch.send(openId, Texts.forward(t, groupName(kb, t.groupId()), stationName, areaName, ofTheGroup), t.id(),
                deputyLabel(d), "forward");
        ch.put(ch.conversation(openId).withForwarded(t.id(), true));
    }

    /**
     * A forward to {@code deputyOpenId} could not be delivered (outside the 48-hour window, quota used, or refused):
     * the question goes to the next deputy of the group who has not had it and can be reached, and the ticket says
     * who was skipped and why. Nothing happens when the ticket is no longer waiting for an answer.
     */
    public Decision onUnreachable(DeskState state, String ticketId, String deputyOpenId, Integer errcode,
                                  Instant now) {
        Changes ch = new Changes(state);
        Optional<Ticket> found = ch.ticket(ticketId);
        if (found.isEmpty() || !(found.get().status() == TicketStatus.ASSIGNED
                || found.get().status() == TicketStatus.ESCALATED)) {
            return new Decision(null, List.of());
        }
        Ticket t = found.get();
        KnowledgeBase kb = state.knowledge();
        String skipped = null;
        for (String id : t.forwardedTo()) {
            Optional<Deputy> d = kb.deputy(id);
            if (d.isPresent() && deputyOpenId(state, d.get()).map(deputyOpenId::equals).orElse(false)) {
                skipped = d.get().name();
            }
        }
        for (Deputy d : pickDeputies(kb, t.groupId(), t.stationId(), t.areaGroupId())) {
            Optional<String> openId = deputyOpenId(state, d);
            if (t.forwardedTo().contains(d.id()) || openId.isEmpty() || openId.get().equals(deputyOpenId)
                    || openId.get().equals(t.openId()) || !ch.conversation(openId.get()).windowOpen(now)) {
                continue;
            }
            List<String> ids = new ArrayList<>(t.forwardedTo());
            ids.add(d.id());
            Ticket next = t.withForwardedTo(ids).noted("skip", "system", (skipped == null ? "代表" : skipped)
                    + "无法送达" + (errcode == null ? "" : "（errcode " + errcode + "）") + "，改为转给" + d.name(), now);
            ch.put(next);
            sendForward(ch, next, d);
            return new Decision(null, ch.actions());
        }
        ch.put(t.noted("skip", "system", (skipped == null ? "代表" : skipped) + "无法送达"
                + (errcode == null ? "" : "（errcode " + errcode + "）") + "，本组暂无其他可送达的代表", now));
        return new Decision(null, ch.actions());
    }

    /** The local deputies ({@link #localDeputies}) first, then the rest of the group's. */
    static List<Deputy> pickDeputies(KnowledgeBase kb, String groupId, String stationId, String areaGroupId) {
        return withTheRestOfTheGroup(kb, groupId, localDeputies(kb, groupId, stationId, areaGroupId));
    }

    /** {@code local}, then the group's other deputies. */
    private static List<Deputy> withTheRestOfTheGroup(KnowledgeBase kb, String groupId, List<Deputy> local) {
        List<Deputy> ordered = new ArrayList<>(local);
        Set<String> seen = new HashSet<>();
        ordered.forEach(d -> seen.add(d.id()));
        for (Deputy d : kb.deputiesOf(groupId)) {
            if (seen.add(d.id())) {
                ordered.add(d);
            }
        }
        return ordered;
    }

    /**
     * The deputies a ticket is narrowed to when the constituent's station or area is known: the group's deputies of
     * that station, then the group's deputies of that area, then the station's own deputies of its area group (the
     * deputies who receive constituents there). Empty when neither is known or no deputy fits.
     */
    static List<Deputy> localDeputies(KnowledgeBase kb, String groupId, String stationId, String areaGroupId) {
        List<Deputy> all = kb.deputiesOf(groupId);
        List<Deputy> ordered = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Deputy d : all) {
            if (stationId != null && stationId.equals(d.stationId()) && seen.add(d.id())) {
                ordered.add(d);
            }
        }
        for (Deputy d : all) {
            if (areaGroupId != null && inArea(kb, d, areaGroupId) && seen.add(d.id())) {
                ordered.add(d);
            }
        }
        if (stationId != null) {
            String stationArea = kb.station(stationId).map(Station::groupId).orElse(null);
            for (Deputy d : kb.deputiesAtStation(stationId)) {
                if (stationArea != null && d.groupIds().contains(stationArea) && seen.add(d.id())) {
                    ordered.add(d);
                }
            }
        }
        return ordered;
    }

    private static boolean inArea(KnowledgeBase kb, Deputy d, String areaGroupId) {
        return d.groupIds().contains(areaGroupId)
                || kb.station(d.stationId()).map(s -> areaGroupId.equals(s.groupId())).orElse(false);
    }

    private String followUp(Changes ch, Ticket open, TicketMessage tm, boolean forwardToDeputies) {
        Ticket t = open.withMessage(tm);
        ch.put(t);
        if (forwardToDeputies && tm.text() != null) {
            tellDeputies(ch, t, tm);
        }
        return Texts.followUpAdded(t);
    }

    /** An image, voice, video or link joins the open ticket (and reaches its deputies), or waits for the next one. */
    private String attach(Changes ch, String from, TicketMessage tm, String what) {
        Conversation c = ch.conversation(from);
        Optional<Ticket> open = openTicket(ch, c);
        if (open.isPresent()) {
            Ticket t = open.get().withMessage(tm);
            ch.put(t);
            return Texts.attachmentAdded(t.id(), what, tellDeputies(ch, t, tm));
        }
        ch.put(c.withPending(tm));
        return Texts.attachmentPending(what);
    }

    /** Sends what the constituent added to the deputies the ticket was forwarded to; whether any was sent it. */
    private static boolean tellDeputies(Changes ch, Ticket t, TicketMessage tm) {
        boolean[] told = {false};
        eachForwarded(ch, t, (d, openId) -> {
            ch.send(openId, Texts.followUp(t, tm), t.id(), deputyLabel(d), "followup");
            told[0] = true;
        });
        return told[0];
    }

    private Optional<Ticket> openTicket(Changes ch, Conversation c) {
        if (c.openTicketId() == null) {
            return Optional.empty();
        }
        return ch.ticket(c.openTicketId()).filter(t -> t.status() == TicketStatus.ASSIGNED
                || t.status() == TicketStatus.ESCALATED || t.status() == TicketStatus.ADMITTED);
    }

    /** 评价 <编号> (or #编号) <rating>: rates that ticket's answer. */
    private String rateByNumber(Changes ch, String from, String id, String rest, Instant now) {
        Ticket t = own(ch, from, id);
        if (t == null) {
            return Texts.noSuchTicket(id);
        }
        Optional<RatingReply> reply = RatingReply.parse(rest);
        if (reply.isEmpty()) {
            return Texts.ratingNeedsValue(id);
        }
        if (t.status() != TicketStatus.ANSWERED) {
            return Texts.notAwaitingRating(t);
        }
        return rate(ch, from, t, reply.get(), now);
    }

    /**
     * Rates an answered ticket. The bare rating then goes to the constituent's next answered ticket still waiting
     * for one, and the reply asks for it.
     */
    private String rate(Changes ch, String from, Ticket t, RatingReply reply, Instant now) {
        Conversation c = ch.conversation(from);
        String bare = c.ratingTicketId();
        String next = bare != null && !bare.equals(t.id()) && awaiting(ch, from, bare) ? bare
                : firstAwaitingRating(ch, c, t.id());
        c = c.withRatingTicket(next);
        String askNext = next == null ? "" : Texts.nextRating(ch.ticket(next).orElseThrow());
        // only 未解决 (and words like it) reopens the ticket; 不满意 alone is recorded, and counts against 满意率
        Rating rating = new Rating(now, !reply.notSolved(), reply.satisfaction());
        if (!rating.solved()) {
            // a new answer is due, watched by the clock like the first; the next answer is rated anew
            Ticket reopened = t.reopenedBy(rating, now.plus(answerDeadline),
                    Texts.ratingNote(rating) + "，重新督办");
            ch.put(reopened);
            ch.put(c.withOpenTicket(reopened.id()));
            groupAndArea(ch, t, (d, openId) -> {
                ch.send(openId, Texts.reopened(reopened, Texts.ratingNote(rating)), t.id(), deputyLabel(d),
                        "escalate");
                ch.put(ch.conversation(openId).withForwarded(t.id(), true));
            });
            return Texts.reopenedToConstituent(reopened, answerDeadline) + askNext;
        }
        ch.put(c);
        ch.put(t.rated(rating, TicketStatus.RATED, Texts.ratingNote(rating)));
        return (rating.satisfied() ? Texts.thanksForRating(t) : Texts.dissatisfactionRecorded(t)) + askNext;
    }

    /**
     * The ticket a bare rating rates: the one whose answer asked for it last, or, when that one is rated already,
     * the constituent's oldest answered ticket still waiting for a rating; null when none waits.
     */
    private static String ratingTarget(Changes ch, Conversation c) {
        if (c.ratingTicketId() == null) {
            return null;
        }
        return awaiting(ch, c.openId(), c.ratingTicketId()) ? c.ratingTicketId()
                : firstAwaitingRating(ch, c, null);
    }

    /** The constituent's oldest answered ticket, other than {@code except}, that waits for a rating; or null. */
    private static String firstAwaitingRating(Changes ch, Conversation c, String except) {
        return c.ticketIds().stream().filter(id -> !id.equals(except) && awaiting(ch, c.openId(), id)).findFirst()
                .orElse(null);
    }

    private static boolean awaiting(Changes ch, String openId, String ticketId) {
        Ticket t = own(ch, openId, ticketId);
        return t != null && t.status() == TicketStatus.ANSWERED;
    }

    private String progress(Changes ch, String from, String number) {
        Conversation c = ch.conversation(from);
        String id = number;
        if (id == null) {
            if (c.ticketIds().isEmpty()) {
                return Texts.NO_TICKETS;
            }
            id = c.ticketIds().get(c.ticketIds().size() - 1);
        }
        Optional<Ticket> t = ch.ticket(id);
        Optional<Deputy> deputy = deputyOf(ch, c);
        if (t.isEmpty() || !(t.get().openId().equals(from) || deputy.map(d -> d.groupIds().contains(
                t.get().groupId())).orElse(false))) {
            return Texts.noSuchTicket(id);
        }
        return Texts.progress(t.get(), groupName(ch.state.knowledge(), t.get().groupId()));
    }

    private String myTickets(Changes ch, String from) {
        Conversation c = ch.conversation(from);
        List<Ticket> mine = new ArrayList<>();
        List<String> ids = c.ticketIds();
        for (int i = ids.size() - 1; i >= 0 && mine.size() < 5; i--) {
            ch.ticket(ids.get(i)).ifPresent(mine::add);
        }
        return mine.isEmpty() ? Texts.NO_TICKETS : Texts.myTickets(mine);
    }

    // ---------------------------------------------------------------- stations and menus

    private String onScene(Changes ch, String from, String scene, boolean subscribed, Instant now) {
        if (scene.startsWith("bind:")) {
            return bind(ch, from, scene.substring(5), now);
        }
        Optional<Station> station = ch.state.knowledge().station(scene);
        if (station.isEmpty()) {
            return subscribed ? Texts.WELCOME : Texts.HELP;
        }
        return bindStation(ch, from, station.get(), null);
    }

    private String bindNearest(Changes ch, String from, double lat, double lon, boolean reply) {
        Optional<Station> nearest = ch.state.knowledge().nearestStation(lat, lon);
        if (nearest.isEmpty()) {
            return reply ? Texts.HELP : null;
        }
        double km = KnowledgeBase.distanceKm(lat, lon, nearest.get().lat(), nearest.get().lon());
        String r = bindStation(ch, from, nearest.get(), km);
        return reply ? r : null;
    }

    private String bindStation(Changes ch, String from, Station s, Double km) {
        ch.put(ch.conversation(from).withStation(s.id(), s.groupId()));
        List<String> names = new ArrayList<>();
        for (Deputy d : ch.state.knowledge().deputiesAtStation(s.id())) {
            names.add(Texts.stationDeputy(d));
        }
        return Texts.station(s, names, km);
    }

    private String onMenu(Changes ch, String from, String key) {
        if (key == null) {
            return Texts.HELP;
        }
        return switch (key) {
            case "MENU_ASK" -> Texts.ASK;
            case "MENU_MY_TICKETS" -> myTickets(ch, from);
            case "MENU_BIND" -> Texts.BIND_HOWTO;
            default -> Texts.HELP;
        };
    }

    // ---------------------------------------------------------------- deputies

    private String bind(Changes ch, String from, String code, Instant now) {
        Instant since = now.minus(BIND_WINDOW);
        List<Instant> failures = bindFailures.getOrDefault(from, List.of()).stream().filter(t -> t.isAfter(since))
                .toList();
        if (failures.size() >= BIND_ATTEMPTS) {
            return Texts.BIND_LOCKED;
        }
        Optional<Deputy> d = ch.state.knowledge().deputyByBindCode(code);
        if (d.isEmpty()) {
            List<Instant> more = new ArrayList<>(failures);
            more.add(now);
            bindFailures.put(from, more);
            if (bindFailures.size() > 10_000) {
                bindFailures.values().removeIf(l -> l.stream().noneMatch(t -> t.isAfter(since)));
            }
            return Texts.BAD_BIND_CODE;
        }
        bindFailures.remove(from);
        ch.put(ch.conversation(from).withDeputy(d.get().id()));
        ch.bind(d.get().id(), from);
        List<String> groups = new ArrayList<>();
        for (String g : d.get().groupIds()) {
            groups.add(groupName(ch.state.knowledge(), g));
        }
        return Texts.bound(d.get(), groups);
    }

    /** The open ticket a deputy acts on, or why they cannot. */
    private record Target(Ticket ticket, String refusal) {
    }

    /** @param action what the deputy would do, as the refusal of their own question names it (答复, 认领) */
    private static Target target(Changes ch, Deputy d, String ticketId, String action) {
        Optional<Ticket> found = ch.ticket(ticketId);
        if (found.isEmpty()) {
            return new Target(null, Texts.noSuchTicket(ticketId));
        }
        Ticket t = found.get();
        if (asked(ch, d, t)) {
            return new Target(null, Texts.ownTicket(t.id(), action));
        }
        if (!responsible(d, t)) {
            return new Target(null, Texts.notYourGroup(t.id()));
        }
        if (!t.status().open()) {
            return new Target(null, Texts.alreadyClosed(t));
        }
        return new Target(t, null);
    }

    private String answer(Changes ch, String from, Deputy d, String ticketId, String text, Instant now) {
        Target target = target(ch, d, ticketId, "答复");
        if (target.refusal() != null) {
            return target.refusal();
        }
        Ticket t = target.ticket();
        boolean first = t.status() != TicketStatus.ANSWERED;
        Ticket answered = t.answered(new Answer(now, d.id(), d.name(), text));
        if (!t.forwardedTo().contains(d.id())) {
            // a deputy of the group who answered without having been forwarded it holds it from now on: should the
            // answer be rated 未解决, they are reminded of the new deadline with the others (not only at its 督办)
            List<String> holders = new ArrayList<>(t.forwardedTo());
            holders.add(d.id());
            answered = answered.withForwardedTo(holders);
        }
        ch.put(answered);
        KnowledgeBase kb = ch.state.knowledge();
        String group = groupName(kb, answeringGroup(d, t));
        Conversation constituent = ch.conversation(t.openId());
        List<String> alsoAwaiting = constituent.ticketIds().stream()
                .filter(id -> !id.equals(t.id()) && awaiting(ch, t.openId(), id)).toList();
        ch.send(t.openId(), Texts.relay(answered, d, group, text, alsoAwaiting), t.id(), "群众", RELAY);
        // the rating request is now the last question put to the constituent: a number rates, it picks no FAQ
        constituent = constituent.withRatingTicket(t.id()).withChoices(List.of());
        if (t.id().equals(constituent.openTicketId())) {
            constituent = constituent.withOpenTicket(null);
        }
        ch.put(constituent);
        ch.put(ch.conversation(from).withForwarded(t.id(), false));
        if (first) {
            eachForwarded(ch, t, (o, openId) -> {
                if (!o.id().equals(d.id())) {
                    ch.send(openId, Texts.answeredByOther(t, d), t.id(), deputyLabel(o), "notify");
                    ch.put(ch.conversation(openId).withForwarded(t.id(), false));
                }
            });
        }
        return Texts.answerRecorded(t);
    }

    private String claim(Changes ch, Deputy d, String ticketId, Instant now) {
        Target target = target(ch, d, ticketId, "认领");
        if (target.refusal() != null) {
            return target.refusal();
        }
        Ticket t = target.ticket();
        if (t.status() == TicketStatus.ANSWERED) {
            // an answered ticket waits for the constituent's rating: there is nothing left to claim
            return Texts.alreadyClosed(t);
        }
        if (t.claimedBy() != null) {
            String who = ch.state.knowledge().deputy(t.claimedBy()).map(Deputy::name).orElse(t.claimedBy());
            return t.claimedBy().equals(d.id()) ? Texts.claimedAlready(t) : Texts.claimedByOther(t, who);
        }
        ch.put(t.claimed(d.id(), d.name(), now));
        eachForwarded(ch, t, (o, openId) -> {
            if (!o.id().equals(d.id())) {
                ch.send(openId, Texts.claimedNotice(t, d), t.id(), deputyLabel(o), "notify");
            }
        });
        ch.send(t.openId(), Texts.claimedToConstituent(t, d), t.id(), "群众", "notify");
        return Texts.claimRecorded(t);
    }

    private String decline(Changes ch, Deputy d, String ticketId, Instant now) {
        Optional<Ticket> found = ch.ticket(ticketId);
        if (found.isEmpty()) {
            return Texts.noSuchTicket(ticketId);
        }
        Ticket t = found.get();
        if (asked(ch, d, t)) {
            return Texts.ownTicket(t.id(), "退回");
        }
        boolean ofTheGroup = t.groupId() != null && d.groupIds().contains(t.groupId());
        if (!ofTheGroup && !t.forwardedTo().contains(d.id())) {
            return Texts.notYourGroup(t.id());
        }
        if (!t.status().open() || t.status() == TicketStatus.ANSWERED) {
            return Texts.alreadyClosed(t);
        }
        if (!ofTheGroup) {
            // a station's own deputy who got it without being of its group: they step out, the group keeps it
            return stepOut(ch, d, t, now);
        }
        if (t.declined().contains(t.groupId())) {
            // every group declined it and it stayed with the last one, escalated: declining again changes nothing
            return Texts.declinedAlready(t);
        }
        KnowledgeBase kb = ch.state.knowledge();
        Set<String> excluded = new LinkedHashSet<>(t.declined());
        excluded.add(t.groupId());
        Ticket declined = t.declinedBy(t.groupId(), d.name(), now);
        eachDeputy(ch, null, t.forwardedTo(),
                (o, openId) -> ch.put(ch.conversation(openId).withForwarded(t.id(), false)));
        String next = nextGroup(ch.state.reroute(t.question(), excluded), excluded, kb);
        if (next == null) {
            // no group is left: the standing committee's office follows it up (an escalated ticket in the admin API)
            Ticket noGroup = declined.withForwardedTo(List.of());
            // escalated, but not overdue: its deadline has not passed
            ch.put(noGroup.status() == TicketStatus.ESCALATED ? noGroup
                    : noGroup.withStatus(TicketStatus.ESCALATED, "escalate", d.name(), "各专业小组均退回，督办", now));
            ch.send(t.openId(), Texts.noGroupToConstituent(t), t.id(), "群众", "escalate");
            return Texts.declineNoGroup(t);
        }
        Ticket reassigned = declined.assigned(next, now.plus(answerDeadline), d.name(),
                "非本组，改派：" + groupName(kb, next), now);
        reassigned = forward(ch, reassigned, now);
        ch.send(t.openId(), Texts.reassignedToConstituent(t, groupName(kb, next)), t.id(), "群众", "notify");
        return Texts.declineRecorded(t, groupName(kb, next));
    }

    /** 非本组 from a forwarded deputy outside the ticket's group: the ticket is no longer theirs, and is not rerouted. */
    private static String stepOut(Changes ch, Deputy d, Ticket t, Instant now) {
        List<String> ids = new ArrayList<>(t.forwardedTo());
        ids.remove(d.id());
        ch.put(t.withForwardedTo(ids).noted("leave", d.name(), "非本组，不再转给" + d.name(), now));
        deputyOpenId(ch.state, d).ifPresent(openId -> ch.put(ch.conversation(openId).withForwarded(t.id(), false)));
        return Texts.steppedOut(t, groupName(ch.state.knowledge(), t.groupId()));
    }

    private static String nextGroup(RouteDecision d, Set<String> excluded, KnowledgeBase kb) {
        if (d.outcome() == RouteDecision.Outcome.GROUP && !excluded.contains(d.groupId())) {
            return d.groupId();
        }
        for (GroupScore s : d.ranking()) {
            if (!excluded.contains(s.groupId()) && s.score() > 0) {
                return s.groupId();
            }
        }
        for (Group g : kb.professionalGroups()) {
            if (!excluded.contains(g.id())) {
                return g.id();
            }
        }
        return null;
    }

    /**
     * The group a deputy answers a ticket for, as the constituent is told: the ticket's group, else its area group,
     * else the deputy's own first group (a station's deputy it was forwarded to).
     */
    static String answeringGroup(Deputy d, Ticket t) {
        if (t.groupId() != null && d.groupIds().contains(t.groupId())) {
            return t.groupId();
        }
        if (t.areaGroupId() != null && d.groupIds().contains(t.areaGroupId())) {
            return t.areaGroupId();
        }
        return d.groupIds().isEmpty() ? t.groupId() : d.groupIds().get(0);
    }

    /**
     * Whether the deputy asked the ticket themselves, writing as a constituent from their WeChat (the bound one, or
     * the one the knowledge gives): they neither answer, claim nor decline their own question.
     */
    private static boolean asked(Changes ch, Deputy d, Ticket t) {
        return t.openId().equals(d.openId()) || deputyOpenId(ch.state, d).map(t.openId()::equals).orElse(false);
    }

    private static boolean responsible(Deputy d, Ticket t) {
        return (t.groupId() != null && d.groupIds().contains(t.groupId()))
                || (t.areaGroupId() != null && d.groupIds().contains(t.areaGroupId()))
                || t.forwardedTo().contains(d.id());
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Calls {@code action} with each deputy the ticket was forwarded to that can be reached at an openid, except the
     * ticket's own constituent (a deputy writing as one is never told about their own question as its deputy).
     */
    private static void eachForwarded(Changes ch, Ticket t, BiConsumer<Deputy, String> action) {
        eachDeputy(ch, t.openId(), t.forwardedTo(), action);
    }

    /** Calls {@code action} with each listed deputy that can be reached at an openid other than {@code except}. */
    private static void eachDeputy(Changes ch, String except, Collection<String> deputyIds,
                                   BiConsumer<Deputy, String> action) {
        KnowledgeBase kb = ch.state.knowledge();
        for (String id : deputyIds) {
            kb.deputy(id).ifPresent(d -> deputyOpenId(ch.state, d).filter(openId -> !openId.equals(except))
                    .ifPresent(openId -> action.accept(d, openId)));
        }
    }

    /**
     * Calls {@code action} once for every deputy of the ticket's group and of its area group (督办 reaches all), except
     * the ticket's own constituent.
     */
    private static void groupAndArea(Changes ch, Ticket t, BiConsumer<Deputy, String> action) {
        KnowledgeBase kb = ch.state.knowledge();
        Set<String> ids = new LinkedHashSet<>();
        for (String groupId : new String[] {t.groupId(), t.areaGroupId()}) {
            if (groupId != null) {
                kb.deputiesOf(groupId).forEach(d -> ids.add(d.id()));
            }
        }
        eachDeputy(ch, t.openId(), ids, action);
    }

    private static Optional<Deputy> deputyOf(Changes ch, Conversation c) {
        KnowledgeBase kb = ch.state.knowledge();
        // a deputy is who the binding says: once their code was bound to another WeChat, this one is not them
        if (c.deputyId() != null) {
            Optional<Deputy> d = kb.deputy(c.deputyId()).filter(x -> boundHere(ch, x, c.openId()));
            if (d.isPresent()) {
                return d;
            }
        }
        return kb.deputyByOpenId(c.openId()).filter(x -> boundHere(ch, x, c.openId()));
    }

    private static boolean boundHere(Changes ch, Deputy d, String openId) {
        return ch.state.boundOpenId(d.id()).map(openId::equals).orElse(true);
    }

    static Optional<String> deputyOpenId(DeskState state, Deputy d) {
        Optional<String> bound = state.boundOpenId(d.id());
        if (bound.isPresent()) {
            return bound;
        }
        return Optional.ofNullable(d.openId()).filter(s -> !s.isBlank());
    }

    static String deputyLabel(Deputy d) {
        return "代表 " + d.name();
    }

    static String groupName(KnowledgeBase kb, String groupId) {
        if (groupId == null) {
            return "";
        }
        return kb.group(groupId).map(Group::name).orElse(groupId);
    }

    /**
     * Full-width digits, Latin letters and {@code ＃} to half-width (people type ＃１００１ on phone keyboards),
     * trimmed, inner runs of white space folded. Chinese punctuation stays as written.
     */
    static String normalize(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c >= '０' && c <= '９') || (c >= 'Ａ' && c <= 'Ｚ') || (c >= 'ａ' && c <= 'ｚ') || c == '＃') {
                b.append((char) (c - 0xFEE0));
            } else if (c == '\u3000') {
                b.append(' ');
            } else {
                b.append(c);
            }
        }
        // spaces collapse, line breaks stay (a deputy's answer in points, an address on its own line), at most one
        // blank line in a row
        String t = LINE_BREAK.matcher(b.toString().strip()).replaceAll("\n");
        return SPACES.matcher(BLANK_LINES.matcher(t).replaceAll("\n\n")).replaceAll(" ");
    }

    /** The state changes of one decision, so later steps see earlier ones. */
    private static final class Changes {
        final DeskState state;
        private final Map<String, Conversation> conversations = new LinkedHashMap<>();
        private final Map<String, Ticket> tickets = new LinkedHashMap<>();
        private final List<Action> other = new ArrayList<>();

        Changes(DeskState state) {
            this.state = state;
        }

        Conversation conversation(String openId) {
            Conversation c = conversations.get(openId);
            return c != null ? c : state.conversation(openId);
        }

        void put(Conversation c) {
            conversations.put(c.openId(), c);
        }

        Optional<Ticket> ticket(String id) {
            Ticket t = tickets.get(id);
            return t != null ? Optional.of(t) : state.ticket(id);
        }

        void put(Ticket t) {
            tickets.put(t.id(), t);
        }

        void send(String openId, String text, String ticketId, String recipient, String purpose) {
            other.add(new Action.Send(openId, text, ticketId, recipient, purpose));
        }

        void bind(String deputyId, String openId) {
            other.add(new Action.BindDeputy(deputyId, openId));
        }

        List<Action> actions() {
            List<Action> out = new ArrayList<>();
            for (Ticket t : tickets.values()) {
                out.add(new Action.SaveTicket(t));
            }
            for (Conversation c : conversations.values()) {
                out.add(new Action.SaveConversation(c));
            }
            out.addAll(other);
            return out;
        }
    }
}
