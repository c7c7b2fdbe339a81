"""
Year schedule files: one year of China's official holidays, transcribed
from the State Council's notice, in YAML, TOML or JSON::

    year: 2027
    source: 国务院办公厅关于2027年部分节假日安排的通知 (国办发明电〔2026〕N号)
    festivals:
      - {name: 元旦, days_off: 2027-01-01}
      - {name: 春节, days_off: [2027-02-06, 2027-02-13], workdays: [2027-01-31]}
      - {name: [国庆节, 中秋节], days_off: [2027-10-01, 2027-10-07], workdays: [2027-09-26]}

(with made-up dates).  ``days_off`` is one day or ``[first, last]``;
``workdays`` lists the make-up working days.  (Not ``off``/``on``: YAML
reads those words as true and false.)  The file is read like a plan file (every problem located as
``file:line:column``) and checked like :class:`~opinion_rules.YearSchedule`:
complete or refused.  ``docs/how-to/add-a-calendar-year.md`` is the routine.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from ._calendars import Festival, YearSchedule
from ._located import FileSyntaxError, Node, parse_document
from ._planfile import SUFFIXES, _Load, _Reader, read_plan_bytes
from .exceptions import PlanLoadError, PlanValidationError


__all__ = ["load_year_schedule", "read_year_schedule", "schedule_from_node", "schedule_to_data"]

_FESTIVAL = "{name: 春节, days_off: [2027-02-06, 2027-02-13], workdays: [2027-01-31]}"


def load_year_schedule(path: str | Path) -> YearSchedule:
    """
    Read a year schedule file; the suffix chooses the format.

    Raises:
        PlanLoadError: the file cannot be read or is not valid YAML, TOML
            or JSON (located).
        PlanValidationError: listing every problem, each located.

    .. versionadded:: 0.5.0
    """
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise PlanLoadError(
            str(path), f"unknown year schedule suffix; expected one of {list(SUFFIXES)}"
        )
    return read_year_schedule(read_plan_bytes(path, str(path)), fmt, str(path))


def read_year_schedule(text: str, fmt: str, source: str = "<string>") -> YearSchedule:
    """
    Read a year schedule from *text* in format *fmt* (``yaml``, ``toml``,
    ``json``); *source* names it in messages.

    .. versionadded:: 0.5.0
    """
    try:
        root = parse_document(text, fmt)
    except FileSyntaxError as exc:
        raise PlanLoadError(source, exc.message, line=exc.line, column=exc.column) from None
    return _checked(root, source)


def _checked(root: Node, source: str) -> YearSchedule:
    # A schedule names no other file, so the reader is allowed none.
    reader = _Reader(source, Path(source).parent, _Load(allowed=(), chain=()))
    schedule = schedule_from_node(reader, root, "")
    if reader.problems or schedule is None:
        raise PlanValidationError(source, reader.problems)
    return schedule


def schedule_from_node(reader: _Reader, node: Node, path: str) -> YearSchedule | None:
    """
    Build a schedule from a parsed mapping, recording problems on *reader*.
    """
    fields = reader.mapping(node, path, ("year", "source", "festivals"), ())
    if fields is None or not {"year", "source", "festivals"} <= fields.keys():
        return None
    year = reader.integer(fields["year"], _at(path, "year"))
    source = reader.text(fields["source"], _at(path, "source"))
    festivals = []
    for i, item in enumerate(reader.items(fields["festivals"], _at(path, "festivals"))):
        festivals.append(_festival(reader, item, f"{_at(path, 'festivals')}[{i}]"))
    # Completeness is about the festivals: a problem with the whole year is
    # placed at that key.  Only a year whose items all read can be checked.
    if year is None or source is None or None in festivals:
        return None
    built: YearSchedule | None = reader.build(
        YearSchedule,
        fields["festivals"],
        _at(path, "festivals"),
        year=year,
        source=source,
        festivals=festivals,
    )
    return built


def _festival(reader: _Reader, node: Node, path: str) -> Festival | None:
    fields = reader.mapping(node, path, ("name", "days_off"), ("workdays",))
    if fields is None or not {"name", "days_off"} <= fields.keys():
        return None
    names_node = fields["name"]
    if isinstance(names_node.value, list):
        names = reader.texts(names_node, f"{path}.name")
    else:
        name = reader.text(names_node, f"{path}.name")
        names = None if name is None else (name,)
    off_node = fields["days_off"]
    if isinstance(off_node.value, list):
        days = [reader.day(n, f"{path}.days_off[{i}]") for i, n in enumerate(off_node.value)]
        if len(days) != 2:
            reader.problem(
                off_node,
                f"{path}.days_off",
                "expected one day or [first day, last day]",
                _FESTIVAL,
            )
            return None
        off: tuple[date | None, date | None] = (days[0], days[1])
    else:
        day = reader.day(off_node, f"{path}.days_off")
        off = (day, day)
    work = []
    if "workdays" in fields:
        work = [
            reader.day(n, f"{path}.workdays[{i}]")
            for i, n in enumerate(reader.items(fields["workdays"], f"{path}.workdays"))
        ]
    if names is None or None in off or None in work:
        return None
    festival: Festival | None = reader.build(
        Festival, node, path, names=names, days_off=off, workdays=work
    )
    return festival


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def schedule_to_data(schedule: YearSchedule) -> dict[str, Any]:
    """
    *schedule* as plan-file data (the file format above).

    .. versionadded:: 0.5.0
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
