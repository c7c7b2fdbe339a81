"""
The incident lifecycle (0.4.0): unknown is not false, judgement facts, grade
assertions and the grading drive, re-grading rules, de-escalation, closure,
overrides, the "other" category and owner routing — on both backends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.lifecycle import REGRADE_RULES, Assignment
from opinion_rules.planfile._loaders import read_plan_text

from .conftest import cst
from .strategies import incidents, plans


# A plan exercising every lifecycle key; tests change it with ``variant``.
DEMO = """\
id: lifecycle-demo
title: 生命周期示例
issuer: tests
version: "1"
source: tests
metrics: [clicks]
grading:
  drive: computed
  asserted_by: [office]
  regrade: from_upgrade
events:
  - {id: case_closed}
  - {id: subsided}
roles:
  - {id: office, name: 办公室}
  - {id: section, name: 业务股室}
  - {id: party, name: 局党组}
measures:
  - {id: clicks_1h, metric: clicks, window: 1h}
facts:
  - {id: scope, type: enum, choices: [local, several_localities, several_departments, vertical]}
  - {id: big_impact, type: bool, judgement: true, label: 可能造成重大影响}
  - {id: subject, type: text}
grades:
  - {id: general, name: 一般, rank: 0, criteria: clicks_1h >= 1, clause: {ref: a, text: a}}
  - {id: major, name: 重大, rank: 1, criteria: clicks_1h > 1000, clause: {ref: b, text: b}}
categories:
  - {id: safety, name: 安全, condition: subject == safety, clause: {ref: c, text: c}}
  - {id: other, name: 其他, other: true, clause: {ref: d, text: d}}
actions:
  - id: report_general
    title: 一般报告
    owners: [office]
    channel: phone
    condition: grade == general
    family: report
    deadline: {anchor: discovered, within: 24h}
    clause: {ref: e, text: e}
  - id: report_major
    title: 重大报告
    owners: [{role: office, duty: lead}, {role: section, duty: support}]
    routing:
      - when: scope == several_departments
        owners: [{role: party, duty: coordinate}, {role: office, duty: lead}]
        clause: {ref: r, text: r}
    channel: phone
    condition: grade >= major
    family: report
    deadline: {anchor: discovered, within: 3h}
    clause: {ref: f, text: f}
  - id: safety_report
    title: 不论事件级别均应立即上报
    owners: [office]
    channel: phone
    condition: category(safety)
    overrides: [report_general, report_major]
    deadline: {anchor: discovered, kind: immediately}
    clause: {ref: g, text: 不论事件级别，均应立即上报}
  - id: summary
    title: 总结评估
    owners: [office]
    channel: internal
    deadline: {anchor: case_closed, within: 5d}
    clause: {ref: h, text: h}
