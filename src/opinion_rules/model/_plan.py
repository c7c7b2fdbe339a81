"""
The frozen attrs model of a response plan (预案).

Every value class validates its own fields at construction; :class:`Plan`
then checks the whole: unique ids, references that resolve, conditions that
compare facts with values of the right type, and a clause on every grade,
category, principle and action.  An invalid plan cannot be constructed.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from opinion_rules._limits import (
    CONDITION_DEPTH,
    LONGEST_PERIOD,
    MOST_PER_DAY,
    MOST_WORKING_DAYS,
    TIMEZONE_CHARACTERS,
    period_problem,
)
from opinion_rules._suggest import expected_names
from opinion_rules._validators import is_identifier, is_slug, non_empty_text, non_negative_duration
from opinion_rules.exceptions import PlanValidationError, Problem
from opinion_rules.time._calendars import ChinaCalendar, WorkingCalendar, YearSchedule

from ._conditions import (
    AllOf,
    Always,
    AnyOf,
    CategoryIs,
    Compare,
    Condition,
    EventSeen,
    FactRef,
    GradeRef,
    MeasureRef,
    Not,
    OneOf,
    Param,
    depth,
    is_condition,
    walk,
)
from ._deadlines import BUILTIN_ANCHORS, REF_ANCHORS, Deadline, Offset, TimeRules
from ._lifecycle import Assignment, Grading, Routing
from ._windows import Measure


__all__ = [
    "CHANNELS",
    "Action",
    "Category",
    "Clause",
    "EventSpec",
    "FactSpec",
    "Grade",
    "Plan",
    "Principle",
    "ReportChain",
    "Role",
]

#: Channels an action may use.
CHANNELS = (
    "phone",  # 电话报告
    "written_report",  # 书面报告, 专报, 简报
    "bulletin",  # 舆情动态 and other internal bulletins
    "notice",  # 通知, 通报
    "web_post",  # 跟帖, 网站/微博回应
    "press_release",  # 新闻通稿, 权威发布
    "press_conference",  # 新闻发布会, 通报会
    "meeting",  # 会商, 应对会
    "monitoring",  # 监测
    "in_person",  # 当面沟通
    "legal",  # 法律声明, 报请依法处置
    "internal",  # 内部办理, 审定, 批示
    "unspecified",  # the plan does not say how
)


@attrs.frozen
class Clause:
    """
    The plan sentence a model element comes from.

    Args:
        ref: Where it is in the plan, e.g. ``五(一)3``.
        text: The sentence, quoted verbatim.

    .. versionadded:: 0.1.0
    """

    ref: str = attrs.field(validator=non_empty_text)
    text: str = attrs.field(validator=non_empty_text)

    def __str__(self) -> str:
        return f"{self.ref} {self.text}"


def _optional_clause(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Clause):
        raise TypeError(
            f"'{attribute.name}' must be a Clause (got {value!r}, a {type(value).__name__})"
        )


@functools.total_ordering
@attrs.frozen(eq=True, order=False)
class Grade:
    """
    One level of a plan's grade scale, e.g. 一般 / 较大 / 重大 / 特别重大.

    Grades compare by *rank* only: names are labels, and "重大" is the top
    level in one plan and the second in another.

    Args:
        id: Stable identifier, e.g. ``major``.
        name: The plan's own name, e.g. ``重大网络舆情``.
        rank: Position on the scale; higher is more severe.
        criteria: The condition that makes an incident this grade.
        clause: The sentence defining the grade.
        name_en: An English label, optional.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=is_identifier)
    name: str = attrs.field(validator=non_empty_text)
    rank: int = attrs.field(validator=[attrs.validators.instance_of(int), attrs.validators.ge(0)])
    criteria: Condition = attrs.field(validator=is_condition)
    clause: Clause | None = attrs.field(default=None, validator=_optional_clause)
    name_en: str = ""

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Grade):
            return NotImplemented
        return self.rank < other.rank


FactType = Literal["bool", "number", "text", "enum"]
_FACT_TYPES = ("bool", "number", "text", "enum")


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError(f"expected a list, not the string {values!r}")
    return tuple(values)


