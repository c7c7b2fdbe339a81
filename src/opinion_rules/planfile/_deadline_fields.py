"""
The field kinds of time: an action's deadline (with its anchor, period,
recurrence and extension) and a measure's window.
"""

from __future__ import annotations

from typing import Any

import attrs

from opinion_rules.model._deadlines import (
    Anchor,
    Deadline,
    Readings,
    Recurrence,
    parse_anchor,
)
from opinion_rules.model._extensions import CAP_FROM, Extension
from opinion_rules.model._windows import Window
from opinion_rules.planfile._located import Node
from opinion_rules.planfile._reader import (
    IDENTIFIER_PATTERN,
    FieldKind,
    Reader,
    Spec,
    got,
    object_kind,
    object_schema,
    write_fields,
)
from opinion_rules.planfile._recurrence_fields import (
    COUNTS,
    DATES,
    RECURRENCE_KEYS,
    RULE,
    recurrence_data,
)
from opinion_rules.planfile._simple_fields import (
    BOOL,
    CLOCK,
    CONDITION,
    DURATION,
    DURATION_FORM,
    DURATION_PATTERN,
    NUMBER,
    OFFSET,
    PERIOD_BOUND,
    PERIOD_TOO_LONG,
    POSITIVE_INT,
    TEXT,
    duration_text,
    has_long_number,
    read_duration,
    read_int,
    read_text,
)
from opinion_rules.planfile._sources import reason


__all__ = ["CAP_FROM_KIND", "DEADLINE", "EXTENSION", "READINGS", "WINDOW"]

_ANCHOR_FORM = (
    "discovered, posted, action_done:<action>, overdue:<action> (or overdue:<action>+5wd), "
    "overdue:any(<action>,<action>…) or action_done:all(<action>,<action>…), "
    "grade_reached:<grade>, category_assigned:<category>, changed:<fact>, or an event type"
)
_ID = "[A-Za-z][A-Za-z0-9_]*"
_ANCHOR_PATTERN = f"^{_ID}(:({_ID}|(any|all)\\( *{_ID}( *, *{_ID})+ *\\))(\\+[0-9A-Za-z]+)?)?$"
_OFFSET_OPTIONS = ("clock", "start_next_day", "extend_past_holiday")
_DEADLINE_KINDS = ("offset", "immediately", "promptly", "end_of_day", "none", "until", "recurring")
_WINDOW_FORM = (
    f"'cumulative', 'calendar_day', {{sustained_days: N}}, or {DURATION_FORM} for a rolling window"
)


def _read_anchor(reader: Reader, node: Node, path: str) -> Anchor | None:
    text = read_text(reader, node, path)
    if text is None:
        return None
    if has_long_number(text):
        reader.problem(node, path, PERIOD_TOO_LONG, PERIOD_BOUND, got(node))
        return None
    try:
        return parse_anchor(text)
    except (TypeError, ValueError) as exc:
        reader.problem(node, path, reason(exc), _ANCHOR_FORM)
        return None


def _read_extension(reader: Reader, node: Node, path: str) -> Extension | None:
    fields = reader.fields(node, path, _EXTENSION_FIELDS)
    if fields is None:
        return None
    built: Extension | None = reader.build(Extension, node, path, **fields)
    return built


CAP_FROM_KIND = FieldKind("cap_from", read_text, lambda origin: origin, {"enum": list(CAP_FROM)})
_EXTENSION_FIELDS: Spec = {
    "event": (TEXT, True),
    "by": (OFFSET, False),
    "cap": (OFFSET, False),
    "cap_from": (CAP_FROM_KIND, False),
    "times": (POSITIVE_INT, False),
    "when": (CONDITION, False),
}
_EXTENSION_SCHEMA = object_schema(_EXTENSION_FIELDS)
_EXTENSION_SCHEMA["properties"]["event"] = {"type": "string", "pattern": IDENTIFIER_PATTERN}


_READINGS_FIELDS: Spec = {
    "measure": (TEXT, True),
    "below": (NUMBER, True),
    "consecutive": (POSITIVE_INT, False),
}
_READINGS_SCHEMA = object_schema(_READINGS_FIELDS)
_READINGS_SCHEMA["properties"]["measure"] = {"type": "string", "pattern": IDENTIFIER_PATTERN}

READINGS = object_kind("readings", Readings, _READINGS_FIELDS, _READINGS_SCHEMA)

EXTENSION = FieldKind(
    "extension",
    _read_extension,
    lambda extension: write_fields(extension, _EXTENSION_FIELDS),
    _EXTENSION_SCHEMA,
    fields=_EXTENSION_FIELDS,
)


