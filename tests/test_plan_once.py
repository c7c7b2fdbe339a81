"""
Plan-only work done once per engine, and the grade-only path: what an engine
derives from its plan when it is made gives the same answers as deriving it
at every evaluation, and ``Engine.grade`` equals the grade ``evaluate``
reports.
"""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.engine._derived import computed_leaves
from opinion_rules.engine._explain import Labels, explain
from opinion_rules.engine._interpret import unknown_slots
from opinion_rules.engine._ir import Rule, compile_plan, routing_rule
from opinion_rules.engine._prepared import Prepared, compile_unknown
from opinion_rules.engine._timeline import Snapshot, Timeline
from opinion_rules.exceptions import FactError
from opinion_rules.model._results import ActionStatus, Owner
from opinion_rules.results import GradeAssessment

from . import strategies as s
from .conftest import cst


def _old_route(
    plan: o.Plan,
    statuses: dict[str, ActionStatus],
    results: dict[str, bool | None],
    snapshot: Snapshot,
    rules: dict[str, Rule],
    labels: Labels,
) -> None:
    """The routing of revision 08b4ed3, recomputing the plan's tables per call: the oracle."""
    roles = {r.id: r.name for r in plan.roles}

    def needs(action_id: str, i: int) -> str:
        rule = rules[routing_rule(action_id, i)]
        return ", ".join(labels.name(s) for s in sorted(unknown_slots(rule.condition, snapshot)))

    def name(routing: o.Routing, i: int) -> str:
        where = f" ({routing.clause.ref})" if routing.clause else ""
        return f"{routing.id or i + 1}{where}"

    for action_id, status in statuses.items():
        action = plan.action(action_id)
        owners = tuple(Owner(r, roles[r], action.duty_of(r)) for r in action.owners)
        routings = plan.routing_of(action)
        held = [results.get(routing_rule(action.id, i)) for i in range(len(routings))]
        note = ""
        if plan.routing_mode_of(action) == "additive":
            added = [i for i, h in enumerate(held) if h is True]
            for i in added:
                owners += tuple(
                    Owner(w.role, roles[w.role], w.said)
                    for w in routings[i].owners
                    if Owner(w.role, roles[w.role], w.said) not in owners
                )
            if added:
                note = "; owners added by routing " + ", ".join(name(routings[i], i) for i in added)
            unknown = [i for i, h in enumerate(held) if h is None]
            if unknown:
                need = "; ".join(
                    f"{name(routings[i], i)} needs {needs(action.id, i)}" for i in unknown
                )
                note += f"; owner routing undecided: {need}"
        else:
            for i, h in enumerate(held):
                if h is True:
                    owners = tuple(Owner(w.role, roles[w.role], w.said) for w in routings[i].owners)
                    where = f" ({routings[i].clause.ref})" if routings[i].clause else ""
                    note = f"; owners by routing {i + 1}{where}"
                    break
                if h is None:
                    note = f"; owner routing undecided: needs {needs(action.id, i)}"
                    break
        recipients = tuple(Owner(r, roles[r]) for r in action.recipients)
        statuses[action_id] = attrs.evolve(
            status, owners=owners, recipients=recipients, reason=status.reason + note
        )


def _snapshots(plan: o.Plan, incident: o.Incident, at: datetime) -> list[Snapshot]:
    """Every snapshot the walk of *incident* sees up to *at*, and an empty one."""
    timeline = Timeline(plan, compile_plan(plan), incident, at)
    return [{}, *(timeline.snapshot(t) for t in sorted(timeline.change_points()))]


@settings(max_examples=30)
@given(data=st.data())
def test_compiled_unknown_slots_equal_the_per_call_analysis(data):
    """Each rule's unknown-slot finder, compiled once, names what unknown_slots names."""
    plan = data.draw(s.plans()).bound()
    incident = data.draw(s.incidents(plan))
    program = compile_plan(plan)
    snapshots = _snapshots(plan, incident, data.draw(s.instants(3200)))

    expected = [[unknown_slots(r.condition, snap) for r in program.rules] for snap in snapshots]

    assert expected == [
        [compile_unknown(r.condition)(snap) for r in program.rules] for snap in snapshots
    ]


@settings(max_examples=30)
@given(data=st.data())
def test_routing_from_the_table_equals_routing_per_call(data):
    """Owners, recipients and notes from the routing table equal the per-call routing's."""
    plan = data.draw(s.plans()).bound()
    incident = data.draw(s.incidents(plan))
    at = data.draw(s.instants(3200))
    prepared = Prepared(plan, compile_plan(plan))
    statuses = {a.id: a for a in o.Engine(plan).evaluate(incident, at=at).actions}
    results = {
        rule: data.draw(st.sampled_from([True, False, None]))
        for rule in prepared.rules
        if rule.startswith("routing.")
    }
    snapshot = data.draw(st.sampled_from(_snapshots(plan, incident, at)))
    expected = dict(statuses)
    _old_route(plan, expected, results, snapshot, prepared.rules, prepared.labels)
    actual = dict(statuses)

    prepared.router.route(actual, results, snapshot)

    assert expected == actual


