"""
Working hours that run to 24:00 ("值班时间 08:00-24:00", "12345 热线
00:00-24:00"): a period's end of ``time(0)`` is the end of its day, the
next local midnight; the clocks count to it exactly, a period to 24:00 runs
on into the next working day's period from 00:00, plan files read and write
it as ``24:00`` and refuse a period starting at 24:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.calendars import ChinaCalendar, DataCalendar
from opinion_rules.deadlines import Offset
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.planfile import dump_plan, plan_schema
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.time._arithmetic import (
    TimeRules,
    add_offset,
    add_working_time,
    next_working_instant,
)
from opinion_rules.time._calendars import format_hours

from .conftest import cst


SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
ZERO = timedelta(0)
#: Mondays to Fridays in 2026, no holidays: 2026-11-27 is a Friday.
DUTY = DataCalendar("duty", 2026, 2026, hours=((time(8), time(0)),))
NIGHT = DataCalendar("night", 2026, 2026, hours=((time(0), time(8)), (time(20), time(0))))


def rules(calendar: DataCalendar, tz: ZoneInfo = SHANGHAI) -> TimeRules:
    """Time rules over *calendar* with the 24:00 day end."""
    return TimeRules(tz, calendar, None, ZERO, None)


# -- the Python API ------------------------------------------------------------------


def test_an_end_of_midnight_is_24_00_and_a_whole_day_is_accepted():
    """(08:00, 00:00) and (00:00, 00:00) are valid periods, printed 08:00-24:00 and 00:00-24:00."""
    whole = ChinaCalendar(hours=((time(0), time(0)),))

    assert ["08:00-24:00"] == format_hours(DUTY.hours)
    assert ["00:00-24:00"] == format_hours(whole.hours)
    assert ["00:00-08:00", "20:00-24:00"] == format_hours(NIGHT.hours)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        pytest.param(
            ((time(20), time(0)), (time(21), time(22))),
            "'hours': periods must be in order and not overlap (21:00:00 starts before the "
            "previous period ends at 24:00)",
            id="period after one ending 24:00",
        ),
        pytest.param(
            ((time(0), time(0)), (time(0), time(1))),
            "'hours': periods must be in order and not overlap (00:00:00 starts before the "
            "previous period ends at 24:00)",
            id="period after the whole day",
        ),
        pytest.param(
            ((time(9), time(8)),),
            "'hours': a period must end after it starts (got 09:00:00-08:00:00)",
            id="period ending before it starts",
        ),
    ],
)
def test_a_period_ending_24_00_must_be_the_last(hours, expected):
    """Validation reads an end of 00:00 as 24:00, so nothing may follow it on the same day."""
    with pytest.raises(ValueError, match="hours") as info:
        DataCalendar("bad", 2026, 2026, hours=hours)

    assert expected == str(info.value)


# -- arithmetic ----------------------------------------------------------------------


def test_pause_counts_to_midnight_and_resumes_on_the_next_working_day():
    """08:00-24:00, 3 working hours from Friday 22:30: 1.5 h to 24:00, 1.5 h from Monday 08:00 = 09:30."""
    due = add_offset(Offset(hours=3, clock="pause"), cst(27, 22, 30), rules(DUTY))

    assert cst(30, 9, 30) == due


def test_pause_reaches_24_00_exactly():
    """One working hour from 23:00 on 08:00-24:00 is due at 24:00 itself, no microsecond lost."""
    due = add_working_time(DUTY, cst(26, 23), SHANGHAI, timedelta(hours=1))

    assert cst(27, 0) == due


def test_a_period_to_24_00_runs_on_into_the_next_days_period_from_00_00():
    """00:00-08:00 and 20:00-24:00: 6 working hours from Thursday 22:00 end Friday 04:00, unbroken."""
    due = add_working_time(NIGHT, cst(26, 22), SHANGHAI, timedelta(hours=6))

    assert cst(27, 4) == due


def test_a_day_off_between_breaks_the_run():
    """From Friday 22:00, 2 h to 24:00, the weekend pauses, Monday 00:00 + 4 h = 04:00."""
    due = add_working_time(NIGHT, cst(27, 22), SHANGHAI, timedelta(hours=6))

    assert cst(30, 4) == due


def test_shift_start_inside_a_period_to_24_00_starts_at_once():
    """shift_start, 3 h from Friday 23:30 on 08:00-24:00: inside working hours, so Saturday 02:30."""
    due = add_offset(Offset(hours=3, clock="shift_start"), cst(27, 23, 30), rules(DUTY))

    assert cst(28, 2, 30) == due


def test_shift_start_at_24_00_waits_for_the_next_working_period():
    """24:00 on Friday is Saturday 00:00, outside working hours: the clock starts Monday 08:00."""
    last = cst(28, 0) - timedelta(microseconds=1)

    assert last == next_working_instant(DUTY, last, SHANGHAI)
    assert cst(30, 8) == next_working_instant(DUTY, cst(28, 0), SHANGHAI)
    assert cst(30, 11) == add_offset(Offset(hours=3, clock="shift_start"), cst(28, 0), rules(DUTY))


@pytest.mark.parametrize(
    ("tz", "day", "length"),
    [
        pytest.param(BERLIN, date(2026, 3, 29), timedelta(hours=23), id="Berlin spring"),
        pytest.param(BERLIN, date(2026, 10, 25), timedelta(hours=25), id="Berlin autumn"),
        pytest.param(NEW_YORK, date(2026, 3, 8), timedelta(hours=23), id="New York spring"),
        pytest.param(NEW_YORK, date(2026, 11, 1), timedelta(hours=25), id="New York autumn"),
    ],
)
def test_a_whole_day_period_on_a_dst_change_day_counts_real_time(tz, day, length):
    """00:00-24:00 on a DST change day holds 23 or 25 real hours, and ends at the next local midnight."""
    calendar = DataCalendar("every-day", 2026, 2026, weekend=(), hours=((time(0), time(0)),))
    start = datetime.combine(day, time(0), tzinfo=tz)
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)

    assert midnight == add_working_time(calendar, start, tz, length)
    assert (midnight + timedelta(hours=1)).astimezone(UTC) == add_working_time(
        calendar, start, tz, length + timedelta(hours=1)
    ).astimezone(UTC)


def test_an_evening_period_to_24_00_after_a_dst_change_ends_at_local_midnight():
    """20:00-24:00 on Berlin's spring change day is 4 real hours, ending at the local midnight."""
    calendar = DataCalendar("evening", 2026, 2026, weekend=(), hours=((time(20), time(0)),))
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)

    due = add_working_time(calendar, start, BERLIN, timedelta(hours=4))

    assert datetime(2026, 3, 30, 0, 0, tzinfo=BERLIN) == due


