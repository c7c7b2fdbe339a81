"""
The grade alone: the change points walked with the grade rules only, the
driving grade followed, and its history written with the reasons
:func:`~opinion_rules.engine._evaluate.evaluate` gives it.

Stage 2 (actions) never feeds the grade: stage-1 rules read neither the
grade nor action states, and the instants a state slot adds to the full walk
carry no event and no observation, so the grader does nothing there.  The
result therefore equals the grade part of a full evaluation (a property
test keeps it so, on every backend).

On the ``python`` backend the walk is narrowed to what the grade reads
(:meth:`Shape.narrowed <opinion_rules.engine._shape.Shape.narrowed>`): the
slots of the grade rules and of de-escalation measures, at the instants a
full walk visits (so each change carries the same instant object); one
snapshot is refreshed in place and the grade rules run again only when one
of its slots changed.  Other backends match the full stage-1 snapshot.
"""

from __future__ import annotations

from datetime import datetime

from opinion_rules.engine._backend import Backend
from opinion_rules.engine._grade_history import grade_entry
from opinion_rules.engine._grading import Grader
from opinion_rules.engine._prepared import Prepared
from opinion_rules.engine._python import PythonBackend
from opinion_rules.engine._timeline import Snapshot, Timeline, validate_evaluation_instant
from opinion_rules.model._facts import Incident
from opinion_rules.model._results import GradeAssessment


__all__ = ["grade_only"]


def grade_only(
    prepared: Prepared, backend: Backend, incident: Incident, at: datetime
) -> GradeAssessment:
    """
    The grade of *incident* against the prepared plan as of *at*.
    """
    plan = prepared.plan
    at = validate_evaluation_instant(at)
    prepared.check(incident)
    if isinstance(backend, PythonBackend):
        grader, first, grade_snaps = _lean_walk(prepared, incident, at)
    else:
        grader, first, grade_snaps = _walk(prepared, backend, incident, at)

    def reason(rule_id: str, snap: Snapshot | None = None) -> str:
        return prepared.reason(rule_id, first[rule_id] if snap is None else snap)

    history = tuple(grade_entry(plan, change, grade_snaps, reason) for change in grader.history)
    return GradeAssessment(
        plan_id=plan.id,
        incident_id=incident.id,
        at=at,
        timezone=plan.timezone,
        grade=history[-1] if history else None,
        grade_history=history,
        grade_driver=plan.grading.drive,
        closed_at=grader.closed_at,
        grade_scale=bool(plan.grades),
    )


def _lean_walk(
    prepared: Prepared, incident: Incident, at: datetime
) -> tuple[Grader, dict[str, Snapshot], dict[datetime, Snapshot]]:
    """
    The grader walked over a timeline of the grade rules' slots alone,
    matched by the grade rules alone (the ``python`` backend's rules,
    compiled the same way): one snapshot refreshed in place, the rules run
    again only when a slot changed, and a copy kept only where a rule first
    held or the grade changed (for the reasons).
    """
    plan = prepared.plan
    timeline = Timeline(plan, prepared.program, incident, at, prepared.values, prepared.grade_shape)
    grader = Grader(plan, timeline.events, timeline.observed, prepared.shape.scale)
    matcher = prepared.grade_matcher
    rules = tuple(zip(matcher.ids, matcher.checks, strict=True))
    # The snapshot each grade rule first held on, and the one at each change.
    first: dict[str, Snapshot] = {}
    grade_snaps: dict[datetime, Snapshot] = {}
    history = grader.history
    snap: Snapshot = {}
    results: dict[str, bool | None] | None = None
    for t in timeline.past_points():
        kept: Snapshot | None = None
        if timeline.refresh(snap, t) or results is None:
            results = {rule_id: check(snap) for rule_id, check in rules}
            for rule_id, held in results.items():
                if held is True and rule_id not in first:
                    if kept is None:
                        kept = dict(snap)
                    first[rule_id] = kept
        elif grader.quiet(t):
            continue  # nothing changed, and the grader has nothing to do at t
        before = len(history)
        grader.step(t, results, snap)
        if len(history) != before:
            grade_snaps[t] = dict(snap) if kept is None else kept
    return grader, first, grade_snaps


def _walk(
    prepared: Prepared, backend: Backend, incident: Incident, at: datetime
) -> tuple[Grader, dict[str, Snapshot], dict[datetime, Snapshot]]:
    """
    The grader walked over every change point, matched by *backend*'s stage 1.
    """
    timeline = prepared.timeline(incident, at)
    grader = Grader(prepared.plan, timeline.events, timeline.observed, prepared.shape.scale)
    grade_rules = prepared.grade_rules
    first: dict[str, Snapshot] = {}
    grade_snaps: dict[datetime, Snapshot] = {}
    points = timeline.change_points()
    seen: Snapshot | None = None
    results: dict[str, bool | None] = {}
    with backend.session() as session:
        for t in points:
            snap = timeline.snapshot(t)
            if snap != seen:
                seen = snap
                matched = session.match(1, snap)
                results = {r: matched.get(r) for r in grade_rules}
                for rule_id, held in results.items():
                    if held is True and rule_id not in first:
                        first[rule_id] = snap
            before = len(grader.history)
            grader.step(t, results, snap)
            if len(grader.history) != before:
                grade_snaps[t] = snap
    return grader, first, grade_snaps
