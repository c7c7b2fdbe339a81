"""
``opinion-rules track agenda``: what is owed across incidents, as a desk
works from it: filtered, the most urgent first, with the lateness or the
time left, in 100 columns; or as JSON, or as an iCalendar feed.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from opinion_rules._writing import write_whole
from opinion_rules.cli import _clock
from opinion_rules.cli._exits import EXIT_FAILED
from opinion_rules.cli._options import parse_duration, parse_instant
from opinion_rules.cli._output import HOW_TO_ADD_A_YEAR, Streams, text_width, warn, write_json
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.store import (
    AGENDA_STATUSES,
    AgendaItem,
    AgendaQuery,
    CaseStore,
    describe_time_left,
)
from opinion_rules.store._agenda_feed import ics_feed


__all__ = ["WIDTH", "add_agenda_options", "agenda", "colour_wanted"]

#: The terminal width every agenda line fits in.
WIDTH = 100
_MIN_ACTION = 24
_OPTIONS = {"statuses": "--status", "owners": "--owner", "grades": "--grade", "plans": "--plan"}
_OPTIONS |= {"due_within": "--due-within", "include_no_time": "--hide-no-time"}
# ANSI colours: overdue red, undecided yellow, due within the hour bold.
_RED, _YELLOW, _BOLD, _RESET = "\033[31m", "\033[33m", "\033[1m", "\033[0m"
_SOON = timedelta(hours=1)


def add_agenda_options(parser: argparse.ArgumentParser) -> None:
    """
    The filters and outputs of ``track agenda``.
    """
    names = "(repeatable, or a comma-separated list)"
    parser.add_argument(
        "--status", action="append", metavar="STATUS",
        help=f"only overdue, undecided or pending items {names}",
    )  # fmt: skip
    parser.add_argument(
        "--owner",
        action="append",
        metavar="ROLE",
        help=f"only items of this owner role, id or name {names}",
    )
    parser.add_argument(
        "--grade",
        action="append",
        metavar="GRADE",
        help=f"only incidents of this grade, id or name {names}",
    )
    parser.add_argument(
        "--plan",
        action="append",
        metavar="PLAN",
        help=f"only this plan: id (any version) or key id@version {names}",
    )
    parser.add_argument(
        "--due-within", metavar="DURATION",
        help="only pending items due within this long (90m, 4h, 2d); overdue, undecided and "
        "no-time items are kept; widens --horizon when longer",
    )  # fmt: skip
    parser.add_argument(
        "--hide-no-time", action="store_true", help="leave out the items with no due time set"
    )
    parser.add_argument(
        "--lang", choices=("en", "zh"), default="en",
        help="the language of lateness and time left: en (overdue 2 h 10 min), zh (逾期 2小时10分)",
    )  # fmt: skip
    outputs = parser.add_mutually_exclusive_group()
    outputs.add_argument("--json", action="store_true", help="print the items as JSON")
    outputs.add_argument(
        "--ics", metavar="FILE",
        help="write the items with a due time as an iCalendar feed to FILE ('-': standard output)",
    )  # fmt: skip


def _listed(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for given in values or () for v in given.split(",") if v.strip())


def agenda(store: CaseStore, args: argparse.Namespace, io: Streams) -> int | None:
    """
    ``track agenda``: list what is owed across incidents, filtered and the
    most urgent first.
    """
    horizon = parse_duration(args.horizon)  # bad input is refused before the clock is read
    due_within = (
        None if args.due_within is None else parse_duration(args.due_within, "--due-within")
    )
    try:
        query = AgendaQuery(
            statuses=_listed(args.status),
            owners=_listed(args.owner),
            grades=_listed(args.grade),
            plans=_listed(args.plan),
            due_within=due_within,
            include_no_time=not args.hide_no_time,
        )
    except FactError as exc:  # name the option, not the attribute
        raise FactError(
            "track agenda",
            [
                Problem(_OPTIONS.get(p.path, p.path), p.message, p.expected, p.got)
                for p in exc.problems
            ],
        ) from None
    at = parse_instant("--at", args.at) or _clock.now()  # the documented default
    wide = horizon if due_within is None else max(horizon, due_within)
    items = query.apply(store.agenda(at, wide), at)
    undecided = sum(i.status == "undecided" for i in items)
    if undecided:
        warn(
            io.err,
            f"{undecided} action(s) undecided: their due times need a calendar year that "
            "neither the plan, the installed chinesecalendar package nor the store has; add it "
            f"with 'opinion-rules track add-year FILE' (see {HOW_TO_ADD_A_YEAR})",
        )
    if args.ics is not None:
        return _write_ics(items, at, args.ics, io)
    if args.json:
        write_json(
            io.out,
            {
                "at": at.isoformat(),
                "horizon_minutes": int(wide.total_seconds() // 60),
                "items": [i.to_dict() for i in items],
            },
        )
        return None
    io.out.write(render_agenda(items, at, wide, language=args.lang, colour=colour_wanted(io.out)))
    return None


def colour_wanted(out: TextIO) -> bool:
    """
    Whether to colour the agenda: only on a terminal, and never when
    ``NO_COLOR`` is set to anything but the empty string (no-color.org).
    """
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def _zone(items: Sequence[AgendaItem], at: datetime) -> tuple[Any, str, bool]:
    """
    The timezone the header is given in, its name, and whether every item
    shares it (else each due time carries its offset).
    """
    zones = {i.timezone for i in items if i.timezone is not None}
    if len(zones) == 1:
        name = zones.pop()
        return ZoneInfo(name), name, True
    tz = at.tzinfo
    return tz, str(at.tzname()), not zones


def _clock_time(value: datetime, tz: Any) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def summary_line(items: Sequence[AgendaItem]) -> str:
    """
    ``1 overdue, 2 undecided, 15 pending (15 with no time set)``, or
    ``nothing owed``.
    """
    counts = Counter(i.status for i in items)
    parts = [f"{counts[s]} {s}" for s in AGENDA_STATUSES if counts[s]]
    no_time = sum(i.status == "pending" and i.due is None for i in items)
    if no_time:
        parts[-1] += f" ({no_time} with no time set)"
    return ", ".join(parts) or "nothing owed"


def _fit(text: str, room: int) -> str:
    """*text* cut to *room* columns, ending in … when cut."""
    if text_width(text) <= room:
        return text
    out, used = "", 0
    for c in text:
        w = text_width(c)
        if used + w > room - 1:
            break
        out, used = out + c, used + w
    return out + "…"


def _lead(item: AgendaItem) -> str:
    if not item.owners:
        return "-"
    more = len(item.owners) - 1
    return item.owners[0].id + (f" +{more}" if more else "")


def _table(header: list[str], rows: list[tuple[str, list[str]]], colour: bool) -> list[str]:
    """
    Left-aligned columns, the last (the action) cut to fit :data:`WIDTH`;
    each row with its colour code (``""`` for none).
    """
    fixed = [
        max(text_width(r[i]) for r in [header, *(c for _, c in rows)])
        for i in range(len(header) - 1)
    ]
    room = max(_MIN_ACTION, WIDTH - sum(fixed) - 2 * len(fixed))
    lines = []
    for code, cells in [("", header), *rows]:
        padded = [c + " " * (fixed[i] - text_width(c)) for i, c in enumerate(cells[:-1])]
        line = "  ".join([*padded, _fit(cells[-1], room)]).rstrip()
        lines.append(f"{code}{line}{_RESET}" if colour and code else line)
    return lines


def render_agenda(
    items: Sequence[AgendaItem], at: datetime, horizon: timedelta, *, language: str, colour: bool
) -> str:
    """
    The agenda as text: a header, the summary line, the items with a due
    time (or undecided) by urgency, then those with no time set; every line
    at most :data:`WIDTH` columns.
    """
    tz, zone, shared = _zone(items, at)
    header = (
        f"agenda at {_clock_time(at, tz)} {zone}, due by {_clock_time(at + horizon, tz)}: "
        f"{len(items)} item(s)"
    )
    lines = [header, summary_line(items)]
    timed = [i for i in items if not (i.status == "pending" and i.due is None)]
    loose = [i for i in items if i.status == "pending" and i.due is None]
    if timed:
        year = _clock_time(at, tz)[:4]
        trim = all(_clock_time(i.due, tz)[:4] == year for i in timed if i.due is not None)
        rows = []
        for i in timed:
            left = i.time_left(at)
            if i.due is None:
                due, words, code = "undecided", "-", _YELLOW
            else:
                due = _clock_time(i.due, ZoneInfo(i.timezone) if i.timezone else tz)
                if trim:  # every due time is in the header's year: it goes without saying
                    due = due[5:]
                due += "" if shared else i.due.strftime(" %z")
                words = describe_time_left(left, language) if left is not None else "-"
                code = (
                    _RED
                    if i.status == "overdue"
                    else _BOLD
                    if left is not None and left <= _SOON
                    else ""
                )
            rows.append(
                (
                    code,
                    [
                        due,
                        words,
                        i.grade_id or "-",
                        i.incident_id,
                        _lead(i),
                        f"{i.action_id}: {i.title}",
                    ],
                )
            )
        columns = ["DUE", "LATE / LEFT", "GRADE", "INCIDENT", "OWNER", "ACTION"]
        lines += ["", *_table(columns, rows, colour)]
    if loose:
        rows = [
            ("", [i.grade_id or "-", i.incident_id, _lead(i), f"{i.action_id}: {i.title}"])
            for i in loose
        ]
        lines += ["", f"no time set: {len(loose)} item(s)"]
        lines += _table(["GRADE", "INCIDENT", "OWNER", "ACTION"], rows, colour)
    return "\n".join(lines) + "\n"


def _write_ics(items: Sequence[AgendaItem], at: datetime, target: str, io: Streams) -> int | None:
    try:
        data = ics_feed(items, at)
    except ModuleNotFoundError:
        print(
            "opinion-rules: error: --ics needs the icalendar package; install it with "
            "pip install 'opinion-rules[ics]'",
            file=io.err,
        )
        return EXIT_FAILED
    count = sum(i.due is not None for i in items)
    if target == "-":
        io.out.write(data.decode("utf-8"))
        return None
    try:
        # Written whole, so a calendar app never reads half a feed.
        write_whole(Path(target), data, prefix=".ics-")
    except OSError as exc:
        print(
            f"opinion-rules: error: --ics {target}: cannot write: {exc.strerror or exc}",
            file=io.err,
        )
        return EXIT_FAILED
    io.out.write(f"wrote {count} event(s) to {target}\n")
    return None
