"""
Time semantics: the deadline algebra and the working calendars.

The table tests take their expected instants from the State Council's
holiday notices for 2025 and 2026, written out by hand below; they never ask
the ``chinesecalendar`` package, which is what the China calendar is built
on and so is under test here.  The property tests check the algebra against
brute-force recomputations over the China calendar and over random data
calendars.

Official schedule used by the tables (off = days off, on = make-up working
days, 调休):

* 2025: New Year 01-01 off.  Spring Festival 01-28..02-04 off, on Sun 01-26
  and Sat 02-08.  Qingming 04-04..04-06 off.  Labour Day 05-01..05-05 off,
  on Sun 04-27.  Dragon Boat 05-31..06-02 off.  National Day and
  Mid-Autumn 10-01..10-08 off, on Sun 09-28 and Sat 10-11.
* 2026: New Year 01-01..01-03 off, on Sun 01-04.  Spring Festival
  02-15..02-23 off, on Sat 02-14 and Sat 02-28.  Qingming 04-04..04-06 off.
  Labour Day 05-01..05-05 off, on Sat 05-09.  Dragon Boat 06-19..06-21 off.
  Mid-Autumn 09-25..09-27 off, on Sun 09-20.  National Day 10-01..10-07
  off, on Sat 10-10.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.calendars import ChinaCalendar, DataCalendar, WorkingCalendar
from opinion_rules.deadlines import (
    Anchor,
    Offset,
    after,
    end_of_day,
    immediately,
    no_deadline,
    promptly,
)
from opinion_rules.exceptions import CalendarRangeError
from opinion_rules.model._deadlines import due_time, parse_anchor
from opinion_rules.time._arithmetic import (
    TimeRules,
    add_offset,
    add_working_time,
    next_working_instant,
    nth_working_day_after,
    working_day_on_or_after,
)
from opinion_rules.time._offsets import parse_offset


TZ = ZoneInfo("Asia/Shanghai")
#: 09:00-12:00 and 13:30-17:30, a common government office's hours.
HOURS = ((time(9), time(12)), (time(13, 30), time(17, 30)))
CHINA = ChinaCalendar(hours=HOURS)
#: Close of business, for plans whose day ends at 17:30 rather than 24:00.
CLOSE = time(17, 30)
ZERO = timedelta(0)
MICROSECOND = timedelta(microseconds=1)


def at(text: str) -> datetime:
    """
    A local instant in Asia/Shanghai, written ``YYYY-MM-DD HH:MM``.
    """
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def rules(
    day_end: time | None = None,
    calendar: WorkingCalendar | None = CHINA,
    tolerance: timedelta = ZERO,
) -> TimeRules:
    """
    Deadline arithmetic rules for Asia/Shanghai.
    """
    return TimeRules(TZ, calendar, day_end, tolerance, None)


def case(
    phrase: str,
    deadline: o.Deadline,
    anchor: str,
    expected: str,
    *,
    day_end: time | None = None,
    tolerance: timedelta = ZERO,
) -> object:
    """
    One row of the table: the phrase it models is the test id.
    """
    return pytest.param(deadline, at(anchor), day_end, tolerance, at(expected), id=phrase)


# -- the table ------------------------------------------------------------------------

TABLE = [
    # 次日起N个工作日内: the anchor's day never counts; due at the end of the last day.
    case(
        "次日起5个工作日内 (春节前周五; 调休周日01-26计入; 24:00)",
        after("discovered", working_days=5),
        "2025-01-24 10:00",
        # 01-26 (调休), 01-27, [01-28..02-04 off], 02-05, 02-06, 02-07.
        "2025-02-08 00:00",
    ),
    case(
        "次日起5个工作日内 (春节前周五; 17:30下班)",
        after("discovered", working_days=5),
        "2025-01-24 10:00",
        "2025-02-07 17:30",
        day_end=CLOSE,
    ),
    case(
        "3个工作日内 (2026春节前周五; 调休周六02-14计入)",
        after("discovered", working_days=3),
        "2026-02-13 15:00",
        # 02-14 (调休), [02-15..02-23 off], 02-24, 02-25.
        "2026-02-26 00:00",
    ),
    case(
        "1个工作日内 (2026春节后调休周六02-28)",
        after("discovered", working_days=1),
        "2026-02-27 10:00",
        "2026-02-28 17:30",
        day_end=CLOSE,
    ),
    case(
        "6个工作日内 (2026春节假期中起算)",
        after("discovered", working_days=6),
        "2026-02-15 10:00",
        # 02-24, 02-25, 02-26, 02-27, 02-28 (调休), 03-02.
        "2026-03-03 00:00",
    ),
    case(
        "2个工作日内 (2025国庆前调休周日09-28)",
        after("discovered", working_days=2),
        "2025-09-27 10:00",
        # 09-28 (调休), 09-29.
        "2025-09-30 00:00",
    ),
    case(
        "3个工作日内 (2025国庆; 调休周六10-11计入)",
        after("discovered", working_days=3),
        "2025-09-30 09:00",
        # [10-01..10-08 off], 10-09, 10-10, 10-11 (调休).
        "2025-10-11 17:30",
        day_end=CLOSE,
    ),
    case(
        "1个工作日内 (起算日是工作日也不计入)",
        after("discovered", working_days=1),
        "2025-03-03 09:00",
        "2025-03-05 00:00",
    ),
    case(
        "1个工作日内 (零点起算, 当日仍不计入)",
        after("discovered", working_days=1),
        "2025-03-03 00:00",
        "2025-03-04 17:30",
        day_end=CLOSE,
    ),
    case(
        "1个工作日内 (国庆节当日起算)",
        after("discovered", working_days=1),
        "2025-10-01 10:00",
        "2025-10-10 00:00",
    ),
    case(
        "3个工作日内 (2026国庆假期中起算; 调休周六10-10计入)",
        after("discovered", working_days=3),
        "2026-10-03 14:00",
        # [10-01..10-07 off], 10-08, 10-09, 10-10 (调休).
        "2026-10-11 00:00",
    ),
    case(
        "1个工作日内 (跨年; 2026元旦后调休周日01-04)",
        after("discovered", working_days=1),
        "2025-12-31 16:00",
        "2026-01-05 00:00",
    ),
    case(
        "1个工作日内 (2025元旦)",
        after("discovered", working_days=1),
        "2024-12-31 16:00",
        "2025-01-03 00:00",
    ),
    case(
        "5个工作日内 (2026劳动节; 调休周六05-09计入)",
        after("discovered", working_days=5),
        "2026-04-30 10:00",
        # [05-01..05-05 off], 05-06, 05-07, 05-08, 05-09 (调休), 05-11.
        "2026-05-12 00:00",
    ),
    case(
        "1个工作日内 (2025劳动节前调休周日04-27)",
        after("discovered", working_days=1),
        "2025-04-25 10:00",
        "2025-04-28 00:00",
    ),
    case(
        "2个工作日内 (2026中秋前调休周日09-20)",
        after("discovered", working_days=2),
        "2026-09-18 10:00",
        "2026-09-22 00:00",
    ),
    case(
        "1个工作日内 (2025端午)",
        after("discovered", working_days=1),
        "2025-05-30 10:00",
        "2025-06-04 00:00",
    ),
    case(
        "1个工作日内 (2026端午)",
        after("discovered", working_days=1),
        "2026-06-18 10:00",
        "2026-06-23 00:00",
    ),
    case(
        "1个工作日内 (2025清明)",
        after("discovered", working_days=1),
        "2025-04-03 10:00",
        "2025-04-08 00:00",
    ),
    case(
        "1个工作日内 (2026清明)",
        after("discovered", working_days=1),
        "2026-04-03 10:00",
        "2026-04-07 17:30",
        day_end=CLOSE,
    ),
    # Elapsed hours on the calendar clock: nights and holidays count.
    case(
        "3小时内 (跨夜)",
        after("discovered", hours=3),
        "2025-03-03 22:30",
        "2025-03-04 01:30",
    ),
    case(
        "24小时内(含休息日、节假日) (跨国庆)",
        after("discovered", hours=24),
        "2025-09-30 18:00",
        "2025-10-01 18:00",
    ),
    case(
        "48小时内(含休息日、节假日) (跨2026春节)",
        after("discovered", hours=48),
        "2026-02-14 10:00",
        "2026-02-16 10:00",
    ),
    case(
        "1小时30分钟内 (跨零点)",
        after("discovered", hours=1, minutes=30),
        "2025-10-04 23:00",
        "2025-10-05 00:30",
    ),
    # 工作时间起算: the clock starts at the next working time, then runs on.
    case(
        "4小时内(工作时间起算) (端午节前周五晚; 午休不停表)",
        after("discovered", hours=4, clock="shift_start"),
        "2025-05-30 19:00",
        "2025-06-03 13:00",
    ),
    case(
        "8小时内(工作时间起算) (2026春节前周五晚 → 调休周六)",
        after("discovered", hours=8, clock="shift_start"),
        "2026-02-13 18:00",
        "2026-02-14 17:00",
    ),
    case(
        "2小时内(工作时间起算) (午休时起算)",
        after("discovered", hours=2, clock="shift_start"),
        "2025-03-03 12:30",
        "2025-03-03 15:30",
    ),
    case(
        "2小时内(工作时间起算) (上午下班那一刻起算)",
        after("discovered", hours=2, clock="shift_start"),
        "2025-03-03 12:00",
        "2025-03-03 15:30",
    ),
    case(
        "2小时内(工作时间起算) (调休周日上班前)",
        after("discovered", hours=2, clock="shift_start"),
        "2025-01-26 08:00",
        "2025-01-26 11:00",
    ),
    case(
        "2小时内(工作时间起算) (普通周日 → 周一)",
        after("discovered", hours=2, clock="shift_start"),
        "2025-01-19 08:00",
        "2025-01-20 11:00",
    ),
    case(
        "2小时内(工作时间起算) (工作时间内即起算)",
        after("discovered", hours=2, clock="shift_start"),
        "2025-03-03 10:15",
        "2025-03-03 12:15",
    ),
    case(
        "1小时内(工作时间起算) (下午下班那一刻起算)",
        after("discovered", hours=1, clock="shift_start"),
        "2025-03-03 17:30",
        "2025-03-04 10:00",
    ),
    # 仅计工作时间: the clock runs only inside working hours.
    case(
        "4小时内(仅计工作时间) (端午节前周五晚)",
        after("discovered", hours=4, clock="pause"),
        "2025-05-30 19:00",
        # 06-03 09:00-12:00 (3h), 13:30-14:30 (1h).
        "2025-06-03 14:30",
    ),
    case(
        "8小时内(仅计工作时间) (2026春节前周五晚; 调休周六计时)",
        after("discovered", hours=8, clock="pause"),
        "2026-02-13 18:00",
        # 02-14 (调休) 7h, [02-15..02-23 off], 02-24 09:00-10:00.
        "2026-02-24 10:00",
    ),
    case(
        "5小时内(仅计工作时间) (午休时起算)",
        after("discovered", hours=5, clock="pause"),
        "2025-03-03 12:30",
        "2025-03-04 10:00",
    ),
    case(
        "3小时内(仅计工作时间) (调休周日下午)",
        after("discovered", hours=3, clock="pause"),
        "2025-01-26 16:00",
        # 01-26 16:00-17:30 (1.5h), 01-27 09:00-10:30.
        "2025-01-27 10:30",
    ),
    case(
        "1小时内(仅计工作时间) (国庆节前最后半小时)",
        after("discovered", hours=1, clock="pause"),
        "2025-09-30 17:00",
        "2025-10-09 09:30",
    ),
    case(
        "1小时内(仅计工作时间) (国庆后调休周六10-11)",
        after("discovered", hours=1, clock="pause"),
        "2025-10-10 17:00",
        "2025-10-11 09:30",
    ),
    case(
        "3小时内(仅计工作时间) (恰好用满上午, 不推到下午)",
        after("discovered", hours=3, clock="pause"),
        "2025-03-03 09:00",
        "2025-03-03 12:00",
    ),
    # 当日内: the end of the anchor's local day; after the day end, the next day's end.
    case(
        "当日内 (24:00)",
        end_of_day("discovered"),
        "2025-03-03 10:00",
        "2025-03-04 00:00",
    ),
    case(
        "当日内 (17:30下班)",
        end_of_day("discovered"),
        "2025-03-03 10:00",
        "2025-03-03 17:30",
        day_end=CLOSE,
    ),
    case(
        "当日内 (17:30后发现 → 次日17:30)",
        end_of_day("discovered"),
        "2025-03-03 18:00",
        "2025-03-04 17:30",
        day_end=CLOSE,
    ),
    case(
        "当日内 (恰在17:30发现 → 次日17:30)",
        end_of_day("discovered"),
        "2025-03-03 17:30",
        "2025-03-04 17:30",
        day_end=CLOSE,
    ),
    case(
        "当日内 (周五17:30后发现 → 次日即周六17:30, 按自然日)",
        end_of_day("discovered"),
        "2025-03-07 18:00",
        "2025-03-08 17:30",
        day_end=CLOSE,
    ),
    case(
        "当日内 (23:59发现)",
        end_of_day("discovered"),
        "2025-03-03 23:59",
        "2025-03-04 00:00",
    ),
    case(
        "当日内 (节假日发现, 按自然日)",
        end_of_day("discovered"),
        "2025-10-01 10:00",
        "2025-10-02 00:00",
    ),
    # N日内: wall-clock days, 次日起 (end of the last day) and 非工作日顺延.
    case(
        "5日内 (按钟点)",
        after("discovered", days=5),
        "2025-03-03 10:00",
        "2025-03-08 10:00",
    ),
    case(
        "次日起5日内 (24:00)",
        after("discovered", days=5, start_next_day=True),
        "2025-03-03 10:00",
        "2025-03-09 00:00",
    ),
    case(
        "次日起5日内 (17:30下班)",
        after("discovered", days=5, start_next_day=True),
        "2025-03-03 10:00",
        "2025-03-08 17:30",
        day_end=CLOSE,
    ),
    case(
        "5日内(非工作日顺延) (末日10-03国庆 → 10-09 24:00)",
        after("discovered", days=5, extend_past_holiday=True),
        "2025-09-28 10:00",
        "2025-10-10 00:00",
    ),
    case(
        "次日起5日内(非工作日顺延) (末日10-03国庆 → 10-09 24:00)",
        after("discovered", days=5, start_next_day=True, extend_past_holiday=True),
        "2025-09-28 10:00",
        "2025-10-10 00:00",
    ),
    case(
        "次日起5日内(非工作日顺延) (末日10-03国庆 → 10-09 17:30)",
        after("discovered", days=5, start_next_day=True, extend_past_holiday=True),
        "2025-09-28 10:00",
        "2025-10-09 17:30",
        day_end=CLOSE,
    ),
    case(
        "5日内(非工作日顺延) (末日周六 → 周一 24:00)",
        after("discovered", days=5, extend_past_holiday=True),
        "2025-03-03 10:00",
        "2025-03-11 00:00",
    ),
    case(
        "5日内(非工作日顺延) (末日调休周日09-28, 不顺延, 至当日24:00)",
        after("discovered", days=5, extend_past_holiday=True),
        "2025-09-23 10:00",
        "2025-09-29 00:00",
    ),
    case(
        "3日内(非工作日顺延) (末日工作日, 不顺延, 至当日24:00)",
        after("discovered", days=3, extend_past_holiday=True),
        "2025-03-03 10:00",
        "2025-03-07 00:00",
    ),
    case(
        "3日内(非工作日顺延) (末日工作日, 至下班17:30)",
        after("discovered", days=3, extend_past_holiday=True),
        "2025-03-03 10:00",
        "2025-03-06 17:30",
        day_end=CLOSE,
    ),
    case(
        "次日起3日内(非工作日顺延) (末日2026除夕后 → 02-24)",
        after("discovered", days=3, start_next_day=True, extend_past_holiday=True),
        "2026-02-12 10:00",
        "2026-02-25 00:00",
    ),
    # 立即: due at the anchor, plus the organisation's tolerance.
    case(
        "立即",
        immediately("discovered"),
        "2025-10-01 10:00",
        "2025-10-01 10:00",
    ),
    case(
        "立即 (容许30分钟, 节假日照算)",
        immediately("discovered"),
        "2025-10-01 10:00",
        "2025-10-01 10:30",
        tolerance=timedelta(minutes=30),
    ),
]


@pytest.mark.parametrize(("deadline", "anchor", "day_end", "tolerance", "expected"), TABLE)
def test_due_time_follows_the_official_holiday_schedule(
    deadline, anchor, day_end, tolerance, expected
):
    """Each phrase's deadline falls where the State Council's holiday notice puts it."""
    got = due_time(deadline, anchor, rules(day_end, tolerance=tolerance))

    assert expected == got
    assert timedelta(hours=8) == got.utcoffset()


def test_deadlines_without_a_number_have_no_due_instant():
    """及时 without an organisation tolerance and 未规定时限 give no due instant."""
    anchor = at("2025-03-03 10:00")

    assert None is due_time(promptly("discovered"), anchor, rules())
    assert None is due_time(no_deadline("discovered"), anchor, rules())
    assert at("2025-03-03 12:00") == due_time(
        promptly("discovered"), anchor, TimeRules(TZ, CHINA, None, ZERO, timedelta(hours=2))
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2025, 1, 26), True, id="2025春节调休周日"),
        pytest.param(date(2025, 1, 28), False, id="2025除夕"),
        pytest.param(date(2025, 2, 4), False, id="2025春节末日"),
        pytest.param(date(2025, 2, 8), True, id="2025春节调休周六"),
        pytest.param(date(2025, 10, 8), False, id="2025国庆末日"),
        pytest.param(date(2025, 10, 11), True, id="2025国庆调休周六"),
        pytest.param(date(2026, 1, 4), True, id="2026元旦调休周日"),
        pytest.param(date(2026, 2, 23), False, id="2026春节末日"),
        pytest.param(date(2026, 2, 24), True, id="2026春节后首个工作日"),
        pytest.param(date(2026, 5, 9), True, id="2026劳动节调休周六"),
        pytest.param(date(2026, 9, 25), False, id="2026中秋"),
        pytest.param(date(2026, 10, 10), True, id="2026国庆调休周六"),
        pytest.param(date(2026, 3, 7), False, id="普通周六"),
        pytest.param(date(2026, 3, 9), True, id="普通周一"),
    ],
)
def test_china_calendar_knows_holidays_and_make_up_days(day, expected):
    """Make-up days (调休) are working days and statutory holidays are not."""
    assert expected == CHINA.is_working_day(day)


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        pytest.param(
            working_day_on_or_after, (date(2025, 10, 1),), date(2025, 10, 9), id="顺延到节后"
        ),
        pytest.param(
            working_day_on_or_after, (date(2025, 9, 28),), date(2025, 9, 28), id="调休日不顺延"
        ),
        pytest.param(
            nth_working_day_after, (date(2025, 9, 28), 0), date(2025, 9, 28), id="0个工作日"
        ),
        pytest.param(
            next_working_instant,
            (at("2025-03-03 10:00"), TZ),
            at("2025-03-03 10:00"),
            id="工作时间内",
        ),
        pytest.param(
            next_working_instant,
            (at("2025-09-30 17:30"), TZ),
            at("2025-10-09 09:00"),
            id="节前下班 → 节后上班",
        ),
        pytest.param(
            add_working_time,
            (at("2025-01-26 17:00"), TZ, timedelta(minutes=30)),
            at("2025-01-26 17:30"),
            id="调休日用满下午",
        ),
    ],
)
def test_calendar_walks(function, args, expected):
    """The calendar helpers the engine composes give the hand-computed day or instant."""
    assert expected == function(CHINA, *args)


# -- 非工作日顺延 on wall-clock offsets stays monotone --------------------------------
# (It once kept the time of day on the next working day, so a later anchor could
# get an earlier deadline; the period now ends at the moved day's end, art. 203.)


@pytest.mark.parametrize(
    ("offset", "earlier", "later"),
    [
        pytest.param(
            Offset(days=1, extend_past_holiday=True),
            "2025-01-01 00:00",  # due 01-02 00:00 = 24:00 of 01-01 (元旦) -> end of 01-02
            "2025-01-01 00:01",  # due 01-02 00:01, a working day -> end of 01-02 (was 00:01)
            id="1日内(非工作日顺延) 元旦",
        ),
        pytest.param(
            Offset(days=1, extend_past_holiday=True),
            "2024-12-31 23:59",  # due 01-01 23:59 (元旦) -> end of 01-02
            "2025-01-01 00:01",
            id="1日内(非工作日顺延) 跨年",
        ),
        pytest.param(
            Offset(days=5, extend_past_holiday=True),
            "2025-03-03 23:00",  # due Sat 03-08 23:00 -> end of Mon 03-10
            "2025-03-04 01:00",  # due Sun 03-09 01:00 -> end of Mon 03-10
            id="5日内(非工作日顺延)",
        ),
    ],
)
def test_a_later_anchor_never_gets_an_earlier_deadline_past_a_holiday(offset, earlier, later):
    """An incident found later is never due sooner, even when 非工作日顺延 moves the deadline."""
    assert add_offset(offset, at(earlier), rules()) <= add_offset(offset, at(later), rules())


@pytest.mark.parametrize("discovered", ["2024-12-31 23:59", "2025-01-01 00:00", "2025-01-01 00:01"])
def test_one_day_past_new_year_ends_with_the_first_working_day(discovered):
    """
    Regression (found by the property below): {anchor: discovered, within: 1d,
    extend_past_holiday: true} on the china calendar gave 2025-01-02 00:01 for a
    discovery at 2025-01-01 00:01, earlier than for one a minute before.
    """
    deadline = o.Deadline("discovered", "offset", Offset(days=1, extend_past_holiday=True))

    assert at("2025-01-03 00:00") == due_time(deadline, at(discovered), rules())


# -- calendar range ---------------------------------------------------------------------


def test_china_calendar_refuses_a_year_without_a_schedule():
    """Asking about a year the package has no notice for raises, naming the year and range."""
    first, last = ChinaCalendar().years
    assert first <= 2025
    assert last >= 2026

    for day in (date(last + 1, 1, 4), date(first - 1, 12, 1)):
        with pytest.raises(CalendarRangeError) as info:
            ChinaCalendar().is_working_day(day)

        message = str(info.value)
        assert str(day.year) in message
        assert f"{first}-{last}" in message
        assert "china" == info.value.calendar
        assert day == info.value.day
        assert (first, last) == info.value.years


@pytest.mark.parametrize(
    ("offset", "anchor"),
    [
        # With chinesecalendar 1.11 the covered range ends in 2026, so this is
        # 2026-12-28 (Monday) + 5 working days: 12-29, 12-30, 12-31, then 2027.
        pytest.param(Offset(working_days=5), (12, 28, 10), id="5个工作日内"),
        pytest.param(Offset(hours=2, clock="pause"), (12, 31, 17), id="2小时内(仅计工作时间)"),
        pytest.param(
            Offset(hours=1, clock="shift_start"), (12, 31, 18), id="1小时内(工作时间起算)"
        ),
        pytest.param(
            Offset(days=5, extend_past_holiday=True), (12, 28, 10), id="5日内(非工作日顺延)"
        ),
        pytest.param(
            Offset(days=5, start_next_day=True, extend_past_holiday=True),
            (12, 28, 10),
            id="次日起5日内(非工作日顺延)",
        ),
    ],
)
def test_deadlines_into_an_uncovered_year_raise(offset, anchor):
    """A calendar deadline that crosses into a year without a schedule raises, never guesses."""
    last = ChinaCalendar().years[1]
    start = datetime(last, *anchor, tzinfo=TZ)

    with pytest.raises(CalendarRangeError) as info:
        add_offset(offset, start, rules())

    assert last + 1 == info.value.day.year


def test_calendar_clock_deadlines_into_an_uncovered_year_do_not_need_the_calendar():
    """Calendar days, calendar hours and 当日内 cross into any year without asking the calendar."""
    last = ChinaCalendar().years[1]
    start = datetime(last, 12, 28, 10, tzinfo=TZ)

    assert datetime(last + 1, 1, 2, 10, tzinfo=TZ) == add_offset(Offset(days=5), start, rules())
    assert datetime(last + 1, 1, 1, 10, tzinfo=TZ) == add_offset(Offset(hours=96), start, rules())
    assert datetime(last + 1, 1, 1, tzinfo=TZ) == due_time(
        end_of_day("discovered"), datetime(last, 12, 31, 23, tzinfo=TZ), rules()
    )


def test_data_calendar_refuses_days_outside_its_years():
    """A data calendar answers only for the years it covers, before or after."""
    calendar = DataCalendar("local", 2025, 2025)

    for day in (date(2024, 12, 31), date(2026, 1, 1)):
        with pytest.raises(CalendarRangeError) as info:
            calendar.is_working_day(day)

        assert str(day.year) in str(info.value)
        assert "2025-2025" in str(info.value)
        assert "local" == info.value.calendar

    with pytest.raises(CalendarRangeError):
        add_offset(Offset(working_days=3), at("2025-12-30 10:00"), rules(calendar=calendar))


def test_a_calendar_without_working_days_raises_instead_of_looping():
    """A calendar whose data has no working day at all raises instead of hanging."""
    closed = DataCalendar("closed", 2000, 2010, weekend=(0, 1, 2, 3, 4, 5, 6))

    with pytest.raises(CalendarRangeError, match="no working day"):
        nth_working_day_after(closed, date(2001, 1, 1), 1)
    with pytest.raises(CalendarRangeError, match="no working day"):
        working_day_on_or_after(closed, date(2001, 1, 1))


# -- data calendars -------------------------------------------------------------------


def test_data_calendar_applies_holidays_make_up_days_and_weekend():
    """Listed holidays are off, listed make-up days are on, the rest follows the weekend."""
    calendar = DataCalendar(
        "local",
        2025,
        2025,
        holidays={date(2025, 3, 5)},  # a Wednesday
        workdays={date(2025, 3, 8)},  # a Saturday
        weekend=(4, 5),  # Friday and Saturday
    )

    assert False is calendar.is_working_day(date(2025, 3, 5))
    assert True is calendar.is_working_day(date(2025, 3, 8))
    assert False is calendar.is_working_day(date(2025, 3, 7))  # Friday
    assert False is calendar.is_working_day(date(2025, 3, 15))  # Saturday
    assert True is calendar.is_working_day(date(2025, 3, 9))  # Sunday
    assert (2025, 2025) == calendar.years


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param(
            {"holidays": {date(2025, 3, 5)}, "workdays": {date(2025, 3, 5)}},
            ValueError,
            "both as holidays and as workdays: \\['2025-03-05'\\]",
            id="同一天既是假日又是调休日",
        ),
        pytest.param(
            {"holidays": {date(2026, 1, 1)}},
            ValueError,
            "outside the covered years 2025-2025: \\['2026-01-01'\\]",
            id="假日超出年份范围",
        ),
        pytest.param(
            {"workdays": {date(2024, 12, 29)}},
            ValueError,
            "outside the covered years",
            id="调休日超出年份范围",
        ),
        pytest.param(
            {"hours": ((time(9), time(12)), (time(11), time(14)))},
            ValueError,
            "overlap",
            id="工作时段重叠",
        ),
        pytest.param(
            {"hours": ((time(13), time(17)), (time(9), time(12)))},
            ValueError,
            "in order",
            id="工作时段倒序",
        ),
        pytest.param(
            {"hours": ((time(12), time(9)),)}, ValueError, "end after", id="时段结束早于开始"
        ),
        pytest.param({"weekend": (7,)}, ValueError, "weekday numbers", id="周末编号越界"),
        pytest.param({"holidays": "2025-03-05"}, TypeError, "collection", id="假日写成字符串"),
        pytest.param(
            {"holidays": {datetime(2025, 3, 5, tzinfo=TZ)}}, TypeError, "dates", id="假日是时刻"
        ),
    ],
)
def test_data_calendar_rejects_inconsistent_data(kwargs, error, match):
    """Contradictory or out-of-range calendar data is refused when the calendar is built."""
    with pytest.raises(error, match=match):
        DataCalendar("local", 2025, 2025, **kwargs)


def test_calendar_years_must_be_in_order():
    """A data calendar whose first year is after its last is refused."""
    with pytest.raises(ValueError, match="after 'last_year'"):
        DataCalendar("local", 2026, 2025)


def test_china_calendar_rejects_overlapping_hours():
    """The China calendar's working hours are checked like a data calendar's."""
    with pytest.raises(ValueError, match="overlap"):
        ChinaCalendar(hours=((time(9), time(12)), (time(11, 30), time(17))))


# -- offsets and anchors as text --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3h", Offset(hours=3)),
        ("30m", Offset(minutes=30)),
        ("1h30m", Offset(hours=1, minutes=30)),
        ("1d12h", Offset(days=1, hours=12)),
        ("5wd", Offset(working_days=5)),
        (" 1D 2H ", Offset(days=1, hours=2)),
    ],
)
def test_parse_offset_reads_plan_file_periods(text, expected):
    """Plan-file periods such as 1d12h and 5wd read as the offset they name."""
    assert expected == parse_offset(text)


@pytest.mark.parametrize("text", ["3h", "30m", "1h30m", "1d12h", "5wd", "2d3h4m"])
def test_offset_text_round_trips(text):
    """An offset written back to plan-file form reads as the same text."""
    assert text == parse_offset(text).text()


@pytest.mark.parametrize(
    "text", ["", "5", "h", "wd", "3x", "3h5d", "-1h", "1.5h", "3 hours", "5wd3h", "1d5wd"]
)
def test_parse_offset_rejects_malformed_periods(text):
    """A malformed period is refused, not read as something else."""
    with pytest.raises(ValueError, match=r"not a period|not combined"):
        parse_offset(text)


@pytest.mark.parametrize(
    "text",
    [
        "discovered",
        "posted",
        "case_claimed",
        "action_done:reply",
        "overdue:reply",
        "overdue:reply+5wd",
        "overdue:reply+1d12h",
        "grade_reached:major",
        "category_assigned:fire",
    ],
)
def test_anchor_text_round_trips(text):
    """An anchor written as text reads back to the same text."""
    assert text == str(parse_anchor(text))


def test_parse_anchor_reads_the_late_by_offset():
    """overdue:reply+5wd means five working days after reply became overdue."""
    assert Anchor("overdue", "reply", Offset(working_days=5)) == parse_anchor("overdue:reply+5wd")
    assert "reply" == parse_anchor("overdue:reply+5wd").action


@pytest.mark.parametrize(
    "text",
    [
        "overdue",
        "grade_reached",
        "discovered:reply",
        "overdue:",
        "overdue:+5wd",
        "overdue:re ply",
        "overdue:reply+",
        "overdue:reply+soon",
        "overdue:reply+0h",
        "overdue:reply+5wd+1h",
        "action_done:reply+5wd",
    ],
)
def test_parse_anchor_rejects_malformed_anchors(text):
    """A malformed anchor text is refused with ValueError."""
    with pytest.raises(ValueError):  # noqa: PT011 - the messages differ per mistake
        parse_anchor(text)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"working_days": 5, "hours": 3}, id="工作日与小时混用"),
        pytest.param({"working_days": 5, "start_next_day": True}, id="工作日与次日起"),
        pytest.param({"working_days": 5, "extend_past_holiday": True}, id="工作日与顺延"),
        pytest.param({"days": 1, "hours": 2, "start_next_day": True}, id="次日起带小时"),
        pytest.param({"days": 1, "clock": "pause"}, id="日数不能停表"),
        pytest.param({"hours": 1, "clock": "office"}, id="未知计时方式"),
        pytest.param({"hours": -1}, id="负数"),
        pytest.param({"hours": 3, "extend_past_holiday": True}, id="小时不顺延"),
    ],
)
def test_offset_rejects_combinations_without_a_meaning(kwargs):
    """Offsets that mix units or flags with no defined meaning are refused."""
    with pytest.raises(ValueError):  # noqa: PT011 - the messages differ per mistake
        Offset(**kwargs)


# -- properties -------------------------------------------------------------------------

#: Anchors on whole minutes from 2025-01-01 to 2026-11-30, so every deadline
#: below stays inside the China calendar's covered years.
FIRST_ANCHOR = at("2025-01-01 00:00")
LAST_ANCHOR = at("2026-11-30 23:59")
anchors = st.integers(0, int((LAST_ANCHOR - FIRST_ANCHOR) / timedelta(minutes=1))).map(
    lambda m: FIRST_ANCHOR + timedelta(minutes=m)
)
day_ends = st.sampled_from([None, CLOSE, time(9), time(23, 59)])


@st.composite
def working_hours(draw):
    """
    One to three ordered periods, each at least an hour, possibly adjacent.
    """
    periods = []
    minute = draw(st.integers(0, 600))
    for _ in range(draw(st.integers(1, 3))):
        start = minute + (draw(st.integers(0, 120)) if periods else 0)
        end = start + draw(st.integers(60, 240))
        if end > 23 * 60 + 59:
            break
        periods.append((time(*divmod(start, 60)), time(*divmod(end, 60))))
        minute = end
    return tuple(periods) or ((time(9), time(17)),)


@st.composite
def data_calendars(draw):
    """
    A data calendar over 2025-2027 with random holidays, make-up days and hours.
    """
    days = draw(st.lists(st.dates(date(2025, 1, 1), date(2026, 12, 31)), unique=True, max_size=40))
    off = draw(st.lists(st.booleans(), min_size=len(days), max_size=len(days)))
    return DataCalendar(
        "random",
        2025,
        2027,
        holidays={d for d, f in zip(days, off, strict=True) if f},
        workdays={d for d, f in zip(days, off, strict=True) if not f},
        hours=draw(working_hours()),
    )


calendars = st.one_of(st.just(CHINA), data_calendars())
elapsed = st.tuples(st.integers(0, 30), st.integers(0, 59)).filter(lambda hm: hm != (0, 0))


@st.composite
def offsets(draw):
    """
    Any offset: working days, wall-clock days (+ hours), 次日起 days, or hours
    and minutes on any clock, with or without 非工作日顺延.
    """
    kind = draw(st.sampled_from(["working_days", "days", "start_next_day", "elapsed"]))
    if kind == "working_days":
        return Offset(working_days=draw(st.integers(1, 10)))
    extend = draw(st.booleans())
    if kind == "start_next_day":
        return Offset(
            days=draw(st.integers(1, 10)), start_next_day=True, extend_past_holiday=extend
        )
    if kind == "days":
        return Offset(
            days=draw(st.integers(1, 10)),
            hours=draw(st.integers(0, 23)),
            minutes=draw(st.integers(0, 59)),
            extend_past_holiday=extend,
        )
    hours, minutes = draw(elapsed)
    clock = draw(st.sampled_from(["calendar", "shift_start", "pause"]))
    return Offset(hours=hours, minutes=minutes, clock=clock)


def deadlines(offset_strategy):
    """
    Offset deadlines from *offset_strategy*, 立即 and 当日内.
    """
    return st.one_of(
        offset_strategy.map(lambda off: o.Deadline("discovered", "offset", off)),
        st.just(immediately("discovered")),
        st.just(end_of_day("discovered")),
    )


def working_time(calendar, start: datetime, end: datetime) -> timedelta:
    """
    Working time between *start* and *end*, summed period by period.
    """
    total = ZERO
    day = start.astimezone(TZ).date()
    while day <= end.astimezone(TZ).date():
        if calendar.is_working_day(day):
            for begin, finish in calendar.hours:
                lo = max(start, datetime.combine(day, begin, tzinfo=TZ))
                hi = min(end, datetime.combine(day, finish, tzinfo=TZ))
                total += max(hi - lo, ZERO)
        day += timedelta(days=1)
    return total


def in_working_period(calendar, instant: datetime, *, closed_end: bool) -> bool:
    """
    Whether *instant* lies in a working period: ``[start, end)``, or ``(start, end]``
    if *closed_end*.
    """
    local = instant.astimezone(TZ)
    if not calendar.is_working_day(local.date()):
        return False
    now = local.time()
    return any(
        (start < now <= end) if closed_end else (start <= now < end)
        for start, end in calendar.hours
    )


@settings(max_examples=200, deadline=None)
@given(
    deadline=deadlines(offsets()),
    anchor=anchors,
    day_end=day_ends,
    tolerance=st.sampled_from([ZERO, timedelta(minutes=30)]),
    calendar=calendars,
)
def test_a_deadline_is_never_before_its_anchor(deadline, anchor, day_end, tolerance, calendar):
    """Whatever the kind, clock or day end, nothing is due before the event it runs from."""
    due = due_time(deadline, anchor, rules(day_end, calendar, tolerance))

    if deadline.kind == "offset":
        assert anchor < due
    else:
        assert anchor <= due


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 10), anchor=anchors, day_end=st.sampled_from([None, CLOSE]), calendar=calendars
)
def test_working_days_end_at_the_end_of_a_working_day(n, anchor, day_end, calendar):
    """N个工作日内 is due at the close of a working day after the anchor's day."""
    due = add_offset(Offset(working_days=n), anchor, rules(day_end, calendar))

    # With a 24:00 day end the due instant is the next midnight: the last day is
    # the day of the instant just before it.
    last = (due - MICROSECOND).astimezone(TZ).date()
    assert True is calendar.is_working_day(last)
    assert anchor.date() < last
    assert (time(0) if day_end is None else day_end) == due.astimezone(TZ).time()


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 10), anchor=anchors, day_end=st.sampled_from([None, CLOSE]), calendar=calendars
)
def test_working_days_count_exactly_n(n, anchor, day_end, calendar):
    """The working days after the anchor's day, up to and including the last day, number N."""
    due = add_offset(Offset(working_days=n), anchor, rules(day_end, calendar))

    last = (due - MICROSECOND).astimezone(TZ).date()
    between = (anchor.date() + timedelta(days=k) for k in range(1, (last - anchor.date()).days))
    assert n == sum(calendar.is_working_day(day) for day in between) + 1