def _read_deadline(reader: Reader, node: Node, path: str) -> Deadline | None:
    fields = reader.mapping(node, path, ("anchor",), tuple(_DEADLINE_FIELDS))
    if fields is None or "anchor" not in fields:
        return None
    ok = True
    values: dict[str, Any] = {}
    for key, value_node in fields.items():
        if key not in _DEADLINE_FIELDS:
            ok = ok and key == "anchor"  # unknown keys are already reported
            continue
        value = _DEADLINE_FIELDS[key][0].read(reader, value_node, f"{path}.{key}")
        ok = ok and value is not None
        values[key] = value
    anchor = _read_anchor(reader, fields["anchor"], f"{path}.anchor")
    if anchor is None or not ok:
        return None
    implied = [
        kind
        for key, kind in (("within", "offset"), *((k, "recurring") for k in RECURRENCE_KEYS))
        if key in values
    ]
    if ("until" in values or "until_readings" in values) and not implied:
        implied = ["until"]
    kind = values.get("kind")
    if kind is not None and implied and kind != implied[0]:
        reader.problem(
            fields["kind"],
            f"{path}.kind",
            f"kind {kind!r} contradicts the keys given",
            f"no 'kind', or kind {implied[0]!r}",
        )
        return None
    if len(set(implied)) > 1 or sum(k in values for k in RECURRENCE_KEYS) > 1:
        reader.problem(
            node, path, "a deadline has one of 'within', 'every', 'per_day', 'rule' or 'dates'"
        )
        return None
    kind = kind or (implied[0] if implied else "none")
    options = {k: values[k] for k in _OFFSET_OPTIONS if k in values}
    # 次日起 also starts a recurrence on the next day.
    next_day = options.pop("start_next_day", False) if kind == "recurring" else False
    offset = None
    if "within" in values:
        try:
            offset = attrs.evolve(values["within"], **options)
        except (TypeError, ValueError) as exc:
            reader.problem(node, path, reason(exc))
            return None
    elif options:
        reader.problem(
            node,
            path,
            f"{sorted(options)} only go with 'within'",
            "a 'within' period, or none of these keys",
        )
        return None
    recurrence = None
    until = values.get("until")
    if kind == "recurring":
        recurrence = reader.build(
            Recurrence,
            node,
            path,
            every=values.get("every"),
            per_day=values.get("per_day"),
            until=until,
            rule=values.get("rule"),
            dates=values.get("dates"),
            times=values.get("times", 1),
            at_day_end=values.get("at_day_end", False),
            start_next_day=next_day,
        )
        if recurrence is None:
            return None
        until = None
    built: Deadline | None = reader.build(
        Deadline,
        node,
        path,
        anchor=anchor,
        kind=kind,
        offset=offset,
        until=until,
        recurrence=recurrence,
        extension=values.get("extension"),
        until_readings=values.get("until_readings"),
        promise=values.get("promise"),
    )
    return built


def _deadline_to_data(deadline: Deadline) -> dict[str, Any]:
    out: dict[str, Any] = {"anchor": str(deadline.anchor)}
    match deadline.kind:
        case "offset":
            assert deadline.offset is not None  # noqa: S101 - checked at construction
            o = deadline.offset
            out["within"] = o.text()
            if o.clock != "calendar":
                out["clock"] = o.clock
            if o.start_next_day:
                out["start_next_day"] = True
            if o.extend_past_holiday:
                out["extend_past_holiday"] = True
        case "until" if deadline.until_readings is not None:
            out["until_readings"] = READINGS.write(deadline.until_readings)
        case "until":
            out["until"] = deadline.until
        case "recurring":
            r = deadline.recurrence
            assert r is not None  # noqa: S101 - checked at construction
            out.update(recurrence_data(r))
        case "none":
            pass
        case kind:
            out["kind"] = kind
    if deadline.extension is not None:
        out["extension"] = EXTENSION.write(deadline.extension)
    if deadline.promise is not None:
        out["promise"] = deadline.promise
    return out


# The keys besides 'anchor'; a deadline's value is built from them together.
_DEADLINE_FIELDS: Spec = {
    "kind": (TEXT, False),
    "within": (OFFSET, False),
    "until": (TEXT, False),
    "until_readings": (READINGS, False),
    "clock": (CLOCK, False),
    "start_next_day": (BOOL, False),
    "extend_past_holiday": (BOOL, False),
    "every": (DURATION, False),
    "per_day": (COUNTS, False),
    "rule": (RULE, False),
    "dates": (DATES, False),
    "times": (COUNTS, False),
    "at_day_end": (BOOL, False),
    "extension": (EXTENSION, False),
    "promise": (TEXT, False),
}

DEADLINE = FieldKind(
    "deadline",
    _read_deadline,
    _deadline_to_data,
    {"$ref": "#/$defs/deadline"},
    definition={
        "type": "object",
        "properties": {
            "anchor": {"type": "string", "pattern": _ANCHOR_PATTERN},
            **{key: kind.schema for key, (kind, _) in _DEADLINE_FIELDS.items()},
            "kind": {"enum": list(_DEADLINE_KINDS)},
            "until": {"type": "string", "pattern": IDENTIFIER_PATTERN},
            "promise": {"type": "string", "pattern": IDENTIFIER_PATTERN},
        },
        "required": ["anchor"],
        "additionalProperties": False,
    },
    fields=_DEADLINE_FIELDS,
)


def _read_window(reader: Reader, node: Node, path: str) -> Window | None:
    if node.value in ("cumulative", "calendar_day", "rate"):
        return Window(node.value)
    if isinstance(node.value, dict):
        fields = reader.mapping(node, path, ("sustained_days",), ())
        if fields is None or "sustained_days" not in fields:
            return None
        days = read_int(reader, fields["sustained_days"], f"{path}.sustained_days")
        if days is None:
            return None
        built: Window | None = reader.build(Window, node, path, kind="sustained", days=days)
        return built
    length = read_duration(reader, node, path, form=_WINDOW_FORM)
    if length is None:
        return None
    window: Window | None = reader.build(Window, node, path, kind="rolling", length=length)
    return window


def _window_to_data(window: Window) -> Any:
    if window.kind in ("cumulative", "calendar_day", "rate"):
        return window.kind
    if window.kind == "sustained":
        return {"sustained_days": window.days}
    if window.length is not None:
        return duration_text(window.length)
    return window  # pragma: no cover - every window is one of the above


WINDOW = FieldKind(
    "window",
    _read_window,
    _window_to_data,
    {
        "anyOf": [
            {"enum": ["cumulative", "calendar_day", "rate"]},
            {"type": "string", "pattern": DURATION_PATTERN},
            {
                "type": "object",
                "properties": {"sustained_days": {"type": "integer", "minimum": 1}},
                "required": ["sustained_days"],
                "additionalProperties": False,
            },
        ]
    },
)
