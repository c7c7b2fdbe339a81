"""
``opinion-rules track``'s quick writes: ``done``, ``event``, ``fact`` and
``observe``.  Each builds the one entry ``track record`` would read from
standard input and writes it the same way: checked against the plan (the
same messages, the same exit codes), all or nothing, idempotent under its
entry id.

The entry id is ``--entry-id`` if given, else ``<command>-<name>-<hash>``,
the hash of the entry's item: the same command with the same ``--at``
(and values) is the same entry, so repeating it by accident writes nothing.
Without ``--at`` the item's instant is now, and a later repeat is a new
entry.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from typing import Any

from opinion_rules.cli import _clock
from opinion_rules.cli._options import INSTANT_HELP, parse_instant
from opinion_rules.cli._output import Streams
from opinion_rules.cli._track_write import write_entries
from opinion_rules.store import CaseStore
from opinion_rules.store._values import canonical


__all__ = ["QUICK", "add_quick_parsers", "parse_value"]

#: Where a quick command's entry is said to come from in error messages.
_SOURCE = "command line"


def parse_value(text: str) -> Any:
    """
    A value given on the command line: JSON when it parses as JSON (numbers,
    ``true``/``false``, ``null``, ``"quoted text"``, an object such as
    ``{"not_applicable": true}``), else the text itself (an enum choice such
    as ``doubt``).
    """
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text


def _write(
    store: CaseStore,
    args: argparse.Namespace,
    io: Streams,
    kind: str,
    name: str,
    item: dict[str, Any],
) -> None:
    recorded_at = parse_instant("--recorded-at", args.recorded_at)
    at = parse_instant("--at", args.at) or recorded_at or _clock.now()
    recorded_at = recorded_at or (at if args.at is None else None)
    item = {"at": at.isoformat(), **item}
    entry_id = args.entry_id
    if entry_id is None:
        digest = hashlib.sha256(canonical(item).encode("utf-8", "surrogatepass")).hexdigest()
        entry_id = f"{args.track_command}-{name}-{digest[:8]}"
    write_entries(store, args, io, [{"id": entry_id, kind: item}], [_SOURCE], recorded_at)


def done(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track done INCIDENT ACTION``: record that the action was done.
    """
    item: dict[str, Any] = {"type": "action_done", "action": args.action}
    if args.by:
        item["by"] = args.by
    _write(store, args, io, "event", args.action, item)


def event(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track event INCIDENT TYPE``: record an event of the plan.
    """
    item: dict[str, Any] = {"type": args.type}
    for key in ("action", "note"):
        if getattr(args, key) is not None:
            item[key] = getattr(args, key)
    _write(store, args, io, "event", args.type, item)


def fact(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track fact INCIDENT NAME VALUE --by WHO``: record that a fact became
    known (or changed), and who established it.
    """
    item: dict[str, Any] = {"type": "fact", "fact": args.name, "value": parse_value(args.value)}
    item["by"] = args.by
    if args.role is not None:
        item["role"] = args.role
    _write(store, args, io, "event", args.name, item)


def observe(store: CaseStore, args: argparse.Namespace, io: Streams) -> None:
    """
    ``track observe INCIDENT METRIC VALUE``: record one reading.
    """
    item: dict[str, Any] = {"metric": args.metric, "value": parse_value(args.value)}
    for key in ("site", "channel", "kind"):
        if getattr(args, key) is not None:
            item[key] = getattr(args, key)
    _write(store, args, io, "observation", args.metric, item)


#: The quick commands and their handlers.
QUICK: dict[str, Callable[[CaseStore, argparse.Namespace, Streams], None]] = {
    "done": done,
    "event": event,
    "fact": fact,
    "observe": observe,
}


def add_quick_parsers(command: Callable[[str, str, str], argparse.ArgumentParser]) -> None:
    """
    Add the quick commands with *command* (``track``'s subcommand factory).
    """
    what = (
        " Checked against the incident's plan like an entry of 'record'; the entry id is "
        "--entry-id, else derived from the entry, so the same command with the same --at "
        "writes nothing the second time."
    )
    summaries = {
        "done": ("record that an action was done", "Record an action_done event."),
        "event": ("record an event", "Record an event of a type the plan declares or uses."),
        "fact": ("record a fact learned", "Record a fact event: NAME became VALUE at --at."),
        "observe": ("record a reading", "Record an observation of METRIC."),
    }
    parsers = {name: command(name, short, long + what) for name, (short, long) in summaries.items()}
    for parser in parsers.values():
        parser.add_argument("incident", metavar="INCIDENT", help="the incident id")
    parsers["done"].add_argument("action", metavar="ACTION", help="the action id")
    parsers["event"].add_argument("type", metavar="TYPE", help="the event type")
    parsers["event"].add_argument("--action", metavar="ACTION", help="the action it concerns")
    parsers["event"].add_argument("--note", metavar="TEXT", help="free text kept with the event")
    parsers["fact"].add_argument("name", metavar="NAME", help="the fact id")
    value_help = "JSON if it parses (12, true, null, '\"12\"'), else text (an enum choice)"
    parsers["fact"].add_argument("value", metavar="VALUE", help=value_help)
    parsers["fact"].add_argument("--role", metavar="ROLE", help="the plan role WHO acted in")
    parsers["observe"].add_argument("metric", metavar="METRIC", help="the metric id")
    parsers["observe"].add_argument("value", metavar="VALUE", help="the reading, a number")
    parsers["observe"].add_argument("--site", metavar="SITE", help="where: the site")
    parsers["observe"].add_argument("--channel", metavar="CHANNEL", help="the kind of outlet")
    parsers["observe"].add_argument(
        "--kind", choices=("total", "increment"), help="total (default) or increment"
    )
    for name, parser in parsers.items():
        parser.add_argument(
            "--at", metavar="ISO8601",
            help=f"when it happened, {INSTANT_HELP} (default: --recorded-at, else now)",
        )  # fmt: skip
        parser.add_argument("--entry-id", metavar="ID", help="the entry id (default: derived)")
        by_help = "who records this (default: the login name)"
        if name == "fact":
            by_help = "who established the fact; also who records it"
        elif name == "done":
            by_help = "who did it and records it (default: the login name, as recorder only)"
        parser.add_argument("--by", metavar="WHO", required=name == "fact", help=by_help)
        parser.add_argument(
            "--recorded-at", metavar="ISO8601",
            help=f"when this is recorded, {INSTANT_HELP} (default: --at, else now)",
        )  # fmt: skip
        parser.add_argument("--json", action="store_true", help="print the receipt as JSON")
