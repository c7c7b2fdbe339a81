"""
A case-store writer run as a separate process by tests/test_store_crash.py.

It prints ``ready`` once the store is open, then ``ack <incident> <entry>``
for every entry, flushed only after the store call that wrote it returned:
an acknowledged entry is one the store promised to keep.

Modes:

* ``crash``: one writer opens incidents ``<name>-0``, ``<name>-1``, ... and
  records small batches into each, on a logical clock, until killed or
  ``--count`` batches are written.
* ``concurrent``: several writers open the same incidents ``shared-<k>``
  (the same opening, so all but the first are duplicates) and record their
  own entries into them, plus entries ``dup-<n>`` with the same content in
  every writer.  ``recorded_at`` comes from a clock all writers share: a
  fixed base instant plus the time elapsed since the parent's reading of
  ``time.monotonic()`` (a system-wide clock on Linux, macOS and Windows, so
  every process agrees, and independent of today's date).  It ticks like a
  wall clock, so a write that lost the race for the latest ``recorded_at``
  is retried with a fresh reading.  The parent passes the base instant, its
  monotonic reading and a file whose creation starts all writers at once;
  the incidents are discovered a minute before the base instant (every
  writer must open them with the same content).

Usage: ``python tests/store_writer.py STORE NAME MODE COUNT [BASE ORIGIN GO_FILE]``.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))

import store_plan as sp
from opinion_rules.exceptions import OutOfOrderError
from opinion_rules.store import open_store


PER_INCIDENT = 12
SHARED = 3


def ack(incident: str, entry_id: str) -> None:
    sys.stdout.write(f"ack {incident} {entry_id}\n")
    sys.stdout.flush()


def crash(target: str, name: str, count: int) -> None:
    with open_store(target) as store:
        key = store.add_plan(sp.small_plan())
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        for i in range(count):
            incident = f"{name}-{i // PER_INCIDENT}"
            clock = sp.minutes(i)
            if i % PER_INCIDENT == 0:
                store.open_incident(
                    incident,
                    key,
                    discovered_at=clock,
                    entry_id="open",
                    recorded_at=clock,
                    recorded_by=name,
                )
                ack(incident, "open")
            batch = [
                sp.entry(f"e{i}-{j}", sp.clicks(clock, 3 + j, site=f"s{j}.example.cn"))
                for j in range(1 + i % 3)
            ]
            store.record(incident, batch, recorded_at=clock, recorded_by=name)
            for entry in batch:
                ack(incident, entry["id"])


class SharedClock:
    """
    *base* plus the seconds elapsed since *origin*, a reading of
    ``time.monotonic()`` taken by the parent process.
    """

    def __init__(self, base: datetime, origin: float) -> None:
        self.base = base
        self.origin = origin

    def now(self) -> datetime:
        return self.base + timedelta(seconds=time.monotonic() - self.origin)


def concurrent(target: str, name: str, count: int, clock: SharedClock, go: Path) -> None:
    discovered = clock.base - timedelta(minutes=1)
    with open_store(target) as store:
        key = store.add_plan(sp.small_plan())
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        deadline = time.monotonic() + 60
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.001)
        for k in range(SHARED):
            store.open_incident(
                f"shared-{k}",
                key,
                discovered_at=discovered,
                entry_id="open",
                recorded_at=clock.now(),
                recorded_by=name,
            )
            ack(f"shared-{k}", "open")
        for i in range(count):
            incident = f"shared-{i % SHARED}"
            at = discovered + timedelta(milliseconds=i)
            batch = [sp.entry(f"{name}-{i}", sp.clicks(at, 1))]
            if i % 5 == 0:
                batch.append(sp.entry(f"dup-{i}", sp.clicks(at, 7)))
            for _ in range(50):
                try:
                    store.record(incident, batch, recorded_at=clock.now(), recorded_by=name)
                    break
                except OutOfOrderError as exc:
                    if exc.field != "recorded_at":
                        raise
            else:
                raise SystemExit(f"{name}: gave up on {incident} after 50 clock races")
            for entry in batch:
                ack(incident, entry["id"])
            # A client does other work between writes; without a pause the
            # writer holding SQLite's lock takes it again before the other
            # writer's busy handler wakes up, and nothing interleaves.
            time.sleep(random.uniform(0, 0.003))  # noqa: S311 - timing only


def main() -> None:
    target, name, mode, count = sys.argv[1:5]
    if mode == "crash":
        crash(target, name, int(count))
    else:
        clock = SharedClock(datetime.fromisoformat(sys.argv[5]), float(sys.argv[6]))
        concurrent(target, name, int(count), clock, Path(sys.argv[7]))


if __name__ == "__main__":
    main()
