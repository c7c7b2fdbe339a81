"""
The calendar horizon: a year the China calendar does not cover is added from
the State Council's notice as a year schedule, and until it is, evaluation
keeps going: only the duties whose due time needs that year are undecided.

tests/data/china-2027-invented.yaml is INVENTED data with the shape of a
notice (the real 2027 schedule is not known to these tests);
examples/calendars/china-2026.yaml is the real 2026 notice, checked here
against the chinesecalendar package day by day.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

import opinion_rules as o
from opinion_rules import deadlines
from opinion_rules.calendars import (
    ChinaCalendar,
    DataCalendar,
    Festival,
    YearSchedule,
    load_year_schedule,
)
from opinion_rules.cli._main import main
from opinion_rules.conditions import fact
from opinion_rules.deadlines import Offset
from opinion_rules.exceptions import CalendarRangeError, PlanValidationError
from opinion_rules.planfile import plan_schema
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.planfile._schedules import read_year_schedule, schedule_to_data

from .conftest import ROOT
from .test_time_engine import CLAUSE, action


TZ = ZoneInfo("Asia/Shanghai")
REAL_2026 = ROOT / "examples" / "calendars" / "china-2026.yaml"
INVENTED_2027 = ROOT / "tests" / "data" / "china-2027-invented.yaml"
GAP = "calendar 'china' has no data for 2027; add the year's schedule"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def plan(*extra_actions: o.Action, **fields: object) -> o.Plan:
    """An hour-based duty, a working-day duty and a reminder when that one is late."""
    defaults: dict[str, object] = {
        "id": "horizon",
        "title": "horizon test",
        "issuer": "tests",
        "version": "1",
        "source": "tests",
        "grades": (o.Grade("minor", "一般", 1, fact("level") >= "minor", CLAUSE),),
        "facts": (o.FactSpec("level", type="enum", choices=("minor", "major"), ordered=True),),
        "roles": (o.Role("office", "办公室"),),
        "actions": (
            action("phone", deadlines.after("discovered", hours=3)),
            action("reply", deadlines.after("discovered", working_days=5)),
            action("remind", deadlines.after("overdue:reply", hours=1)),
            *extra_actions,
        ),
        "calendar": ChinaCalendar(),
    }
    defaults.update(fields)
    return o.Plan(**defaults)  # type: ignore[arg-type]


def incident(discovered: str = "2027-01-08 10:00", events: tuple[dict, ...] = ()) -> o.Incident:
    return o.Incident.from_dict(
        {
            "id": "H-1",
            "discovered_at": at(discovered).isoformat(),
            "facts": {"level": "minor"},
            "events": list(events),
        }
    )


def done(action_id: str, when: str) -> dict[str, str]:
    return {"at": at(when).isoformat(), "type": "action_done", "action": action_id}


# -- the schedule files ------------------------------------------------------------------


def test_the_2026_notice_as_a_schedule_agrees_with_the_package_on_every_day():
    """The bundled example is the real 2026 notice: same working days as chinesecalendar."""
    schedule = load_year_schedule(REAL_2026)
    package = ChinaCalendar()
    transcribed = ChinaCalendar(schedules=(schedule,))

    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]

    assert 2026 == schedule.year
    assert [package.is_working_day(d) for d in days] == [
        transcribed.is_working_day(d) for d in days
    ]


def test_a_schedule_extends_the_covered_years():
    """Adding 2027 moves the horizon; a gap year stays uncovered."""
    first, last = ChinaCalendar().years
    added = ChinaCalendar().with_schedules(load_year_schedule(INVENTED_2027))

    assert (2026, (first, 2027)) == (last, added.years)
    assert True is added.is_working_day(date(2027, 1, 31))  # an invented make-up Sunday
    assert False is added.is_working_day(date(2027, 2, 8))  # inside the invented 春节
    with pytest.raises(CalendarRangeError, match="2028"):
        added.is_working_day(date(2028, 1, 3))


def festivals_2027(**changes: object) -> list[Festival]:
    """The invented 2027 festivals, with some replaced by name."""
    schedule = load_year_schedule(INVENTED_2027)
    out = []
    for festival in schedule.festivals:
        name = festival.names[0]
        if name in changes:
            if changes[name] is not None:
                out.append(changes[name])
        else:
            out.append(festival)
    return out  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("festivals", "message"),
    [
        pytest.param(
            festivals_2027(国庆节=None), r"incomplete: no days off for \['国庆节'\]", id="缺国庆"
        ),
        pytest.param(
            [*festivals_2027(), Festival(("端午节",), (date(2027, 6, 10), date(2027, 6, 10)))],
            r"scheduled twice: \['端午节'\]",
            id="端午两次",
        ),
        pytest.param(
            festivals_2027(国庆节=Festival(("国庆节",), (date(2027, 10, 2), date(2027, 10, 7)))),
            "do not include 2027-10-01",
            id="国庆不含10-01",
        ),
        pytest.param(
            festivals_2027(中秋节=Festival(("中秋节",), (date(2027, 10, 7), date(2027, 10, 8)))),
            "2027-10-07 is scheduled twice",
            id="重叠",
        ),
        pytest.param(
            festivals_2027(清明节=Festival(("清明节",), (date(2028, 4, 3), date(2028, 4, 5)))),
            "2028-04-03 is outside 2027",
            id="年份不符",
        ),
    ],
)
def test_an_incomplete_or_inconsistent_year_is_refused(festivals, message):
    """A year is complete or refused: every festival once, no overlaps, days in the year."""
    with pytest.raises(ValueError, match=message):
        YearSchedule(2027, "test", festivals)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {
                "names": ("春节",),
                "days_off": (date(2027, 2, 6), date(2027, 2, 14)),
                "workdays": (date(2027, 2, 17),),
            },
            "is a Wednesday",
            id="调休在工作日",
        ),
        pytest.param(
            {
                "names": ("春节",),
                "days_off": (date(2027, 2, 6), date(2027, 2, 14)),
                "workdays": (date(2027, 2, 13),),
            },
            "inside the days off",
            id="调休在假期内",
        ),
        pytest.param(
            {"names": ("元旦",), "days_off": (date(2026, 12, 1), date(2027, 1, 1))},
            "no notice gives more than 15",
            id="假期过长",
        ),
        pytest.param(
            {"names": ("腊八",), "days_off": (date(2027, 1, 15), date(2027, 1, 15))},
            "not a statutory festival",
            id="非法定节日",
        ),
        pytest.param(
            {"names": ("春节",), "days_off": (date(2027, 2, 14), date(2027, 2, 6))},
            "ends .* before it starts",
            id="倒序",
        ),
    ],
)
def test_a_festival_item_that_cannot_be_is_refused(kwargs, message):
    """Make-up working days are weekend days outside the break; names are statutory festivals."""
    with pytest.raises(ValueError, match=message):
        Festival(**kwargs)


def test_new_years_days_off_may_start_in_the_year_before():
    """2023's notice: 元旦 2022-12-31 to 2023-01-02; those days are decided by the new year's data."""
    festivals = festivals_2027(元旦=Festival(("元旦",), (date(2026, 12, 31), date(2027, 1, 2))))
    calendar = ChinaCalendar(schedules=(YearSchedule(2027, "test", festivals),))

    assert False is calendar.is_working_day(date(2026, 12, 31))  # a Thursday, now off
    assert True is calendar.is_working_day(date(2026, 12, 30))  # the package decides


NATIONAL_DAY = (
    "  - {name: 国庆节, days_off: [2027-10-01, 2027-10-07], workdays: [2027-09-26, 2027-10-09]}\n"
)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            NATIONAL_DAY,
            "",
            "china-2027.yaml:7:3: festivals: the 2027 schedule is incomplete: no days off for "
            "['国庆节']; expected all of ['元旦', '春节', '清明节', '劳动节', '端午节', '中秋节', "
            "'国庆节'], as every notice schedules them",
            id="缺国庆",
        ),
        pytest.param(
            "days_off: 2027-06-09",
            "days_off: '2027-06-31'",
            "china-2027.yaml:11:27: festivals[4].days_off: not a date; expected 'YYYY-MM-DD', "
            "e.g. '2025-01-28' (got \"2027-06-31\", text)",
            id="日期不存在",
        ),
        pytest.param(
            "days_off: 2027-06-09",
            "days: 2027-06-09",
            "china-2027.yaml:11:17: festivals[4]: unknown key 'days'",
            id="键名拼错",
        ),
    ],
)
def test_schedule_file_errors_are_located(old, new, expected):
    """A mistake in a schedule file is reported at its line and column, like a plan file."""
    text = INVENTED_2027.read_text(encoding="utf-8").replace(old, new)

    with pytest.raises(PlanValidationError) as info:
        read_year_schedule(text, "yaml", "china-2027.yaml")

    assert expected in str(info.value)


def test_a_schedule_round_trips_through_its_file_form():
    """What schedule_to_data writes reads back as the same schedule, in every format."""
    schedule = load_year_schedule(INVENTED_2027)

    assert schedule == read_year_schedule(json.dumps(schedule_to_data(schedule)), "json")


# -- evaluation across the horizon ----------------------------------------------------------


@pytest.fixture
def horizon_engine(backend) -> o.Engine:
    return o.Engine(plan(), backend=backend)


def test_hour_based_duties_go_on_and_working_day_duties_are_undecided(horizon_engine):
    """At 2027-01-10 with no 2027 data: the 3-hour duty is as usual; the 5-working-day one says why not."""
    result = horizon_engine.evaluate(incident(), at=at("2027-01-10 12:00"))

    phone, reply, remind = result.action("phone"), result.action("reply"), result.action("remind")
    assert ("overdue", at("2027-01-08 13:00")) == (phone.status, phone.due)
    assert ("undecided", None) == (reply.status, reply.due)
    assert GAP in reply.reason
    assert "not before 2027-01-09T00:00:00+08:00" in reply.reason
    assert "undecided" == remind.status  # late or not depends on reply's due
    assert [
        ("action", "reply", ("calendar:china:2027",)),
        ("action", "remind", ("calendar:china:2027",)),
    ] == [(u.kind, u.id, u.needs) for u in result.undecided]
    assert {f"undecided: {GAP}"} == {u.reason for u in result.undecided}
    assert "minor" == result.grade.id


def test_adding_the_year_makes_the_due_times_exact(backend):
    """The same evaluation with the 2027 schedule added: every due time is computed."""
    schedule = load_year_schedule(INVENTED_2027)
    engine = o.Engine(plan().with_schedules(schedule), backend=backend)

    result = engine.evaluate(incident(), at=at("2027-01-20 12:00"))

    assert (at("2027-01-16 00:00"), "overdue") == (
        result.action("reply").due,
        result.action("reply").status,
    )  # Mon 01-11 .. Fri 01-15
    assert at("2027-01-16 01:00") == result.action("remind").due
    assert () == result.undecided


def test_a_duty_done_before_its_earliest_possible_due_is_done(horizon_engine):
    """Done on 01-08: before 01-09, the earliest the working-day deadline can fall, so on time."""
    result = horizon_engine.evaluate(
        incident(events=(done("reply", "2027-01-08 16:00"),)), at=at("2027-01-10 12:00")
    )

    assert "done" == result.action("reply").status
    assert "remind" not in {a.id for a in result.actions if a.status != "waiting"}
    assert () == result.undecided


def test_before_the_earliest_possible_due_a_lateness_trigger_is_still_waiting(horizon_engine):
    """On 01-08 evening nothing can be late yet: the reminder is waiting, not undecided."""
    result = horizon_engine.evaluate(incident(), at=at("2027-01-08 20:00"))

    assert "waiting" == result.action("remind").status
    assert "undecided" == result.action("reply").status


def test_a_chain_bound_in_an_uncovered_year_is_undecided():
    """A whole-chain limit in working days that reaches 2027 is undecided too."""
    chained = plan(
        action("written", deadlines.after("action_done:reply", hours=2)),
        chains=(o.ReportChain("c", "chain", ("reply", "written"), Offset(working_days=10)),),
    )

    result = o.Engine(chained).evaluate(incident(), at=at("2027-01-10 12:00"))

    assert ("undecided", None) == (result.chains[0].status, result.chains[0].due)


# -- the command line ---------------------------------------------------------------------


PLAN_FILE = """\
id: horizon
title: horizon test
issuer: tests
version: '1'
source: tests
timezone: Asia/Shanghai
calendar: china
grades:
  - {id: minor, name: 一般, rank: 1, criteria: always, clause: {ref: T, text: t}}
