"""
The calendar field kind: ``china`` (with working hours and year schedules,
inline or in files of their own) or a data calendar; and year schedules,
read here for plan files and for :mod:`._schedules`.
"""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from typing import Any

import attrs

from opinion_rules._suggest import expected_names
from opinion_rules.exceptions import PlanLoadError
from opinion_rules.planfile._located import FileSyntaxError, Node, parse_document
from opinion_rules.planfile._reader import IDENTIFIER_PATTERN, FieldKind, Reader, got, join
from opinion_rules.planfile._simple_fields import (
    MIDNIGHT_END,
    read_clock_time,
    read_int,
    read_text,
    read_texts,
)
from opinion_rules.planfile._sources import SUFFIXES, read_plan_bytes, reason
from opinion_rules.plugins._calendar import ProvidedCalendar
from opinion_rules.time._calendars import (
    FESTIVALS,
    ChinaCalendar,
    DataCalendar,
    Festival,
    WorkingCalendar,
    YearSchedule,
    format_hours,
)


__all__ = ["CALENDAR", "read_year_schedule_node", "schedule_to_data"]

_FESTIVAL = "{name: 春节, days_off: [2027-02-06, 2027-02-13], workdays: [2027-01-31]}"
_CALENDAR_FORM = (
    "'china', {name: china, hours: [...]}, or a data calendar "
    "{name, years: [first, last], holidays, workdays, weekend, hours}"
)


def _read_hours(reader: Reader, node: Node, path: str) -> tuple[tuple[time, time], ...] | None:
    out = []
    for i, item in enumerate(reader.items(node, path)):
        text = item.value if isinstance(item.value, str) else None
        parts = text.split("-") if text is not None else []
        if len(parts) != 2:
            reader.problem(
                item,
                f"{path}[{i}]",
                "not a working period",
                "'HH:MM-HH:MM', e.g. '09:00-12:00' or '08:00-24:00'",
                got(item),
            )
            return None
        start, stop = (
            read_clock_time(reader, Node(p.strip(), item.line, item.column), f"{path}[{i}]")
            for p in parts
        )
        if start is None or stop is None:
            return None
        if start == MIDNIGHT_END or stop == time(0):
            # 24:00 ends a day and 00:00 starts one: a period never starts
            # at 24:00, and its end at midnight is written 24:00.
            reader.problem(
                item,
                f"{path}[{i}]",
                "a working period starts at 24:00"
                if start == MIDNIGHT_END
                else "a working period ends at 00:00",
                "'HH:MM-HH:MM' within one day; 24:00 only as the end, e.g. '08:00-24:00'",
                got(item),
            )
            return None
        # The model writes a period's end at 24:00 as time(0).
        out.append((start, time(0) if stop == MIDNIGHT_END else stop))
    return tuple(out)


def _read_day(reader: Reader, node: Node, path: str) -> date | None:
    value = node.value
    if type(value) is date:
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    reader.problem(node, path, "not a date", "'YYYY-MM-DD', e.g. '2025-01-28'", got(node))
    return None


def _read_days(reader: Reader, fields: dict[str, Node], key: str, path: str) -> list[date | None]:
    where = f"{path}.{key}"
    items = reader.items(fields[key], where) if key in fields else []
    return [_read_day(reader, n, f"{where}[{i}]") for i, n in enumerate(items)]


def _read_china(reader: Reader, node: Node, path: str) -> ChinaCalendar | None:
    fields = reader.mapping(node, path, ("name",), ("hours", "schedules"))
    if fields is None:
        return None
    hours = _read_hours(reader, fields["hours"], f"{path}.hours") if "hours" in fields else ()
    schedules: list[YearSchedule | None] = [
        _read_schedule(reader, item, f"{path}.schedules[{i}]")
        for i, item in enumerate(
            reader.items(fields["schedules"], f"{path}.schedules") if "schedules" in fields else []
        )
    ]
    if hours is None or None in schedules:
        return None
    china: ChinaCalendar | None = reader.build(
        ChinaCalendar, node, path, hours=hours, schedules=schedules
    )
    return china