@settings(max_examples=15)
@given(plan=s.plans())
def test_the_program_keeps_the_computed_leaves_its_rules_have(plan):
    """The computed leaves found once at compile time are those found by walking the rules."""
    program = compile_plan(plan.bound())

    assert list(computed_leaves(program).items()) == list(program.computed.items())


@settings(max_examples=40)
@given(data=st.data())
def test_grade_equals_the_grade_evaluate_reports(data, backend):
    """Engine.grade gives the grade, its since, its history and closure evaluate gives."""
    plan = data.draw(s.plans())
    incident = data.draw(s.incidents(plan))
    at = data.draw(s.instants(3200))
    engine = o.Engine(plan, backend=backend)
    full = engine.evaluate(incident, at=at)

    graded = engine.grade(incident, at=at)

    expected = (full.grade, full.grade_history, full.closed_at, full.grade_driver)
    assert expected == (graded.grade, graded.grade_history, graded.closed_at, graded.grade_driver)
    assert (None if full.grade is None else full.grade.since) == graded.since


def test_grade_of_the_work_safety_plan(work_safety):
    """On a real plan the grade-only result names the grade, its since and the instant."""
    engine = o.Engine(work_safety)
    incident = {
        "id": "G-1",
        "discovered_at": cst(20, 9).isoformat(),
        "facts": {"netizen_concern": "doubt"},
        "observations": [],
        "events": [],
    }

    graded = engine.grade(incident, at=cst(20, 12))

    expected = GradeAssessment(
        plan_id=work_safety.id,
        incident_id="G-1",
        at=cst(20, 12),
        timezone=work_safety.timezone,
        grade=graded.grade_history[-1],
        grade_history=graded.grade_history,
    )
    assert expected == graded
    assert ("general", cst(20, 9)) == (graded.grade.id, graded.since)


def test_grade_refuses_what_evaluate_refuses(work_safety):
    """A fact the plan does not declare is a FactError with its place, as in evaluate."""
    engine = o.Engine(work_safety)
    incident = {"id": "G-2", "discovered_at": cst(20, 9).isoformat(), "facts": {"nope": 1}}

    with pytest.raises(FactError) as raised:
        engine.grade(incident, at=cst(20, 12))

    assert "facts.nope" in str(raised.value)


def test_grade_refuses_a_naive_instant(work_safety):
    """The evaluation instant must carry a UTC offset, as in evaluate."""
    engine = o.Engine(work_safety)
    incident = {"id": "G-3", "discovered_at": cst(20, 9).isoformat()}

    with pytest.raises(FactError):
        engine.grade(incident, at=datetime(2026, 11, 20, 12))  # noqa: DTZ001 - naive on purpose


@settings(max_examples=20)
@given(data=st.data())
def test_remembered_reasons_equal_reasons_worded_afresh(data):
    """Each rule's reason, remembered by the values it reads, is the one explain words."""
    plan = data.draw(s.plans()).bound()
    incident = data.draw(s.incidents(plan))
    prepared = Prepared(plan, compile_plan(plan))
    snapshots = _snapshots(plan, incident, data.draw(s.instants(3200)))
    # 1, 1.0 and True read differently: the same slots with values of each type.
    snapshots += [dict.fromkeys(snap, value) for snap in snapshots[-1:] for value in (1, 1.0, True)]

    expected = [
        [explain(r.condition, snap, prepared.labels) for r in prepared.program.rules]
        for snap in snapshots * 2
    ]

    assert expected == [
        [prepared.reason(r.id, snap) for r in prepared.program.rules] for snap in snapshots * 2
    ]


def test_a_fact_value_that_fitted_does_not_excuse_one_that_does_not(work_safety):
    """The check remembers fitting fact values only: a bad value of the same fact still fails."""
    engine = o.Engine(work_safety)
    fits = {"id": "G-4", "discovered_at": cst(20, 9).isoformat()}
    engine.evaluate({**fits, "facts": {"netizen_concern": "inquiry"}}, at=cst(20, 12))

    with pytest.raises(FactError) as raised:
        engine.grade({**fits, "facts": {"netizen_concern": "nope"}}, at=cst(20, 12))

    assert "facts.netizen_concern" in str(raised.value)