"""

HOUR = timedelta(hours=1)


def variant(change: Callable[[dict[str, Any]], None] | None = None) -> o.Plan:
    """The demo plan, changed by *change* (which edits the parsed data)."""
    data = yaml.safe_load(DEMO)
    if change is not None:
        change(data)
    return read_plan_text(yaml.safe_dump(data, allow_unicode=True), "yaml", "plan.yaml")


def grading(**keys: Any) -> o.Plan:
    return variant(lambda data: data["grading"].update(keys))


def clicks(at: datetime, value: int) -> o.Observation:
    return o.Observation(at, "clicks", value, kind="increment")


def incident(
    *, facts: dict[str, Any] | None = None, observations=(), events=(), discovered=None
) -> o.Incident:
    return o.Incident(
        "INC-1",
        discovered_at=discovered or cst(23, 9),
        facts=facts or {},
        observations=tuple(observations),
        events=tuple(events),
    )


def assess(plan: o.Plan, inc: o.Incident, at: datetime, backend: str = "python") -> o.Assessment:
    return o.Engine(plan, backend=backend).evaluate(inc, at=at)


def rank(a: o.Assessment) -> int:
    return a.grade.rank if a.grade else -1


def statuses(a: o.Assessment) -> dict[str, str]:
    return {s.id: s.status for s in a.actions}


def judged(at: datetime, fact: str, value: Any, by: str = "研判组") -> o.Event:
    return o.Event(at, "fact", fact=fact, value=value, by=by)


def asserted(at: datetime, grade: str, assertion: str = "provisional", **kw: Any) -> o.Event:
    kw.setdefault("by", "张三")
    kw.setdefault("role", "office")
    return o.Event(at, "grade_asserted", grade=grade, assertion=assertion, **kw)


def fact_paths(exc: pytest.ExceptionInfo[o.FactError]) -> list[str]:
    return [p.path for p in exc.value.problems]


def plan_paths(exc: pytest.ExceptionInfo[PlanValidationError]) -> list[str]:
    return [p.path for p in exc.value.problems]


# -- 1. unknown is not false --------------------------------------------------------

IMPACT = variant(
    lambda d: d["grades"][1].update(criteria="clicks_1h > 1000 and big_impact == true")
)


def test_a_grade_needing_an_unknown_fact_is_undecided_not_lower(backend):
    """A grade whose criteria need an unsupplied fact is undecided and named in grade_needs, not silently lower."""
    inc = incident(facts={"subject": "x"}, observations=[clicks(cst(23, 10), 2000)])

    a = assess(IMPACT, inc, cst(23, 11), backend)

    assert "general" == a.grade.id
    (u,) = [u for u in a.undecided if u.kind == "grade"]
    assert ("major", ("big_impact",)) == (u.id, u.needs)
    assert "可能造成重大影响" in u.reason
    assert ("big_impact",) == a.grade_needs()
    assert ["big_impact"] == a.to_dict()["grade_needs"]


def test_supplying_the_needed_fact_decides_the_grade(backend):
    """A judgement supplying the needed fact decides the grade from its instant and clears grade_needs."""
    inc = incident(
        facts={"subject": "x"},
        observations=[clicks(cst(23, 10), 2000)],
        events=[judged(cst(23, 10, 30), "big_impact", True)],
    )

    a = assess(IMPACT, inc, cst(23, 11), backend)

    assert ("major", cst(23, 10, 30)) == (a.grade.id, a.grade.since)
    assert () == a.grade_needs()
    assert not [u for u in a.undecided if u.kind == "grade"]


def test_a_fact_that_rules_the_grade_out_leaves_nothing_undecided(backend):
    """A judged fact that rules the higher grade out keeps the lower grade with nothing left to need."""
    inc = incident(
        facts={"subject": "x"},
        observations=[clicks(cst(23, 10), 2000)],
        events=[judged(cst(23, 10, 30), "big_impact", False)],
    )

    a = assess(IMPACT, inc, cst(23, 11), backend)

    assert "general" == a.grade.id
    assert () == a.grade_needs()


def _supplied_later(inc: o.Incident) -> set[str]:
    return {str(e.fact) for e in inc.events if e.type == "fact"}


@st.composite
def plan_incident_and_dropped(draw: st.DrawFn) -> tuple[o.Plan, o.Incident, o.Incident]:
    plan = draw(plans())
    inc = draw(incidents(plan))
    droppable = sorted(set(inc.facts) - _supplied_later(inc))
    dropped = draw(st.lists(st.sampled_from(droppable), unique=True) if droppable else st.just([]))
    kept = {k: v for k, v in inc.facts.items() if k not in dropped}
    return plan, inc, attrs.evolve(inc, facts=kept)


@settings(max_examples=60)
@given(plan_incident_and_dropped(), st.integers(min_value=0, max_value=3200))
def test_dropping_facts_never_silently_lowers_the_grade(case, minutes):
    """If a fact never supplied would raise the grade, the grade is undecided above."""
    plan, full, reduced = case
    at = full.discovered_at + timedelta(minutes=minutes)
    engine = o.Engine(plan, backend="python")
    a_full = engine.evaluate(full, at=at)
    a_reduced = engine.evaluate(reduced, at=at)
    ranks = {g.id: g.rank for g in plan.grades}

    if rank(a_full) > rank(a_reduced):
        above = [
            u for u in a_reduced.undecided if u.kind == "grade" and ranks[u.id] > rank(a_reduced)
        ]
        assert above, (a_full.grade, a_reduced.grade, a_reduced.undecided)
        dropped = set(full.facts) - set(reduced.facts)
        assert dropped & set(a_reduced.grade_needs())


# -- 2. judgement facts -------------------------------------------------------------


def test_a_judgement_fact_cannot_be_an_initial_fact():
    """A judgement fact among the incident's initial facts is a FactError at facts.<id> asking for 'by'."""
    inc = incident(facts={"big_impact": True})

    with pytest.raises(o.FactError) as info:
        assess(IMPACT, inc, cst(23, 10))

    assert ["facts.big_impact"] == fact_paths(info)
    assert "'by'" in str(info.value)


