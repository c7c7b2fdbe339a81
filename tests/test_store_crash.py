"""
The case store survives a writer killed at any moment, and concurrent
writers, on both backends: every acknowledged entry is kept exactly once,
batches are all or nothing, and every incident still replays.

The writers are tests/store_writer.py run as separate processes; they print
``ack <incident> <entry>`` only after the store call returned.
"""

from __future__ import annotations

import itertools
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from opinion_rules.store import CaseStore, LogEntry, open_store

from .store_fixtures import fixture_pg_server, fixture_store_target  # noqa: F401 - fixtures
from .store_plan import BASE, minutes


WRITER = Path(__file__).with_name("store_writer.py")
TRIALS = {"sqlite": 12, "postgres": 6}


def start(
    target: str, name: str, mode: str, count: int, out: Path, *extra: str
) -> subprocess.Popen[bytes]:
    with out.open("wb") as stdout:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, str(WRITER), target, name, mode, str(count), *extra],
            stdout=stdout,
            stderr=subprocess.PIPE,
        )


def wait_ready(process: subprocess.Popen[bytes], out: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not out.read_text().startswith("ready\n"):
        if process.poll() is not None:
            raise AssertionError(process.communicate()[1].decode())
        if time.monotonic() > deadline:
            raise AssertionError("the writer did not start")
        time.sleep(0.01)


def acknowledged(out: Path) -> list[tuple[str, str]]:
    """
    The (incident, entry) pairs on complete ``ack`` lines.
    """
    lines = out.read_text().split("\n")[:-1]  # the last piece may be cut off
    return [(line.split()[1], line.split()[2]) for line in lines if line.startswith("ack ")]


def store_audit(target: str) -> list[LogEntry]:
    with open_store(target) as store:
        return store.audit()


def check_store(store: CaseStore, acked: list[tuple[str, str]]) -> dict[str, list[str]]:
    """
    Assert the invariants that must hold after any crash; return the entry
    ids of every incident.
    """
    logged: dict[str, list[str]] = defaultdict(list)
    for e in store.audit():
        logged[e.incident_id].append(e.entry_id)

    missing = [a for a in acked if a[1] not in logged.get(a[0], [])]
    assert [] == missing
    assert all(len(ids) == len(set(ids)) for ids in logged.values())
    with store._transaction(write=False):
        orphans = store._fetch(
            "SELECT incident_id FROM incidents WHERE incident_id NOT IN "
            "(SELECT incident_id FROM entries WHERE kind = 'open')"
        )
        unmaterialised = store._fetch(
            "SELECT incident_id FROM incidents WHERE incident_id NOT IN "
            "(SELECT incident_id FROM agenda_state)"
        )
    assert ([], []) == (orphans, unmaterialised)
    assert sorted(logged) == store.incident_ids()
    for incident_id in store.incident_ids():
        store.assess(incident_id, minutes(7 * 24 * 60))  # after every write here (a week on)
    return logged


def batches_are_whole(logged: dict[str, list[str]]) -> bool:
    """
    Whether each crash-mode batch ``e<i>-0 .. e<i>-<i % 3>`` is all there or absent.
    """
    seen: dict[str, set[int]] = defaultdict(set)
    for ids in logged.values():
        for entry_id in ids:
            if entry_id != "open":
                batch, _, part = entry_id[1:].partition("-")
                seen[batch].add(int(part))
    return all(parts == set(range(1 + int(batch) % 3)) for batch, parts in seen.items())


@pytest.mark.slow
def test_a_killed_writer_loses_no_acknowledged_entry(
    store_target: Callable[[], str], tmp_path, request
):
    """SIGKILL at a random moment: the store opens, keeps every acked entry, and replays."""
    backend = request.node.callspec.params["store_target"]
    rng = random.Random(20261123)  # noqa: S311 - only picks delays
    totals = []
    for trial in range(TRIALS[backend]):
        target = store_target()
        out = tmp_path / f"writer-{trial}.out"
        process = start(target, "W", "crash", 10**6, out)
        wait_ready(process, out)
        time.sleep(rng.uniform(0.02, 0.5))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        acked = acknowledged(out)

        if backend == "sqlite":
            with sqlite3.connect(target) as conn:
                assert [("ok",)] == conn.execute("PRAGMA integrity_check").fetchall()
            conn.close()
        with open_store(target) as store:
            logged = check_store(store, acked)

        assert batches_are_whole(logged)
        totals.append(len(acked))
    assert sum(totals) > 0, "the writers were killed before writing anything"


@pytest.mark.slow
def test_concurrent_writers_keep_every_entry_exactly_once(
    store_target: Callable[[], str], tmp_path
):
    """Two processes writing the same incidents, with shared duplicates, lose and repeat nothing."""
    target = store_target()
    open_store(target).close()  # create the tables before the race
    outs = [tmp_path / "a.out", tmp_path / "b.out"]
    # The writers share a clock: BASE plus the time elapsed since this
    # reading of the system-wide monotonic clock; today's date plays no part.
    origin = repr(time.monotonic())
    go = tmp_path / "go"
    writers = [
        start(target, name, "concurrent", 120, out, BASE.isoformat(), origin, str(go))
        for name, out in zip("AB", outs, strict=True)
    ]
    for writer, out in zip(writers, outs, strict=True):
        wait_ready(writer, out)
    go.touch()
    for writer in writers:
        _, stderr = writer.communicate(timeout=120)
        assert 0 == writer.returncode, stderr.decode()
    acked = [a for out in outs for a in acknowledged(out)]

    with open_store(target) as store:
        logged = check_store(store, acked)

    assert 2 * (3 + 120 + 24) == len(acked)  # openings, own entries, dup-* (every 5th step)
    assert 3 + 2 * 120 + 24 == sum(len(ids) for ids in logged.values())
    assert set(acked) == {(incident, e) for incident, ids in logged.items() for e in ids}
    by = [e.recorded_by for e in sorted(store_audit(target), key=lambda e: e.seq)]
    assert sum(a != b for a, b in itertools.pairwise(by)) > 2, "the writers did not overlap"
