"""
The frozen attrs model of a response plan (预案).

Every item validates its own fields at construction (see
:mod:`opinion_rules.model._items`); :class:`Plan` then checks the whole
(:mod:`opinion_rules.model._validation`): unique ids, references that
resolve, conditions that compare facts with values of the right type, and a
clause on every grade, category, principle and action.  An invalid plan
cannot be constructed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from opinion_rules._limits import TIMEZONE_CHARACTERS, period_problem
from opinion_rules._suggest import expected_names_capped, one_of
from opinion_rules._validators import is_slug, non_empty_text, non_negative_duration
from opinion_rules.exceptions import PlanValidationError, Problem
from opinion_rules.model._conditions import (
    AllOf,
    AnyOf,
    Arithmetic,
    Compare,
    CompareValues,
    Condition,
    Not,
    OneOf,
    Param,
)
from opinion_rules.model._extending import Requirement
from opinion_rules.model._items import (
    Action,
    Category,
    EventSpec,
    FactSpec,
    Grade,
    Note,
    Parameter,
    Principle,
    ReportChain,
    Role,
    Term,
)
from opinion_rules.model._lifecycle import ROUTING_MODES, Grading, Routing
from opinion_rules.model._modify import modified_items
from opinion_rules.model._validation import PROBLEMS_SHOWN, capped, plan_problems
from opinion_rules.model._windows import Measure
from opinion_rules.time._arithmetic import TimeRules
from opinion_rules.time._calendars import ChinaCalendar, WorkingCalendar, YearSchedule


__all__ = ["ID_SECTIONS", "Plan", "extend_plan", "timezone_problem"]


# IANA names: ``UTC``, ``Asia/Shanghai``, ``America/Argentina/Buenos_Aires``,
# ``Etc/GMT+8``.  Checked before ZoneInfo, which reads a file by that name.
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*\Z")


def timezone_problem(name: object) -> str | None:
    """
    Why *name* is not an IANA timezone name this machine knows, or ``None``.
    """
    if not isinstance(name, str):
        return f"is not text (got {name!r}, a {type(name).__name__})"
    if len(name) > TIMEZONE_CHARACTERS:
        return f"is not a timezone name: it is longer than {TIMEZONE_CHARACTERS} characters"
    if not _ZONE_NAME.match(name):
        return f"is not a timezone name (got {name!r})"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as 'Asia'
        return f"is an unknown timezone (got {name!r})"
    return None


def _is_zone(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if timezone_problem(value) is not None:
        shown = value if not isinstance(value, str) else value[: TIMEZONE_CHARACTERS + 1]
        raise ValueError(
            f"'{attribute.name}' must be an IANA timezone name such as "
            f"'Asia/Shanghai' (got {shown!r})"
        )


def _tolerance(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    non_negative_duration(_inst, attribute, value)
    problem = None if value is None else period_problem(value)  # type: ignore[arg-type]
    if problem is not None:
        raise ValueError(f"'{attribute.name}' {problem} (got {value})")


def _tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(values)


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError(f"expected a list, not the string {values!r}")
    return tuple(values)


def _frozen(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _optional_calendar(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, WorkingCalendar):
        raise TypeError(
            f"'{attribute.name}' must be a working calendar (ChinaCalendar, DataCalendar, or an "
            f"object with name, hours and is_working_day) or None (got {value!r})"
        )


def _is_routing_mode(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in ROUTING_MODES:
        raise ValueError(f"'{attribute.name}' must be one of {list(ROUTING_MODES)} (got {value!r})")


def _optional_day_end(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, time) or value.tzinfo is not None or value == time(0):
        raise ValueError(
            f"'{attribute.name}' must be a naive time after 00:00, e.g. time(17, 30), "
            f"or None for 24:00 (got {value!r})"
        )


@attrs.frozen
class Plan:
    """
    A response plan: grades, measures, facts, categories, principles, roles
    and actions, each citing its clause.

    Args:
        id: Stable identifier, e.g. ``work-safety``.
        title: The plan's title.
        issuer: Who issued it.
        version: The plan version; compiled rules are cached per content.
        source: Where the text comes from.
        timezone: IANA name; "当日" and calendar days are counted in it.
        metrics: Observation metrics incidents may report, e.g. ``clicks``.
        grades: The grade scale, any order; ranks must be distinct.
        measures: Metric windows the criteria use.
        facts: Facts incidents may carry.
        categories: Handling categories.
        principles: Working principles.
        roles: Units and people that own actions.
        actions: Obligations.
        immediate_tolerance: Organisation-set slack for "立即"; default 0.
        prompt_tolerance: Organisation-set time for "及时"; default none,
            which leaves such actions without a due time.
        parameters: Numbers the text leaves blank (see :class:`Parameter`).
        notes: Sentences that are prose only (see :class:`Note`).
        calendar: The working calendar for working-day deadlines, holiday
            extensions and working-hour clocks; none by default, and a plan
            whose deadlines need one is refused without it.
        day_end: When a day ends for "当日内" and day-counted deadlines:
            ``None`` (default) for 24:00, or a time such as 17:30 (close of
            business, Civil Code art. 203).
        events: Event types incidents record (see :class:`EventSpec`).
        chains: Report chains with whole-chain bounds (:class:`ReportChain`).
        grading: Who sets the grade, the re-grading rule, de-escalation and
            closure (:class:`~opinion_rules.lifecycle.Grading`).
        base: The plan this one adapts (``id@version``), set by
            :meth:`extend`; ``None`` for a plan of its own.
        local: For an adapted plan: the items it adds or overrides, as
            ``"<section>.<id>"`` (e.g. ``"actions.report_major"``), so a
            rendered document can mark them.
        channels: The plan's own channels with labels (纸质快报, 吹风会),
            besides the built-in :data:`~opinion_rules.vocabulary.CHANNELS`.
        stages: Labels for the action kinds (stages) its actions name
            (培训, 组建新闻发布中心).
        duties: The owner duties it names in its own words (属地回应),
            besides the built-in :data:`~opinion_rules.lifecycle.OWNER_DUTIES`.
        routings: Owner routings written once, each with an id, which
            actions name in their ``routing``.
        routing_mode: How routings choose owners where an action does not
            say: ``first_match`` (default) or ``additive``.
        requires: The plug-ins the plan relies on (its functions, aggregations
            and calendar), with versions (:class:`~opinion_rules.hookspecs.Requirement`);
            loading or evaluating it without them enabled is refused.

    A plan of duties only (a 值班 or 回复时限 rule) has no grades.

    Raises:
        PlanValidationError: listing every problem found.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=is_slug)
    title: str = attrs.field(validator=non_empty_text)
    issuer: str = attrs.field(validator=non_empty_text)
    version: str = attrs.field(validator=non_empty_text)
    source: str = attrs.field(validator=non_empty_text)
    grades: tuple[Grade, ...] = attrs.field(converter=_tuple)
    actions: tuple[Action, ...] = attrs.field(converter=_tuple)
    roles: tuple[Role, ...] = attrs.field(converter=_tuple)
    metrics: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    measures: tuple[Measure, ...] = attrs.field(default=(), converter=_tuple)
    facts: tuple[FactSpec, ...] = attrs.field(default=(), converter=_tuple)
    categories: tuple[Category, ...] = attrs.field(default=(), converter=_tuple)
    principles: tuple[Principle, ...] = attrs.field(default=(), converter=_tuple)
    timezone: str = attrs.field(default="Asia/Shanghai", validator=_is_zone)
    immediate_tolerance: timedelta = attrs.field(default=timedelta(0), validator=_tolerance)
    prompt_tolerance: timedelta | None = attrs.field(default=None, validator=_tolerance)
    parameters: tuple[Parameter, ...] = attrs.field(default=(), converter=_tuple)
    notes: tuple[Note, ...] = attrs.field(default=(), converter=_tuple)
    calendar: WorkingCalendar | None = attrs.field(default=None, validator=_optional_calendar)
    day_end: time | None = attrs.field(default=None, validator=_optional_day_end)
    events: tuple[EventSpec, ...] = attrs.field(default=(), converter=_tuple)
    chains: tuple[ReportChain, ...] = attrs.field(default=(), converter=_tuple)
    grading: Grading = attrs.field(factory=Grading, validator=attrs.validators.instance_of(Grading))
    base: str | None = None
    local: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen)
    channels: tuple[Term, ...] = attrs.field(default=(), converter=_tuple)
    stages: tuple[Term, ...] = attrs.field(default=(), converter=_tuple)
    duties: tuple[Term, ...] = attrs.field(default=(), converter=_tuple)
    routings: tuple[Routing, ...] = attrs.field(default=(), converter=_tuple)
    routing_mode: str = attrs.field(default="first_match", validator=_is_routing_mode)
    requires: tuple[Requirement, ...] = attrs.field(default=(), converter=_tuple)

    def __attrs_post_init__(self) -> None:
        # The checks stop after enough problems to act on: each may list the
        # plan's names, so listing all of a huge broken plan's is quadratic.
        problems = capped(itertools.islice(plan_problems(self), PROBLEMS_SHOWN + 1))
        if problems:
            raise PlanValidationError(f"plan {self.id!r}", problems)

    @property
    def tz(self) -> ZoneInfo:
        """
        The plan's timezone as a :class:`~zoneinfo.ZoneInfo`.
        """
        return ZoneInfo(self.timezone)

    @property
    def time_rules(self) -> TimeRules:
        """
        What deadline arithmetic needs: timezone, calendar, day end and
        tolerances.
        """
        return TimeRules(
            self.tz,
            self.calendar,
            self.day_end,
            self.immediate_tolerance,
            self.prompt_tolerance,
        )

    def extend(
        self,
        *,
        remove: Mapping[str, Iterable[str]] | None = None,
        modify: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
        **changes: Any,
    ) -> Plan:
        """
        Return a plan that adapts this one (a county plan extending a
        provincial one): scalar fields given in *changes* replace this
        plan's; items of a section (``grades``, ``actions``, ``roles``,
        ``measures``, ``facts``, ``categories``, ``principles``,
        ``parameters``, ``events``, ``chains``, ``channels``, ``stages``,
        ``duties``, ``routings``) replace the item with the
        same id in place, or are appended; ``notes`` and ``metrics`` are
        appended; *remove* drops items by id, e.g.
        ``remove={"actions": ["report_written"]}``; *modify* changes some
        fields of inherited items, named by id, keeping the rest, e.g.
        ``modify={"actions": [{"id": "report_major", "title": "报县委"}]}``
        (an id the base lacks is an error, never a new item).

        The result is checked like any plan, records ``base`` (this plan's
        ``id@version``) and ``local`` (the items added or replaced).

        Raises:
            PlanValidationError: for an unknown section or field, removing
                an id the base lacks, or any problem of the merged plan.

        .. versionadded:: 0.4.0
        .. versionchanged:: 0.6.0 *modify*.
        """
        return extend_plan(self, remove or {}, changes, modify or {})

    def grade(self, grade_id: str) -> Grade:
        """
        Return the grade *grade_id*.

        Raises:
            KeyError: if the plan has no such grade.
        """
        for item in self.grades:
            if item.id == grade_id:
                return item
        raise KeyError(grade_id)

    def action(self, action_id: str) -> Action:
        """
        Return the action *action_id*.

        Raises:
            KeyError: if the plan has no such action.
        """
        for item in self.actions:
            if item.id == action_id:
                return item
        raise KeyError(action_id)

    def routing_of(self, action: Action) -> tuple[Routing, ...]:
        """
        The routings of *action* in order, each id it names replaced by the
        plan's routing with that id.

        .. versionadded:: 0.6.0
        """
        shared = {r.id: r for r in self.routings}
        return tuple(shared[r] if isinstance(r, str) else r for r in action.routing)

    def routing_mode_of(self, action: Action) -> str:
        """
        ``first_match`` or ``additive``: the action's own mode, else the plan's.

        .. versionadded:: 0.6.0
        """
        return action.routing_mode or self.routing_mode

    def scale(self) -> tuple[Grade, ...]:
        """
        The grades from lowest to highest rank.
        """
        return tuple(sorted(self.grades))

    def with_parameters(self, **values: float) -> Plan:
        """
        Return a copy of the plan with parameter values set.

        Raises:
            PlanValidationError: for a name the plan does not declare, or a
                value that is not a number.

        .. versionadded:: 0.2.0
        """
        declared = {p.id for p in self.parameters}
        problems = [
            Problem(
                f"parameters.{name}",
                "the plan declares no such parameter",
                one_of(declared),
            )
            for name in values
            if name not in declared
        ]
        problems += [
            Problem(f"parameters.{name}", "parameter values must be numbers", got=repr(value))
            for name, value in values.items()
            if isinstance(value, bool) or not isinstance(value, int | float)
        ]
        if problems:
            raise PlanValidationError(f"plan {self.id!r}", problems)
        return attrs.evolve(
            self,
            parameters=tuple(
                attrs.evolve(p, value=values[p.id]) if p.id in values else p
                for p in self.parameters
            ),
        )

    def with_schedules(self, *schedules: YearSchedule) -> Plan:
        """
        Return a copy of the plan whose China calendar also has *schedules*
        (years transcribed from the State Council's notice, see
        ``docs/how-to/add-a-calendar-year.md``).  A plan without a China
        calendar is returned unchanged: the notice schedules national
        holidays, which only the China calendar follows.

        .. versionadded:: 0.5.0
        """
        if not isinstance(self.calendar, ChinaCalendar) or not schedules:
            return self
        return attrs.evolve(self, calendar=self.calendar.with_schedules(*schedules))

    def bound(self) -> Plan:
        """
        Return the plan with every :func:`~opinion_rules.conditions.param` replaced by
        its value, as the engine runs it.

        Raises:
            PlanValidationError: naming every required parameter that has
                no value.

        .. versionadded:: 0.2.0
        """
        missing = [
            Problem(
                f"parameters.{p.id}",
                f"required parameter {p.id!r} ({p.label}) has no value",
                f"a value supplied with Plan.with_parameters({p.id}=...)",
                got=f"clause {p.clause.ref}: {p.clause.text}" if p.clause else None,
            )
            for p in self.parameters
            if p.value is None
        ]
        if missing:
            raise PlanValidationError(f"plan {self.id!r}", missing)
        if not self.parameters:
            return self
        values = {p.id: p.value for p in self.parameters}
        return attrs.evolve(
            self,
            grades=tuple(attrs.evolve(g, criteria=_bind(g.criteria, values)) for g in self.grades),
            categories=tuple(
                attrs.evolve(c, condition=_bind(c.condition, values)) for c in self.categories
            ),
            actions=tuple(
                attrs.evolve(
                    a,
                    condition=_bind(a.condition, values),
                    routing=_bind_routing(a.routing, values),
                )
                for a in self.actions
            ),
            routings=tuple(
                attrs.evolve(r, condition=_bind(r.condition, values)) for r in self.routings
            ),
        )