def test_a_judgement_fact_event_needs_by():
    """A fact event for a judgement fact without 'by' is a FactError at events[i].by."""
    inc = incident(events=[o.Event(cst(23, 10), "fact", fact="big_impact", value=True)])

    with pytest.raises(o.FactError) as info:
        assess(IMPACT, inc, cst(23, 11))

    assert ["events[0].by"] == fact_paths(info)


def test_a_judgement_decides_from_its_own_instant(backend):
    """A judgement counts only from its own instant: before it the grade still needs the fact."""
    inc = incident(
        observations=[clicks(cst(23, 11, 30), 2000)],
        events=[judged(cst(23, 12), "big_impact", True)],
    )

    before = assess(IMPACT, inc, cst(23, 11, 59), backend)
    after = assess(IMPACT, inc, cst(23, 13), backend)

    assert ("general", ("big_impact",)) == (before.grade.id, before.grade_needs())
    assert ("major", cst(23, 12)) == (after.grade.id, after.grade.since)


# -- 3. grade assertions and the grading drive ----------------------------------------


def test_computed_drive_records_assertions_without_following_them(backend):
    """Under drive computed an asserted grade is recorded but neither changes the grade nor starts its duties."""
    inc = incident(
        observations=[clicks(cst(23, 9), 10)], events=[asserted(cst(23, 10), "major", "confirmed")]
    )

    a = assess(grading(drive="computed"), inc, cst(23, 11), backend)

    assert ("general", "computed") == (a.grade.id, a.grade_driver)
    assert "report_major" not in statuses(a)


def test_asserted_drive_waits_for_a_person(backend):
    """Under drive asserted, with no assertion yet, there is no grade and it needs grade_asserted."""
    plan = grading(drive="asserted")
    inc = incident(observations=[clicks(cst(23, 9), 5000)])

    a = assess(plan, inc, cst(23, 10), backend)

    assert a.grade is None
    assert [("grade", ("grade_asserted",))] == [
        (u.kind, u.needs) for u in a.undecided if u.kind == "grade"
    ]
    assert ("grade_asserted",) == a.grade_needs()
    assert "asserted" == a.to_dict()["grade_driver"]


def test_asserted_drive_follows_the_assertion_with_provenance(backend):
    """Under drive asserted the grade follows each assertion with who, role and kind, and started duties stay."""
    plan = grading(drive="asserted")
    inc = incident(
        observations=[clicks(cst(23, 9), 10)],
        events=[
            asserted(cst(23, 10), "major", "provisional", by="张三"),
            asserted(cst(23, 12), "general", "confirmed", by="李四"),
        ],
    )

    a = assess(plan, inc, cst(23, 13), backend)

    history = [(g.id, g.since, g.source, g.assertion) for g in a.grade_history]
    assert [
        ("major", cst(23, 10), "asserted", "provisional"),
        ("general", cst(23, 12), "asserted", "confirmed"),
    ] == history
    assert "张三" in a.grade_history[0].by
    assert "李四 (office)" == a.grade.by
    # The duty the provisional 重大 started stays: obligations are not withdrawn.
    assert {"report_major", "report_general"} <= set(statuses(a))
    assert "asserted" == a.to_dict()["grade_history"][0]["source"]
    assert () == a.grade_needs()


