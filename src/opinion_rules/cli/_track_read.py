"""
``opinion-rules track``'s reads: ``show``, ``timeline``, ``audit`` and
``years`` (``agenda`` has its own module, ``_agenda_view``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import TextIO

from opinion_rules.cli import _clock
from opinion_rules.cli._options import INSTANT_HELP, parse_duration, parse_instant
from opinion_rules.cli._output import (
    Streams,
    table,
    write_assessment,
    write_json,
)
from opinion_rules.cli._timeline import OUT_HELP, track_picture
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.store import CaseStore, LogEntry, StoredSchedule


__all__ = ["add_timeline_arguments", "audit", "parse_duration", "show", "timeline", "years"]


def show(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track show``: replay an incident and print its assessment.
    """
    known_at = parse_instant("--known-at", args.known_at)
    at = parse_instant("--at", args.at) or _clock.now()  # the documented default
    assessment = store.assess(args.incident, at, known_at=known_at)
    write_assessment(io, assessment, as_json=args.json)


def add_timeline_arguments(parser: argparse.ArgumentParser) -> None:
    """
    The arguments of ``track timeline``: ``ID``, ``--json``, and ``--out``
    with ``--at`` for the picture.
    """
    parser.add_argument("incident", metavar="ID", help="the incident id")
    parser.add_argument("--json", action="store_true", help="print the entries as JSON")
    parser.add_argument("--out", metavar="FILE", help=f"draw the picture: {OUT_HELP}")
    parser.add_argument(
        "--at", metavar="ISO8601", help=f"with --out: the instant, {INSTANT_HELP} (default: now)"
    )


def timeline(store: CaseStore, args: argparse.Namespace, io: Streams) -> int | None:
    """
    ``track timeline``: print one incident's log in order, or with
    ``--out`` draw its picture as of ``--at``.

    Raises:
        FactError: ``--at`` without ``--out``, or ``--json`` with it.
    """
    if args.out is not None:
        if args.json:
            raise FactError("track timeline", [Problem("--json", "cannot go with --out")])
        return track_picture(store, args, io)
    if args.at is not None:
        raise FactError(
            "track timeline",
            [Problem("--at", "is only for the picture", "--out FILE.svg or --out FILE.png too")],
        )
    _entries(store.timeline(args.incident), args.json, io.out, with_incident=False)
    return None


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
