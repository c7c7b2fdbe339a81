"""
``opinion-rules track``'s writes: ``open``, ``record`` (entries read from
standard input) and ``add-year``.

Writes stamp ``--recorded-at``, by default now, and ``--by``, by default the
login name.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from datetime import datetime
from typing import Any

from opinion_rules._reading import InputError, load_json
from opinion_rules.cli import _clock
from opinion_rules.cli._exits import EXIT_FAILED, EXIT_OK
from opinion_rules.cli._options import parse_instant
from opinion_rules.cli._output import Streams, write_json
from opinion_rules.exceptions import OutOfOrderError, Problem, RecordFormatError
from opinion_rules.planfile._loaders import load_plan
from opinion_rules.planfile._schedules import load_year_schedule
from opinion_rules.store import CaseStore, ScheduleReceipt


__all__ = ["add_year", "deliver", "open_incident", "read_entries", "record", "who", "write_entries"]

# Writes that default --recorded-at to now retry this often when another
# writer committed a later instant between our clock read and our commit.
_RETRIES = 3


def open_incident(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track open``: store the plan and open an incident pinned to it.
    """
    out = io.out
    plan = load_plan(args.plan, allowed_dirs=args.allow_dir, plugins=store.plugins)
    key = store.add_plan(plan)
    discovered = parse_instant("--discovered-at", args.discovered_at)
    assert discovered is not None  # noqa: S101 - a required option
    facts: Any = None
    if args.facts is not None:
        try:
            facts = _loads(args.facts, "--facts", expected="a JSON object of facts")
        except json.JSONDecodeError as exc:
            raise _not_json("--facts", exc, 'a JSON object, e.g. {"serious": true}') from None
        if not isinstance(facts, dict):
            raise RecordFormatError(
                "--facts",
                [Problem("", "is not a JSON object", "an object of name: value", repr(args.facts))],
            )
    receipt = store.open_incident(
        args.id,
        key,
        discovered_at=discovered,
        posted_at=parse_instant("--posted-at", args.posted_at),
        facts=facts,
        entry_id=args.entry_id,
        recorded_at=parse_instant("--recorded-at", args.recorded_at) or _clock.now(),
        recorded_by=who(args),
    )
    if args.json:
        write_json(out, {**receipt.to_dict(), "plan": key})
    elif receipt.duplicate:
        out.write(
            f"{receipt.incident_id} was already open with plan {key} (entry {receipt.entry_id!r}, "
            f"seq {receipt.seq}, recorded {receipt.recorded_at.isoformat()} by "
            f"{receipt.recorded_by}); nothing written\n"
        )
    else:
        out.write(
            f"opened {receipt.incident_id} with plan {key} (entry {receipt.entry_id!r}, "
            f"seq {receipt.seq})\n"
        )