def test_higher_drive_takes_the_higher_of_computed_and_asserted(backend):
    """Under drive higher the grade is the higher of the computed and the asserted grade, with its source."""
    plan = grading(drive="higher")
    low_assertion = incident(
        observations=[clicks(cst(23, 9), 5000)], events=[asserted(cst(23, 10), "general")]
    )
    high_assertion = incident(
        observations=[clicks(cst(23, 9), 10)], events=[asserted(cst(23, 10), "major")]
    )

    a_low = assess(plan, low_assertion, cst(23, 11), backend)
    a_high = assess(plan, high_assertion, cst(23, 11), backend)

    assert ("major", "computed") == (a_low.grade.id, a_low.grade.source)
    assert ("major", "asserted", cst(23, 10)) == (
        a_high.grade.id,
        a_high.grade.source,
        a_high.grade.since,
    )
    assert ["general", "major"] == [g.id for g in a_high.grade_history]


def test_only_the_named_roles_may_assert():
    """A grade assertion by a role not in grading.asserted_by is a FactError at events[i].role."""
    inc = incident(events=[asserted(cst(23, 10), "major", role="section")])

    with pytest.raises(o.FactError) as info:
        assess(grading(drive="asserted"), inc, cst(23, 11))

    assert ["events[0].role"] == fact_paths(info)


@pytest.mark.parametrize(
    ("event", "path"),
    [
        (asserted(cst(23, 10), "huge"), "events[0].grade"),
        (
            o.Event(
                cst(23, 10), "grade_asserted", grade="major", assertion="confirmed", role="office"
            ),
            "events[0].by",
        ),
    ],
)
def test_assertions_name_a_grade_and_a_person(event: o.Event, path: str):
    """A grade assertion with an unknown grade or without 'by' is a FactError at that event field."""
    with pytest.raises(o.FactError) as info:
        assess(grading(drive="asserted"), incident(events=[event]), cst(23, 11))

    assert path in fact_paths(info)


# -- 4. re-grading --------------------------------------------------------------------

# Discovered at 08:00, graded 一般 at 09:00, upgraded to 重大 at 11:00; the
# 重大 report is due 3 hours "after discovery".
UPGRADE = incident(
    discovered=cst(23, 8),
    observations=[clicks(cst(23, 9), 10), clicks(cst(23, 11), 2000)],
)


@pytest.mark.parametrize(
    ("rule", "anchor_event", "anchor_at", "due", "status"),
    [
        ("from_upgrade", "condition_met", cst(23, 11), cst(23, 14), "pending"),
        ("retroactive", "discovered", cst(23, 8), cst(23, 11), "overdue"),
        ("keep_elapsed", "family_started:report", cst(23, 9), cst(23, 12), "pending"),
    ],
)
def test_regrade_rules(backend, rule, anchor_event, anchor_at, due, status):
    """Each regrade rule anchors the upgraded grade's duty where it says (upgrade, discovery, family start) and is reported."""
    a = assess(grading(regrade=rule), UPGRADE, cst(23, 11, 30), backend)
    major = a.action("report_major")

    assert (anchor_event, anchor_at, due, status, rule) == (
        major.anchor_event,
        major.anchor_at,
        major.due,
        major.status,
        major.regrade,
    )
    assert rule == a.to_dict()["actions"][1]["regrade"]


def test_a_duty_not_started_by_an_upgrade_has_no_regrade(backend):
    """A duty whose grade held from the first grading keeps its own anchor and reports no regrade rule."""
    inc = incident(observations=[clicks(cst(23, 9), 2000)])

    a = assess(grading(regrade="retroactive"), inc, cst(23, 10), backend)

    assert (None, "discovered") == (
        a.action("report_major").regrade,
        a.action("report_major").anchor_event,
    )


def test_keep_elapsed_without_a_family_runs_from_the_upgrade():
    """keep_elapsed on an action with no family falls back to running from the upgrade."""

    def change(data: dict[str, Any]) -> None:
        data["grading"]["regrade"] = "keep_elapsed"
        for action in data["actions"]:
            action.pop("family", None)

    major = assess(variant(change), UPGRADE, cst(23, 11, 30)).action("report_major")

    assert ("condition_met", cst(23, 14)) == (major.anchor_event, major.due)


REGRADE_PLANS = {rule: grading(regrade=rule) for rule in REGRADE_RULES}


