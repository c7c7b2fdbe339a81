"""
The simple field kinds: texts, numbers, booleans, clauses, conditions,
durations, periods, clocks and the end of the working day.

Each kind is one :class:`~._reader.FieldKind`: how it reads a located node,
how it writes a value back and its JSON Schema fragment.
"""

from __future__ import annotations

import math
import re
from datetime import time, timedelta
from typing import Any

from opinion_rules._limits import CONDITION_DEPTH, LONGEST_PERIOD, MOST_WORKING_DAYS
from opinion_rules._suggest import expected_names
from opinion_rules.model._clauses import Clause
from opinion_rules.model._conditions import AllOf, AnyOf, Condition, Not
from opinion_rules.planfile._expr import ExpressionError, parse_condition, to_text
from opinion_rules.planfile._located import Node
from opinion_rules.planfile._reader import FieldKind, Reader, got, join
from opinion_rules.time._offsets import CLOCKS, OFFSET_FORM, Offset, parse_offset


__all__ = [
    "BOOL",
    "CLAUSE",
    "CLOCK",
    "CONDITION",
    "DAY_END",
    "DURATION",
    "DURATION_FORM",
    "DURATION_PATTERN",
    "INT",
    "LABELS",
    "MIDNIGHT_END",
    "NUMBER",
    "OFFSET",
    "OFFSET_PATTERN",
    "OPTIONAL_TEXT",
    "PERIOD_BOUND",
    "PERIOD_TOO_LONG",
    "POSITIVE_INT",
    "TEXT",
    "TEXTS",
    "duration_text",
    "has_long_number",
    "read_clock_time",
    "read_duration",
    "read_int",
    "read_text",
    "read_texts",
    "same",
]

_DURATION = re.compile(
    r"\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*", re.IGNORECASE
)
DURATION_FORM = "a duration such as '3h', '30m', '1d' or '1h30m'"
DURATION_PATTERN = (
    "^\\s*(\\d+\\s*[dD])?\\s*(\\d+\\s*[hH])?\\s*(\\d+\\s*[mM])?\\s*(\\d+\\s*[sS])?\\s*$"
)
OFFSET_PATTERN = (
    "^\\s*(\\d+\\s*[wW][dD])?\\s*(\\d+\\s*[dD])?\\s*(\\d+\\s*[hH])?\\s*(\\d+\\s*[mM])?\\s*$"
)
_TIME = re.compile(r"\s*(\d{1,2}):(\d{2})\s*")
_TIME_PATTERN = "^\\s*\\d{1,2}:\\d{2}\\s*$"
#: Stands for 24:00 while reading; a plan's day_end of 24:00 is None.
MIDNIGHT_END = time(0, 0, 0, 1)
PERIOD_TOO_LONG = (
    f"the period is longer than the longest supported period ({LONGEST_PERIOD.days} days)"
)
PERIOD_BOUND = f"at most {LONGEST_PERIOD.days}d, or {MOST_WORKING_DAYS}wd"
# More significant digits than any bounded period or duration has.
_SIGNIFICANT = 15
_DIGITS = re.compile(r"\d+")


def same(value: Any) -> Any:
    """
    Written as it is held.
    """
    return value


def read_text(reader: Reader, node: Node, path: str) -> str | None:
    if isinstance(node.value, str) and node.value.strip():
        return node.value
    hint = "; quote it" if isinstance(node.value, int | float) else ""
    reader.problem(node, path, f"expected non-empty text{hint}", got=got(node))
    return None


def _read_optional_text(reader: Reader, node: Node, path: str) -> str | None:
    if isinstance(node.value, str):
        return node.value
    reader.problem(node, path, "expected text", got=got(node))
    return None


def read_int(reader: Reader, node: Node, path: str) -> int | None:
    if isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    reader.problem(node, path, "expected a whole number", got=got(node))
    return None


def _read_positive_int(reader: Reader, node: Node, path: str) -> int | None:
    value = read_int(reader, node, path)
    if value is not None and value < 1:
        reader.problem(node, path, "must be at least 1", got=got(node))
        return None
    return value


def _read_number(reader: Reader, node: Node, path: str) -> float | None:
    if isinstance(node.value, int | float) and not isinstance(node.value, bool):
        if math.isfinite(node.value):
            return node.value
        reader.problem(node, path, "expected a finite number (not infinity or NaN)", got=got(node))
        return None
    reader.problem(node, path, "expected a number", got=got(node))
    return None


def _read_bool(reader: Reader, node: Node, path: str) -> bool | None:
    if isinstance(node.value, bool):
        return node.value
    reader.problem(node, path, "expected true or false", got=got(node))
    return None


