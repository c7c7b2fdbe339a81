"""
Deadline arithmetic over instants, offsets and a working calendar: working
days counted from a day, working time that pauses outside working hours,
elapsed time that stays elapsed across DST, and day ends.

Every function takes its start instant and the rules it needs; none reads
a clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
from dateutil.relativedelta import relativedelta

from opinion_rules.exceptions import CalendarRangeError
from opinion_rules.time._calendars import WorkingCalendar
from opinion_rules.time._offsets import Offset


__all__ = [
    "TICK",
    "TimeRules",
    "add_offset",
    "add_offset_after_due",
    "add_working_time",
    "day_end_after",
    "elapsed_after",
    "next_working_instant",
    "nth_working_day_after",
    "working_day_on_or_after",
]

#: How far any walk over days may go before giving up; a calendar with no
#: working day in three years is a data error, not a long holiday.
_MAX_WALK = 3 * 366


# -- working days and working time over any calendar ------------------------------


def nth_working_day_after(calendar: WorkingCalendar, day: date, n: int) -> date:
    """
    The *n*-th working day strictly after *day* (the start day never counts).
    """
    count = 0
    current = day
    while count < n:
        current = _next_day(calendar, current, day)
        if calendar.is_working_day(current):
            count += 1
    return current


def working_day_on_or_after(calendar: WorkingCalendar, day: date) -> date:
    """
    *day* if it is a working day, else the next one.
    """
    current = day
    while not calendar.is_working_day(current):
        current = _next_day(calendar, current, day)
    return current


def _next_day(calendar: WorkingCalendar, current: date, origin: date) -> date:
    if (current - origin).days > _MAX_WALK:
        raise CalendarRangeError(
            calendar.name,
            current,
            None,
            f"has no working day within {_MAX_WALK} days after {origin}; check the calendar data",
        )
    return current + timedelta(days=1)


def _periods(calendar: WorkingCalendar, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """
    *day*'s working periods as instants; a period ending 24:00 (an end of
    ``time(0)``) ends at the next local midnight, so it runs to the day's
    last instant and meets a next working day's period that starts at 00:00.
    """
    if not calendar.is_working_day(day):
        return []
    return [
        (
            datetime.combine(day, start, tzinfo=tz),
            datetime.combine(day + timedelta(days=1) if end == time(0) else day, end, tzinfo=tz),
        )
        for start, end in calendar.hours
    ]


def next_working_instant(calendar: WorkingCalendar, instant: datetime, tz: ZoneInfo) -> datetime:
    """
    *instant* if it is inside working hours, else the start of the next
    working period.
    """
    local = instant.astimezone(tz)
    day = local.date()
    origin = day
    while True:
        for start, end in _periods(calendar, day, tz):
            if local < end:
                return max(local, start)
        day = _next_day(calendar, day, origin)


def add_working_time(
    calendar: WorkingCalendar, instant: datetime, tz: ZoneInfo, amount: timedelta
) -> datetime:
    """
    The instant after *instant* at which *amount* of working time has passed
    (the clock pauses outside working hours).
    """
    local = instant.astimezone(tz)
    remaining = amount
    day = local.date()
    origin = day
    while True:
        for start, end in _periods(calendar, day, tz):
            begin = max(local, start)
            if begin >= end:
                continue
            # Elapsed time inside the period, measured in UTC so a DST shift
            # inside working hours still counts real time.
            available = end.astimezone(UTC) - begin.astimezone(UTC)
            if remaining <= available:
                return (begin.astimezone(UTC) + remaining).astimezone(tz)
            remaining -= available
        day = _next_day(calendar, day, origin)


# -- offsets and day ends ----------------------------------------------------------

#: The resolution of instants (datetime keeps microseconds): an action due
#: at *d* is overdue from d + TICK, and ``(midnight - TICK, t]`` is
#: ``[midnight, t]``.
TICK = timedelta(microseconds=1)


@attrs.frozen
class TimeRules:
    """
    What deadline arithmetic needs from the plan: its timezone, calendar,
    day end and the organisation's tolerances.
    """

    tz: ZoneInfo
    calendar: WorkingCalendar | None
    day_end: time | None
    immediate_tolerance: timedelta
    prompt_tolerance: timedelta | None

    def end_of(self, day: date) -> datetime:
        """
        The instant *day* ends: 24:00 (the next midnight) or the day end.
        """
        if self.day_end is None:
            return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        return datetime.combine(day, self.day_end, tzinfo=self.tz)

    def needs_calendar(self) -> WorkingCalendar:
        if self.calendar is None:  # the plan validator makes this unreachable
            raise AssertionError("a calendar-dependent deadline in a plan without a calendar")
        return self.calendar


def add_offset(offset: Offset, start: datetime, rules: TimeRules) -> datetime:
    """
    *start* + *offset*, by the plan's timezone, calendar and day end.
    """
    tz = rules.tz
    local = start.astimezone(tz)
    if offset.working_days:
        calendar = rules.needs_calendar()
        return rules.end_of(nth_working_day_after(calendar, local.date(), offset.working_days))
    if offset.start_next_day:
        last_day = local.date() + timedelta(days=offset.days)
        if offset.extend_past_holiday:
            last_day = working_day_on_or_after(rules.needs_calendar(), last_day)
        return rules.end_of(last_day)
    if offset.days:
        # Calendar days move the local wall-clock date.
        local = (local.replace(tzinfo=None) + relativedelta(days=offset.days)).replace(tzinfo=tz)
    elapsed = timedelta(hours=offset.hours, minutes=offset.minutes)
    if elapsed:
        match offset.clock:
            case "pause":
                local = add_working_time(rules.needs_calendar(), local, tz, elapsed)
            case "shift_start":
                local = next_working_instant(rules.needs_calendar(), local, tz)
                local = _elapsed(local, elapsed, tz)
            case _:
                local = _elapsed(local, elapsed, tz)
    if offset.extend_past_holiday:
        # Civil Code art. 203: the period ends at the end (24:00, or close of
        # business) of its last day, the day the due instant falls in (a due
        # at exactly 00:00 is 24:00 of the day before); a last day that is
        # not a working day gives way to the next working day.  Always ending
        # at a day end, also when no holiday intervenes, is what keeps a
        # later anchor from ever getting an earlier deadline: keeping the
        # time of day on working days let an anchor one minute later be due
        # almost a day sooner (discovered 2025-01-01 00:00 + 1d was due
        # 01-03 00:00, but 00:01 + 1d was due 01-02 00:01).
        last_day = (local - TICK).date() if local.time() == time(0) else local.date()
        return rules.end_of(working_day_on_or_after(rules.needs_calendar(), last_day))
    return local


def add_offset_after_due(offset: Offset, due: datetime, rules: TimeRules) -> datetime:
    """
    *offset* counted from a due instant: a due at 24:00 closes its day, so
    day-counted offsets ("到期次日", "超过时限5个工作日") count from that day,
    not from the next one that starts at the same instant.
    """
    day_counted = bool(offset.working_days) or offset.start_next_day
    return add_offset(offset, due - TICK if day_counted else due, rules)


def _elapsed(local: datetime, elapsed: timedelta, tz: ZoneInfo) -> datetime:
    return elapsed_after(local, elapsed).astimezone(tz)


def elapsed_after(start: datetime, elapsed: timedelta) -> datetime:
    """
    *elapsed* real time after *start*.  Aware + timedelta is wall-clock
    arithmetic in Python; going through UTC keeps hours elapsed hours even
    across a DST change in the instant's zone.
    """
    return (start.astimezone(UTC) + elapsed).astimezone(start.tzinfo)


def day_end_after(start: datetime, rules: TimeRules) -> datetime:
    """
    The end of *start*'s local day (当日内); at or after the day end (close
    of business), the next day's end, so a duty is never due before it
    starts.
    """
    local = start.astimezone(rules.tz)
    end = rules.end_of(local.date())
    return end if start < end else rules.end_of(local.date() + timedelta(days=1))
