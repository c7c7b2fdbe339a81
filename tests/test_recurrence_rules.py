"""
Recurrences on the calendar (每月, 每季度, 每学期, 每年, 每日9时前, 每2小时整点,
次日起每日至少续报N次 by grade): RFC 5545 rules, date lists and counts by grade,
their arithmetic, status, plan-file keys, lint and render.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as du
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.authoring import lint_plan, render_plan
from opinion_rules.deadlines import Recurrence, recurring
from opinion_rules.engine._occurrences import recurring_status
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.model._recurrences import count_for
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.time._arithmetic import TICK
from opinion_rules.time._recurrence import DaysSchedule, EverySchedule, RuleSchedule
from opinion_rules.time._rrule import parse_rrule

from .strategies import recurrences
from .test_time_engine import action, done, incident, plan_with


SHANGHAI = ZoneInfo("Asia/Shanghai")
ZONES = [SHANGHAI, ZoneInfo("America/New_York"), ZoneInfo("Europe/London")]


def sh(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# -- the arithmetic against a brute-force expansion ---------------------------------

RULE_TEXTS = st.one_of(
    st.builds("FREQ=MINUTELY;INTERVAL={}".format, st.sampled_from([20, 30, 45, 60, 90, 150])),
    st.builds(
        lambda n, m: f"FREQ=HOURLY;INTERVAL={n}" + (f";BYMINUTE={m}" if m is not None else ""),
        st.integers(1, 5),
        st.one_of(st.none(), st.integers(0, 59)),
    ),
    st.builds(
        lambda hours, m: f"FREQ=DAILY;BYHOUR={','.join(map(str, sorted(hours)))};BYMINUTE={m}",
        st.sets(st.integers(0, 23), min_size=1, max_size=4),
        st.sampled_from([0, 30]),
    ),
    st.builds(
        lambda days, n: f"FREQ=WEEKLY;INTERVAL={n};BYDAY={','.join(sorted(days))}",
        st.sets(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1),
        st.integers(1, 2),
    ),
    st.builds(
        lambda d: f"FREQ=MONTHLY;BYMONTHDAY={d};BYHOUR=2;BYMINUTE=30",
        st.sampled_from([1, 15, 31, -1]),
    ),
    st.sampled_from(["FREQ=DAILY;COUNT=5", "FREQ=HOURLY;INTERVAL=7;UNTIL=20250320T000000"]),
)
# Starts near the DST changes of 2025 (US 03-09 and 11-02, EU 03-30 and 10-26).
STARTS = st.builds(
    lambda day, minutes, second: (
        datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day, minutes=minutes, seconds=second)
    ),
    st.sampled_from([10, 65, 66, 67, 86, 87, 296, 297, 304, 305]),
    st.integers(0, 1440),
    st.sampled_from([0, 23]),
)


def brute(rule_text: str, start: datetime, tz: ZoneInfo, upto: datetime) -> list[datetime]:
    """Every due instant in (start, upto] by expanding the rule from its start, UTC, sorted."""
    rule = parse_rrule(rule_text)
    dtstart = start.astimezone(tz).replace(tzinfo=None, microsecond=0)
    until = rule.until_instant(tz)
    out: set[datetime] = set()
    for n in du.rrule(dtstart=dtstart, cache=False, **rule.kwargs(dtstart)):
        if n > upto.astimezone(tz).replace(tzinfo=None) + timedelta(days=1):
            break
        instant = n.replace(tzinfo=tz).astimezone(UTC)
        if start < instant <= upto and (until is None or instant <= until):
            out.add(instant)
    dues = sorted(out)
    return dues if rule.count is None else dues[: rule.count]


@given(RULE_TEXTS, STARTS, st.sampled_from(ZONES), st.integers(1, 20 * 24), st.data())
def test_rule_occurrences_equal_a_brute_force_expansion(rule_text, start, tz, hours, data):
    """A rule's dues and counts equal expanding it from the start: increasing, after it, DST-exact."""
    upto = start + timedelta(hours=hours)
    expected = brute(rule_text, start, tz, upto)
    schedule = RuleSchedule(parse_rrule(rule_text), start, tz)

    listed = [d.astimezone(UTC) for d in itertools.islice(schedule.after(start), len(expected))]
    lo = start + timedelta(hours=data.draw(st.integers(0, hours)))

    assert expected == listed
    assert all(a < b for a, b in itertools.pairwise(listed))
    assert all(d > start for d in listed)
    assert len(expected) == schedule.count(start, upto)
    assert sum(1 for d in expected if d > lo) == schedule.count(lo, upto)


