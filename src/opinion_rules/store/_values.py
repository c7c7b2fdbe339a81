"""
The values the case store keeps, checked before they are written: instants,
ids and names, JSON data; and their stored forms (microseconds since the
epoch, canonical JSON text).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from opinion_rules._limits import (
    INCIDENT_JSON_DEPTH,
    NUMBER_CHARACTERS,
    has_lone_surrogate,
    instant_problem,
    printable,
)
from opinion_rules._problems import describe_value
from opinion_rules.exceptions import FactError, Problem, RecordFormatError


__all__ = [
    "canonical",
    "checked_instant",
    "checked_text",
    "json_problem",
    "text_problem",
    "to_us",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INSTANT = "a timezone-aware datetime, e.g. 2026-11-23T09:00:00+08:00"
_SURROGATE = "holds a lone surrogate (e.g. from the JSON escape \\ud800), which is not Unicode text"
_TEXT = "text that can be stored and printed"
_JSON_DATA = "strings, numbers, booleans, null, objects with string keys, arrays"
_LONGEST_NUMBER = 10**NUMBER_CHARACTERS
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def to_us(at: datetime) -> int:
    """
    *at* as whole microseconds since 1970-01-01 UTC: exact, and ordered the
    same way in every backend.
    """
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def canonical(value: object) -> str:
    """
    The canonical JSON text of *value*: sorted keys, no spaces, no NaN.

    Two entries have the same content exactly when their canonical texts are
    equal.
    """
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def checked_instant(subject: str, name: str, value: object) -> datetime:
    """
    *value*, an instant the store can keep: an aware datetime in range.
    """
    if not isinstance(value, datetime):
        raise FactError(
            subject, [Problem(name, "is not a datetime", _INSTANT, describe_value(value))]
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise FactError(subject, [Problem(name, "is naive", _INSTANT, value.isoformat())])
    problem = instant_problem(value)
    if problem is not None:
        raise FactError(subject, [Problem(name, problem, got=value.isoformat())])
    return value


def text_problem(value: object) -> str | None:
    """
    Why *value* cannot be an id or a name in the store, or ``None``: NUL is
    refused by PostgreSQL, and a newline or another control character in an
    id or a name would break the command line's one-line output.
    """
    if not isinstance(value, str) or not value.strip():
        return "is not a non-empty string"
    if has_lone_surrogate(value):
        return _SURROGATE
    control = _CONTROL.search(value)
    if control is not None:
        return f"holds a control character ({control[0]!r})"
    return None


def checked_text(subject: str, name: str, value: object) -> str:
    """
    *value*, an id or a name the store can keep: non-empty Unicode text
    without control characters.
    """
    problem = text_problem(value)
    if problem is not None:
        raise RecordFormatError(subject, [Problem(name, problem, _TEXT, describe_value(value))])
    assert isinstance(value, str)  # noqa: S101 - checked above
    return value


def json_problem(value: object, path: str, depth: int = 0) -> Problem | None:
    """
    The first reason *value* is not JSON data the store can keep, at its
    path: nesting deeper than :data:`INCIDENT_JSON_DEPTH`, a key that is
    not a string, a lone surrogate in any key or string, a number that is
    not finite, or a value of another type.  The recursion stops at the
    depth bound, so it never meets Python's recursion limit.
    """
    if isinstance(value, str):
        return None if not has_lone_surrogate(value) else Problem(path, _SURROGATE, _TEXT)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if abs(value) < _LONGEST_NUMBER:
            return None
        return Problem(path, f"is a number of more than {NUMBER_CHARACTERS} digits", _JSON_DATA)
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return Problem(path, "is not a finite number", "a JSON number", repr(value))
    if not isinstance(value, Mapping | list | tuple):
        return Problem(path, "is not JSON data", _JSON_DATA, describe_value(value))
    if depth >= INCIDENT_JSON_DEPTH:
        return Problem(path, f"nests deeper than {INCIDENT_JSON_DEPTH} levels", _JSON_DATA)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return Problem(
                    path, "has a key that is not a string", _JSON_DATA, describe_value(key)
                )
            inner = f"{path}.{printable(key)}"
            if has_lone_surrogate(key):
                return Problem(inner, f"(the key) {_SURROGATE}", _TEXT)
            problem = json_problem(item, inner, depth + 1)
            if problem is not None:
                return problem
        return None
    for index, item in enumerate(value):
        problem = json_problem(item, f"{path}[{index}]", depth + 1)
        if problem is not None:
            return problem
    return None
