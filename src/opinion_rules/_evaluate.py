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
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from ._check import check_incident
from ._conditions import Compare, MeasureRef, OneOf, walk
from ._explain import Labels, explain
from ._facts import Incident, Observation
from ._ir import Program, Rule
from ._plan import Plan
from ._results import Assessment, CategoryMatch, GradeReached
from ._statuses import Known, Times
from ._windows import Measure, Point, SeriesIndex
from .exceptions import FactError, Problem


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


def evaluate(
    plan: Plan, program: Program, backend: Backend, incident: Incident, at: datetime
) -> Assessment:
    """
    Evaluate *incident* against *plan* as of *at*.
    """
    at = check_at(at)
    check_incident(plan, incident)
    timeline = _Timeline(plan, program, incident, at)
    labels = Labels(plan)
    rules: dict[str, Rule] = {r.id: r for r in program.rules}
    ranks = {g.id: g.rank for g in plan.grades}
    first = _FirstHeld()
    history: list[tuple[str, datetime]] = []
    rank = -1
    previous: dict[int, Snapshot] = {}
    with backend.session() as session:
        for t in timeline.change_points():
            snap1 = timeline.snapshot(t)
            if snap1 != previous.get(1):
                previous[1] = snap1
                reached = first.record(session.match(1, snap1), t, snap1)
                top = max((ranks[r[2:]] for r in reached if r.startswith("g.")), default=-1)
                if top > rank:
                    rank = top
                    history.append((next(g for g, r in ranks.items() if r == top), t))
            snap2 = dict(snap1)
            if "grade" in program.slots:
                snap2["grade"] = rank
            for slot in program.slots:
                if slot.startswith("c_"):
                    snap2[slot] = f"c.{slot[2:]}" in first.since
            if snap2 != previous.get(2):
                previous[2] = snap2
                first.record(session.match(2, snap2), t, snap2)

    def reason(rule_id: str) -> str:
        _t, snap = first.since[rule_id]
        return explain(rules[rule_id].condition, snap, labels)

    grade_history = tuple(
        GradeReached(g.id, g.name, g.rank, t, reason(f"g.{gid}"), g.clause)
        for gid, t in history
        for g in [plan.grade(gid)]
    )
    categories = tuple(
        CategoryMatch(c.id, c.name, first.since[f"c.{c.id}"][0], reason(f"c.{c.id}"), c.clause)
        for c in plan.categories
        if f"c.{c.id}" in first.since
    )
    grade_since: dict[str, datetime] = {}
    for g in plan.grades:
        reached_at = [t for gid, t in history if ranks[gid] >= g.rank]
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
    actions = tuple(
        status for action in plan.actions if (status := times.status(action)) is not None
    )
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
        actions=actions,
        chains=chains,
        next_change=times.next_change(),
    )


__all__ = ["Backend", "Session", "check_at", "evaluate"]