#: Plan sections whose items have ids and can be overridden by an extending plan.
ID_SECTIONS = (
    "roles",
    "parameters",
    "measures",
    "facts",
    "events",
    "grades",
    "categories",
    "principles",
    "actions",
    "chains",
    "channels",
    "stages",
    "duties",
    "routings",
)


def extend_plan(
    base: Plan,
    remove: Mapping[str, Iterable[str]],
    changes: Mapping[str, Any],
    modify: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
) -> Plan:
    """
    Merge *changes*, *modify* and *remove* into *base* (see :meth:`Plan.extend`).
    """
    modified, modify_problems = modified_items(base, modify or {}, ID_SECTIONS)
    if modified:
        changes = {
            **changes,
            **{s: [*changes.get(s, ()), *items] for s, items in modified.items()},
        }
    fields = {f.name for f in attrs.fields(Plan)} - {"base", "local"}
    problems = [
        Problem(name, "is not a plan field", one_of(fields))
        for name in changes
        if name not in fields
    ]
    problems += modify_problems
    problems += [
        Problem(f"remove.{name}", "is not a section with ids", f"one of {list(ID_SECTIONS)}")
        for name in remove
        if name not in ID_SECTIONS
    ]
    merged: dict[str, Any] = {}
    local: set[str] = set()
    for section in ID_SECTIONS:
        items = list(getattr(base, section))
        # Positions by id (a list index per item made merging quadratic).
        where = {item.id: i for i, item in enumerate(items)}
        for item_id in remove.get(section, ()):
            if item_id not in where and len(problems) <= PROBLEMS_SHOWN:
                problems.append(
                    Problem(
                        f"remove.{section}",
                        f"the base plan has no {section} item {item_id!r}",
                        expected_names_capped(item_id, where),
                    )
                )
        for item in changes.get(section, ()):
            item_id = str(getattr(item, "id", ""))
            if item_id in where:
                items[where[item_id]] = item
            else:
                where[item_id] = len(items)
                items.append(item)
            local.add(f"{section}.{item_id}")
        dropped = set(remove.get(section, ()))
        merged[section] = [item for item in items if item.id not in dropped]
    merged["notes"] = (*base.notes, *changes.get("notes", ()))
    base_metrics = set(base.metrics)
    merged["metrics"] = (
        *base.metrics,
        *(m for m in changes.get("metrics", ()) if m not in base_metrics),
    )
    if problems:
        raise PlanValidationError(f"plan extending {base.id!r}", capped(problems))
    scalars = {
        name: value
        for name, value in changes.items()
        if name not in ID_SECTIONS and name not in ("notes", "metrics")
    }
    local.update(f"plan.{name}" for name in scalars)
    try:
        return attrs.evolve(
            base, **merged, **scalars, base=f"{base.id}@{base.version}", local=local
        )
    except PlanValidationError as exc:
        # Indexes into merged lists mean nothing to the author: name items.
        raise PlanValidationError(exc.subject, [_by_id(p, merged) for p in exc.problems]) from None


