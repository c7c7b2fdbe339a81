"""
Conditions on the state of actions and on the order of events: ``done(x)``,
``overdue(x)``, ``before(a, b)``, ``within(e, a, 30d)`` ("经一次催办仍未办结",
"在签批前升级", "自事故发生之日起30日内…").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.authoring import lint_plan, render_plan
from opinion_rules.calendars import ChinaCalendar
from opinion_rules.conditions import (
    Always,
    all_of,
    before,
    done,
    event_seen,
    fact,
    not_,
    overdue,
    within,
)
from opinion_rules.deadlines import after, no_deadline
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.typing import Condition


TZ = ZoneInfo("Asia/Shanghai")
BASE = datetime(2025, 3, 3, 9, tzinfo=TZ)  # a Monday
CLAUSE = o.Clause("五", "经一次催办仍未办结的，予以通报。")


def hours(n: float) -> datetime:
    return BASE + timedelta(hours=n)


def action(action_id: str, deadline: o.Deadline, condition: Condition) -> o.Action:
    return o.Action(
        action_id, f"事项{action_id}", ("office",), "notice", deadline, condition, clause=CLAUSE
    )


def plan_with(*actions: o.Action, calendar: ChinaCalendar | None = None) -> o.Plan:
    return o.Plan(
        calendar=calendar,
        id="state",
        title="state conditions",
        issuer="tests",
        version="1",
        source="tests",
        grades=(
            o.Grade("minor", "一般", 1, Always(), CLAUSE),
            o.Grade("major", "重大", 2, fact("level") >= 2, CLAUSE),
        ),
        facts=(o.FactSpec("level", type="number"),),
        roles=(o.Role("office", "办公室"),),
        events=(o.EventSpec("urged", "催办"), o.EventSpec("signed", "签批")),
        actions=actions,
    )


HANDLE = action("handle", after("discovered", hours=4), Always())
NOTIFY = action(
    "notify", no_deadline("discovered"), all_of(event_seen("urged"), not_(done("handle")))
)


def incident(*events: o.Event, **facts: object) -> o.Incident:
    return o.Incident("INC", discovered_at=BASE, facts=facts, events=events)


def since(result: o.Assessment, action_id: str) -> datetime | None:
    """When *action_id* started to apply, or None if it never did."""
    return next((a.applies_since for a in result.actions if a.id == action_id), None)


def urged(h: float) -> o.Event:
    return o.Event(hours(h), "urged")


def handled(h: float) -> o.Event:
    return o.Event(hours(h), "action_done", action="handle")


def test_urged_and_still_not_done_applies_from_the_reminder():
    """经一次催办仍未办结: applies at the reminder when the matter is not done."""
    engine = o.Engine(plan_with(HANDLE, NOTIFY))

    result = engine.evaluate(incident(urged(5)), at=hours(6))

    assert hours(5) == since(result, "notify")


def test_done_before_the_reminder_never_applies():
    """Done before the reminder: the condition never held."""
    engine = o.Engine(plan_with(HANDLE, NOTIFY))

    result = engine.evaluate(incident(handled(3), urged(5)), at=hours(6))

    assert None is since(result, "notify")


def test_overdue_becomes_true_at_the_due_instant_without_a_new_fact():
    """overdue(x) flips just after x's due instant, a change point of the walk."""
    chase = action("chase", no_deadline("discovered"), overdue("handle"))
    engine = o.Engine(plan_with(HANDLE, chase))

    early = engine.evaluate(incident(), at=hours(4))
    late = engine.evaluate(incident(), at=hours(10))

    assert None is since(early, "chase")
    assert hours(4) + timedelta(microseconds=1) == early.next_change
    assert hours(4) + timedelta(microseconds=1) == since(late, "chase")


def test_as_of_evaluation_does_not_see_a_later_completion():
    """Evaluated before the late completion, the chase applies; the record stays."""
    chase = action("chase", no_deadline("discovered"), overdue("handle"))
    engine = o.Engine(plan_with(HANDLE, chase))

    result = engine.evaluate(incident(handled(8)), at=hours(9))

    assert hours(4) + timedelta(microseconds=1) == since(result, "chase")


def test_before_holds_for_an_upgrade_before_the_sign_off_only():
    """在签批前升级: an upgrade before the sign-off; not one after it."""
    report = action("report", no_deadline("discovered"), before("grade_reached:major", "signed"))
    engine = o.Engine(plan_with(report))
    upgrade = o.Event(hours(2), "fact", fact="level", value=2)

    first = engine.evaluate(incident(upgrade, o.Event(hours(3), "signed")), at=hours(4))
    after_sign = engine.evaluate(incident(o.Event(hours(1), "signed"), upgrade), at=hours(4))

    assert hours(2) == since(first, "report")
    assert None is since(after_sign, "report")


def test_within_reads_the_latest_occurrence_in_the_window():
    """within(e, a, 1d): an event one day after the anchor holds; later ones do not."""
    check = action("check", no_deadline("discovered"), within("urged", "discovered", "1d"))
    engine = o.Engine(plan_with(check))

    inside = engine.evaluate(incident(urged(24)), at=hours(30))
    outside = engine.evaluate(incident(urged(25)), at=hours(30))

    assert hours(24) == since(inside, "check")
    assert None is since(outside, "check")