@given(st.integers(1, 600), STARTS, st.integers(1, 30 * 24))
def test_every_schedule_counts_like_stepping(minutes, start, hours):
    """every: the k-th due is start + k × every, and counts agree with stepping through them."""
    every = timedelta(minutes=minutes)
    upto = start + timedelta(hours=hours)
    schedule = EverySchedule(start, every)
    stepped = [start + k * every for k in range(1, hours * 60 // minutes + 7)]

    assert stepped[:5] == list(itertools.islice(schedule.after(start), 5))
    assert sum(1 for d in stepped if d <= upto) == schedule.count(start, upto)


@given(STARTS, st.sampled_from(ZONES), st.integers(1, 60))
def test_day_schedule_is_one_due_per_day_end(start, tz, days):
    """per_day: one due per local day end, from the first day that ends after the start."""

    def end_of(day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)

    schedule = DaysSchedule(start, tz, end_of)
    dues = list(itertools.islice(schedule.after(start), days))

    assert end_of(start.astimezone(tz).date()) == dues[0]
    assert all(b == end_of(a.astimezone(tz).date()) for a, b in itertools.pairwise(dues))
    assert days == schedule.count(start, dues[-1])


# -- the status against a period-by-period reference --------------------------------

PLAN = plan_with(action("r", recurring("discovered", per_day=1)))
RANKS = {"minor": 1, "major": 2}


def reference(recurrence, start, at, done, end, grades):
    """The documented semantics, one period at a time: (missed, next due, status)."""
    rules = PLAN.time_rules
    schedule = recurrence.schedule(start, rules)
    begin = recurrence.first_start(start, rules)
    done = [d for d in done if d >= begin]

    def rank_at(t):
        ranks = [r for when, r in grades if when <= t]
        return ranks[-1] if ranks else None

    missed, next_due, opens = [], None, begin
    for due in schedule.after(begin - TICK):
        if end is not None and due > end:
            break
        inside = sum(1 for d in done if (d >= opens if opens == begin else d > opens) and d <= due)
        needed = count_for(recurrence.counts, RANKS, rank_at(min(due, at)))
        if at > due:
            if needed and inside < needed:
                missed.append(due)
        elif needed == 0:
            break
        elif inside < needed:
            next_due = due
            break
        opens = due
        if due > at + timedelta(days=40):
            break
    if end is not None:
        return missed, None, "done_late" if missed else "done"
    return missed, next_due, "overdue" if missed else "pending"


FORMS = st.one_of(
    recurrences(st.just("discovered"), ("minor", "major")).map(lambda d: d.recurrence),
)


@given(
    FORMS,
    st.integers(0, 3 * 24 * 60),
    st.lists(st.integers(0, 4 * 24 * 60), max_size=8),
    st.integers(0, 4 * 24 * 60),
    st.one_of(st.none(), st.integers(0, 4 * 24 * 60)),
    st.lists(st.tuples(st.integers(0, 4 * 24 * 60), st.sampled_from([1, 2])), max_size=2),
)
def test_recurring_status_equals_the_period_by_period_reference(
    recurrence, start_m, done_m, at_m, end_m, grade_m
):
    """missed (listed and counted), the next due and the status equal walking period by period."""
    base = datetime(2026, 11, 23, tzinfo=SHANGHAI)
    start = base + timedelta(minutes=start_m)
    at = start + timedelta(minutes=at_m)
    done = sorted(d for m in done_m if (d := base + timedelta(minutes=m)) <= at)
    end = None if end_m is None else start + timedelta(minutes=end_m)
    if end is not None and end > at:
        end = None
    grades = sorted((start + timedelta(minutes=m), r) for m, r in grade_m)
    grades = [(t, r) for t, r in grades if t <= at]
    result = recurring_status(recurrence, start, at, done, end, PLAN.time_rules, RANKS, grades)

    missed, next_due, status = reference(recurrence, start, at, done, end, grades)

    assert missed[:100] == list(result.missed)
    assert len(missed) == result.missed_count
    assert (next_due if end is None else None) == result.due
    assert status == result.status


@given(FORMS, st.integers(0, 2 * 24 * 60), st.lists(st.integers(0, 5 * 24 * 60), max_size=8))
def test_missed_occurrences_only_grow_as_of_later_instants(recurrence, t1_m, done_m):
    """As of a later instant (knowing more completions) the missed list and count only grow."""
    start = datetime(2026, 11, 23, 9, 17, tzinfo=SHANGHAI)
    t1 = start + timedelta(minutes=t1_m)
    t2 = t1 + timedelta(hours=30)
    done = sorted(start + timedelta(minutes=m) for m in done_m)

    def as_of(t):
        known = [d for d in done if d <= t]
        return recurring_status(recurrence, start, t, known, None, PLAN.time_rules, {}, ())

    first, later = as_of(t1), as_of(t2)

    assert first.missed_count <= later.missed_count
    assert set(first.missed) <= set(later.missed) or later.missed_count > 100


# -- the phrases, through the engine --------------------------------------------------


def evaluate(deadline, *events, when, discovered=None, **facts):
    engine = o.Engine(plan_with(action("r", deadline)))
    return engine.evaluate(incident(*events, discovered=discovered, **facts), at=when)


def test_daily_report_before_nine_is_due_at_nine_each_day():
    """每日9时前报送: one occurrence a day, due at 09:00; a report at 08:30 covers that day."""
    result = evaluate(
        recurring("discovered", rule="FREQ=DAILY;BYHOUR=9"),
        done("r", sh(1, 25, 8, 30)),
        done("r", sh(1, 26, 7)),
        when=sh(1, 27, 10),
    )
    status = result.action("r")

    assert (sh(1, 27, 9),) == status.missed
    assert sh(1, 28, 9) == status.due
    assert "overdue" == status.status
    assert sh(1, 28, 9) + TICK == result.next_change


def test_every_two_hours_on_the_hour_is_due_at_each_even_hour():
    """每2小时(整点): due at 12:00, 14:00, … whatever minute the duty started."""
    rule = "FREQ=DAILY;BYHOUR=0,2,4,6,8,10,12,14,16,18,20,22;BYMINUTE=0"
    status = evaluate(
        recurring("discovered", rule=rule), done("r", sh(1, 24, 11)), when=sh(1, 24, 14, 30)
    ).action("r")

    assert (sh(1, 24, 14),) == status.missed
    assert sh(1, 24, 16) == status.due


def test_each_term_of_the_school_calendar_is_one_occurrence():
    """每学期(按学校校历): a date list; each listed day is due at its end."""
    terms = [date(2025, 2, 17), date(2025, 9, 1)]
    status = evaluate(
        recurring("discovered", dates=terms), when=sh(3, 1), discovered=sh(1, 6)
    ).action("r")

    assert (sh(2, 18),) == status.missed
    assert sh(9, 2) == status.due


def test_monthly_on_the_first_is_due_by_that_day_end():
    """每月1日 (at_day_end): due at the end of each 1st; a report that day covers it."""
    status = evaluate(
        recurring("discovered", rule="FREQ=MONTHLY;BYMONTHDAY=1", at_day_end=True),
        done("r", sh(3, 1, 15)),
        done("r", sh(4, 1, 10)),
        when=sh(4, 5),
        discovered=sh(1, 24),
    ).action("r")

    assert (sh(2, 2),) == status.missed
    assert sh(5, 2) == status.due


def test_follow_ups_from_the_next_day_owe_the_grade_count():
    """次日起每日至少续报2次 at 重大, 1 at 一般: the grade in force at each day end sets it."""
    deadline = recurring("discovered", per_day={"minor": 1, "major": 2}, start_next_day=True)
    events = [done("r", sh(1, 24, 20)), done("r", sh(1, 25, 9)), done("r", sh(1, 26, 9))]

    minor = evaluate(deadline, *events, when=sh(1, 27, 1), level="minor").action("r")
    major = evaluate(deadline, *events, when=sh(1, 27, 1), level="major").action("r")

    assert ((), sh(1, 28)) == (minor.missed, minor.due)
    assert ((sh(1, 26), sh(1, 27)), sh(1, 28)) == (major.missed, major.due)


def test_a_duty_every_minute_ten_years_back_lists_the_first_hundred_and_counts_all():
    """A minute duty missed for ten years: 100 listed, every one counted, the next one due."""
    start = sh(1, 1, year=2015)
    at = sh(1, 1, year=2025)
    for recurrence in (Recurrence(every=timedelta(minutes=1)), Recurrence(rule="FREQ=MINUTELY")):
        result = recurring_status(recurrence, start, at, [], None, PLAN.time_rules, {}, ())

        assert 100 == len(result.missed)
        assert start + timedelta(minutes=1) == result.missed[0]
        assert (at - start) // timedelta(minutes=1) - 1 == result.missed_count
        assert at == result.due


def test_a_skipped_wall_clock_time_is_read_as_rfc_5545_says():
    """每日2:30 in New York on the spring-forward day falls at 03:30 EDT (the offset before the gap)."""
    tz = ZoneInfo("America/New_York")
    schedule = RuleSchedule(
        parse_rrule("FREQ=DAILY;BYHOUR=2;BYMINUTE=30"), datetime(2025, 3, 8, 12, tzinfo=tz), tz
    )

    dues = list(itertools.islice(schedule.after(datetime(2025, 3, 8, 12, tzinfo=tz)), 2))

    assert [datetime(2025, 3, 9, 7, 30, tzinfo=UTC), datetime(2025, 3, 10, 6, 30, tzinfo=UTC)] == [
        d.astimezone(UTC) for d in dues
    ]


def test_the_missed_count_reaches_the_json_and_the_table():
    """missed_count is in the JSON next to missed, and the table says how many more there are."""
    result = evaluate(
        recurring("discovered", every=timedelta(minutes=1)),
        when=sh(1, 24, 12),
        discovered=sh(1, 24, 10),
    )

    assert 119 == result.to_dict()["actions"][0]["missed_count"]
    assert 100 == len(result.to_dict()["actions"][0]["missed"])


# -- the model refuses what cannot work -----------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"rule": "FREQ=SECONDLY"}, "FREQ must be one of"),
        ({"rule": "FREQ=DAILY;DTSTART=20250101"}, "no DTSTART"),
        ({"rule": "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30"}, "never fires"),
        ({"rule": "FREQ=DAILY;COUNT=2;UNTIL=20250101"}, "not both"),
        ({"rule": "FREQ=DAILY;BYHOUR=9", "at_day_end": True}, "at_day_end"),
        ({"every": timedelta(hours=1), "rule": "FREQ=DAILY"}, "exactly one"),
        ({"per_day": 0}, ">= 1"),
        ({"per_day": 1, "times": 2}, "'times' goes with"),
        ({"dates": []}, "at least one date"),
    ],
)
def test_recurrences_that_cannot_work_are_refused(kwargs, words):
    """Malformed recurrences are refused at construction with a message naming the problem."""
    with pytest.raises((TypeError, ValueError), match=words):
        Recurrence(**kwargs)


