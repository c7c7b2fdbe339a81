"""
Lint of comparisons between two values of the incident
(:class:`~opinion_rules.conditions.CompareValues`) and of facts that may be
not applicable: the values lint's samples give them, and two checks.

* ``unit-mismatch``: the two sides (or two terms added) count different
  things, as far as the plan can tell: a number of sites (``distinct_sites``)
  against a count of posts or clicks, or a count against a ratio (a count
  divided by a count, or a parameter whose unit is ``%``).
* ``comparison-never-holds``: no values make the comparison hold (``a > a``,
  ``clicks < 0 * reposts``), or it divides by zero.
* ``duty-never-ends``: a duty that lasts until a run of readings below a
  number that is 0 or less, on a measure that is never negative (anything
  but a ``rate``: counts, sums and site counts are at least 0).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from opinion_rules.model._conditions import (
    OPERATORS,
    Arithmetic,
    CompareValues,
    Condition,
    FactRef,
    MeasureRef,
    Param,
    walk,
)
from opinion_rules.model._content import plan_conditions
from opinion_rules.model._not_applicable import NotApplicable
from opinion_rules.model._plan import Plan
from opinion_rules.model._terms import Call, calls
from opinion_rules.planfile._expr import to_text


__all__ = ["SPREAD", "value_findings", "value_holds", "value_refs"]

#: Values lint tries for a measure or fact a comparison of two values
#: reads, besides the plan's own thresholds: enough orders of magnitude that
#: a comparison that can hold is seen to.
SPREAD = (0, 0.5, 1, 2, 3, 10, 100, 1000, 10**4, 10**6, 10**9)
_NEGATIVE = (-(10**6), -10, -1)
_SAMPLES = 20_000
_PERCENT = frozenset({"%", "％", "percent", "百分比", "百分点"})
Raw = tuple[str, str, str, str]


def _exact(value: object) -> Fraction:
    return Fraction(value) if isinstance(value, int) else Fraction(repr(value))


#: The enabled plug-ins' functions while a lint runs, so samples can compute
#: calls (none: a call is unknown on every sample).
SAMPLE_FUNCTIONS: ContextVar[Mapping[str, Callable[..., Any]]] = ContextVar(
    "SAMPLE_FUNCTIONS", default=MappingProxyType({})
)


def _term(term: object, state: Mapping[str, Any]) -> Any:
    """
    The exact value of *term*; ``None`` if unknown, the not-applicable
    marker if a fact it reads is not applicable.
    """
    match term:
        case MeasureRef(name) | FactRef(name):
            value = state.get(name)
            if value is None or isinstance(value, NotApplicable):
                return value
            return _exact(value)
        case Arithmetic(op, left, right):
            a, b = _term(left, state), _term(right, state)
            for side in (a, b):
                if side is None or isinstance(side, NotApplicable):
                    return side
            if op == "div" and b == 0:
                return None
            return {"add": a + b, "sub": a - b, "mul": a * b}[op] if op != "div" else a / b
        case int() | float():
            return _exact(term)
        case Call(function, args):
            func = SAMPLE_FUNCTIONS.get().get(function)
            values = [_term(a, state) for a in args]
            if func is None or any(v is None or isinstance(v, NotApplicable) for v in values):
                return next((v for v in values if isinstance(v, NotApplicable)), None)
            plain = [v.numerator if v.denominator == 1 else float(v) for v in values]
            result = func(*plain)
            return None if result is None else _exact(result)
    return None


def value_holds(node: CompareValues, state: Mapping[str, Any]) -> bool:
    """
    Whether *node* holds on a lint sample (unknown and not applicable: no).
    """
    left, right = _term(node.left, state), _term(node.right, state)
    if any(v is None or isinstance(v, NotApplicable) for v in (left, right)):
        return False
    return bool(OPERATORS[node.op](left, right))


def value_refs(condition: Condition) -> set[str]:
    """
    The measures and facts the comparisons of two values in *condition* read.
    """
    return {
        ref.id for node in walk(condition) if isinstance(node, CompareValues) for ref in node.refs()
    }


def value_findings(plan: Plan, units: Mapping[str, str]) -> Iterator[Raw]:
    """
    The findings on *plan*'s comparisons of two values; *units* are the
    parameters' units (the plan given is bound: its parameters are numbers).
    """
    for path, condition in plan_conditions(plan):
        for node in walk(condition):
            # A plug-in function's value cannot be sampled or given a unit here.
            if isinstance(node, CompareValues) and not calls(node.left) + calls(node.right):
                yield from _units(plan, node, path, units)
                yield from _never(plan, node, path)
    yield from _never_ends(plan)


def _never_ends(plan: Plan) -> Iterator[Raw]:
    for i, action in enumerate(plan.actions):
        end = action.deadline.until_readings
        if end is None or end.below > 0:
            continue
        measure = next((m for m in plan.measures if m.id == end.measure), None)
        if measure is not None and measure.window.kind != "rate":
            message = (
                f"action {action.id!r} lasts until {end.measure} < {end.below}, but "
                f"{end.measure} is never negative: the duty never ends"
            )
            where = f"actions[{i}].deadline.until_readings"
            yield ("warning", "duty-never-ends", where, message)


def _kind(plan: Plan, term: object, units: Mapping[str, str], clashes: list[str]) -> str | None:
    """
    What *term* counts: ``sites``, ``count``, ``ratio``, ``number`` (a bare
    number) or ``None`` (the plan cannot tell).
    """
    match term:
        case MeasureRef(name):
            measure = next((m for m in plan.measures if m.id == name), None)
            if measure is None:
                return None
            return "sites" if measure.aggregate == "distinct_sites" else "count"
        case Param(pid):
            return "ratio" if units.get(pid, "").strip() in _PERCENT else None
        case Arithmetic(op, left, right):
            a = _kind(plan, left, units, clashes)
            b = _kind(plan, right, units, clashes)
            if op in ("add", "sub"):
                if a not in (None, "number") and b not in (None, "number") and a != b:
                    clashes.append(f"adds or subtracts a {_WORDS[a]} and a {_WORDS[b]}")
                return a if a not in (None, "number") else b
            if "number" in (a, b):
                return b if a == "number" else a
            if op == "div" and a is not None and a == b:
                return "ratio"
            if op == "mul" and "ratio" in (a, b):
                return b if a == "ratio" else a
            return None
        case int() | float():
            return "number"
    return None


_WORDS = {"sites": "number of sites", "count": "count", "ratio": "ratio", "number": "number"}


def _units(plan: Plan, node: CompareValues, path: str, units: Mapping[str, str]) -> Iterator[Raw]:
    clashes: list[str] = []
    left = _kind(plan, node.left, units, clashes)
    right = _kind(plan, node.right, units, clashes)
    if left not in (None, "number") and right not in (None, "number") and left != right:
        clashes.append(f"compares a {_WORDS[left]} with a {_WORDS[right]}")
    for clash in clashes:
        yield (
            "warning",
            "unit-mismatch",
            path,
            f"'{to_text(node)}' {clash}; check that both sides count the same thing",
        )


def _axis(plan: Plan, name: str) -> list[Any]:
    if any(m.id == name for m in plan.measures):
        return list(SPREAD)
    return [*_NEGATIVE, *SPREAD]


def _never(plan: Plan, node: CompareValues, path: str) -> Iterator[Raw]:
    names = sorted({ref.id for ref in node.refs()})
    axes = [_axis(plan, n) for n in names]
    total = 1
    for axis in axes:
        total *= len(axis)
    if total <= _SAMPLES:
        points: Any = itertools.product(*axes)
    else:
        rng = random.Random(0)  # noqa: S311 - sampling, not security
        points = (tuple(rng.choice(a) for a in axes) for _ in range(_SAMPLES))
    divided = False
    for point in points:
        state = dict(zip(names, point, strict=True))
        if value_holds(node, state):
            return
        divided = divided or _term(node.right, state) is None
    why = (
        "it divides by zero wherever it is computed, so it stays unknown (a parameter "
        "without a value counts as 0 here)"
        if divided
        else "no values of the measures and facts it reads make it hold"
    )
    yield ("warning", "comparison-never-holds", path, f"'{to_text(node)}' can never hold: {why}")
