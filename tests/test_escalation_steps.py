"""
Escalation steps ("本属三级舆情，因处理不妥造成态势扩大的，升为二级"): each
recorded event raises the grade current at its instant by steps, capped at
the top, recorded with its clause; and ``grading.asserted_grade``: the
latest assertion or the highest so far.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.authoring import lint_plan
from opinion_rules.lifecycle import Escalation
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._loaders import read_plan_text

from .conftest import cst


PLAN = """\
id: escalation-test
title: 升级示例
issuer: tests
version: "1"
source: tests
metrics: [clicks]
roles:
  - {id: office, name: 办公室}
measures:
  - {id: clicks_1h, metric: clicks, window: 1h}
events:
  - {id: mishandled, label: 处理不妥}
  - {id: subsided}
  - {id: case_closed}
grades:
  - {id: g3, name: 三级, rank: 0, criteria: clicks_1h >= 1, clause: {ref: a, text: a}}
  - {id: g2, name: 二级, rank: 1, criteria: clicks_1h > 1000, clause: {ref: b, text: b}}
  - {id: g1, name: 一级, rank: 2, criteria: clicks_1h > 100000, clause: {ref: c, text: c}}
grading:
  asserted_by: [office]
  escalation:
    - id: mishandling
      event: mishandled
      steps: 1
      clause: {ref: "三", text: 本属三级舆情，因处理不妥造成态势扩大的，升为二级。}
  deescalation:
    - {id: calm, to: g3, event: subsided}
  closure: {event: case_closed}
actions:
  - id: report_g2
    title: 二级报告
    owners: [office]
    channel: written_report
    condition: grade >= g2
    deadline: {anchor: discovered, within: 2h}
    clause: {ref: d, text: d}
"""


def plan(**grading: Any) -> o.Plan:
    data = yaml.safe_load(PLAN)
    data["grading"].update(grading)
    return read_plan_text(yaml.safe_dump(data, allow_unicode=True), "yaml", "plan.yaml")


def clicks(at: datetime, value: int) -> o.Observation:
    return o.Observation(at, "clicks", value, kind="increment")


def event(at: datetime, kind: str = "mishandled") -> o.Event:
    return o.Event(at, kind, by="督查组")


def asserted(at: datetime, grade: str) -> o.Event:
    return o.Event(
        at, "grade_asserted", grade=grade, assertion="confirmed", by="张三", role="office"
    )


def incident(observations=(), events=()) -> o.Incident:
    return o.Incident(
        "E-1", discovered_at=cst(23, 9), observations=tuple(observations), events=tuple(events)
    )


def assess(p: o.Plan, inc: o.Incident, at: datetime, backend: str = "python") -> o.Assessment:
    return o.Engine(p, backend=backend).evaluate(inc, at=at)


def history(a: o.Assessment) -> list[tuple[str, str]]:
    return [(h.id, h.source) for h in a.grade_history]


def test_a_mishandling_raises_the_grade_one_level_with_its_clause(backend):
    """三级 + a recorded mishandling = 二级 from that instant, with the rule's clause and who recorded it."""
    inc = incident([clicks(cst(23, 9), 10)], [event(cst(23, 10))])

    a = assess(plan(), inc, cst(23, 11), backend)

    assert [("g3", "computed"), ("g2", "escalated")] == history(a)
    assert (cst(23, 10), "三", "督查组") == (a.grade.since, a.grade.clause.ref, a.grade.by)
    assert "escalated by rule mishandling" in a.grade.reason
    assert "三级 + 1 level" in a.grade.reason


def test_duties_of_the_raised_grade_start_at_the_escalation():
    """A duty for 二级 anchored on discovery starts at the escalation under from_upgrade."""
    inc = incident([clicks(cst(23, 9), 10)], [event(cst(23, 10))])

    status = assess(plan(), inc, cst(23, 11)).action("report_g2")

    assert (cst(23, 10), cst(23, 12)) == (status.applies_since, status.due)


def test_each_occurrence_is_one_step_capped_at_the_top():
    """Three mishandlings raise 三级 to 二级, then 一级, then nothing more (no entry at the top)."""
    times = [cst(23, 10), cst(23, 11), cst(23, 12)]
    inc = incident([clicks(cst(23, 9), 10)], [event(t) for t in times])

    a = assess(plan(), inc, cst(23, 13))

    assert ["g3", "g2", "g1"] == [h.id for h in a.grade_history]