@settings(max_examples=60)
@given(
    st.integers(min_value=0, max_value=600),
    st.integers(min_value=1, max_value=600),
    st.integers(min_value=1, max_value=600),
)
def test_regrade_rules_order_the_due_times(graded_after, upgraded_after, late):
    """retroactive <= keep_elapsed <= from_upgrade, whenever the upgrade happens."""
    discovered = cst(23, 8)
    graded = discovered + timedelta(minutes=graded_after)
    upgraded = graded + timedelta(minutes=upgraded_after)
    inc = incident(
        discovered=discovered,
        observations=[clicks(graded, 10), clicks(upgraded, 2000)],
    )
    at = upgraded + timedelta(minutes=late)
    due = {
        rule: assess(plan, inc, at).action("report_major").due
        for rule, plan in REGRADE_PLANS.items()
    }

    assert discovered + 3 * HOUR == due["retroactive"]
    assert graded + 3 * HOUR == due["keep_elapsed"]
    assert upgraded + 3 * HOUR == due["from_upgrade"]
    assert due["retroactive"] <= due["keep_elapsed"] <= due["from_upgrade"]


# -- 5. de-escalation -----------------------------------------------------------------


def deescalating(cancel: bool = False, **rule: Any) -> o.Plan:
    rule.setdefault("id", "calm")
    rule.setdefault("to", "general")
    rule["cancel_started"] = cancel
    return grading(deescalation=[rule])


MAJOR_THEN_SUBSIDED = incident(
    observations=[clicks(cst(23, 9), 10), clicks(cst(23, 10), 2000)],
    events=[o.Event(cst(23, 12), "subsided")],
)


def test_an_event_lowers_the_grade_and_started_duties_stay(backend):
    """A de-escalation event lowers the grade from its instant, and duties the higher grade started stay pending."""
    a = assess(deescalating(event="subsided"), MAJOR_THEN_SUBSIDED, cst(23, 12, 30), backend)

    assert "general" == a.grade.id
    last = a.grade_history[-1]
    assert ("deescalated", cst(23, 12)) == (last.source, last.since)
    assert "calm" in last.reason
    assert ["general", "major", "general"] == [g.id for g in a.grade_history]
    assert "pending" == a.action("report_major").status
    assert a.action("report_major").cancelled_at is None


def test_cancel_started_cancels_open_duties_of_the_higher_grade(backend):
    """De-escalation with cancel_started cancels the higher grade's open duties but spares those still applying."""
    plan = deescalating(cancel=True, event="subsided")
    inc = attrs.evolve(
        MAJOR_THEN_SUBSIDED,
        events=(
            *MAJOR_THEN_SUBSIDED.events,
            o.Event(cst(23, 9, 30), "action_done", action="summary"),
        ),
    )

    a = assess(plan, inc, cst(23, 12, 30), backend)

    major = a.action("report_major")
    assert ("cancelled", cst(23, 12)) == (major.status, major.cancelled_at)
    assert "cancelled" in major.reason
    # The 一般 duty's condition holds after the drop, so it is spared.
    assert "pending" == a.action("report_general").status
    assert "report_major" not in {s.id for s in a.due()}


def test_a_done_duty_is_not_cancelled(backend):
    """De-escalation with cancel_started leaves a duty already done as done, not cancelled."""
    plan = deescalating(cancel=True, event="subsided")
    inc = attrs.evolve(
        MAJOR_THEN_SUBSIDED,
        events=(
            *MAJOR_THEN_SUBSIDED.events,
            o.Event(cst(23, 11), "action_done", action="report_major"),
        ),
    )

    a = assess(plan, inc, cst(23, 12, 30), backend)

    assert ("done", None) == (
        a.action("report_major").status,
        a.action("report_major").cancelled_at,
    )


def test_a_deescalation_never_raises_the_grade(backend):
    """A de-escalation rule whose target is above the current grade does not change the grade."""
    inc = incident(observations=[clicks(cst(23, 9), 10)], events=[o.Event(cst(23, 10), "subsided")])
    plan = grading(deescalation=[{"id": "calm", "to": "major", "event": "subsided"}])

    a = assess(plan, inc, cst(23, 11), backend)

    assert ["general"] == [g.id for g in a.grade_history]


