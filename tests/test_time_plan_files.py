"""
Time semantics in plan files: every new key reads into the same model as
the Python API, survives dump and load, and mistakes are located.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

import opinion_rules as o
from opinion_rules.calendars import ChinaCalendar, DataCalendar
from opinion_rules.conditions import Always, any_of, measure
from opinion_rules.deadlines import Anchor, Extension, Offset, after, immediately, recurring, until
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.windows import calendar_day, sustained


TIMED = """\
id: timed
title: 时限预案
issuer: 测试单位
version: "1"
source: tests
calendar:
  name: china
  hours: ['09:00-12:00', '13:30-17:30']
day_end: '17:30'
metrics: [clicks]
roles:
  - {id: office, name: 办公室}
measures:
  - {id: clicks_today, metric: clicks, window: calendar_day}
  - {id: clicks_week, metric: clicks, window: {sustained_days: 7}}
grades:
  - id: high
    name: 重大
    rank: 1
    criteria: clicks_today > 1000 or clicks_week > 100
    clause: {ref: "1", text: 重大}
events:
  - {id: case_claimed, label: 受理}
  - {id: extension_requested, label: 申请延期}
  - {id: subsided, label: 舆情平息}
actions:
  - id: reply
    title: 答复
    owners: [office]
    channel: web_post
    deadline:
      anchor: case_claimed
      within: 5wd
      extension: {event: extension_requested, by: 5wd, cap: 15wd}
    clause: {ref: "2", text: 次日起5个工作日内答复，可延期，最长不超过15个工作日}
  - id: remind
    title: 催办
    owners: [office]
    channel: notice
    deadline: {anchor: 'overdue:reply', within: 1d, start_next_day: true}
    clause: {ref: "3", text: 到期次日发出催办通知书}
  - id: criticise
    title: 通报批评
    owners: [office]
    channel: notice
    deadline: {anchor: 'overdue:reply+5wd', kind: immediately}
    clause: {ref: "4", text: 超过办理时限5个工作日的通报批评}
  - id: first_report
    title: 首报
    owners: [office]
    channel: phone
    deadline: {anchor: 'grade_reached:high', within: 3h, clock: pause}
    clause: {ref: "5", text: 3小时内(工作时间)报告}
  - id: follow_up
    title: 续报
    owners: [office]
    channel: written_report
    deadline: {anchor: 'action_done:first_report', per_day: 1, until: subsided}
    clause: {ref: "6", text: 每日至少续报1次，直至平息}
  - id: monitor
    title: 监测
    owners: [office]
    channel: monitoring
    deadline: {anchor: discovered, every: 2h, until: subsided}
    clause: {ref: "7", text: 每2小时报告监测情况}
  - id: notice
    title: 公告
    owners: [office]
    channel: press_release
    deadline: {anchor: discovered, within: 5d, extend_past_holiday: true}
    clause: {ref: "8", text: 5日内公告，非工作日顺延}
chains:
  - id: up
    title: 首报后续报
    hops: [first_report, follow_up]
    bound: 1d
    clause: {ref: "9", text: 逐级上报}
