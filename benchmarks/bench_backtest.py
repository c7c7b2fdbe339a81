"""
Back-testing the work-safety revision at scale on Dask: incidents per
CPU-second on 1 and 2 workers, the scaling ratio, and peak memory per worker.

Run from the repository root (with the ``dask`` extra installed)::

    .venv/bin/python benchmarks/bench_backtest.py [--incidents N] [--cascades N] [--data PATH]

It back-tests ``examples/revisions/work_safety_2025.yaml`` against
``examples/plans/work_safety.yaml`` (``opinion_rules.backtest.backtest``
with a ``DaskRunner``, each incident at its closing instant) on two loads:

* **generated**: ``--incidents`` small incidents (1,000,000 by default)
  from ``benchmarks/work_safety_incidents.py`` (seed ``--seed``), 1 to 7
  observations each;
* **cascade**: ``--cascades`` replicas (200 by default) of the real Weibo
  cascade ``../shared/data/weibo-cascades/Kashgar.csv`` (relative to the
  repository root; ``--data`` names another file; see ``bench_real.py`` for
  the data and its licence), each read as a monitoring feed would see it:
  the cumulative post count every 5 minutes (2,119 snapshots) as the repost
  count on Weibo, with jitter: each replica is moved to its own instant in
  2023-2024, scaled so that its final count falls between 20 and 1,000
  (log-uniform: every grade of the plan occurs), and each snapshot is taken
  up to 4 minutes late.  When the file is absent this load is skipped, said so.

Each load runs on a ``dask.distributed.LocalCluster`` of 1 worker process,
then of 2 (one thread each), started for the measurement.  The incidents are
made in this process and streamed to the cluster in chunks (``--chunk-size``
generated incidents, 10 cascades); only the chunks in flight are held.

It prints, per load and cluster:

* the incidents compared and how many differ (which must be the same on 1
  and 2 workers; the script prints any difference and exits 1);
* the workers' CPU time, summed over the workers and measured in them
  (``resource.getrusage`` of each worker process before and after, so it
  includes Dask's own work there: receiving chunks, sending results), and
  the part spent comparing (``ChunkResult.cpu_seconds``);
* incidents per CPU-second (incidents / the workers' CPU time) and per wall
  second (noisy on a shared machine; for information);
* each worker's peak resident memory (``ru_maxrss``) at the end, and this
  process's (the client: the chunks in flight, the reports, and the
  LocalClusters' schedulers, which run in it);

and the ratios ``<load>: 2 workers / 1 worker``, in the form
``<label>  <ratio>x`` that ``benchmarks/compare_revisions.py`` reads: the
incidents per CPU-second on 2 workers over 1 worker (1.0 is perfect scaling:
the second worker costs nothing extra per incident; the wall-clock speed-up is
then about 2 on two free cores).  It asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import bisect
import importlib.util
import math
import platform
import random
import resource
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import opinion_rules
from opinion_rules.backtest import BacktestReport, DaskRunner, backtest


try:
    import dask
    import distributed
except ImportError:  # the dask extra is not installed: the script says so
    dask = distributed = None


ROOT = Path(__file__).resolve().parent.parent
DATA = Path("..", "shared", "data", "weibo-cascades", "Kashgar.csv")
OLD = ROOT / "examples" / "plans" / "work_safety.yaml"
NEW = ROOT / "examples" / "revisions" / "work_safety_2025.yaml"
CASCADE_CHUNK = 10
MB = 1024 * 1024
#: ru_maxrss is in kilobytes on Linux, in bytes on macOS.
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024


def _module(name: str) -> ModuleType:
    """A sibling script of this one, imported by path (benchmarks/ is no package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    if spec is None or spec.loader is None:  # pragma: no cover - the file is next to this one
        raise ImportError(name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


generated = _module("work_safety_incidents")
real = _module("bench_real")


# -- the cascade, replicated ----------------------------------------------------------


def cascade_counts(path: Path) -> tuple[list[datetime], list[int]]:
    """The 5-minute snapshot instants of the cascade and the posts counted at each."""
    posts = real.read_posts(path)
    instants = real.snapshot_instants(posts, None)
    return instants, [bisect.bisect_right(posts, at) for at in instants]


def cascades(
    instants: list[datetime], counts: list[int], replicas: int, seed: int
) -> Iterator[dict[str, Any]]:
    """*replicas* jittered copies of the cascade, as incidents of the work-safety plan."""
    span = 2 * 365 * 24 * 60
    for number in range(replicas):
        rng = random.Random(seed * 7_919 + number)
        shift = generated.START + timedelta(minutes=rng.randrange(span)) - instants[0]
        scale = math.exp(rng.uniform(math.log(20), math.log(1_000))) / counts[-1]
        observations = [
            {
                "at": (at + shift + timedelta(seconds=rng.randrange(240))).isoformat(),
                "metric": "reposts",
                "value": round(count * scale),
                "site": "weibo.com",
                "channel": "weibo",
            }
            for at, count in zip(instants, counts, strict=True)
        ]
        yield {
            "id": f"KASHGAR-{seed}-{number:05d}",
            "posted_at": (instants[0] + shift).isoformat(),
            "discovered_at": observations[0]["at"],
            "facts": {"netizen_concern": rng.choice(("inquiry", "doubt", "demand", "other"))},
            "observations": observations,
            "events": [
                {
                    "at": (instants[-1] + shift + timedelta(hours=1)).isoformat(),
                    "type": "subsided",
                }
            ],
        }


# -- measuring --------------------------------------------------------------------------


def _usage(client: Any) -> dict[str, tuple[float, int]]:
    """Each worker's (CPU seconds, peak resident bytes) so far, measured in the worker."""
    found = client.run(resource.getrusage, resource.RUSAGE_SELF)
    return {w: (u.ru_utime + u.ru_stime, u.ru_maxrss * _RSS_UNIT) for w, u in found.items()}


class Run:
    """One load back-tested on one cluster: the report and what the workers spent."""

    def __init__(
        self,
        load: str,
        workers: int,
        report: BacktestReport,
        cpu: float,
        wall: float,
        peaks: list[int],
    ) -> None:
        self.load, self.workers, self.report = load, workers, report
        self.cpu, self.wall, self.peaks = cpu, wall, peaks

    @property
    def per_cpu(self) -> float:
        return self.report.compared / self.cpu if self.cpu else math.inf

    @property
    def per_wall(self) -> float:
        return self.report.compared / self.wall if self.wall else math.inf

    def outcome(self) -> tuple[Any, ...]:
        """What must not depend on the number of workers."""
        r = self.report
        return (r.compared, r.differing, r.skipped, r.groups, r.aspects, r.grade_pairs)


def measure(
    client: Any,
    load: str,
    workers: int,
    plans: tuple[opinion_rules.Plan, opinion_rules.Plan],
    incidents: Iterable[dict[str, Any]],
    chunk_size: int,
) -> Run:
    before = _usage(client)
    started = time.perf_counter()
    report = backtest(*plans, incidents, runner=DaskRunner(client), chunk_size=chunk_size)
    wall = time.perf_counter() - started
    after = _usage(client)
    cpu = sum(after[w][0] - before.get(w, (0.0, 0))[0] for w in after)
    return Run(load, workers, report, cpu, wall, sorted(peak for _, peak in after.values()))


# -- main ---------------------------------------------------------------------------------


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument(
        "--incidents", type=int, default=1_000_000, help="generated incidents (default 1,000,000)"
    )
    parser.add_argument(
        "--cascades", type=int, default=200, help="replicas of the real cascade (default 200)"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"the cascade's CSV file (default {DATA.as_posix()}, relative to the repository root)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="the incidents' seed (default 2026)")
    parser.add_argument(
        "--chunk-size", type=int, default=500, help="generated incidents per chunk (default 500)"
    )
    args = parser.parse_args(argv)
    if args.incidents < 1 or args.cascades < 0 or args.chunk_size < 1:
        parser.error("--incidents and --chunk-size must be at least 1, --cascades at least 0")
    return args


def row(run: Run) -> str:
    peaks = ", ".join(f"{p / MB:,.0f}" for p in run.peaks)
    return (
        f"{run.load:<10}{run.workers:>8}{run.report.compared:>12,}{run.report.differing:>11,}"
        f"{run.cpu:>12.1f}{run.report.cpu_seconds:>12.1f}{run.per_cpu:>11,.0f}"
        f"{run.wall:>9.1f}{run.per_wall:>12,.0f}   {peaks}"
    )


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if distributed is None:
        print("skipped: Dask is not installed (pip install 'opinion-rules[dask]')")
        return 0
    path = args.data if args.data is not None else ROOT / DATA
    if args.data is not None and not path.is_file():
        print(f"the cascade {path} is not here (see the docstring)")
        return 2
    plans = (opinion_rules.load_plan(OLD), opinion_rules.load_plan(NEW))
    loads: list[tuple[str, Any, int]] = [
        ("generated", lambda: generated.incidents(args.seed, args.incidents), args.chunk_size)
    ]
    print(f"plans       {plans[0].id} {plans[0].version} -> {plans[1].id} {plans[1].version}")
    print(
        f"generated   {args.incidents:,} incidents (seed {args.seed}), chunks of {args.chunk_size}"
    )
    if not path.is_file():
        print(
            f"cascade     skipped: {path} is not here; "
            f"it is {DATA.as_posix()} next to the repository"
        )
    elif args.cascades:
        instants, counts = cascade_counts(path)
        loads.append(
            (
                "cascade",
                lambda: cascades(instants, counts, args.cascades, args.seed),
                CASCADE_CHUNK,
            )
        )
        print(
            f"cascade     {args.cascades:,} replicas of {path.name} "
            f"({len(instants):,} snapshots each), chunks of {CASCADE_CHUNK}"
        )
    print(
        f"python      {platform.python_version()} on {platform.machine()}, "
        f"dask {dask.__version__}, 1 thread per worker process"
    )
    print()
    runs: dict[tuple[str, int], Run] = {}
    for workers in (1, 2):
        with (
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: another cluster may hold 8787
                silence_logs=50,  # logging.CRITICAL: a benchmark prints figures only
            ) as cluster,
            distributed.Client(cluster, set_as_default=False) as client,
        ):
            for load, incidents, chunk_size in loads:
                runs[load, workers] = measure(client, load, workers, plans, incidents(), chunk_size)

    print(
        f"{'load':<10}{'workers':>8}{'incidents':>12}{'differing':>11}{'worker CPU':>12}"
        f"{'compare CPU':>12}{'inc/CPU-s':>11}{'wall s':>9}{'inc/wall-s':>12}   peak MB per worker"
    )
    for run in runs.values():
        print(row(run))
    print()
    failed = False
    for load, _, _ in loads:
        one, two = runs[load, 1], runs[load, 2]
        if one.outcome() != two.outcome():
            failed = True
            print(f"MISMATCH {load}: 1 worker {one.outcome()[:3]}, 2 workers {two.outcome()[:3]}")
    for load, _, _ in loads:
        one, two = runs[load, 1], runs[load, 2]
        ratio = two.per_cpu / one.per_cpu
        print(f"{load}: 2 workers / 1 worker  {ratio:6.2f}x incidents per CPU-second")
    for load, _, _ in loads:
        one, two = runs[load, 1], runs[load, 2]
        print(
            f"({load}: wall-clock speed-up {two.per_wall / one.per_wall:.2f}, "
            "for information: it depends on what else the machine runs)"
        )
    client_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_UNIT
    print(
        f"client peak memory  {client_peak / MB:,.0f} MB (this process: the chunks in flight, "
        "the reports, and the clusters' schedulers)"
    )
    print(f"mismatches  {'yes' if failed else 'none'} (1 worker != 2 workers)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
