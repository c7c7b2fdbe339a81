"""
Anchors over several actions: ``overdue:any(a,b)`` (任一办理事项逾期的，次日催办)
and ``action_done:all(a,b)``, in Python, plan files, validation, lint and render.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.authoring import lint_plan, render_plan
from opinion_rules.conditions import Always
from opinion_rules.deadlines import (
    Anchor,
    Offset,
    after,
    anchor_all,
    anchor_any,
    end_of_day,
    no_deadline,
)
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._loaders import read_plan_text


TZ = ZoneInfo("Asia/Shanghai")
BASE = datetime(2025, 3, 3, 9, tzinfo=TZ)  # a Monday
CLAUSE = o.Clause("四", "任一办理事项逾期的，次日催办。")


def hours(n: float) -> datetime:
    return BASE + timedelta(hours=n)


def action(action_id: str, deadline: o.Deadline) -> o.Action:
    return o.Action(action_id, f"事项{action_id}", ("office",), "notice", deadline, clause=CLAUSE)


def plan_with(*actions: o.Action) -> o.Plan:
    return o.Plan(
        id="multi",
        title="multi-action anchors",
        issuer="tests",
        version="1",
        source="tests",
        grades=(o.Grade("any", "舆情", 0, Always(), CLAUSE),),
        roles=(o.Role("office", "办公室"),),
        actions=actions,
    )


ITEMS = (action("a", after("discovered", hours=2)), action("b", after("discovered", hours=5)))
URGE = action("urge", end_of_day("overdue:any(a,b)"))
ALL_DONE = action("close", after("action_done:all(a,b)", hours=1))


def incident(*done: tuple[str, float]) -> o.Incident:
    events = [o.Event(hours(h), "action_done", action=a) for a, h in done]
    return o.Incident("INC", discovered_at=BASE, events=events)


def test_any_runs_from_the_first_action_to_fall_overdue():
    """任一…逾期: the reminder's clock starts when the first item falls late."""
    engine = o.Engine(plan_with(*ITEMS, URGE))

    result = engine.evaluate(incident(("b", 1)), at=hours(30))

    assert hours(2) == result.action("urge").anchor_at
    assert "overdue:any(a,b)" == result.action("urge").anchor_event


def test_any_ignores_items_done_on_time():
    """An item done on time never triggers; the next one that falls late does."""
    engine = o.Engine(plan_with(*ITEMS, URGE))

    result = engine.evaluate(incident(("a", 1)), at=hours(6))

    assert hours(5) == result.action("urge").anchor_at


def test_any_waits_and_says_when_the_first_lapse_comes():
    """Before any item is late the reminder waits, and next_change is the first lapse."""
    engine = o.Engine(plan_with(*ITEMS, URGE))

    result = engine.evaluate(incident(), at=hours(1))

    assert "waiting" == result.action("urge").status
    assert hours(2) + timedelta(microseconds=1) == result.next_change


def test_all_runs_from_the_last_completion():
    """均办结后: the clock starts when the last of the actions is done, not before."""
    engine = o.Engine(plan_with(*ITEMS, ALL_DONE))

    one = engine.evaluate(incident(("a", 1)), at=hours(3))
    both = engine.evaluate(incident(("a", 1), ("b", 4)), at=hours(4.5))

    assert "waiting" == one.action("close").status
    assert (hours(4), hours(5)) == (both.action("close").anchor_at, both.action("close").due)


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.integers(min_value=0, max_value=40)),
        max_size=4,
    ),
    st.integers(min_value=0, max_value=48),
)
def test_any_is_the_earliest_and_all_the_latest_of_the_single_anchors(done, at_hour):
    """overdue:any / :all happen at the min / max of the single overdue anchors."""
    singles = (action("sa", no_deadline("overdue:a")), action("sb", no_deadline("overdue:b")))
    every = action("every", no_deadline("overdue:all(a,b)"))
    plan = plan_with(*ITEMS, *singles, action("first", no_deadline("overdue:any(a,b)")), every)
    result = o.Engine(plan).evaluate(incident(*done), at=hours(at_hour))

    starts = [result.action(x).anchor_at for x in ("sa", "sb")]
    happened = [t for t in starts if t is not None]
    assert min(happened, default=None) == result.action("first").anchor_at
    expected_all = max(happened) if len(happened) == 2 else None
    assert expected_all == result.action("every").anchor_at


