"""
How the case store's agenda scales with the number of incidents, and what
it saves over replaying every incident.

Run from the repository root::

    .venv/bin/python benchmarks/bench_agenda.py [--quick | --sizes SMALL LARGE]

The script fills a fresh SQLite store with N incidents (10,000 and 100,000;
1,000 and 10,000 with ``--quick``) on a small plan, in transactions of
1,000 incidents (``CaseStore.bulk``); ``--sizes`` names other sizes (for a
smoke test).  Like a real desk, whose caseload stays about the same while
its history grows, 500 incidents are open (some of them late) whatever N
is (half of N when N is under 1,000); the others are closed (subsided,
every duty done) and owe nothing.
Then it measures, at one instant:

* the first agenda query, which re-evaluates the incidents whose
  materialised rows went stale since they were written (a deadline passed,
  a reading left a window; column ``stale``) and stores the refreshed rows;
* the steady agenda query (the median of several), which only reads rows;
* a naive agenda: replaying and evaluating each incident from its log
  (``CaseStore.assess``), measured on a sample and extrapolated to N.

Then, in another store where every incident went stale (closed incidents
whose last reading left a window since they were written; ``--stale``
names the two sizes, 5,000 and 50,000 by default, 1,000 and 5,000 with
``--quick``), it measures the first agenda's peak memory (``tracemalloc``:
the Python heap the agenda allocated beyond what was allocated before it),
which must stay bounded: the agenda replays stale incidents a chunk at a
time, not every log at once.

It prints the times, the number of rows the agenda returns, the peak
memory, and ratios measured in the same run, each as ``<label>  <ratio>x`` (the form
``benchmarks/compare_revisions.py`` reads).  The steady query should grow with the rows it
returns, not with N; nothing is asserted, and the absolute times depend on
the machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.store import CaseStore, SQLiteStore
from opinion_rules.store._values import to_us


CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=CST)
OPEN = 500  # incidents still open; the rest subsided with every duty done
BATCH = 1_000
SAMPLE = 200
PLAN = """
id: bench
title: 基准测试预案
issuer: bench
version: '1'
source: benchmarks/bench_agenda.py
timezone: Asia/Shanghai
metrics: [clicks]
roles: [{id: desk, name: 值班室}, {id: lead, name: 分管领导}]
measures: [{id: clicks_1h, metric: clicks, window: 1h}]
events: [{id: subsided, label: 平息}]
grades:
- {id: warm, name: 关注, rank: 0, criteria: clicks_1h > 10, clause: {ref: '1', text: 关注}}
- {id: hot, name: 热点, rank: 1, criteria: clicks_1h > 100, clause: {ref: '2', text: 热点}}
actions:
- {id: triage, title: 研判, owners: [desk], channel: internal,
   deadline: {anchor: discovered, within: 2h}, clause: {ref: '3', text: 2小时内研判}}
- {id: report, title: 报告, owners: [desk, lead], channel: phone, condition: grade >= hot,
   deadline: {anchor: 'grade_reached:hot', within: 30m}, clause: {ref: '4', text: 30分钟内报告}}
- {id: watch, title: 监测, owners: [desk], channel: monitoring,
   deadline: {anchor: discovered, until: subsided}, clause: {ref: '5', text: 直至平息}}
- {id: close, title: 办结, owners: [lead], channel: internal,
   deadline: {anchor: discovered, within: 3d}, clause: {ref: '6', text: 3日内办结}}