# -- plan files --------------------------------------------------------------------------

PLAN_FILE = """\
id: recur
title: 续报
issuer: tests
version: "1"
source: tests
facts:
  - {id: level, type: enum, choices: [minor, major], ordered: true}
roles: [{id: office, name: 办公室}]
grades:
  - {id: minor, name: 一般, rank: 1, criteria: level >= minor, clause: {ref: "1", text: 一般}}
  - {id: major, name: 重大, rank: 2, criteria: level >= major, clause: {ref: "2", text: 重大}}
actions:
  - id: daily
    title: 每日9时前报送
    owners: [office]
    channel: written_report
    deadline: {anchor: discovered, rule: 'FREQ=DAILY;BYHOUR=9'}
    clause: {ref: "3", text: 每日9时前报送}
  - id: terms
    title: 每学期报告
    owners: [office]
    channel: written_report
    deadline: {anchor: discovered, dates: ['2025-02-17', '2025-09-01T08:00']}
    clause: {ref: "4", text: 每学期}
  - id: follow
    title: 续报
    owners: [office]
    channel: written_report
    deadline: {anchor: discovered, per_day: {minor: 1, major: 2}, start_next_day: true}
    clause: {ref: "5", text: 次日起每日至少续报}
  - id: monthly
    title: 每月1日
    owners: [office]
    channel: written_report
    deadline: {anchor: discovered, rule: 'FREQ=MONTHLY;BYMONTHDAY=1', at_day_end: true, times: 2}
    clause: {ref: "6", text: 每月1日}
"""