def _by_id(problem: Problem, merged: Mapping[str, Sequence[Any]]) -> Problem:
    """
    ``actions[3].deadline`` becomes ``actions.report_major.deadline``.
    """
    match = re.match(r"^([a-z]+)\[(\d+)\](.*)$", problem.path)
    if match is None or match.group(1) not in ID_SECTIONS:
        return problem
    section, index, rest = match.group(1), int(match.group(2)), match.group(3)
    items = merged.get(section, ())
    if index >= len(items):
        return problem
    return attrs.evolve(problem, path=f"{section}.{items[index].id}{rest}")


def _bind_routing(
    routing: tuple[Routing | str, ...], values: dict[str, Any]
) -> tuple[Routing | str, ...]:
    return tuple(
        r if isinstance(r, str) else attrs.evolve(r, condition=_bind(r.condition, values))
        for r in routing
    )


def _bind(condition: Condition, values: dict[str, Any]) -> Condition:
    def value(v: Any) -> Any:
        return values[v.id] if isinstance(v, Param) else v

    match condition:
        case Compare(operand, op, v):
            return Compare(operand, op, value(v))
        case OneOf(operand, vs):
            return OneOf(operand, tuple(value(v) for v in vs))
        case CompareValues(left, op, right):
            return CompareValues(left, op, _bind_term(right, values))
        case AllOf(items):
            return AllOf(tuple(_bind(i, values) for i in items))
        case AnyOf(items):
            return AnyOf(tuple(_bind(i, values) for i in items))
        case Not(item):
            return Not(_bind(item, values))
        case _:
            return condition


def _bind_term(term: Any, values: dict[str, Any]) -> Any:
    match term:
        case Param(pid):
            return values[pid]
        case Arithmetic(op, left, right):
            return Arithmetic(op, _bind_term(left, values), _bind_term(right, values))
    return term
