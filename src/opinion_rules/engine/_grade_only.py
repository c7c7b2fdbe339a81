"""
The grade alone: the change points walked with stage 1 only (grades and
categories), the driving grade followed, and its history written with the
reasons :func:`~opinion_rules.engine._evaluate.evaluate` gives it.

Stage 2 (actions) never feeds the grade: stage-1 rules read neither the
grade nor action states, and the instants a state slot adds to the full walk
carry no event and no observation, so the grader does nothing there.  The
result therefore equals the grade part of a full evaluation (a property
test keeps it so).
"""

from __future__ import annotations

import heapq
from datetime import datetime

from opinion_rules.engine._backend import Backend
from opinion_rules.engine._explain import explain
from opinion_rules.engine._grade_history import grade_entry
from opinion_rules.engine._grading import Grader
from opinion_rules.engine._prepared import Prepared
from opinion_rules.engine._timeline import Snapshot, validate_evaluation_instant
from opinion_rules.model._facts import Incident
from opinion_rules.model._results import GradeAssessment


__all__ = ["grade_only"]


def grade_only(
    prepared: Prepared, backend: Backend, incident: Incident, at: datetime
) -> GradeAssessment:
    """
    The grade of *incident* against the prepared plan as of *at*.
    """
    plan, rules, labels = prepared.plan, prepared.rules, prepared.labels
    at = validate_evaluation_instant(at)
    prepared.check(incident)
    timeline = prepared.timeline(incident, at)
    grader = Grader(plan, timeline.events, timeline.observed)
    grade_rules = prepared.grade_rules
    # The snapshot each grade rule first held on, and the one at each change.
    first: dict[str, Snapshot] = {}
    grade_snaps: dict[datetime, Snapshot] = {}
    points = timeline.change_points()
    seen: Snapshot | None = None
    results: dict[str, bool | None] = {}
    with backend.session() as session:
        while points:
            t = heapq.heappop(points)
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

    def reason(rule_id: str, snap: Snapshot | None = None) -> str:
        return explain(rules[rule_id].condition, first[rule_id] if snap is None else snap, labels)

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
