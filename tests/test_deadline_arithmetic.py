"""
The time room's deadline arithmetic, called directly: working days counted
across weekends and make-up days (调休), working time that pauses outside
working hours, day ends, elapsed time across DST, and offsets that never
fall before their anchor.

The calendar is a data calendar written out here (National Day 2025:
10-01..10-08 off, Sunday 09-28 and Saturday 10-11 worked), so no answer
depends on the installed ``chinesecalendar``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from opinion_rules.calendars import DataCalendar
from opinion_rules.deadlines import Offset
from opinion_rules.time._arithmetic import (
    TICK,
    TimeRules,
    add_offset,
    add_offset_after_due,
    add_working_time,
    day_end_after,
    elapsed_after,
    next_working_instant,
    nth_working_day_after,
    working_day_on_or_after,
)


TZ = ZoneInfo("Asia/Shanghai")
HOURS = ((time(9), time(12)), (time(13, 30), time(17, 30)))
CALENDAR = DataCalendar(
    "national-day-2025",
    2025,
    2026,
    holidays=frozenset(date(2025, 10, d) for d in range(1, 9)),
    workdays=frozenset({date(2025, 9, 28), date(2025, 10, 11)}),
    hours=HOURS,
)


def rules(day_end: time | None = None) -> TimeRules:
    """Time rules over the test calendar in Shanghai time."""
    return TimeRules(TZ, CALENDAR, day_end, timedelta(0), None)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Shanghai instant on *day*."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def test_a_working_day_step_skips_the_weekend():
    """The first working day after a Friday is the Monday."""
    assert date(2025, 9, 22) == nth_working_day_after(CALENDAR, date(2025, 9, 19), 1)


def test_a_make_up_sunday_is_a_working_day_step():
    """The first working day after Friday 09-26 is the make-up Sunday 09-28."""
    assert date(2025, 9, 28) == nth_working_day_after(CALENDAR, date(2025, 9, 26), 1)


def test_working_day_steps_cross_the_holiday_to_the_make_up_saturday():
    """Three working days after 09-30 are 10-09, 10-10 and the make-up Saturday 10-11."""
    assert date(2025, 10, 11) == nth_working_day_after(CALENDAR, date(2025, 9, 30), 3)


def test_the_start_day_never_counts_as_a_working_day_step():
    """Counting from a working day starts on the next one."""
    assert date(2025, 9, 24) == nth_working_day_after(CALENDAR, date(2025, 9, 23), 1)


def test_a_day_off_gives_way_to_the_next_working_day():
    """A holiday moves to the first working day after it; a working day stays."""
    assert date(2025, 10, 9) == working_day_on_or_after(CALENDAR, date(2025, 10, 3))
    assert date(2025, 9, 28) == working_day_on_or_after(CALENDAR, date(2025, 9, 28))


def test_the_day_end_is_midnight_or_close_of_business():
    """A day ends at the next midnight, or at the plan's day end."""
    assert at(date(2025, 9, 23), 0) == rules().end_of(date(2025, 9, 22))
    assert at(date(2025, 9, 22), 17, 30) == rules(time(17, 30)).end_of(date(2025, 9, 22))


def test_after_close_of_business_the_day_end_is_the_next_days():
    """An anchor at or after the day end is due at the next day's end, never before it."""
    close = rules(time(17, 30))
    assert at(date(2025, 9, 22), 17, 30) == day_end_after(at(date(2025, 9, 22), 10), close)
    assert at(date(2025, 9, 23), 17, 30) == day_end_after(at(date(2025, 9, 22), 17, 30), close)
    assert at(date(2025, 9, 23), 17, 30) == day_end_after(at(date(2025, 9, 22), 18), close)


def test_working_time_pauses_over_lunch():
    """Two working hours from 11:00 end at 14:30: one before lunch, one after."""
    start = at(date(2025, 9, 22), 11)
    assert at(date(2025, 9, 22), 14, 30) == add_working_time(
        CALENDAR, start, TZ, timedelta(hours=2)
    )


def test_working_time_pauses_over_the_weekend():
    """An hour from Friday 17:00 is half an hour on Friday and half on Monday."""
    start = at(date(2025, 9, 19), 17)
    assert at(date(2025, 9, 22), 9, 30) == add_working_time(CALENDAR, start, TZ, timedelta(hours=1))


def test_outside_working_hours_the_clock_starts_at_the_next_working_period():
    """Saturday morning's next working instant is Monday 09:00; inside hours it is the instant."""
    assert at(date(2025, 9, 22), 9) == next_working_instant(CALENDAR, at(date(2025, 9, 20), 10), TZ)
    inside = at(date(2025, 9, 22), 10, 15)
    assert inside == next_working_instant(CALENDAR, inside, TZ)


def test_elapsed_hours_stay_elapsed_across_a_dst_change():
    """One hour after 01:30 on New York's spring-forward night is 03:30 local time."""
    new_york = ZoneInfo("America/New_York")
    start = datetime(2025, 3, 9, 1, 30, tzinfo=new_york)
    assert datetime(2025, 3, 9, 3, 30, tzinfo=new_york) == elapsed_after(start, timedelta(hours=1))


def test_working_days_end_at_the_end_of_the_last_working_day():
    """Five working days from Friday 09-26 end at the end of 10-10 (09-28, 30, 10-09, 10-10...)."""
    start = at(date(2025, 9, 26), 15)
    due = add_offset(Offset(working_days=5), start, rules(time(17, 30)))
    # 09-28 (make-up), 09-29, 09-30, 10-09, 10-10.
    assert at(date(2025, 10, 10), 17, 30) == due


def test_day_counted_offsets_from_a_due_at_midnight_count_from_the_day_it_closes():
    """From a due at 24:00, one working day is the next working day, not the one after."""
    due = at(date(2025, 9, 23), 0)  # the end of Monday 09-22
    assert at(date(2025, 9, 24), 0) == add_offset_after_due(Offset(working_days=1), due, rules())
    assert at(date(2025, 9, 23), 1) == add_offset_after_due(Offset(hours=1), due, rules())


def test_tick_is_one_microsecond():
    """The resolution of instants is a microsecond."""
    assert timedelta(microseconds=1) == TICK


OFFSETS = st.one_of(
    st.builds(lambda n: Offset(working_days=n), st.integers(1, 30)),
    st.builds(
        lambda d, h, m: Offset(days=d, hours=h, minutes=m),
        st.integers(0, 30),
        st.integers(0, 48),
        st.integers(1, 59),
    ),
    st.builds(
        lambda h, m, clock: Offset(hours=h, minutes=m, clock=clock),
        st.integers(0, 48),
        st.integers(1, 59),
        st.sampled_from(["pause", "shift_start"]),
    ),
    st.builds(
        lambda d, next_day: Offset(days=d, start_next_day=next_day, extend_past_holiday=True),
        st.integers(1, 30),
        st.booleans(),
    ),
)


@given(
    offset=OFFSETS,
    day=st.dates(date(2025, 1, 1), date(2025, 12, 31)),
    minute=st.integers(0, 24 * 60 - 1),
    day_end=st.sampled_from([None, time(17, 30)]),
)
def test_an_offset_never_falls_before_its_anchor(offset, day, minute, day_end):
    """Whatever the offset, clock and day end, anchor + offset is at or after the anchor."""
    start = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=TZ)
    assert start <= add_offset(offset, start, rules(day_end))