def test_builders_and_text_give_equal_anchors():
    """anchor_any / anchor_all build the anchors the text names, and str() writes it back."""
    late = Offset(working_days=1)
    assert Anchor("overdue", refs=("a", "b"), over="any") == anchor_any("overdue", "a", "b")
    assert "overdue:any(a,b)+1wd" == str(anchor_any("overdue", "a", "b", late_by=late))
    assert "action_done:all(a,b,c)" == str(anchor_all("action_done", "a", "b", "c"))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: anchor_any("overdue", "a"), "at least two"),
        (lambda: anchor_any("overdue", "a", "a"), "names an action twice"),
        (lambda: anchor_any("grade_reached", "a", "b"), "may name several actions"),
        (lambda: Anchor("overdue", "a", refs=("a", "b"), over="any"), "not 'ref'"),
    ],
)
def test_malformed_anchors_over_several_actions_are_refused(build, message):
    """Fewer than two actions, a repeat, a non-action anchor or a stray ref are refused."""
    with pytest.raises(ValueError, match=message):
        build()


def test_plan_refuses_unknown_actions_and_cycles_through_several():
    """Every named action must exist, and waiting through any(...) may not loop."""
    with pytest.raises(PlanValidationError, match="action 'zz' is not defined"):
        plan_with(*ITEMS, action("urge", end_of_day("overdue:any(a,zz)")))
    with pytest.raises(PlanValidationError, match="cycle: b -> urge -> b"):
        plan_with(
            ITEMS[0],
            action("b", no_deadline("action_done:urge")),
            action("urge", end_of_day("overdue:any(a,b)")),
        )


PLAN_FILE = """
id: multi
title: multi-action anchors
issuer: tests
version: '1'
source: tests
roles:
  - {id: office, name: 办公室}
grades:
  - {id: any, name: 舆情, rank: 0, criteria: always, clause: {ref: 四, text: 任一办理事项逾期的，次日催办。}}
actions:
  - {id: a, title: 事项a, owners: [office], channel: notice,
     deadline: {anchor: discovered, kind: offset, within: 2h}, clause: {ref: 四, text: t}}
  - {id: b, title: 事项b, owners: [office], channel: notice,
     deadline: {anchor: discovered, kind: offset, within: 5h}, clause: {ref: 四, text: t}}
  - {id: urge, title: 催办, owners: [office], channel: notice,
     deadline: {anchor: 'overdue:any(a, b)', kind: end_of_day}, clause: {ref: 四, text: t}}
"""


def test_plan_files_read_and_write_anchors_over_several_actions():
    """The plan file's anchor text reads to the model and writes back unchanged."""
    plan = read_plan_text(PLAN_FILE, "yaml")

    assert anchor_any("overdue", "a", "b") == plan.action("urge").deadline.anchor
    assert plan == read_plan_text(dump_plan(plan, "yaml"), "yaml")


def test_render_names_every_action_in_both_languages():
    """Render says 任一…超过时限 / any of … being overdue."""
    plan = plan_with(*ITEMS, URGE)

    assert "“事项a”、“事项b”任一超过时限" in render_plan(plan)
    assert "any of “事项a”, “事项b” being overdue" in render_plan(plan, lang="en")


def test_lint_warns_only_when_the_anchor_can_never_happen():
    """never-overdue: any(...) warns when no action has a due time; all(...) when one lacks it."""
    open_ended = action("c", no_deadline("discovered"))
    any_ok = plan_with(ITEMS[0], open_ended, action("u", end_of_day("overdue:any(a,c)")))
    all_never = plan_with(ITEMS[0], open_ended, action("u", end_of_day("overdue:all(a,c)")))

    assert [] == [f for f in lint_plan(any_ok) if f.code == "never-overdue"]
    assert ["never-overdue"] == [f.code for f in lint_plan(all_never) if f.code == "never-overdue"]