def test_the_grade_rises_again_only_when_criteria_hold_anew(backend):
    """After de-escalation the grade rises again only once the higher criteria stop holding and then hold anew."""
    plan = deescalating(event="subsided")
    # Still above 1000 in the hour after the drop: no rise.
    still_high = attrs.evolve(
        MAJOR_THEN_SUBSIDED,
        observations=(clicks(cst(23, 9), 10), clicks(cst(23, 11, 30), 2000)),
        events=(o.Event(cst(23, 12), "subsided"),),
    )
    a = assess(plan, still_high, cst(23, 12, 20), backend)
    assert "general" == a.grade.id

    # The criteria stop holding (the window empties), then hold anew.
    anew = attrs.evolve(
        still_high, observations=(*still_high.observations, clicks(cst(23, 15), 3000))
    )
    a = assess(plan, anew, cst(23, 15, 10), backend)
    assert ["general", "major", "general", "major"] == [g.id for g in a.grade_history]
    assert ("computed", cst(23, 15)) == (a.grade.source, a.grade.since)


def test_a_measure_rule_needs_consecutive_low_observations(backend):
    """A measure de-escalation rule fires only after the given number of consecutive observations below the bound."""
    plan = deescalating(measure="clicks_1h", below=100, consecutive=3)
    lows = [clicks(cst(23, h), 10) for h in (12, 14, 16)]
    broken = [clicks(cst(23, 12), 10), clicks(cst(23, 14), 500), clicks(cst(23, 16), 10)]
    high = [clicks(cst(23, 9), 10), clicks(cst(23, 10), 2000)]

    after_two = assess(plan, incident(observations=high + lows), cst(23, 15), backend)
    after_three = assess(plan, incident(observations=high + lows), cst(23, 17), backend)
    interrupted = assess(plan, incident(observations=high + broken), cst(23, 17), backend)

    assert "major" == after_two.grade.id
    assert ("general", "deescalated", cst(23, 16)) == (
        after_three.grade.id,
        after_three.grade.source,
        after_three.grade.since,
    )
    assert "major" == interrupted.grade.id


# -- 6. closure -----------------------------------------------------------------------

CLOSED = incident(
    observations=[clicks(cst(23, 9), 10), clicks(cst(23, 14), 5000)],
    events=[o.Event(cst(23, 13), "case_closed")],
)


def test_closure_freezes_the_grade_and_starts_closing_duties(backend):
    """The closure event freezes the grade, sets closed_at and starts the duties anchored on it."""
    plan = grading(closure={"event": "case_closed"})

    a = assess(plan, CLOSED, cst(23, 15), backend)

    assert ("general", cst(23, 13)) == (a.grade.id, a.closed_at)
    assert ["general"] == [g.id for g in a.grade_history]
    assert not [u for u in a.undecided if u.kind == "grade"]
    summary = a.action("summary")
    assert ("pending", cst(23, 13), cst(28, 13)) == (
        summary.status,
        summary.anchor_at,
        summary.due,
    )
    assert "pending" == a.action("report_general").status
    assert a.to_dict()["closed_at"] == "2026-11-23T13:00:00+08:00"


def test_closure_cancels_only_when_the_plan_says_so(backend):
    """Closure with cancel_started cancels open duties but not those anchored on the closing event."""
    plan = grading(closure={"event": "case_closed", "cancel_started": True})

    a = assess(plan, CLOSED, cst(23, 15), backend)

    general = a.action("report_general")
    assert ("cancelled", cst(23, 13)) == (general.status, general.cancelled_at)
    assert ("pending", None) == (a.action("summary").status, a.action("summary").cancelled_at)


def test_an_open_incident_has_no_closed_at(backend):
    """Before the closure event closed_at is None and duties anchored on it are waiting."""
    plan = grading(closure={"event": "case_closed"})

    a = assess(plan, CLOSED, cst(23, 12), backend)

    assert a.closed_at is None
    assert "waiting" == a.action("summary").status


# -- 7. overrides ---------------------------------------------------------------------


