"""
The working calendars as units: what :class:`ChinaCalendar` and
:class:`DataCalendar` answer for a day, the years they cover, and the
yearly schedules (:class:`YearSchedule`) refused when incomplete.
"""

from __future__ import annotations

from datetime import date, time

import pytest

from opinion_rules.calendars import ChinaCalendar, DataCalendar, Festival, YearSchedule
from opinion_rules.exceptions import CalendarRangeError
from opinion_rules.time._calendars import FESTIVALS


def festivals(year: int) -> list[Festival]:
    """One invented, consistent notice item per statutory festival of *year*."""
    return [
        Festival(("元旦",), (date(year, 1, 1), date(year, 1, 1))),
        Festival(("春节",), (date(year, 2, 6), date(year, 2, 12))),
        Festival(("清明节",), (date(year, 4, 5), date(year, 4, 5))),
        Festival(("劳动节",), (date(year, 5, 1), date(year, 5, 3))),
        Festival(("端午节",), (date(year, 6, 9), date(year, 6, 9))),
        Festival(("中秋节",), (date(year, 9, 15), date(year, 9, 15))),
        Festival(("国庆节",), (date(year, 10, 1), date(year, 10, 7))),
    ]


def schedule(year: int) -> YearSchedule:
    """A complete schedule for *year* from :func:`festivals`."""
    return YearSchedule(year, f"an invented notice for {year}", festivals(year))


def test_the_china_calendar_knows_weekends_holidays_and_make_up_days():
    """2025: a Monday works, a Saturday is off, National Day is off, the make-up Sunday 09-28 works."""
    china = ChinaCalendar()
    assert china.is_working_day(date(2025, 9, 22))
    assert not china.is_working_day(date(2025, 9, 20))
    assert not china.is_working_day(date(2025, 10, 1))
    assert china.is_working_day(date(2025, 9, 28))


def test_the_china_calendar_refuses_a_year_it_does_not_cover():
    """A day in a year neither the package nor a schedule covers raises CalendarRangeError."""
    with pytest.raises(CalendarRangeError, match="has no data for 2099") as caught:
        ChinaCalendar().is_working_day(date(2099, 3, 2))
    assert date(2099, 3, 2) == caught.value.day


def test_a_following_schedule_extends_the_china_calendars_years():
    """A schedule for the year after the package's last extends ``years``; a gap does not."""
    first, last = ChinaCalendar().years
    assert (first, last + 1) == ChinaCalendar(schedules=(schedule(last + 1),)).years
    assert (first, last) == ChinaCalendar(schedules=(schedule(last + 2),)).years


def test_a_schedule_answers_for_its_year_in_the_china_calendar():
    """With a schedule, its days off are off and its ordinary weekdays work."""
    _first, last = ChinaCalendar().years
    year = last + 1
    china = ChinaCalendar().with_schedules(schedule(year))
    weekday = next(date(year, 3, d) for d in range(1, 8) if date(year, 3, d).weekday() < 5)
    assert not china.is_working_day(date(year, 10, 4))
    assert china.is_working_day(weekday)


def test_the_data_calendar_answers_from_its_data():
    """Holidays are off, make-up days work, weekends are off, other days work."""
    calendar = DataCalendar(
        "local",
        2030,
        2030,
        holidays=frozenset({date(2030, 1, 2)}),
        workdays=frozenset({date(2030, 1, 5)}),
    )
    assert not calendar.is_working_day(date(2030, 1, 2))  # a Wednesday holiday
    assert calendar.is_working_day(date(2030, 1, 5))  # a Saturday make-up day
    assert not calendar.is_working_day(date(2030, 1, 6))  # a Sunday
    assert calendar.is_working_day(date(2030, 1, 3))


def test_the_data_calendar_weekend_is_configurable():
    """With a Friday-Saturday weekend, Sunday works and Friday is off."""
    calendar = DataCalendar("gulf", 2030, 2030, weekend=(4, 5))
    assert calendar.is_working_day(date(2030, 1, 6))
    assert not calendar.is_working_day(date(2030, 1, 4))


def test_the_data_calendar_covers_only_its_years():
    """``years`` is its range, and a day outside it raises CalendarRangeError."""
    calendar = DataCalendar("local", 2030, 2031, hours=((time(9), time(17)),))
    assert (2030, 2031) == calendar.years
    with pytest.raises(CalendarRangeError, match="it covers 2030-2031"):
        calendar.is_working_day(date(2032, 1, 5))


def test_the_data_calendar_refuses_a_day_both_off_and_worked():
    """A day listed as a holiday and as a make-up day is refused."""
    with pytest.raises(ValueError, match="both as holidays and as workdays"):
        DataCalendar(
            "local",
            2030,
            2030,
            holidays=frozenset({date(2030, 1, 5)}),
            workdays=frozenset({date(2030, 1, 5)}),
        )


def test_an_incomplete_schedule_is_refused():
    """A schedule without one of the seven festivals names what is missing."""
    items = [f for f in festivals(2040) if f.names != ("国庆节",)]
    with pytest.raises(ValueError, match=r"incomplete: no days off for \['国庆节'\]"):
        YearSchedule(2040, "an invented notice", items)


def test_a_schedule_without_its_source_is_refused():
    """Every schedule names the notice it was transcribed from."""
    with pytest.raises(ValueError, match="'source' must name the notice"):
        YearSchedule(2040, " ", festivals(2040))


def test_a_make_up_day_on_a_weekday_is_refused():
    """A make-up working day is a Saturday or a Sunday."""
    with pytest.raises(ValueError, match="is a Monday"):
        Festival(("春节",), (date(2040, 2, 6), date(2040, 2, 12)), (date(2040, 2, 13),))


def test_a_schedule_decides_only_its_own_days():
    """A schedule decides its year's days and its spill-over days, nothing else."""
    year = schedule(2040)
    assert year.decides(date(2040, 7, 1))
    assert not year.decides(date(2041, 7, 1))
    assert len(FESTIVALS) == len(year.festivals)