def _read_calendar(reader: Reader, node: Node, path: str) -> WorkingCalendar | None:
    if node.value == "china":
        return ChinaCalendar()
    if isinstance(node.value, str):
        return _plugin_calendar(reader, node, path, node.value)
    if isinstance(node.value, dict) and node.value.get("name", Node(None, 0, 0)).value == "china":
        return _read_china(reader, node, path)
    if not isinstance(node.value, dict):
        reader.problem(node, path, "not a calendar", _CALENDAR_FORM, got(node))
        return None
    fields = reader.mapping(
        node, path, ("name", "years"), ("holidays", "workdays", "weekend", "hours")
    )
    if fields is None or "name" not in fields or "years" not in fields:
        return None
    name = read_text(reader, fields["name"], f"{path}.name")
    years = [
        read_int(reader, n, f"{path}.years[{i}]")
        for i, n in enumerate(reader.items(fields["years"], f"{path}.years"))
    ]
    if len(years) != 2:
        reader.problem(
            fields["years"],
            f"{path}.years",
            "expected [first year, last year]",
            "e.g. [2025, 2026]",
            got(fields["years"]),
        )
        return None
    days = {
        key: _read_days(reader, fields, key, path)
        for key in ("holidays", "workdays")
        if key in fields
    }
    weekend = None
    if "weekend" in fields:
        weekend = [
            read_int(reader, n, f"{path}.weekend[{i}]")
            for i, n in enumerate(reader.items(fields["weekend"], f"{path}.weekend"))
        ]
    hours = _read_hours(reader, fields["hours"], f"{path}.hours") if "hours" in fields else ()
    if (
        name is None
        or None in years
        or hours is None
        or any(None in v for v in days.values())
        or (weekend is not None and None in weekend)
    ):
        return None
    kwargs: dict[str, Any] = {k: frozenset(v) for k, v in days.items()}
    if weekend is not None:
        kwargs["weekend"] = tuple(weekend)
    data: DataCalendar | None = reader.build(
        DataCalendar,
        node,
        path,
        name=name,
        first_year=years[0],
        last_year=years[1],
        hours=hours,
        **kwargs,
    )
    return data


def _read_schedule(reader: Reader, node: Node, path: str) -> YearSchedule | None:
    """
    One of a China calendar's ``schedules``: a year schedule file named
    relative to this file (confined like ``extends``), or written inline.
    """
    if isinstance(node.value, dict):
        return read_year_schedule_node(reader, node, path)
    name = read_text(reader, node, path)
    if name is None:
        return None
    target = reader.confined(node, name, path, "year schedule file")
    if target is None:
        return None
    written = Path(name)
    shown = os.path.normpath(Path(reader.source).parent / written)
    try:
        text = read_plan_bytes(target, shown, follow_last_link=False, noun="year schedule file")
        root = parse_document(text, SUFFIXES[written.suffix.lower()])
    except PlanLoadError as exc:
        reader.problem(node, path, f"the year schedule cannot be read: {reason(exc)}")
        return None
    except FileSyntaxError as exc:
        where = f"{shown}:{exc.line}:{exc.column}"
        reader.problem(node, path, f"the year schedule cannot be read: {where}: {exc.message}")
        return None
    # Its own problems are located in its own file.
    own = Reader(shown, target.parent, attrs.evolve(reader.load, allowed=()))
    schedule = read_year_schedule_node(own, root, "")
    reader.problems.extend(own.problems)
    return schedule if not own.problems else None


def read_year_schedule_node(reader: Reader, node: Node, path: str) -> YearSchedule | None:
    """
    A year of the State Council's holiday notice: ``{year, source,
    festivals: [{name, days_off, workdays}]}``.
    """
    fields = reader.mapping(node, path, ("year", "source", "festivals"), ())
    if fields is None or not {"year", "source", "festivals"} <= fields.keys():
        return None
    year = read_int(reader, fields["year"], join(path, "year"))
    source = read_text(reader, fields["source"], join(path, "source"))
    where = join(path, "festivals")
    festivals = [
        _read_festival(reader, item, f"{where}[{i}]")
        for i, item in enumerate(reader.items(fields["festivals"], where))
    ]
    if year is None or source is None or None in festivals:
        return None
    # Completeness is about the festivals: a problem with the whole year
    # is placed at that key.
    built: YearSchedule | None = reader.build(
        YearSchedule, fields["festivals"], where, year=year, source=source, festivals=festivals
    )
    return built


def _read_festival(reader: Reader, node: Node, path: str) -> Festival | None:
    fields = reader.mapping(node, path, ("name", "days_off"), ("workdays",))
    if fields is None or not {"name", "days_off"} <= fields.keys():
        return None
    names_node = fields["name"]
    if isinstance(names_node.value, list):
        names = read_texts(reader, names_node, f"{path}.name")
    else:
        name = read_text(reader, names_node, f"{path}.name")
        names = None if name is None else (name,)
    off_node = fields["days_off"]
    off: tuple[date | None, date | None]
    if isinstance(off_node.value, list):
        days = [_read_day(reader, n, f"{path}.days_off[{i}]") for i, n in enumerate(off_node.value)]
        if len(days) != 2:
            reader.problem(
                off_node, f"{path}.days_off", "expected one day or [first day, last day]", _FESTIVAL
            )
            return None
        off = (days[0], days[1])
    else:
        day = _read_day(reader, off_node, f"{path}.days_off")
        off = (day, day)
    work = _read_days(reader, fields, "workdays", path)
    if names is None or None in off or None in work:
        return None
    festival: Festival | None = reader.build(
        Festival, node, path, names=names, days_off=off, workdays=work
    )
    return festival


