"""
How evaluation, loading and the case store grow with their input: the
linearity targets of issue 15, as ratios measured in one run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_scaling.py [--quick]

It measures, in CPU time of this process (the least of a few runs when one
run is short):

* ``fact`` events: one evaluation of an incident with N and with 10 N
  ``fact`` events (an enum fact changing every minute; the grade that reads
  it never holds, so every change point is matched);
* distinct sites: N and 10 N sites each reporting one reading, counted by a
  ``distinct_sites`` measure over 1 day;
* observations: N and 10 N cumulative ``total`` readings of one series
  every 5 minutes, in a rolling hour and a rolling day;
* a recurring duty ``every: 1m`` anchored 1 day and 10 years before the
  evaluation (a handful of completions), the latter also in milliseconds;
* ``load_incident`` of a JSON file of 10,000 and 100,000 observations;
* the case store (SQLite in a temporary folder): ``CaseStore.record()`` of
  one reading when the incident holds 10 readings and when it holds 1,000
  (the median of 3 writes each).

With ``--quick`` every size is divided by 20 or more (N = 20 instead of
1,000, 50 readings in the store instead of 1,000, 100 and 1,000
observations loaded) and every time is one run: for a smoke test, not
for figures.

Every ratio is printed as ``<label>  <ratio>x`` (the form
``benchmarks/compare_revisions.py`` reads), the times beside it.  Linear
growth shows as about 10x for 10 times the input; the targets are in
``docs/explanation/engines.md``.  Nothing is asserted: the absolute times
depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import opinion_rules
from opinion_rules.store import open_store


CST = timezone(timedelta(hours=8))
AT = datetime(2026, 11, 23, 12, 0, tzinfo=CST)
HEAD = """
id: scaling
title: 规模基准预案
issuer: benchmarks
version: '1'
source: benchmarks/bench_scaling.py
timezone: Asia/Shanghai
roles: [{id: desk, name: 值班室}]
"""
NOTICE = """
actions:
- {id: triage, title: 研判, owners: [desk], channel: internal,
   deadline: {anchor: discovered, within: 2h}, clause: {ref: '9', text: 2小时内研判}}
"""
#: The plans, by name; every grade's threshold is out of reach on purpose.
PLANS = {
    "facts": HEAD
    + """
facts:
- {id: stance, type: enum, choices: [calm, tense, never], label: 态势}
grades:
- {id: hot, name: 热点, rank: 0, criteria: stance == never, clause: {ref: '1', text: 热点}}
"""
    + NOTICE,
    "sites": HEAD
    + """
metrics: [clicks]
measures:
- {id: sites_1d, metric: clicks, window: 1d, aggregate: distinct_sites}
grades:
- {id: hot, name: 热点, rank: 0, criteria: sites_1d > 1000000000,
   clause: {ref: '1', text: 热点}}
"""
    + NOTICE,
    "posts": HEAD
    + """
metrics: [posts]
measures:
- {id: posts_1h, metric: posts, window: 1h}
- {id: posts_1d, metric: posts, window: 1d}
grades:
- {id: hot, name: 热点, rank: 0, criteria: posts_1h > 1000000000 or posts_1d > 1000000000,
   clause: {ref: '1', text: 热点}}
"""
    + NOTICE,
    "duty": HEAD
    + """
actions:
- {id: follow, title: 续报, owners: [desk], channel: written_report,
   deadline: {anchor: discovered, every: 1m}, clause: {ref: '1', text: 每分钟续报}}