def test_steps_beyond_the_scale_stop_at_the_top():
    """Five steps from 三级 reach 一级, the top grade, in one entry."""
    p = plan(escalation=[{"id": "mishandling", "event": "mishandled", "steps": 5}])
    inc = incident([clicks(cst(23, 9), 10)], [event(cst(23, 10))])

    assert [("g3", "computed"), ("g1", "escalated")] == history(assess(p, inc, cst(23, 11)))


def test_an_ungraded_incident_counts_as_one_level_below_the_lowest():
    """With no grade yet, one step gives the lowest grade."""
    inc = incident(events=[event(cst(23, 10))])

    a = assess(plan(), inc, cst(23, 11))

    assert [("g3", "escalated")] == history(a)
    assert "ungraded + 1 level" in a.grade.reason


def test_the_criteria_take_over_only_above_the_escalated_grade():
    """Criteria for 二级 after an escalation to 二级 change nothing; criteria for 一级 raise it."""
    inc = incident(
        [clicks(cst(23, 9), 10), clicks(cst(23, 11), 2000), clicks(cst(23, 13), 200000)],
        [event(cst(23, 10))],
    )

    a = assess(plan(), inc, cst(23, 14))

    assert [("g3", "computed"), ("g2", "escalated"), ("g1", "computed")] == history(a)


def test_a_de_escalation_lowers_an_escalated_grade_and_a_later_step_starts_there():
    """subsided drops 二级 to 三级; a new mishandling raises 三级 to 二级 again."""
    inc = incident(
        [clicks(cst(23, 9), 10)],
        [event(cst(23, 10)), event(cst(23, 11), "subsided"), event(cst(23, 12))],
    )

    a = assess(plan(), inc, cst(23, 13))

    assert [
        ("g3", "computed"),
        ("g2", "escalated"),
        ("g3", "deescalated"),
        ("g2", "escalated"),
    ] == history(a)


def test_after_closure_an_escalation_changes_nothing():
    """Closure freezes the grade: a later mishandling does not move it."""
    inc = incident(
        [clicks(cst(23, 9), 10)], [event(cst(23, 10), "case_closed"), event(cst(23, 11))]
    )

    assert [("g3", "computed")] == history(assess(plan(), inc, cst(23, 12)))


def test_under_latest_assertion_a_lower_assertion_does_not_undo_an_escalation(backend):
    """drive asserted: 三级 asserted, escalated to 二级, 三级 asserted again: the grade stays 二级."""
    inc = incident(
        events=[asserted(cst(23, 9), "g3"), event(cst(23, 10)), asserted(cst(23, 11), "g3")]
    )

    a = assess(plan(drive="asserted"), inc, cst(23, 12), backend)

    assert [("g3", "asserted"), ("g2", "escalated")] == history(a)


def test_a_lower_assertion_falls_back_to_the_escalated_grade():
    """一级 asserted above an escalated 二级, then 三级 asserted: the grade comes down to 二级, held by the escalation."""
    inc = incident(
        events=[
            asserted(cst(23, 9), "g3"),
            event(cst(23, 10)),
            asserted(cst(23, 11), "g1"),
            asserted(cst(23, 12), "g3"),
        ]
    )

    a = assess(plan(drive="asserted"), inc, cst(23, 13))

    assert [
        ("g3", "asserted"),
        ("g2", "escalated"),
        ("g1", "asserted"),
        ("g2", "escalated"),
    ] == history(a)
    assert "held by escalation rule mishandling" in a.grade.reason


@pytest.mark.parametrize(
    ("asserted_grade", "expected"),
    [("latest", ["g1", "g3"]), ("highest", ["g1"])],
)
def test_asserted_grade_latest_or_highest(asserted_grade, expected, backend):
    """A lower assertion lowers the grade under 'latest' and is ignored under 'highest'."""
    inc = incident(events=[asserted(cst(23, 9), "g1"), asserted(cst(23, 10), "g3")])
    p = plan(drive="asserted", asserted_grade=asserted_grade, escalation=[])

    a = assess(p, inc, cst(23, 11), backend)

    assert expected == [h.id for h in a.grade_history]


def test_highest_assertion_under_higher_drive_keeps_the_top_assertion():
    """drive higher + highest: the grade is the higher of the criteria and the highest assertion."""
    inc = incident(
        [clicks(cst(23, 9), 10)], [asserted(cst(23, 9, 30), "g1"), asserted(cst(23, 10), "g2")]
    )

    a = assess(plan(drive="higher", asserted_grade="highest"), inc, cst(23, 11))

    assert "g1" == a.grade.id