roles:
  - {id: office, name: 办公室}
actions:
  - id: phone
    title: 电话报告
    owners: [office]
    channel: phone
    deadline: {anchor: discovered, within: 3h}
    clause: {ref: T, text: t}
  - id: reply
    title: 书面答复
    owners: [office]
    channel: written_report
    deadline: {anchor: discovered, within: 5wd}
    clause: {ref: T, text: t}
"""


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    plan_path = tmp_path / "horizon.yaml"
    plan_path.write_text(PLAN_FILE, encoding="utf-8")
    incident_path = tmp_path / "incident.json"
    incident_path.write_text(
        json.dumps({"id": "H-1", "discovered_at": "2027-01-08T10:00:00+08:00"}), encoding="utf-8"
    )
    return plan_path, incident_path


def test_the_cli_still_exits_0_and_warns_about_the_missing_year(files):
    """One line on stderr names the year, the fix and the undecided duties; the report shows them."""
    plan_path, incident_path = files

    code, out, err = cli(
        "evaluate", str(plan_path), str(incident_path), "--at", "2027-01-10T12:00:00+08:00"
    )

    assert 0 == code
    assert (
        f"opinion-rules: warning: {GAP} (see docs/how-to/add-a-calendar-year.md); "
        "undecided until then: reply\n"
    ) == err
    assert re.search(r"^undecided +undecided +reply: 书面答复", out, re.MULTILINE)
    assert f"undecided action 书面答复 (reply): {GAP}" in out
    assert re.search(r"^overdue +2027-01-08 13:00 +phone: 电话报告", out, re.MULTILINE)


def test_the_cli_adds_a_year_schedule(files):
    """--calendar-year FILE: the due time is exact and nothing is undecided."""
    plan_path, incident_path = files

    code, out, err = cli(
        "evaluate",
        str(plan_path),
        str(incident_path),
        "--at",
        "2027-01-10T12:00:00+08:00",
        "--calendar-year",
        str(INVENTED_2027),
        "--json",
    )

    reply = next(a for a in json.loads(out)["actions"] if a["id"] == "reply")
    assert (0, "") == (code, err)
    assert ("2027-01-16T00:00:00+08:00", "pending") == (reply["due"], reply["status"])


@pytest.mark.parametrize(
    ("today", "code"),
    [
        ("2026-12-06", "calendar-ends"),
        ("2027-01-10", "calendar-ended"),
    ],
)
def test_check_warns_when_the_calendar_ends_soon(files, today, code):
    """Within 60 days of the calendar's last day, check says so and how to fix it."""
    plan_path, _ = files

    exit_code, out, _ = cli("check", str(plan_path), "--today", today, "--json")

    findings = json.loads(out)["plans"][0]["findings"]
    assert 0 == exit_code  # a warning, not an error
    assert [code] == [f["code"] for f in findings]
    assert "add the 2027 schedule" in findings[0]["message"]


