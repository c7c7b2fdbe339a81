"""
The case store's connection to its database: what a dialect provides (a
connection, transactions, catalog lookups, the spelling of column types),
creating the tables and checking their layout, transactions with savepoints
inside :meth:`~CaseStore.bulk`, and the store's lifecycle.
"""

from __future__ import annotations

import abc
import contextlib
import re
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any, ClassVar, Self

from opinion_rules._limits import printable
from opinion_rules._problems import describe_value
from opinion_rules.exceptions import OpinionRulesError, StoreError, StoreUnavailableError
from opinion_rules.store._schema import (
    OLDEST_SCHEMA_VERSION,
    SCHEMA_VERSION,
    ColumnTypes,
    schema_statements,
)


__all__ = ["IN_LIST_SIZE", "StoreConnection"]

# How many ids one ``IN (...)`` list carries; SQLite's default limit on
# bound parameters is 32,766, PostgreSQL's 65,535.
IN_LIST_SIZE = 500


class StoreConnection(abc.ABC):
    """
    The base of the case store: one database connection, its transactions,
    and the tables; a dialect subclass supplies the connection.
    """

    #: Appended to the incident lookup of a write to lock the incident's row
    #: until commit (``" FOR UPDATE"`` in PostgreSQL; SQLite's ``BEGIN
    #: IMMEDIATE`` already holds the database's write lock).
    _LOCK: ClassVar[str] = ""
    #: Appended to the agenda refresh's lookup of a state row: skip rows a
    #: writer holds (PostgreSQL); refreshed rows are derived data, and the
    #: writer stores newer ones anyway.
    _SKIP_LOCKED: ClassVar[str] = ""

    #: How the dialect spells the column types of the one table description.
    _COLUMN_TYPES: ClassVar[ColumnTypes]

    #: Why this connection cannot write (e.g. a read-only file), or ``None``;
    #: set by a backend before it calls ``CaseStore.__init__``.
    _read_only: str | None = None

    def __init__(self, name: str, *, create: bool) -> None:
        """
        Check the tables; create them if there are none and *create* is true.

        Opening a store that has its tables reads and never writes, so that a
        read-only store can be read.
        """
        self._name = name
        self._depth = 0
        with self._transaction(write=False):
            found = self._has_tables()
            if found:
                self._check_version()
        if found:
            return
        if not create:
            raise self._missing()
        with self._transaction(write=True):
            self._before_schema()
            if self._has_tables():  # another process created them meanwhile
                self._check_version()
                return
            for statement in schema_statements(self._COLUMN_TYPES):
                self._fetch(statement)
            self._fetch(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    # -- what a backend provides ------------------------------------------------------

    @abc.abstractmethod
    def _begin(self, *, write: bool) -> None:
        """
        Start a transaction: a write transaction holds the write lock.
        """

    @abc.abstractmethod
    def _commit(self) -> None:
        """
        Commit the transaction.
        """

    @abc.abstractmethod
    def _rollback(self) -> None:
        """
        Roll the transaction back.
        """

    @abc.abstractmethod
    def _fetch(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """
        Run one statement (``?`` placeholders); return its rows, if any.
        """

    @abc.abstractmethod
    def _run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """
        Run one statement once per row of parameters.
        """

    @abc.abstractmethod
    def _close(self) -> None:
        """
        Close the connection.
        """

    def _before_schema(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """
        Serialise schema creation between processes where DDL needs it.
        """

    @abc.abstractmethod
    def _has_tables(self) -> bool:
        """
        Whether the store's ``meta`` table exists (a catalog lookup that
        never fails for a missing table).
        """

    @abc.abstractmethod
    def _has_table(self, name: str) -> bool:
        """
        Whether the table *name* exists (a catalog lookup that never fails
        for a missing table).
        """

    def _forget_cached(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """
        Drop what the session cached from the database: after a rollback it
        may hold data that was never committed.
        """

    def _after_commit(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """
        Run after a write transaction committed (not a savepoint inside
        :meth:`bulk`); must not raise.
        """

    def _calendar_lock(self, *, exclusive: bool) -> None:  # noqa: B027 - optional, empty by default
        """
        Serialise a change of the year schedules (*exclusive*) against the
        writers that evaluate with them (shared), where the database's own
        write lock does not (PostgreSQL); held until the transaction ends.
        """

    @abc.abstractmethod
    def _missing(self) -> StoreError:
        """
        The error for a store without tables that may not be created here.
        """

    # -- lifecycle ------------------------------------------------------------------

    @property
    def name(self) -> str:
        """
        The store's path, or its URL without the password.
        """
        return self._name

    def close(self) -> None:
        """
        Close the database connection.  Closing twice is harmless.

        .. versionadded:: 0.4.0
        """
        self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name}>"

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """
        Group writes into one transaction, e.g. to import many incidents.

        Inside the block each write is still all-or-nothing (a savepoint);
        the block commits when it ends, and writes nothing if it raises.
        Prefer single writes otherwise: a long transaction holds the write
        lock (SQLite) or the incidents' row locks (PostgreSQL) until it ends.

        .. versionadded:: 0.4.0
        """
        with self._transaction(write=True):
            yield

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[None]:
        if self._depth:
            # Nested in bulk(): a savepoint keeps this call all-or-nothing.
            name = f"opinion_rules_{self._depth}"
            self._fetch(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._forget_cached()
                self._fetch(f"ROLLBACK TO SAVEPOINT {name}")
                self._fetch(f"RELEASE SAVEPOINT {name}")
                raise
            else:
                self._fetch(f"RELEASE SAVEPOINT {name}")
            finally:
                self._depth -= 1
            return
        if write and self._read_only is not None:
            raise StoreUnavailableError(
                self._name,
                f"cannot write: {self._read_only}; expected a store this process may write",
            )
        self._begin(write=write)
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._forget_cached()  # it may hold a schedule that was rolled back
            # A failed rollback must not hide why the transaction failed.
            with contextlib.suppress(StoreError):
                self._rollback()
            raise
        self._depth = 0
        self._commit()
        if write:
            self._after_commit()

    def _check_version(self) -> None:
        *older, newest = map(str, range(OLDEST_SCHEMA_VERSION, SCHEMA_VERSION + 1))
        layouts = f"{', '.join(older)} or {newest}" if older else newest
        rows = self._fetch("SELECT value FROM meta WHERE key = 'schema_version'")
        if not rows:
            raise StoreUnavailableError(
                self._name,
                "its meta table has no schema_version; expected the table layout number "
                f"({layouts}): the store is damaged",
            )
        text = rows[0][0]
        if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,9}", text):
            raise StoreUnavailableError(
                self._name,
                f"its schema_version is {describe_value(text)}, not a table layout number; "
                f"expected {layouts}: the store is damaged",
            )
        if int(text) > SCHEMA_VERSION:
            raise StoreUnavailableError(
                self._name,
                f"it has table layout {int(text)}, newer than this opinion_rules understands "
                f"({SCHEMA_VERSION}); expected an upgrade of opinion_rules",
            )
        if int(text) < OLDEST_SCHEMA_VERSION:
            raise StoreUnavailableError(
                self._name,
                f"its schema_version is {int(text)}, which no opinion_rules wrote; expected "
                f"{layouts}: the store is damaged",
            )

    @contextlib.contextmanager
    def _reading(self, what: str) -> Iterator[None]:
        """
        Turn a failure to decode stored data into a :class:`StoreUnavailableError`
        naming the store and *what* was read: the database holds something
        opinion_rules does not write (a damaged or tampered store).
        """
        try:
            yield
        except OpinionRulesError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
            raise StoreUnavailableError(
                self._name,
                f"{what} cannot be read: {printable(str(exc))}; expected data as opinion_rules "
                "writes it: the store is damaged",
            ) from exc