"""

CLAUSE = o.Clause


def python_plan() -> o.Plan:
    def act(action_id, title, channel, deadline, ref, text):
        return o.Action(action_id, title, ("office",), channel, deadline, clause=CLAUSE(ref, text))

    return o.Plan(
        id="timed",
        title="时限预案",
        issuer="测试单位",
        version="1",
        source="tests",
        calendar=ChinaCalendar(hours=((time(9), time(12)), (time(13, 30), time(17, 30)))),
        day_end=time(17, 30),
        metrics=("clicks",),
        roles=(o.Role("office", "办公室"),),
        measures=(
            o.Measure("clicks_today", "clicks", calendar_day()),
            o.Measure("clicks_week", "clicks", sustained(days=7)),
        ),
        grades=(
            o.Grade(
                "high",
                "重大",
                1,
                any_of(measure("clicks_today") > 1000, measure("clicks_week") > 100),
                CLAUSE("1", "重大"),
            ),
        ),
        events=(
            o.EventSpec("case_claimed", "受理"),
            o.EventSpec("extension_requested", "申请延期"),
            o.EventSpec("subsided", "舆情平息"),
        ),
        actions=(
            act(
                "reply",
                "答复",
                "web_post",
                after(
                    "case_claimed",
                    working_days=5,
                    extension=Extension(
                        "extension_requested",
                        Offset(working_days=5),
                        Offset(working_days=15),
                    ),
                ),
                "2",
                "次日起5个工作日内答复，可延期，最长不超过15个工作日",
            ),
            act(
                "remind",
                "催办",
                "notice",
                after("overdue:reply", days=1, start_next_day=True),
                "3",
                "到期次日发出催办通知书",
            ),
            act(
                "criticise",
                "通报批评",
                "notice",
                immediately(Anchor("overdue", "reply", Offset(working_days=5))),
                "4",
                "超过办理时限5个工作日的通报批评",
            ),
            act(
                "first_report",
                "首报",
                "phone",
                after("grade_reached:high", hours=3, clock="pause"),
                "5",
                "3小时内(工作时间)报告",
            ),
            act(
                "follow_up",
                "续报",
                "written_report",
                recurring("action_done:first_report", per_day=1, until="subsided"),
                "6",
                "每日至少续报1次，直至平息",
            ),
            act(
                "monitor",
                "监测",
                "monitoring",
                recurring("discovered", every=timedelta(hours=2), until="subsided"),
                "7",
                "每2小时报告监测情况",
            ),
            act(
                "notice",
                "公告",
                "press_release",
                after("discovered", days=5, extend_past_holiday=True),
                "8",
                "5日内公告，非工作日顺延",
            ),
        ),
        chains=(
            o.ReportChain(
                "up",
                "首报后续报",
                ("first_report", "follow_up"),
                Offset(days=1),
                CLAUSE("9", "逐级上报"),
            ),
        ),
    )


def test_every_time_key_reads_into_the_python_model():
    """A plan file using every time feature equals the same plan built in Python."""
    assert python_plan() == read_plan_text(TIMED, "yaml")


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_time_features_survive_dump_and_load(fmt: str):
    """dump_plan writes every time feature so that loading gives the same plan."""
    plan = python_plan()

    assert plan == read_plan_text(o.dump_plan(plan, fmt), fmt)


def test_data_calendar_from_a_file():
    """A plan-supplied calendar: years, holidays, make-up days, weekend and hours."""
    text = TIMED.replace(
        "  name: china\n  hours: ['09:00-12:00', '13:30-17:30']\n",
        "  name: 本地日历\n  years: [2027, 2027]\n  holidays: ['2027-02-08', 2027-02-09]\n"
        "  workdays: ['2027-02-06']\n  weekend: [6]\n  hours: ['08:30-17:00']\n",
    )

    calendar = read_plan_text(text, "yaml").calendar

    assert (
        DataCalendar(
            "本地日历",
            2027,
            2027,
            holidays={date(2027, 2, 8), date(2027, 2, 9)},
            workdays={date(2027, 2, 6)},
            weekend=(6,),
            hours=((time(8, 30), time(17)),),
        )
        == calendar
    )
    assert calendar is not None
    assert calendar.is_working_day(date(2027, 2, 6))  # Saturday, but a make-up day
    assert not calendar.is_working_day(date(2027, 2, 7))  # Sunday, the weekend


def test_day_end_24_00_is_the_default():
    """'24:00' reads as the default day end (None), which dump leaves out."""
    plan = read_plan_text(TIMED.replace("day_end: '17:30'", "day_end: '24:00'"), "yaml")

    assert plan.day_end is None
    assert "day_end" not in o.dump_plan(plan)


def problems(text: str) -> list[str]:
    with pytest.raises(PlanValidationError) as info:
        read_plan_text(text, "yaml", "plan.yaml")
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "day_end: '17:30'",
            "day_end: 17:30",
            "plan.yaml:9:10: day_end: not a time of day; quote it: YAML reads an unquoted "
            "17:30 as a number; expected 'HH:MM', e.g. '17:30' or '24:00' (got 1050, int)",
            id="unquoted time",
        ),
        pytest.param(
            "day_end: '17:30'",
            "day_end: '00:00'",
            "plan.yaml:9:10: day_end: a day cannot end at 00:00; expected '24:00' or a time "
            "such as '17:30'",
            id="day ending at midnight",
        ),
        pytest.param(
            "within: 5wd\n",
            "within: 5 weeks\n",
            "plan.yaml:33:15: actions[0].deadline.within: not a period; expected a period such "
            "as '3h', '30m', '1d', '1h30m' or '5wd' (working days) (got \"5 weeks\", text)",
            id="bad period",
        ),
        pytest.param(
            "clock: pause",
            "clock: paused",
            "plan.yaml:52:65: actions[3].deadline.clock: unknown clock 'paused'; expected one "
            "of 'calendar', 'pause', 'shift_start'; did you mean 'pause'?",
            id="misspelt clock",
        ),
        pytest.param(
            "anchor: case_claimed\n",
            "anchor: case_claimd\n",
            "plan.yaml:32:15: actions[0].deadline.anchor: event 'case_claimd' is not declared "
            "in the plan's events; expected one of 'case_claimed', 'extension_requested', "
            "'subsided'; did you mean 'case_claimed'?",
            id="misspelt anchor event",
        ),
        pytest.param(
            "'overdue:reply'",
            "'overdue:replay'",
            "plan.yaml:40:24: actions[1].deadline.anchor: action 'replay' is not defined; "
            "expected one of 'criticise', 'first_report', 'follow_up', 'monitor', 'notice', "
            "'remind', 'reply'; did you mean 'reply'?",
            id="lateness anchor on an unknown action",
        ),
        pytest.param(
            "hops: [first_report, follow_up]",
            "hops: [follow_up, first_report]",
            "plan.yaml:75:23: chains[0].hops[1]: hop 'first_report' does not run from the "
            "previous hop's completion; expected its deadline anchored on "
            "'action_done:follow_up' (got grade_reached:high)",
            id="chain out of order",
        ),
    ],
)
def test_time_mistakes_are_located(old: str, new: str, expected: str):
    """Each time-related mistake is reported at its line and column with what was expected."""
    assert old in TIMED

    assert [expected] == problems(TIMED.replace(old, new, 1))


_LONGEST = "longer than the longest supported period (36600 days)"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "within: 5wd\n",
            "within: 25001wd\n",
            "plan.yaml:33:15: actions[0].deadline.within: the period counts more than 25000 "
            "working days; expected at most 36600d, or 25000wd (got 25001wd)",
            id="too many working days",
        ),
        pytest.param(
            "cap: 15wd",
            "cap: 36601d",
            f"plan.yaml:34:61: actions[0].deadline.extension.cap: the period is {_LONGEST}; "
            "expected at most 36600d, or 25000wd (got 36601d)",
            id="extension cap",
        ),
        pytest.param(
            "cap: 15wd",
            "cap: 99999999999999999999999wd",
            f"plan.yaml:34:61: actions[0].deadline.extension.cap: the period is {_LONGEST}; "
            'expected at most 36600d, or 25000wd (got "99999999999999999999999wd", text)',
            id="huge extension cap",
        ),
        pytest.param(
            "bound: 1d",
            "bound: 36601d",
            f"plan.yaml:76:12: chains[0].bound: the period is {_LONGEST}; expected at most "
            "36600d, or 25000wd (got 36601d)",
            id="chain bound",
        ),
        pytest.param(
            "every: 2h",
            "every: 36601d",
            f"plan.yaml:64:43: actions[5].deadline.every: the duration is {_LONGEST}; "
            'expected at most 36600d (got "36601d", text)',
            id="recurrence period",
        ),
        pytest.param(
            "every: 2h",
            "every: 59s",
            "plan.yaml:64:43: actions[5].deadline.every: the recurrence is more often than once "
            "a minute (every 0:00:59); expected at least 1m",
            id="recurrence more than once a minute",
        ),
        pytest.param(
            "per_day: 1,",
            "per_day: 1441,",
            "plan.yaml:58:61: actions[4].deadline.per_day: asks for more than 1440 completions "
            "a day (one a minute); expected at most 1440",
            id="completions a day",
        ),
        pytest.param(
            "window: calendar_day}",
            "window: 36601d}",
            f"plan.yaml:14:48: measures[0].window: the duration is {_LONGEST}; expected at most "
            '36600d (got "36601d", text)',
            id="rolling window",
        ),
        pytest.param(
            "{sustained_days: 7}",
            "{sustained_days: 36601}",
            f"plan.yaml:15:47: measures[1].window: a sustained window of 36601 days is {_LONGEST}",
            id="sustained window",
        ),
        pytest.param(
            "day_end: '17:30'",
            "day_end: '17:30'\nprompt_tolerance: 36600d1s",
            f"plan.yaml:10:19: prompt_tolerance: the duration is {_LONGEST}; expected at most "
            '36600d (got "36600d1s", text)',
            id="tolerance",
        ),
    ],
)
def test_periods_past_the_supported_range_are_located(old: str, new: str, expected: str):
    """Regression: huge periods were accepted (or overflowed a timedelta) and broke evaluation."""
    assert old in TIMED

    assert [expected] == problems(TIMED.replace(old, new, 1))


def test_the_longest_supported_period_is_accepted():
    """A period of exactly 36600 days, the longest supported, is accepted as a bound and a recurrence."""
    plan = read_plan_text(
        TIMED.replace("bound: 1d", "bound: 36600d").replace("every: 2h", "every: 36600d"), "yaml"
    )

    assert timedelta(days=36600) == plan.action("monitor").deadline.recurrence.every  # type: ignore[union-attr]


def test_lint_reports_undeclared_events_and_triggers_that_never_fire():
    """check warns about event names it cannot verify and lateness anchors that never fire."""
    plan = o.Plan(
        id="lint",
        title="lint",
        issuer="tests",
        version="1",
        source="tests",
        grades=(o.Grade("g", "g", 1, Always(), CLAUSE("1", "g")),),
        roles=(o.Role("office", "办公室"),),
        actions=(
            o.Action(
                "watch",
                "watch",
                ("office",),
                "monitoring",
                until("discovered", "subsided"),
                clause=CLAUSE("2", "watch"),
            ),
            o.Action(
                "chase",
                "chase",
                ("office",),
                "notice",
                immediately("overdue:watch"),
                clause=CLAUSE("3", "chase"),
            ),
        ),
    )

    codes = {(f.code, f.path) for f in o.lint_plan(plan)}

    assert {
        ("events-undeclared", "events"),
        ("never-overdue", "actions[1].deadline.anchor"),
    } <= codes
