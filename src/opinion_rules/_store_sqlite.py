"""
The case store on SQLite (standard library ``sqlite3``).

Durability and concurrency come from three settings, explained in
``docs/explanation/case-store.md``: write-ahead logging (readers never block
the writer), ``synchronous=FULL`` (a commit is on disk before ``record``
returns, so an acknowledged write survives a crash or power loss), and
``BEGIN IMMEDIATE`` for every write (the write lock is taken before the log
is read, so two processes never decide on a stale log) with a busy timeout,
so concurrent writers wait for each other instead of failing.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from typing import Any

from ._store import CaseStore
from .exceptions import StoreUnavailableError


__all__ = ["SQLiteStore"]

# Times are stored twice: as ISO 8601 text with the offset they were given in
# (for people and for exact round trips) and as integer microseconds since
# the epoch, UTC (for ordering and indexes).
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS plans (
        plan_key TEXT PRIMARY KEY,
        plan_id TEXT NOT NULL,
        version TEXT NOT NULL,
        content TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS incidents (
        incident_id TEXT PRIMARY KEY,
        plan_key TEXT NOT NULL REFERENCES plans (plan_key),
        opened_at TEXT NOT NULL,
        opened_us INTEGER NOT NULL,
        latest_at TEXT NOT NULL,
        latest_us INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS entries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id TEXT NOT NULL REFERENCES incidents (incident_id),
        entry_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('open', 'observation', 'event')),
        item TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_us INTEGER NOT NULL,
        recorded_by TEXT NOT NULL,
        UNIQUE (incident_id, entry_id)
    )""",
    "CREATE INDEX IF NOT EXISTS entries_by_incident ON entries (incident_id, seq)",
    "CREATE INDEX IF NOT EXISTS entries_by_time ON entries (recorded_us, seq)",
    """CREATE TABLE IF NOT EXISTS agenda_state (
        incident_id TEXT PRIMARY KEY REFERENCES incidents (incident_id),
        plan_key TEXT NOT NULL,
        evaluated_at TEXT NOT NULL,
        evaluated_us INTEGER NOT NULL,
        next_change_us INTEGER,
        last_seq INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS agenda_state_by_next_change ON agenda_state (next_change_us)",
    "CREATE INDEX IF NOT EXISTS agenda_state_by_evaluated ON agenda_state (evaluated_us)",
    """CREATE TABLE IF NOT EXISTS agenda_rows (
        incident_id TEXT NOT NULL REFERENCES incidents (incident_id),
        action_id TEXT NOT NULL,
        plan_key TEXT NOT NULL,
        status TEXT NOT NULL,
        due TEXT,
        due_us INTEGER,
        title TEXT NOT NULL,
        owners TEXT NOT NULL,
        clause_ref TEXT,
        reason TEXT NOT NULL,
        PRIMARY KEY (incident_id, action_id)
    )""",
    "CREATE INDEX IF NOT EXISTS agenda_rows_by_due ON agenda_rows (status, due_us)",
]


class SQLiteStore(CaseStore):
    """
    A case store in one SQLite file, created if missing.

    Several processes may use the same file at once: writes wait for each
    other (up to *timeout* seconds), and reads never wait.  The file must be
    on a local disk: SQLite's locking does not work over network file
    systems.

    Args:
        path: The database file.
        timeout: How long a write waits for another process's write, in
            seconds.

    Raises:
        StoreUnavailableError: the file cannot be opened or is not a case
            store's database.

    .. versionadded:: 0.4.0
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        name = os.fspath(path)
        self._conn: sqlite3.Connection | None = None
        try:
            self._conn = sqlite3.connect(name, timeout=timeout, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            # connect() succeeds on a file that is no database; the first
            # statement fails, and the connection must not be left open.
            self._close()
            raise StoreUnavailableError(name, f"cannot open the database: {exc}") from exc
        try:
            super().__init__(name)
        except BaseException:
            self._close()
            raise

    @property
    def connection(self) -> sqlite3.Connection:
        """
        The underlying connection, for inspection (e.g. ``EXPLAIN QUERY
        PLAN``); writing through it bypasses every rule of the store.
        """
        if self._conn is None:
            raise StoreUnavailableError(self._name, "the store is closed")
        return self._conn

    def _begin(self, *, write: bool) -> None:
        self._fetch("BEGIN IMMEDIATE" if write else "BEGIN")

    def _commit(self) -> None:
        self._fetch("COMMIT")

    def _rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            self._fetch("ROLLBACK")

    def _fetch(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.connection.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailableError(self._name, f"the database failed: {exc}") from exc

    def _run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        try:
            self.connection.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreUnavailableError(self._name, f"the database failed: {exc}") from exc

    def _schema(self) -> list[str]:
        return list(_SCHEMA)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