def record(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track record``: append the entries on standard input, all or nothing.
    """

    try:
        text = io.stdin.read()
    except UnicodeDecodeError as exc:
        raise RecordFormatError(
            "stdin", [Problem("", f"is not UTF-8 text: {exc}", "JSON entries in UTF-8")]
        ) from None
    entries, places = read_entries(text)
    write_entries(store, args, io, entries, places)


def write_entries(
    store: CaseStore,
    args: argparse.Namespace,
    io: Streams,
    entries: list[Any],
    places: list[str],
    recorded_at: datetime | None = None,
) -> None:
    """
    Append *entries* to ``args.incident``, all or nothing, stamped with
    ``--recorded-at`` (or *recorded_at*, or now) and ``--by``, and print the
    receipts as ``record`` does.
    """
    out = io.out
    given = recorded_at or parse_instant("--recorded-at", args.recorded_at)
    recorder = who(args)
    for attempt in range(_RETRIES):
        try:
            receipts = store.record(
                args.incident,
                entries,
                recorded_at=given or _clock.now(),
                recorded_by=recorder,
                sources=places,
            )
            break
        except OutOfOrderError as exc:
            # Only a clock read of ours can be retried: another writer may
            # have committed a later "now" between our read and our commit.
            if given is not None or exc.field != "recorded_at" or attempt == _RETRIES - 1:
                raise
    if args.json:
        write_json(out, [r.to_dict() for r in receipts])
        return
    for r in receipts:
        if r.duplicate:
            out.write(
                f"duplicate {r.entry_id} seq {r.seq} (recorded {r.recorded_at.isoformat()} by "
                f"{r.recorded_by}); nothing written\n"
            )
        else:
            out.write(f"recorded  {r.entry_id} seq {r.seq}\n")
    written = sum(not r.duplicate for r in receipts)
    out.write(f"{args.incident}: {written} recorded, {len(receipts) - written} duplicate(s)\n")


def add_year(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track add-year``: store a year of the China calendar from a year file.
    """
    given = parse_instant("--recorded-at", args.recorded_at)
    recorder = who(args)
    schedule = load_year_schedule(args.file)
    try:
        receipt = store.add_schedule(
            schedule, recorded_at=given or _clock.now(), recorded_by=recorder
        )
    except RecordFormatError as exc:  # text the store cannot keep: name the file
        raise RecordFormatError(f"{args.file}: {exc.subject}", exc.problems) from None
    if args.json:
        write_json(io.out, receipt.to_dict())
        return
    io.out.write(_year_receipt(receipt))


def deliver(store: CaseStore, args: argparse.Namespace, io: Streams) -> int:
    """
    ``track deliver``: deliver the pending notifications to the listeners;
    exit 1 when some stay pending.
    """
    delivery = store.deliver_pending()
    if args.json:
        write_json(io.out, delivery.to_dict())
    else:
        io.out.write(
            f"delivered {delivery.delivered} notification(s); {delivery.pending} pending\n"
        )
        if delivery.reason is not None:
            io.out.write(f"stopped: {delivery.reason}\n")
    return EXIT_FAILED if delivery.pending else EXIT_OK


def _year_receipt(r: ScheduleReceipt) -> str:
    if r.duplicate:
        return (
            f"{r.year} is already in the {r.calendar} calendar with the same days (seq {r.seq}, "
            f"recorded {r.recorded_at.isoformat()} by {r.recorded_by}); nothing written\n"
        )
    done = "corrected" if r.replaces is not None else "added"
    replaces = "" if r.replaces is None else f", replaces seq {r.replaces}"
    lines = [f"{done} {r.year} in the {r.calendar} calendar (seq {r.seq}{replaces}): {r.source}"]
    lines.append(f"re-evaluated {len(r.reevaluated)} incident(s) with undecided actions")
    if r.stale:
        lines.append(
            f"{r.stale} more incident(s) on plans with the {r.calendar} calendar are "
            "re-evaluated by the next agenda"
        )
    return "\n".join(lines) + "\n"


def who(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container's unnamed uid)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def read_entries(text: str, source: str = "stdin") -> tuple[list[Any], list[str]]:
    """
    Read entries from *text*: one JSON entry, a JSON array of entries, or
    JSON lines (one entry per line, blank lines skipped).

    Returns:
        The entries, and where each was (``stdin:3``, or ``stdin[2]`` in an
        array), for error messages.

    Raises:
        RecordFormatError: the text is not JSON, located as
            ``stdin:LINE:COLUMN``; or it holds no entry.

    .. versionadded:: 0.4.0
    """
    lines = text.splitlines()
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise RecordFormatError(
            source,
            [Problem("", "holds no entry", 'JSON entries like {"id": "e1", "event": {...}}')],
        )
    try:
        data = _loads(text, source)
    except json.JSONDecodeError as whole:
        try:
            _loads(numbered[0][1], source, numbered[0][0])
        except json.JSONDecodeError:
            # Not JSON lines either: report the document's error, whose line
            # and column count from the start of the input too.
            raise _not_json(
                source, whole, "one JSON entry, a JSON array of entries, or JSON lines"
            ) from None
        return _json_lines(source, numbered)
    if isinstance(data, list):
        return data, [f"{source}[{i}]" for i in range(len(data))]
    return [data], [f"{source}:{numbered[0][0]}" if len(numbered) == 1 else source]


def _json_lines(source: str, numbered: list[tuple[int, str]]) -> tuple[list[Any], list[str]]:
    entries, places = [], []
    for n, line in numbered:
        try:
            entries.append(_loads(line, source, n))
        except json.JSONDecodeError as exc:
            exc.lineno = n
            raise _not_json(source, exc, "one JSON entry per line (JSON lines)") from None
        places.append(f"{source}:{n}")
    return entries, places


def _loads(text: str, source: str, first_line: int = 1, expected: str = "entries") -> Any:
    """
    Parse the JSON *text* (which starts on line *first_line* of *source*)
    within the bounds of :func:`._reading.load_json`.

    Raises:
        json.JSONDecodeError: the text is not JSON (for the caller to place).
        RecordFormatError: it nests too deeply or holds too long a number.
    """
    try:
        return load_json(text, first_line=first_line)
    except InputError as exc:
        where = source if exc.line is None else f"{source}:{exc.line}:{exc.column}"
        raise RecordFormatError(
            where, [Problem("", exc.message, exc.expected or expected, exc.got)]
        ) from None


def _not_json(source: str, exc: json.JSONDecodeError, expected: str) -> RecordFormatError:
    return RecordFormatError(
        f"{source}:{exc.lineno}:{exc.colno}", [Problem("", f"not valid JSON: {exc.msg}", expected)]
    )
