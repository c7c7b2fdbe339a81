"""
``opinion-rules track``: keep incidents in a case store from the shell.

Subcommands: ``open``, ``record`` (entries from standard input: one JSON
entry, a JSON array, or JSON lines), the quick writes ``done``, ``event``,
``fact`` and ``observe`` (one entry from the arguments), ``show``, ``timeline``, ``agenda``,
``audit``, ``add-year`` (a year of the China calendar, from a year file),
``years`` and ``deliver`` (the listeners' pending notifications).  The
store is ``--store``, else ``$OPINION_RULES_STORE``, else
``opinion-cases.db`` in the current directory.  Only ``open`` creates a
store that does not exist yet (or any subcommand given ``--create``): a
mistyped ``--store`` is an error, not a new empty store.

This is the one place besides ``evaluate --at`` where opinion_rules reads
the clock: ``--recorded-at`` and ``--at`` default to now.

``--plugin NAME`` (repeatable) enables plug-ins: plans are loaded and
evaluated with them, and listener plug-ins are told about every change a
write makes, after its commit.  A listener that fails does not fail the
write: the command prints a warning and exits 0, and the notifications
stay pending for the next write or ``deliver``.

Exit codes, as for the other commands: 0 success; 2 bad input (a plan, an
entry, a year file, an instant, an unknown incident, a conflicting id, a
write out of order, a plug-in that cannot be enabled); 1 the store cannot
be opened or failed, or ``deliver`` left notifications pending; 3 an
evaluation backend failed.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

from opinion_rules.cli import _agenda_view, _track_quick, _track_read, _track_write
from opinion_rules.cli._exits import EXIT_OK
from opinion_rules.cli._options import INSTANT_HELP, add_plugin_option
from opinion_rules.cli._output import Streams
from opinion_rules.planfile._loaders import add_allow_dir_option
from opinion_rules.store import CaseStore, open_store


__all__ = ["DEFAULT_STORE", "STORE_ENV", "add_track_parser", "run_track"]

#: The environment variable naming the store when ``--store`` is not given.
STORE_ENV = "OPINION_RULES_STORE"
#: The store used when neither ``--store`` nor the variable is set.
DEFAULT_STORE = "opinion-cases.db"

_Handler = Callable[[CaseStore, argparse.Namespace, Streams], int | None]
_HANDLERS: dict[str, _Handler] = {
    "open": _track_write.open_incident,
    "record": _track_write.record,
    "show": _track_read.show,
    "timeline": _track_read.timeline,
    "agenda": _agenda_view.agenda,
    "audit": _track_read.audit,
    "add-year": _track_write.add_year,
    "years": _track_read.years,
    "deliver": _track_write.deliver,
    **_track_quick.QUICK,
}


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
    add_plugin_option(track)
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
        add_plugin_option(parser, suppress=True)
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
        help=f"when discovered, {INSTANT_HELP}",
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
    _track_quick.add_quick_parsers(command)
    show = command(
        "show", "assess an incident as of an instant", "Replay the incident and assess it."
    )
    show.add_argument("incident", metavar="ID", help="the incident id")
    show.add_argument("--at", metavar="ISO8601", help=f"the instant, {INSTANT_HELP} (default: now)")
    show.add_argument(
        "--known-at",
        metavar="ISO8601",
        help="replay what was recorded by this instant (default: --at)",
    )
    show.add_argument("--json", action="store_true", help="print the assessment as JSON")
    timeline = command(
        "timeline",
        "print an incident's log, or draw its timeline (--out)",
        "Print the incident's log in order; with --out, draw the incident as replayed as of "
        "--at instead (as opinion-rules timeline does; needs the plot extra).",
    )
    _track_read.add_timeline_arguments(timeline)
    agenda = command(
        "agenda",
        "list what is owed across incidents, the most urgent first",
        "List every overdue action, every undecided one, and every pending one due within "
        "--horizon or with no due time, across all incidents: overdue first (the most overdue "
        "first), then by due time; the items with no time set apart. Filters keep an item "
        "that matches any value given, and all filters given.",
    )
    agenda.add_argument(
        "--at", metavar="ISO8601", help=f"the instant, {INSTANT_HELP} (default: now)"
    )
    agenda.add_argument(
        "--horizon", default="24h", metavar="DURATION", help="how far ahead: 90m, 24h, 3d, 1w2d"
    )
    _agenda_view.add_agenda_options(agenda)
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
    deliver = command(
        "deliver",
        "deliver the listeners' pending notifications",
        "Deliver the notifications that writes left pending (a listener failed or ran out of "
        "time, or the process stopped between a write's commit and its delivery) to the "
        "listener plug-ins enabled with --plugin, in order. Exits 1 when some stay pending.",
    )
    deliver.add_argument("--json", action="store_true", help="print the delivery as JSON")


def _writer_options(parser: argparse.ArgumentParser, what: str = "receipts") -> None:
    parser.add_argument("--by", metavar="WHO", help="who records this (default: the login name)")
    parser.add_argument(
        "--recorded-at", metavar="ISO8601", help=f"when this is recorded, {INSTANT_HELP} "
        "(default: now)"
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help=f"print the {what} as JSON")


def run_track(args: argparse.Namespace, io: Streams) -> int:
    """
    Run ``opinion-rules track``; return the exit code.

    Raises:
        OpinionRulesError: the store cannot be opened or failed, bad input, or
            the backend failed (for the caller to report).

    .. versionadded:: 0.4.0
    """
    target = args.store or os.environ.get(STORE_ENV) or DEFAULT_STORE
    create = args.track_command == "open" or bool(getattr(args, "create", False))
    with open_store(target, create=create, plugins=args.plugin) as store, _warnings_to(io):
        code = _HANDLERS[args.track_command](store, args, io)
    return EXIT_OK if code is None else code


@contextlib.contextmanager
def _warnings_to(io: Streams) -> Iterator[None]:
    """
    Print the store's warnings (a listener that failed after a write) as
    one line each on the command's standard error, and only there.
    """
    logger = logging.getLogger("opinion_rules.store")
    handler = logging.StreamHandler(io.err)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("opinion-rules: warning: %(message)s"))
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
