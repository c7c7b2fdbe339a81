"""
The incident log: entries as stored and read back, the incident they
describe, and the store's reads of it (replay as of an instant, timeline,
audit).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from opinion_rules._limits import printable
from opinion_rules._problems import describe_value
from opinion_rules.exceptions import UnknownIncidentError
from opinion_rules.model._facts import Incident
from opinion_rules.model._results import Assessment
from opinion_rules.store._connection import IN_LIST_SIZE
from opinion_rules.store._plans import PlanShelf
from opinion_rules.store._records import ENTRY_KINDS, EntryKind, LogEntry, Receipt
from opinion_rules.store._values import checked_instant, checked_text, to_us


__all__ = [
    "ENTRY_COLUMNS",
    "LogReader",
    "StoredEntry",
    "incident_data",
    "log_entry",
    "stored_entry",
]

#: The columns of ``entries`` that :func:`stored_entry` reads, in order.
ENTRY_COLUMNS = "seq, entry_id, kind, item, recorded_at, recorded_us, recorded_by"


@attrs.frozen
class StoredEntry:
    """
    One entry as read back from the log.
    """

    seq: int
    entry_id: str
    kind: EntryKind
    content: str
    recorded_at: datetime
    recorded_us: int
    recorded_by: str
    #: *content*, parsed.
    item: dict[str, Any]

    def receipt(self, incident_id: str, *, duplicate: bool) -> Receipt:
        return Receipt(
            incident_id,
            self.entry_id,
            self.seq,
            self.kind,
            self.recorded_at,
            self.recorded_by,
            duplicate,
        )


def stored_entry(row: Sequence[Any]) -> StoredEntry:
    """
    One row of the log (the columns of ``ENTRY_COLUMNS``), checked.

    Raises:
        ValueError, TypeError: the row is not what opinion_rules writes.
    """
    seq, entry_id, kind, content, recorded_at, recorded_us, recorded_by = row
    if not (
        isinstance(seq, int)
        and isinstance(entry_id, str)
        and kind in ENTRY_KINDS
        and isinstance(content, str)
        and isinstance(recorded_at, str)
        and isinstance(recorded_us, int)
        and isinstance(recorded_by, str)
    ):
        raise TypeError("a column holds a value of another type than opinion_rules writes")
    try:
        item = json.loads(content)
    except RecursionError:
        raise ValueError("its item nests too deeply to read") from None
    if not isinstance(item, dict):
        raise TypeError(f"its item is {describe_value(item)}, not a JSON object")
    if kind == "open" and not (
        isinstance(item.get("discovered_at"), str) and isinstance(item.get("facts"), dict)
    ):
        raise ValueError("the opening has no discovered_at or no facts")
    at = datetime.fromisoformat(recorded_at)
    if at.utcoffset() is None:
        raise ValueError(f"recorded_at {recorded_at!r} has no UTC offset")
    return StoredEntry(seq, entry_id, kind, content, at, recorded_us, recorded_by, item)


def incident_data(incident_id: str, log: Iterable[StoredEntry]) -> dict[str, Any]:
    """
    The incident, in the interchange format, that the log entries describe.
    """
    data: dict[str, Any] = {"id": incident_id, "observations": [], "events": []}
    for entry in log:
        item = entry.item
        if entry.kind == "open":
            data["discovered_at"] = item["discovered_at"]
            if "posted_at" in item:
                data["posted_at"] = item["posted_at"]
            data["facts"] = item["facts"]
        else:
            data[f"{entry.kind}s"].append(item)
    return data


def log_entry(incident_id: str, entry: StoredEntry) -> LogEntry:
    """
    *entry* of *incident_id*'s log, as the store hands it out.
    """
    return LogEntry(
        entry.seq,
        incident_id,
        entry.entry_id,
        entry.kind,
        entry.recorded_at,
        entry.recorded_by,
        entry.item,
    )


class LogReader(PlanShelf):
    """
    The case store's reads of the incident log.
    """

    def _entry(self, row: Sequence[Any]) -> StoredEntry:
        with self._reading(f"log entry seq {printable(repr(row[0]))}"):
            return stored_entry(row)

    def _log(
        self, incident_id: str, known_us: int | None = None, *, after_seq: int | None = None
    ) -> list[StoredEntry]:
        sql = f"SELECT {ENTRY_COLUMNS} FROM entries WHERE incident_id = ?"  # noqa: S608 - constant columns
        params: tuple[object, ...] = (incident_id,)
        if known_us is not None:
            sql += " AND recorded_us <= ?"
            params = (*params, known_us)
        if after_seq is not None:
            sql += " AND seq > ?"
            params = (*params, after_seq)
        return [self._entry(row) for row in self._fetch(sql + " ORDER BY seq", params)]

    def _close_ids(self, incident_id: str) -> str | None:
        # Only a few neighbours in id order: a store may hold 100,000 ids.
        rows = self._fetch(
            "SELECT incident_id FROM incidents WHERE incident_id >= ? ORDER BY incident_id LIMIT 3",
            (incident_id[:-1],),
        )
        rows += self._fetch(
            "SELECT incident_id FROM incidents WHERE incident_id < ? ORDER BY incident_id DESC "
            "LIMIT 3",
            (incident_id,),
        )
        close = difflib.get_close_matches(incident_id, sorted({str(r[0]) for r in rows}), n=1)
        if close:
            return f"an opened incident; did you mean {close[0]!r}?"
        return "an incident opened first (open_incident, or opinion-rules track open)"

    def _logs(self, incident_ids: Sequence[str], known_us: int) -> dict[str, list[StoredEntry]]:
        out: dict[str, list[StoredEntry]] = {}
        for start in range(0, len(incident_ids), IN_LIST_SIZE):
            chunk = incident_ids[start : start + IN_LIST_SIZE]
            marks = ", ".join("?" for _ in chunk)
            for row in self._fetch(
                f"SELECT incident_id, {ENTRY_COLUMNS} FROM entries WHERE incident_id IN "  # noqa: S608 - only placeholders
                f"({marks}) AND recorded_us <= ? ORDER BY seq",
                [*chunk, known_us],
            ):
                out.setdefault(str(row[0]), []).append(self._entry(row[1:]))
        return out

    def _opening(self, incident_id: str) -> StoredEntry | None:
        rows = self._fetch(
            f"SELECT {ENTRY_COLUMNS} FROM entries WHERE incident_id = ? AND kind = 'open'",  # noqa: S608 - constant columns
            (incident_id,),
        )
        return None if not rows else self._entry(rows[0])

    def incident(self, incident_id: str, *, known_at: datetime | None = None) -> Incident:
        """
        The incident rebuilt from its log: every entry, or only those
        recorded at or before *known_at*.

        Raises:
            UnknownIncidentError: never opened, or opened after *known_at*.

        .. versionadded:: 0.4.0
        """
        return self._replay(incident_id, known_at)[1]

    def _replay(self, incident_id: str, known_at: datetime | None) -> tuple[str, Incident]:
        checked_text("incident", "incident_id", incident_id)
        known_us = None
        if known_at is not None:
            known_at = checked_instant(f"incident {incident_id!r}", "known_at", known_at)
            known_us = to_us(known_at)
        with self._transaction(write=False):
            head = self._fetch(
                "SELECT plan_key, opened_at, opened_us FROM incidents WHERE incident_id = ?",
                (incident_id,),
            )
            if not head:
                raise UnknownIncidentError(incident_id, expected=self._close_ids(incident_id))
            with self._reading(f"incident {incident_id!r}"):
                key, opened_at, opened_us = str(head[0][0]), str(head[0][1]), int(head[0][2])
                opened = datetime.fromisoformat(opened_at)
            if known_at is not None and known_us is not None and opened_us > known_us:
                raise UnknownIncidentError(incident_id, known_at=known_at, opened_at=opened)
            log = self._log(incident_id, known_us)
        return key, Incident.from_dict(incident_data(incident_id, log), source="stored incident")

    def assess(
        self, incident_id: str, at: datetime, *, known_at: datetime | None = None
    ) -> Assessment:
        """
        Evaluate the incident with its pinned plan at *at*, replaying the
        entries recorded at or before *known_at* (default: *at*).

        With the default, the result is exactly what the plan required at
        *at* given what had been recorded by then; a later *known_at* looks
        at *at* with hindsight.

        Raises:
            UnknownIncidentError: never opened, or opened after *known_at*.

        .. versionadded:: 0.4.0
        """
        checked_text("assess", "incident_id", incident_id)
        at = checked_instant(f"incident {incident_id!r}", "at", at)
        if known_at is not None:
            known_at = checked_instant(f"incident {incident_id!r}", "known_at", known_at)
        key, incident = self._replay(incident_id, at if known_at is None else known_at)
        with self._transaction(write=False):
            self._sync_years()
            engine = self._engine(key)
        return engine.evaluate(incident, at=at)

    def plan_key_of(self, incident_id: str) -> str:
        """
        The key of the plan version the incident is pinned to.

        Raises:
            UnknownIncidentError: never opened.

        .. versionadded:: 0.4.0
        """
        checked_text("plan_key_of", "incident_id", incident_id)
        with self._transaction(write=False):
            rows = self._fetch(
                "SELECT plan_key FROM incidents WHERE incident_id = ?", (incident_id,)
            )
            if not rows:
                raise UnknownIncidentError(incident_id, expected=self._close_ids(incident_id))
        return str(rows[0][0])

    def timeline(self, incident_id: str) -> list[LogEntry]:
        """
        The incident's log, in order: the opening, then every entry.

        Raises:
            UnknownIncidentError: never opened.

        .. versionadded:: 0.4.0
        """
        checked_text("timeline", "incident_id", incident_id)
        with self._transaction(write=False):
            if not self._fetch("SELECT 1 FROM incidents WHERE incident_id = ?", (incident_id,)):
                raise UnknownIncidentError(incident_id, expected=self._close_ids(incident_id))
            log = self._log(incident_id)
        return [log_entry(incident_id, e) for e in log]

    def audit(
        self,
        incident_id: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LogEntry]:
        """
        Who recorded what, and when: log entries across incidents (or of
        one), recorded between *since* and *until* (both included), ordered
        by recording time, then log order.

        Raises:
            UnknownIncidentError: *incident_id* was never opened.

        .. versionadded:: 0.4.0
        """
        where: list[str] = []
        params: list[object] = []
        if incident_id is not None:
            checked_text("audit", "incident_id", incident_id)
            where.append("incident_id = ?")
            params.append(incident_id)
        if since is not None:
            where.append("recorded_us >= ?")
            params.append(to_us(checked_instant("audit", "since", since)))
        if until is not None:
            where.append("recorded_us <= ?")
            params.append(to_us(checked_instant("audit", "until", until)))
        # Only constant conditions are joined; every value is a parameter.
        sql = f"SELECT incident_id, {ENTRY_COLUMNS} FROM entries"  # noqa: S608
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._transaction(write=False):
            if incident_id is not None and not self._fetch(
                "SELECT 1 FROM incidents WHERE incident_id = ?", (incident_id,)
            ):
                raise UnknownIncidentError(incident_id, expected=self._close_ids(incident_id))
            rows = self._fetch(sql + " ORDER BY recorded_us, seq", params)
        return [log_entry(str(r[0]), self._entry(r[1:])) for r in rows]

    def incident_ids(self) -> list[str]:
        """
        Every incident's id, sorted.

        .. versionadded:: 0.4.0
        """
        with self._transaction(write=False):
            rows = self._fetch("SELECT incident_id FROM incidents ORDER BY incident_id")
        return [str(r[0]) for r in rows]