def test_an_overriding_action_takes_precedence(backend):
    """An applying action that overrides another marks it overridden (with reasons) and removes it from due()."""
    inc = incident(facts={"subject": "safety"}, observations=[clicks(cst(23, 9), 10)])

    a = assess(variant(), inc, cst(23, 10), backend)

    general = a.action("report_general")
    assert ("overridden", "safety_report") == (general.status, general.overridden_by)
    assert "overridden by safety_report" in general.reason
    assert "takes precedence over report_general" in a.action("safety_report").reason
    assert "report_general" not in {s.id for s in a.due()}
    assert "safety_report" in {s.id for s in a.due()}
    assert "safety_report" == a.to_dict()["actions"][0]["overridden_by"]


def test_an_overridden_action_already_done_stays_done(backend):
    """An action done before its overrider applies stays done and is not marked overridden."""
    inc = incident(
        facts={"subject": "safety"},
        observations=[clicks(cst(23, 9), 10)],
        events=[o.Event(cst(23, 9, 30), "action_done", action="report_general")],
    )

    a = assess(variant(), inc, cst(23, 10), backend)

    assert ("done", None) == (
        a.action("report_general").status,
        a.action("report_general").overridden_by,
    )


def test_nothing_is_overridden_while_the_overriding_action_does_not_apply(backend):
    """An overriding action that does not apply leaves the actions it names pending."""
    inc = incident(facts={"subject": "x"}, observations=[clicks(cst(23, 9), 10)])

    a = assess(variant(), inc, cst(23, 10), backend)

    assert "pending" == a.action("report_general").status


@pytest.mark.parametrize(
    ("overrides", "other_overrides", "path"),
    [
        (["safety_report"], [], "actions[2].overrides[0]"),
        (["nowhere"], [], "actions[2].overrides[0]"),
        (["report_general"], ["safety_report"], "actions[0].overrides[0]"),
    ],
)
def test_override_plan_errors(overrides, other_overrides, path):
    """Overriding itself, an unknown action, or an action that overrides back is a plan error at the overrides entry."""

    def change(data: dict[str, Any]) -> None:
        data["actions"][2]["overrides"] = overrides
        data["actions"][0]["overrides"] = other_overrides

    with pytest.raises(PlanValidationError) as info:
        variant(change)

    assert path in plan_paths(info)


# -- 8. the "other" category ------------------------------------------------------------


def test_other_holds_when_every_other_category_is_false(backend):
    """The other category holds when every other category is known to be false."""
    a = assess(variant(), incident(facts={"subject": "x"}), cst(23, 10), backend)

    assert ["other"] == [c.id for c in a.categories]
    assert not [u for u in a.undecided if u.kind == "category"]


def test_other_is_undecided_while_a_category_is_unknown(backend):
    """The other category is undecided, needing the same facts, while another category is undecided."""
    a = assess(variant(), incident(), cst(23, 10), backend)

    assert [] == [c.id for c in a.categories]
    undecided = {u.id: u.needs for u in a.undecided if u.kind == "category"}
    assert {"safety": ("subject",), "other": ("subject",)} == undecided


def test_other_does_not_hold_when_another_category_does(backend):
    """The other category does not hold when another category holds."""
    a = assess(variant(), incident(facts={"subject": "safety"}), cst(23, 10), backend)

    assert ["safety"] == [c.id for c in a.categories]


def test_other_follows_a_fact_supplied_later(backend):
    """The other category holds from the instant a later fact rules the other categories out."""
    inc = incident(events=[o.Event(cst(23, 11), "fact", fact="subject", value="x")])

    a = assess(variant(), inc, cst(23, 12), backend)

    assert [("other", cst(23, 11))] == [(c.id, c.since) for c in a.categories]


def test_other_takes_no_condition():
    """A category marked other with a condition is a plan error at categories[i].condition."""

    def change(data: dict[str, Any]) -> None:
        data["categories"][1]["condition"] = "subject == x"

    with pytest.raises(PlanValidationError) as info:
        variant(change)

    assert "categories[1].condition" in plan_paths(info)