def test_recurrence_keys_read_and_write_back():
    """rule, dates, per_day by grade, times, at_day_end and start_next_day survive dump and load."""
    plan = read_plan_text(PLAN_FILE, "yaml")
    follow = plan.action("follow").deadline.recurrence

    assert (("minor", 1), ("major", 2)) == follow.per_day
    assert follow.start_next_day
    terms = plan.action("terms").deadline.recurrence.dates
    assert (date(2025, 2, 17), datetime(2025, 9, 1, 8)) == terms  # noqa: DTZ001 - wall clock
    for fmt in ("yaml", "json", "toml"):
        assert plan == read_plan_text(o.dump_plan(plan, fmt), fmt)


@given(recurrences(st.just("discovered"), ("minor", "major")))
def test_generated_recurrences_survive_dump_and_load(deadline):
    """Every generated recurrence form reads back equal from YAML and JSON."""
    plan = plan_with(action("r", deadline), events=())

    for fmt in ("yaml", "json"):
        assert plan == read_plan_text(o.dump_plan(plan, fmt), fmt)


@pytest.mark.parametrize(
    ("old", "new", "path", "words"),
    [
        ("FREQ=DAILY;BYHOUR=9", "FREQ=DAILY;BYHOUR=25", "actions[0].deadline.rule", "BYHOUR"),
        (
            "{minor: 1, major: 2}",
            "{minor: 1, huge: 2}",
            "actions[2].deadline.per_day.huge",
            "not defined",
        ),
        ("'2025-02-17'", "'2025-02-30'", "actions[1].deadline.dates[0]", "expected a date"),
    ],
)
def test_bad_recurrence_keys_are_located(old, new, path, words):
    """A bad rule, an unknown grade in counts and a bad date are located problems."""
    with pytest.raises(PlanValidationError) as info:
        read_plan_text(PLAN_FILE.replace(old, new), "yaml", "plan.yaml")

    assert any(p.path == path and words in p.message for p in info.value.problems), info.value