"""


def item(kind: str, at: datetime, **more: object) -> dict[str, object]:
    if kind == "clicks":
        return {"at": at.isoformat(), "metric": "clicks", "kind": "increment", **more}
    return {"at": at.isoformat(), "type": kind, **more}


def open_count(n: int) -> int:
    return min(OPEN, n // 2)


def populate(store: CaseStore, n: int, rng: random.Random) -> None:
    key = store.add_plan(read_plan_text(PLAN, "yaml", "bench"))
    still_open = set(rng.sample(range(n), open_count(n)))
    for start in range(0, n, BATCH):
        with store.bulk():
            for i in range(start, min(n, start + BATCH)):
                discovered = NOW - timedelta(minutes=rng.randint(10, 14 * 24 * 60))
                recorded = discovered + timedelta(minutes=5)
                incident = f"INC-{i:06d}"
                store.open_incident(
                    incident,
                    key,
                    discovered_at=discovered,
                    entry_id="open",
                    recorded_at=recorded,
                    recorded_by="bench",
                )
                clicks = rng.choice([5, 50, 500])
                entries = [{"id": "c1", "observation": item("clicks", recorded, value=clicks)}]
                if i not in still_open:  # closed: every duty done, subsided
                    done = min(NOW, discovered + timedelta(minutes=rng.randint(20, 600)))
                    recorded = max(recorded, done)
                    entries += [
                        {"id": f"d-{a}", "event": item("action_done", done, action=a)}
                        for a in ("triage", "report", "close")
                    ]
                    entries.append({"id": "s", "event": item("subsided", done)})
                store.record(incident, entries, recorded_at=recorded, recorded_by="bench")


def populate_stale(store: CaseStore, n: int, rng: random.Random) -> None:
    """
    *n* closed incidents, each stale at NOW: its reading of 5 clicks left
    the 1-hour window after the incident was written, and the grade rules
    watch that window.
    """
    key = store.add_plan(read_plan_text(PLAN, "yaml", "bench"))
    for start in range(0, n, BATCH):
        with store.bulk():
            for i in range(start, min(n, start + BATCH)):
                discovered = NOW - timedelta(minutes=rng.randint(3 * 60, 14 * 24 * 60))
                recorded = discovered + timedelta(minutes=5)
                done = recorded + timedelta(minutes=10)
                incident = f"STALE-{i:06d}"
                store.open_incident(
                    incident,
                    key,
                    discovered_at=discovered,
                    entry_id="open",
                    recorded_at=recorded,
                    recorded_by="bench",
                )
                entries = [{"id": "c1", "observation": item("clicks", recorded, value=5)}]
                entries += [
                    {"id": f"d-{a}", "event": item("action_done", done, action=a)}
                    for a in ("triage", "report", "close")
                ]
                entries.append({"id": "s", "event": item("subsided", done)})
                store.record(incident, entries, recorded_at=done, recorded_by="bench")


def stale_memory(n: int, directory: Path) -> dict[str, float]:
    """
    The first agenda over *n* stale incidents: its peak memory in bytes
    (the Python heap it allocated) and its CPU seconds.
    """
    with SQLiteStore(directory / f"stale-{n}.db") as store:
        populate_stale(store, n, random.Random(n))
        stale = stale_count(store)
        tracemalloc.start()
        started = time.process_time()
        rows = len(store.agenda(NOW, timedelta(hours=24)))
        cpu = time.process_time() - started
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"n": n, "stale": stale, "rows": rows, "peak": peak, "cpu": cpu}


def seconds(call: object, repeats: int = 1) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        out.append(time.perf_counter() - started)
    return out


def stale_count(store: CaseStore) -> int:
    """
    How many incidents the next agenda at NOW re-evaluates.
    """
    with store._transaction(write=False):  # noqa: SLF001 - a benchmark may look inside
        rows = store._fetch(  # noqa: SLF001
            "SELECT count(*) FROM agenda_state WHERE next_change_us <= ? OR evaluated_us > ?",
            (to_us(NOW), to_us(NOW)),
        )
    return int(rows[0][0])


def measure(n: int, directory: Path) -> dict[str, float]:
    rng = random.Random(n)
    with SQLiteStore(directory / f"bench-{n}.db") as store:
        started = time.perf_counter()
        populate(store, n, rng)
        filled = time.perf_counter() - started
        horizon = timedelta(hours=24)
        stale = stale_count(store)
        first = seconds(lambda: store.agenda(NOW, horizon))[0]
        steady = statistics.median(seconds(lambda: store.agenda(NOW, horizon), repeats=9))
        rows = len(store.agenda(NOW, horizon))
        ids = rng.sample(store.incident_ids(), min(SAMPLE, n))
        sample = sum(seconds(lambda: [store.assess(i, NOW) for i in ids]))
    return {
        "n": n,
        "open": open_count(n),
        "stale": stale,
        "fill": filled,
        "first": first,
        "steady": steady,
        "rows": rows,
        "naive": sample / len(ids) * n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 incidents")
    parser.add_argument("--sizes", type=int, nargs=2, metavar=("SMALL", "LARGE"), help="sizes")
    parser.add_argument(
        "--stale", type=int, nargs=2, metavar=("SMALL", "LARGE"), help="stale incidents"
    )
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [10_000, 100_000]
    stale_sizes = [1_000, 5_000] if args.quick else [5_000, 50_000]
    for name, given in (("--sizes", args.sizes), ("--stale", args.stale)):
        if given and not 2 <= given[0] < given[1]:
            parser.error(f"{name} needs 2 <= SMALL < LARGE")
    sizes = args.sizes or sizes
    stale_sizes = args.stale or stale_sizes
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(n, Path(tmp)) for n in sizes]
        memory = [stale_memory(n, Path(tmp)) for n in stale_sizes]
    print(
        f"{'incidents':>10} {'fill s':>8} {'rows':>7} {'stale':>7} {'first agenda ms':>16} "
        f"{'steady agenda ms':>17} {'naive replay s':>15} {'naive/steady':>13}"
    )
    for r in results:
        print(
            f"{r['n']:>10,} {r['fill']:>8.1f} {r['rows']:>7,} {r['stale']:>7,} "
            f"{r['first'] * 1000:>16.1f} {r['steady'] * 1000:>17.1f} {r['naive']:>15.1f} "
            f"{r['naive'] / r['steady']:>13.0f}"
        )
    small, large = results
    print(
        f"\n{large['n']:,} vs {small['n']:,} incidents ({large['n'] / small['n']:.0f}x): "
        f"steady agenda {large['steady'] / small['steady']:.1f}x, "
        f"rows returned {large['rows'] / small['rows']:.1f}x, "
        f"naive replay {large['naive'] / small['naive']:.1f}x"
    )
    print()
    print(f"{'stale incidents':>16} {'rows':>7} {'first agenda CPU s':>19} {'peak MB':>8}")
    for r in memory:
        print(f"{r['stale']:>16,} {r['rows']:>7,} {r['cpu']:>19.1f} {r['peak'] / 2**20:>8.1f}")
    few, many = memory
    print()
    for label, value in (
        ("steady agenda large / small", large["steady"] / small["steady"]),
        ("naive replay large / small", large["naive"] / small["naive"]),
        ("naive replay / steady agenda", large["naive"] / large["steady"]),
        ("stale peak memory large / small", many["peak"] / few["peak"]),
    ):
        print(f"{label:<34}{value:8.1f}x")


if __name__ == "__main__":
    main()
