"""
``opinion-rules track``'s reads: ``show``, ``timeline``, ``audit``,
``agenda`` and ``years``.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import TextIO

from opinion_rules._limits import LONGEST_PERIOD, period_problem
from opinion_rules.cli import _clock
from opinion_rules.cli._options import parse_instant
from opinion_rules.cli._output import (
    HOW_TO_ADD_A_YEAR,
    Streams,
    table,
    warn,
    write_assessment,
    write_json,
)
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.store import AgendaItem, CaseStore, LogEntry, StoredSchedule


__all__ = ["agenda", "audit", "parse_duration", "show", "timeline", "years"]

_DURATION = re.compile(
    r"^\s*(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$", re.IGNORECASE
)
# More digits than any horizon up to LONGEST_PERIOD needs, in minutes (8).
_DURATION_DIGITS = 12


def show(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track show``: replay an incident and print its assessment.
    """
    known_at = parse_instant("--known-at", args.known_at)
    at = parse_instant("--at", args.at) or _clock.now()  # the documented default
    assessment = store.assess(args.incident, at, known_at=known_at)
    write_assessment(io, assessment, as_json=args.json)


def timeline(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track timeline``: print one incident's log in order.
    """
    _entries(store.timeline(args.incident), args.json, io.out, with_incident=False)


def audit(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track audit``: print who recorded what, and when, across incidents.
    """
    entries = store.audit(
        args.incident,
        since=parse_instant("--since", args.since),
        until=parse_instant("--until", args.until),
    )
    _entries(entries, args.json, io.out, with_incident=True)


def _entries(
    entries: Sequence[LogEntry], as_json: bool, out: TextIO, *, with_incident: bool
) -> None:
    if as_json:
        write_json(out, [e.to_dict() for e in entries])
        return
    header = [
        "SEQ",
        "RECORDED_AT",
        "BY",
        *(["INCIDENT"] if with_incident else []),
        "ENTRY",
        "KIND",
        "ITEM",
    ]
    rows = [
        [
            str(e.seq),
            e.recorded_at.isoformat(),
            e.recorded_by,
            *([e.incident_id] if with_incident else []),
            e.entry_id,
            e.kind,
            json.dumps(dict(e.item), ensure_ascii=False, separators=(", ", ": ")),
        ]
        for e in entries
    ]
    out.write(table(header, rows) or "(no entries)\n")


def agenda(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track agenda``: list what is owed across incidents.
    """
    out = io.out
    horizon = parse_duration(args.horizon)  # bad input is refused before the clock is read
    at = parse_instant("--at", args.at) or _clock.now()  # the documented default
    items = store.agenda(at, horizon)
    undecided = sum(i.status == "undecided" for i in items)
    if undecided:
        warn(
            io.err,
            f"{undecided} action(s) undecided: their due times need a calendar year that "
            "neither the plan, the installed chinesecalendar package nor the store has; add it "
            f"with 'opinion-rules track add-year FILE' (see {HOW_TO_ADD_A_YEAR})",
        )
    if args.json:
        write_json(
            out,
            {
                "at": at.isoformat(),
                "horizon_minutes": int(horizon.total_seconds() // 60),
                "items": [i.to_dict() for i in items],
            },
        )
        return
    out.write(
        f"agenda at {at.isoformat()}, due by {(at + horizon).isoformat()}: {len(items)} item(s)\n"
    )
    rows = [_agenda_row(i) for i in items]
    if rows:
        out.write("\n" + table(["DUE", "STATUS", "INCIDENT", "ACTION", "OWNERS", "CLAUSE"], rows))


def _agenda_row(item: AgendaItem) -> list[str]:
    if item.due is not None:
        due = item.due.strftime("%Y-%m-%d %H:%M")
    else:
        due = "undecided" if item.status == "undecided" else "no time set"
    return [
        due,
        item.status,
        item.incident_id,
        f"{item.action_id}: {item.title}",
        ", ".join(o.id for o in item.owners),
        item.clause_ref or "-",
    ]


def years(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track years``: list every recording of a year schedule.
    """
    history: list[StoredSchedule] = store.schedule_history()
    if args.json:
        write_json(io.out, [s.to_dict() for s in history])
        return
    header = ["SEQ", "RECORDED_AT", "BY", "CALENDAR", "YEAR", "IN_FORCE", "SOURCE"]
    rows = [
        [
            str(s.seq),
            s.recorded_at.isoformat(),
            s.recorded_by,
            s.calendar,
            str(s.schedule.year),
            "yes" if s.in_force else "no",
            s.schedule.source,
        ]
        for s in history
    ]
    io.out.write(table(header, rows) or "(no calendar years stored)\n")


def parse_duration(text: str) -> timedelta:
    """
    Parse ``90m``, ``24h``, ``3d``, ``1w2d`` or ``1d12h`` into a timedelta.

    Raises:
        FactError: for anything else.
    """
    expected = "weeks, days, hours, minutes, e.g. 24h, 3d, 1d12h"
    match = _DURATION.match(text)
    if match is None or not any(match.groups()):
        raise FactError("--horizon", [Problem("", "is not a duration", expected, repr(text))])
    too_long = Problem(
        "",
        f"is longer than the longest supported period ({LONGEST_PERIOD.days} days)",
        expected,
        repr(text),
    )
    if any(len(g.lstrip("0")) > _DURATION_DIGITS for g in match.groups() if g):
        raise FactError("--horizon", [too_long])
    weeks, days, hours, mins = (int(g) if g else 0 for g in match.groups())
    try:
        value = timedelta(weeks=weeks, days=days, hours=hours, minutes=mins)
    except OverflowError:
        raise FactError("--horizon", [too_long]) from None
    if period_problem(value) is not None:
        raise FactError("--horizon", [too_long])
    return value