def test_check_is_quiet_when_the_next_year_is_added(files):
    """With 2027 added, 2026-12-06 is a year from the end: nothing to say."""
    plan_path, _ = files

    code, out, _ = cli(
        "check", str(plan_path), "--today", "2026-12-06", "--calendar-year", str(INVENTED_2027)
    )

    assert (0, f"{plan_path}: ok\n") == (code, out)


def test_check_judges_the_horizon_from_today_by_default(files):
    """Without --today the command line reads the clock (pinned here) in the plan's timezone."""
    plan_path, _ = files

    with time_machine.travel(datetime(2026, 11, 1, 9, tzinfo=TZ), tick=False):
        early = cli("check", str(plan_path))
    with time_machine.travel(datetime(2026, 12, 6, 9, tzinfo=TZ), tick=False):
        late = cli("check", str(plan_path))

    assert f"{plan_path}: ok\n" == early[1]
    assert "warning[calendar-ends]" in late[1]
    assert "61 days" not in late[1]
    assert "25 days from today (2026-12-06)" in late[1]


def test_check_refuses_a_bad_today(files):
    """check --today with a date not in YYYY-MM-DD form exits 2 naming the option and the expected form."""
    plan_path, _ = files

    code, _, err = cli("check", str(plan_path), "--today", "6 Dec")

    assert 2 == code
    assert "--today" in err
    assert "YYYY-MM-DD" in err


