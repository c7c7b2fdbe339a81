"""
The case store on SQLite (standard library ``sqlite3``).

Durability and concurrency come from three settings, explained in
``docs/explanation/case-store.md``: write-ahead logging (readers never block
the writer), ``synchronous=FULL`` (a commit is on disk before ``record``
returns, so an acknowledged write survives a crash or power loss), and
``BEGIN IMMEDIATE`` for every write (the write lock is taken before the log
is read, so two processes never decide on a stale log) with a busy timeout,
so concurrent writers wait for each other instead of failing.

A new store file is made complete under a temporary name and then linked
into place, so a store path is either absent or a whole store: never an
empty file that a second process could mistake for a store (an existing
empty file is refused).  Opening an existing store only reads: a read-only
file can be queried.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from opinion_rules._limits import has_lone_surrogate
from opinion_rules.exceptions import StoreError, StoreNotFoundError, StoreUnavailableError
from opinion_rules.planfile._loaders import PluginsArg
from opinion_rules.store._casestore import CaseStore
from opinion_rules.store._outbox import DEFAULT_LISTENER_TIMEOUT
from opinion_rules.store._schema import SCHEMA_VERSION, ColumnTypes, schema_statements


__all__ = ["SQLiteStore"]

# SQLite's INTEGER is 64 bits; AUTOINCREMENT never reuses the seq of a deleted row.
_TYPES = ColumnTypes(big="INTEGER", serial="INTEGER PRIMARY KEY AUTOINCREMENT")


class SQLiteStore(CaseStore):
    """
    A case store in one SQLite file.

    Several processes may use the same file at once: writes wait for each
    other (up to *timeout* seconds), and reads never wait.  The file must be
    on a local disk: SQLite's locking does not work over network file
    systems.  A file this process may not write is opened read-only: every
    query works, and a write is :class:`StoreUnavailableError`.

    Args:
        path: The database file.
        timeout: How long a write waits for another process's write, in
            seconds.
        create: Whether to create the file if it does not exist.  An
            existing file is never created over: an empty file, or an SQLite
            database without the store's tables, is refused.
        plugins, listener_timeout: As for :func:`~opinion_rules.store.open_store`.

    Raises:
        StoreNotFoundError: the file does not exist and *create* is false.
        StoreUnavailableError: the file cannot be opened or created, or is
            not a case store's database.

    .. versionadded:: 0.4.0
    .. versionchanged:: 0.5.0 *create*; a file this process may not write
       is opened read-only.
    .. versionchanged:: 0.6.0 *plugins*, *listener_timeout*.
    """

    _COLUMN_TYPES: ClassVar[ColumnTypes] = _TYPES

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        create: bool = True,
        plugins: PluginsArg = None,
        listener_timeout: float = DEFAULT_LISTENER_TIMEOUT,
    ) -> None:
        name = os.fspath(path)
        self._conn: sqlite3.Connection | None = None
        self._timeout = timeout
        if not isinstance(name, str) or not name.strip():
            raise StoreUnavailableError(repr(name), "is not a file path; expected one")
        shown = _shown(name)
        if "\0" in name:
            raise StoreUnavailableError(
                shown, "the path holds a NUL character; expected a file path"
            )
        if name == ":memory:":  # SQLite's private in-memory database, for experiments
            if not create:
                raise StoreNotFoundError(shown, "an in-memory database is always new")
            self._connect(shown, name, uri=False)
            try:
                super().__init__(
                    shown, create=True, plugins=plugins, listener_timeout=listener_timeout
                )
            except BaseException:
                self._close()
                raise
            return
        state = _file_state(shown, name)
        if state is None:
            if not create:
                raise StoreNotFoundError(shown, "the file does not exist")
            _create(shown, name)
            state = _file_state(shown, name)
        if state is None:  # e.g. a symbolic link to a file that does not exist
            raise StoreUnavailableError(
                shown, "no file could be created there (a dangling symbolic link?)"
            )
        if stat.S_ISDIR(state.st_mode):
            raise StoreUnavailableError(
                shown, "cannot open the database: it is a directory; expected a file"
            )
        if state.st_size == 0:
            raise StoreUnavailableError(
                shown,
                "the file is empty (0 bytes), so it is not a case store; expected a case "
                "store's database, or a path that does not exist yet to create one there",
            )
        uri = Path(name).absolute().as_uri() + "?mode=rw"
        if not os.access(name, os.W_OK):
            self._read_only = "the file is read-only for this process"
            uri = uri.replace("mode=rw", "mode=ro")
            if (
                not os.access(Path(name).absolute().parent, os.W_OK)
                and not Path(f"{name}-wal").exists()
            ):
                # Read-only media: SQLite cannot make the shared-memory file a
                # reader of a WAL database needs, and no writer can be at work
                # (it would need a -wal file beside the database).
                uri += "&immutable=1"
        self._connect(shown, uri, uri=True)
        try:
            super().__init__(
                shown, create=False, plugins=plugins, listener_timeout=listener_timeout
            )
        except BaseException:
            self._close()
            raise

    def _connect(self, shown: str, target: str, *, uri: bool) -> None:
        try:
            self._conn = sqlite3.connect(
                target, timeout=self._timeout, isolation_level=None, uri=uri
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            # connect() succeeds on a file that is no database; the first
            # statement fails, and the connection must not be left open.
            self._close()
            raise StoreUnavailableError(shown, f"cannot open the database: {exc}") from exc

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
            raise self._failed(exc) from exc

    def _run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        try:
            self.connection.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc

    def _failed(self, exc: sqlite3.Error) -> StoreUnavailableError:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY:
            return StoreUnavailableError(
                self._name,
                f"cannot write: the database is read-only ({exc}); expected a store this "
                "process may write",
            )
        return StoreUnavailableError(self._name, f"the database failed: {exc}")

    def _has_tables(self) -> bool:
        return bool(
            self._fetch("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
        )

    def _has_table(self, name: str) -> bool:
        return bool(
            self._fetch("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        )

    def _missing(self) -> StoreError:
        return StoreUnavailableError(
            self._name,
            "the file is an SQLite database but not a case store (it has no meta table); "
            "expected a case store's database, or a path that does not exist yet to create "
            "one there",
        )

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _shown(name: str) -> str:
    """
    *name* for messages: a file name that is not UTF-8, or holds a NUL, is
    shown escaped.
    """
    if has_lone_surrogate(name):
        name = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return name.replace("\0", "\\0")


def _file_state(shown: str, name: str) -> os.stat_result | None:
    try:
        return Path(name).stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreUnavailableError(shown, f"cannot open the database: {exc}") from exc


def _create(shown: str, name: str) -> None:
    """
    Create a complete, empty store at *name*, which did not exist: build it
    under a temporary name beside it, then hard-link it into place, so no
    other process ever sees a half-made store.  If another process linked
    its own first, that one is kept.
    """
    full = Path(name).absolute()
    temp = full.with_name(f".{full.name}.{secrets.token_hex(8)}.new")
    try:
        os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except OSError as exc:
        raise StoreUnavailableError(
            shown, f"cannot create the file: {exc.strerror} (in {_shown(str(full.parent))})"
        ) from exc
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("BEGIN IMMEDIATE")
            for statement in schema_statements(_TYPES):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
        _fsync(temp)
        try:
            os.link(temp, name)
        except FileExistsError:
            pass  # another process created the store first: open that one
        except OSError:
            _copy_new(temp, name)  # a file system without hard links
        _fsync(full.parent)
    except (OSError, sqlite3.Error) as exc:
        raise StoreUnavailableError(shown, f"cannot create the file: {exc}") from exc
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _copy_new(source: Path, name: str) -> None:
    """
    Copy *source* to *name* if *name* does not exist (never over it).
    """
    try:
        fd = os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as out, source.open("rb") as data:
        while chunk := data.read(1 << 16):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def _fsync(path: Path) -> None:
    # Directories cannot be opened for fsync everywhere (Windows): best effort.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
