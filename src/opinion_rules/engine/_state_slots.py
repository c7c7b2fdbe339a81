"""
The values of state slots (``done(x)``, ``overdue(x)``, ``before(a, b)``,
``within(e, a, 30d)``) at one change point, as known then.

The walk asks for them before matching stage 2 at each change point.  They
are computed from statuses as of that instant: a
:class:`~opinion_rules.engine._statuses.StatusCalculator` whose evaluation
instant is the change point and whose inputs are what the walk knew by then.
The instants at which those statuses would change by themselves (an action
falling overdue) are returned too, so the walk visits them: state slots only
change at change points, and ``next_change`` stays exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from opinion_rules.engine._status_inputs import NeedsCalendar, StatusInputs
from opinion_rules.engine._statuses import StatusCalculator
from opinion_rules.exceptions import CalendarRangeError
from opinion_rules.model._anchors import BUILTIN_ANCHORS, REF_ANCHORS, Anchor
from opinion_rules.model._facts import Event, Incident
from opinion_rules.model._plan import Plan
from opinion_rules.model._state_conditions import ActionState, Before, StateCondition, Within
from opinion_rules.time._arithmetic import add_offset


__all__ = ["KnownAt", "fact_changes", "state_values"]


def fact_changes(incident: Incident, events: Sequence[Event]) -> dict[str, list[datetime]]:
    """
    Each fact's changes: the instants after which its value differs from
    the one known just before.  A first value (nothing known before) is a
    report, not a change.  *events* are sorted by time.
    """
    known: dict[str, object] = {f: getattr(v, "value", v) for f, v in incident.facts.items()}
    changes: dict[str, list[datetime]] = {}
    i = 0
    while i < len(events):
        t = events[i].at
        before = dict(known)
        while i < len(events) and events[i].at == t:
            event = events[i]
            if event.type == "fact" and event.fact is not None:
                known[event.fact] = event.value
            i += 1
        for name, value in known.items():
            previous = before.get(name)
            if previous is not None and value is not None and previous != value:
                changes.setdefault(name, []).append(t)
    return changes


class KnownAt:
    """
    What the walk knew at one change point, to build status inputs from.
    """

    def __init__(
        self,
        t: datetime,
        grade_since: Mapping[str, datetime],
        category_since: Mapping[str, datetime],
        applies: Mapping[str, datetime],
        cancelled: Mapping[str, datetime],
        held_at_changes: Mapping[str, Sequence[datetime]],
    ) -> None:
        self.t = t
        self.grade_since = grade_since
        self.category_since = category_since
        self.applies = applies
        self.cancelled = cancelled
        self.held_at_changes = held_at_changes


def _inputs(
    incident: Incident,
    events: Sequence[Event],
    changes: Mapping[str, Sequence[datetime]],
    known: KnownAt,
) -> StatusInputs:
    t = known.t
    seen = [e for e in events if e.at <= t]
    first_event: dict[str, datetime] = {}
    done_times: dict[str, list[datetime]] = {}
    for event in seen:
        first_event.setdefault(event.type, event.at)
        if event.type == "action_done" and event.action is not None:
            done_times.setdefault(event.action, []).append(event.at)
    return StatusInputs(
        at=t,
        incident=incident,
        events=seen,
        first_event=first_event,
        done_times=done_times,
        grade_since=known.grade_since,
        category_since=known.category_since,
        applies={a: (since, "") for a, since in known.applies.items()},
        fact_changes={f: [c for c in cs if c <= t] for f, cs in changes.items()},
        held_at_changes={a: [c for c in cs if c <= t] for a, cs in known.held_at_changes.items()},
    )


def state_values(
    plan: Plan,
    incident: Incident,
    events: Sequence[Event],
    changes: Mapping[str, Sequence[datetime]],
    states: Mapping[str, StateCondition],
    known: KnownAt,
) -> tuple[dict[str, bool | None], list[datetime]]:
    """
    The value of each state slot of *states* at ``known.t`` (``None`` when
    unknown), and the later instants at which the statuses read would
    change with no new facts.
    """
    calculator = StatusCalculator(plan, _inputs(incident, events, changes, known))
    reader = _Reader(plan, calculator, known)
    values = {slot: reader.value(condition) for slot, condition in states.items()}
    later = [*calculator.changes, *calculator.unsettled]
    return values, [c for c in later if c > known.t]


class _Unknown(Exception):  # noqa: N818 - a signal inside this module
    """
    An instant the calendar cannot place.
    """


class _Reader:
    def __init__(self, plan: Plan, calculator: StatusCalculator, known: KnownAt) -> None:
        self.plan = plan
        self.calculator = calculator
        self.known = known
        self.t = known.t

    def value(self, condition: StateCondition) -> bool | None:
        try:
            match condition:
                case ActionState(action, "done"):
                    return self._done(action)
                case ActionState(action, _state):
                    return self._overdue(action)
                case Before(first, second):
                    a, b = self._first(first), self._first(second)
                    return a is not None and (b is None or a < b)
                case Within(event, anchor, offset):
                    return self._within(event, anchor, offset)
        except _Unknown:
            return None
        raise TypeError(f"not a state condition: {condition!r}")  # pragma: no cover

    def _done(self, action_id: str) -> bool:
        status = self.calculator.status(self.plan.action(action_id))
        if status is not None:
            return status.done_at is not None and status.done_at <= self.t
        times = self.calculator.known.done_times.get(action_id, ())
        return bool(times)

    def _overdue(self, action_id: str) -> bool:
        cancelled = self.known.cancelled.get(action_id)
        if cancelled is not None and cancelled <= self.t:
            return False
        status = self.calculator.status(self.plan.action(action_id))
        if status is None:
            return False
        if status.status == "undecided":
            earliest = self.calculator.gaps[action_id][1]
            if earliest is not None and self.t <= earliest:
                return False  # due no earlier than *earliest*: not late yet
            raise _Unknown
        return status.status == "overdue"

    def _first(self, anchor: Anchor) -> datetime | None:
        try:
            return self.calculator.anchor_instant(anchor)
        except NeedsCalendar:
            raise _Unknown from None

    def _latest(self, anchor: Anchor) -> datetime | None:
        known = self.calculator.known
        if anchor.event == "changed":
            changes = known.fact_changes.get(str(anchor.ref), ())
            return changes[-1] if changes else None
        if anchor.event not in REF_ANCHORS and anchor.event not in BUILTIN_ANCHORS:
            times = [e.at for e in known.events if e.type == anchor.event]
            return times[-1] if times else None
        return self._first(anchor)

    def _within(self, event: Anchor, anchor: Anchor, offset: object) -> bool:
        latest, start = self._latest(event), self._first(anchor)
        if latest is None or start is None or latest < start:
            return False
        try:
            end = add_offset(offset, start, self.calculator.rules)  # type: ignore[arg-type]
        except CalendarRangeError as exc:
            if latest <= self.calculator.day_start(exc):
                return True  # the end is no earlier than that day's start
            raise _Unknown from None
        return latest <= end
