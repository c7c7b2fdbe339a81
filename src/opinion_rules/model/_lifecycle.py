"""
The incident lifecycle a plan declares: who sets the grade, how an upgrade
moves deadlines, how the grade comes down, when the incident closes, and who
owns an action in which circumstances.

Every rule here is explicit data with a default the docs name
(docs/explanation/lifecycle.md); nothing is inferred from wording.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import attrs

from opinion_rules._validators import is_identifier, optional_identifier
from opinion_rules.model._clauses import Clause
from opinion_rules.model._conditions import Condition, is_condition


__all__ = [
    "ASSERTED_GRADES",
    "GRADE_DRIVERS",
    "OWNER_DUTIES",
    "REGRADE_RULES",
    "ROUTING_MODES",
    "Assignment",
    "Closure",
    "Deescalation",
    "Escalation",
    "Grading",
    "Routing",
]

GradeDriver = Literal["computed", "asserted", "higher"]
#: Which grade drives obligations: the one computed from the criteria, the
#: one a person asserted, or the higher of the two.
GRADE_DRIVERS: tuple[GradeDriver, ...] = ("computed", "asserted", "higher")

AssertedGrade = Literal["latest", "highest"]
#: Which of the grades people asserted counts: the latest assertion (a new
#: one may lower the grade) or the highest so far (grades only go up).
ASSERTED_GRADES: tuple[AssertedGrade, ...] = ("latest", "highest")

RegradeRule = Literal["from_upgrade", "retroactive", "keep_elapsed"]
#: Where the clock of a duty that an upgrade starts runs from.
REGRADE_RULES: tuple[RegradeRule, ...] = ("from_upgrade", "retroactive", "keep_elapsed")

OwnerDuty = Literal["primary", "lead", "support", "coordinate", ""]
#: The built-in owner duties: 第一责任主体, 牵头, 配合, 组织协调.  A plan may
#: name its own (属地回应) by declaring them in its ``duties``.
OWNER_DUTIES: tuple[str, ...] = ("primary", "lead", "support", "coordinate")

RoutingMode = Literal["first_match", "additive"]
#: How an action's routings choose owners: the first that holds names them
#: (default), or every one that holds adds its owners (61号: 第一责任主体,
#: 组织协调, 配合, 属地回应 together).
ROUTING_MODES: tuple[RoutingMode, ...] = ("first_match", "additive")

#: The plans' own words for each duty, for documents and reasons.
DUTY_WORDS = {
    "primary": "第一责任主体",
    "lead": "牵头",
    "support": "配合",
    "coordinate": "组织协调",
}


def _clause(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Clause):
        raise TypeError(f"'{attribute.name}' must be a Clause (got {value!r})")


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value not in choices:
            raise ValueError(f"'{attribute.name}' must be one of {list(choices)} (got {value!r})")

    return check


def _empty_or_identifier(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value != "":
        is_identifier(_inst, attribute, value)


@attrs.frozen
class Assignment:
    """
    One owner of an action and what it does there.

    Args:
        role: A role id of the plan.
        duty: ``primary`` (第一责任主体), ``lead`` (牵头), ``support`` (配合),
            ``coordinate`` (组织协调), or ``""`` when the text does not say.
        plan_duty: Instead of *duty*, a duty in the plan's own words that
            the plan declares in its ``duties`` (属地回应, 归口办理).

    .. versionadded:: 0.4.0
    .. versionchanged:: 0.6.0 *plan_duty*.
    """

    role: str = attrs.field(validator=is_identifier)
    duty: str = attrs.field(default="", validator=_one_of(("", *OWNER_DUTIES)))
    plan_duty: str = attrs.field(default="", validator=_empty_or_identifier)

    def __attrs_post_init__(self) -> None:
        if self.duty and self.plan_duty:
            raise ValueError(
                f"owner {self.role!r} has both a built-in 'duty' and a 'plan_duty'; give one"
            )

    @property
    def said(self) -> str:
        """
        The duty as stated: the built-in one or the plan's own (``""`` if none).
        """
        return self.duty or self.plan_duty


def _assignments(values: Iterable[Assignment | str]) -> tuple[Assignment, ...]:
    if isinstance(values, str):
        raise TypeError(f"expected a list of owners, not the string {values!r}")
    return tuple(v if isinstance(v, Assignment) else Assignment(v) for v in values)


@attrs.frozen
class Routing:
    """
    Owners chosen by the incident's attributes and grade, e.g. "涉及多个部门
    的, 由办公室牵头, 相关股室配合".

    Under ``first_match`` routing (the default), an action's routings are
    tried in order at the evaluation instant; the first whose condition
    holds names the owners, and when none holds the action's own ``owners``
    apply.  A routing whose condition is unknown stops the search: the
    result keeps the default owners and says which fact would decide.

    Under ``additive`` routing the action's own owners always apply and
    every routing that holds adds its owners (a role already listed with
    the same duty is not repeated); an unknown routing adds nothing and the
    result says which fact would decide.

    A routing written once in the plan's ``routings`` has an *id*, and
    actions name it in their ``routing`` list.

    .. versionadded:: 0.4.0
    .. versionchanged:: 0.6.0 *id*.
    """

    condition: Condition = attrs.field(validator=is_condition)
    owners: tuple[Assignment, ...] = attrs.field(converter=_assignments)
    clause: Any = attrs.field(default=None, validator=_clause)
    id: str = attrs.field(default="", validator=_empty_or_identifier)

    @owners.validator
    def _check_owners(self, _attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
        if not value:
            raise ValueError("a routing needs at least one owner")


@attrs.frozen
class Deescalation:
    """
    A rule that lowers the grade, e.g. "连续3次监测点击量低于100" or a
    ``subsided`` event.

    Args:
        id: Identifier, shown in results.
        to: The grade the incident drops to.
        event: An event type that lowers the grade when recorded.
        measure: A measure watched instead of an event ...
        below: ... which must be strictly below this value ...
        consecutive: ... at this many consecutive observations of its metric.
        cancel_started: Whether duties already started and not yet done are
            cancelled when the grade drops.  Default ``False``: obligations
            already started stay.
        clause: The sentence the rule comes from.

    Exactly one of *event* or *measure* (with *below*) is given.

    .. versionadded:: 0.4.0
    """

    id: str = attrs.field(validator=is_identifier)
    to: str = attrs.field(validator=is_identifier)
    event: str | None = attrs.field(default=None, validator=optional_identifier)
    measure: str | None = attrs.field(default=None, validator=optional_identifier)
    below: int | float | None = None
    consecutive: int = attrs.field(default=1)
    cancel_started: bool = False
    clause: Any = attrs.field(default=None, validator=_clause)

    def __attrs_post_init__(self) -> None:
        if (self.event is None) == (self.measure is None):
            raise ValueError(f"de-escalation {self.id!r} needs exactly one of 'event' or 'measure'")
        if self.measure is not None:
            if (
                isinstance(self.below, bool)
                or not isinstance(self.below, int | float)
                or not math.isfinite(self.below)
            ):
                raise ValueError(
                    f"de-escalation {self.id!r} on a measure needs a finite number 'below' "
                    f"(got {self.below!r})"
                )
        elif self.below is not None:
            raise ValueError(f"de-escalation {self.id!r}: 'below' goes with 'measure'")
        if isinstance(self.consecutive, bool) or not isinstance(self.consecutive, int):
            raise TypeError(f"'consecutive' must be an integer (got {self.consecutive!r})")
        if self.consecutive < 1:
            raise ValueError(f"'consecutive' must be at least 1 (got {self.consecutive!r})")
        if self.event is not None and self.consecutive != 1:
            raise ValueError(f"de-escalation {self.id!r}: 'consecutive' goes with 'measure'")


@attrs.frozen
class Escalation:
    """
    A rule that raises the grade by steps when an event is recorded, e.g.
    "本属三级舆情，因处理不妥造成态势扩大的，升为二级" (``event:
    mishandled``, ``steps: 1``).

    Each recorded occurrence of *event* raises the grade current at its
    instant by *steps* levels, capped at the top grade; an ungraded incident
    counts as one level below the lowest grade.  The raised grade stays
    until a higher grade is reached or a de-escalation rule lowers it.

    Args:
        id: Identifier, shown in results.
        event: The event type that raises the grade.
        steps: How many levels (at least 1).
        clause: The sentence the rule comes from.

    .. versionadded:: 0.6.0
    """

    id: str = attrs.field(validator=is_identifier)
    event: str = attrs.field(validator=is_identifier)
    steps: int = attrs.field(default=1)
    clause: Any = attrs.field(default=None, validator=_clause)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int):
            raise TypeError(f"'steps' must be an integer (got {self.steps!r})")
        if self.steps < 1:
            raise ValueError(f"'steps' must be at least 1 (got {self.steps!r})")


@attrs.frozen
class Closure:
    """
    When the incident is closed: the event that closes it (e.g.
    ``case_closed``, 应急处置结束).  From then on the grade no longer changes;
    duties that start on or after the closure (总结评估, 责任考评) still do.

    Args:
        event: The closing event type.
        cancel_started: Whether duties already started and not done are
            cancelled at closure.  Default ``False``.
        clause: The sentence.

    .. versionadded:: 0.4.0
    """

    event: str = attrs.field(validator=is_identifier)
    cancel_started: bool = False
    clause: Any = attrs.field(default=None, validator=_clause)


def _roles(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError(f"expected a list of role ids, not the string {values!r}")
    return tuple(values)


@attrs.frozen
class Grading:
    """
    How the plan's grade is set and changed.

    Args:
        drive: Which grade drives obligations: ``computed`` (default; from
            the criteria), ``asserted`` (set by a person, provisional
            初步认定 or confirmed 确认), or ``higher`` (the higher of the two).
        asserted_by: Role ids allowed to assert a grade; empty means the
            plan names none (any ``by`` is accepted).
        asserted_grade: Which assertion counts under the ``asserted`` and
            ``higher`` drives: ``latest`` (default; a later, lower assertion
            lowers the grade) or ``highest`` (the highest so far: grades
            only go up).
        regrade: When an upgrade starts a duty after its anchor, where the
            duty's clock runs from: ``from_upgrade`` (default), ``retroactive``
            (from the anchor; it may be overdue at once), or
            ``keep_elapsed`` (from when the same duty, see
            :attr:`Action.duty`, started at the lower grade).
        escalation: Rules that raise the grade by steps on an event
            ("因处理不妥…升为二级").
        deescalation: Rules that lower the grade (grades only go up
            otherwise).
        closure: When the incident closes.
        clause: Where the plan says who grades (e.g. "由…确定").

    .. versionadded:: 0.4.0
    .. versionchanged:: 0.6.0 *asserted_grade*, *escalation*.
    """

    drive: str = attrs.field(default="computed", validator=_one_of(GRADE_DRIVERS))
    asserted_by: tuple[str, ...] = attrs.field(default=(), converter=_roles)
    asserted_grade: str = attrs.field(default="latest", validator=_one_of(ASSERTED_GRADES))
    regrade: str = attrs.field(default="from_upgrade", validator=_one_of(REGRADE_RULES))
    escalation: tuple[Escalation, ...] = attrs.field(default=(), converter=tuple)
    deescalation: tuple[Deescalation, ...] = attrs.field(default=(), converter=tuple)
    closure: Closure | None = None
    clause: Any = attrs.field(default=None, validator=_clause)

    def is_default(self) -> bool:
        """
        Whether nothing differs from the defaults.
        """
        return self == Grading()


def duty_words(duty: str) -> str:
    """
    The built-in word for *duty*, or ``""``.
    """
    return DUTY_WORDS.get(duty, "")


def describe_owner(name: str, duty: str) -> str:
    """
    ``name (牵头)`` or just ``name``.
    """
    return f"{name}({DUTY_WORDS[duty]})" if duty else name


def grading_events(grading: Grading) -> Iterator[tuple[str, str]]:
    """
    The incident event types the grading rules name, with the field naming
    each.
    """
    for j, step in enumerate(grading.escalation):
        yield step.event, f"grading.escalation[{j}].event"
    for j, rule in enumerate(grading.deescalation):
        if rule.event is not None:
            yield rule.event, f"grading.deescalation[{j}].event"
    if grading.closure is not None:
        yield grading.closure.event, "grading.closure.event"
