"""
Plan files: YAML (primary), TOML and JSON, read into the same model as the
Python API, with every problem located as ``file:line:column``.

Reading never runs anything: the text is parsed by :mod:`._located` into
plain data with places, conditions are parsed by :mod:`._expr`, and the
model classes validate what they are given.  All problems are collected in
one pass and raised together.

Reading is bounded (see :mod:`._limits`): a file is checked to be a regular
file of at most ``PLAN_FILE_BYTES`` before it is read, and is never read
past that; ``extends`` reads only plan files inside the folders the host
allows, at most ``EXTENDS_DEPTH`` files deep, with the state of one load
passed down the load (no module-level state).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import attrs
import tomli_w
import yaml

from opinion_rules._limits import (
    CONDITION_DEPTH,
    EXTENDS_DEPTH,
    LONGEST_PERIOD,
    MOST_PER_DAY,
    MOST_WORKING_DAYS,
    PLAN_FILE_BYTES,
    TIMEZONE_CHARACTERS,
)
from opinion_rules._reading import InputError, read_limited, too_large
from opinion_rules._suggest import expected_names
from opinion_rules.exceptions import PlanError, PlanLoadError, PlanValidationError, Problem
from opinion_rules.model._clauses import Clause
from opinion_rules.model._conditions import AllOf, AnyOf, Condition, Not
from opinion_rules.model._deadlines import Anchor, Deadline, Extension, Recurrence, parse_anchor
from opinion_rules.model._items import (
    Action,
    Category,
    EventSpec,
    FactSpec,
    Grade,
    Note,
    Parameter,
    Principle,
    ReportChain,
    Role,
)
from opinion_rules.model._lifecycle import (
    GRADE_DRIVERS,
    OWNER_DUTIES,
    REGRADE_RULES,
    Assignment,
    Closure,
    Deescalation,
    Grading,
    Routing,
)
from opinion_rules.model._plan import ID_SECTIONS, Plan, timezone_problem
from opinion_rules.model._windows import Measure, Window
from opinion_rules.time._calendars import (
    FESTIVALS,
    ChinaCalendar,
    DataCalendar,
    Festival,
    WorkingCalendar,
    YearSchedule,
    format_hours,
)
from opinion_rules.time._offsets import CLOCKS, OFFSET_FORM, Offset, parse_offset

from ._expr import ExpressionError, parse_condition, to_text
from ._located import FileSyntaxError, Node, parse_document


__all__ = [
    "FORMATS",
    "SUFFIXES",
    "build_plan_schema",
    "dump_plan",
    "load_plan_file",
    "nearest",
    "plan_places",
    "read_plan_text",
]

#: Plan file formats by suffix.
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}
FORMATS = ("yaml", "toml", "json")

_DURATION = re.compile(
    r"\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*", re.IGNORECASE
)
T = TypeVar("T")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION_FORM = "a duration such as '3h', '30m', '1d' or '1h30m'"
_TIME = re.compile(r"\s*(\d{1,2}):(\d{2})\s*")
# Stands for 24:00 while reading; a plan's day_end of 24:00 is None.
_MIDNIGHT_END = time(0, 0, 0, 1)
_ANCHOR_FORM = (
    "discovered, posted, action_done:<action>, overdue:<action> (or overdue:<action>+5wd), "
    "grade_reached:<grade>, category_assigned:<category>, or an event type"
)
_FESTIVAL = "{name: 春节, days_off: [2027-02-06, 2027-02-13], workdays: [2027-01-31]}"
_CALENDAR_FORM = (
    "'china', {name: china, hours: [...]}, or a data calendar "
    "{name, years: [first, last], holidays, workdays, weekend, hours}"
)
_DEADLINE_KEYS = {
    "kind": "text",
    "within": "offset",
    "until": "text",
    "clock": "clock",
    "start_next_day": "bool",
    "extend_past_holiday": "bool",
    "every": "duration",
    "per_day": "positive_int",
    "extension": "extension",
}
_DEADLINE_OPTIONAL = tuple(_DEADLINE_KEYS)
_OFFSET_OPTIONS = ("clock", "start_next_day", "extend_past_holiday")
_EXTENSION_SPEC = {"event": ("text", True), "by": ("offset", True), "cap": ("offset", False)}


Folders = Iterable[str | os.PathLike[str]] | str | os.PathLike[str]


def load_plan_file(path: str | os.PathLike[str], *, allowed_dirs: Folders = ()) -> Plan:
    """
    Read a plan file; the suffix chooses the format.

    ``extends`` in the file may name plan files in the file's own folder
    (and below it), or in one of *allowed_dirs*; see the plan file format.

    Raises:
        PlanLoadError: the file cannot be read, is not a regular file, is
            larger than ``PLAN_FILE_BYTES``, or is not valid YAML, TOML or
            JSON (located).
        PlanValidationError: listing every problem, each located.

    .. versionchanged:: 0.5.0 *allowed_dirs*; files are size-checked before
       they are read, and ``extends`` is confined.
    """
    path = Path(path)
    source = str(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise PlanLoadError(source, f"unknown plan file suffix; expected one of {list(SUFFIXES)}")
    text = read_plan_bytes(path, source)
    folder = _real_folder(path, source)
    load = _Load(
        allowed=(folder, *_allowed_folders(allowed_dirs, source)),
        chain=(_real(path, source),),
    )
    return _read(text, fmt, source, folder, load)


def read_plan_text(
    text: str, fmt: str, source: str = "<string>", *, allowed_dirs: Folders = ()
) -> Plan:
    """
    Read a plan from *text* in format *fmt* (``yaml``, ``toml``, ``json``);
    *source* names it in messages.

    A text has no folder of its own: its ``extends`` is resolved against the
    folder of *source* and may name only plan files inside *allowed_dirs*
    (none by default, so a plan read from text extends nothing unless the
    host says where from).

    .. versionchanged:: 0.5.0 *allowed_dirs*.
    """
    if fmt not in FORMATS:
        raise PlanLoadError(source, f"unknown plan file format {fmt!r}; expected one of {FORMATS}")
    folder = Path(source).parent.absolute()
    load = _Load(allowed=_allowed_folders(allowed_dirs, source), chain=())
    return _read(text, fmt, source, folder, load)


def plan_places(path: str | Path) -> dict[str, tuple[int, int]]:
    """
    Line and column of every value in a (readable) plan file, by model path
    such as ``grades[1].criteria``; empty if the file cannot be parsed.
    """
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    try:
        root = parse_document(read_plan_bytes(path, str(path)), fmt or "")
    except (PlanLoadError, FileSyntaxError, ValueError):
        return {}
    return {p: (n.line, n.column) for p, n in _index(root, "")}


@attrs.frozen
class _Load:
    """
    The state of one load, passed down to every base plan it reads: the
    folders ``extends`` may read from, the files being read (outermost
    first, to catch cycles) and how many plans deep the load is.
    """

    allowed: tuple[Path, ...]
    chain: tuple[Path, ...]
    depth: int = 1

    def allows(self, target: Path) -> bool:
        return any(target.is_relative_to(folder) for folder in self.allowed)


def _read(text: str, fmt: str, source: str, folder: Path, load: _Load) -> Plan:
    if len(text) > PLAN_FILE_BYTES or (
        4 * len(text) > PLAN_FILE_BYTES
        and len(text.encode("utf-8", "surrogatepass")) > PLAN_FILE_BYTES
    ):
        raise PlanLoadError(source, too_large("plan file", PLAN_FILE_BYTES, None))
    try:
        root = parse_document(text, fmt)
    except FileSyntaxError as exc:
        raise PlanLoadError(source, exc.message, line=exc.line, column=exc.column) from None
    reader = _Reader(source, folder, load)
    plan = reader.plan(root)
    if reader.problems or plan is None:
        raise PlanValidationError(source, reader.problems)
    return plan


def read_plan_bytes(
    path: Path, source: str, *, follow_last_link: bool = True, noun: str = "plan file"
) -> str:
    """
    The text of the plan (or year schedule) file *path*, read within
    ``PLAN_FILE_BYTES`` by :func:`._reading.read_limited`.

    Raises:
        PlanLoadError: naming *source*; undecodable UTF-8 is located.
    """
    try:
        return read_limited(path, PLAN_FILE_BYTES, noun, follow_last_link=follow_last_link)
    except InputError as exc:
        raise PlanLoadError(source, exc.message, line=exc.line, column=exc.column) from None


def _real(path: Path, source: str) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError) as exc:  # pragma: no cover - the file was just read
        raise PlanLoadError(source, f"cannot resolve the path: {_reason(exc)}") from None


def _real_folder(path: Path, source: str) -> Path:
    """
    The folder *path* is named in (its own last link not followed), resolved.
    """
    return _real(path.absolute().parent, source)


def _allowed_folders(folders: Folders, source: str) -> tuple[Path, ...]:
    if isinstance(folders, str | os.PathLike):
        folders = [folders]
    out = []
    for folder in folders:
        try:
            out.append(Path(os.path.realpath(os.fspath(folder))))
        except (OSError, TypeError, ValueError) as exc:
            raise PlanLoadError(
                source, f"allowed folder {folder!r} is not a usable path: {_reason(exc)}"
            ) from None
    return tuple(out)


# -- reading ----------------------------------------------------------------------


class _Reader:
    def __init__(self, source: str, folder: Path, load: _Load) -> None:
        self.source = source
        self.folder = folder
        self.load = load
        self.problems: list[Problem] = []
        self.measures: dict[str, object] = {}
        self.facts: dict[str, object] = {}

    def problem(
        self,
        node: Node,
        path: str,
        message: str,
        expected: str | None = None,
        got: str | None = None,
        *,
        place: tuple[int, int] | None = None,
    ) -> None:
        line, column = place or (node.line, node.column)
        self.problems.append(
            Problem(path, message, expected, got, file=self.source, line=line, column=column)
        )

    # -- shapes --

    def mapping(
        self, node: Node, path: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict[str, Node] | None:
        if not isinstance(node.value, dict):
            self.problem(node, path, "expected a mapping (key: value lines)", got=_got(node))
            return None
        allowed = (*required, *optional)
        for key in node.value:
            if key not in allowed:
                hint = (
                    ""
                    if _IDENTIFIER.fullmatch(key)
                    else " (if it is part of a text, quote the text: in {…} a comma or a"
                    " colon followed by a space ends it)"
                )
                self.problem(
                    node,
                    path,
                    f"unknown key {key!r}{hint}",
                    expected_names(key, allowed),
                    place=node.key_places[key],
                )
        for key in required:
            if key not in node.value:
                self.problem(node, path, f"missing key {key!r}", f"a value for {key!r}")
        return node.value

    def items(self, node: Node, path: str) -> list[Node]:
        if node.value is None:
            return []
        if not isinstance(node.value, list):
            self.problem(node, path, "expected a list", got=_got(node))
            return []
        return list(node.value)

    def text(self, node: Node, path: str) -> str | None:
        if isinstance(node.value, str) and node.value.strip():
            return node.value
        hint = "; quote it" if isinstance(node.value, int | float) else ""
        self.problem(node, path, f"expected non-empty text{hint}", got=_got(node))
        return None

    def optional_text(self, node: Node, path: str) -> str | None:
        if isinstance(node.value, str):
            return node.value
        self.problem(node, path, "expected text", got=_got(node))
        return None

    def integer(self, node: Node, path: str) -> int | None:
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        self.problem(node, path, "expected a whole number", got=_got(node))
        return None

    def number(self, node: Node, path: str) -> float | None:
        if isinstance(node.value, int | float) and not isinstance(node.value, bool):
            if math.isfinite(node.value):
                return node.value
            self.problem(
                node, path, "expected a finite number (not infinity or NaN)", got=_got(node)
            )
            return None
        self.problem(node, path, "expected a number", got=_got(node))
        return None

    def boolean(self, node: Node, path: str) -> bool | None:
        if isinstance(node.value, bool):
            return node.value
        self.problem(node, path, "expected true or false", got=_got(node))
        return None

    def texts(self, node: Node, path: str) -> tuple[str, ...] | None:
        if not isinstance(node.value, list):
            self.problem(node, path, "expected a list", got=_got(node))
            return None
        out = [self.text(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        return None if None in out else tuple(o for o in out if o is not None)

    def duration(self, node: Node, path: str) -> timedelta | None:
        """
        A duration, at most ``LONGEST_PERIOD`` (checked in integers, before a
        timedelta is built: timedelta overflows past 999,999,999 days).
        """
        match = _DURATION.fullmatch(node.value) if isinstance(node.value, str) else None
        if match is None or not any(match.groups()):
            self.problem(node, path, "not a duration", _DURATION_FORM, _got(node))
            return None
        numbers = [_small_int(g or "0") for g in match.groups()]
        seconds = sum(
            n * unit for n, unit in zip(numbers, (86_400, 3_600, 60, 1), strict=True) if n
        )
        if None in numbers or seconds > LONGEST_PERIOD.total_seconds():
            self.problem(
                node,
                path,
                f"the duration is longer than the longest supported period "
                f"({LONGEST_PERIOD.days} days)",
                f"at most {LONGEST_PERIOD.days}d",
                _got(node),
            )
            return None
        return timedelta(seconds=seconds)

    def clause(self, node: Node, path: str) -> Clause | None:
        fields = self.mapping(node, path, ("ref", "text"), ())
        if fields is None or "ref" not in fields or "text" not in fields:
            return None
        ref = self.text(fields["ref"], f"{path}.ref")
        text = self.text(fields["text"], f"{path}.text")
        return Clause(ref, text) if ref is not None and text is not None else None

    def condition(self, node: Node, path: str, depth: int = 0) -> Condition | None:
        """
        An expression, or ``{all: [...]}``, ``{any: [...]}``, ``{not: ...}``
        around conditions; *depth* is how many of those enclose this one
        (all levels together at most ``CONDITION_DEPTH``).
        """
        if isinstance(node.value, str):
            try:
                return parse_condition(node.value, self.measures, self.facts, depth=depth)
            except ExpressionError as exc:
                place = None
                if node.text_column is not None:
                    place = (node.line, node.text_column + exc.offset)
                self.problem(
                    node,
                    path,
                    f"{exc.message} (at character {exc.offset + 1} of the condition)",
                    exc.expected,
                    place=place,
                )
                return None
        if isinstance(node.value, dict) and len(node.value) == 1:
            ((word, inner),) = node.value.items()
            sub = _join(path, word)
            if word in ("not", "all", "any") and depth >= CONDITION_DEPTH:
                self.problem(
                    node,
                    path,
                    f"the condition nests deeper than {CONDITION_DEPTH} levels",
                    f"at most {CONDITION_DEPTH} levels of all, any, not, and, or and parentheses",
                )
                return None
            if word == "not":
                item = self.condition(inner, sub, depth + 1)
                return Not(item) if item is not None else None
            if word in ("all", "any"):
                items = [
                    self.condition(n, f"{sub}[{i}]", depth + 1)
                    for i, n in enumerate(self.items(inner, sub))
                ]
                if not items:
                    self.problem(inner, sub, f"'{word}' needs at least one condition")
                if not items or None in items:
                    return None
                parts = tuple(i for i in items if i is not None)
                return AllOf(parts) if word == "all" else AnyOf(parts)
        self.problem(
            node,
            path,
            "expected a condition",
            "an expression such as 'clicks_1d > 1000', or a mapping with one key: all, any or not",
            _got(node),
        )
        return None

    def offset(self, node: Node, path: str) -> Offset | None:
        if isinstance(node.value, str):
            if _has_long_number(node.value):
                self.problem(node, path, _PERIOD_TOO_LONG, _PERIOD_BOUND, _got(node))
                return None
            try:
                return parse_offset(node.value)
            except ValueError:
                pass
        self.problem(node, path, "not a period", OFFSET_FORM, _got(node))
        return None

    def anchor(self, node: Node, path: str) -> Anchor | None:
        text = self.text(node, path)
        if text is None:
            return None
        if _has_long_number(text):
            self.problem(node, path, _PERIOD_TOO_LONG, _PERIOD_BOUND, _got(node))
            return None
        try:
            return parse_anchor(text)
        except (TypeError, ValueError) as exc:
            self.problem(node, path, _reason(exc), _ANCHOR_FORM)
            return None

    def deadline(self, node: Node, path: str) -> Deadline | None:
        fields = self.mapping(node, path, ("anchor",), _DEADLINE_OPTIONAL)
        if fields is None or "anchor" not in fields:
            return None
        ok = True
        values: dict[str, Any] = {}
        for key, value_node in fields.items():
            if key not in _DEADLINE_KEYS:
                ok = ok and key == "anchor"  # unknown keys are already reported
                continue
            value = self.read(_DEADLINE_KEYS[key], value_node, f"{path}.{key}")
            ok = ok and value is not None
            values[key] = value
        anchor = self.anchor(fields["anchor"], f"{path}.anchor")
        if anchor is None or not ok:
            return None
        implied = [
            kind
            for key, kind in (
                ("within", "offset"),
                ("every", "recurring"),
                ("per_day", "recurring"),
            )
            if key in values
        ]
        if "until" in values and not implied:
            implied = ["until"]
        kind = values.get("kind")
        if kind is not None and implied and kind != implied[0]:
            self.problem(
                fields["kind"],
                f"{path}.kind",
                f"kind {kind!r} contradicts the keys given",
                f"no 'kind', or kind {implied[0]!r}",
            )
            return None
        if len(set(implied)) > 1 or ("every" in values and "per_day" in values):
            self.problem(node, path, "a deadline has one of 'within', 'every' or 'per_day'")
            return None
        kind = kind or (implied[0] if implied else "none")
        options = {k: values[k] for k in _OFFSET_OPTIONS if k in values}
        offset = None
        if "within" in values:
            try:
                offset = attrs.evolve(values["within"], **options)
            except (TypeError, ValueError) as exc:
                self.problem(node, path, _reason(exc))
                return None
        elif options:
            self.problem(
                node,
                path,
                f"{sorted(options)} only go with 'within'",
                "a 'within' period, or none of these keys",
            )
            return None
        recurrence = None
        until = values.get("until")
        if kind == "recurring":
            recurrence = self.build(
                Recurrence,
                node,
                path,
                every=values.get("every"),
                per_day=values.get("per_day"),
                until=until,
            )
            if recurrence is None:
                return None
            until = None
        built: Deadline | None = self.build(
            Deadline,
            node,
            path,
            anchor=anchor,
            kind=kind,
            offset=offset,
            until=until,
            recurrence=recurrence,
            extension=values.get("extension"),
        )
        return built

    def extension(self, node: Node, path: str) -> Extension | None:
        fields = self.fields(node, path, _EXTENSION_SPEC)
        if fields is None:
            return None
        built: Extension | None = self.build(Extension, node, path, **fields)
        return built

    def window(self, node: Node, path: str) -> Window | None:
        if node.value in ("cumulative", "calendar_day"):
            return Window(node.value)
        if isinstance(node.value, dict):
            fields = self.mapping(node, path, ("sustained_days",), ())
            if fields is None or "sustained_days" not in fields:
                return None
            days = self.integer(fields["sustained_days"], f"{path}.sustained_days")
            if days is None:
                return None
            built: Window | None = self.build(Window, node, path, kind="sustained", days=days)
            return built
        length = self.duration(node, path)
        if length is None and self.problems[-1].message == "not a duration":
            self.problems[-1] = attrs.evolve(
                self.problems[-1],
                expected=f"'cumulative', 'calendar_day', {{sustained_days: N}}, or "
                f"{_DURATION_FORM} for a rolling window",
            )
        if length is None:
            return None
        window: Window | None = self.build(Window, node, path, kind="rolling", length=length)
        return window

    def clock_time(self, node: Node, path: str) -> time | None:
        """
        A time of day written ``HH:MM``; ``24:00`` is the end of the day.
        """
        match = _TIME.fullmatch(node.value) if isinstance(node.value, str) else None
        if match is not None:
            hour, minute = int(match[1]), int(match[2])
            if hour == 24 and minute == 0:
                return _MIDNIGHT_END
            if hour < 24 and minute < 60:
                return time(hour, minute)
        hint = (
            "; quote it: YAML reads an unquoted 17:30 as a number"
            if isinstance(node.value, int)
            else ""
        )
        self.problem(
            node, path, f"not a time of day{hint}", "'HH:MM', e.g. '17:30' or '24:00'", _got(node)
        )
        return None

    def day_end(self, node: Node, path: str) -> time | None:
        """
        ``None`` for 24:00 (the plan default) and for errors (recorded).
        """
        value = self.clock_time(node, path)
        if value == time(0):
            self.problem(
                node, path, "a day cannot end at 00:00", "'24:00' or a time such as '17:30'"
            )
            return None
        return None if value == _MIDNIGHT_END else value

    def hours(self, node: Node, path: str) -> tuple[tuple[time, time], ...] | None:
        out = []
        for i, item in enumerate(self.items(node, path)):
            text = item.value if isinstance(item.value, str) else None
            parts = text.split("-") if text is not None else []
            if len(parts) != 2:
                self.problem(
                    item,
                    f"{path}[{i}]",
                    "not a working period",
                    "'HH:MM-HH:MM', e.g. '09:00-12:00'",
                    _got(item),
                )
                return None
            ends = [
                self.clock_time(Node(p.strip(), item.line, item.column), f"{path}[{i}]")
                for p in parts
            ]
            start, stop = ends
            if start is None or stop is None:
                return None
            if _MIDNIGHT_END in (start, stop):
                self.problem(
                    item,
                    f"{path}[{i}]",
                    "working periods end before midnight",
                    "'HH:MM-HH:MM' within one day",
                    _got(item),
                )
                return None
            out.append((start, stop))
        return tuple(out)

    def day(self, node: Node, path: str) -> date | None:
        value = node.value
        if type(value) is date:
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(node, path, "not a date", "'YYYY-MM-DD', e.g. '2025-01-28'", _got(node))
        return None

    def calendar(self, node: Node, path: str) -> WorkingCalendar | None:
        if node.value == "china":
            return ChinaCalendar()
        if (
            isinstance(node.value, dict)
            and node.value.get("name", Node(None, 0, 0)).value == "china"
        ):
            fields = self.mapping(node, path, ("name",), ("hours", "schedules"))
            if fields is None:
                return None
            hours = self.hours(fields["hours"], f"{path}.hours") if "hours" in fields else ()
            schedules: list[YearSchedule | None] = [
                self.schedule(item, f"{path}.schedules[{i}]")
                for i, item in enumerate(
                    self.items(fields["schedules"], f"{path}.schedules")
                    if "schedules" in fields
                    else []
                )
            ]
            if hours is None or None in schedules:
                return None
            china: ChinaCalendar | None = self.build(
                ChinaCalendar, node, path, hours=hours, schedules=schedules
            )
            return china
        if not isinstance(node.value, dict):
            self.problem(node, path, "not a calendar", _CALENDAR_FORM, _got(node))
            return None
        fields = self.mapping(
            node, path, ("name", "years"), ("holidays", "workdays", "weekend", "hours")
        )
        if fields is None or "name" not in fields or "years" not in fields:
            return None
        name = self.text(fields["name"], f"{path}.name")
        years = [
            self.integer(n, f"{path}.years[{i}]")
            for i, n in enumerate(self.items(fields["years"], f"{path}.years"))
        ]
        if len(years) != 2:
            self.problem(
                fields["years"],
                f"{path}.years",
                "expected [first year, last year]",
                "e.g. [2025, 2026]",
                _got(fields["years"]),
            )
            return None
        days = {
            key: [
                self.day(n, f"{path}.{key}[{i}]")
                for i, n in enumerate(self.items(fields[key], f"{path}.{key}"))
            ]
            for key in ("holidays", "workdays")
            if key in fields
        }
        weekend = None
        if "weekend" in fields:
            weekend = [
                self.integer(n, f"{path}.weekend[{i}]")
                for i, n in enumerate(self.items(fields["weekend"], f"{path}.weekend"))
            ]
        hours = self.hours(fields["hours"], f"{path}.hours") if "hours" in fields else ()
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
        data: DataCalendar | None = self.build(
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

    def schedule(self, node: Node, path: str) -> YearSchedule | None:
        """
        One of a China calendar's ``schedules``: a year schedule file named
        relative to this file (confined like ``extends``), or written inline.
        """
        if isinstance(node.value, dict):
            return self.year_schedule(node, path)
        name = self.text(node, path)
        if name is None:
            return None
        target = self.confined(node, name, path, "year schedule file")
        if target is None:
            return None
        written = Path(name)
        shown = os.path.normpath(Path(self.source).parent / written)
        try:
            text = read_plan_bytes(target, shown, follow_last_link=False, noun="year schedule file")
            root = parse_document(text, SUFFIXES[written.suffix.lower()])
        except PlanLoadError as exc:
            self.problem(node, path, f"the year schedule cannot be read: {_reason(exc)}")
            return None
        except FileSyntaxError as exc:
            where = f"{shown}:{exc.line}:{exc.column}"
            self.problem(node, path, f"the year schedule cannot be read: {where}: {exc.message}")
            return None
        # Its own problems are located in its own file.
        reader = _Reader(shown, target.parent, attrs.evolve(self.load, allowed=()))
        schedule = reader.year_schedule(root, "")
        self.problems.extend(reader.problems)
        return schedule if not reader.problems else None

    def year_schedule(self, node: Node, path: str) -> YearSchedule | None:
        """
        A year of the State Council's holiday notice: ``{year, source,
        festivals: [{name, days_off, workdays}]}``.
        """
        fields = self.mapping(node, path, ("year", "source", "festivals"), ())
        if fields is None or not {"year", "source", "festivals"} <= fields.keys():
            return None
        year = self.integer(fields["year"], _join(path, "year"))
        source = self.text(fields["source"], _join(path, "source"))
        where = _join(path, "festivals")
        festivals = [
            self.festival(item, f"{where}[{i}]")
            for i, item in enumerate(self.items(fields["festivals"], where))
        ]
        if year is None or source is None or None in festivals:
            return None
        # Completeness is about the festivals: a problem with the whole year
        # is placed at that key.
        built: YearSchedule | None = self.build(
            YearSchedule, fields["festivals"], where, year=year, source=source, festivals=festivals
        )
        return built

    def festival(self, node: Node, path: str) -> Festival | None:
        fields = self.mapping(node, path, ("name", "days_off"), ("workdays",))
        if fields is None or not {"name", "days_off"} <= fields.keys():
            return None
        names_node = fields["name"]
        if isinstance(names_node.value, list):
            names = self.texts(names_node, f"{path}.name")
        else:
            name = self.text(names_node, f"{path}.name")
            names = None if name is None else (name,)
        off_node = fields["days_off"]
        off: tuple[date | None, date | None]
        if isinstance(off_node.value, list):
            days = [self.day(n, f"{path}.days_off[{i}]") for i, n in enumerate(off_node.value)]
            if len(days) != 2:
                self.problem(
                    off_node,
                    f"{path}.days_off",
                    "expected one day or [first day, last day]",
                    _FESTIVAL,
                )
                return None
            off = (days[0], days[1])
        else:
            day = self.day(off_node, f"{path}.days_off")
            off = (day, day)
        work = [
            self.day(n, f"{path}.workdays[{i}]")
            for i, n in enumerate(
                self.items(fields["workdays"], f"{path}.workdays") if "workdays" in fields else []
            )
        ]
        if names is None or None in off or None in work:
            return None
        festival: Festival | None = self.build(
            Festival, node, path, names=names, days_off=off, workdays=work
        )
        return festival

    def owners(self, node: Node, path: str) -> tuple[Assignment, ...] | None:
        """
        ``[role, {role: r, duty: lead}, ...]``.
        """
        if not isinstance(node.value, list) or not node.value:
            self.problem(node, path, "expected a non-empty list of owners", _OWNER_FORM, _got(node))
            return None
        out: list[Assignment | None] = []
        for i, item in enumerate(node.value):
            where = f"{path}[{i}]"
            if isinstance(item.value, str):
                out.append(self.build(Assignment, item, where, role=item.value))
                continue
            fields = self.fields(item, where, {"role": ("text", True), "duty": ("text", False)})
            out.append(None if fields is None else self.build(Assignment, item, where, **fields))
        return None if None in out else tuple(a for a in out if a is not None)

    def routing(self, node: Node, path: str) -> tuple[Routing, ...] | None:
        out: list[Routing | None] = []
        for i, item in enumerate(self.items(node, path)):
            where = f"{path}[{i}]"
            fields = self.fields(
                item,
                where,
                {"when": ("condition", True), "owners": ("owners", True), "clause": _CLAUSE},
            )
            if fields is None:
                out.append(None)
                continue
            fields["condition"] = fields.pop("when")
            out.append(self.build(Routing, item, where, **fields))
        return None if None in out else tuple(r for r in out if r is not None)

    def grading(self, node: Node, path: str) -> Grading | None:
        fields = self.fields(node, path, _GRADING)
        if fields is None:
            return None
        grading: Grading | None = self.build(Grading, node, path, **fields)
        return grading

    def deescalation(self, node: Node, path: str) -> tuple[Deescalation, ...] | None:
        out = []
        for i, item in enumerate(self.items(node, path)):
            fields = self.fields(item, f"{path}[{i}]", _DEESCALATION)
            out.append(
                None if fields is None else self.build(Deescalation, item, f"{path}[{i}]", **fields)
            )
        return None if None in out else tuple(r for r in out if r is not None)

    def closure(self, node: Node, path: str) -> Closure | None:
        fields = self.fields(node, path, _CLOSURE)
        closure: Closure | None = (
            None if fields is None else self.build(Closure, node, path, **fields)
        )
        return closure

    def build(self, cls: Callable[..., Any], node: Node, path: str, **kwargs: Any) -> Any:
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            self.problem(node, path, _reason(exc))
            return None

    # -- sections --

    def fields(
        self, node: Node, path: str, spec: dict[str, tuple[str, bool]]
    ) -> dict[str, Any] | None:
        """
        Read a mapping whose keys are model fields; *spec* maps each key to
        (kind, required).  Returns the keyword arguments, or None if any
        field was wrong (its problem is recorded).
        """
        raw = self.mapping(
            node,
            path,
            tuple(k for k, (_, req) in spec.items() if req),
            tuple(k for k, (_, req) in spec.items() if not req),
        )
        if raw is None:
            return None
        out: dict[str, Any] = {}
        ok = all(k in raw for k, (_, req) in spec.items() if req)
        for key, value_node in raw.items():
            if key not in spec:
                ok = False
                continue
            kind = spec[key][0]
            value = self.read(kind, value_node, _join(path, key))
            if value is None:
                ok = False
            out[key] = value
        return out if ok else None

    def read(self, kind: str, node: Node, path: str) -> Any:
        match kind:
            case "text":
                return self.text(node, path)
            case "optional_text":
                return self.optional_text(node, path)
            case "int":
                return self.integer(node, path)
            case "number":
                return self.number(node, path)
            case "bool":
                return self.boolean(node, path)
            case "texts":
                return self.texts(node, path)
            case "clause":
                return self.clause(node, path)
            case "condition":
                return self.condition(node, path)
            case "deadline":
                return self.deadline(node, path)
            case "window":
                return self.window(node, path)
            case "duration":
                return self.duration(node, path)
            case "offset":
                return self.offset(node, path)
            case "extension":
                return self.extension(node, path)
            case "calendar":
                return self.calendar(node, path)
            case "day_end":
                return self.day_end(node, path)
            case "owners":
                return self.owners(node, path)
            case "routing":
                return self.routing(node, path)
            case "grading":
                return self.grading(node, path)
            case "extends":
                return self.text(node, path)
            case "deescalation":
                return self.deescalation(node, path)
            case "closure":
                return self.closure(node, path)
            case "positive_int":
                value = self.integer(node, path)
                if value is not None and value < 1:
                    self.problem(node, path, "must be at least 1", got=_got(node))
                    return None
                return value
            case "clock":
                text = self.text(node, path)
                if text is not None and text not in CLOCKS:
                    self.problem(
                        node, path, f"unknown clock {text!r}", expected_names(text, CLOCKS)
                    )
                    return None
                return text
        raise AssertionError(kind)  # pragma: no cover

    def section(
        self,
        root: dict[str, Node],
        key: str,
        cls: Callable[..., Any],
        spec: dict[str, tuple[str, bool]],
    ) -> list[tuple[int, Any]]:
        """
        Build every item of a list section; returns (index in the file, item)
        for the items that could be built.
        """
        if key not in root:
            return []
        out = []
        for i, item in enumerate(self.items(root[key], key)):
            path = f"{key}[{i}]"
            kwargs = self.fields(item, path, spec)
            if kwargs is not None and cls is Action and kwargs.get("owners") is not None:
                owners = kwargs["owners"]
                kwargs["owners"] = tuple(a.role for a in owners)
                kwargs["assignments"] = tuple(a for a in owners if a.duty)
            if kwargs is not None:
                built = self.build(cls, item, path, **kwargs)
                if built is not None:
                    out.append((i, built))
        return out

    def declared_ids(self, root: dict[str, Node], key: str) -> dict[str, object]:
        # Conditions name measures and facts; collect the ids first so an
        # error in one measure does not also make every condition using it fail.
        ids: dict[str, object] = {}
        if key in root and isinstance(root[key].value, list):
            for item in root[key].value:
                if isinstance(item.value, dict) and isinstance(
                    item.value.get("id", Node(None, 0, 0)).value, str
                ):
                    ids[item.value["id"].value] = item
        return ids

    def extending_plan(self, node: Node) -> Plan | None:
        """
        A plan file with ``extends: <path>``: the base plan file (relative
        to this one) with this file's items merged in by id.
        """
        root = self.mapping(node, "", ("extends",), (*_PLAN_REQUIRED, *_PLAN_OPTIONAL, "remove"))
        if root is None:
            return None
        base = self.base_plan(root["extends"])
        if base is None:
            return None
        self.measures = {m.id: m for m in base.measures} | self.declared_ids(root, "measures")
        self.facts = {f.id: f for f in base.facts} | self.declared_ids(root, "facts")
        changes: dict[str, Any] = {}
        for key, kind in _PLAN_SCALARS.items():
            if key in root:
                changes[key] = self.read(kind, root[key], key)
        if "metrics" in root:
            changes["metrics"] = self.texts(root["metrics"], "metrics")
        sections = {
            key: self.section(root, key, cls, spec) for key, (cls, spec) in _SECTIONS.items()
        }
        changes.update({k: [item for _, item in v] for k, v in sections.items() if k in root})
        remove: dict[str, tuple[str, ...]] = {}
        if "remove" in root:
            raw = self.mapping(root["remove"], "remove", (), ID_SECTIONS)
            for key, value in (raw or {}).items():
                ids = self.texts(value, f"remove.{key}") if key in ID_SECTIONS else None
                if ids is not None:
                    remove[key] = ids
        if self.problems:
            return None
        try:
            return base.extend(remove=remove, **{k: v for k, v in changes.items() if v is not None})
        except PlanValidationError as exc:
            index = dict(_index(node, ""))
            for problem in exc.problems:
                local = _local_path(problem.path, sections)
                target = nearest(index, local) if local else None
                path, message = local or problem.path, problem.message
                if target is None:
                    # An inherited item broke: point at the extends line.
                    path, target = problem.path, root["extends"]
                    message += " (inherited from the base plan)"
                self.problems.append(
                    attrs.evolve(
                        problem,
                        path=path,
                        message=message,
                        file=self.source,
                        line=target.line,
                        column=target.column,
                    )
                )
            return None

    def base_plan(self, node: Node) -> Plan | None:
        """
        Read the plan file ``extends`` names, confined to the allowed
        folders; every reason it cannot be used is a problem at this node.
        """
        name = self.text(node, "extends")
        if name is None:
            return None
        target = self.confined(node, name)
        if target is None:
            return None
        if target in self.load.chain:
            self.problem(
                node, "extends", f"plans extend each other in a cycle through {_clip(name)}"
            )
            return None
        if self.load.depth >= EXTENDS_DEPTH:
            self.problem(
                node,
                "extends",
                f"the chain of plans extending one another is longer than {EXTENDS_DEPTH} files",
                f"at most {EXTENDS_DEPTH} plan files in one chain",
            )
            return None
        written = Path(name)
        shown = os.path.normpath(Path(self.source).parent / written)
        load = attrs.evolve(self.load, chain=(*self.load.chain, target), depth=self.load.depth + 1)
        try:
            # The target has no links left: refuse one put there since.
            text = read_plan_bytes(target, shown, follow_last_link=False)
            return _read(text, SUFFIXES[written.suffix.lower()], shown, target.parent, load)
        except PlanValidationError as exc:
            for problem in exc.problems:
                self.problem(node, "extends", f"the base plan has a problem: {problem}")
            return None
        except PlanError as exc:
            self.problem(node, "extends", f"the base plan cannot be loaded: {_reason(exc)}")
            return None

    def confined(
        self, node: Node, name: str, path: str = "extends", what: str = "plan file"
    ) -> Path | None:
        """
        The real path of the *what* (a plan or year schedule file) *name*,
        relative to this file's folder, or ``None`` with a problem at *path*
        if it is not such a file or leaves the allowed folders (after
        following symlinks).
        """
        if Path(name).suffix.lower() not in SUFFIXES:
            self.problem(
                node,
                path,
                f"{_clip(name)!r} is not a {what}",
                f"a path ending in one of {list(SUFFIXES)}",
            )
            return None
        try:
            target = Path(os.path.realpath(self.folder / name))
        except (OSError, ValueError) as exc:  # pragma: no cover - texts are checked on reading
            self.problem(node, path, f"{_clip(name)!r} is not a usable path: {_reason(exc)}")
            return None
        if self.load.allows(target):
            return target
        if not self.load.allowed:
            self.problem(
                node,
                path,
                f"a plan read from text may "
                f"{'extend only plan files' if path == 'extends' else 'read files only'} "
                f"in allowed folders, and none were given ({path} {_clip(name)!r})",
                "read_plan_text(..., allowed_dirs=[folder]), or load the plan from its file",
            )
            return None
        folders = ", ".join(str(folder) for folder in self.load.allowed)
        self.problem(
            node,
            path,
            f"{_clip(name)!r} is outside the folders plans may "
            f"{'extend' if path == 'extends' else 'read files'} from ({folders})",
            f"a {what} in one of them; the host can allow more folders "
            "(--allow-dir DIR, or allowed_dirs=[...])",
        )
        return None

    def plan(self, node: Node) -> Plan | None:
        if isinstance(node.value, dict) and "extends" in node.value:
            return self.extending_plan(node)
        root = self.mapping(node, "", _PLAN_REQUIRED, _PLAN_OPTIONAL)
        if root is None:
            return None
        self.measures = self.declared_ids(root, "measures")
        self.facts = self.declared_ids(root, "facts")
        top: dict[str, Any] = {}
        for key, kind in _PLAN_SCALARS.items():
            if key in root:
                top[key] = self.read(kind, root[key], key)
        if isinstance(top.get("timezone"), str):
            top["timezone"] = self.timezone(root["timezone"], top["timezone"])
        if "metrics" in root:
            top["metrics"] = self.texts(root["metrics"], "metrics")
        if "local" in root:
            top["local"] = self.texts(root["local"], "local")
        sections = {
            key: self.section(root, key, cls, spec) for key, (cls, spec) in _SECTIONS.items()
        }
        # Check the whole plan even when some parts failed, so one pass
        # reports everything: failed scalars get placeholders, failed items
        # are left out, and cross-references to items that exist in the file
        # but failed to build are not reported twice.
        partial = bool(self.problems)
        for key in _PLAN_REQUIRED:
            if key in _PLAN_SCALARS and top.get(key) is None:
                top[key] = "?"
        known_ids = {
            item.value["id"].value
            for key in _SECTIONS
            for item in (
                root[key].value if key in root and isinstance(root[key].value, list) else []
            )
            if isinstance(item.value, dict)
            and "id" in item.value
            and isinstance(item.value["id"].value, str)
        }
        try:
            arguments: dict[str, Any] = {k: v for k, v in top.items() if v is not None}
            arguments.update({key: [item for _, item in items] for key, items in sections.items()})
            plan = Plan(**arguments)
        except PlanValidationError as exc:
            index = dict(_index(node, ""))
            for problem in exc.problems:
                path = _file_path(problem.path, sections)
                if partial and _refers_to(problem.message, known_ids):
                    continue
                target = nearest(index, path) or node
                self.problems.append(
                    attrs.evolve(
                        problem, path=path, file=self.source, line=target.line, column=target.column
                    )
                )
            return None
        except (TypeError, ValueError) as exc:
            self.problem(node, "", _reason(exc))
            return None
        return None if partial else plan

    def timezone(self, node: Node, name: str) -> str | None:
        problem = timezone_problem(name)
        if problem is not None:
            self.problem(
                node,
                "timezone",
                f"unknown timezone {name!r}"
                if len(name) <= TIMEZONE_CHARACTERS
                else f"the timezone name is longer than {TIMEZONE_CHARACTERS} characters",
                "an IANA name such as 'Asia/Shanghai'",
            )
            return None
        return name


_REFERENCE = re.compile(
    r"(?:grade|category|role|action|measure|fact|parameter) '(\w+)' is not (?:defined|declared)"
)


_PERIOD_TOO_LONG = (
    f"the period is longer than the longest supported period ({LONGEST_PERIOD.days} days)"
)
_PERIOD_BOUND = f"at most {LONGEST_PERIOD.days}d, or {MOST_WORKING_DAYS}wd"
# More significant digits than any bounded period or duration has.
_SIGNIFICANT = 15
_DIGITS = re.compile(r"\d+")


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _small_int(digits: str) -> int | None:
    """
    *digits* as an int, or ``None`` if it has more than 15 significant
    digits (far past every bound, and never read into a huge int).
    """
    significant = digits.lstrip("0")
    return None if len(significant) > _SIGNIFICANT else int(significant or "0")


def _has_long_number(text: str) -> bool:
    return any(_small_int(m.group()) is None for m in _DIGITS.finditer(text))


def _local_path(path: str, sections: Mapping[str, list[tuple[int, Any]]]) -> str | None:
    """
    ``actions.report_major.deadline`` → ``actions[2].deadline`` when the
    extending file defines that item (its position in the file), else None.
    """
    match = re.match(r"^([a-z]+)\.([A-Za-z][A-Za-z0-9_]*)(.*)$", path)
    if match is None:
        return path
    section, item_id, rest = match.groups()
    if section == "plan":
        return item_id + rest
    for position, item in sections.get(section, []):
        if getattr(item, "id", None) == item_id:
            return f"{section}[{position}]{rest}"
    return None


def _refers_to(message: str, ids: set[str]) -> bool:
    match = _REFERENCE.search(message)
    return bool(match and match[1] in ids)


def _file_path(path: str, sections: dict[str, list[tuple[int, Any]]]) -> str:
    # The model numbers only the items that were built; map back to the file.
    match = re.match(r"(\w+)\[(\d+)\]", path)
    if match and match[1] in sections:
        built = sections[match[1]]
        k = int(match[2])
        if k < len(built):
            return f"{match[1]}[{built[k][0]}]{path[match.end() :]}"
    return path


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _got(node: Node) -> str:
    value = node.plain()
    kind = {dict: "a mapping", list: "a list", str: "text", bool: "a bool", type(None): "nothing"}
    name = kind.get(type(value), type(value).__name__)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return f"{text[:60]}{'…' if len(text) > 60 else ''}, {name}"


def _reason(exc: BaseException) -> str:
    return str(exc).replace("\n", " ")


def _index(node: Node, path: str) -> Iterator[tuple[str, Node]]:
    yield path, node
    if isinstance(node.value, dict):
        for key, child in node.value.items():
            yield from _index(child, _join(path, key))
    elif isinstance(node.value, list):
        for i, child in enumerate(node.value):
            yield from _index(child, f"{path}[{i}]")


def nearest(index: Mapping[str, T], path: str) -> T | None:
    """
    The entry for *path* in *index*, or for its closest enclosing path
    (``actions[2].owners[0]`` -> ``actions[2].owners`` -> ``actions[2]`` …).
    """
    while path:
        if path in index:
            return index[path]
        shorter = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
        if shorter == path:  # a top-level name the file lacks: the root is nearest
            return None
        path = shorter
    return None


_CLAUSE = ("clause", False)
_DEESCALATION = {
    "id": ("text", True),
    "to": ("text", True),
    "event": ("text", False),
    "measure": ("text", False),
    "below": ("number", False),
    "consecutive": ("positive_int", False),
    "cancel_started": ("bool", False),
    "clause": _CLAUSE,
}
_CLOSURE = {"event": ("text", True), "cancel_started": ("bool", False), "clause": _CLAUSE}
_GRADING = {
    "drive": ("text", False),
    "asserted_by": ("texts", False),
    "regrade": ("text", False),
    "deescalation": ("deescalation", False),
    "closure": ("closure", False),
    "clause": _CLAUSE,
}
_OWNER_FORM = "role ids, or mappings {role: <role id>, duty: primary|lead|support|coordinate}"
_SECTIONS: dict[str, tuple[Callable[..., Any], dict[str, tuple[str, bool]]]] = {
    "parameters": (
        Parameter,
        {
            "id": ("text", True),
            "label": ("text", True),
            "value": ("number", False),
            "unit": ("optional_text", False),
            "clause": _CLAUSE,
        },
    ),
    "roles": (
        Role,
        {"id": ("text", True), "name": ("text", True), "name_en": ("optional_text", False)},
    ),
    "measures": (
        Measure,
        {
            "id": ("text", True),
            "metric": ("text", True),
            "window": ("window", True),
            "aggregate": ("text", False),
            "channels": ("texts", False),
            "label": ("optional_text", False),
        },
    ),
    "facts": (
        FactSpec,
        {
            "id": ("text", True),
            "type": ("text", False),
            "choices": ("texts", False),
            "ordered": ("bool", False),
            "label": ("optional_text", False),
            "clause": _CLAUSE,
            "judgement": ("bool", False),
        },
    ),
    "grades": (
        Grade,
        {
            "id": ("text", True),
            "name": ("text", True),
            "name_en": ("optional_text", False),
            "rank": ("int", True),
            "criteria": ("condition", True),
            "clause": _CLAUSE,
        },
    ),
    "categories": (
        Category,
        {
            "id": ("text", True),
            "name": ("text", True),
            "name_en": ("optional_text", False),
            "condition": ("condition", False),
            "clause": _CLAUSE,
            "other": ("bool", False),
        },
    ),
    "principles": (
        Principle,
        {"id": ("text", True), "name": ("text", True), "text": ("text", True), "clause": _CLAUSE},
    ),
    "actions": (
        Action,
        {
            "id": ("text", True),
            "title": ("text", True),
            "owners": ("owners", True),
            "channel": ("text", True),
            "condition": ("condition", False),
            "deadline": ("deadline", True),
            "clause": _CLAUSE,
            "stage": ("optional_text", False),
            "routing": ("routing", False),
            "overrides": ("texts", False),
            "family": ("optional_text", False),
        },
    ),
    "notes": (Note, {"clause": ("clause", True), "reason": ("text", True)}),
    "events": (
        EventSpec,
        {"id": ("text", True), "label": ("optional_text", False), "clause": _CLAUSE},
    ),
    "chains": (
        ReportChain,
        {
            "id": ("text", True),
            "title": ("text", True),
            "hops": ("texts", True),
            "bound": ("offset", False),
            "clause": _CLAUSE,
        },
    ),
}
_PLAN_SCALARS = {
    "id": "text",
    "title": "text",
    "issuer": "text",
    "version": "text",
    "source": "text",
    "timezone": "text",
    "immediate_tolerance": "duration",
    "prompt_tolerance": "duration",
    "calendar": "calendar",
    "day_end": "day_end",
    "grading": "grading",
    "base": "text",
}
_PLAN_REQUIRED = ("id", "title", "issuer", "version", "source", "roles", "grades", "actions")
_PLAN_OPTIONAL = tuple(
    k for k in (*_PLAN_SCALARS, "metrics", "local", *_SECTIONS) if k not in _PLAN_REQUIRED
)


# -- writing ----------------------------------------------------------------------


def plan_to_data(plan: Plan) -> dict[str, Any]:
    """
    The plan as plain data in the file layout, defaults left out.
    """
    out: dict[str, Any] = {
        "id": plan.id,
        "title": plan.title,
        "issuer": plan.issuer,
        "version": plan.version,
        "source": plan.source,
        "timezone": plan.timezone,
    }
    if plan.immediate_tolerance:
        out["immediate_tolerance"] = _duration_text(plan.immediate_tolerance)
    if plan.prompt_tolerance is not None:
        out["prompt_tolerance"] = _duration_text(plan.prompt_tolerance)
    if plan.calendar is not None:
        out["calendar"] = _calendar_to_data(plan.calendar)
    if plan.day_end is not None:
        out["day_end"] = plan.day_end.strftime("%H:%M")
    if plan.metrics:
        out["metrics"] = list(plan.metrics)
    if not plan.grading.is_default():
        out["grading"] = _grading_to_data(plan.grading)
    if plan.base is not None:
        # A merged plan keeps where it came from (written out, not read as extends).
        out["base"] = plan.base
        out["local"] = sorted(plan.local)
    groups = {
        "parameters": plan.parameters,
        "roles": plan.roles,
        "measures": plan.measures,
        "facts": plan.facts,
        "grades": plan.grades,
        "categories": plan.categories,
        "principles": plan.principles,
        "actions": plan.actions,
        "notes": plan.notes,
        "events": plan.events,
        "chains": plan.chains,
    }
    for key, items in groups.items():
        if items or key in _PLAN_REQUIRED:
            out[key] = [_item_to_data(item) for item in items]
    return out


def _grading_to_data(grading: Grading) -> dict[str, Any]:
    out = _item_to_data(grading)
    if grading.deescalation:
        out["deescalation"] = [_item_to_data(r) for r in grading.deescalation]
    if grading.closure is not None:
        out["closure"] = _item_to_data(grading.closure)
    return out


def _owners_to_data(owners: tuple[str, ...], duty: Callable[[str], str | None]) -> list[Any]:
    return [{"role": o, "duty": duty(o)} if duty(o) else o for o in owners]


def _item_to_data(item: Any) -> dict[str, Any]:
    if isinstance(item, Action):
        out = _fields_to_data(attrs.evolve(item, assignments=(), routing=()))
        out["owners"] = _owners_to_data(item.owners, item.duty_of)
        if item.routing:
            out["routing"] = [
                {
                    "when": to_text(r.condition),
                    "owners": _owners_to_data(
                        tuple(a.role for a in r.owners),
                        {a.role: a.duty for a in r.owners}.get,
                    ),
                    **({"clause": _value_to_data("clause", r.clause)} if r.clause else {}),
                }
                for r in item.routing
            ]
        return out
    return _fields_to_data(item)


def _fields_to_data(item: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in attrs.fields(type(item)):
        value = getattr(item, field.name)
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        if default is not attrs.NOTHING and value == default:
            continue
        out[field.name] = _value_to_data(field.name, value)
    return out


def _value_to_data(name: str, value: Any) -> Any:
    match value:
        case Clause(ref, text):
            return {"ref": ref, "text": text}
        case Window(kind="cumulative" | "calendar_day" as kind):
            return kind
        case Window(kind="sustained", days=days):
            return {"sustained_days": days}
        case Window(length=length) if length is not None:
            return _duration_text(length)
        case Deadline():
            return _deadline_to_data(value)
        case Offset():
            return value.text()
        case tuple():
            return list(value)
    if name in ("criteria", "condition"):
        return to_text(value)
    return value


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
        case "until":
            out["until"] = deadline.until
        case "recurring":
            r = deadline.recurrence
            assert r is not None  # noqa: S101 - checked at construction
            if r.every is not None:
                out["every"] = _duration_text(r.every)
            else:
                out["per_day"] = r.per_day
            if r.until is not None:
                out["until"] = r.until
        case "none":
            pass
        case kind:
            out["kind"] = kind
    if deadline.extension is not None:
        ext = deadline.extension
        out["extension"] = {"event": ext.event, "by": ext.by.text()}
        if ext.cap is not None:
            out["extension"]["cap"] = ext.cap.text()
    return out


def _calendar_to_data(calendar: WorkingCalendar) -> Any:
    hours = format_hours(calendar.hours)
    match calendar:
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
    raise ValueError(
        f"calendar {calendar.name!r} is a {type(calendar).__name__}; plan files hold only "
        "'china' and data calendars"
    )


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


def _duration_text(value: timedelta) -> str:
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


class _Dumper(yaml.SafeDumper):
    """
    Short lists of scalars in flow style (``owners: [a, b]``), the rest in
    block style, as a person would write them.
    """

    def represent_list(self, data: Any) -> yaml.SequenceNode:
        flow = all(isinstance(v, str | int | float) for v in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    def represent_dict(self, data: Any) -> yaml.MappingNode:
        flow = all(isinstance(v, str | int | float) for v in data.values()) and (
            len(json.dumps(data, ensure_ascii=False)) < 70
        )
        return self.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(list, _Dumper.represent_list)
_Dumper.add_representer(dict, _Dumper.represent_dict)


def dump_plan(plan: Plan, fmt: str = "yaml") -> str:
    """
    Write *plan* as a plan file in *fmt* (``yaml``, ``toml`` or ``json``);
    reading the text back gives an equal plan.

    .. versionadded:: 0.2.0
    """
    data = plan_to_data(plan)
    match fmt:
        case "yaml":
            return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
        case "json":
            return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        case "toml":
            return tomli_w.dumps(data)
    raise ValueError(f"unknown plan file format {fmt!r}; expected one of {FORMATS}")


# -- JSON Schema ------------------------------------------------------------------

_IDENTIFIER_PATTERN = "^[A-Za-z][A-Za-z0-9_]*$"
_DURATION_PATTERN = (
    "^\\s*(\\d+\\s*[dD])?\\s*(\\d+\\s*[hH])?\\s*(\\d+\\s*[mM])?\\s*(\\d+\\s*[sS])?\\s*$"
)


_OFFSET_PATTERN = (
    "^\\s*(\\d+\\s*[wW][dD])?\\s*(\\d+\\s*[dD])?\\s*(\\d+\\s*[hH])?\\s*(\\d+\\s*[mM])?\\s*$"
)
_TIME_PATTERN = "^\\s*\\d{1,2}:\\d{2}\\s*$"
_ANCHOR_PATTERN = "^[A-Za-z][A-Za-z0-9_]*(:[A-Za-z][A-Za-z0-9_]*(\\+[0-9A-Za-z]+)?)?$"
_HOURS_ITEM = {"type": "string", "pattern": "^\\s*\\d{1,2}:\\d{2}\\s*-\\s*\\d{1,2}:\\d{2}\\s*$"}
_DATE_ITEM = {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}
_FESTIVAL_DAYS = {
    "anyOf": [_DATE_ITEM, {"type": "array", "items": _DATE_ITEM, "minItems": 2, "maxItems": 2}]
}
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
                            {"enum": list(FESTIVALS)},
                            {"type": "array", "items": {"enum": list(FESTIVALS)}, "minItems": 1},
                        ]
                    },
                    "days_off": _FESTIVAL_DAYS,
                    "workdays": {"type": "array", "items": _DATE_ITEM},
                },
                "required": ["name", "days_off"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["year", "source", "festivals"],
    "additionalProperties": False,
}


def _kind_schema(kind: str) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1}
    condition: dict[str, Any] = {"$ref": "#/$defs/condition"}
    kinds: dict[str, dict[str, Any]] = {
        "text": text,
        "optional_text": {"type": "string"},
        "int": {"type": "integer", "minimum": 0},
        "number": {"type": "number"},
        "bool": {"type": "boolean"},
        "texts": {"type": "array", "items": text},
        "clause": {"$ref": "#/$defs/clause"},
        "condition": condition,
        "deadline": {"$ref": "#/$defs/deadline"},
        "window": {
            "anyOf": [
                {"enum": ["cumulative", "calendar_day"]},
                {"type": "string", "pattern": _DURATION_PATTERN},
                {
                    "type": "object",
                    "properties": {"sustained_days": {"type": "integer", "minimum": 1}},
                    "required": ["sustained_days"],
                    "additionalProperties": False,
                },
            ]
        },
        "duration": {"type": "string", "pattern": _DURATION_PATTERN},
        "offset": {"type": "string", "pattern": _OFFSET_PATTERN},
        "positive_int": {"type": "integer", "minimum": 1},
        "clock": {"enum": list(CLOCKS)},
        "extension": {
            "type": "object",
            "properties": {
                "event": {"type": "string", "pattern": _IDENTIFIER_PATTERN},
                "by": {"type": "string", "pattern": _OFFSET_PATTERN},
                "cap": {"type": "string", "pattern": _OFFSET_PATTERN},
            },
            "required": ["event", "by"],
            "additionalProperties": False,
        },
        "day_end": {"type": "string", "pattern": _TIME_PATTERN},
        "calendar": {"$ref": "#/$defs/calendar"},
        "extends": text,
    }
    if kind in kinds:
        return kinds[kind]
    return _lifecycle_kind_schema(kind)


def _lifecycle_kind_schema(kind: str) -> dict[str, Any]:
    match kind:
        case "owners":
            owner = {
                "anyOf": [
                    {"type": "string", "pattern": _IDENTIFIER_PATTERN},
                    {
                        "type": "object",
                        "properties": {
                            "role": {"type": "string", "pattern": _IDENTIFIER_PATTERN},
                            "duty": {"enum": list(OWNER_DUTIES)},
                        },
                        "required": ["role"],
                        "additionalProperties": False,
                    },
                ]
            }
            return {"type": "array", "items": owner, "minItems": 1}
        case "routing":
            spec = {"when": ("condition", True), "owners": ("owners", True), "clause": _CLAUSE}
            return {"type": "array", "items": _object(spec)}
        case "deescalation":
            return {"type": "array", "items": _object(_DEESCALATION)}
        case "closure":
            return _object(_CLOSURE)
        case "grading":
            grading = _object(_GRADING)
            grading["properties"]["drive"] = {"enum": list(GRADE_DRIVERS)}
            grading["properties"]["regrade"] = {"enum": list(REGRADE_RULES)}
            return grading
    raise KeyError(kind)


def _object(spec: dict[str, tuple[str, bool]], description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": {k: _kind_schema(kind) for k, (kind, _) in spec.items()},
        "required": [k for k, (_, req) in spec.items() if req],
        "additionalProperties": False,
    }
    if "id" in spec:
        out["properties"]["id"] = {"type": "string", "pattern": _IDENTIFIER_PATTERN}
    if description:
        out["description"] = description
    return out


def build_plan_schema() -> dict[str, Any]:
    """
    The JSON Schema (draft 2020-12) of plan files, built from the same field
    tables the reader uses; ``schemas/plan.schema.json`` is this, written out.
    """
    properties: dict[str, Any] = {k: _kind_schema(kind) for k, kind in _PLAN_SCALARS.items()}
    properties["id"] = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"}
    properties["metrics"] = {
        "type": "array",
        "items": {"type": "string", "pattern": _IDENTIFIER_PATTERN},
    }
    for key, (_, spec) in _SECTIONS.items():
        properties[key] = {"type": "array", "items": _object(spec)}
    properties["local"] = _kind_schema("texts")
    properties["timezone"] = {"type": "string", "minLength": 1, "maxLength": TIMEZONE_CHARACTERS}
    properties["extends"] = {
        "type": "string",
        "minLength": 1,
        "pattern": "\\.([yY][aA]?[mM][lL]|[tT][oO][mM][lL]|[jJ][sS][oO][nN])$",
        "description": "Path of the plan file this one adapts, relative to this file's folder "
        "and inside it (or inside a folder the host allows); with it, no key is required and "
        "items replace the base's by id.",
    }
    properties["remove"] = {
        "type": "object",
        "properties": {k: _kind_schema("texts") for k in ID_SECTIONS},
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://opinion-rules.example/schemas/plan.schema.json",
        "title": "opinion_rules plan file",
        "description": "A response plan as data; see docs/reference/plan-file-format.md.",
        "type": "object",
        "properties": properties,
        "anyOf": [{"required": list(_PLAN_REQUIRED)}, {"required": ["extends"]}],
        "additionalProperties": False,
        "$defs": {
            "clause": {
                "type": "object",
                "properties": {
                    "ref": {"type": "string", "minLength": 1},
                    "text": {"type": "string", "minLength": 1},
                },
                "required": ["ref", "text"],
                "additionalProperties": False,
            },
            "condition": {
                "description": "An expression such as 'clicks_1d > 1000', "
                "or all/any/not of conditions.",
                "anyOf": [
                    {"type": "string", "minLength": 1},
                    {
                        "type": "object",
                        "properties": {
                            "all": {
                                "type": "array",
                                "items": {"$ref": "#/$defs/condition"},
                                "minItems": 1,
                            }
                        },
                        "required": ["all"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {
                            "any": {
                                "type": "array",
                                "items": {"$ref": "#/$defs/condition"},
                                "minItems": 1,
                            }
                        },
                        "required": ["any"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {"not": {"$ref": "#/$defs/condition"}},
                        "required": ["not"],
                        "additionalProperties": False,
                    },
                ],
            },
            "deadline": {
                "type": "object",
                "properties": {
                    "anchor": {"type": "string", "pattern": _ANCHOR_PATTERN},
                    **{key: _kind_schema(kind) for key, kind in _DEADLINE_KEYS.items()},
                    "per_day": {"type": "integer", "minimum": 1, "maximum": MOST_PER_DAY},
                    "kind": {
                        "enum": [
                            "offset",
                            "immediately",
                            "promptly",
                            "end_of_day",
                            "none",
                            "until",
                            "recurring",
                        ]
                    },
                    "until": {"type": "string", "pattern": _IDENTIFIER_PATTERN},
                },
                "required": ["anchor"],
                "additionalProperties": False,
            },
            "calendar": {
                "anyOf": [
                    {"const": "china"},
                    {
                        "type": "object",
                        "properties": {
                            "name": {"const": "china"},
                            "hours": {"type": "array", "items": _HOURS_ITEM},
                            "schedules": {
                                "type": "array",
                                "items": {
                                    "anyOf": [
                                        {
                                            "type": "string",
                                            "pattern": r"(?i)\.(ya?ml|toml|json)$",
                                        },
                                        _YEAR_SCHEDULE,
                                    ]
                                },
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
                            "holidays": {"type": "array", "items": _DATE_ITEM},
                            "workdays": {"type": "array", "items": _DATE_ITEM},
                            "weekend": {
                                "type": "array",
                                "items": {"type": "integer", "minimum": 0, "maximum": 6},
                            },
                            "hours": {"type": "array", "items": _HOURS_ITEM},
                        },
                        "required": ["name", "years"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
    }
