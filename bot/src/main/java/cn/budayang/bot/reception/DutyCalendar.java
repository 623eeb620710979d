package cn.budayang.bot.reception;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.TreeSet;

/**
 * When the account's customer-service desk (人工) is staffed: 9:00–17:30 in the city on working days. Working days
 * are Monday to Friday, except the public holidays given in {@code closed}, plus the weekend days given in
 * {@code open} (the working Saturdays and Sundays China's holiday calendar shifts each year).
 *
 * @param closed weekdays the desk is closed (法定节假日)
 * @param open   weekend days the desk is open (调休上班)
 */
public record DutyCalendar(Set<LocalDate> closed, Set<LocalDate> open) {
    static final LocalTime START = LocalTime.of(9, 0);
    static final LocalTime END = LocalTime.of(17, 30);
    /** A range longer than this is a typing error, not a holiday. */
    static final int MAX_RANGE_DAYS = 366;

    /** Monday to Friday, no exceptions. */
    public static final DutyCalendar WEEKDAYS = new DutyCalendar(Set.of(), Set.of());

    public DutyCalendar {
        closed = Set.copyOf(closed);
        open = Set.copyOf(open);
    }

    /** Whether someone staffs the desk at {@code now}. */
    public boolean onDuty(Instant now) {
        ZonedDateTime local = now.atZone(Texts.ZONE);
        LocalDate day = local.toLocalDate();
        LocalTime time = local.toLocalTime();
        if (time.isBefore(START) || !time.isBefore(END)) {
            return false;
        }
        if (open.contains(day)) {
            return true;
        }
        DayOfWeek dow = day.getDayOfWeek();
        return dow != DayOfWeek.SATURDAY && dow != DayOfWeek.SUNDAY && !closed.contains(day);
    }

    @Override
    public String toString() {
        return "weekdays 9:00-17:30, " + closed.size() + " holidays, " + open.size() + " working weekend days";
    }

    /**
     * Parses a list of dates and inclusive ranges: {@code 2027-01-01,2027-02-06..2027-02-14}. Blank gives none.
     *
     * @throws IllegalArgumentException saying which item is wrong
     */
    public static Set<LocalDate> parseDays(String list) {
        Set<LocalDate> days = new TreeSet<>();
        if (list == null || list.isBlank()) {
            return days;
        }
        for (String item : list.split(",")) {
            String s = item.strip();
            if (s.isEmpty()) {
                continue;
            }
            int dots = s.indexOf("..");
            try {
                LocalDate from = LocalDate.parse(dots < 0 ? s : s.substring(0, dots).strip());
                LocalDate to = dots < 0 ? from : LocalDate.parse(s.substring(dots + 2).strip());
                if (to.isBefore(from) || from.plusDays(MAX_RANGE_DAYS).isBefore(to)) {
                    throw new IllegalArgumentException("'" + s + "' must run forwards over at most " + MAX_RANGE_DAYS
                            + " days");
                }
                from.datesUntil(to.plusDays(1)).forEach(days::add);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("'" + s + "' is not a date (YYYY-MM-DD) or a range"
                        + " (YYYY-MM-DD..YYYY-MM-DD)");
            }
        }
        return days;
    }
}