""",
}


# -- incidents ------------------------------------------------------------------------


def fact_events(n: int) -> dict[str, Any]:
    start = AT - timedelta(minutes=n)
    return {
        "id": "FACTS",
        "discovered_at": start.isoformat(),
        "events": [
            {
                "at": (start + timedelta(minutes=i)).isoformat(),
                "type": "fact",
                "fact": "stance",
                "value": ("calm", "tense")[i % 2],
            }
            for i in range(n)
        ],
    }


def distinct_sites(n: int) -> dict[str, Any]:
    start = AT - timedelta(minutes=n)
    return {
        "id": "SITES",
        "discovered_at": start.isoformat(),
        "observations": [
            {
                "at": (start + timedelta(minutes=i)).isoformat(),
                "metric": "clicks",
                "value": 10,
                "site": f"site{i}.example.cn",
            }
            for i in range(n)
        ],
    }


def readings(n: int) -> list[dict[str, Any]]:
    start = AT - timedelta(minutes=5 * n)
    return [
        {
            "at": (start + timedelta(minutes=5 * i)).isoformat(),
            "metric": "posts",
            "kind": "total",
            "value": 3 * i + i % 7,
            "site": "weibo.com",
        }
        for i in range(n)
    ]


def posts(n: int) -> dict[str, Any]:
    observations = readings(n)
    return {"id": "POSTS", "discovered_at": observations[0]["at"], "observations": observations}


def duty(age: timedelta) -> dict[str, Any]:
    start = AT - age
    return {
        "id": "DUTY",
        "discovered_at": start.isoformat(),
        "events": [
            {"at": (start + age * k / 6).isoformat(), "type": "action_done", "action": "follow"}
            for k in range(1, 6)
        ],
    }


# -- timing ---------------------------------------------------------------------------


def cpu(call: Callable[[], object], budget: float = 0.3) -> float:
    """
    The CPU time of one call: the least of as many calls as fit in
    *budget* seconds (at least one, at most 20).
    """
    times: list[float] = []
    while not times or (sum(times) < budget and len(times) < 20):
        started = time.process_time()
        call()
        times.append(time.process_time() - started)
    return min(times)


def evaluation(plan: opinion_rules.Plan, data: dict[str, Any], budget: float) -> float:
    engine = opinion_rules.Engine(plan)
    incident = opinion_rules.Incident.from_dict(data)
    engine.evaluate(incident, at=AT - timedelta(days=400))  # warm-up: nothing known yet
    return cpu(lambda: engine.evaluate(incident, at=AT), budget)


def load_time(n: int, directory: Path, budget: float) -> float:
    path = directory / f"incident-{n}.json"
    path.write_text(json.dumps(posts(n)), encoding="utf-8")
    return cpu(lambda: opinion_rules.load_incident(path), budget)


def record_times(plan: opinion_rules.Plan, n: int, directory: Path) -> tuple[float, float]:
    """
    The median CPU time of ``record()`` of the 10th and of the *n*-th reading.
    """
    observations = readings(n + 2)
    at = [datetime.fromisoformat(o["at"]) for o in observations]

    def entry(i: int) -> dict[str, Any]:
        return {"id": f"r{i}", "observation": observations[i]}

    with open_store(directory / "cases.db") as store:
        store.open_incident(
            "POSTS",
            store.add_plan(plan),
            discovered_at=at[0],
            entry_id="open",
            recorded_at=at[0],
            recorded_by="feed",
        )

        def one(i: int) -> float:
            started = time.process_time()
            store.record("POSTS", [entry(i)], recorded_at=at[i], recorded_by="feed")
            return time.process_time() - started

        store.record("POSTS", [entry(i) for i in range(8)], recorded_at=at[7], recorded_by="feed")
        tenth = statistics.median(one(i) for i in (8, 9, 10))  # the 9th to 11th readings
        store.record(
            "POSTS", [entry(i) for i in range(11, n - 2)], recorded_at=at[n - 3], recorded_by="feed"
        )
        last = statistics.median(one(i) for i in (n - 2, n - 1, n))  # the (n-1)th to (n+1)th
    return tenth, last


# -- main -----------------------------------------------------------------------------


def ratio(label: str, small: float, large: float, sizes: tuple[int, int], unit: str) -> None:
    print(
        f"{label:<34}{large / small:6.1f}x   ({sizes[0]:,} -> {sizes[1]:,} {unit}:"
        f" {small * 1000:.1f} -> {large * 1000:.1f} ms)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args(argv)
    n = 20 if args.quick else 1_000
    loaded = (100, 1_000) if args.quick else (10_000, 100_000)
    stored = 50 if args.quick else 1_000
    budget = 0.0 if args.quick else 0.3

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plans = {}
        for name, text in PLANS.items():
            path = folder / f"{name}.yaml"
            path.write_text(text, encoding="utf-8")
            plans[name] = opinion_rules.load_plan(path)

        print(f"N = {n:,}; CPU time per call")
        for label, plan, make, unit in (
            ("fact events 10N / N", "facts", fact_events, "events"),
            ("distinct sites 10N / N", "sites", distinct_sites, "sites"),
            ("observations 10N / N", "posts", posts, "readings"),
        ):
            small = evaluation(plans[plan], make(n), budget)
            large = evaluation(plans[plan], make(10 * n), budget)
            ratio(label, small, large, (n, 10 * n), unit)

        day = evaluation(plans["duty"], duty(timedelta(days=1)), budget)
        decade = evaluation(plans["duty"], duty(timedelta(days=3652)), budget)
        print(
            f"{'1-minute duty 10 years / 1 day':<34}{decade / day:6.1f}x"
            f"   ({day * 1000:.2f} -> {decade * 1000:.2f} ms)"
        )

        small, large = (load_time(size, folder, budget) for size in loaded)
        ratio("load_incident 10N / N", small, large, loaded, "observations")

        tenth, last = record_times(plans["posts"], stored, folder)
        print(
            f"{f'record() {stored:,}th / 10th':<34}{last / tenth:6.1f}x"
            f"   ({tenth * 1000:.1f} -> {last * 1000:.1f} ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