def read_texts(reader: Reader, node: Node, path: str) -> tuple[str, ...] | None:
    if not isinstance(node.value, list):
        reader.problem(node, path, "expected a list", got=got(node))
        return None
    out = [read_text(reader, item, f"{path}[{i}]") for i, item in enumerate(node.value)]
    return None if None in out else tuple(o for o in out if o is not None)


def _read_labels(reader: Reader, node: Node, path: str) -> tuple[tuple[str, str], ...] | None:
    """
    A mapping of ids to non-empty texts (``{suggestion: 意见、建议}``), as pairs.
    """
    if not isinstance(node.value, dict):
        reader.problem(node, path, "expected a mapping of choice to label", got=got(node))
        return None
    out = [(key, read_text(reader, item, join(path, key))) for key, item in node.value.items()]
    if any(label is None for _, label in out):
        return None
    return tuple((key, label) for key, label in out if label is not None)


def _read_clause(reader: Reader, node: Node, path: str) -> Clause | None:
    fields = reader.mapping(node, path, ("ref", "text"), ())
    if fields is None or "ref" not in fields or "text" not in fields:
        return None
    ref = read_text(reader, fields["ref"], f"{path}.ref")
    text = read_text(reader, fields["text"], f"{path}.text")
    return Clause(ref, text) if ref is not None and text is not None else None


def _read_condition(reader: Reader, node: Node, path: str, depth: int = 0) -> Condition | None:
    """
    An expression, or ``{all: [...]}``, ``{any: [...]}``, ``{not: ...}``
    around conditions; *depth* is how many of those enclose this one (all
    levels together at most ``CONDITION_DEPTH``).
    """
    if isinstance(node.value, str):
        try:
            return parse_condition(node.value, reader.measures, reader.facts, depth=depth)
        except ExpressionError as exc:
            place = None
            if node.text_column is not None:
                place = (node.line, node.text_column + exc.offset)
            reader.problem(
                node,
                path,
                f"{exc.message} (at character {exc.offset + 1} of the condition)",
                exc.expected,
                place=place,
            )
            return None
    if isinstance(node.value, dict) and len(node.value) == 1:
        ((word, inner),) = node.value.items()
        sub = join(path, word)
        if word in ("not", "all", "any") and depth >= CONDITION_DEPTH:
            reader.problem(
                node,
                path,
                f"the condition nests deeper than {CONDITION_DEPTH} levels",
                f"at most {CONDITION_DEPTH} levels of all, any, not, and, or and parentheses",
            )
            return None
        if word == "not":
            item = _read_condition(reader, inner, sub, depth + 1)
            return Not(item) if item is not None else None
        if word in ("all", "any"):
            items = [
                _read_condition(reader, n, f"{sub}[{i}]", depth + 1)
                for i, n in enumerate(reader.items(inner, sub))
            ]
            if not items:
                reader.problem(inner, sub, f"'{word}' needs at least one condition")
            if not items or None in items:
                return None
            parts = tuple(i for i in items if i is not None)
            return AllOf(parts) if word == "all" else AnyOf(parts)
    reader.problem(
        node,
        path,
        "expected a condition",
        "an expression such as 'clicks_1d > 1000', or a mapping with one key: all, any or not",
        got(node),
    )
    return None


def _small_int(digits: str) -> int | None:
    """
    *digits* as an int, or ``None`` if it has more than 15 significant
    digits (far past every bound, and never read into a huge int).
    """
    significant = digits.lstrip("0")
    return None if len(significant) > _SIGNIFICANT else int(significant or "0")


def has_long_number(text: str) -> bool:
    return any(_small_int(m.group()) is None for m in _DIGITS.finditer(text))


def read_duration(
    reader: Reader, node: Node, path: str, form: str = DURATION_FORM
) -> timedelta | None:
    """
    A duration, at most ``LONGEST_PERIOD`` (checked in integers, before a
    timedelta is built: timedelta overflows past 999,999,999 days); *form*
    says what was expected when the text is no duration at all.
    """
    match = _DURATION.fullmatch(node.value) if isinstance(node.value, str) else None
    if match is None or not any(match.groups()):
        reader.problem(node, path, "not a duration", form, got(node))
        return None
    numbers = [_small_int(g or "0") for g in match.groups()]
    seconds = sum(n * unit for n, unit in zip(numbers, (86_400, 3_600, 60, 1), strict=True) if n)
    if None in numbers or seconds > LONGEST_PERIOD.total_seconds():
        reader.problem(
            node,
            path,
            f"the duration is longer than the longest supported period "
            f"({LONGEST_PERIOD.days} days)",
            f"at most {LONGEST_PERIOD.days}d",
            got(node),
        )
        return None
    return timedelta(seconds=seconds)