@attrs.frozen
class FactSpec:
    """
    A fact incidents may carry, with its type.

    Args:
        id: The key in the incident's ``facts`` object.
        type: ``bool``, ``number``, ``text`` or ``enum``.
        choices: For ``enum``: the allowed values, lowest first when
            *ordered*.
        ordered: For ``enum``: whether ``gt``/``ge``/... compare positions in
            *choices* (e.g. accident grade 一般 < 较大 < 重大).
        label: Words for reasons.
        clause: Where the plan speaks of this fact, optional.
        judgement: Whether the fact is a person's judgement ("可能造成重大
            影响", "必要时", "有扩散趋势"): incidents must then supply it as a
            ``fact`` event with ``by`` (who judged, and when), never in the
            incident's initial ``facts``.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.4.0 *judgement*.
    """

    id: str = attrs.field(validator=is_identifier)
    type: FactType = "text"
    choices: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    ordered: bool = False
    label: str = ""
    clause: Clause | None = attrs.field(default=None, validator=_optional_clause)
    judgement: bool = False

    def __attrs_post_init__(self) -> None:
        if self.type not in _FACT_TYPES:
            raise ValueError(f"'type' must be one of {list(_FACT_TYPES)} (got {self.type!r})")
        if self.type == "enum":
            if not self.choices:
                raise ValueError(f"enum fact {self.id!r} needs 'choices'")
            if len(set(self.choices)) != len(self.choices):
                raise ValueError(f"enum fact {self.id!r} has duplicate choices")
        elif self.choices or self.ordered:
            raise ValueError(
                f"'choices' and 'ordered' are only for enum facts (fact {self.id!r} is {self.type})"
            )

    def describe(self) -> str:
        """
        Words for this fact in reasons.
        """
        return self.label or self.id


@attrs.frozen
class Category:
    """
    A handling category (处置类别), chosen independently of the grade.

    Args:
        id: Stable identifier, e.g. ``malicious_hype``.
        name: The plan's name, e.g. ``恶意炒作``.
        condition: When an incident is in this category; over facts and
            measures.  Leave it ``always()`` for an *other* category.
        clause: The sentence defining the category.
        other: The "其他" branch: the incident is in this category when it
            is in none of the others, i.e. when every other category's
            condition is false (while any is unknown, so is this one).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.4.0 *other*.
    """

    id: str = attrs.field(validator=is_identifier)
    name: str = attrs.field(validator=non_empty_text)
    condition: Condition = attrs.field(factory=Always, validator=is_condition)
    clause: Clause | None = attrs.field(default=None, validator=_optional_clause)
    name_en: str = ""
    other: bool = False


@attrs.frozen
class Principle:
    """
    A working principle (工作原则): text the engine does not execute, kept so
    every part of the plan is represented and can be cited.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=is_identifier)
    name: str = attrs.field(validator=non_empty_text)
    text: str = attrs.field(validator=non_empty_text)
    clause: Clause | None = attrs.field(default=None, validator=_optional_clause)


@attrs.frozen
class Role:
    """
    A unit or person that owns actions, e.g. 舆情处.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=is_identifier)
    name: str = attrs.field(validator=non_empty_text)
    name_en: str = ""


def _is_channel(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in CHANNELS:
        raise ValueError(f"'{attribute.name}' must be one of {list(CHANNELS)} (got {value!r})")


def _routings(values: Iterable[Routing]) -> tuple[Routing, ...]:
    return tuple(values)


def _assignments(values: Iterable[Assignment]) -> tuple[Assignment, ...]:
    return tuple(values)


@attrs.frozen
class Action:
    """
    An obligation: who does what, by which channel, by when, and why.

    Args:
        id: Stable identifier; incidents report completion with it.
        title: What is to be done, in the plan's words.
        owners: Role ids responsible, first the lead.
        channel: One of :data:`CHANNELS`.
        deadline: When it falls due.
        condition: When the action applies, e.g. ``grade() >= "major"``.
        clause: The sentence the action comes from.
        stage: Workflow stage, e.g. ``report`` or ``respond``; free text.
        assignments: What each default owner does (牵头, 配合, ...).
        routing: Owners chosen by the incident's scope and grade
            (:class:`~opinion_rules.Routing`); the first that holds wins.
        overrides: Action ids this action takes precedence over: once it
            applies, those still open are ``overridden`` (e.g. "不论事件级别,
            均应立即上报" overrides the grade-based report).
        family: A name shared by the grade variants of one obligation (the
            24-hour report at 较大, the 3-hour one at 重大); the
            ``keep_elapsed`` re-grading rule counts time from when the
            family's first variant started.

    Several deliverables from one anchor are separate actions.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.4.0 *assignments*, *routing*, *overrides*, *family*.
    """

    id: str = attrs.field(validator=is_identifier)
    title: str = attrs.field(validator=non_empty_text)
    owners: tuple[str, ...] = attrs.field(converter=_str_tuple)
    channel: str = attrs.field(validator=_is_channel)
    deadline: Deadline = attrs.field(validator=attrs.validators.instance_of(Deadline))
    condition: Condition = attrs.field(factory=Always, validator=is_condition)
    clause: Clause | None = attrs.field(default=None, validator=_optional_clause)
    stage: str = ""
    assignments: tuple[Assignment, ...] = attrs.field(
        default=(),
        converter=_assignments,
        validator=attrs.validators.deep_iterable(attrs.validators.instance_of(Assignment)),
    )
    routing: tuple[Routing, ...] = attrs.field(
        default=(),
        converter=_routings,
        validator=attrs.validators.deep_iterable(attrs.validators.instance_of(Routing)),
    )
    overrides: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    family: str = ""

    def duty_of(self, role: str) -> str:
        """
        What *role* does as a default owner ("" when not stated).
        """
        return next((a.duty for a in self.assignments if a.role == role), "")

    @owners.validator
    def _check_owners(
        self, _attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
    ) -> None:
        if not value:
            raise ValueError(f"action {self.id!r} needs at least one owner")


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


def _optional_number(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"'{attribute.name}' must be a finite number or None (got {value!r})")


@attrs.frozen
class Parameter:
    """
    A number the plan text leaves to the organisation, e.g. the blank in
    "体温超过℃".

    Conditions use it with :func:`~opinion_rules.param`.  A parameter without
    a *value* is *required*: the plan can be checked and rendered, but an
    :class:`~opinion_rules.Engine` refuses it until a value is supplied with
    :meth:`Plan.with_parameters`.  The library never invents the number.

    .. versionadded:: 0.2.0
    """

    id: str = attrs.field(validator=is_identifier)
    label: str = attrs.field(validator=non_empty_text)
    value: int | float | None = attrs.field(default=None, validator=_optional_number)
    unit: str = ""
    clause: Clause | None = attrs.field(default=None, validator=_optional_clause)


@attrs.frozen
class Note:
    """
    A sentence of the plan that is prose only: it is not modelled as a rule,
    and *reason* says why (e.g. it states an attitude, or needs a judgement
    no fact records).  Listing these keeps the model honest about coverage.

    .. versionadded:: 0.2.0
    """

    clause: Clause = attrs.field(validator=attrs.validators.instance_of(Clause))
    reason: str = attrs.field(validator=non_empty_text)


#: Event types every plan knows: the incident's own instants and the
#: generic events incidents record.
BUILTIN_EVENTS = (*BUILTIN_ANCHORS, "fact", "grade_asserted")


@attrs.frozen
class EventSpec:
    """
    An event type incidents record for this plan, e.g. ``case_claimed``
    (受理), ``case_closed`` (办结), ``subsided`` (平息).

    Declaring events is optional; once a plan declares any, every event its
    deadlines and conditions name must be declared, so a misspelt anchor is a
    plan error instead of a duty that never starts.

    .. versionadded:: 0.3.0
    """

    id: str = attrs.field(validator=is_identifier)
    label: str = ""
    clause: Clause | None = attrs.field(default=None, validator=_optional_clause)


def _optional_bound(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, Offset) or value.is_zero()):
        raise ValueError(f"'{attribute.name}' must be a non-zero Offset or None (got {value!r})")


