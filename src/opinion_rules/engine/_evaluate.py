"""
Evaluate one incident against one compiled plan at one instant.

The loop is the same for every backend; a backend only matches snapshots.

1. Keep only observations and events at or before *at*.
2. Collect the *change points*: every instant at or before *at* where a
   snapshot can differ from the one before (observations, the instants they
   leave a rolling window, events, discovery and posting).  Between change
   points every measure, fact and event flag is constant, so evaluating at
   the change points sees every state the incident was in.
3. At each change point, in order: match stage 1 (grades, categories); the
   grade is the highest grade whose criteria ever held; then match stage 2
   (actions) with that grade and the categories matched so far.
4. For each action whose condition has held: the clock starts at the later
   of its anchor event and the instant its condition first held; compute
   the due time and the status at *at*.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import attrs

from opinion_rules._limits import instant_problem
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.model._conditions import Compare, MeasureRef, OneOf, walk
from opinion_rules.model._facts import Incident, Observation
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import (
    ActionStatus,
    Assessment,
    CategoryMatch,
    GradeReached,
    Owner,
    Undecided,
)
from opinion_rules.model._windows import Measure, Point, SeriesIndex

from ._explain import Labels, explain
from ._grading import Change, Grader
from ._incident_check import validate_incident
from ._ir import And, Leaf, Neg, Node, Or, Program, Rule, routing_rule
from ._python import compile_node
from ._statuses import Known, Times, calendar_gap


Snapshot = dict[str, object]


class Session(Protocol):
    def match(self, stage: int, snapshot: Mapping[str, object]) -> Mapping[str, bool | None]: ...


class Backend(Protocol):
    name: str

    def session(self) -> AbstractContextManager[Session]: ...


def check_at(at: object) -> datetime:
    """
    Require *at* to be a timezone-aware datetime.
    """
    if not isinstance(at, datetime):
        raise FactError(
            "evaluation",
            [Problem("at", "is not a datetime", "a timezone-aware datetime", repr(at))],
        )
    if at.tzinfo is None or at.utcoffset() is None:
        raise FactError(
            "evaluation",
            [
                Problem(
                    "at",
                    "is naive",
                    "a timezone-aware datetime, e.g. 2026-11-23T12:00:00+08:00",
                    at.isoformat(),
                )
            ],
        )
    problem = instant_problem(at)
    if problem is not None:
        raise FactError("evaluation", [Problem("at", problem, got=at.isoformat())])
    return at


class _Timeline:
    """
    What the incident looked like at any instant up to *at*.
    """

    def __init__(self, plan: Plan, program: Program, incident: Incident, at: datetime) -> None:
        self.plan = plan
        self.incident = incident
        self.at = at
        observations = [o for o in incident.observations if o.at <= at]
        self.events = sorted((e for e in incident.events if e.at <= at), key=lambda e: e.at)
        self.first_event: dict[str, datetime] = {}
        self.done_times: dict[str, list[datetime]] = defaultdict(list)
        for event in self.events:
            self.first_event.setdefault(event.type, event.at)
            if event.type == "action_done" and event.action is not None:
                self.done_times[event.action].append(event.at)
        self.indexes = _index(observations, incident.posted_at, plan.tz)
        self.observed: dict[str, set[datetime]] = defaultdict(set)
        for obs in observations:
            self.observed[obs.metric].add(obs.at)
        self.slots = program.slots
        self.fact_changes = [e for e in self.events if e.type == "fact"]

    def _measure_points(self, measure: Measure) -> Iterable[datetime]:
        index = self.indexes.get(measure.metric)
        return () if index is None else index.change_points(measure)

    def upcoming(self, held: Mapping[str, object]) -> list[datetime]:
        """
        Instants after *at* where a measure that a rule not yet held reads
        changes with no new observation (one leaves a window, a day ends).
        Rules that held stay held, so their measures no longer matter.
        """
        plan = self.plan
        conditions = {
            **{f"g.{g.id}": g.criteria for g in plan.grades},
            **{f"c.{c.id}": c.condition for c in plan.categories},
            **{f"a.{a.id}": a.condition for a in plan.actions},
        }
        watched = {
            node.operand.id
            for rule_id, condition in conditions.items()
            if rule_id not in held
            for node in walk(condition)
            if isinstance(node, Compare | OneOf) and isinstance(node.operand, MeasureRef)
        }
        return [
            t
            for measure in self.plan.measures
            if measure.id in watched
            for t in self._measure_points(measure)
            if t > self.at
        ]

    def change_points(self) -> list[datetime]:
        points: set[datetime] = set()
        for measure in self.plan.measures:
            points.update(self._measure_points(measure))
        points.update(e.at for e in self.events)
        points.add(self.incident.discovered_at)
        if self.incident.posted_at is not None:
            points.add(self.incident.posted_at)
        return sorted(p for p in points if p <= self.at)

    def snapshot(self, t: datetime) -> Snapshot:
        snap: Snapshot = {}
        for measure in self.plan.measures:
            slot = f"m_{measure.id}"
            if slot in self.slots:
                index = self.indexes.get(measure.metric)
                snap[slot] = None if index is None else index.value(measure, t)
        facts = dict(self.incident.facts)
        for event in self.fact_changes:
            if event.at <= t:
                facts[str(event.fact)] = event.value  # type: ignore[assignment]
        for spec in self.plan.facts:
            slot = f"f_{spec.id}"
            if slot in self.slots:
                value = facts.get(spec.id)
                if value is not None and spec.type == "enum" and spec.ordered:
                    value = spec.choices.index(str(value))
                snap[slot] = value
        for slot in self.slots:
            if slot.startswith("e_"):
                first = self.first_event.get(slot[2:])
                snap[slot] = first is not None and first <= t
        return snap


def _index(
    observations: list[Observation], posted_at: datetime | None, tz: ZoneInfo
) -> dict[str, SeriesIndex]:
    totals: dict[str, dict[tuple[str | None, str | None], list[Point]]] = defaultdict(
        lambda: defaultdict(list)
    )
    increments: dict[str, dict[tuple[str | None, str | None], list[Point]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for obs in sorted(observations, key=lambda o: o.at):
        target = totals if obs.kind == "total" else increments
        target[obs.metric][(obs.site, obs.channel)].append(
            Point(obs.at, obs.value, obs.site, obs.channel)
        )
    metrics = set(totals) | set(increments)
    return {
        metric: SeriesIndex(
            dict(totals.get(metric, {})), dict(increments.get(metric, {})), posted_at, tz
        )
        for metric in metrics
    }


class _FirstHeld:
    """
    The first instant each rule held, with the snapshot it held on.
    """

    def __init__(self) -> None:
        self.since: dict[str, tuple[datetime, Snapshot]] = {}

    def record(
        self, results: Mapping[str, bool | None], t: datetime, snapshot: Snapshot
    ) -> list[str]:
        new = [
            rule_id
            for rule_id, held in results.items()
            if held is True and rule_id not in self.since
        ]
        for rule_id in new:
            self.since[rule_id] = (t, snapshot)
        return new


class _Run:
    """
    One pass over the change points: what held first, what was unknown, the
    driving grade, and the duties cancelled on the way.
    """

    def __init__(self, plan: Plan, program: Program, timeline: _Timeline) -> None:
        self.plan = plan
        self.program = program
        self.timeline = timeline
        self.first = _FirstHeld()
        self.unknown = _Unknown()
        self.grader = Grader(plan, timeline.events, timeline.observed)
        self.snaps: dict[int, Snapshot] = {}
        self.results: dict[int, Mapping[str, bool | None]] = {1: {}, 2: {}}
        self.grade_snaps: dict[datetime, Snapshot] = {}
        self.cancelled: dict[str, tuple[datetime, str]] = {}

    def _match(self, session: Session, stage: int, t: datetime, snap: Snapshot) -> None:
        if snap != self.snaps.get(stage):
            self.snaps[stage] = snap
            self.results[stage] = session.match(stage, snap)
            self.first.record(self.results[stage], t, snap)
            self.unknown.record(self.results[stage], snap)

    def walk(self, session: Session) -> None:
        grader, slots = self.grader, self.program.slots
        for t in self.timeline.change_points():
            snap1 = self.timeline.snapshot(t)
            self._match(session, 1, t, snap1)
            before = len(grader.history)
            grader.step(t, self.results[1], snap1)
            if len(grader.history) != before:
                self.grade_snaps[t] = snap1
            snap2 = dict(snap1)
            if "grade" in slots:
                snap2["grade"] = grader.rank
            for slot in slots:
                if slot.startswith("c_"):
                    snap2[slot] = f"c.{slot[2:]}" in self.first.since
            self._match(session, 2, t, snap2)
            for when, why in grader.cancellations:
                if when == t:
                    _cancel(
                        self.plan,
                        self.first,
                        self.timeline,
                        self.results[2],
                        t,
                        why,
                        self.cancelled,
                    )


def evaluate(
    plan: Plan, program: Program, backend: Backend, incident: Incident, at: datetime
) -> Assessment:
    """
    Evaluate *incident* against *plan* as of *at*.
    """
    at = check_at(at)
    validate_incident(plan, incident)
    timeline = _Timeline(plan, program, incident, at)
    labels = Labels(plan)
    rules: dict[str, Rule] = {r.id: r for r in program.rules}
    run = _Run(plan, program, timeline)
    with backend.session() as session:
        run.walk(session)
    first, unknown, grader = run.first, run.unknown, run.grader
    snaps, results, grade_snaps, cancelled = run.snaps, run.results, run.grade_snaps, run.cancelled

    def reason(rule_id: str, snap: Snapshot | None = None) -> str:
        _held_at, first_snap = first.since[rule_id]
        return explain(rules[rule_id].condition, first_snap if snap is None else snap, labels)

    grade_history = tuple(
        _grade_entry(plan, change, grade_snaps, reason) for change in grader.history
    )
    categories = tuple(
        CategoryMatch(c.id, c.name, first.since[f"c.{c.id}"][0], reason(f"c.{c.id}"), c.clause)
        for c in plan.categories
        if f"c.{c.id}" in first.since
    )
    grade_since: dict[str, datetime] = {}
    for g in plan.grades:
        reached_at = [c.at for c in grader.history if c.rank >= g.rank]
        if reached_at:
            grade_since[g.id] = reached_at[0]
    known = Known(
        at=at,
        incident=incident,
        events=timeline.events,
        first_event=timeline.first_event,
        done_times=timeline.done_times,
        grade_since=grade_since,
        category_since={c.id: first.since[f"c.{c.id}"][0] for c in categories},
        applies={
            a.id: (first.since[f"a.{a.id}"][0], reason(f"a.{a.id}"))
            for a in plan.actions
            if f"a.{a.id}" in first.since
        },
    )
    times = Times(plan, known)
    statuses = {
        action.id: status for action in plan.actions if (status := times.status(action)) is not None
    }
    final = snaps.get(2, {})
    _route(plan, statuses, results[2], final, rules, labels)
    _override(plan, statuses)
    _apply_cancellations(plan, statuses, cancelled)
    chains = tuple(times.chain(i) for i in range(len(plan.chains)))
    times.changes.extend(timeline.upcoming(first.since))
    return Assessment(
        plan_id=plan.id,
        plan_title=plan.title,
        plan_version=plan.version,
        incident_id=incident.id,
        at=at,
        timezone=plan.timezone,
        grade=grade_history[-1] if grade_history else None,
        grade_history=grade_history,
        categories=categories,
        actions=tuple(statuses[a.id] for a in plan.actions if a.id in statuses),
        chains=chains,
        next_change=times.next_change(),
        undecided=(
            tuple(_undecided(plan, grader, first, unknown, final, rules, labels)) if snaps else ()
        )
        + tuple(
            Undecided(
                "action",
                action_id,
                statuses[action_id].title,
                (f"calendar:{error.calendar}:{error.day.year}",),
                f"undecided: {calendar_gap(error)}",
            )
            for action_id, (error, _earliest) in times.gaps.items()
            if statuses[action_id].status == "undecided"
        ),
        grade_driver=plan.grading.drive,
        closed_at=grader.closed_at,
        discovered_at=incident.discovered_at,
    )


def _apply_cancellations(
    plan: Plan,
    statuses: dict[str, ActionStatus],
    cancelled: Mapping[str, tuple[datetime, str]],
) -> None:
    for action_id, (when, why) in cancelled.items():
        status = statuses[action_id]
        if status.done_at is None or status.done_at > when:
            statuses[action_id] = attrs.evolve(
                status,
                status="cancelled",
                cancelled_at=when,
                reason=f"{status.reason}; cancelled by {why} at "
                f"{when.astimezone(plan.tz).isoformat()}",
            )


def _grade_entry(
    plan: Plan,
    change: Change,
    snaps: Mapping[datetime, Snapshot],
    reason: Callable[[str, Snapshot | None], str],
) -> GradeReached:
    grade = next(g for g in plan.grades if g.rank == change.rank)
    match change.source:
        case "asserted":
            event = change.event
            assert event is not None  # noqa: S101 - asserted changes carry their event
            who = f"{event.by}" + (f" ({event.role})" if event.role else "")
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
        case "deescalated":
            rule = change.rule
            assert rule is not None  # noqa: S101 - de-escalations carry their rule
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
        reason(f"g.{grade.id}", snaps.get(change.at)),
        grade.clause,
    )


def _cancel(
    plan: Plan,
    first: _FirstHeld,
    timeline: _Timeline,
    results: Mapping[str, bool | None],
    t: datetime,
    why: str,
    cancelled: dict[str, tuple[datetime, str]],
) -> None:
    """
    Cancel the duties started before *t* and not done by then.  A
    de-escalation spares those whose condition still holds after it; a
    closure spares those that run from its own event.
    """
    closing = plan.grading.closure.event if plan.grading.closure else None
    for action in plan.actions:
        held = first.since.get(f"a.{action.id}")
        if held is None or held[0] >= t or action.id in cancelled:
            continue
        if any(d <= t for d in timeline.done_times.get(action.id, ())):
            continue
        if why.startswith("de-escalation") and results.get(f"a.{action.id}") is True:
            continue
        if why.startswith("closure") and action.deadline.anchor.event == closing:
            continue
        cancelled[action.id] = (t, why)


def _route(
    plan: Plan,
    statuses: dict[str, ActionStatus],
    results: Mapping[str, bool | None],
    snapshot: Snapshot,
    rules: Mapping[str, Rule],
    labels: Labels,
) -> None:
    """
    Owners from the first routing that holds at the evaluation instant.
    """
    roles = {r.id: r.name for r in plan.roles}
    for action_id, status in statuses.items():
        action = plan.action(action_id)
        owners = tuple(Owner(o, roles[o], action.duty_of(o)) for o in action.owners)
        note = ""
        for i, routing in enumerate(action.routing):
            held = results.get(routing_rule(action.id, i))
            if held is True:
                owners = tuple(Owner(o.role, roles[o.role], o.duty) for o in routing.owners)
                where = f" ({routing.clause.ref})" if routing.clause else ""
                note = f"; owners by routing {i + 1}{where}"
                break
            if held is None:
                slots = sorted(_needs(rules[routing_rule(action.id, i)].condition, snapshot))
                need = ", ".join(labels.name(s) for s in slots)
                note = f"; owner routing undecided: needs {need}"
                break
        statuses[action_id] = attrs.evolve(status, owners=owners, reason=status.reason + note)


def _override(plan: Plan, statuses: dict[str, ActionStatus]) -> None:
    """
    An action that applies takes precedence over the open actions it
    overrides; both reasons say so.
    """
    for action in plan.actions:
        winner = statuses.get(action.id)
        if winner is None or not action.overrides:
            continue
        beaten = []
        for other_id in action.overrides:
            other = statuses.get(other_id)
            if other is None or other.done_at is not None or other.status == "cancelled":
                continue
            where = f", {action.clause.ref}" if action.clause else ""
            statuses[other_id] = attrs.evolve(
                other,
                status="overridden",
                overridden_by=action.id,
                reason=f"{other.reason}; overridden by {action.id} (plan precedence{where})",
            )
            beaten.append(other_id)
        if beaten:
            statuses[action.id] = attrs.evolve(
                winner, reason=f"{winner.reason}; takes precedence over {', '.join(beaten)}"
            )


def _needs(node: Node, snapshot: Mapping[str, object]) -> set[str]:
    """
    The unknown slots that keep *node* unknown on *snapshot*.
    """
    if compile_node(node)(snapshot) is not None:
        return set()
    match node:
        case Leaf(slot):
            return {slot}
        case And(items) | Or(items):
            return set().union(*(_needs(i, snapshot) for i in items))
        case Neg(item):
            return _needs(item, snapshot)
    return set()


class _Unknown:
    """
    For each rule, the first and the last snapshot on which it was unknown.
    """

    def __init__(self) -> None:
        self.seen: dict[str, tuple[Snapshot, Snapshot]] = {}

    def record(self, results: Mapping[str, bool | None], snapshot: Snapshot) -> None:
        for rule_id, held in results.items():
            if held is None:
                first = self.seen.get(rule_id, (snapshot, snapshot))[0]
                self.seen[rule_id] = (first, snapshot)

    def needs(self, rule_id: str, node: Node, final: Snapshot) -> list[str]:
        """
        The slots that kept *rule_id* unknown and are unknown still.
        """
        if rule_id not in self.seen:
            return []
        slots = set().union(*(_needs(node, snap) for snap in self.seen[rule_id]))
        return sorted(s for s in slots if final.get(s) is None)


def _undecided(
    plan: Plan,
    grader: Grader,
    first: _FirstHeld,
    unknown: _Unknown,
    final: Snapshot,
    rules: Mapping[str, Rule],
    labels: Labels,
) -> Iterator[Undecided]:
    """
    Grades above the current one, categories and actions that never held
    and were unknown on facts or measures that are still unknown: reaching
    them depends on what is not yet known.
    """

    def item(kind: str, rule_id: str, item_id: str, name: str) -> Iterator[Undecided]:
        if rule_id in first.since:
            return
        slots = unknown.needs(rule_id, rules[rule_id].condition, final)
        if slots:
            words = ", ".join(labels.name(s) for s in slots)
            needs = tuple(s[2:] for s in slots)
            yield Undecided(kind, item_id, name, needs, f"undecided: needs {words}")

    drive = plan.grading.drive
    if grader.closed_at is None:
        if drive == "asserted" and grader.assertion is None:
            who = ", ".join(plan.grading.asserted_by) or "a person"
            yield Undecided(
                "grade",
                "",
                "grade",
                ("grade_asserted",),
                f"undecided: needs a grade asserted by {who}",
            )
        if drive != "asserted":
            for g in plan.scale():
                if g.rank > grader.rank:
                    yield from item("grade", f"g.{g.id}", g.id, g.name)
    for c in plan.categories:
        yield from item("category", f"c.{c.id}", c.id, c.name)
    for a in plan.actions:
        yield from item("action", f"a.{a.id}", a.id, a.title)


__all__ = ["Backend", "Session", "check_at", "evaluate"]