@st.composite
def whole_day_runs(draw):
    """A calendar of whole working days 00:00-24:00 with random days off, a start and an amount within its run."""
    off = draw(st.sets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=60))
    calendar = DataCalendar(
        "whole", 2026, 2027, holidays=off, weekend=(), hours=((time(0), time(0)),)
    )
    tz = draw(st.sampled_from([SHANGHAI, BERLIN, NEW_YORK]))
    day = draw(st.dates(date(2026, 1, 1), date(2026, 12, 31)).filter(lambda d: d not in off))
    start = datetime.combine(day, time(0), tzinfo=tz) + timedelta(
        seconds=draw(st.integers(0, 23 * 3600))
    )
    start = start.astimezone(UTC).astimezone(tz)
    end_of_run = day
    while end_of_run + timedelta(days=1) not in off and end_of_run.year == 2026:
        end_of_run += timedelta(days=1)
    run_ends = datetime.combine(end_of_run + timedelta(days=1), time(0), tzinfo=tz)
    room = run_ends.astimezone(UTC) - start.astimezone(UTC)
    amount = draw(st.timedeltas(timedelta(minutes=1), max(room, timedelta(minutes=1))))
    return calendar, tz, start, min(amount, room)


@settings(max_examples=150, deadline=None)
@given(case=whole_day_runs())
def test_working_time_over_whole_working_days_is_elapsed_time(case):
    """Within a run of working days with hours 00:00-24:00, pausing working time is plain elapsed time."""
    calendar, tz, start, amount = case

    due = add_working_time(calendar, start, tz, amount)

    assert (start.astimezone(UTC) + amount) == due.astimezone(UTC)


@st.composite
def hours_to_midnight(draw):
    """One or two ordered periods of whole minutes, the last an hour or more ending at 24:00."""
    last_start = draw(st.integers(1, 23 * 60))
    periods = [(time(*divmod(last_start, 60)), time(0))]
    if last_start > 1 and draw(st.booleans()):
        begin = draw(st.integers(0, last_start - 2))
        end = draw(st.integers(begin + 1, last_start))
        periods.insert(0, (time(*divmod(begin, 60)), time(*divmod(end, 60))))
    return tuple(periods)


def working_time(calendar, tz, start: datetime, end: datetime) -> timedelta:
    """Working time between *start* and *end*, summed period by period in real time."""
    total = ZERO
    day = start.astimezone(tz).date() - timedelta(days=1)
    while day <= end.astimezone(tz).date():
        if calendar.is_working_day(day):
            for begin, finish in calendar.hours:
                ends_on = day + timedelta(days=1) if finish == time(0) else day
                lo = max(start, datetime.combine(day, begin, tzinfo=tz)).astimezone(UTC)
                hi = min(end, datetime.combine(ends_on, finish, tzinfo=tz)).astimezone(UTC)
                total += max(hi - lo, ZERO)
        day += timedelta(days=1)
    return total