@attrs.frozen
class ReportChain:
    """
    A report chain (逐级上报): actions done in turn, each running from the
    previous one's completion, with an optional worst-case *bound* for the
    whole chain from the first hop's start (e.g. "最迟不超过…小时报至…").

    Args:
        id: Identifier.
        title: What the chain is, e.g. ``重大舆情逐级上报``.
        hops: Action ids in order; each after the first must be anchored on
            ``action_done:<previous hop>``.
        bound: The whole chain's limit, counted like a deadline offset.
        clause: The sentence it comes from.

    .. versionadded:: 0.3.0
    """

    id: str = attrs.field(validator=is_identifier)
    title: str = attrs.field(validator=non_empty_text)
    hops: tuple[str, ...] = attrs.field(converter=_str_tuple)
    bound: Offset | None = attrs.field(default=None, validator=_optional_bound)
    clause: Clause | None = attrs.field(default=None, validator=_optional_clause)

    @hops.validator
    def _check_hops(self, _attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        if len(value) < 2:
            raise ValueError(f"chain {self.id!r} needs at least two hops (got {list(value)})")
        if len(set(value)) != len(value):
            raise ValueError(f"chain {self.id!r} lists an action twice: {list(value)}")


def _frozen(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _optional_calendar(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, WorkingCalendar):
        raise TypeError(
            f"'{attribute.name}' must be a working calendar (ChinaCalendar, DataCalendar, or an "
            f"object with name, hours and is_working_day) or None (got {value!r})"
        )


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
            closure (:class:`~opinion_rules.Grading`).
        base: The plan this one adapts (``id@version``), set by
            :meth:`extend`; ``None`` for a plan of its own.
        local: For an adapted plan: the items it adds or overrides, as
            ``"<section>.<id>"`` (e.g. ``"actions.report_major"``), so a
            rendered document can mark them.

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

    def __attrs_post_init__(self) -> None:
        # The checks stop after enough problems to act on: each may list the
        # plan's names, so listing all of a huge broken plan's is quadratic.
        problems = _capped(itertools.islice(_check_plan(self), _PROBLEMS_SHOWN + 1))
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
        **changes: Any,
    ) -> Plan:
        """
        Return a plan that adapts this one (a county plan extending a
        provincial one): scalar fields given in *changes* replace this
        plan's; items of a section (``grades``, ``actions``, ``roles``,
        ``measures``, ``facts``, ``categories``, ``principles``,
        ``parameters``, ``events``, ``chains``) replace the item with the
        same id in place, or are appended; ``notes`` and ``metrics`` are
        appended; *remove* drops items by id, e.g.
        ``remove={"actions": ["report_written"]}``.

        The result is checked like any plan, records ``base`` (this plan's
        ``id@version``) and ``local`` (the items added or replaced).

        Raises:
            PlanValidationError: for an unknown section or field, removing
                an id the base lacks, or any problem of the merged plan.

        .. versionadded:: 0.4.0
        """
        return extend_plan(self, remove or {}, changes)

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
                _one_of(declared),
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
        Return the plan with every :func:`~opinion_rules.param` replaced by
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
)


