"""
Draw the timeline pictures the docs show (docs/how-to/draw-a-timeline.md).

Run from the repository root::

    .venv/bin/python docs/images/make_pictures.py [--data PATH] [--out DIR]

It writes, next to this script (or into ``--out``):

* ``work-safety-timeline.svg``: the bundled work-safety incident
  (``examples/incidents/work_safety_upgrade.json``) against
  ``examples/plans/work_safety.yaml`` at 2026-11-23T14:00:00+08:00, the
  same picture as ``opinion-rules timeline`` draws;
* ``kashgar-cascade-timeline.svg``: a real Weibo cascade, 15,648 posts about
  the October 2020 Kashgar (喀什) COVID-19 outbreak, fed as the cumulative
  post count every 5 minutes against ``benchmarks/cascade_plan.yaml``, as
  of its last snapshot.  The incident is built by the code of
  ``benchmarks/bench_real.py``; the data is
  ``../shared/data/weibo-cascades/Kashgar.csv`` (relative to the repository
  root; ``--data`` names another file), which is not in this repository
  (source: the public repository ``sunfeatherstone/rhp-seirs``, folder
  ``cascades/``; licence MIT, Copyright (c) 2025 sunfeatherstone).  Without
  it the script says so, skips this picture and exits 0.

Both need the ``plot`` extra and, for the Chinese labels, a CJK font
(Debian: ``fonts-noto-cjk``); the script refuses to draw without one, so
the committed pictures always show the plan's own words.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

import opinion_rules
from opinion_rules.pictures import cjk_font, draw_timeline, timeline_picture


ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
AT = datetime.fromisoformat("2026-11-23T14:00:00+08:00")


def bench_real() -> ModuleType:
    """
    ``benchmarks/bench_real.py``, whose functions turn the cascade into an incident.
    """
    spec = importlib.util.spec_from_file_location(
        "bench_real", ROOT / "benchmarks" / "bench_real.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError("benchmarks/bench_real.py cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def work_safety(folder: Path) -> Path:
    plan = opinion_rules.load_plan(ROOT / "examples" / "plans" / "work_safety.yaml")
    incident = opinion_rules.load_incident(
        ROOT / "examples" / "incidents" / "work_safety_upgrade.json"
    )
    out = folder / "work-safety-timeline.svg"
    draw_timeline(timeline_picture(opinion_rules.Engine(plan), incident, at=AT), out)
    return out


def cascade(data: Path, folder: Path) -> Path:
    bench = bench_real()
    posts = bench.read_posts(data)
    instants = bench.snapshot_instants(posts, None)
    incident = opinion_rules.Incident.from_dict(
        bench.incident_dict(posts, bench.snapshots(posts, instants))
    )
    engine = opinion_rules.Engine(opinion_rules.load_plan(bench.PLAN_PATH))
    out = folder / "kashgar-cascade-timeline.svg"
    draw_timeline(timeline_picture(engine, incident, at=instants[-1]), out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="the cascade's CSV (default: the shared data)")
    parser.add_argument("--out", type=Path, default=HERE, help="the folder (default: docs/images)")
    parser.add_argument("--no-cascade", action="store_true", help="draw the work-safety one only")
    args = parser.parse_args(argv)
    if cjk_font() is None:
        print("no CJK font installed: apt-get install fonts-noto-cjk", file=sys.stderr)
        return 1
    print(f"wrote {work_safety(args.out)}")
    if args.no_cascade:
        return 0
    data = args.data or ROOT / ".." / "shared" / "data" / "weibo-cascades" / "Kashgar.csv"
    if not data.is_file():
        print(f"{data}: not found; the cascade picture is not drawn", file=sys.stderr)
        return 2 if args.data else 0
    print(f"wrote {cascade(data, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
