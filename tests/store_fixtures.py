"""
Fixtures for the case-store tests: a throwaway PostgreSQL server, and store
factories parametrised over both backends.  Test modules import the
``fixture_*`` functions; pytest knows them by their ``name``.

The server is started once per session from the PostgreSQL binaries on this
machine (``pg_config --bindir`` or ``/usr/lib/postgresql/*/bin``), in a temp
directory, listening only on a unix socket there.  initdb refuses to run as
root, so under root the server runs as the ``postgres`` system user (which
Debian's package creates).  Without a server the PostgreSQL tests are
skipped, except when ``CI=true``, where that is a failure: CI installs the
server (``.ci/run``) and must not pass by skipping.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from opinion_rules.store import CaseStore, open_store


BACKENDS = ["sqlite", "postgres"]


def _bindir() -> Path | None:
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(Path(out.stdout.strip()))
    # Debian installs the server beside, not on, the PATH; newest first.
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


class PostgresServer:
    """
    A PostgreSQL server in a temp directory, on a unix socket only.
    """

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="opinion-rules-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        # Only names the socket file, in a private directory: any free-ish number.
        self.port = random.randint(20_000, 60_000)  # noqa: S311
        self.started = False
        self._schemas = itertools.count()
        self._as: list[str] = []

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as, *argv], capture_output=True, text=True, check=False, timeout=120
        )

    def start(self) -> str | None:
        """
        Start the server; return why it could not be started, or ``None``.
        """
        if self.bindir is None:
            return "no PostgreSQL server binaries (initdb, pg_ctl) found"
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return "psycopg is not installed (pip install -e '.[test]')"
        self.socket.mkdir()
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                return "running as root and runuser is missing"
            try:
                shutil.chown(self.root, "postgres", "postgres")
                shutil.chown(self.socket, "postgres", "postgres")
            except (LookupError, OSError) as exc:
                return f"running as root and there is no usable 'postgres' user: {exc}"
            self._as = ["runuser", "-u", "postgres", "--"]
        init = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        )
        if init.returncode:
            return f"initdb failed: {init.stderr.strip()[-500:]}"
        options = f"-k {self.socket} -p {self.port} -c listen_addresses=''"
        start = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )
        if start.returncode:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
            return f"pg_ctl start failed: {start.stderr.strip()[-300:]} {tail}"
        self.started = True
        return None

    def stop(self) -> None:
        if self.started:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@/postgres?host={self.socket}&port={self.port}"

    def new_schema(self) -> str:
        """
        Create an empty schema; return a DSN whose search_path is it.
        """
        import psycopg

        name = f"t{os.getpid()}_{next(self._schemas)}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return f"{self.admin_dsn}&options=-csearch_path%3D{name}"


@pytest.fixture(scope="session", name="pg_server")
def fixture_pg_server() -> Iterator[PostgresServer]:
    """
    The session's PostgreSQL server; skips (fails under CI=true) without one.
    """
    server = PostgresServer()
    try:
        reason = server.start()
        if reason is not None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI needs PostgreSQL for the case-store tests: {reason}")
            pytest.skip(f"no PostgreSQL server for the case-store tests: {reason}")
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS, name="store_target")
def fixture_store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """
    A factory of new, empty store locations on each backend in turn: a file
    path (SQLite) or a DSN with a fresh schema (PostgreSQL).
    """
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("pg_server")
        return server.new_schema
    counter = itertools.count()
    return lambda: str(tmp_path / f"cases-{next(counter)}.db")


@pytest.fixture(name="new_store")
def fixture_new_store(store_target: Callable[[], str]) -> Iterator[Callable[[], CaseStore]]:
    """
    A factory of new, empty stores on each backend in turn; all closed at
    the end of the test.
    """
    opened: list[CaseStore] = []

    def make() -> CaseStore:
        opened.append(open_store(store_target()))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture(name="store")
def fixture_store(new_store: Callable[[], CaseStore]) -> CaseStore:
    """
    An empty store on each backend in turn.
    """
    return new_store()


def dump(store: CaseStore) -> dict[str, list[tuple[Any, ...]]]:
    """
    Every row of every table, for "nothing changed" assertions.
    """
    tables = ["meta", "plans", "incidents", "entries", "agenda_state", "agenda_rows"]
    with store._transaction(write=False):
        if store._has_table("calendar_years"):  # layout 2
            tables.append("calendar_years")
        return {t: sorted(map(tuple, store._fetch(f"SELECT * FROM {t}"))) for t in tables}  # noqa: S608


def read_only_prefix(path: Path) -> list[str] | None:
    """
    Make the file *path* read-only for a child process; return the argv
    prefix that runs a command as such a process, or ``None`` when this
    machine cannot.  Permission bits do not bind root, so under root the
    child runs as root without the capability that overrides them
    (``setpriv`` from util-linux): the file's owner bits, now read-only,
    apply to it.
    """
    path.chmod(0o444)
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    drop = "-dac_override,-dac_read_search"
    prefix = [setpriv, "--bounding-set", drop, "--inh-caps", drop, "--"]
    probe = subprocess.run(  # access(2), as the child sees it; changes nothing
        [*prefix, "test", "-w", str(path)], capture_output=True, check=False, timeout=30
    )
    return prefix if probe.returncode == 1 else None