def test_a_bad_year_file_is_bad_input(files, tmp_path):
    """A broken schedule file on the command line: one located line, exit 2."""
    plan_path, incident_path = files
    broken = tmp_path / "china-2027.yaml"
    broken.write_text("year: 2027\nsource: x\nfestivals: []\n", encoding="utf-8")

    code, out, err = cli(
        "evaluate",
        str(plan_path),
        str(incident_path),
        "--at",
        "2027-01-10T12:00:00+08:00",
        "--calendar-year",
        str(broken),
    )

    assert (2, "") == (code, out)
    assert err.startswith(f"opinion-rules: error: {broken}")
    assert "incomplete" in err
    assert 1 == err.count("\n")


def test_plan_with_schedules_leaves_other_calendars_alone():
    """The notice is national: a plan without the China calendar is unchanged."""
    schedule = load_year_schedule(INVENTED_2027)
    data_calendar = DataCalendar("local", 2025, 2026)

    assert plan(calendar=data_calendar).with_schedules(schedule).calendar is data_calendar
    no_calendar = plan(
        actions=(action("phone", deadlines.after("discovered", hours=3)),), calendar=None
    )
    assert no_calendar.with_schedules(schedule) is no_calendar


# -- in plan files ---------------------------------------------------------------------------


def plan_file_with(tmp_path: Path, calendar: str) -> Path:
    path = tmp_path / "plans" / "horizon.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(PLAN_FILE.replace("calendar: china", calendar), encoding="utf-8")
    return path


