"""
How evaluation time grows with the length of an observation series, for
every window kind (rolling, calendar day, sustained, cumulative).

Run from the repository root::

    .venv/bin/python benchmarks/bench_windows.py [--base N]

For each window kind the script evaluates one incident whose single metric
has N, 2N and 4N observations (one every 10 minutes, spread over two sites)
and prints the time per evaluation and the ratio of each size to the one
before; then, for each kind, the ratio 4N / N as ``<window> 4N / N  <r>x``
(the form ``benchmarks/compare_revisions.py`` reads).  A ratio near 2 (4
for 4N / N) means linear growth in the number of observations (times a
logarithm from the binary searches); near 4 (16) would mean a quadratic
rescan.  Everything is measured in the same run; nothing is asserted.
"""

from __future__ import annotations

import argparse
import itertools
import time
from datetime import datetime, timedelta, timezone

import opinion_rules as o
from opinion_rules.conditions import measure
from opinion_rules.deadlines import no_deadline
from opinion_rules.windows import calendar_day, cumulative, rolling, sustained


CST = timezone(timedelta(hours=8))
START = datetime(2026, 1, 5, tzinfo=CST)
WINDOWS = {
    "rolling 24h": rolling(days=1),
    "calendar_day": calendar_day(),
    "sustained 7d": sustained(days=7),
    "cumulative": cumulative(),
}


def plan_for(window: o.Window) -> o.Plan:
    clause = o.Clause("1", "bench")
    return o.Plan(
        id="bench",
        title="bench",
        issuer="bench",
        version="1",
        source="bench",
        metrics=("clicks",),
        measures=(o.Measure("m", "clicks", window),),
        # A threshold never reached keeps the grade rule unheld, so every
        # change point is evaluated: the worst case for the engine.
        grades=(o.Grade("g", "g", 1, measure("m") > 10**12, clause),),
        roles=(o.Role("r", "r"),),
        actions=(o.Action("a", "a", ("r",), "notice", no_deadline("discovered"), clause=clause),),
    )


def incident(n: int) -> o.Incident:
    observations = [
        o.Observation(
            START + timedelta(minutes=10 * i), "clicks", 5 * i, f"s{i % 2}", None, "total"
        )
        for i in range(n)
    ]
    return o.Incident("bench", discovered_at=START, observations=observations)


def seconds_per_evaluation(engine: o.Engine, inc: o.Incident, at: datetime) -> float:
    repeats = 3
    started = time.perf_counter()
    for _ in range(repeats):
        engine.evaluate(inc, at=at)
    return (time.perf_counter() - started) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=int, default=1000, help="smallest series length")
    args = parser.parse_args()
    sizes = [args.base, 2 * args.base, 4 * args.base]
    print(f"{'window':<14}" + "".join(f"{n:>12} obs" for n in sizes) + "   ratios")
    growth = {}
    for name, window in WINDOWS.items():
        engine = o.Engine(plan_for(window))
        times = []
        for n in sizes:
            inc = incident(n)
            times.append(seconds_per_evaluation(engine, inc, inc.observations[-1].at))
        ratios = " ".join(f"{b / a:.2f}" for a, b in itertools.pairwise(times))
        print(f"{name:<14}" + "".join(f"{t * 1000:>12.1f} ms" for t in times) + f"   {ratios}")
        growth[name] = times[-1] / times[0]
    print()
    for name, value in growth.items():
        print(f"{name + ' 4N / N':<26}{value:6.2f}x")


if __name__ == "__main__":
    main()
