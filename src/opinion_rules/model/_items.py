"""
The items of a response plan (预案): grades, facts, categories, principles,
roles, actions, parameters, notes, event types and report chains.

Every item validates its own fields at construction; the whole plan is
checked by :mod:`opinion_rules.model._validation`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from opinion_rules._validators import is_identifier, non_empty_text
from opinion_rules.model._clauses import Clause, optional_clause
from opinion_rules.model._conditions import (
    AllOf,
    Always,
    Compare,
    Condition,
    GradeRef,
    is_condition,
)
from opinion_rules.model._deadlines import Deadline
from opinion_rules.model._lifecycle import ROUTING_MODES, Assignment, Routing
from opinion_rules.time._offsets import Offset


__all__ = [
    "APPLIES",
    "CHANNELS",
    "Action",
    "Category",
    "EventSpec",
    "FactSpec",
    "Grade",
    "Note",
    "Parameter",
    "Principle",
    "ReportChain",
    "Role",
    "Term",
    "action_grade",
    "fact_value_expected",
]

#: The built-in channels: known to lint and render without a declaration.
#: A plan may use its own (纸质快报, 吹风会) by declaring them (:class:`Term`).
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
    clause: Clause | None = attrs.field(default=None, validator=optional_clause)
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


def _label_pairs(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        raise TypeError(f"expected a mapping of choice to label, not the string {value!r}")
    if not isinstance(value, Iterable):
        raise TypeError(f"'choice_labels' must map choices to labels (got {value!r})")
    items: Iterable[object] = value.items() if isinstance(value, Mapping) else value
    pairs = []
    for item in items:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise TypeError(f"'choice_labels' must map choices to labels (got {item!r})")
        pairs.append((item[0], item[1]))  # checked in FactSpec: choices and texts
    return tuple(pairs)


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
            影响", "必要时", "有扩散趋势"): incidents must then supply it
            with who judged: as a ``fact`` event with ``by``, or, when the
            judgement was made before the incident arrived, as an initial
            fact given as a :class:`~opinion_rules.incidents.Judgement`.
        judged_by: For a judgement: the role ids allowed to make it
            ("由县委网信办研判"); a judgement must then name one of them
            as its ``role``.  Empty: the plan names none.
        may_be_not_applicable: Whether incidents may give the fact as
            :data:`~opinion_rules.NOT_APPLICABLE` (a ranking that is
            "未上榜"): known, never satisfying a comparison.
        choice_labels: For ``enum``: the words a document shows for each
            choice (``{"suggestion": "意见、建议"}``), given as a mapping
            or as pairs; kept as ``(choice, label)`` pairs in the order of
            *choices*.  A choice without a label shows its id (and
            ``opinion-rules check`` warns: ``unlabelled-choice``).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.4.0 *judgement*.
    .. versionchanged:: 0.6.0 *judged_by*; judgements as initial facts;
       *may_be_not_applicable*; *choice_labels*.
    """

    id: str = attrs.field(validator=is_identifier)
    type: FactType = "text"
    choices: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    ordered: bool = False
    label: str = ""
    clause: Clause | None = attrs.field(default=None, validator=optional_clause)
    judgement: bool = False
    judged_by: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    may_be_not_applicable: bool = attrs.field(
        default=False, validator=attrs.validators.instance_of(bool)
    )
    choice_labels: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_label_pairs)

    def __attrs_post_init__(self) -> None:
        if self.judged_by and not self.judgement:
            raise ValueError(
                f"'judged_by' is only for judgement facts (fact {self.id!r} is not one; "
                "add 'judgement: true')"
            )
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
        if self.choice_labels:
            self._check_choice_labels()

    def _check_choice_labels(self) -> None:
        if self.type != "enum":
            raise ValueError(
                f"'choice_labels' are only for enum facts (fact {self.id!r} is {self.type})"
            )
        labelled = dict(self.choice_labels)
        if len(labelled) != len(self.choice_labels):
            raise ValueError(f"'choice_labels' of fact {self.id!r} label a choice twice")
        for choice, label in labelled.items():
            if choice not in self.choices:
                raise ValueError(
                    f"'choice_labels' of fact {self.id!r} names {choice!r}, "
                    f"which is not one of its choices {list(self.choices)}"
                )
            if not isinstance(label, str) or not label.strip():
                raise ValueError(
                    f"'choice_labels.{choice}' of fact {self.id!r} must be non-empty text "
                    f"(got {label!r})"
                )
        # One order, the choices' own: equal plans compare equal however
        # their labels were listed.
        ordered = tuple((c, labelled[c]) for c in self.choices if c in labelled)
        object.__setattr__(self, "choice_labels", ordered)

    def describe(self) -> str:
        """
        Words for this fact in reasons.
        """
        return self.label or self.id

    def choice_label(self, choice: str) -> str:
        """
        The label of enum value *choice*, or *choice* itself when it has none.

        .. versionadded:: 0.6.0
        """
        return next((label for c, label in self.choice_labels if c == choice), choice)