def test_keys_round_trip_and_render():
    """escalation and asserted_grade are written, read back, and rendered in Chinese and English."""
    p = plan(asserted_grade="highest", drive="asserted")
    text = dump_plan(p, "yaml")

    assert p == read_plan_text(text, "yaml", "again.yaml")
    zh, en = o.render_plan(p), o.render_plan(p, lang="en")
    assert "- 升级规则: 处理不妥 → 升1级(最高至一级) 〔三〕" in zh.splitlines()
    assert "以历次认定中的最高等级为准" in zh
    assert "Escalation:" in en
    assert "the highest asserted so far counts" in en


def test_escalation_rules_are_checked():
    """steps below 1, a duplicate id and an undeclared event are plan errors."""
    with pytest.raises(ValueError, match="at least 1"):
        Escalation("e", "mishandled", steps=0)
    data = yaml.safe_load(PLAN)
    data["grading"]["escalation"].append({"id": "mishandling", "event": "worsened"})
    with pytest.raises(o.PlanError) as info:
        read_plan_text(yaml.safe_dump(data, allow_unicode=True), "yaml", "plan.yaml")

    assert {"grading.escalation[1].id", "grading.escalation[1].event"} <= {
        p.path for p in info.value.problems
    }


def test_lint_warns_about_grading_keys_without_effect():
    """asserted_grade under drive computed is reported as having no effect."""
    codes = [f.code for f in lint_plan(plan(asserted_grade="highest"))]

    assert "asserted-grade-unused" in codes


def test_grade_gap_never_prints_an_empty_example():
    """Grades only asserted (criteria reading no input) give no 'e.g. ;' — and none under drive asserted."""
    data = yaml.safe_load(PLAN)
    for g in data["grades"]:
        g["criteria"] = "seen(mishandled)"
    text = yaml.safe_dump(data, allow_unicode=True)
    computed = read_plan_text(text, "yaml", "plan.yaml")
    data["grading"]["drive"] = "asserted"
    by_people = read_plan_text(yaml.safe_dump(data, allow_unicode=True), "yaml", "plan.yaml")

    (gap,) = [f for f in lint_plan(computed) if f.code == "grade-gap"]
    assert "e.g. ;" not in gap.message
    assert "the criteria read none of them" in gap.message
    assert [] == [f for f in lint_plan(by_people) if f.code == "grade-gap"]


# -- properties ------------------------------------------------------------------------

LEVELS = ["g3", "g2", "g1"]


@st.composite
def escalating_incidents(draw: st.DrawFn) -> o.Incident:
    minutes = st.integers(min_value=0, max_value=600)
    observations = [
        clicks(cst(23, 9) + timedelta(minutes=draw(minutes)), draw(st.sampled_from([5, 2000])))
        for _ in range(draw(st.integers(0, 3)))
    ]
    events = [
        event(cst(23, 9) + timedelta(minutes=draw(minutes))) for _ in range(draw(st.integers(0, 4)))
    ]
    return incident(observations, events)


def level(a: o.Assessment) -> int:
    return -1 if a.grade is None else LEVELS.index(a.grade.id)


def bare(steps: int | None) -> o.Plan:
    """The plan without de-escalation or closure; with *steps* per mishandling, or none."""
    data = yaml.safe_load(PLAN)
    grading = data["grading"]
    for key in ("deescalation", "closure"):
        grading.pop(key)
    if steps is None:
        grading.pop("escalation")
    else:
        grading["escalation"][0]["steps"] = steps
    return read_plan_text(yaml.safe_dump(data, allow_unicode=True), "yaml", "plan.yaml")


@settings(max_examples=60)
@given(inc=escalating_incidents(), steps=st.integers(1, 3), minute=st.integers(0, 700))
def test_escalation_bounds_and_as_of(inc, steps, minute):
    """Grades only go up; the step count bounds the rise; evaluating at T ignores later events."""
    p, without = bare(steps), bare(None)
    at = cst(23, 9) + timedelta(minutes=minute)
    seen = [e for e in inc.events if e.at <= at]

    a, base = assess(p, inc, at), assess(without, inc, at)
    earlier = assess(p, inc, at - timedelta(minutes=30))
    truncated = assess(p, incident(inc.observations, seen), at)

    assert level(base) <= level(a) <= min(2, level(base) + steps * len(seen))
    if seen:
        assert min(2, steps - 1) <= level(a)
    assert level(earlier) <= level(a)
    assert a.to_dict() == truncated.to_dict()
