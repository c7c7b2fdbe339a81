"""
One evaluation at the end of a real Weibo cascade, against a naive
from-scratch computation of the same grade history; and what one more
reading costs the case store.

Run from the repository root::

    .venv/bin/python benchmarks/bench_real.py [--data PATH] [--hours H] [--no-durable]

The data is ``../shared/data/weibo-cascades/Kashgar.csv`` (relative to the
repository root; ``--data`` names another file): one line per Weibo post
about the October 2020 Kashgar (喀什) COVID-19 outbreak, 15,648 posts from
2020-10-25 18:00 to 2020-11-02 02:29, read as China time (+08:00).
Source: the public repository ``sunfeatherstone/rhp-seirs``, folder
``cascades/`` (companion data of the paper "Rhythm-modulated epidemic-like
diffusion on social media"; derived from the Weibo-COV corpus).  Licence:
MIT, Copyright (c) 2025 sunfeatherstone.  The file is not copied into this
repository; when it is absent the script says so and exits 0 (2 when
``--data`` names a file that does not exist).

A monitoring feed would see the cascade as the cumulative number of posts
every 5 minutes: one ``total`` observation of metric ``posts`` (site
``weibo.com``) at every multiple of 5 minutes from the first post to the
last (2,119 snapshots), each counting the posts created at or before it.
The plan is ``benchmarks/cascade_plan.yaml``: posts in a rolling hour and
a rolling day, four grades at thresholds on either, three duties.

The script measures, in one run, in CPU time of this process:

* ``Engine.evaluate`` once, at the last snapshot, with the ``python``
  backend and (unless ``--no-durable``, or durable_rules does not import)
  the ``durable`` backend: the full assessment, grade history included
  (the least of ``--runs`` evaluations on one ``Engine``, after one
  untimed warm-up; building the ``Incident`` from the interchange format
  is timed apart and not counted, as the naive script starts from parsed
  timestamps too);
* the naive computation: a plain-Python script that buckets the raw post
  timestamps per minute (the data's resolution) and, at every snapshot,
  recomputes each window from scratch by adding up its minutes (60 for the
  hour, 1,440 for the day), then applies the thresholds to build the grade
  history (each upgrade and its instant);
* the case store (SQLite in a temporary folder): ``CaseStore.record()`` of
  one more snapshot of the tracked incident, which re-evaluates it, when
  the incident holds 10 readings and when it holds all of them (the median
  of 3 writes each; CPU and wall time, as SQLite also waits for the disk).

Both engines must give the naive grade history exactly (grade and instant
of every upgrade); the script prints any difference and exits 1.  It prints
the times and the ratios ``python / naive``, ``durable / naive``,
``durable / python`` and ``record() at the end / at 10``, in the form
``<label>  <ratio>x`` that ``benchmarks/compare_revisions.py`` reads.  It
asserts nothing about timings: they depend on the machine.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import attrs

import opinion_rules


ROOT = Path(__file__).resolve().parent.parent
DATA = Path("..", "shared", "data", "weibo-cascades", "Kashgar.csv")
PLAN_PATH = ROOT / "benchmarks" / "cascade_plan.yaml"
CST = timezone(timedelta(hours=8))
STEP = timedelta(minutes=5)
SITE = "weibo.com"
#: (rank, grade id, posts in 1 hour >, posts in 1 day >), from the plan.
THRESHOLDS = (
    (0, "watch", 100, 500),
    (1, "larger", 500, 2000),
    (2, "major", 1500, 5000),
    (3, "especially_major", None, 10000),
)
History = list[tuple[str, datetime]]
T = TypeVar("T")


# -- the cascade ---------------------------------------------------------------


def read_posts(path: Path) -> list[datetime]:
    """
    The posts' creation instants, sorted, in China time.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return sorted(
            datetime.strptime(row["created_at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
            for row in rows
        )


def snapshot_instants(posts: Sequence[datetime], hours: float | None) -> list[datetime]:
    """
    Every multiple of 5 minutes from the first post's (floored) to the first
    at or after the last post, cut at *hours* after the first if given.
    """
    first = posts[0].replace(minute=posts[0].minute - posts[0].minute % 5, second=0)
    last = posts[-1]
    if hours is not None:
        last = min(last, first + timedelta(hours=hours))
    out = [first]
    while out[-1] < last:
        out.append(out[-1] + STEP)
    return out


def snapshots(posts: Sequence[datetime], instants: Sequence[datetime]) -> list[dict[str, Any]]:
    """
    The cumulative post count at each instant, as interchange observations.
    """
    return [
        {
            "at": at.isoformat(),
            "metric": "posts",
            "kind": "total",
            "value": bisect.bisect_right(posts, at),
            "site": SITE,
            "channel": "weibo",
        }
        for at in instants
    ]


def incident_dict(posts: Sequence[datetime], observations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "KASHGAR-2020-10",
        "posted_at": posts[0].isoformat(),
        "discovered_at": observations[0]["at"],
        "observations": observations,
    }


# -- the naive grade history --------------------------------------------------------


def naive_history(posts: Sequence[datetime], instants: Sequence[datetime]) -> History:
    """
    The grade history, recomputed from the raw timestamps at every snapshot:
    every window is added up again, minute by minute, each time.
    """
    origin = instants[0]
    per_minute = Counter((p - origin) // timedelta(minutes=1) for p in posts)
    history: History = []
    best = -1
    for at in instants:
        now = (at - origin) // timedelta(minutes=1)
        hour = sum(per_minute.get(m, 0) for m in range(now - 59, now + 1))
        day = sum(per_minute.get(m, 0) for m in range(now - 1439, now + 1))
        rank = -1
        for level, _grade, hour_bound, day_bound in THRESHOLDS:
            if (hour_bound is not None and hour > hour_bound) or day > day_bound:
                rank = level
        if rank > best:
            best = rank
            history.append((THRESHOLDS[rank][1], at))
    return history


def engine_history(assessment: opinion_rules.Assessment) -> History:
    return [(step.id, step.since) for step in assessment.grade_history]


# -- timing -------------------------------------------------------------------------


def least_cpu(call: Callable[[], T], runs: int) -> tuple[float, T]:
    """
    The least CPU time of *runs* calls (at least one), and the last call's result.
    """
    times = []
    for _ in range(max(runs, 1)):
        started = time.process_time()
        result = call()
        times.append(time.process_time() - started)
    return min(times), result


def durable_available() -> bool:
    try:
        opinion_rules.Engine(opinion_rules.load_plan(PLAN_PATH), backend="durable")
    except opinion_rules.OpinionRulesError:
        return False
    return True


def record_times(
    plan: opinion_rules.Plan, incident: dict[str, Any], directory: Path
) -> tuple[tuple[float, float], tuple[float, float], int]:
    """
    The median (CPU, wall) time of ``record()`` of one snapshot when the
    incident holds 10 readings and when it holds all of them, and how many
    readings that is.
    """
    observations = incident["observations"]
    n = len(observations)
    at = [datetime.fromisoformat(o["at"]) for o in observations]

    def entry(i: int) -> dict[str, Any]:
        return {"id": f"s{i}", "observation": observations[i]}

    def one(store: Any, i: int) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        store.record(incident["id"], [entry(i)], recorded_at=at[i], recorded_by="feed")
        return time.process_time() - cpu, time.perf_counter() - wall

    def median(times: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)

    with opinion_rules.store.open_store(directory / "cases.db") as store:
        key = store.add_plan(plan)
        store.open_incident(
            incident["id"],
            key,
            discovered_at=datetime.fromisoformat(incident["discovered_at"]),
            posted_at=datetime.fromisoformat(incident["posted_at"]),
            entry_id="open",
            recorded_at=at[0],
            recorded_by="feed",
        )
        store.record(
            incident["id"], [entry(i) for i in range(9)], recorded_at=at[8], recorded_by="feed"
        )
        early = median([one(store, i) for i in (9, 10, 11)])
        if n - 3 > 12:
            store.record(
                incident["id"],
                [entry(i) for i in range(12, n - 3)],
                recorded_at=at[n - 4],
                recorded_by="feed",
            )
        late = median([one(store, i) for i in range(max(12, n - 3), n)])
    return early, late, n


def advance_time(plan: opinion_rules.Plan, incident: dict[str, Any]) -> float:
    """
    The median CPU time of ``Tracking.advance`` by one snapshot (appending
    one observation and evaluating at its instant) over the last 20
    snapshots of the cascade, on the python backend, without a store.
    """
    engine = opinion_rules.Engine(plan)
    observations = incident["observations"]
    start = max(1, len(observations) - 20)

    # A feed appends to the incident it has (attrs.evolve), so the grown
    # incident shares the earlier readings: Tracking compares them by identity.
    whole = opinion_rules.Incident.from_dict(incident)

    def upto(k: int) -> opinion_rules.Incident:
        return attrs.evolve(whole, observations=whole.observations[:k])

    def last(k: int) -> datetime:
        return datetime.fromisoformat(observations[k - 1]["at"])

    grown = [upto(k) for k in range(start, len(observations) + 1)]  # built before timing
    tracking = engine.track(grown[0], at=last(start))
    times = []
    for k, bigger in enumerate(grown[1:], start=start + 1):
        cpu = time.process_time()
        tracking.advance(bigger, at=last(k))
        times.append(time.process_time() - cpu)
    return statistics.median(times)


# -- main ---------------------------------------------------------------------------


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"the cascade's CSV file (default {DATA.as_posix()}, relative to the repository root)",
    )
    parser.add_argument(
        "--hours",
        type=float,
        default=None,
        help="use only the cascade's first H hours (default: all of it)",
    )
    parser.add_argument("--no-durable", action="store_true", help="time the python backend only")
    parser.add_argument("--runs", type=int, default=3, help="evaluations per backend (default 3)")
    args = parser.parse_args(argv)
    if args.hours is not None and args.hours < 1:
        parser.error("--hours must be at least 1")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def evaluations(
    plan: opinion_rules.Plan,
    incident: opinion_rules.Incident,
    instants: Sequence[datetime],
    backends: Sequence[str],
    runs: int,
) -> tuple[dict[str, float], dict[str, History]]:
    """
    The least CPU time of one evaluation at the last instant, and the grade
    history, by backend.
    """
    cpu: dict[str, float] = {}
    histories: dict[str, History] = {}
    for backend in backends:
        engine = opinion_rules.Engine(plan, backend=backend)
        engine.evaluate(incident, at=instants[0])  # warm-up, not timed
        last = instants[-1]
        cpu[backend], result = least_cpu(partial(engine.evaluate, incident, at=last), runs)
        histories[backend] = engine_history(result)
    return cpu, histories


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    path = args.data if args.data is not None else ROOT / DATA
    if not path.is_file():
        print(
            f"skipped: the cascade {path} is not here; it is {DATA.as_posix()} next to the"
            " repository (see the docstring), or pass --data PATH"
        )
        return 2 if args.data is not None else 0

    posts = read_posts(path)
    instants = snapshot_instants(posts, args.hours)
    observations = snapshots(posts, instants)
    build_cpu, incident = least_cpu(
        lambda: opinion_rules.Incident.from_dict(incident_dict(posts, observations)), args.runs
    )
    plan = opinion_rules.load_plan(PLAN_PATH)
    shown = sum(1 for p in posts if p <= instants[-1])
    print(f"plan        {plan.id} ({PLAN_PATH.relative_to(ROOT).as_posix()})")
    print(f"cascade     {path.name}: {shown:,} posts, {len(instants):,} snapshots every 5 minutes")
    print(f"at          {instants[-1].isoformat()}")
    print(f"python      {platform.python_version()} on {platform.machine()}")
    print()

    backends = ["python"]
    if not args.no_durable:
        if durable_available():
            backends.append("durable")
        else:
            print("durable     skipped: durable_rules does not import here")
    naive_cpu, naive = least_cpu(lambda: naive_history(posts, instants), args.runs)
    cpu, histories = evaluations(plan, incident, instants, backends, args.runs)
    failed = False
    for backend, got in histories.items():
        if got != naive:
            failed = True
            print(f"MISMATCH {backend}: engine {got}, naive {naive}")
    print("grades      " + ", ".join(f"{g} since {t:%m-%d %H:%M}" for g, t in naive))
    print(f"mismatches  {'yes' if failed else 'none'} (engine grade history != naive)")

    with tempfile.TemporaryDirectory() as tmp:
        early, late, n = record_times(plan, incident_dict(posts, observations), Path(tmp))
    advance_cpu = advance_time(plan, incident_dict(posts, observations))
    print()
    print(f"{'measured':<34}{'CPU ms':>10}{'wall ms':>10}")
    print(f"{'naive grade history':<34}{naive_cpu * 1000:>10.1f}")
    for backend in backends:
        print(f"{f'evaluate(), {backend}':<34}{cpu[backend] * 1000:>10.1f}")
    print(f"{'Incident.from_dict (not counted)':<34}{build_cpu * 1000:>10.1f}")
    print(f"{'record() at 10 readings':<34}{early[0] * 1000:>10.1f}{early[1] * 1000:>10.1f}")
    print(f"{f'record() at {n:,} readings':<34}{late[0] * 1000:>10.1f}{late[1] * 1000:>10.1f}")
    print(f"{f'advance() by 1 at {n:,} readings':<34}{advance_cpu * 1000:>10.2f}")
    print()
    print(f"python / naive          {cpu['python'] / naive_cpu:6.1f}x the CPU time")
    if "durable" in cpu:
        print(f"durable / naive         {cpu['durable'] / naive_cpu:6.1f}x")
        print(f"durable / python        {cpu['durable'] / cpu['python']:6.1f}x")
    print(f"record() end / at 10    {late[0] / early[0]:6.1f}x the CPU time of one write")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