def fact_value_expected(spec: FactSpec, value: object) -> str | None:
    """
    What a value of fact *spec* must be, when *value* is not one; ``None``
    when it fits.  One rule for the values conditions compare a fact with
    and the values incidents give it: numbers are finite and never
    booleans, enum values are one of the choices.
    """
    match spec.type:
        case "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and math.isfinite(value)  # type: ignore[arg-type]
            expected = "a number"
        case "bool":
            ok = isinstance(value, bool)
            expected = "true or false"
        case "text":
            ok = isinstance(value, str)
            expected = "a string"
        case _:
            ok = isinstance(value, str) and value in spec.choices
            expected = f"one of {list(spec.choices)}"
    return None if ok else expected


#: How long an action or a category applies once its condition holds:
#: ``latched`` (from the first instant it held, for good: the default) or
#: ``while`` (only while it holds; 只要…就…).  A ``while`` item whose
#: condition turns false, as known, is withdrawn from that instant; one
#: whose condition turns unknown still applies.
APPLIES: tuple[str, ...] = ("latched", "while")


def _applies(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in APPLIES:
        raise ValueError(f"'{attribute.name}' must be one of {list(APPLIES)} (got {value!r})")


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
        applies: ``latched`` (default: in the category from the first
            instant its condition held) or ``while`` (only while it holds).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.4.0 *other*.
    .. versionchanged:: 0.6.0 *applies*.
    """

    id: str = attrs.field(validator=is_identifier)
    name: str = attrs.field(validator=non_empty_text)
    condition: Condition = attrs.field(factory=Always, validator=is_condition)
    clause: Clause | None = attrs.field(default=None, validator=optional_clause)
    name_en: str = ""
    other: bool = False
    applies: str = attrs.field(default="latched", validator=_applies)


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
    clause: Clause | None = attrs.field(default=None, validator=optional_clause)


@attrs.frozen
class Role:
    """
    A unit or person that owns actions, e.g. 舆情处.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=is_identifier)
    name: str = attrs.field(validator=non_empty_text)
    name_en: str = ""


@attrs.frozen
class Term:
    """
    A word of the plan's own vocabulary with its labels: a channel (纸质快报,
    吹风会), an action kind (培训, 组建新闻发布中心) or an owner duty (属地回应),
    declared in the plan's ``channels``, ``stages`` or ``duties``.

    A term with a built-in id (e.g. channel ``phone``) relabels it.

    Args:
        id: The identifier actions use, e.g. ``paper_bulletin``.
        name: The plan's word, e.g. ``纸质快报``.
        name_en: An English label, optional.
        clause: Where the plan speaks of it, optional.

    .. versionadded:: 0.6.0
    """

    id: str = attrs.field(validator=is_identifier)
    name: str = attrs.field(validator=non_empty_text)
    name_en: str = ""
    clause: Clause | None = attrs.field(default=None, validator=optional_clause)


def _routings(values: Iterable[Routing | str]) -> tuple[Routing | str, ...]:
    return tuple(values)


def _is_routing(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, str):
        is_identifier(_inst, attribute, value)
    elif not isinstance(value, Routing):
        raise TypeError(
            f"'{attribute.name}' items must be Routing or the id of a plan routing (got {value!r})"
        )


