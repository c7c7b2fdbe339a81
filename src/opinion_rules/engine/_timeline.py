"""
The incident over time: what it looked like at any instant up to the
evaluation instant, as snapshots of slot values (see
:mod:`opinion_rules.engine._ir`), and the instants where that can change.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from opinion_rules._limits import instant_problem
from opinion_rules.engine._derived import computed_values
from opinion_rules.engine._ir import Program
from opinion_rules.engine._plugin_values import PluginValues
from opinion_rules.engine._shape import Shape
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.model._facts import Event, Incident, Observation
from opinion_rules.model._plan import Plan
from opinion_rules.model._series import Combine, Reading, SeriesIndex
from opinion_rules.model._series_sweep import SeriesSweep, instant_key
from opinion_rules.model._windows import Measure


__all__ = ["Snapshot", "Timeline", "validate_evaluation_instant"]

#: Slot values at one instant (see :mod:`opinion_rules.engine._ir`).
Snapshot = dict[str, object]
#: A slot not in a snapshot yet.
_UNSEEN = object()


def validate_evaluation_instant(at: object) -> datetime:
    """
    Return *at* if it can be an evaluation instant: a timezone-aware
    datetime within the supported range; raise :class:`FactError` if not.
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


class Timeline:
    """
    What the incident looked like at any instant up to *at*.
    """

    def __init__(
        self,
        plan: Plan,
        program: Program,
        incident: Incident,
        at: datetime,
        values: PluginValues | None = None,
        shape: Shape | None = None,
    ) -> None:
        shape = Shape(plan, program) if shape is None else shape
        self.shape = shape
        self.plan = plan
        self.program = program
        self.values = values
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
        indexed = shape.indexed
        self.indexes = _index(
            observations if indexed is None else [o for o in observations if o.metric in indexed],
            incident.posted_at,
            plan.tz,
        )
        #: Observation instants by metric, kept only when a de-escalation
        #: counts readings (the grader reads them then alone).
        self.observed: dict[str, set[datetime]] = defaultdict(set)
        if shape.scale.counts_readings:
            for obs in observations:
                self.observed[obs.metric].add(obs.at)
        self.fact_changes = [e for e in self.events if e.type == "fact"]
        # The slots the program reads, named once per engine (see Shape).
        self._measures = shape.measures
        self._facts = shape.facts
        self._events = shape.events
        self._computed = shape.computed
        # One sweep per metric read: each measure's value kept up to date as
        # the walk moves forward (see opinion_rules.model._series_sweep).
        read: dict[str, list[tuple[Measure, Combine | None]]] = defaultdict(list)
        for measure, _slot in self._measures:
            custom = None if values is None else values.combine_for(measure.aggregate)
            read[measure.metric].append((measure, custom))
        self.sweeps = {
            metric: SeriesSweep(
                self.indexes.get(metric) or SeriesIndex({}, {}, incident.posted_at, plan.tz),
                measures,
            )
            for metric, measures in read.items()
        }
        sweep_of = {
            measure.id: measure_sweep
            for metric, sweep in self.sweeps.items()
            for (measure, _custom), measure_sweep in zip(read[metric], sweep.measures, strict=True)
        }
        self._measure_sweeps = [(slot, sweep_of[m.id]) for m, slot in self._measures]
        for metric, sweep in self.sweeps.items():
            self.indexes.setdefault(metric, sweep.index)
        # What advance() needs: the measures over each metric, the series
        # seen (a new one brings its posting-time zero's instant), and for
        # each measure its instants after *at*, earliest first.
        self._over = shape.over
        self._series_seen: set[tuple[str, bool, str | None, str | None, str | None]] | None = None
        self._future: dict[str, list[datetime]] | None = None
        # The facts as known at the last snapshot, and how many fact events that applied.
        self._facts_known: dict[str, object] = dict(incident.fact_values())
        self._facts_applied = 0
        self._facts_at: datetime | None = None
        # The fact and event slots of the last snapshot, valid from the
        # instant they were taken at until the next fact applies or the
        # next event flag turns (None: until further notice).
        self._fixed: Snapshot | None = None
        # The fixed slots refresh() last copied.
        self._refreshed: Snapshot | None = None
        self._fixed_from: datetime | None = None
        self._fixed_until: datetime | None = None

    def _measure_points(self, measure: Measure) -> Iterable[datetime]:
        index = self.indexes.get(measure.metric)
        return () if index is None else index.change_points(measure)

    def upcoming(self, held: Mapping[str, object]) -> list[datetime]:
        """
        For each measure that a rule not yet held reads, the earliest
        instant after *at* where it changes with no new observation (one
        leaves a window, a day ends).  Rules that held stay held, so their
        measures no longer matter.
        """
        watched: set[str] = set()
        for rule_id, measures in self.program.reads.items():
            if rule_id not in held:
                watched.update(measures)
        future = self._future
        if future is None:
            self.all_points()
            future = self._future
            assert future is not None  # noqa: S101 - all_points() sets it
        out = []
        for measure in self.plan.measures:
            heap = future[measure.id]
            if measure.id not in watched:
                continue
            while heap and heap[0] <= self.at:
                heapq.heappop(heap)
            if heap:
                out.append(heap[0])
        return out

    def all_points(self) -> list[datetime]:
        """
        Every instant where the snapshot can differ from the one before,
        in order: those up to *at*, and those after it that what is known
        at *at* already brings (readings leaving windows, days ending).
        """
        points: set[datetime] = set()
        self._future = {}
        # Measures alike (_alike) share their instants.
        alike: dict[tuple[object, ...], list[datetime]] = {}
        for measure in self.plan.measures:
            key = _alike(measure)
            later = alike.get(key)
            if later is None:
                mine = set(self._measure_points(measure))
                points.update(mine)
                later = alike[key] = [p for p in mine if p > self.at]
                heapq.heapify(later)
            self._future[measure.id] = list(later)
        points.update(self._incident_points())
        return sorted(points)

    def past_points(self) -> list[datetime]:
        """
        :meth:`change_points`, with nothing kept for instants after *at*.
        """
        points = self._incident_points()
        alike: set[tuple[object, ...]] = set()
        for measure in self.shape.pointed:
            key = _alike(measure)
            if key not in alike:
                alike.add(key)
                points.update(self._measure_points(measure))
        at = self.at
        return sorted(p for p in points if p <= at)

    def _incident_points(self) -> set[datetime]:
        """The instants of the events, the discovery and the posting."""
        points = {e.at for e in self.events}
        points.add(self.incident.discovered_at)
        if self.incident.posted_at is not None:
            points.add(self.incident.posted_at)
        return points

    def change_points(self) -> list[datetime]:
        """
        Every instant up to *at* where the snapshot can differ from the one before.
        """
        return [p for p in self.all_points() if p <= self.at]

    def advance(
        self,
        incident: Incident,
        observations: Sequence[Observation],
        events: Sequence[Event],
        at: datetime,
    ) -> list[datetime]:
        """
        Move the evaluation instant on to *at*, where *incident* has the
        new *observations* and *events* (in time order, each later than
        every instant a snapshot was taken at).  Return the instants where
        they may change a snapshot.
        """
        if self._future is None:
            self.all_points()
        future = self._future
        assert future is not None  # noqa: S101 - all_points() sets it
        seen = self._series_seen
        if seen is None:
            seen = self._series_seen = {
                _series_of(o) for o in self.incident.observations if o.at <= self.at
            }
        self.incident, self.at = incident, at
        self._fixed = None  # new events may turn flags or apply facts
        points = [e.at for e in events]
        self.events.extend(events)
        for event in events:
            self.first_event.setdefault(event.type, event.at)
            if event.type == "action_done" and event.action is not None:
                self.done_times[event.action].append(event.at)
            if event.type == "fact":
                self.fact_changes.append(event)
        readings: dict[str, list[tuple[Reading, bool]]] = defaultdict(list)
        counts_readings = self.shape.scale.counts_readings
        for obs in observations:
            if counts_readings:
                self.observed[obs.metric].add(obs.at)
            point: Reading = obs
            total = obs.kind == "total"
            series = _series_of(obs)
            new = series not in seen
            seen.add(series)
            for measure in self._over.get(obs.metric, ()):
                for p in self._points_of(measure, point, total and new):
                    points.append(p)
                    if p > at:
                        heapq.heappush(future[measure.id], p)
            readings[obs.metric].append((point, total))
        for metric, batch in readings.items():
            sweep = self.sweeps.get(metric)
            if sweep is not None:
                sweep.add(batch)
                continue
            index = self.indexes.get(metric)
            if index is None:
                index = self.indexes[metric] = SeriesIndex({}, {}, incident.posted_at, self.plan.tz)
            for point, total in batch:
                index.add(point, total)
        return points

    def _points_of(self, measure: Measure, point: Reading, zero: bool) -> Iterator[datetime]:
        """
        The instants a new reading adds to *measure*'s (as
        :meth:`SeriesIndex.change_points` counts them); *zero*: it starts a
        series of totals, whose posting-time zero leaves windows too.
        """
        if measure.channels and point.channel not in measure.channels:
            return
        if measure.over == "posts" and point.post is None:
            return
        window = measure.window
        yield point.at
        if window.length is not None:
            yield point.at + window.length
            if zero and self.incident.posted_at is not None:
                yield self.incident.posted_at + window.length
        days = {"calendar_day": 1, "sustained": window.days or 0}.get(window.kind, 0)
        day = point.at.astimezone(self.plan.tz).date()
        for later in range(1, days + 1):
            yield _midnight(day + timedelta(days=later), self.plan.tz)

    def snapshot(self, t: datetime) -> Snapshot:
        """
        The value of every slot the program reads at instant *t*.
        """
        key = instant_key(t)
        snap: Snapshot = {slot: sweep.value(t, key) for slot, sweep in self._measure_sweeps}
        snap.update(self._fixed_slots(t))
        if self._computed:
            values = self.values
            functions = None if values is None else values.functions
            snap.update(computed_values(self._computed, snap, functions))
        return snap

    def refresh(self, snap: Snapshot, t: datetime) -> bool:
        """
        Make *snap* (empty, or refreshed at an earlier instant) what
        :meth:`snapshot` gives at *t*; return whether a slot changed, as
        :class:`~opinion_rules.engine._matcher.StageMatch` tells a change
        (the same object, or equal and of the same type, is no change).
        """
        key = instant_key(t)
        changed = False
        for slot, sweep in self._measure_sweeps:
            value = sweep.value(t, key)
            before = snap.get(slot, _UNSEEN)
            if value is not before and (value != before or type(value) is not type(before)):
                snap[slot] = value
                changed = True
        fixed = self._fixed_slots(t)
        if fixed is not self._refreshed:
            self._refreshed = fixed
            changed = _merge(snap, fixed) or changed
        computed = self._computed
        if computed and (changed or any(slot not in snap for slot in computed)):
            # Computed slots follow the slots they read (all of them at first,
            # even those that read constants alone).
            values = self.values
            functions = None if values is None else values.functions
            changed = _merge(snap, computed_values(computed, snap, functions)) or changed
        return changed

    def _fixed_slots(self, t: datetime) -> Snapshot:
        """
        The fact and event slots at *t*: those of the previous snapshot
        while no fact event applied and no event flag turned since.
        """
        fixed, since, until = self._fixed, self._fixed_from, self._fixed_until
        if fixed is not None and since is not None and since <= t and (until is None or t < until):
            # No fact applies and no flag turns before *until*.
            return fixed
        facts = self._facts_until(t)
        fixed = {}
        for fact_id, slot, positions in self._facts:
            value = facts.get(fact_id)
            if positions is not None and isinstance(value, str):
                value = positions[value]
            fixed[slot] = value
        until = None
        for slot, event_type in self._events:
            first = self.first_event.get(event_type)
            fixed[slot] = first is not None and first <= t
            if first is not None and first > t and (until is None or first < until):
                until = first
        if self._facts_applied < len(self.fact_changes):
            later = self.fact_changes[self._facts_applied].at
            until = later if until is None or later < until else until
        self._fixed, self._fixed_from, self._fixed_until = fixed, t, until
        return fixed

    def _facts_until(self, t: datetime) -> dict[str, object]:
        """
        The fact values known at *t*: the incident's, then every ``fact``
        event up to *t* applied in order (walked with a pointer).
        """
        if self._facts_at is not None and t < self._facts_at:
            self._facts_known = dict(self.incident.fact_values())
            self._facts_applied = 0
        self._facts_at = t
        changes, facts = self.fact_changes, self._facts_known
        i = self._facts_applied
        while i < len(changes) and changes[i].at <= t:
            facts[str(changes[i].fact)] = changes[i].value
            i += 1
        self._facts_applied = i
        return facts