# -- lint and render -------------------------------------------------------------------


def findings(deadline, today=None):
    plan = plan_with(action("r", deadline))
    return [(f.code, f.path) for f in lint_plan(plan, today=today) if "recurrence" in f.code]


def test_lint_finds_recurrences_that_never_fire_and_counts_of_zero():
    """never fires: a rule no start reaches, an UNTIL or dates before today; a count of 0."""
    where = "actions[0].deadline"
    today = date(2025, 6, 1)

    assert [("recurrence-never-fires", f"{where}.rule")] == findings(
        recurring("discovered", rule="FREQ=MONTHLY;INTERVAL=12;BYMONTH=2")
    )
    assert [("recurrence-never-fires", f"{where}.rule")] == findings(
        recurring("discovered", rule="FREQ=DAILY;UNTIL=20250101"), today
    )
    assert [("recurrence-never-fires", f"{where}.dates")] == findings(
        recurring("discovered", dates=[date(2025, 2, 17)]), today
    )
    assert [("recurrence-zero-count", f"{where}.per_day.minor")] == findings(
        recurring("discovered", per_day={"minor": 0, "major": 2})
    )
    assert [] == findings(recurring("discovered", rule="FREQ=DAILY;BYHOUR=9"), today)


@pytest.mark.parametrize(
    ("kwargs", "zh", "en"),
    [
        ({"rule": "FREQ=MONTHLY;BYMONTHDAY=1", "at_day_end": True}, "每月1日", "monthly on day 1"),
        (
            {"rule": "FREQ=DAILY;BYHOUR=0,2,4,6,8,10,12,14,16,18,20,22;BYMINUTE=0"},
            "每2小时整点",
            "every 2 hours on the hour",
        ),
        ({"rule": "FREQ=DAILY;BYHOUR=9"}, "每日9时前", "daily by 09:00"),
        (
            {"rule": "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1", "at_day_end": True},
            "每季度最后一日",
            "quarterly",
        ),
        (
            {"rule": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", "at_day_end": True},
            "每年12月31日",
            "yearly in December on day 31",
        ),
        ({"dates": [date(2025, 9, 1)]}, "于所列日期(2025-09-01)各一次", "on 2025-09-01"),
        (
            {"per_day": {"minor": 1, "major": 2}, "start_next_day": True},
            "次日起每日至少续报(按级别: 一般1次、重大2次)",
            "from the next day, at least a number of times a day by grade (一般 1, 重大 2)",
        ),
    ],
)
def test_render_says_the_recurrence_in_chinese_and_english(kwargs, zh, en):
    """The rendered plan says each recurrence in plain Chinese and English."""
    plan = plan_with(action("r", recurring("discovered", **kwargs)))

    assert zh in render_plan(plan, lang="zh")
    assert en in render_plan(plan, lang="en")


def test_existing_recurrence_words_are_unchanged():
    """每日至少1次 and 每2小时一次 read as before."""
    assert "每日至少1次，直至subsided" == Recurrence(per_day=1, until="subsided").describe()
    assert "每2小时一次" == Recurrence(every=timedelta(hours=2)).describe()
    assert "at least 1 time(s) a day" == Recurrence(per_day=1).describe_en()