def test_a_plan_file_lists_year_files_under_its_calendar(tmp_path):
    """calendar: {name: china, schedules: [file]}: the year is part of the plan wherever it is loaded."""
    (tmp_path / "plans" / "calendars").mkdir(parents=True)
    (tmp_path / "plans" / "calendars" / "china-2027.yaml").write_text(
        INVENTED_2027.read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = plan_file_with(
        tmp_path, "calendar: {name: china, schedules: [calendars/china-2027.yaml]}"
    )

    loaded = o.load_plan(path)
    case = o.Incident.from_dict({"id": "H-1", "discovered_at": at("2027-01-08 10:00").isoformat()})
    result = o.Engine(loaded).evaluate(case, at=at("2027-01-20 12:00"))

    assert (2004, 2027) == loaded.calendar.years
    assert at("2027-01-16 00:00") == result.action("reply").due


def test_a_dumped_plan_keeps_its_schedules_inline(tmp_path):
    """dump_plan writes the year itself, so a stored or copied plan needs no other file."""
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "china-2027.yaml").write_text(
        INVENTED_2027.read_text(encoding="utf-8"), encoding="utf-8"
    )
    loaded = o.load_plan(
        plan_file_with(tmp_path, "calendar: {name: china, schedules: [china-2027.yaml]}")
    )

    for fmt in ("yaml", "json", "toml"):
        text = o.dump_plan(loaded, fmt)
        assert "china-2027.yaml" not in text
        assert loaded == read_plan_text(text, fmt)


