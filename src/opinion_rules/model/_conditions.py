"""
The condition vocabulary: small frozen trees that plans are written in.

A condition is one of the leaf nodes (:class:`Compare`, :class:`OneOf`,
:class:`CompareValues`, :class:`CategoryIs`, :class:`EventSeen`,
:class:`Always`) or a composite
(:class:`AllOf`, :class:`AnyOf`, :class:`Not`).  Conditions are data: the
engine compiles them; nothing here evaluates anything.

The comparison operator is always stored explicitly, because plan texts differ
on whether the bound itself counts:

========  =====================================  ==========
``op``    Chinese wording                         meaning
========  =====================================  ==========
``gt``    超过, 高于, 多于, 大于                      ``>``
``ge``    以上, 不低于, 不少于, 达到                   ``>=``
``lt``    低于, 少于, 不足, 小于                      ``<``
``le``    以下, 以内, 不超过, 不高于                   ``<=``
``eq``    为, 是, 等于                               ``==``
``ne``    不是, 不等于                               ``!=``
========  =====================================  ==========
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import attrs

from opinion_rules._validators import is_identifier
from opinion_rules.model._state_conditions import STATE_TYPES, StateCondition
from opinion_rules.model._terms import (
    NEGATED,
    OPERATORS,
    SYMBOLS,
    Arithmetic,
    CompareValues,
    Op,
    Term,
    _Arithmetic,
    _is_op,
    _Reference,
)


__all__ = [
    "NEGATED",
    "OPERATORS",
    "SYMBOLS",
    "AllOf",
    "Always",
    "AnyOf",
    "Arithmetic",
    "CategoryIs",
    "Compare",
    "CompareValues",
    "Condition",
    "EventSeen",
    "FactRef",
    "GradeRef",
    "MeasureRef",
    "Not",
    "OneOf",
    "Operand",
    "Param",
    "Term",
    "all_of",
    "any_of",
    "category",
    "event_seen",
    "fact",
    "grade",
    "measure",
    "not_",
    "param",
]

Scalar = int | float | str | bool


@attrs.frozen(repr=False)
class Param(_Arithmetic):
    """
    A plan parameter used in place of a constant: ``fact("temperature") > param("fever")``.

    Plans leave some numbers blank ("体温超过℃"); the plan declares a
    :class:`~opinion_rules.Parameter` for each, and the engine substitutes
    its value before compiling.

    .. versionadded:: 0.2.0
    """

    id: str = attrs.field(validator=is_identifier)

    def __repr__(self) -> str:
        return f"${self.id}"


def param(parameter_id: str) -> Param:
    """
    Refer to the plan parameter *parameter_id*.

    .. versionadded:: 0.2.0
    """
    return Param(parameter_id)


def _is_scalar(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, Param):
        return
    if not isinstance(value, int | float | str):
        raise TypeError(
            f"'{attribute.name}' must be a number, string or bool "
            f"(got {value!r}, a {type(value).__name__})"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"'{attribute.name}' must be finite (got {value!r})")


class _Comparable(_Arithmetic):
    """
    Operand mix-in: ``ref > 1000`` builds a :class:`Compare`; ``ref >
    measure("b") * 2`` (a measure, a fact or an arithmetic term on the
    right) builds a :class:`CompareValues`.

    Only ordering operators are overloaded; equality stays structural so that
    operands can be compared and hashed.  Use :meth:`eq` and :meth:`ne`.
    """

    def _compare(self, op: str, value: Scalar | Param | Term) -> Any:
        if isinstance(value, _Reference | Arithmetic):
            return CompareValues(self, op, value)  # type: ignore[arg-type]
        return Compare(self, op, value)  # type: ignore[arg-type]

    def __gt__(self, value: Scalar | Param | Term) -> Any:
        return self._compare("gt", value)

    def __ge__(self, value: Scalar | Param | Term) -> Any:
        return self._compare("ge", value)

    def __lt__(self, value: Scalar | Param | Term) -> Any:
        return self._compare("lt", value)

    def __le__(self, value: Scalar | Param | Term) -> Any:
        return self._compare("le", value)

    def eq(self, value: Scalar | Param | Term) -> Any:
        """
        Build ``self == value``.
        """
        return self._compare("eq", value)

    def ne(self, value: Scalar | Param | Term) -> Any:
        """
        Build ``self != value``.
        """
        return self._compare("ne", value)

    def one_of(self, *values: Scalar | Param) -> OneOf:
        """
        Build ``self in values``.
        """
        return OneOf(self, values)  # type: ignore[arg-type]


@attrs.frozen(order=False, repr=False)
class MeasureRef(_Comparable, _Reference):
    """
    The value of a plan measure (a metric in a window) at evaluation time.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=is_identifier)

    def __repr__(self) -> str:
        return self.id


