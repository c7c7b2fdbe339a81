"""
``opinion-rules track``: keep incidents in a case store from the shell.

Subcommands: ``open``, ``record`` (entries from standard input: one JSON
entry, a JSON array, or JSON lines), ``show``, ``timeline``, ``agenda``,
``audit``, ``add-year`` (a year of the China calendar, from a year file) and
``years``.  The store is ``--store``, else ``$OPINION_RULES_STORE``, else
``opinion-cases.db`` in the current directory.  Only ``open`` creates a
store that does not exist yet (or any subcommand given ``--create``): a
mistyped ``--store`` is an error, not a new empty store.

This is the one place besides ``evaluate --at`` where opinion_rules reads
the clock: ``--recorded-at`` and ``--at`` default to now.

Exit codes, as for the other commands: 0 success; 2 bad input (a plan, an
entry, a year file, an instant, an unknown incident, a conflicting id, a
write out of order); 1 the store cannot be opened or failed; 3 an
evaluation backend failed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TextIO

import attrs
from dateutil.parser import isoparse

from opinion_rules._limits import LONGEST_PERIOD, instant_problem, period_problem, printable
from opinion_rules._reading import InputError, load_json
from opinion_rules.exceptions import (
    EngineError,
    FactError,
    OpinionRulesError,
    OutOfOrderError,
    Problem,
    RecordFormatError,
    StoreNotFoundError,
    StoreUnavailableError,
)
from opinion_rules.planfile._loaders import add_allow_dir_option, load_plan
from opinion_rules.planfile._schedules import load_year_schedule
from opinion_rules.store._casestore import (
    AgendaItem,
    CaseStore,
    LogEntry,
    ScheduleReceipt,
    StoredSchedule,
    open_store,
)

from . import _clock


__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "add_track_parser",
    "one_line",
    "read_entries",
    "run_track",
]

#: The environment variable naming the store when ``--store`` is not given.
STORE_ENV = "OPINION_RULES_STORE"
#: The store used when neither ``--store`` nor the variable is set.
DEFAULT_STORE = "opinion-cases.db"

_EXIT_OK = 0
_EXIT_FAILED = 1
_EXIT_BAD_INPUT = 2
_EXIT_ENGINE = 3
_INSTANT_HELP = "with UTC offset, e.g. 2026-11-23T14:00:00+08:00"
_DURATION = re.compile(
    r"^\s*(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$", re.IGNORECASE
)
# More digits than any horizon up to LONGEST_PERIOD needs, in minutes (8).
_DURATION_DIGITS = 12
# Writes that default --recorded-at to now retry this often when another
# writer committed a later instant between our clock read and our commit.
_RETRIES = 3
_HOW_TO_ADD_A_YEAR = "docs/how-to/add-a-calendar-year.md"


def add_track_parser(commands: Any) -> None:
    """
    Add the ``track`` command to *commands*, the subparsers of the
    ``opinion-rules`` parser.

    .. versionadded:: 0.4.0
    """
    track = commands.add_parser(
        "track",
        help="keep incidents in a case store: open, record, show, agenda, audit, add-year",
        description="Keep incidents in a durable case store: each incident is pinned to a "
        "plan version, every observation and event is appended to its log, and any instant "
        "can be replayed.",
    )
    store_help = (
        f"the case store: a SQLite file or a postgresql:// URL (default: ${STORE_ENV}, "
        f"else {DEFAULT_STORE})"
    )
    create_help = (
        "create the store if it does not exist (open always may; other commands otherwise "
        "refuse a missing store, so that a mistyped --store is not taken for a new one)"
    )
    track.add_argument("--store", metavar="PATH_OR_URL", default=None, help=store_help)
    track.add_argument("--create", action="store_true", default=False, help=create_help)
    sub = track.add_subparsers(dest="track_command", required=True, parser_class=type(track))

    def command(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name, help=help_text, description=description
        )
        # Also accepted after the subcommand; SUPPRESS keeps the value given before it.
        parser.add_argument(
            "--store", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help=store_help
        )
        parser.add_argument(
            "--create", action="store_true", default=argparse.SUPPRESS, help=create_help
        )
        return parser

    opener = command(
        "open",
        "open an incident pinned to a plan version",
        "Store PLAN (if this version is not stored yet) and open incident --id pinned to it.",
    )
    opener.add_argument("plan", metavar="PLAN", help="a plan file or module, as for evaluate")
    add_allow_dir_option(opener)
    opener.add_argument("--id", required=True, metavar="ID", help="the incident id")
    opener.add_argument(
        "--discovered-at",
        required=True,
        metavar="ISO8601",
        help=f"when discovered, {_INSTANT_HELP}",
    )
    opener.add_argument("--posted-at", metavar="ISO8601", help="when first posted, if known")
    opener.add_argument(
        "--facts", metavar="JSON", help="facts known from the start, e.g. '{\"serious\": true}'"
    )
    opener.add_argument(
        "--entry-id", default="open", metavar="ID", help="the opening entry's id (default: open)"
    )
    _writer_options(opener)
    recorder = command(
        "record",
        "append observations and events to an incident's log",
        'Read entries from standard input and append them, all or nothing. An entry is {"id": '
        '..., "observation": {...}} or {"id": ..., "event": {...}}; send one, a JSON array, '
        "or one per line (JSON lines).",
    )
    recorder.add_argument("incident", metavar="ID", help="the incident id")
    _writer_options(recorder)
    show = command(
        "show", "assess an incident as of an instant", "Replay the incident and assess it."
    )
    show.add_argument("incident", metavar="ID", help="the incident id")
    show.add_argument(
        "--at", metavar="ISO8601", help=f"the instant, {_INSTANT_HELP} (default: now)"
    )
    show.add_argument(
        "--known-at",
        metavar="ISO8601",
        help="replay what was recorded by this instant (default: --at)",
    )
    show.add_argument("--json", action="store_true", help="print the assessment as JSON")
    timeline = command("timeline", "print an incident's log", "Print the incident's log in order.")
    timeline.add_argument("incident", metavar="ID", help="the incident id")
    timeline.add_argument("--json", action="store_true", help="print the entries as JSON")
    agenda = command(
        "agenda",
        "list what is owed across incidents",
        "List every overdue action, and every pending one due within --horizon or with no "
        "due time, across all incidents.",
    )
    agenda.add_argument(
        "--at", metavar="ISO8601", help=f"the instant, {_INSTANT_HELP} (default: now)"
    )
    agenda.add_argument(
        "--horizon", default="24h", metavar="DURATION", help="how far ahead: 90m, 24h, 3d, 1w2d"
    )
    agenda.add_argument("--json", action="store_true", help="print the items as JSON")
    audit = command(
        "audit", "who recorded what, and when", "Print log entries across incidents (or of ID)."
    )
    audit.add_argument("incident", metavar="ID", nargs="?", help="only this incident")
    audit.add_argument("--since", metavar="ISO8601", help="recorded at or after this instant")
    audit.add_argument("--until", metavar="ISO8601", help="recorded at or before this instant")
    audit.add_argument("--json", action="store_true", help="print the entries as JSON")
    add_year = command(
        "add-year",
        "store a year of the China calendar from the State Council's notice",
        "Read FILE, a year schedule file (docs/how-to/add-a-calendar-year.md), and store it: "
        "every evaluation the store makes then uses it for plans with the China calendar that "
        "do not schedule that year themselves, and incidents left undecided for want of it are "
        "re-evaluated at once. The same file again writes nothing; another schedule for a "
        "stored year is a correction (the latest is in force; 'years' lists them all).",
    )
    add_year.add_argument(
        "file", metavar="FILE", help="a year schedule file: .yaml, .yml, .toml or .json"
    )
    _writer_options(add_year, "receipt")
    years = command(
        "years",
        "list the stored calendar years",
        "List every recording of a year schedule, in recording order, and which is in force.",
    )
    years.add_argument("--json", action="store_true", help="print the recordings as JSON")


def _writer_options(parser: argparse.ArgumentParser, what: str = "receipts") -> None:
    parser.add_argument("--by", metavar="WHO", help="who records this (default: the login name)")
    parser.add_argument(
        "--recorded-at", metavar="ISO8601", help=f"when this is recorded, {_INSTANT_HELP} "
        "(default: now)"
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help=f"print the {what} as JSON")


def run_track(
    args: argparse.Namespace, out: TextIO, err: TextIO, *, stdin: TextIO | None = None
) -> int:
    """
    Run ``opinion-rules track``; return the exit code.

    .. versionadded:: 0.4.0
    """
    target = args.store or os.environ.get(STORE_ENV) or DEFAULT_STORE
    handler = _HANDLERS[args.track_command]
    create = args.track_command == "open" or bool(getattr(args, "create", False))
    try:
        with open_store(target, create=create) as store:
            handler(store, args, _Streams(out, err, stdin if stdin is not None else sys.stdin))
    except StoreNotFoundError as exc:
        print(
            f"opinion-rules: error: case store {exc.store}: {exc.reason}; expected an existing "
            "store: 'opinion-rules track open' creates one, or pass --create",
            file=err,
        )
        return _EXIT_FAILED
    except StoreUnavailableError as exc:
        print(f"opinion-rules: error: {one_line(exc)}", file=err)
        return _EXIT_FAILED
    except EngineError as exc:
        print(f"opinion-rules: engine failure: {one_line(exc)}", file=err)
        return _EXIT_ENGINE
    except OpinionRulesError as exc:
        print(f"opinion-rules: error: {one_line(exc)}", file=err)
        return _EXIT_BAD_INPUT
    return _EXIT_OK


def one_line(exc: Exception) -> str:
    """
    An error message on one line, printable whatever text it quotes.
    """
    return printable("; ".join(line.strip() for line in str(exc).splitlines() if line.strip()))


# -- parsing arguments ------------------------------------------------------------------


def _instant(option: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    expected = "an ISO 8601 datetime with offset, e.g. 2026-11-23T14:00:00+08:00"
    try:
        value = isoparse(text)
    except (ValueError, OverflowError):
        problem = Problem("", "is not an ISO 8601 datetime", expected, repr(text))
        raise FactError(option, [problem]) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise FactError(
            option, [Problem("", "has no UTC offset (naive datetime)", expected, repr(text))]
        )
    outside = instant_problem(value)
    if outside is not None:
        raise FactError(option, [Problem("", outside, got=repr(text))])
    return value


def _now() -> datetime:
    return _clock.now()  # the command line's documented default


def _who(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container's unnamed uid)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


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


# -- subcommands ------------------------------------------------------------------------


def _open(store: CaseStore, args: argparse.Namespace, io: _Streams) -> None:
    out = io.out
    plan = load_plan(args.plan, allowed_dirs=args.allow_dir)
    key = store.add_plan(plan)
    discovered = _instant("--discovered-at", args.discovered_at)
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
        posted_at=_instant("--posted-at", args.posted_at),
        facts=facts,
        entry_id=args.entry_id,
        recorded_at=_instant("--recorded-at", args.recorded_at) or _now(),
        recorded_by=_who(args),
    )
    if args.json:
        json.dump({**receipt.to_dict(), "plan": key}, out, ensure_ascii=False, indent=2)
        out.write("\n")
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


def _record(store: CaseStore, args: argparse.Namespace, io: _Streams) -> None:
    out = io.out
    try:
        text = io.stdin.read()
    except UnicodeDecodeError as exc:
        raise RecordFormatError(
            "stdin", [Problem("", f"is not UTF-8 text: {exc}", "JSON entries in UTF-8")]
        ) from None
    entries, places = read_entries(text)
    given = _instant("--recorded-at", args.recorded_at)
    who = _who(args)
    for attempt in range(_RETRIES):
        try:
            receipts = store.record(
                args.incident, entries, recorded_at=given or _now(), recorded_by=who, sources=places
            )
            break
        except OutOfOrderError as exc:
            # Only a clock read of ours can be retried: another writer may
            # have committed a later "now" between our read and our commit.
            if given is not None or exc.field != "recorded_at" or attempt == _RETRIES - 1:
                raise
    if args.json:
        json.dump([r.to_dict() for r in receipts], out, ensure_ascii=False, indent=2)
        out.write("\n")
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


def _show(store: CaseStore, args: argparse.Namespace, io: _Streams) -> None:
    from opinion_rules.cli import _main  # noqa: PLC0415 - _main imports this module

    out = io.out
    known_at = _instant("--known-at", args.known_at)
    at = _instant("--at", args.at) or _now()
    assessment = store.assess(args.incident, at, known_at=known_at)
    for line in _main.calendar_warnings(assessment):
        print(f"opinion-rules: warning: {line}", file=io.err)
    if args.json:
        json.dump(assessment.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(_main.render_table(assessment))


def _timeline(store: CaseStore, args: argparse.Namespace, io: _Streams) -> None:
    _entries(store.timeline(args.incident), args.json, io.out, with_incident=False)


def _audit(store: CaseStore, args: argparse.Namespace, io: _Streams) -> None:
    entries = store.audit(
        args.incident, since=_instant("--since", args.since), until=_instant("--until", args.until)
    )
    _entries(entries, args.json, io.out, with_incident=True)


def _entries(
    entries: Sequence[LogEntry], as_json: bool, out: TextIO, *, with_incident: bool
) -> None:
    if as_json:
        json.dump([e.to_dict() for e in entries], out, ensure_ascii=False, indent=2)
        out.write("\n")
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
    out.write(_table(header, rows) or "(no entries)\n")


def _agenda(store: CaseStore, args: argparse.Namespace, io: _Streams) -> None:
    out = io.out
    horizon = parse_duration(args.horizon)  # bad input is refused before the clock is read
    at = _instant("--at", args.at) or _now()
    items = store.agenda(at, horizon)
    undecided = sum(i.status == "undecided" for i in items)
    if undecided:
        print(
            f"opinion-rules: warning: {undecided} action(s) undecided: their due times need a "
            "calendar year that neither the plan, the installed chinesecalendar package nor the "
            "store has; add it with 'opinion-rules track add-year FILE' (see "
            f"{_HOW_TO_ADD_A_YEAR})",
            file=io.err,
        )
    if args.json:
        json.dump(
            {
                "at": at.isoformat(),
                "horizon_minutes": int(horizon.total_seconds() // 60),
                "items": [i.to_dict() for i in items],
            },
            out,
            ensure_ascii=False,
            indent=2,
        )
        out.write("\n")
        return
    out.write(
        f"agenda at {at.isoformat()}, due by {(at + horizon).isoformat()}: {len(items)} item(s)\n"
    )
    rows = [_agenda_row(i) for i in items]
    if rows:
        out.write("\n" + _table(["DUE", "STATUS", "INCIDENT", "ACTION", "OWNERS", "CLAUSE"], rows))


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


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(header: list[str], rows: list[list[str]]) -> str:
    """
    Left-aligned columns (wide characters count twice); the last column is
    not padded.  Empty when there are no rows.
    """
    if not rows:
        return ""
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def _add_year(store: CaseStore, args: argparse.Namespace, io: _Streams) -> None:
    given = _instant("--recorded-at", args.recorded_at)
    who = _who(args)
    schedule = load_year_schedule(args.file)
    try:
        receipt = store.add_schedule(schedule, recorded_at=given or _now(), recorded_by=who)
    except RecordFormatError as exc:  # text the store cannot keep: name the file
        raise RecordFormatError(f"{args.file}: {exc.subject}", exc.problems) from None
    if args.json:
        json.dump(receipt.to_dict(), io.out, ensure_ascii=False, indent=2)
        io.out.write("\n")
        return
    io.out.write(_year_receipt(receipt))


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


def _years(store: CaseStore, args: argparse.Namespace, io: _Streams) -> None:
    history: list[StoredSchedule] = store.schedule_history()
    if args.json:
        json.dump([s.to_dict() for s in history], io.out, ensure_ascii=False, indent=2)
        io.out.write("\n")
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
    io.out.write(_table(header, rows) or "(no calendar years stored)\n")


@attrs.frozen
class _Streams:
    out: TextIO
    err: TextIO
    stdin: TextIO


_Handler = Callable[[CaseStore, argparse.Namespace, _Streams], None]
_HANDLERS: dict[str, _Handler] = {
    "open": _open,
    "record": _record,
    "show": _show,
    "timeline": _timeline,
    "agenda": _agenda,
    "audit": _audit,
    "add-year": _add_year,
    "years": _years,
}
