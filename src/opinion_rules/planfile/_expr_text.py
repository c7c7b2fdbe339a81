"""
Writing conditions in the plan-file language: :func:`to_text` gives the
text that :func:`~opinion_rules.planfile._expr.parse_condition` reads back
as an equal tree.
"""

from __future__ import annotations

import json
import re

from opinion_rules.model._conditions import (
    AllOf,
    Always,
    AnyOf,
    Arithmetic,
    CategoryIs,
    Compare,
    CompareValues,
    Condition,
    EventSeen,
    FactRef,
    GradeRef,
    MeasureRef,
    Not,
    OneOf,
    Param,
)
from opinion_rules.model._state_conditions import ActionState, Before, Within
from opinion_rules.model._terms import Call


__all__ = ["KEYWORDS", "OPS", "to_text", "value_text"]

OPS = {">": "gt", ">=": "ge", "<": "lt", "<=": "le", "==": "eq", "!=": "ne"}
_SYMBOLS = {v: k for k, v in OPS.items()}
#: Reserved words: never a name of a measure, a fact or a value.
KEYWORDS = frozenset(
    {"and", "or", "not", "in", "true", "false", "always", "seen", "category", "all", "any", "grade"}
)


def to_text(condition: Condition) -> str:
    """
    Write *condition* in the file language; :func:`parse_condition` reads
    it back as an equal tree.
    """
    match condition:
        case Always():
            return "always"
        case EventSeen(event):
            return f"seen({event})"
        case CategoryIs(cat):
            return f"category({cat})"
        case ActionState() | Before() | Within():
            return condition.key()
        case Compare(operand, op, value):
            return f"{_operand(operand)} {_SYMBOLS[op]} {value_text(value)}"
        case CompareValues(left, op, right):
            return f"{_term(left)} {_SYMBOLS[op]} {_term(right)}"
        case OneOf(operand, values):
            return f"{_operand(operand)} in [{', '.join(value_text(v) for v in values)}]"
        case Not(item):
            inner = to_text(item)
            return f"not ({inner})" if isinstance(item, AllOf | AnyOf) else f"not {inner}"
        case AllOf(items) | AnyOf(items):
            word = "and" if isinstance(condition, AllOf) else "or"
            if len(items) == 1:
                return f"{'all' if word == 'and' else 'any'}({to_text(items[0])})"
            return f" {word} ".join(
                f"({to_text(i)})" if isinstance(i, AllOf | AnyOf) else to_text(i) for i in items
            )
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


def _operand(operand: object) -> str:
    match operand:
        case GradeRef():
            return "grade"
        case MeasureRef(name) | FactRef(name):
            return name
    raise TypeError(f"not an operand: {operand!r}")  # pragma: no cover


_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2}
_ARITHMETIC = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _term(term: object, outer: int = 0, *, right: bool = False) -> str:
    """
    *term* with the parentheses its tree needs: a right operand of the same
    precedence is parenthesised, so ``a - (b - c)`` and ``a + (b + c)`` read
    back as the trees they are.
    """
    if isinstance(term, Call):
        return f"{term.function}({', '.join(_term(a) for a in term.args)})"
    if not isinstance(term, Arithmetic):
        return _operand(term) if isinstance(term, MeasureRef | FactRef) else value_text(term)
    level = _PRECEDENCE[term.op]
    text = (
        f"{_term(term.left, level)} {_ARITHMETIC[term.op]} {_term(term.right, level, right=True)}"
    )
    return f"({text})" if level < outer or (right and level == outer) else text


def value_text(value: object) -> str:
    """
    A constant as the language writes it.
    """
    if isinstance(value, Param):
        return f"${value.id}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if re.fullmatch(r"[^\W\d]\w*", text) and text not in KEYWORDS:
        return text
    return json.dumps(text, ensure_ascii=False)