@attrs.frozen(order=False, repr=False)
class FactRef(_Comparable, _Reference):
    """
    The value of a declared incident fact.

    .. versionadded:: 0.1.0
    """

    id: str = attrs.field(validator=is_identifier)

    def __repr__(self) -> str:
        return f"fact.{self.id}"


@attrs.frozen(order=False, repr=False)
class GradeRef(_Comparable):
    """
    The incident's current grade; compared by rank, written by grade id.

    ``grade() >= "major"`` holds for ``major`` and every grade ranked above it.
    Only usable in action conditions.

    .. versionadded:: 0.1.0
    """

    computable = False  # a rank is no quantity: no arithmetic on it

    def __repr__(self) -> str:
        return "grade"


Operand = MeasureRef | FactRef | GradeRef


@attrs.frozen(repr=False)
class Compare:
    """
    ``operand op value``, e.g. clicks in one day ``gt`` 1000.

    .. versionadded:: 0.1.0
    """

    operand: Operand
    op: Op = attrs.field(validator=_is_op)
    value: Scalar | Param = attrs.field(validator=_is_scalar)

    def __repr__(self) -> str:
        return f"<{self.operand!r} {SYMBOLS[self.op]} {self.value!r}>"


def _tuple_of_scalars(values: Iterable[Scalar | Param]) -> tuple[Scalar | Param, ...]:
    return tuple(values)