def test_only_one_other_category():
    """A plan with two categories marked other is a plan error at categories."""

    def change(data: dict[str, Any]) -> None:
        data["categories"].append({"id": "misc", "name": "杂项", "other": True})

    with pytest.raises(PlanValidationError) as info:
        variant(change)

    assert "categories" in plan_paths(info)


# -- 9. owner routing -----------------------------------------------------------------


def major_incident(**facts: Any) -> o.Incident:
    return incident(facts={"subject": "x", **facts}, observations=[clicks(cst(23, 9), 2000)])


def owners(a: o.Assessment, action_id: str) -> list[tuple[str, str]]:
    return [(w.id, w.duty) for w in a.action(action_id).owners]


def test_the_first_routing_that_holds_names_the_owners(backend):
    """The first routing whose condition holds names the action's owners and duties, and the reason says so."""
    a = assess(variant(), major_incident(scope="several_departments"), cst(23, 10), backend)

    assert [("party", "coordinate"), ("office", "lead")] == owners(a, "report_major")
    assert "owners by routing 1 (r)" in a.action("report_major").reason
    (rendered,) = [d for d in a.to_dict()["actions"] if d["id"] == "report_major"]
    assert {"id": "party", "name": "局党组", "duty": "coordinate"} == rendered["owners"][0]


def test_default_owners_with_their_duties_when_no_routing_holds(backend):
    """When no routing holds the action keeps its default owners with their duties."""
    a = assess(variant(), major_incident(scope="local"), cst(23, 10), backend)

    assert [("office", "lead"), ("section", "support")] == owners(a, "report_major")
    assert "routing" not in a.action("report_major").reason
    assert [("office", "")] == owners(a, "summary")


def test_an_undecided_routing_keeps_the_default_owners_and_says_why(backend):
    """An undecided routing keeps the default owners and the reason names the facts it needs."""
    a = assess(variant(), major_incident(), cst(23, 10), backend)

    assert [("office", "lead"), ("section", "support")] == owners(a, "report_major")
    assert "owner routing undecided: needs scope" in a.action("report_major").reason


def test_routing_plan_errors():
    """A routing to an unknown role, an unknown duty word, or a duty for a role that is not an owner is refused."""

    def unknown_role(data: dict[str, Any]) -> None:
        data["actions"][1]["routing"][0]["owners"] = ["nobody"]

    with pytest.raises(PlanValidationError) as info:
        variant(unknown_role)
    assert "actions[1].routing[0].owners[0]" in plan_paths(info)

    with pytest.raises(ValueError, match="duty"):
        Assignment("office", "boss")

    plan = variant()
    with pytest.raises(PlanValidationError) as info:
        attrs.evolve(
            plan,
            actions=(
                attrs.evolve(plan.actions[0], assignments=(Assignment("section", "lead"),)),
                *plan.actions[1:],
            ),
        )
    assert "actions[0].assignments[0]" in plan_paths(info)


# -- 11. the backends agree -----------------------------------------------------------


@pytest.mark.skipif(
    not __import__("opinion_rules.engine._durable", fromlist=["x"]).durable_available(),
    reason="durable_rules does not import here",
)
@pytest.mark.parametrize(
    ("plan", "inc", "at"),
    [
        (IMPACT, incident(facts={"subject": "x"}, observations=[clicks(cst(23, 10), 2000)]), 11),
        (grading(regrade="keep_elapsed"), UPGRADE, 12),
        (deescalating(cancel=True, event="subsided"), MAJOR_THEN_SUBSIDED, 13),
        (grading(closure={"event": "case_closed", "cancel_started": True}), CLOSED, 15),
        (variant(), incident(facts={"subject": "safety"}), 10),
        (variant(), major_incident(), 10),
        (
            grading(drive="higher"),
            incident(
                observations=[clicks(cst(23, 9), 10)], events=[asserted(cst(23, 10), "major")]
            ),
            11,
        ),
    ],
)
def test_both_backends_give_the_same_lifecycle_result(plan, inc, at):
    """The python and durable backends give the same assessment for each lifecycle feature."""
    python = assess(plan, inc, cst(23, at), "python")
    durable = assess(plan, inc, cst(23, at), "durable")

    assert python.to_dict() == durable.to_dict()
