"""
Collecting the problems of a JSON interchange document while parsing it,
so that every wrong field is reported at once with its path.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from opinion_rules._instants import parse_iso
from opinion_rules._limits import LARGEST_NUMBER, has_lone_surrogate, instant_problem, printable
from opinion_rules._problems import describe_value
from opinion_rules.exceptions import Problem


__all__ = ["TOO_LARGE", "Collector", "is_identifier_text"]

TOO_LARGE = "is larger than the largest supported number (10**100)"


class Collector:
    """
    Gathers problems while parsing, so all are reported at once.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self, path: str, message: str, expected: str | None = None, got: str | None = None
    ) -> None:
        self.problems.append(Problem(path, message, expected, got))

    def time(
        self, obj: Mapping[str, Any], key: str, path: str, *, required: bool
    ) -> datetime | None:
        if key not in obj or obj[key] is None:
            if required:
                self.add(f"{path}{key}", "is missing", "an ISO 8601 datetime with a UTC offset")
            return None
        value = obj[key]
        expected = "an ISO 8601 datetime with a UTC offset, e.g. '2026-11-23T09:00:00+08:00'"
        if not isinstance(value, str):
            self.add(f"{path}{key}", "is not a datetime string", expected, describe_value(value))
            return None
        try:
            parsed = parse_iso(value)
        except (ValueError, OverflowError):
            self.add(f"{path}{key}", "is not an ISO 8601 datetime", expected, repr(value))
            return None
        try:
            naive = parsed.tzinfo is None or parsed.utcoffset() is None
        except (ValueError, OverflowError):  # an offset of a day or more
            self.add(f"{path}{key}", "has an impossible UTC offset", expected, repr(value))
            return None
        if naive:
            self.add(f"{path}{key}", "has no UTC offset (naive datetime)", expected, repr(value))
            return None
        problem = instant_problem(parsed)
        if problem is not None:
            self.add(f"{path}{key}", problem, got=repr(value))
            return None
        return parsed

    def day_or_time(self, obj: Mapping[str, Any], key: str, path: str) -> date | datetime | None:
        """
        A date (``'2026-03-10'``: that whole day) or an instant with a UTC
        offset; ``None`` when absent or wrong (recorded).
        """
        value = obj.get(key)
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                self.add(
                    f"{path}{key}", "is not a date", "'YYYY-MM-DD', e.g. '2026-03-10'", repr(value)
                )
                return None
            problem = instant_problem(datetime.combine(day, time(12), tzinfo=UTC))
            if problem is not None:
                self.add(f"{path}{key}", problem, got=repr(value))
                return None
            return day
        return self.time(obj, key, path, required=False)

    def text(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool,
        identifier: bool = False,
    ) -> str | None:
        if key not in obj or obj[key] is None:
            if required:
                self.add(f"{path}{key}", "is missing", "a string")
            return None
        value = obj[key]
        if not isinstance(value, str) or not value.strip():
            self.add(f"{path}{key}", "is not a non-empty string", "a string", describe_value(value))
            return None
        if has_lone_surrogate(value):
            self.add(f"{path}{key}", _SURROGATE, _TEXT, describe_value(value))
            return None
        if identifier and not is_identifier_text(value):
            self.add(
                f"{path}{key}",
                "is not an identifier",
                "a letter, then letters, digits or '_'",
                repr(value),
            )
            return None
        return value

    def keys(self, obj: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
        allowed = set(allowed)
        for key in obj:
            if key not in allowed:
                self.add(
                    f"{path}{printable(str(key))}",
                    "is not a known field",
                    f"one of {sorted(allowed)}",
                )

    def number(self, obj: Mapping[str, Any], path: str) -> int | float | None:
        """
        An observation's ``value``: a finite, non-negative count.
        """
        value = obj.get("value")
        if "value" not in obj:
            self.add(f"{path}value", "is missing", _COUNT)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            self.add(f"{path}value", "is not a number", _COUNT, describe_value(value))
        elif isinstance(value, float) and not math.isfinite(value):
            self.add(f"{path}value", "is not finite", _COUNT, repr(value))
        elif value < 0:
            self.add(f"{path}value", "is negative", _COUNT, repr(value))
        elif value > LARGEST_NUMBER:
            self.add(f"{path}value", TOO_LARGE, _COUNT, describe_value(value))
        else:
            return value
        return None


_SURROGATE = "holds a lone surrogate (e.g. from the JSON escape \\ud800), which is not Unicode text"
_TEXT = "text that can be stored and printed"
_COUNT = "a non-negative number"


def is_identifier_text(value: str) -> bool:
    return value.isascii() and value[:1].isalpha() and all(c.isalnum() or c == "_" for c in value)