def _non_empty(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise ValueError(f"'{attribute.name}' must not be empty")


@attrs.frozen(repr=False)
class OneOf:
    """
    ``operand`` equals one of ``values``.

    .. versionadded:: 0.1.0
    """

    operand: Operand
    values: tuple[Scalar | Param, ...] = attrs.field(
        converter=_tuple_of_scalars,
        validator=[
            _non_empty,
            attrs.validators.deep_iterable(_is_scalar),
        ],
    )

    def __repr__(self) -> str:
        return f"<{self.operand!r} in {list(self.values)!r}>"


@attrs.frozen(repr=False)
class CategoryIs:
    """
    The incident has been put in handling category *category*.

    Only usable in action conditions.

    .. versionadded:: 0.1.0
    """

    category: str = attrs.field(validator=is_identifier)

    def __repr__(self) -> str:
        return f"<category {self.category}>"


@attrs.frozen(repr=False)
class EventSeen:
    """
    An event of type *event* has been recorded for the incident.

    .. versionadded:: 0.1.0
    """

    event: str = attrs.field(validator=is_identifier)

    def __repr__(self) -> str:
        return f"<event {self.event} seen>"


@attrs.frozen(repr=False)
class Always:
    """
    The condition that always holds (an unconditional action).

    .. versionadded:: 0.1.0
    """

    def __repr__(self) -> str:
        return "<always>"


def _tuple_of_conditions(items: Iterable[Condition]) -> tuple[Condition, ...]:
    return tuple(items)


def _is_condition(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, CONDITION_TYPES):
        raise TypeError(
            f"'{attribute.name}' must hold conditions (got {value!r}, a {type(value).__name__})"
        )


def is_condition(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """
    Validate a field that holds one condition.
    """
    if not isinstance(value, CONDITION_TYPES):
        raise TypeError(
            f"'{attribute.name}' must be a condition (got {value!r}, a {type(value).__name__})"
        )


@attrs.frozen(repr=False)
class AllOf:
    """
    Every item holds (and).

    .. versionadded:: 0.1.0
    """

    items: tuple[Condition, ...] = attrs.field(
        converter=_tuple_of_conditions,
        validator=[_non_empty, attrs.validators.deep_iterable(_is_condition)],
    )

    def __repr__(self) -> str:
        return "<all of " + ", ".join(map(repr, self.items)) + ">"


@attrs.frozen(repr=False)
class AnyOf:
    """
    At least one item holds (or).

    .. versionadded:: 0.1.0
    """

    items: tuple[Condition, ...] = attrs.field(
        converter=_tuple_of_conditions,
        validator=[_non_empty, attrs.validators.deep_iterable(_is_condition)],
    )

    def __repr__(self) -> str:
        return "<any of " + ", ".join(map(repr, self.items)) + ">"


@attrs.frozen(repr=False)
class Not:
    """
    The item does not hold.

    With an unknown input the result stays unknown (three-valued logic).

    .. versionadded:: 0.1.0
    """

    item: Condition = attrs.field(validator=_is_condition)

    def __repr__(self) -> str:
        return f"<not {self.item!r}>"


_Leaf = Compare | OneOf | CompareValues | CategoryIs | EventSeen | Always
#: A condition tree; :data:`StateCondition` leaves test actions and anchors (done(x) …).
Condition = _Leaf | AllOf | AnyOf | Not | StateCondition
CONDITION_TYPES = (
    *(Compare, OneOf, CompareValues, CategoryIs, EventSeen, Always, AllOf, AnyOf, Not),
    *STATE_TYPES,
)


def measure(measure_id: str) -> MeasureRef:
    """
    Refer to a plan measure: ``measure("clicks_1d") > 1000``.

    .. versionadded:: 0.1.0
    """
    return MeasureRef(measure_id)


def fact(fact_id: str) -> FactRef:
    """
    Refer to a declared incident fact: ``fact("accident_grade") >= "major"``.

    .. versionadded:: 0.1.0
    """
    return FactRef(fact_id)


def grade() -> GradeRef:
    """
    Refer to the incident's grade: ``grade() >= "major"`` (重大以上).

    .. versionadded:: 0.1.0
    """
    return GradeRef()


def category(category_id: str) -> CategoryIs:
    """
    Hold when the incident is in handling category *category_id*.

    .. versionadded:: 0.1.0
    """
    return CategoryIs(category_id)


def event_seen(event_type: str) -> EventSeen:
    """
    Hold once an event of *event_type* has been recorded.

    .. versionadded:: 0.1.0
    """
    return EventSeen(event_type)


def all_of(*items: Condition) -> AllOf:
    """
    Hold when every item holds.

    .. versionadded:: 0.1.0
    """
    return AllOf(items)


def any_of(*items: Condition) -> AnyOf:
    """
    Hold when at least one item holds.

    .. versionadded:: 0.1.0
    """
    return AnyOf(items)


def not_(item: Condition) -> Not:
    """
    Hold when *item* does not.

    .. versionadded:: 0.1.0
    """
    return Not(item)


def walk(condition: Condition) -> Iterable[Condition]:
    """
    Yield *condition* and every node below it, depth first.

    Iterative, so that a tree of any depth (built with the Python API, before
    the plan refuses it) cannot exhaust the stack.
    """
    stack: list[Condition] = [condition]
    while stack:
        node = stack.pop()
        yield node
        match node:
            case AllOf(items) | AnyOf(items):
                stack.extend(reversed(items))
            case Not(item):
                stack.append(item)
            case _:
                pass


def depth(condition: Condition) -> int:
    """
    How many ``all``/``any``/``not`` levels *condition* nests: 0 for a
    comparison, 1 for ``not x``, 2 for ``a and not b`` …  Iterative.
    """
    deepest = 0
    stack: list[tuple[object, int]] = [(condition, 0)]
    while stack:
        node, level = stack.pop()
        match node:
            case AllOf(items) | AnyOf(items):
                stack.extend((item, level + 1) for item in items)
            case Not(item):
                stack.append((item, level + 1))
            case _:
                deepest = max(deepest, level)
    return deepest