@settings(max_examples=200, deadline=None)
@given(
    deadline=deadlines(offsets()),
    anchor=anchors,
    later_by=st.integers(0, 4 * 24 * 60),
    day_end=day_ends,
    calendar=calendars,
)
def test_a_later_anchor_never_gives_an_earlier_deadline(
    deadline, anchor, later_by, day_end, calendar
):
    """An incident discovered later is never due sooner than one discovered earlier."""
    time_rules = rules(day_end, calendar)
    later = anchor + timedelta(minutes=later_by)

    assert due_time(deadline, anchor, time_rules) <= due_time(deadline, later, time_rules)


@settings(max_examples=200, deadline=None)
@given(hm=elapsed, anchor=anchors, calendar=calendars)
def test_pause_clock_counts_exactly_the_offset_of_working_time(hm, anchor, calendar):
    """仅计工作时间: exactly the offset of working time passes, and the deadline is in working hours."""
    amount = timedelta(hours=hm[0], minutes=hm[1])
    offset = Offset(hours=hm[0], minutes=hm[1], clock="pause")

    due = add_offset(offset, anchor, rules(calendar=calendar))

    assert amount == working_time(calendar, anchor, due)
    assert True is in_working_period(calendar, due, closed_end=True)


@settings(max_examples=200, deadline=None)
@given(hm=elapsed, anchor=anchors, calendar=calendars)
def test_shift_start_clock_starts_at_the_next_working_time(hm, anchor, calendar):
    """工作时间起算: no working time passes before the clock starts, then it runs without pause."""
    amount = timedelta(hours=hm[0], minutes=hm[1])
    offset = Offset(hours=hm[0], minutes=hm[1], clock="shift_start")

    started = add_offset(offset, anchor, rules(calendar=calendar)) - amount

    assert anchor <= started
    assert ZERO == working_time(calendar, anchor, started)
    assert True is in_working_period(calendar, started, closed_end=False)


@given(offset=offsets())
def test_any_plain_offset_round_trips_through_text(offset):
    """Writing an offset in plan-file form and reading it back loses nothing but the flags."""
    plain = Offset(
        days=offset.days,
        hours=offset.hours,
        minutes=offset.minutes,
        working_days=offset.working_days,
    )

    assert plain == parse_offset(plain.text())