def test_a_year_file_outside_the_plans_folder_is_refused(tmp_path):
    """Year files are read like extends: only from the folders the host allows."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "china-2027.yaml").write_text(
        INVENTED_2027.read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = plan_file_with(
        tmp_path, "calendar: {name: china, schedules: [../elsewhere/china-2027.yaml]}"
    )

    with pytest.raises(PlanValidationError) as info:
        o.load_plan(path)
    allowed = o.load_plan(path, allowed_dirs=[tmp_path / "elsewhere"])

    assert "horizon.yaml:7:" in str(info.value)
    assert "calendar.schedules[0]: '../elsewhere/china-2027.yaml' is outside the folders" in str(
        info.value
    )
    assert 2027 == allowed.calendar.years[1]


def test_a_mistake_in_a_listed_year_file_is_located_in_that_file(tmp_path):
    """The problem names the year file's own line, not the plan's."""
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "china-2027.yaml").write_text(
        INVENTED_2027.read_text(encoding="utf-8").replace(NATIONAL_DAY, ""), encoding="utf-8"
    )
    path = plan_file_with(tmp_path, "calendar: {name: china, schedules: [china-2027.yaml]}")

    with pytest.raises(PlanValidationError) as info:
        o.load_plan(path)

    year_file = str(tmp_path / "plans" / "china-2027.yaml")
    assert [(year_file, 7, 3, "festivals")] == [
        (p.file, p.line, p.column, p.path) for p in info.value.problems if "incomplete" in p.message
    ]


def test_a_plan_may_hold_a_year_inline_and_the_schema_knows_both_forms(tmp_path):
    """An inline year reads like a file's; the JSON Schema accepts both spellings."""
    import jsonschema
    import yaml

    inline = json.dumps(schedule_to_data(load_year_schedule(INVENTED_2027)), ensure_ascii=False)
    path = plan_file_with(tmp_path, f"calendar: {{name: china, schedules: [{inline}]}}")

    loaded = o.load_plan(path)
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), plan_schema())
    jsonschema.validate(
        {
            **yaml.safe_load(path.read_text(encoding="utf-8")),
            "calendar": {"name": "china", "schedules": ["c.yaml"]},
        },
        plan_schema(),
    )

    assert 2027 == loaded.calendar.years[1]


def test_the_instant_a_lapse_may_first_fall_is_the_next_change():
    """
    A lateness trigger whose lapse needs 2027 is waiting until the lapse could
    first fall, then undecided: that instant is the result's next change, so
    a scheduler (or the store's agenda) looks again then.
    """
    escalating = plan(
        actions=(
            action("reply", deadlines.after("discovered", days=1)),
            action("escalate", deadlines.after("overdue:reply+5wd", hours=2)),
        ),
    )
    engine = o.Engine(escalating)
    case = incident(discovered="2026-12-28 10:00")

    before = engine.evaluate(case, at=at("2026-12-29 12:00"))
    after = engine.evaluate(case, at=at("2027-01-02 12:00"))

    assert ("overdue", "waiting") == (
        before.action("reply").status,
        before.action("escalate").status,
    )
    assert at("2027-01-01 00:00") + timedelta(microseconds=1) == before.next_change
    assert "undecided" == after.action("escalate").status
