"""
Computed comparisons: the slots that hold whether two values of the
incident compare as the plan says (``negative > 0.3 * comments``), or
whether a fact that may be not applicable compares with a constant.

The shared loop computes them into every snapshot (see
:meth:`~opinion_rules.engine._timeline.Timeline.snapshot`), so backends only
ever match a flag and agree by construction.  The value of a computed slot:

* ``False`` when a fact it reads is not applicable (known: a ranking that is
  "未上榜" never satisfies a comparison), whatever else is unknown;
* missing (unknown) while a value it reads is unknown, or when a divisor is 0;
* otherwise the comparison, in exact arithmetic over the numbers as written
  (``0.3 * 100`` is 30, not 30.000000000000004).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from typing import Protocol

from opinion_rules.engine._ir import (
    And,
    ArithTerm,
    CallTerm,
    Computed,
    ConstTerm,
    Neg,
    Node,
    Or,
    Program,
    SlotTerm,
    ValueTerm,
)
from opinion_rules.model._not_applicable import NotApplicable
from opinion_rules.model._terms import ARITHMETIC, OPERATORS, SYMBOLS


__all__ = [
    "Words",
    "computed_explain",
    "computed_leaves",
    "computed_text",
    "computed_value",
    "computed_values",
    "term_slots",
    "unknown_operands",
]

Tri = bool | None
#: Plug-in functions by name, already wrapped so that a failure names the
#: plug-in (see :mod:`opinion_rules.engine._plugin_values`).
Functions = Mapping[str, Callable[..., int | float | None]]


class _Unknown(Exception):  # noqa: N818 - a signal inside this module
    """A function call whose value is unknown."""


class Words(Protocol):
    """
    Words for slots and values (:class:`~opinion_rules.engine._explain.Labels`).
    """

    def name(self, slot: str) -> str: ...

    def value(self, slot: str, value: object) -> str: ...


def computed_leaves(program: Program) -> dict[str, Computed]:
    """
    Every computed leaf of *program*, by slot.
    """
    out: dict[str, Computed] = {}
    for rule in program.rules:
        stack: list[Node] = [rule.condition]
        while stack:
            node = stack.pop()
            match node:
                case Computed():
                    out.setdefault(node.slot, node)
                case And(items) | Or(items):
                    stack.extend(items)
                case Neg(item):
                    stack.append(item)
                case _:
                    pass
    return out


def term_slots(term: ValueTerm) -> Iterator[str]:
    """
    The slots a value term reads.
    """
    stack = [term]
    while stack:
        node = stack.pop()
        match node:
            case SlotTerm(slot):
                yield slot
            case ArithTerm(_op, left, right):
                stack.extend((right, left))
            case CallTerm(_function, args):
                stack.extend(reversed(args))
            case _:
                pass


def _exact(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return Fraction(value) if isinstance(value, int) else Fraction(repr(value))


def _plain(value: object) -> object:
    # What a plug-in function is called with: ints stay ints, the rest floats.
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return value


def _term(term: ValueTerm, values: Mapping[str, object], functions: Functions) -> object:
    match term:
        case SlotTerm(slot):
            return _exact(values[slot])
        case ConstTerm(value):
            return _exact(value)
        case CallTerm(function, args):
            result = functions[function](*(_plain(_term(a, values, functions)) for a in args))
            if result is None:
                raise _Unknown
            return _exact(result)
        case ArithTerm(op, left, right):
            a, b = _term(left, values, functions), _term(right, values, functions)
            match op:
                case "add":
                    return a + b  # type: ignore[operator]
                case "sub":
                    return a - b  # type: ignore[operator]
                case "mul":
                    return a * b  # type: ignore[operator]
                case _:
                    return a / b  # type: ignore[operator]
    raise TypeError(f"not a term: {term!r}")  # pragma: no cover


def computed_value(
    leaf: Computed, snapshot: Mapping[str, object], functions: Functions | None = None
) -> Tri:
    """
    Whether *leaf*'s comparison holds on *snapshot*; ``None`` if unknown
    (also when a plug-in function gives no value).
    """
    values = {s: snapshot.get(s) for t in (leaf.left, leaf.right) for s in term_slots(t)}
    if any(isinstance(v, NotApplicable) for v in values.values()):
        return False
    if any(v is None for v in values.values()):
        return None
    try:
        left = _term(leaf.left, values, functions or {})
        right = _term(leaf.right, values, functions or {})
    except (ZeroDivisionError, _Unknown):
        return None
    return bool(OPERATORS[leaf.relation](left, right))


def computed_values(
    leaves: Mapping[str, Computed],
    snapshot: Mapping[str, object],
    functions: Functions | None = None,
) -> dict[str, Tri]:
    """
    The value of every computed slot of *leaves* on *snapshot*.
    """
    return {slot: computed_value(leaf, snapshot, functions) for slot, leaf in leaves.items()}


def unknown_operands(leaf: Computed, snapshot: Mapping[str, object]) -> set[str]:
    """
    The slots whose unknown values keep *leaf* unknown on *snapshot*: none
    when it is known, or when only a divisor of 0 (or a plug-in function
    without a value) keeps it unknown.
    """
    if snapshot.get(leaf.slot) is not None:
        return set()
    return {s for t in (leaf.left, leaf.right) for s in term_slots(t) if snapshot.get(s) is None}


# -- words ------------------------------------------------------------------------


def _term_text(term: ValueTerm, words: Words, slot: str, top: bool = True) -> str:
    match term:
        case SlotTerm(name):
            return words.name(name)
        case ConstTerm(value):
            return words.value(slot, value)
        case ArithTerm(op, left, right):
            text = (
                f"{_term_text(left, words, slot, top=False)} {ARITHMETIC[op]} "
                f"{_term_text(right, words, slot, top=False)}"
            )
            return text if top else f"({text})"
        case CallTerm(function, args):
            return f"{function}({', '.join(_term_text(a, words, slot) for a in args)})"
    raise TypeError(f"not a term: {term!r}")  # pragma: no cover


def _subject(leaf: Computed) -> str:
    # The slot whose words constants are shown in (an ordered enum's values).
    return leaf.left.slot if isinstance(leaf.left, SlotTerm) else ""


def computed_text(leaf: Computed, words: Words) -> str:
    """
    The comparison of *leaf* in words, without the values seen.
    """
    subject = _subject(leaf)
    left = _term_text(leaf.left, words, subject)
    return f"{left} {SYMBOLS[leaf.relation]} {_term_text(leaf.right, words, subject)}"


def _shown(words: Words, slot: str, value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, NotApplicable):
        return str(value)
    return words.value(slot, value)


def _number(value: object) -> str:
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        return repr(float(value))
    return str(value)


def computed_explain(
    leaf: Computed,
    snapshot: Mapping[str, object],
    words: Words,
    functions: Functions | None = None,
) -> str:
    """
    The comparison of *leaf* with the values seen on *snapshot*, e.g.
    ``negative = 40 > 0.3 * comments (100) = 30`` or ``ranking = not
    applicable``.
    """
    subject = _subject(leaf)
    slots = [s for t in (leaf.left, leaf.right) for s in term_slots(t)]
    missing = [s for s in slots if isinstance(snapshot.get(s), NotApplicable)]
    missing += [s for s in slots if snapshot.get(s) is None]
    if missing:
        return ", ".join(f"{words.name(s)} = {_shown(words, s, snapshot.get(s))}" for s in missing)
    sides = []
    for term in (leaf.left, leaf.right):
        match term:
            case SlotTerm(slot):
                sides.append(f"{words.name(slot)} = {_shown(words, slot, snapshot.get(slot))}")
            case ConstTerm(value):
                sides.append(words.value(subject, value))
            case _:
                inputs = ", ".join(
                    f"{words.name(s)} = {_shown(words, s, snapshot.get(s))}"
                    for s in term_slots(term)
                )
                try:
                    values = {s: snapshot.get(s) for s in term_slots(term)}
                    total = _number(_term(term, values, functions or {}))
                except ZeroDivisionError:
                    total = "undefined (division by 0)"
                except (_Unknown, KeyError):
                    total = "unknown"
                sides.append(f"{_term_text(term, words, subject)} = {total} ({inputs})")
    return f"{sides[0]} {SYMBOLS[leaf.relation]} {sides[1]}"