@given(
    st.lists(st.integers(min_value=0, max_value=20), max_size=3),
    st.lists(st.integers(min_value=0, max_value=20), max_size=2),
    st.integers(min_value=0, max_value=24),
)
def test_done_and_overdue_read_the_status_as_of_each_instant(done_at, urged_at, at_hour):
    """applies_since of a done(x)/overdue(x) action is the first instant x's status said so."""
    plan = plan_with(
        HANDLE,
        action("d", no_deadline("discovered"), done("handle")),
        action("l", no_deadline("discovered"), overdue("handle")),
    )
    events = [*(handled(h) for h in done_at), *(urged(h) for h in urged_at)]
    at = hours(at_hour)
    result = o.Engine(plan).evaluate(incident(*events), at=at)

    first_done = min((hours(h) for h in done_at if hours(h) <= at), default=None)
    due = hours(4)
    late_from = due + timedelta(microseconds=1)
    late = at >= late_from and (first_done is None or first_done > due)
    expected_late = late_from if late else None
    assert first_done == since(result, "d")
    assert expected_late == since(result, "l")


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (done("nobody"), "action 'nobody' is not defined"),
        (before("grade_reached:huge", "signed"), "grade 'huge' is not defined"),
        (before("discovered", "signd"), "event 'signd', not declared"),
        (done("self"), "reads its own state"),
    ],
)
def test_plan_refuses_state_conditions_that_cannot_resolve(condition, message):
    """Unknown actions, grades and events, and an action reading itself, are located problems."""
    with pytest.raises(PlanValidationError, match=message):
        plan_with(action("self", no_deadline("discovered"), condition))


def test_actions_reading_each_other_in_a_cycle_are_refused():
    """Conditions and anchors that wait on each other in a cycle are located problems."""
    with pytest.raises(PlanValidationError, match=r"actions\[0\]\.condition: .*cycle: a -> b -> a"):
        plan_with(
            action("a", no_deadline("discovered"), overdue("b")),
            action("b", after("discovered", hours=1), done("a")),
        )
    with pytest.raises(PlanValidationError, match=r"deadline\.anchor: .*cycle: b -> a -> b"):
        plan_with(
            action("a", no_deadline("discovered"), overdue("b")),
            action("b", after("action_done:a", hours=1), Always()),
        )


def test_state_conditions_only_in_action_conditions():
    """A grade criterion cannot test an action's state."""
    with pytest.raises(PlanValidationError, match="only action conditions may test actions"):
        o.Plan(
            id="s",
            title="s",
            issuer="t",
            version="1",
            source="t",
            grades=(o.Grade("g", "g", 1, done("a"), CLAUSE),),
            roles=(o.Role("office", "办公室"),),
            actions=(action("a", no_deadline("discovered"), Always()),),
        )


def test_plan_files_round_trip_state_conditions():
    """The condition language writes and reads done, overdue, before and within."""
    plan = plan_with(
        HANDLE,
        NOTIFY,
        action("b", no_deadline("discovered"), before("overdue:handle+1wd", "signed")),
        action("w", no_deadline("discovered"), within("urged", "action_done:handle", "30d")),
    )
    text = dump_plan(plan, "yaml")

    assert "seen(urged) and not done(handle)" in text
    assert plan == read_plan_text(text, "yaml")


def test_render_shows_state_conditions_in_both_languages():
    """Render names the state conditions in Chinese and English."""
    plan = plan_with(HANDLE, NOTIFY)

    assert "“事项handle”已完成" in render_plan(plan)
    assert "“事项handle” done" in render_plan(plan, lang="en")


def test_lint_warns_when_a_condition_waits_for_an_action_that_is_never_overdue():
    """never-overdue also covers overdue(x) in a condition: x without a due time never is."""
    plan = plan_with(
        action("open", no_deadline("discovered"), Always()),
        action("chase", no_deadline("discovered"), overdue("open")),
    )

    findings = [(f.code, f.path) for f in lint_plan(plan) if f.code == "never-overdue"]

    assert [("never-overdue", "actions[1].condition")] == findings


def test_overdue_of_an_action_whose_due_needs_a_missing_year_is_undecided():
    """overdue(x) is unknown once x may have lapsed in an uncovered year; undecided names it."""
    last = ChinaCalendar().years[1]
    reply = action("reply", after("discovered", working_days=5), Always())
    chase = action("chase", no_deadline("discovered"), overdue("reply"))
    plan = plan_with(reply, chase, calendar=ChinaCalendar())
    late_december = datetime(last, 12, 29, 10, tzinfo=TZ)
    engine = o.Engine(plan)

    before_gap = engine.evaluate(incident_at(late_december), at=late_december)
    in_gap = engine.evaluate(incident_at(late_december), at=datetime(last + 1, 1, 20, tzinfo=TZ))

    assert [] == [u.id for u in before_gap.undecided if u.id == "chase"]
    assert [("overdue(reply)",)] == [u.needs for u in in_gap.undecided if u.id == "chase"]


def incident_at(discovered: datetime) -> o.Incident:
    return o.Incident("INC", discovered_at=discovered)