def _routing_mode(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in ("", *ROUTING_MODES):
        raise ValueError(
            f"'{attribute.name}' must be one of {list(ROUTING_MODES)} or '' for the plan's "
            f"(got {value!r})"
        )


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
        channel: How it is done: one of :data:`CHANNELS`, or a channel the
            plan declares (:class:`Term`); any identifier is accepted, and
            lint warns on one that is neither.
        deadline: When it falls due.
        condition: When the action applies, e.g. ``grade() >= "major"``.
        clause: The sentence the action comes from.
        stage: Workflow stage, e.g. ``report`` or ``respond``; free text.
        assignments: What each default owner does (牵头, 配合, ...).
        routing: Owners chosen by the incident's scope and grade
            (:class:`~opinion_rules.lifecycle.Routing`), or the ids of
            routings the plan writes once (:attr:`Plan.routings`); see
            *routing_mode*.
        overrides: Action ids this action takes precedence over: once it
            applies, those still open are ``overridden`` (e.g. "不论事件级别,
            均应立即上报" overrides the grade-based report).
        family: A name shared by the grade variants of one obligation (the
            24-hour report at 较大, the 3-hour one at 重大); the
            ``keep_elapsed`` re-grading rule counts time from when the
            family's first variant started.
        routing_mode: ``first_match`` (the first routing that holds names
            the owners), ``additive`` (every routing that holds adds its
            owners), or ``""`` (default) for the plan's
            :attr:`Plan.routing_mode`.
        recipients: Role ids the action is delivered to (报送对象: "报告主要
            领导", "报市局"), distinct from its owners (who must do it).
        applies: ``latched`` (default: the action applies from the first
            instant its condition held, for good) or ``while`` (只要…就…:
            only while its condition holds; withdrawn when it turns false,
            applying again from when it holds again).  Not for recurring
            duties (a recurrence ends with its own ``until`` event) nor
            duties owed per change of a fact.

    Several deliverables from one anchor are separate actions.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.4.0 *assignments*, *routing*, *overrides*, *family*.
    .. versionchanged:: 0.6.0 *routing* may name plan routings; *routing_mode*,
       *recipients*.
    .. versionchanged:: 0.6.0 *applies*.
    """

    id: str = attrs.field(validator=is_identifier)
    title: str = attrs.field(validator=non_empty_text)
    owners: tuple[str, ...] = attrs.field(converter=_str_tuple)
    channel: str = attrs.field(validator=is_identifier)
    deadline: Deadline = attrs.field(validator=attrs.validators.instance_of(Deadline))
    condition: Condition = attrs.field(factory=Always, validator=is_condition)
    clause: Clause | None = attrs.field(default=None, validator=optional_clause)
    stage: str = ""
    assignments: tuple[Assignment, ...] = attrs.field(
        default=(),
        converter=_assignments,
        validator=attrs.validators.deep_iterable(attrs.validators.instance_of(Assignment)),
    )
    routing: tuple[Routing | str, ...] = attrs.field(
        default=(),
        converter=_routings,
        validator=attrs.validators.deep_iterable(_is_routing),
    )
    overrides: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    family: str = ""
    routing_mode: str = attrs.field(default="", validator=_routing_mode)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    applies: str = attrs.field(default="latched", validator=_applies)

    def duty_of(self, role: str) -> str:
        """
        What *role* does as a default owner ("" when not stated).
        """
        return next((a.said for a in self.assignments if a.role == role), "")

    @owners.validator
    def _check_owners(
        self, _attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
    ) -> None:
        if not value:
            raise ValueError(f"action {self.id!r} needs at least one owner")

    def __attrs_post_init__(self) -> None:
        if self.applies == "while" and (
            self.deadline.kind == "recurring" or self.deadline.anchor.event == "changed"
        ):
            raise ValueError(
                f"action {self.id!r}: 'applies: while' is not for a recurring duty or one "
                "owed per change of a fact (end a recurrence with its 'until' event)"
            )


# IANA names: ``UTC``, ``Asia/Shanghai``, ``America/Argentina/Buenos_Aires``,


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

    Conditions use it with :func:`~opinion_rules.conditions.param`.  A parameter without
    a *value* is *required*: the plan can be checked and rendered, but an
    :class:`~opinion_rules.Engine` refuses it until a value is supplied with
    :meth:`Plan.with_parameters`.  The library never invents the number.

    .. versionadded:: 0.2.0
    """

    id: str = attrs.field(validator=is_identifier)
    label: str = attrs.field(validator=non_empty_text)
    value: int | float | None = attrs.field(default=None, validator=_optional_number)
    unit: str = ""
    clause: Clause | None = attrs.field(default=None, validator=optional_clause)


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
    clause: Clause | None = attrs.field(default=None, validator=optional_clause)


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
    clause: Clause | None = attrs.field(default=None, validator=optional_clause)

    @hops.validator
    def _check_hops(self, _attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        if len(value) < 2:
            raise ValueError(f"chain {self.id!r} needs at least two hops (got {list(value)})")
        if len(set(value)) != len(value):
            raise ValueError(f"chain {self.id!r} lists an action twice: {list(value)}")


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
