"""
Rendering comparisons between two values of the incident, in plain Chinese
and English: ``负面评论数超过总评论数×0.3``, ``negative > comments × 0.3``.
"""

from __future__ import annotations

from collections.abc import Callable

from opinion_rules.authoring._render_words import OPERATOR_WORDS
from opinion_rules.model._conditions import Arithmetic, CompareValues, FactRef, MeasureRef, Param


__all__ = ["value_words"]

_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷"}
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2}


def value_words(
    node: CompareValues,
    operand: Callable[[object], str],
    value: Callable[[object, object], str],
    *,
    en: bool,
) -> str:
    """
    *node* in words; *operand* names a measure or fact, *value* a parameter.
    """

    def term(t: object, outer: int = 0, right: bool = False) -> str:
        match t:
            case MeasureRef() | FactRef():
                return operand(t)
            case Param():
                return value(None, t)
            case Arithmetic(op, left, right_term):
                level = _PRECEDENCE[op]
                gap = " " if en else ""
                text = f"{term(left, level)}{gap}{_SYMBOLS[op]}{gap}{term(right_term, level, True)}"
                return f"({text})" if level < outer or (right and level == outer) else text
        return str(t)

    gap = " " if en else ""
    symbol = OPERATOR_WORDS["en" if en else "zh"][node.op]
    return gap.join((operand(node.left), symbol, term(node.right)))
