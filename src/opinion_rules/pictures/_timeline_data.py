"""
What an incident's timeline picture shows, worked out by the library
itself: each measure the grades read, as its value at every instant it
changed (the engine's own timeline of the incident, so the windows are the
engine's), the thresholds the grades compare it with, the grade steps of the
assessment, every action's anchor, due time and completion, and the report
chains.  Pure data; :mod:`opinion_rules.pictures._draw` draws it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from opinion_rules._validators import is_aware, is_identifier, non_empty_text
from opinion_rules.engine._engine import Engine
from opinion_rules.engine._ir import grade_rule, measure_slot
from opinion_rules.engine._plugin_values import PluginValues
from opinion_rules.engine._timeline import Timeline, validate_evaluation_instant
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.model._clauses import Clause
from opinion_rules.model._conditions import Compare, MeasureRef, walk
from opinion_rules.model._facts import Incident
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import Assessment
from opinion_rules.model._terms import SYMBOLS


__all__ = [
    "ActionMark",
    "ChainMark",
    "GradeLevel",
    "GradeStep",
    "MeasureTrace",
    "Threshold",
    "TimelinePicture",
    "timeline_picture",
]

#: The statuses that mean a deadline was missed.
LATE = frozenset({"overdue", "done_late"})

Value = float | int | None


def _tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(values)


def _ref(clause: Clause | None) -> str | None:
    return None if clause is None else clause.ref


def _optional_text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        non_empty_text(_inst, attribute, value)


def _number(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"'{attribute.name}' must be a number (got {value!r})")


def _points(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    previous: datetime | None = None
    for at, number in value:
        is_aware(_inst, attribute, at)
        if number is not None:
            _number(_inst, attribute, number)
        if previous is not None and at <= previous:
            raise ValueError(
                f"'{attribute.name}' must be in time order (got {at} after {previous})"
            )
        previous = at


@attrs.frozen
class GradeLevel:
    """
    One grade of the plan's scale, as the picture labels it.

    .. versionadded:: 0.6.0
    """

    id: str = attrs.field(validator=is_identifier)
    name: str = attrs.field(validator=non_empty_text)
    name_en: str
    rank: int
    clause_ref: str | None = attrs.field(validator=_optional_text)


@attrs.frozen
class Threshold:
    """
    A bound a grade's criteria compare a measure with (``clicks_1d > 10000``:
    *op* ``gt``, as in :class:`~opinion_rules.conditions.Compare`).

    .. versionadded:: 0.6.0
    """

    grade_id: str = attrs.field(validator=is_identifier)
    op: str = attrs.field(validator=attrs.validators.in_(tuple(SYMBOLS)))
    value: float | int = attrs.field(validator=_number)

    @property
    def symbol(self) -> str:
        """
        The comparison as a symbol: ``>``, ``>=``, ``<``, ``<=``, ``=`` or ``!=``.
        """
        return SYMBOLS[self.op]


@attrs.frozen
class MeasureTrace:
    """
    A measure the grades read: its value from each instant on (a step
    line), and the thresholds the grades compare it with.

    Attributes:
        points: ``(instant, value)`` in time order; the value holds from
            the instant to the next one; ``None`` while it is unknown.  The
            last point is at the evaluation instant.

    .. versionadded:: 0.6.0
    """

    id: str = attrs.field(validator=is_identifier)
    label: str
    points: tuple[tuple[datetime, float | int | None], ...] = attrs.field(
        converter=_tuple, validator=_points
    )
    thresholds: tuple[Threshold, ...] = attrs.field(converter=_tuple)


@attrs.frozen
class GradeStep:
    """
    One step of the grade history: the grade taken at *at*.

    .. versionadded:: 0.6.0
    """

    at: datetime = attrs.field(validator=is_aware)
    grade_id: str = attrs.field(validator=is_identifier)
    name: str
    rank: int
    clause_ref: str | None
    source: str = "computed"


@attrs.frozen
class ActionMark:
    """
    One applicable action on the time axis: when its clock started
    (*anchor_at*), when it is due, when it was done, and its status.

    .. versionadded:: 0.6.0
    """

    id: str = attrs.field(validator=is_identifier)
    title: str
    status: str
    anchor_event: str
    anchor_at: datetime | None = attrs.field(validator=is_aware)
    due: datetime | None = attrs.field(validator=is_aware)
    done_at: datetime | None = attrs.field(validator=is_aware)
    clause_ref: str | None

    @property
    def late(self) -> bool:
        """
        Whether the deadline was missed: ``overdue`` or ``done_late``.
        """
        return self.status in LATE


@attrs.frozen
class ChainMark:
    """
    A report chain: its hops (action ids in order) with the instant each
    was done (``None`` while not), and the whole chain's bound.

    .. versionadded:: 0.6.0
    """

    id: str = attrs.field(validator=is_identifier)
    title: str
    hops: tuple[str, ...] = attrs.field(converter=_tuple)
    hop_done: tuple[datetime | None, ...] = attrs.field(converter=_tuple)
    started_at: datetime | None = attrs.field(validator=is_aware)
    due: datetime | None = attrs.field(validator=is_aware)
    done_at: datetime | None = attrs.field(validator=is_aware)
    status: str
    clause_ref: str | None

    @hop_done.validator
    def _check(self, _attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        if len(value) != len(self.hops):
            raise ValueError(f"'hop_done' must have one instant per hop (got {len(value)})")

    @property
    def late(self) -> bool:
        """
        Whether the whole chain missed its bound.
        """
        return self.status in LATE


@attrs.frozen
class TimelinePicture:
    """
    Everything an incident's timeline picture shows, on one time axis from
    *start* to *end* (instants shown in *timezone*, the plan's).

    Build one with :func:`timeline_picture`; draw it with
    :func:`~opinion_rules.pictures.draw_timeline`.

    .. versionadded:: 0.6.0
    """

    plan_id: str
    plan_title: str
    plan_version: str
    incident_id: str
    at: datetime = attrs.field(validator=is_aware)
    timezone: str
    start: datetime = attrs.field(validator=is_aware)
    end: datetime = attrs.field(validator=is_aware)
    levels: tuple[GradeLevel, ...] = attrs.field(converter=_tuple)
    measures: tuple[MeasureTrace, ...] = attrs.field(converter=_tuple)
    grades: tuple[GradeStep, ...] = attrs.field(converter=_tuple)
    actions: tuple[ActionMark, ...] = attrs.field(converter=_tuple)
    chains: tuple[ChainMark, ...] = attrs.field(converter=_tuple)

    @end.validator
    def _check(self, _attribute: attrs.Attribute[Any], value: datetime) -> None:
        if not self.start <= self.at <= value:
            raise ValueError(
                f"'start' <= 'at' <= 'end' must hold (got {self.start}, {self.at}, {value})"
            )


def timeline_picture(
    engine: Engine,
    incident: Incident,
    *,
    at: datetime,
    assessment: Assessment | None = None,
) -> TimelinePicture:
    """
    Work out what the timeline picture of *incident* as of *at* shows.

    The grade steps, actions and chains are those of the assessment
    (``engine.evaluate(incident, at=at)``, or *assessment* when given, e.g.
    the case store's, whose engine knows the store's calendar years); the
    measures are computed by the engine's own timeline of the incident at
    every instant they may change up to *at*.

    Raises:
        FactError: *at* is not an aware instant in range, the incident does
            not fit the plan, or *assessment* is of another plan, incident
            or instant.
        EngineError: the backend failed.

    .. versionadded:: 0.6.0
    """
    at = validate_evaluation_instant(at)
    if assessment is None:
        assessment = engine.evaluate(incident, at=at)
    _check_assessment(engine.plan, incident, at, assessment)
    plan = engine.plan
    measures = tuple(_traces(engine, incident, at))
    grades = tuple(
        GradeStep(g.since, g.id, g.name, g.rank, _ref(g.clause), g.source)
        for g in assessment.grade_history
    )
    done = {a.id: a.done_at for a in assessment.actions}
    actions = tuple(
        ActionMark(
            a.id, a.title, a.status, a.anchor_event, a.anchor_at, a.due, a.done_at, _ref(a.clause)
        )
        for a in assessment.actions
    )
    chains = tuple(
        ChainMark(
            c.id,
            c.title,
            c.hops,
            tuple(done.get(h) for h in c.hops),
            c.started_at,
            c.due,
            c.done_at,
            c.status,
            _ref(c.clause),
        )
        for c in assessment.chains
    )
    instants = [at, incident.discovered_at]
    if incident.posted_at is not None:
        instants.append(incident.posted_at)
    instants += [p[0] for m in measures for p in m.points]
    instants += [g.at for g in grades]
    instants += [t for a in actions for t in (a.anchor_at, a.due, a.done_at) if t is not None]
    instants += [t for c in chains for t in (c.started_at, c.due, c.done_at) if t is not None]
    levels = tuple(
        GradeLevel(g.id, g.name, g.name_en, g.rank, _ref(g.clause)) for g in plan.scale()
    )
    return TimelinePicture(
        plan_id=plan.id,
        plan_title=plan.title,
        plan_version=plan.version,
        incident_id=incident.id,
        at=at,
        timezone=plan.timezone,
        start=min(instants),
        end=max(instants),
        levels=levels,
        measures=measures,
        grades=grades,
        actions=actions,
        chains=chains,
    )


def _check_assessment(plan: Plan, incident: Incident, at: datetime, assessment: Assessment) -> None:
    problems = [
        Problem(f"assessment.{name}", "is not the picture's", repr(expected), repr(got))
        for name, expected, got in (
            ("plan_id", plan.id, assessment.plan_id),
            ("incident_id", incident.id, assessment.incident_id),
            ("at", at, assessment.at),
        )
        if expected != got
    ]
    if problems:
        raise FactError(f"timeline picture of incident {incident.id!r}", problems)


def grade_thresholds(plan: Plan) -> dict[str, list[Threshold]]:
    """
    For each measure a grade compares with a number, those comparisons
    (in scale order), by measure id.
    """
    found: dict[str, list[Threshold]] = {}
    for grade in plan.scale():
        for node in walk(grade.criteria):
            if (
                isinstance(node, Compare)
                and isinstance(node.operand, MeasureRef)
                and isinstance(node.value, int | float)
                and not isinstance(node.value, bool)
            ):
                threshold = Threshold(grade.id, node.op, node.value)
                mine = found.setdefault(node.operand.id, [])
                if threshold not in mine:
                    mine.append(threshold)
    return found


def _graded_measures(engine: Engine) -> list[str]:
    """
    The measures the grades' criteria read, in the plan's order.
    """
    reads = engine.program.reads
    read = set().union(*(reads.get(grade_rule(g.id), frozenset()) for g in engine.plan.grades))
    return [m.id for m in engine.plan.measures if m.id in read]


def _traces(engine: Engine, incident: Incident, at: datetime) -> Iterable[MeasureTrace]:
    plan = engine.plan
    wanted = _graded_measures(engine)
    if not wanted:
        return
    timeline = Timeline(
        plan, engine.program, incident, at, PluginValues(engine.plugins, engine.plan)
    )
    instants = timeline.change_points()
    if not instants or instants[-1] != at:
        instants.append(at)
    slots = {m: measure_slot(m) for m in wanted}
    series: dict[str, list[tuple[datetime, Value]]] = {m: [] for m in wanted}
    for t in instants:  # in time order: the timeline's sweeps move forward only
        snapshot = timeline.snapshot(t)
        for measure_id, slot in slots.items():
            value = snapshot.get(slot)
            series[measure_id].append((t, value if isinstance(value, int | float) else None))
    thresholds = grade_thresholds(plan)
    labels = {m.id: m.label or m.id for m in plan.measures}
    for measure_id in wanted:
        yield MeasureTrace(
            measure_id,
            labels[measure_id],
            _steps(series[measure_id]),
            thresholds.get(measure_id, ()),
        )


def _steps(points: Sequence[tuple[datetime, Value]]) -> tuple[tuple[datetime, Value], ...]:
    """
    *points* without those that repeat the value before them (the last one,
    at the evaluation instant, always kept).
    """
    kept = [p for i, p in enumerate(points) if i == 0 or p[1] != points[i - 1][1]]
    if kept[-1] is not points[-1]:
        kept.append(points[-1])
    return tuple(kept)