def _plugin_calendar(reader: Reader, node: Node, path: str, name: str) -> WorkingCalendar | None:
    """
    A calendar an enabled plug-in provides, by name (``calendar: guangxi``).
    """
    plugins = reader.load.plugins
    provided = {} if plugins is None else plugins.calendars
    if name in provided:
        calendar, plugin = provided[name]
        return ProvidedCalendar(calendar, plugin)
    close = expected_names(name, ["china", *sorted(provided)])
    reader.problem(
        node,
        path,
        f"calendar {name!r} is not 'china' and no enabled plug-in provides it; enable the "
        "plug-in that does (--plugin NAME, plugins=['NAME'])",
        "'china', a data calendar or a plug-in's calendar" + (f" ({close})" if provided else ""),
    )
    return None


def _calendar_to_data(calendar: WorkingCalendar) -> Any:
    hours = format_hours(calendar.hours)
    match calendar:
        case ProvidedCalendar():
            return calendar.name
        case ChinaCalendar():
            if not hours and not calendar.schedules:
                return "china"
            china: dict[str, Any] = {"name": "china"}
            if hours:
                china["hours"] = hours
            if calendar.schedules:
                # Inline, so that a dumped (or stored) plan needs no other file.
                china["schedules"] = [schedule_to_data(s) for s in calendar.schedules]
            return china
        case DataCalendar():
            out: dict[str, Any] = {
                "name": calendar.name,
                "years": [calendar.first_year, calendar.last_year],
            }
            if calendar.holidays:
                out["holidays"] = sorted(d.isoformat() for d in calendar.holidays)
            if calendar.workdays:
                out["workdays"] = sorted(d.isoformat() for d in calendar.workdays)
            if calendar.weekend != (5, 6):
                out["weekend"] = list(calendar.weekend)
            if hours:
                out["hours"] = hours
            return out
    # Any other calendar is written by name: a plug-in provides it when read back.
    return calendar.name


def schedule_to_data(schedule: YearSchedule) -> dict[str, Any]:
    """
    *schedule* as year-file data (``docs/how-to/add-a-calendar-year.md``).
    """
    festivals = []
    for f in schedule.festivals:
        item: dict[str, Any] = {"name": f.names[0] if len(f.names) == 1 else list(f.names)}
        first, last = f.days_off
        item["days_off"] = (
            first.isoformat() if first == last else [first.isoformat(), last.isoformat()]
        )
        if f.workdays:
            item["workdays"] = [d.isoformat() for d in f.workdays]
        festivals.append(item)
    return {"year": schedule.year, "source": schedule.source, "festivals": festivals}


_HOURS = {
    "type": "array",
    "description": "Working periods 'HH:MM-HH:MM' within one day, in order; 24:00 only as "
    "an end, the end of the day ('08:00-24:00').",
    "items": {"type": "string", "pattern": "^\\s*\\d{1,2}:\\d{2}\\s*-\\s*\\d{1,2}:\\d{2}\\s*$"},
}
_DATE = {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}
_DATES = {"type": "array", "items": _DATE}
_FESTIVAL_NAME = {"enum": list(FESTIVALS)}
_YEAR_SCHEDULE = {
    "type": "object",
    "description": "A year of the State Council's holiday notice "
    "(docs/how-to/add-a-calendar-year.md).",
    "properties": {
        "year": {"type": "integer"},
        "source": {"type": "string", "minLength": 1},
        "festivals": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {
                        "anyOf": [
                            _FESTIVAL_NAME,
                            {"type": "array", "items": _FESTIVAL_NAME, "minItems": 1},
                        ]
                    },
                    "days_off": {
                        "anyOf": [
                            _DATE,
                            {"type": "array", "items": _DATE, "minItems": 2, "maxItems": 2},
                        ]
                    },
                    "workdays": _DATES,
                },
                "required": ["name", "days_off"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["year", "source", "festivals"],
    "additionalProperties": False,
}
_SCHEDULE_FILE = {"type": "string", "pattern": r"(?i)\.(ya?ml|toml|json)$"}

CALENDAR = FieldKind(
    "calendar",
    _read_calendar,
    _calendar_to_data,
    {"$ref": "#/$defs/calendar"},
    definition={
        "anyOf": [
            {"const": "china"},
            {
                "type": "string",
                "pattern": IDENTIFIER_PATTERN,
                "description": "A calendar an enabled plug-in provides, by name.",
            },
            {
                "type": "object",
                "properties": {
                    "name": {"const": "china"},
                    "hours": _HOURS,
                    "schedules": {
                        "type": "array",
                        "items": {"anyOf": [_SCHEDULE_FILE, _YEAR_SCHEDULE]},
                    },
                },
                "required": ["name"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "not": {"const": "china"}},
                    "years": {
                        "type": "array",
                        "items": {"type": "integer"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                    "holidays": _DATES,
                    "workdays": _DATES,
                    "weekend": {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 0, "maximum": 6},
                    },
                    "hours": _HOURS,
                },
                "required": ["name", "years"],
                "additionalProperties": False,
            },
        ]
    },
)
