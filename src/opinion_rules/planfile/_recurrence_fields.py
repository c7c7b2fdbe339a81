"""
The field kinds of a recurring deadline: an RFC 5545 rule, a date list, and
completions per occurrence (a number, or by grade); with how a recurrence
is written back.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from opinion_rules._limits import MOST_PER_DAY
from opinion_rules.model._recurrences import Recurrence
from opinion_rules.planfile._located import Node
from opinion_rules.planfile._reader import IDENTIFIER_PATTERN, FieldKind, Reader, got
from opinion_rules.planfile._simple_fields import duration_text, read_text
from opinion_rules.planfile._sources import reason
from opinion_rules.time._rrule import parse_rrule


__all__ = ["COUNTS", "DATES", "RECURRENCE_KEYS", "RULE", "recurrence_data"]

#: The deadline keys that make a deadline recurring.
RECURRENCE_KEYS = ("every", "per_day", "rule", "dates")
_RULE_FORM = "an RRULE such as 'FREQ=MONTHLY;BYMONTHDAY=1' or 'FREQ=DAILY;BYHOUR=9'"
_DATE_FORM = "a date 'YYYY-MM-DD' or a local date-time 'YYYY-MM-DDTHH:MM'"
_DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$"


def _read_rule(reader: Reader, node: Node, path: str) -> str | None:
    text = read_text(reader, node, path)
    if text is None:
        return None
    try:
        parse_rrule(text)
    except (TypeError, ValueError) as exc:
        reader.problem(node, path, reason(exc), _RULE_FORM, got(node))
        return None
    return text


def _read_date(reader: Reader, node: Node, path: str) -> date | datetime | None:
    value = node.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value
    elif isinstance(value, date):
        return value
    elif isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            return parsed
    reader.problem(node, path, "expected a date or a local date-time", _DATE_FORM, got(node))
    return None


def _read_dates(reader: Reader, node: Node, path: str) -> tuple[date | datetime, ...] | None:
    if not isinstance(node.value, list) or not node.value:
        reader.problem(node, path, "expected a list of dates", _DATE_FORM, got(node))
        return None
    out = [_read_date(reader, item, f"{path}[{i}]") for i, item in enumerate(node.value)]
    if any(d is None for d in out):
        return None
    return tuple(d for d in out if d is not None)


def _date_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M" if value.second == 0 else "%Y-%m-%dT%H:%M:%S")
    return value.isoformat()


def _read_counts(reader: Reader, node: Node, path: str) -> int | dict[str, int] | None:
    value = node.value
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= 1:  # the plan's timing checks bound it from above
            return value
        reader.problem(node, path, "must be at least 1", got=got(node))
        return None
    if isinstance(value, dict) and value:
        out: dict[str, int] = {}
        for grade, item in value.items():
            n = item.value
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                reader.problem(
                    item, f"{path}.{grade}", "must be a whole number >= 0", got=got(item)
                )
                return None
            out[grade] = n
        return out
    reader.problem(
        node,
        path,
        "expected a whole number, or a mapping of grade to number",
        "2, or {major: 2, general: 1}",
        got(node),
    )
    return None


def _counts_data(value: Any) -> Any:
    return value if isinstance(value, int) else dict(value)


_COUNTS_SCHEMA = {
    "anyOf": [
        {"type": "integer", "minimum": 1, "maximum": MOST_PER_DAY},
        {
            "type": "object",
            "propertyNames": {"pattern": IDENTIFIER_PATTERN},
            "additionalProperties": {"type": "integer", "minimum": 0, "maximum": MOST_PER_DAY},
            "minProperties": 1,
        },
    ]
}

RULE = FieldKind("recurrence_rule", _read_rule, str, {"type": "string", "pattern": "(?i)FREQ="})
DATES = FieldKind(
    "recurrence_dates",
    _read_dates,
    lambda dates: [_date_text(d) for d in dates],
    {"type": "array", "items": {"type": "string", "pattern": _DATE_PATTERN}, "minItems": 1},
)
COUNTS = FieldKind("recurrence_counts", _read_counts, _counts_data, _COUNTS_SCHEMA)


def recurrence_data(r: Recurrence) -> dict[str, Any]:
    """The deadline keys that write *r* back (besides ``anchor``)."""
    out: dict[str, Any] = {}
    if r.every is not None:
        out["every"] = duration_text(r.every)
    elif r.per_day is not None:
        out["per_day"] = COUNTS.write(r.per_day)
    elif r.rule is not None:
        out["rule"] = r.rule
    elif r.dates is not None:
        out["dates"] = DATES.write(r.dates)
    if r.times != 1:
        out["times"] = COUNTS.write(r.times)
    if r.at_day_end:
        out["at_day_end"] = True
    if r.start_next_day:
        out["start_next_day"] = True
    if r.until is not None:
        out["until"] = r.until
    return out
