"""
One walk over an incident's change points: match stage 1, follow the
grade, match stage 2, and record when each rule first held, which rules
stayed unknown on what, and the duties that de-escalation or closure
cancelled on the way.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from datetime import datetime

from opinion_rules.engine._backend import Session
from opinion_rules.engine._grading import Grader
from opinion_rules.engine._interpret import unknown_slots
from opinion_rules.engine._ir import (
    GRADE_SLOT,
    Node,
    Program,
    action_rule,
    category_rule,
)
from opinion_rules.engine._state_slots import KnownAt, fact_changes, state_values
from opinion_rules.engine._timeline import Snapshot, Timeline
from opinion_rules.model._facts import Event, Incident, Observation
from opinion_rules.model._plan import Plan


__all__ = ["FirstHeld", "Unknown", "Walk"]


class FirstHeld:
    """
    Since when each rule holds, with the snapshot it started holding on.

    A rule holds from the first instant it held, for good, unless it is in
    *while_rules* (``applies: while``): such a rule is withdrawn at the
    first change point at which it is known false (``until``), and holds
    again, a new spell, from the next one at which it holds; unknown neither
    starts nor ends a spell.
    """

    def __init__(self, while_rules: frozenset[str] = frozenset()) -> None:
        self.while_rules = while_rules
        self.since: dict[str, tuple[datetime, Snapshot]] = {}
        #: Withdrawn rules: the instant each stopped holding (the spell ended).
        self.until: dict[str, datetime] = {}
        #: Rules in a spell after their first: the start of their first spell.
        self.respelled: dict[str, datetime] = {}
        #: How many spells started or ended so far.
        self.version = 0

    def record(
        self, results: Mapping[str, bool | None], t: datetime, snapshot: Snapshot
    ) -> list[str]:
        """
        Note the rules of *results* that start holding at *t*, and the
        ``while`` rules that stop holding at *t*.
        """
        new = []
        for rule_id, held in results.items():
            if held is True and (rule_id not in self.since or rule_id in self.until):
                if rule_id in self.until:
                    del self.until[rule_id]
                    self.respelled.setdefault(rule_id, self.since[rule_id][0])
                self.since[rule_id] = (t, snapshot)
                new.append(rule_id)
            elif (
                held is False
                and rule_id in self.while_rules
                and rule_id in self.since
                and rule_id not in self.until
            ):
                self.until[rule_id] = t
                self.version += 1
        self.version += len(new)
        return new

    def holds(self, rule_id: str) -> bool:
        """
        Whether *rule_id* holds now: it held and was not withdrawn since.
        """
        return rule_id in self.since and rule_id not in self.until

    def latched(self) -> dict[str, tuple[datetime, Snapshot]]:
        """
        The rules that held and hold for good (not ``while`` rules).
        """
        return {r: v for r, v in self.since.items() if r not in self.while_rules}


class Unknown:
    """
    For each rule, the first and the last snapshot on which it was unknown.

    :meth:`record` may be given every result of a match or only those that
    changed since the previous match of the same stage: a rule unknown on the
    latest snapshot of its stage is *open*, and its last unknown snapshot is
    read off that stage when asked, so unchanged results need no visit.
    """

    def __init__(self) -> None:
        self._first: dict[str, Snapshot] = {}
        #: Rules no longer unknown: the last snapshot on which they were.
        self._last: dict[str, Snapshot] = {}
        #: Rules unknown on the latest snapshot recorded for their stage.
        self._open: dict[str, int] = {}
        self._latest: dict[int, Snapshot] = {}

    def record(
        self, results: Mapping[str, bool | None], snapshot: Snapshot, stage: int = 0
    ) -> None:
        """
        Note the rules of *results* that are unknown on *snapshot*, the
        next snapshot matched for *stage*.
        """
        previous = self._latest.get(stage)
        for rule_id, held in results.items():
            if held is None:
                self._first.setdefault(rule_id, snapshot)
                self._open[rule_id] = stage
            elif rule_id in self._open and previous is not None:
                del self._open[rule_id]
                self._last[rule_id] = previous
        self._latest[stage] = snapshot

    @property
    def seen(self) -> dict[str, tuple[Snapshot, Snapshot]]:
        """
        For each rule that was unknown: its first and last unknown snapshot.
        """
        return {rule_id: self._span(rule_id) for rule_id in self._first}

    def span(self, rule_id: str) -> tuple[Snapshot, Snapshot] | None:
        """
        The first and last snapshot on which *rule_id* was unknown, or
        ``None`` if it never was.
        """
        if rule_id not in self._first:
            return None
        return self._span(rule_id)

    def _span(self, rule_id: str) -> tuple[Snapshot, Snapshot]:
        stage = self._open.get(rule_id)
        last = self._last[rule_id] if stage is None else self._latest[stage]
        return self._first[rule_id], last

    def needs(self, rule_id: str, node: Node, final: Snapshot) -> list[str]:
        """
        The slots that kept *rule_id* unknown and are unknown still.
        """
        if rule_id not in self._first:
            return []
        slots = set().union(*(unknown_slots(node, snap) for snap in self._span(rule_id)))
        return sorted(s for s in slots if final.get(s) is None)


class Walk:
    """
    One pass over the change points: what held first, what was unknown, the
    driving grade, and the duties cancelled on the way.
    """

    def __init__(self, plan: Plan, program: Program, timeline: Timeline) -> None:
        self.plan = plan
        self.program = program
        self.timeline = timeline
        shape = timeline.shape
        self.first = FirstHeld(shape.while_rules)
        self.unknown = Unknown()
        self.grader = Grader(plan, timeline.events, timeline.observed, shape.scale)
        self.snaps: dict[int, Snapshot] = {}
        self.results: dict[int, Mapping[str, bool | None]] = {1: {}, 2: {}}
        self.grade_snaps: dict[datetime, Snapshot] = {}
        self.cancelled: dict[str, tuple[datetime, str]] = {}
        # State slots (done(x), before(a, b) …) and duties owed per change of a fact.
        self.states = program.states
        self.per_change = shape.per_change
        self.fact_changes: dict[str, list[datetime]] = (
            fact_changes(timeline.incident, timeline.events)
            if self.states or self.per_change
            else {}
        )
        # The same, as sets, for membership tests at every change point.
        self._change_sets = {f: set(ts) for f, ts in self.fact_changes.items()}
        #: For each per-change action, the changes at which its condition held.
        self.held_at_changes: dict[str, list[datetime]] = {a: [] for a in self.per_change}
        #: Instants after the evaluation instant at which a state slot would change.
        self.upcoming: list[datetime] = []
        #: For each action whose extension has a condition: its value from
        #: each change point at which it changed, in order.
        self.allowed: dict[str, list[tuple[datetime, bool | None]]] = {
            action_id: [] for action_id, _rule in shape.extensions
        }
        self._extensions = shape.extensions
        # The walk's place: the change points known, the next one to visit,
        # those added on the way (a heap), and every one ever queued.
        self._points: list[datetime] | None = None
        self._next = 0
        self._added: list[datetime] = []
        self._visited: set[datetime] = set()
        # Stage 2 reads whether each category matched so far: its slot, its rule.
        self._categories = shape.categories

    def _match(self, session: Session, stage: int, t: datetime, snap: Snapshot) -> None:
        if snap != self.snaps.get(stage):
            self.snaps[stage] = snap
            self.results[stage] = session.match(stage, snap)
            # A backend that tells which results changed (the python one)
            # spares recording the rest: recording an unchanged result is a
            # no-op for both (see Unknown).
            report = getattr(session, "changes", None)
            changed = self.results[stage] if report is None else report(stage)
            self.first.record(changed, t, snap)
            self.unknown.record(changed, snap, stage)

    def run(self, session: Session) -> None:
        """
        Walk every change point in order, matching with *session*.
        """
        grader = self.grader
        grade_read = GRADE_SLOT in self.program.slots
        # The change points in order (past the evaluation instant too: an
        # advance walks on to them), with a heap for the instants added on the way.
        if self._points is None:
            self._points = self.timeline.all_points()
            self._visited = set(self._points)
        points, added, visited, at = self._points, self._added, self._visited, self.timeline.at
        while True:
            i = self._next
            if added and (i == len(points) or added[0] < points[i]):
                if added[0] > at:
                    break
                t = heapq.heappop(added)
            elif i < len(points) and points[i] <= at:
                t = points[i]
                self._next = i + 1
            else:
                break
            snap1 = self.timeline.snapshot(t)
            self._match(session, 1, t, snap1)
            before = len(grader.history)
            grader.step(t, self.results[1], snap1)
            if len(grader.history) != before:
                self.grade_snaps[t] = snap1
            snap2 = dict(snap1)
            if grade_read:
                snap2[GRADE_SLOT] = grader.rank
            for slot, rule_id in self._categories:
                snap2[slot] = self.first.holds(rule_id)
            held_before = self.first.version
            if self.states:
                values, later = self._state_values(t)
                snap2.update(values)
                self._visit(later, added, visited)
            self._match(session, 2, t, snap2)
            if self.states and self.first.version != held_before:
                # Actions that started to apply at t fall due later: visit then.
                self._visit(self._state_values(t)[1], added, visited)
            for action_id, extension in self._extensions:
                history = self.allowed[action_id]
                value = self.results[2].get(extension)
                if not history or history[-1][1] is not value:
                    history.append((t, value))
            for action_id, fact_id in self.per_change.items():
                rule_held = self.results[2].get(action_rule(action_id)) is True
                if rule_held and t in self._change_sets.get(fact_id, ()):
                    self.held_at_changes[action_id].append(t)
            for when, why in grader.cancellations:
                if when == t:
                    self._cancel(t, why)

    def _visit(self, later: list[datetime], points: list[datetime], visited: set[datetime]) -> None:
        """
        Add the instants at which state slots change by themselves to the
        walk, or to :attr:`upcoming` when they are after the evaluation instant.
        """
        for when in later:
            if when > self.timeline.at:
                self.upcoming.append(when)
            if when not in visited:
                visited.add(when)
                heapq.heappush(points, when)

    def advance(
        self,
        session: Session,
        incident: Incident,
        observations: Sequence[Observation],
        events: Sequence[Event],
        at: datetime,
    ) -> None:
        """
        Walk on to *at*, where *incident* has the new *observations* and
        *events* (in time order, each later than the last evaluation instant).
        """
        new = self.timeline.advance(incident, observations, events, at)
        self.grader.extend(events, ((o.metric, o.at) for o in observations))
        if (self.states or self.per_change) and events:
            self.fact_changes = fact_changes(incident, self.timeline.events)
            self._change_sets = {f: set(ts) for f, ts in self.fact_changes.items()}
        for when in new:
            if when not in self._visited:
                self._visited.add(when)
                heapq.heappush(self._added, when)
        self.upcoming = [u for u in self.upcoming if u > at]
        self.run(session)

    def _state_values(self, t: datetime) -> tuple[dict[str, bool | None], list[datetime]]:
        """
        The state slots at *t*, from statuses as known at *t*.
        """
        plan, first = self.plan, self.first
        since = {r: v for r, v in first.since.items() if first.holds(r)}
        grade_since: dict[str, datetime] = {}
        for g in plan.grades:
            reached = [c.at for c in self.grader.history if c.rank >= g.rank]
            if reached:
                grade_since[g.id] = reached[0]
        known = KnownAt(
            t,
            grade_since,
            {c.id: since[r][0] for c in plan.categories if (r := category_rule(c.id)) in since},
            {a.id: since[r][0] for a in plan.actions if (r := action_rule(a.id)) in since},
            {a: when for a, (when, _why) in self.cancelled.items()},
            self.held_at_changes,
        )
        return state_values(
            plan,
            self.timeline.incident,
            self.timeline.events,
            self.fact_changes,
            self.states,
            known,
        )

    def _cancel(self, t: datetime, why: str) -> None:
        """
        Cancel the duties started before *t* and not done by then.  A
        de-escalation spares those whose condition still holds after it; a
        closure spares those that run from its own event.
        """
        plan, cancelled, results = self.plan, self.cancelled, self.results[2]
        closing = plan.grading.closure.event if plan.grading.closure else None
        for action in plan.actions:
            rule_id = action_rule(action.id)
            held = self.first.since.get(rule_id)
            if held is None or held[0] >= t or action.id in cancelled:
                continue
            if rule_id in self.first.until:
                continue  # withdrawn before: no longer owed, nothing to cancel
            if any(d <= t for d in self.timeline.done_times.get(action.id, ())):
                continue
            if why.startswith("de-escalation") and results.get(rule_id) is True:
                continue
            if why.startswith("closure") and action.deadline.anchor.event == closing:
                continue
            cancelled[action.id] = (t, why)