@settings(max_examples=150, deadline=None)
@given(
    hours=hours_to_midnight(),
    off=st.sets(st.dates(date(2026, 3, 1), date(2026, 4, 30)), max_size=20),
    tz=st.sampled_from([SHANGHAI, BERLIN, NEW_YORK]),
    minute=st.integers(0, 60 * 24 * 60),
    amount=st.timedeltas(timedelta(minutes=1), timedelta(hours=40)),
)
def test_pause_counts_exactly_the_working_time_of_periods_to_24_00(hours, off, tz, minute, amount):
    """The paused clock's due instant lies after exactly *amount* of working time, counted period by period."""
    calendar = DataCalendar("random", 2026, 2027, holidays=off, hours=hours)
    wall = datetime(2026, 3, 1, tzinfo=tz) + timedelta(minutes=minute)
    begin = wall.astimezone(UTC).astimezone(tz)

    due = add_working_time(calendar, begin, tz, amount)

    assert amount == working_time(calendar, tz, begin, due)


# -- plan files ----------------------------------------------------------------------


PLAN = """\
id: duty-hours
title: 值班制度
issuer: tests
version: "1"
source: tests
calendar: {name: duty, years: [2026, 2026], hours: ['08:00-24:00']}
metrics: [clicks]
roles:
  - {id: duty_office, name: 值班室}
actions:
  - id: report
    title: 报告
    owners: [duty_office]
    channel: phone
    deadline: {anchor: discovered, within: 3h, clock: pause}
    clause: {ref: "1", text: 值班时间08:00-24:00，发现后3小时内(值班时间)报告}
"""


def read(text: str) -> o.Plan:
    """The plan in *text*, read as YAML."""
    return read_plan_text(text, "yaml", "plan.yaml")


def test_hours_to_24_00_read_and_write_back_as_24_00():
    """'08:00-24:00' reads as (08:00, time(0)) and dumps as '08:00-24:00', for data and china calendars."""
    china = PLAN.replace(
        "{name: duty, years: [2026, 2026], hours: ['08:00-24:00']}",
        "{name: china, hours: ['00:00-08:00', '20:00-24:00']}",
    )
    for text, hours in (
        (PLAN, ((time(8), time(0)),)),
        (china, ((time(0), time(8)), (time(20), time(0)))),
    ):
        plan = read(text)
        dumped = dump_plan(plan)

        assert hours == plan.calendar.hours
        assert format_hours(hours) == yaml.safe_load(dumped)["calendar"]["hours"]
        for fmt in ("yaml", "json", "toml"):
            assert plan == read_plan_text(dump_plan(plan, fmt), fmt)


def test_the_schema_accepts_hours_to_24_00():
    """The plan JSON Schema validates a calendar with hours '08:00-24:00'."""
    jsonschema.validate(yaml.safe_load(PLAN), plan_schema())


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        pytest.param(
            "'24:00-08:00'",
            "plan.yaml:6:53: calendar.hours[0]: a working period starts at 24:00; expected "
            "'HH:MM-HH:MM' within one day; 24:00 only as the end, e.g. '08:00-24:00' "
            '(got "24:00-08:00", text)',
            id="starts at 24:00",
        ),
        pytest.param(
            "'08:00-00:00'",
            "plan.yaml:6:53: calendar.hours[0]: a working period ends at 00:00; expected "
            "'HH:MM-HH:MM' within one day; 24:00 only as the end, e.g. '08:00-24:00' "
            '(got "08:00-00:00", text)',
            id="ends at 00:00",
        ),
        pytest.param(
            "'08:00-24:30'",
            "plan.yaml:6:53: calendar.hours[0]: not a time of day; expected 'HH:MM', e.g. "
            "'17:30' or '24:00' (got \"24:30\", text)",
            id="past 24:00",
        ),
        pytest.param(
            "'08:00'",
            "plan.yaml:6:53: calendar.hours[0]: not a working period; expected 'HH:MM-HH:MM', "
            "e.g. '09:00-12:00' or '08:00-24:00' (got \"08:00\", text)",
            id="no end",
        ),
    ],
)
def test_malformed_periods_are_located(period, expected):
    """A period starting at 24:00, ending at 00:00 or malformed is reported at its place."""
    with pytest.raises(PlanValidationError) as info:
        read(PLAN.replace("'08:00-24:00'", period))

    assert expected == str(info.value.problems[0])


def test_a_period_after_one_ending_24_00_is_located():
    """'20:00-24:00' followed by '21:00-22:00' is refused at the calendar's place."""
    with pytest.raises(PlanValidationError) as info:
        read(PLAN.replace("['08:00-24:00']", "['20:00-24:00', '21:00-22:00']"))

    problem = str(info.value.problems[0])
    assert problem.startswith("plan.yaml:6:")
    assert "previous period ends at 24:00" in problem


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_render_prints_24_00(lang):
    """The rendered plan shows the working hours as 08:00-24:00 in both languages."""
    assert "08:00-24:00" in o.render_plan(read(PLAN), "md", lang)


def test_both_backends_pause_to_24_00(backend):
    """Discovered Friday 22:30, 3 working hours on 08:00-24:00: due Monday 09:30 on every backend."""
    incident = o.Incident("ZB-1", discovered_at=cst(27, 22, 30))

    status = (
        o.Engine(read(PLAN), backend=backend).evaluate(incident, at=cst(28, 12)).action("report")
    )

    assert cst(30, 9, 30) == status.due
