"""
The entries of an incident's grade history: each change of the driving
grade as a :class:`GradeReached`, with the reason and clause it cites.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from opinion_rules.engine._grading import Change
from opinion_rules.engine._ir import grade_rule
from opinion_rules.engine._timeline import Snapshot
from opinion_rules.model._facts import Event
from opinion_rules.model._lifecycle import Deescalation, Escalation
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import GradeReached


__all__ = ["grade_entry"]


def grade_entry(
    plan: Plan,
    change: Change,
    snaps: Mapping[datetime, Snapshot],
    reason: Callable[[str, Snapshot | None], str],
) -> GradeReached:
    """
    The history entry for *change*: a computed grade's reason is what its
    criteria held on (the snapshot in *snaps* at the change).
    """
    grade = next(g for g in plan.grades if g.rank == change.rank)
    match change.source:
        case "asserted":
            event = change.event
            assert event is not None  # noqa: S101 - asserted changes carry their event
            who = _who(event)
            why = f"asserted {event.assertion} by {who}"
            return GradeReached(
                grade.id,
                grade.name,
                grade.rank,
                change.at,
                why,
                grade.clause,
                source="asserted",
                assertion=event.assertion,
                by=who,
            )
        case "escalated":
            step = change.rule
            assert isinstance(step, Escalation)  # noqa: S101 - escalations carry their rule
            return GradeReached(
                grade.id,
                grade.name,
                grade.rank,
                change.at,
                _escalation_reason(plan, change, step),
                step.clause or grade.clause,
                source="escalated",
                by=_who(change.event),
            )
        case "deescalated":
            rule = change.rule
            assert isinstance(rule, Deescalation)  # noqa: S101 - de-escalations carry their rule
            trigger = (
                f"event {rule.event} recorded"
                if rule.event is not None
                else f"{rule.measure} < {rule.below} at {rule.consecutive} consecutive observations"
            )
            return GradeReached(
                grade.id,
                grade.name,
                grade.rank,
                change.at,
                f"de-escalated by rule {rule.id}: {trigger}",
                rule.clause or grade.clause,
                source="deescalated",
            )
    return GradeReached(
        grade.id,
        grade.name,
        grade.rank,
        change.at,
        reason(grade_rule(grade.id), snaps.get(change.at)),
        grade.clause,
    )


def _who(event: Event | None) -> str | None:
    """
    ``by (role)`` of *event*, or ``None`` when it does not say.
    """
    if event is None or event.by is None:
        return None
    return f"{event.by}" + (f" ({event.role})" if event.role else "")


def _escalation_reason(plan: Plan, change: Change, step: Escalation) -> str:
    names = {g.rank: g.name for g in plan.grades}
    event = change.event
    assert event is not None  # noqa: S101 - escalations carry their event
    when = event.at.astimezone(plan.tz).isoformat()
    if change.previous > change.rank:
        return (
            f"held by escalation rule {step.id} (event {step.event} at {when}) "
            f"above a later, lower assertion"
        )
    before = names.get(change.previous, "ungraded")
    return (
        f"escalated by rule {step.id}: event {step.event} recorded at {when}, "
        f"{before} + {step.steps} level{'s' if step.steps > 1 else ''}"
    )
