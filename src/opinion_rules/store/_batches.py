"""
Batches of log entries being recorded: their envelopes checked, sorted into
repeats and new entries, and the incident rebuilt with them, with every
problem addressed to the entry it is about.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from opinion_rules._limits import printable
from opinion_rules._problems import describe_value
from opinion_rules.exceptions import DuplicateEntryError, FactError, Problem, RecordFormatError
from opinion_rules.model._facts import Incident
from opinion_rules.store._log import StoredEntry, incident_data
from opinion_rules.store._records import Receipt
from opinion_rules.store._values import canonical, json_problem, text_problem


__all__ = [
    "ITEM_KINDS",
    "NewEntry",
    "Positions",
    "batch_positions",
    "classify_batch",
    "parse_batch",
    "relocate",
    "with_batch",
]

#: What a client entry may hold: exactly one of these keys besides ``id``.
ITEM_KINDS: tuple[str, ...] = ("observation", "event")
_ITEM_PATH = re.compile(r"^(observations|events)\[(\d+)\](.*)$", re.DOTALL)
# How many problems of one batch are reported, and entries named in the
# subject: enough to fix the sender, one screen rather than megabytes.
_MOST_PROBLEMS = 50
_MOST_ENTRIES = 10


@attrs.frozen
class NewEntry:
    """
    One entry of a batch being recorded, after its envelope was checked.
    """

    index: int
    where: str
    entry_id: str
    kind: str
    item: Mapping[str, Any]
    content: str


def classify_batch(
    incident_id: str, by_id: Mapping[str, StoredEntry], parsed: list[NewEntry]
) -> tuple[list[Receipt | NewEntry], list[NewEntry]]:
    """
    Sort a batch into repeats of stored entries (*by_id*: the log by entry
    id; their first receipts), repeats within the batch, and new entries;
    refuse a reused id.

    Returns:
        One receipt or new entry per batch entry, and the new entries.
    """
    receipts: list[Receipt | NewEntry] = []
    new: list[NewEntry] = []
    first: dict[str, NewEntry] = {}
    for entry in parsed:
        stored = by_id.get(entry.entry_id)
        earlier = first.get(entry.entry_id)
        if stored is not None and (stored.kind, stored.content) == (entry.kind, entry.content):
            receipts.append(stored.receipt(incident_id, duplicate=True))
        elif stored is not None:
            raise DuplicateEntryError(
                incident_id,
                entry.entry_id,
                entry.where,
                stored.seq,
                canonical({"id": stored.entry_id, stored.kind: stored.item}),
                canonical({"id": entry.entry_id, entry.kind: entry.item}),
            )
        elif earlier is not None and (earlier.kind, earlier.content) == (entry.kind, entry.content):
            receipts.append(earlier)
        elif earlier is not None:
            raise DuplicateEntryError(
                incident_id,
                entry.entry_id,
                entry.where,
                None,
                canonical({"id": earlier.entry_id, earlier.kind: earlier.item}),
                canonical({"id": entry.entry_id, entry.kind: entry.item}),
            )
        else:
            first[entry.entry_id] = entry
            new.append(entry)
            receipts.append(entry)
    return receipts, new


def parse_batch(subject: str, batch: list[Any], places: list[str]) -> list[NewEntry]:
    """
    Check every entry's envelope; report every problem at once.
    """
    problems: list[Problem] = []
    out: list[NewEntry] = []
    expected = 'an object {"id": ..., "observation": {...}} or {"id": ..., "event": {...}}'
    for index, (entry, where) in enumerate(zip(batch, places, strict=True)):
        if not isinstance(entry, Mapping):
            problems.append(Problem(where, "is not an entry", expected, describe_value(entry)))
            continue
        before = len(problems)
        entry_id = entry.get("id")
        id_problem = text_problem(entry_id)
        if id_problem is not None:
            got = "nothing" if "id" not in entry else describe_value(entry_id)
            problems.append(Problem(f"{where}.id", id_problem, "the client's entry id", got))
        kinds = [k for k in ITEM_KINDS if k in entry]
        others = sorted(str(k) for k in entry if k != "id" and k not in ITEM_KINDS)
        if others:
            problems.append(
                Problem(
                    f"{where}.{printable(others[0])}",
                    "is not a known field",
                    "'id' and 'observation' or 'event'",
                )
            )
        if len(kinds) != 1:
            problems.append(
                Problem(
                    where,
                    "has both 'observation' and 'event'"
                    if kinds
                    else "has no 'observation' or 'event'",
                    "exactly one of them",
                )
            )
        else:
            item = entry[kinds[0]]
            if not isinstance(item, Mapping):
                problems.append(
                    Problem(
                        f"{where}.{kinds[0]}",
                        "is not an object",
                        "a JSON object",
                        describe_value(item),
                    )
                )
        if len(problems) > before:
            continue
        kind = kinds[0]
        item = dict(entry[kind])
        problem = json_problem(item, f"{where}.{kind}")
        if problem is not None:
            problems.append(problem)
            continue
        try:
            content = canonical(item)
        except (TypeError, ValueError, RecursionError) as exc:
            problems.append(
                Problem(
                    f"{where}.{kind}",
                    f"is not JSON data: {exc}",
                    "strings, numbers, booleans, objects, arrays",
                )
            )
            continue
        assert isinstance(entry_id, str)  # noqa: S101 - checked above
        out.append(NewEntry(index, where, entry_id, kind, item, content))
    if len(problems) > _MOST_PROBLEMS:  # a whole file of non-entries: one screen, not 40 MB
        subject = f"{subject} (the first {_MOST_PROBLEMS} of {len(problems)} problems)"
        del problems[_MOST_PROBLEMS:]
    if problems:
        raise RecordFormatError(subject, problems)
    return out


#: Where the items of a rebuilt incident came from: (section, index) to the
#: entry's place, id and kind.
Positions = dict[tuple[str, int], tuple[str, str, str]]


def with_batch(
    incident_id: str, key: str, log: list[StoredEntry], new: list[NewEntry]
) -> tuple[Incident, list[datetime]]:
    """
    The incident with the logged entries and then the batch, and the parsed
    instant of each new item.  Problems are re-addressed to the entries.
    """
    data = incident_data(incident_id, log)
    landed: list[tuple[str, int]] = []
    for entry in new:
        section = f"{entry.kind}s"
        landed.append((section, len(data[section])))
        data[section].append(entry.item)
    try:
        incident = Incident.from_dict(data, source="incident")
    except FactError as exc:
        raise relocate(exc, incident_id, key, batch_positions(log, new)) from None
    return incident, [
        (incident.observations if section == "observations" else incident.events)[i].at
        for section, i in landed
    ]


def batch_positions(log: list[StoredEntry], new: list[NewEntry]) -> Positions:
    """
    The places of the logged items and then the batch's, as the incident
    rebuilt from them numbers them, for :func:`relocate`.
    """
    positions: Positions = {}
    counts = {"observations": 0, "events": 0}
    for where, entry_id, kind in [
        *((f"log seq {e.seq}", e.entry_id, e.kind) for e in log if e.kind != "open"),
        *((e.where, e.entry_id, e.kind) for e in new),
    ]:
        section = f"{kind}s"
        positions[(section, counts[section])] = (where, entry_id, kind)
        counts[section] += 1
    return positions


def relocate(exc: FactError, incident_id: str, key: str, positions: Positions) -> FactError:
    """
    Re-address a :class:`FactError` about the rebuilt incident to the entries
    its problems are about: ``events[7].type`` becomes ``stdin:3 event.type``
    under a subject naming the entry.
    """
    problems = []
    entries: list[str] = []
    for problem in exc.problems:
        match = _ITEM_PATH.match(problem.path)
        place = None if match is None else positions.get((match[1], int(match[2])))
        if match is None or place is None:
            problems.append(problem)
            continue
        where, entry_id, kind = place
        if entry_id not in entries:
            entries.append(entry_id)
        problems.append(attrs.evolve(problem, path=f"{where} {kind}{match[3]}"))
    subject = f"incident {incident_id!r} (plan {key!r})"
    if len(entries) == 1:
        subject += f", entry {entries[0]!r}"
    elif entries:
        subject += ", entries " + ", ".join(repr(e) for e in entries[:_MOST_ENTRIES])
        if len(entries) > _MOST_ENTRIES:
            subject += f" and {len(entries) - _MOST_ENTRIES} more"
    if len(problems) > _MOST_PROBLEMS:
        subject += f" (the first {_MOST_PROBLEMS} of {len(problems)} problems)"
        del problems[_MOST_PROBLEMS:]
    return FactError(subject, problems)