def _series_of(obs: Observation) -> tuple[str, bool, str | None, str | None, str | None]:
    return (obs.metric, obs.kind == "total", obs.site, obs.channel, obs.post)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _index(
    observations: list[Observation], posted_at: datetime | None, tz: ZoneInfo
) -> dict[str, SeriesIndex]:
    totals: dict[str, dict[tuple[str | None, str | None, str | None], list[Reading]]] = {}
    increments: dict[str, dict[tuple[str | None, str | None, str | None], list[Reading]]] = {}
    for obs in sorted(observations, key=_instant):
        target = totals if obs.kind == "total" else increments
        by_series = target.get(obs.metric)
        if by_series is None:
            by_series = target[obs.metric] = {}
        key = (obs.site, obs.channel, obs.post)
        readings = by_series.get(key)
        if readings is None:
            by_series[key] = [obs]
        else:
            readings.append(obs)
    metrics = set(totals) | set(increments)
    return {
        metric: SeriesIndex(totals.get(metric, {}), increments.get(metric, {}), posted_at, tz)
        for metric in metrics
    }


def _instant(obs: Observation) -> datetime:
    return obs.at


def _alike(measure: Measure) -> tuple[object, ...]:
    """
    What decides a measure's change points: measures over one metric with
    the same window, channels and grouping change at the same instants.
    """
    return (measure.metric, measure.window, measure.channels, measure.over)


def _merge(snap: Snapshot, values: Mapping[str, object]) -> bool:
    """
    Put *values* into *snap*; return whether a slot changed (the same
    object, or equal and of the same type, is no change).
    """
    changed = False
    for slot, now in values.items():
        before = snap.get(slot, _UNSEEN)
        if now is not before and (now != before or type(now) is not type(before)):
            snap[slot] = now
            changed = True
    return changed