def extend_plan(
    base: Plan, remove: Mapping[str, Iterable[str]], changes: Mapping[str, Any]
) -> Plan:
    """
    Merge *changes* and *remove* into *base* (see :meth:`Plan.extend`).
    """
    fields = {f.name for f in attrs.fields(Plan)} - {"base", "local"}
    problems = [
        Problem(name, "is not a plan field", _one_of(fields))
        for name in changes
        if name not in fields
    ]
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
            if item_id not in where and len(problems) <= _PROBLEMS_SHOWN:
                problems.append(
                    Problem(
                        f"remove.{section}",
                        f"the base plan has no {section} item {item_id!r}",
                        _expected(item_id, where),
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
        raise PlanValidationError(f"plan extending {base.id!r}", _capped(problems))
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


def _bind_routing(routing: tuple[Routing, ...], values: dict[str, Any]) -> tuple[Routing, ...]:
    bound: list[Routing] = [attrs.evolve(r, condition=_bind(r.condition, values)) for r in routing]
    return tuple(bound)


def _bind(condition: Condition, values: dict[str, Any]) -> Condition:
    def value(v: Any) -> Any:
        return values[v.id] if isinstance(v, Param) else v

    match condition:
        case Compare(operand, op, v):
            return Compare(operand, op, value(v))
        case OneOf(operand, vs):
            return OneOf(operand, tuple(value(v) for v in vs))
        case AllOf(items):
            return AllOf(tuple(_bind(i, values) for i in items))
        case AnyOf(items):
            return AnyOf(tuple(_bind(i, values) for i in items))
        case Not(item):
            return Not(_bind(item, values))
        case _:
            return condition


# -- whole-plan checks --------------------------------------------------------

#: Whole-plan checks stop after this many problems, and say so.
_PROBLEMS_SHOWN = 100
#: Lists of names in messages stop after this many, and say how many in all.
_NAMES_SHOWN = 30


def _capped(problems: Iterable[Problem]) -> list[Problem]:
    out = list(itertools.islice(problems, _PROBLEMS_SHOWN + 1))
    if len(out) > _PROBLEMS_SHOWN:
        out[-1] = Problem(
            "",
            f"there are more problems; only the first {_PROBLEMS_SHOWN} are listed",
            "these fixed, and the plan checked again",
        )
    return out


def _one_of(names: Iterable[str], *, ordered: bool = True) -> str:
    listed = sorted(names) if ordered else list(names)
    if len(listed) <= _NAMES_SHOWN:
        return f"one of {listed}"
    return f"one of {listed[:_NAMES_SHOWN]} … ({len(listed)} in all)"


def _expected(name: str, known: Iterable[str]) -> str:
    """
    :func:`expected_names`, with at most ``_NAMES_SHOWN`` names listed.
    """
    names = list(known)
    if len(names) <= _NAMES_SHOWN:
        return expected_names(name, names)
    names.sort()
    close = [n for n in names if n.lower() == name.lower()] or [
        n for n in names if n.startswith(name[:3])
    ][:1]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(repr(n) for n in names[:_NAMES_SHOWN])
    return f"one of {shown}, … ({len(names)} in all){hint}"


def _check_types(plan: Plan) -> Iterator[Problem]:
    for group, cls in (
        ("grades", Grade),
        ("actions", Action),
        ("roles", Role),
        ("measures", Measure),
        ("facts", FactSpec),
        ("categories", Category),
        ("principles", Principle),
        ("parameters", Parameter),
        ("notes", Note),
        ("events", EventSpec),
        ("chains", ReportChain),
    ):
        for i, item in enumerate(getattr(plan, group)):
            if not isinstance(item, cls):
                yield Problem(
                    f"{group}[{i}]",
                    f"must be a {cls.__name__}",
                    got=f"{item!r}, a {type(item).__name__}",
                )


def _check_plan(plan: Plan) -> Iterator[Problem]:
    type_problems = list(_check_types(plan))
    if type_problems:
        yield from type_problems
        return
    for group in (
        "grades",
        "actions",
        "roles",
        "measures",
        "facts",
        "categories",
        "principles",
        "parameters",
        "events",
        "chains",
    ):
        counts = Counter(item.id for item in getattr(plan, group))
        for item_id, n in counts.items():
            if n > 1:
                yield Problem(group, f"id {item_id!r} is used {n} times", "unique ids")
    for metric, n in Counter(plan.metrics).items():
        if n > 1:
            yield Problem("metrics", f"metric {metric!r} is listed {n} times")
    ranks = Counter(g.rank for g in plan.grades)
    for rank, n in ranks.items():
        if n > 1:
            yield Problem("grades", f"rank {rank} is used by {n} grades", "distinct ranks")
    if not plan.grades:
        yield Problem("grades", "the plan has no grades", "at least one grade")

    metrics = set(plan.metrics)
    for i, m in enumerate(plan.measures):
        if m.metric not in metrics:
            yield Problem(
                f"measures[{i}].metric",
                f"metric {m.metric!r} is not declared in the plan's metrics",
                _one_of(plan.metrics, ordered=False),
            )

    names = _Names.of(plan)
    for i, g in enumerate(plan.grades):
        yield from _check_condition(names, g.criteria, f"grades[{i}].criteria", allow_state=False)
        if g.clause is None:
            yield Problem(
                f"grades[{i}].clause", f"grade {g.id!r} cites no clause", "the sentence defining it"
            )
    for i, c in enumerate(plan.categories):
        yield from _check_condition(
            names, c.condition, f"categories[{i}].condition", allow_state=False
        )
        if c.clause is None:
            yield Problem(
                f"categories[{i}].clause",
                f"category {c.id!r} cites no clause",
                "the sentence defining it",
            )
    for i, p in enumerate(plan.principles):
        if p.clause is None:
            yield Problem(
                f"principles[{i}].clause",
                f"principle {p.id!r} cites no clause",
                "the sentence stating it",
            )

    role_ids = {r.id for r in plan.roles}
    for i, a in enumerate(plan.actions):
        where = f"actions[{i}]"
        yield from _check_condition(names, a.condition, f"{where}.condition", allow_state=True)
        for j, owner in enumerate(a.owners):
            if owner not in role_ids:
                yield Problem(
                    f"{where}.owners[{j}]",
                    f"role {owner!r} is not defined",
                    _one_of(role_ids),
                )
        if a.clause is None:
            yield Problem(
                f"{where}.clause", f"action {a.id!r} cites no clause", "the sentence it comes from"
            )
    yield from _check_lifecycle(plan, names)
    yield from _check_timing(plan)


def _check_lifecycle(plan: Plan, names: _Names) -> Iterator[Problem]:
    """
    Owner duties and routings, overrides, the other category, and grading.
    """
    role_ids = {r.id for r in plan.roles}
    actions = {a.id: a for a in plan.actions}
    action_ids = set(actions)
    for i, a in enumerate(plan.actions):
        where = f"actions[{i}]"
        for j, assignment in enumerate(a.assignments):
            if assignment.role not in a.owners:
                yield Problem(
                    f"{where}.assignments[{j}]",
                    f"role {assignment.role!r} has a duty but is not an owner of {a.id!r}",
                    f"one of the action's owners {list(a.owners)}",
                )
        for j, routing in enumerate(a.routing):
            yield from _check_condition(
                names, routing.condition, f"{where}.routing[{j}].condition", allow_state=True
            )
            for k, owner in enumerate(routing.owners):
                if owner.role not in role_ids:
                    yield Problem(
                        f"{where}.routing[{j}].owners[{k}]",
                        f"role {owner.role!r} is not defined",
                        _expected(owner.role, role_ids),
                    )
        for j, other in enumerate(a.overrides):
            if other == a.id:
                yield Problem(f"{where}.overrides[{j}]", f"action {a.id!r} overrides itself")
            elif other not in action_ids:
                yield Problem(
                    f"{where}.overrides[{j}]",
                    f"action {other!r} is not defined",
                    _expected(other, action_ids),
                )
            elif a.id in actions[other].overrides:
                yield Problem(
                    f"{where}.overrides[{j}]",
                    f"actions {a.id!r} and {other!r} override each other",
                    "precedence in one direction only",
                )
    others = [i for i, c in enumerate(plan.categories) if c.other]
    for i in others:
        if not isinstance(plan.categories[i].condition, Always):
            yield Problem(
                f"categories[{i}].condition",
                "an 'other' category takes no condition: it holds when no other category does",
            )
    if len(others) > 1:
        yield Problem("categories", f"{len(others)} categories are marked 'other'", "at most one")
    if others and len(plan.categories) == 1:
        yield Problem(
            f"categories[{others[0]}].other",
            "an 'other' category needs other categories to fall back from",
        )
    yield from _check_grading(plan, role_ids)


def _check_grading(plan: Plan, role_ids: set[str]) -> Iterator[Problem]:
    grading = plan.grading
    grades = {g.id for g in plan.grades}
    measures = {m.id for m in plan.measures}
    declared = {e.id for e in plan.events}
    for j, role in enumerate(grading.asserted_by):
        if role not in role_ids:
            yield Problem(
                f"grading.asserted_by[{j}]",
                f"role {role!r} is not defined",
                _expected(role, role_ids),
            )
    seen: set[str] = set()
    for j, rule in enumerate(grading.deescalation):
        where = f"grading.deescalation[{j}]"
        if rule.id in seen:
            yield Problem(f"{where}.id", f"id {rule.id!r} is used twice", "unique ids")
        seen.add(rule.id)
        if rule.to not in grades:
            yield Problem(
                f"{where}.to", f"grade {rule.to!r} is not defined", _expected(rule.to, grades)
            )
        if rule.measure is not None and rule.measure not in measures:
            yield Problem(
                f"{where}.measure",
                f"measure {rule.measure!r} is not defined",
                _expected(rule.measure, measures),
            )
        if rule.event is not None and declared and rule.event not in declared:
            yield Problem(
                f"{where}.event",
                f"event {rule.event!r} is not declared in the plan's events",
                _expected(rule.event, declared),
            )
    closure = grading.closure
    if closure is not None and declared and closure.event not in declared:
        yield Problem(
            "grading.closure.event",
            f"event {closure.event!r} is not declared in the plan's events",
            _expected(closure.event, declared),
        )


def _check_timing(plan: Plan) -> Iterator[Problem]:
    """
    Anchors that resolve, no waiting cycles, calendars where deadlines need
    them, declared events, and report chains that follow their hops.
    """
    refs = {
        "action": {a.id for a in plan.actions},
        "grade": {g.id for g in plan.grades},
        "category": {c.id for c in plan.categories},
    }
    declared_events = {e.id for e in plan.events}
    for i, e in enumerate(plan.events):
        if e.id in (*BUILTIN_EVENTS, *REF_ANCHORS):
            yield Problem(f"events[{i}].id", f"{e.id!r} is a built-in event; do not declare it")
    waits: dict[str, str] = {}
    for i, a in enumerate(plan.actions):
        where = f"actions[{i}].deadline"
        deadline = a.deadline
        anchor = deadline.anchor
        kind = REF_ANCHORS.get(anchor.event)
        if kind is not None and anchor.ref not in refs[kind]:
            yield Problem(
                f"{where}.anchor",
                f"{kind} {anchor.ref!r} is not defined",
                _expected(str(anchor.ref), refs[kind]),
            )
        elif kind == "action":
            if anchor.ref == a.id:
                yield Problem(f"{where}.anchor", f"action {a.id!r} is anchored on itself")
            else:
                waits[a.id] = str(anchor.ref)
        for event, field in custom_events(deadline):
            if declared_events and event not in declared_events:
                yield Problem(
                    f"{where}.{field}",
                    f"event {event!r} is not declared in the plan's events",
                    _expected(event, declared_events),
                )
        for field, offset in deadline.offsets():
            # Plan files write the offset as 'within'.
            name = "within" if field == "offset" else field
            yield from _offset_problems(offset, f"{where}.{name}")
            yield from _calendar_problems(plan, offset, f"{where}.{name}")
        yield from _recurrence_problems(deadline, where)
    yield from _wait_cycles(plan, waits)
    if declared_events:
        for where, condition in plan_conditions(plan):
            for event in sorted({n.event for n in walk(condition) if isinstance(n, EventSeen)}):
                if event not in declared_events:
                    yield Problem(
                        where,
                        f"seen({event}) tests an event not declared in the plan's events",
                        _expected(event, declared_events),
                    )
    actions = {a.id: a for a in plan.actions}
    for i, chain in enumerate(plan.chains):
        for j, hop in enumerate(chain.hops):
            if hop not in actions:
                yield Problem(
                    f"chains[{i}].hops[{j}]",
                    f"action {hop!r} is not defined",
                    _one_of(actions),
                )
            elif j and str(actions[hop].deadline.anchor) != f"action_done:{chain.hops[j - 1]}":
                yield Problem(
                    f"chains[{i}].hops[{j}]",
                    f"hop {hop!r} does not run from the previous hop's completion",
                    f"its deadline anchored on 'action_done:{chain.hops[j - 1]}'",
                    str(actions[hop].deadline.anchor),
                )
        if chain.bound is not None:
            yield from _offset_problems(chain.bound, f"chains[{i}].bound")
            yield from _calendar_problems(plan, chain.bound, f"chains[{i}].bound")


def offset_problem(offset: Offset) -> str | None:
    """
    Why *offset* is too long to compute with, or ``None``: at most
    :data:`~._limits.LONGEST_PERIOD` of days, hours and minutes, or
    :data:`~._limits.MOST_WORKING_DAYS` working days.  Counted in integers,
    so no size of number overflows here.
    """
    seconds = offset.days * 86_400 + offset.hours * 3_600 + offset.minutes * 60
    if seconds > LONGEST_PERIOD.total_seconds():
        return f"is longer than the longest supported period ({LONGEST_PERIOD.days} days)"
    if offset.working_days > MOST_WORKING_DAYS:
        return f"counts more than {MOST_WORKING_DAYS} working days"
    return None


def _offset_problems(offset: Offset, where: str) -> Iterator[Problem]:
    problem = offset_problem(offset)
    if problem is not None:
        yield Problem(
            where,
            f"the period {problem}",
            f"at most {LONGEST_PERIOD.days}d, or {MOST_WORKING_DAYS}wd",
            offset.text() if len(offset.text()) <= 60 else None,
        )


#: The shortest ``every`` (the same rate as MOST_PER_DAY completions a day).
_SHORTEST_RECURRENCE = timedelta(days=1) / MOST_PER_DAY


def _recurrence_problems(deadline: Deadline, where: str) -> Iterator[Problem]:
    recurrence = deadline.recurrence
    if recurrence is None:
        return
    if recurrence.every is not None and period_problem(recurrence.every) is not None:
        yield Problem(
            f"{where}.every",
            f"the recurrence {period_problem(recurrence.every)}",
            f"at most {LONGEST_PERIOD.days}d",
        )
    elif recurrence.every is not None and recurrence.every < _SHORTEST_RECURRENCE:
        # As for per_day: every occurrence is owed and reported, so a duty
        # due each second owes 86,400 a day.
        yield Problem(
            f"{where}.every",
            f"the recurrence is more often than once a minute (every {recurrence.every})",
            "at least 1m",
        )
    if recurrence.per_day is not None and recurrence.per_day > MOST_PER_DAY:
        yield Problem(
            f"{where}.per_day",
            f"asks for more than {MOST_PER_DAY} completions a day (one a minute)",
            f"at most {MOST_PER_DAY}",
        )


def _calendar_problems(plan: Plan, offset: Offset, where: str) -> Iterator[Problem]:
    if offset.needs_calendar() and plan.calendar is None:
        yield Problem(
            where,
            f"{offset.describe()} needs a working calendar and the plan has none",
            "a plan 'calendar' (china, or holiday and make-up day data)",
        )
    elif offset.clock != "calendar" and plan.calendar and not plan.calendar.hours:
        yield Problem(
            where,
            f"clock {offset.clock!r} needs working hours and calendar "
            f"{plan.calendar.name!r} states none",
            "the calendar's working 'hours', e.g. 09:00-12:00 and 13:30-17:30",
        )


def plan_conditions(plan: Plan) -> Iterator[tuple[str, Condition]]:
    """
    Every condition in *plan* with its path: grade criteria, category and
    action conditions.
    """
    for i, g in enumerate(plan.grades):
        yield f"grades[{i}].criteria", g.criteria
    for i, c in enumerate(plan.categories):
        yield f"categories[{i}].condition", c.condition
    for i, a in enumerate(plan.actions):
        yield f"actions[{i}].condition", a.condition
        for j, routing in enumerate(a.routing):
            yield f"actions[{i}].routing[{j}].condition", routing.condition


def grading_events(grading: Grading) -> Iterator[tuple[str, str]]:
    """
    The incident event types the grading rules name, with the field naming
    each.
    """
    for j, rule in enumerate(grading.deescalation):
        if rule.event is not None:
            yield rule.event, f"grading.deescalation[{j}].event"
    if grading.closure is not None:
        yield grading.closure.event, "grading.closure.event"


def custom_events(deadline: Deadline) -> Iterator[tuple[str, str]]:
    """
    The incident event types *deadline* names, with the field naming each.
    """
    anchor = deadline.anchor
    if anchor.event not in BUILTIN_EVENTS and anchor.event not in REF_ANCHORS:
        yield anchor.event, "anchor"
    if deadline.until is not None:
        yield deadline.until, "until"
    if deadline.recurrence is not None and deadline.recurrence.until is not None:
        yield deadline.recurrence.until, "recurrence.until"
    if deadline.extension is not None:
        yield deadline.extension.event, "extension.event"


def _wait_cycles(plan: Plan, waits: dict[str, str]) -> Iterator[Problem]:
    reported: set[str] = set()
    index = {a.id: i for i, a in enumerate(plan.actions)}
    for start in waits:
        seen = [start]
        current = start
        while current in waits:
            current = waits[current]
            if current in seen:
                cycle = seen[seen.index(current) :]
                if not reported.intersection(cycle):
                    reported.update(cycle)
                    yield Problem(
                        f"actions[{index[current]}].deadline.anchor",
                        "actions wait on each other in a cycle: " + " -> ".join([*cycle, current]),
                        "anchors that lead back to an event, not to each other",
                    )
                break
            seen.append(current)


@attrs.frozen
class _Names:
    """
    What conditions may name, computed once per plan (per condition, it made
    checking a plan quadratic in its size).
    """

    measures: frozenset[str]
    facts: Mapping[str, FactSpec]
    categories: frozenset[str]
    grades: frozenset[str]
    parameters: Mapping[str, Parameter]

    @classmethod
    def of(cls, plan: Plan) -> _Names:
        return cls(
            frozenset(m.id for m in plan.measures),
            {f.id: f for f in plan.facts},
            frozenset(c.id for c in plan.categories),
            frozenset(g.id for g in plan.grades),
            {p.id: p for p in plan.parameters},
        )


def _check_condition(
    names: _Names, condition: Condition, where: str, *, allow_state: bool
) -> Iterator[Problem]:
    levels = depth(condition)
    if levels > CONDITION_DEPTH:
        yield Problem(
            where,
            f"the condition nests {levels} levels deep, more than {CONDITION_DEPTH}",
            f"at most {CONDITION_DEPTH} levels of all/any/not (all_of, any_of, not_)",
        )
        return
    measures, facts, categories, grades, parameters = (
        names.measures,
        names.facts,
        names.categories,
        names.grades,
        names.parameters,
    )
    for node in walk(condition):
        match node:
            case Compare() | OneOf():
                raw = node.values if isinstance(node, OneOf) else (node.value,)
                values = []
                for v in raw:
                    if not isinstance(v, Param):
                        values.append(v)
                    elif v.id not in parameters:
                        yield Problem(
                            where,
                            f"parameter {v.id!r} is not declared",
                            _one_of(parameters),
                        )
                    else:  # a required parameter is checked as the number it will be
                        value = parameters[v.id].value
                        values.append(0 if value is None else value)
                op = node.op if isinstance(node, Compare) else "eq"
                yield from _check_operand(
                    node.operand,
                    op,
                    values,
                    where,
                    measures,
                    facts,
                    grades,
                    allow_state=allow_state,
                )
            case CategoryIs(cat):
                if not allow_state:
                    yield Problem(where, "only action conditions may refer to categories")
                elif cat not in categories:
                    yield Problem(where, f"category {cat!r} is not defined", _one_of(categories))
            case EventSeen() | Always():
                pass
            case _:
                pass


def _check_operand(
    operand: object,
    op: str,
    values: Sequence[object],
    where: str,
    measures: frozenset[str],
    facts: Mapping[str, FactSpec],
    grades: frozenset[str],
    *,
    allow_state: bool,
) -> Iterator[Problem]:
    ordering = op in ("gt", "ge", "lt", "le")
    match operand:
        case MeasureRef(mid):
            if mid not in measures:
                yield Problem(where, f"measure {mid!r} is not defined", _one_of(measures))
            for v in values:
                if isinstance(v, bool) or not isinstance(v, int | float):
                    yield Problem(
                        where, f"measure {mid!r} is compared with a non-number", "a number", repr(v)
                    )
                elif v < 0:
                    yield Problem(
                        where,
                        f"measure {mid!r} is compared with a negative number "
                        "(counts are never negative)",
                        "a threshold >= 0",
                        repr(v),
                    )
        case GradeRef():
            if not allow_state:
                yield Problem(where, "only action conditions may refer to the grade")
            for v in values:
                if v not in grades:
                    yield Problem(where, f"grade {v!r} is not defined", _one_of(grades))
        case FactRef(fid):
            spec = facts.get(fid)
            if spec is None:
                yield Problem(where, f"fact {fid!r} is not declared", _one_of(facts))
                return
            yield from _check_fact_values(spec, ordering, values, where)
        case _:
            yield Problem(where, "comparison on an unknown operand", got=repr(operand))


def _check_fact_values(
    spec: FactSpec, ordering: bool, values: Sequence[object], where: str
) -> Iterator[Problem]:
    fid = spec.id
    if ordering and not (spec.type == "number" or (spec.type == "enum" and spec.ordered)):
        yield Problem(
            where,
            f"fact {fid!r} ({spec.type}) cannot be compared with >, >=, < or <=",
            "a number or ordered enum fact",
        )
    for v in values:
        match spec.type:
            case "number":
                ok = isinstance(v, int | float) and not isinstance(v, bool)
                expected = "a number"
            case "bool":
                ok = isinstance(v, bool)
                expected = "true or false"
            case "text":
                ok = isinstance(v, str)
                expected = "text"
            case _:
                ok = v in spec.choices
                expected = f"one of {list(spec.choices)}"
        if not ok:
            yield Problem(
                where, f"fact {fid!r} is compared with a value of the wrong type", expected, repr(v)
            )


def action_grade(action: Action, grade_ids: Iterable[str]) -> str | None:
    """
    The grade an action is keyed on: the ``grade == g`` or ``grade >= g`` in
    its condition (alone or in a top-level ``all``), if any.
    """
    known = set(grade_ids)
    items = action.condition.items if isinstance(action.condition, AllOf) else (action.condition,)
    for item in items:
        if (
            isinstance(item, Compare)
            and isinstance(item.operand, GradeRef)
            and item.op in ("eq", "ge")
            and str(item.value) in known
        ):
            return str(item.value)
    return None
