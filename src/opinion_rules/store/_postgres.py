"""
The case store on PostgreSQL, through psycopg 3 (imported when a store is
opened, so the rest of the library never needs it).

Writers to one incident are serialised by a row lock on the incident
(``SELECT ... FOR UPDATE``) taken before its log is read; writers to
different incidents run in parallel.  Adding a year schedule waits for the
writers that evaluate (an advisory lock they hold shared), and they for it.
Reads run in ``REPEATABLE READ READ ONLY`` transactions, so a replay sees
one consistent snapshot.  See ``docs/explanation/case-store.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from opinion_rules._limits import has_lone_surrogate
from opinion_rules.exceptions import StoreError, StoreNotFoundError, StoreUnavailableError
from opinion_rules.planfile._loaders import PluginsArg
from opinion_rules.store._casestore import CaseStore
from opinion_rules.store._outbox import DEFAULT_LISTENER_TIMEOUT
from opinion_rules.store._schema import ColumnTypes


__all__ = ["PostgresStore"]

_TYPES = ColumnTypes(big="BIGINT", serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")

# Any constant will do: it only has to be the same for every process that
# creates the tables (CREATE TABLE IF NOT EXISTS is not safe concurrently).
_SCHEMA_LOCK = 0x6F72_7374  # "orst"
# Taken shared by every write that evaluates, exclusively by add_schedule: a
# write never evaluates with year schedules that change before it commits.
_CALENDAR_LOCK = 0x6F72_6379  # "orcy"
_PASSWORD = re.compile(r"(://[^:/@]*):[^@]*@|(password\s*=\s*)\S+")


def redact(dsn: str) -> str:
    """
    *dsn* without its password, for messages.
    """
    return _PASSWORD.sub(lambda m: f"{m[1]}:***@" if m[1] else f"{m[2]}***", dsn)


class PostgresStore(CaseStore):
    """
    A case store in a PostgreSQL database (9.5 or newer; tested with 15).

    The tables live in the connection's schema (its ``search_path``).  Any
    number of processes may write at once; writes to the same incident wait
    for each other.  On a read-only connection (a standby server, or
    ``default_transaction_read_only``) every query works and a write is
    :class:`StoreUnavailableError`.

    Args:
        dsn: A libpq connection string or ``postgresql://`` URL.
        connect_timeout: Seconds to wait for the server.
        create: Whether to create the tables if they do not exist yet.
        plugins, listener_timeout: As for :func:`~opinion_rules.store.open_store`.

    Raises:
        StoreNotFoundError: the tables do not exist and *create* is false.
        StoreUnavailableError: psycopg is not installed (``pip install
            'opinion-rules[postgres]'``), or the server cannot be reached.

    .. versionadded:: 0.4.0
    .. versionchanged:: 0.5.0 *create*; a read-only connection can read.
    .. versionchanged:: 0.6.0 *plugins*, *listener_timeout*.
    """

    _COLUMN_TYPES: ClassVar[ColumnTypes] = _TYPES
    _LOCK: ClassVar[str] = " FOR UPDATE"
    _SKIP_LOCKED: ClassVar[str] = " FOR UPDATE SKIP LOCKED"

    def __init__(
        self,
        dsn: str,
        *,
        connect_timeout: int = 10,
        create: bool = True,
        plugins: PluginsArg = None,
        listener_timeout: float = DEFAULT_LISTENER_TIMEOUT,
    ) -> None:
        if not isinstance(dsn, str):
            raise StoreUnavailableError(repr(dsn), "is not a connection string; expected one")
        name = redact(dsn)
        if has_lone_surrogate(dsn) or "\0" in dsn:
            raise StoreUnavailableError(
                name.encode("utf-8", "backslashreplace").decode("utf-8"),
                "the connection string holds a lone surrogate or a NUL character; expected "
                "Unicode text",
            )
        try:
            import psycopg  # noqa: PLC0415 - optional dependency, needed only here
        except ImportError as exc:
            raise StoreUnavailableError(
                name,
                "the PostgreSQL driver psycopg is not installed; expected it installed with "
                "pip install 'opinion-rules[postgres]'",
            ) from exc
        self._errors: type[Exception] = psycopg.Error
        self._conn: Any = None
        try:
            self._conn = psycopg.connect(dsn, autocommit=True, connect_timeout=connect_timeout)
        except (psycopg.Error, ValueError) as exc:  # ValueError: a malformed option value
            raise StoreUnavailableError(name, f"cannot connect: {exc}".strip()) from exc
        try:
            if self._fetch("SHOW transaction_read_only") == [("on",)]:
                self._read_only = "the connection is read-only (transaction_read_only is on)"
            super().__init__(
                name, create=create, plugins=plugins, listener_timeout=listener_timeout
            )
        except BaseException:
            self._close()
            raise

    def _begin(self, *, write: bool) -> None:
        # Writes run in READ COMMITTED: after the incident's row lock is
        # granted, every statement sees what the previous holder committed.
        self._fetch("BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def _commit(self) -> None:
        self._fetch("COMMIT")

    def _rollback(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._fetch("ROLLBACK")

    def _before_schema(self) -> None:
        self._fetch("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))

    def _fetch(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        if self._conn is None:
            raise StoreUnavailableError(self._name, "the store is closed")
        try:
            cursor = self._conn.execute(sql.replace("?", "%s"), params or None)
            return list(cursor.fetchall()) if cursor.description is not None else []
        except self._errors as exc:
            raise StoreUnavailableError(self._name, f"the database failed: {exc}") from exc

    def _run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        if self._conn is None:
            raise StoreUnavailableError(self._name, "the store is closed")
        try:
            with self._conn.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)
        except self._errors as exc:
            raise StoreUnavailableError(self._name, f"the database failed: {exc}") from exc

    def _has_tables(self) -> bool:
        return self._fetch("SELECT to_regclass('meta') IS NOT NULL") == [(True,)]

    def _has_table(self, name: str) -> bool:
        return self._fetch("SELECT to_regclass(?) IS NOT NULL", (name,)) == [(True,)]

    def _calendar_lock(self, *, exclusive: bool) -> None:
        self._fetch(
            "SELECT pg_advisory_xact_lock(?)"
            if exclusive
            else "SELECT pg_advisory_xact_lock_shared(?)",
            (_CALENDAR_LOCK,),
        )

    def _missing(self) -> StoreError:
        return StoreNotFoundError(
            self._name,
            "the database has no case store tables in its search_path (no meta table)",
        )

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