def duration_text(value: timedelta) -> str:
    if value.microseconds:
        raise ValueError(f"durations in plan files are whole seconds (got {value})")
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(
        f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if n
    )
    return text or "0m"


def _read_offset(reader: Reader, node: Node, path: str) -> Offset | None:
    if isinstance(node.value, str):
        if has_long_number(node.value):
            reader.problem(node, path, PERIOD_TOO_LONG, PERIOD_BOUND, got(node))
            return None
        try:
            return parse_offset(node.value)
        except ValueError:
            pass
    reader.problem(node, path, "not a period", OFFSET_FORM, got(node))
    return None


def _read_clock(reader: Reader, node: Node, path: str) -> str | None:
    text = read_text(reader, node, path)
    if text is not None and text not in CLOCKS:
        reader.problem(node, path, f"unknown clock {text!r}", expected_names(text, CLOCKS))
        return None
    return text


def read_clock_time(reader: Reader, node: Node, path: str) -> time | None:
    """
    A time of day written ``HH:MM``; ``24:00`` is the end of the day
    (:data:`MIDNIGHT_END`).
    """
    match = _TIME.fullmatch(node.value) if isinstance(node.value, str) else None
    if match is not None:
        hour, minute = int(match[1]), int(match[2])
        if hour == 24 and minute == 0:
            return MIDNIGHT_END
        if hour < 24 and minute < 60:
            return time(hour, minute)
    hint = (
        "; quote it: YAML reads an unquoted 17:30 as a number"
        if isinstance(node.value, int)
        else ""
    )
    reader.problem(
        node, path, f"not a time of day{hint}", "'HH:MM', e.g. '17:30' or '24:00'", got(node)
    )
    return None


def _read_day_end(reader: Reader, node: Node, path: str) -> time | None:
    """
    ``None`` for 24:00 (the plan default) and for errors (recorded).
    """
    value = read_clock_time(reader, node, path)
    if value == time(0):
        reader.problem(node, path, "a day cannot end at 00:00", "'24:00' or a time such as '17:30'")
        return None
    return None if value == MIDNIGHT_END else value


_TEXT_SCHEMA = {"type": "string", "minLength": 1}

TEXT = FieldKind("text", read_text, same, _TEXT_SCHEMA)
OPTIONAL_TEXT = FieldKind("optional_text", _read_optional_text, same, {"type": "string"})
INT = FieldKind("int", read_int, same, {"type": "integer", "minimum": 0})
POSITIVE_INT = FieldKind(
    "positive_int", _read_positive_int, same, {"type": "integer", "minimum": 1}
)
NUMBER = FieldKind("number", _read_number, same, {"type": "number"})
BOOL = FieldKind("bool", _read_bool, same, {"type": "boolean"})
TEXTS = FieldKind("texts", read_texts, list, {"type": "array", "items": _TEXT_SCHEMA})
LABELS = FieldKind(
    "labels",
    _read_labels,
    dict,
    {"type": "object", "additionalProperties": _TEXT_SCHEMA},
)
CLAUSE = FieldKind(
    "clause",
    _read_clause,
    lambda clause: {"ref": clause.ref, "text": clause.text},
    {"$ref": "#/$defs/clause"},
    definition={
        "type": "object",
        "properties": {"ref": _TEXT_SCHEMA, "text": _TEXT_SCHEMA},
        "required": ["ref", "text"],
        "additionalProperties": False,
    },
)


def _combined(word: str) -> dict[str, Any]:
    items = {"type": "array", "items": {"$ref": "#/$defs/condition"}, "minItems": 1}
    return {
        "type": "object",
        "properties": {word: items},
        "required": [word],
        "additionalProperties": False,
    }


CONDITION = FieldKind(
    "condition",
    _read_condition,
    to_text,
    {"$ref": "#/$defs/condition"},
    definition={
        "description": "An expression such as 'clicks_1d > 1000', or all/any/not of conditions.",
        "anyOf": [
            _TEXT_SCHEMA,
            _combined("all"),
            _combined("any"),
            {
                "type": "object",
                "properties": {"not": {"$ref": "#/$defs/condition"}},
                "required": ["not"],
                "additionalProperties": False,
            },
        ],
    },
)
DURATION = FieldKind(
    "duration", read_duration, duration_text, {"type": "string", "pattern": DURATION_PATTERN}
)
OFFSET = FieldKind(
    "offset", _read_offset, Offset.text, {"type": "string", "pattern": OFFSET_PATTERN}
)
CLOCK = FieldKind("clock", _read_clock, same, {"enum": list(CLOCKS)})
DAY_END = FieldKind(
    "day_end",
    _read_day_end,
    lambda end: end.strftime("%H:%M"),
    {"type": "string", "pattern": _TIME_PATTERN},
)
