"""
Rendering comparisons between two values of the incident, in plain Chinese
and English: ``负面评论数超过总评论数×0.3``, ``negative > comments × 0.3``;
and what a measure's name alone does not say (``仅计…的网站``, ``单条帖文…``).
"""

from __future__ import annotations

from collections.abc import Callable

from opinion_rules.authoring._render_words import OPERATOR_WORDS
from opinion_rules.model._conditions import Arithmetic, CompareValues, FactRef, MeasureRef, Param
from opinion_rules.model._windows import Measure, Window


__all__ = ["measure_words", "value_words"]


def measure_words(m: Measure, *, en: bool) -> str:
    """
    What an unlabelled measure counts beyond its id: only sites above a
    number, or the largest value of one post ("单条帖文24小时内").
    """
    text = ""
    if m.site_above is not None:
        bar = f"{m.metric} > {m.site_above}"
        text += f" (sites with {bar})" if en else f"(仅计{bar}的网站)"
    if m.over == "posts":
        window = m.window.describe()
        text += f" (largest of one post, {window})" if en else f"(单条帖文{_window_zh(m.window)})"
    return text


def _window_zh(window: Window) -> str:
    if window.kind == "calendar_day":
        return "当日内"
    if window.kind == "sustained":
        return f"持续{window.days}天"
    if window.length is None:
        return "累计"
    seconds = int(window.length.total_seconds())
    for size, unit in ((86400, "天"), (3600, "小时"), (60, "分钟")):
        if seconds % size == 0:
            return f"{seconds // size}{unit}内"
    return f"{seconds}秒内"


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
