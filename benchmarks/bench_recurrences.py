"""
How evaluating a recurring duty grows with its age: a duty anchored ten
years back against one anchored a day back.

Run from the repository root::

    .venv/bin/python benchmarks/bench_recurrences.py [--quick]

For each form (``every: 1m``, ``per_day: 1``, the RRULEs ``FREQ=MINUTELY``,
``FREQ=DAILY;BYHOUR=0,2,…,22;BYMINUTE=0`` (每2小时整点) and
``FREQ=MONTHLY;BYMONTHDAY=1`` with ``at_day_end`` (每月1日), and the
minute rule in a zone with DST), it evaluates a plan whose only duty
started a day, a year and ten years before the evaluation instant, with
a handful of completions, and prints the CPU time per evaluation and the
ratio ten years / one day (``<form>: 10 years / 1 day  <r>x``, the form
``benchmarks/compare_revisions.py`` reads).  The missed occurrences are counted by the
schedule's arithmetic (a minute duty ten years back has about 5.3 million)
and only the first 100 are listed, so the ratio should stay small (a few
times, not thousands).  Nothing is asserted; the absolute times depend on
the machine.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import opinion_rules as o
from opinion_rules.deadlines import recurring


CLAUSE = o.Clause("1", "续报")
FORMS = {
    "every 1m": {"every": timedelta(minutes=1)},
    "per_day 1": {"per_day": 1},
    "rule MINUTELY": {"rule": "FREQ=MINUTELY"},
    "rule 每2小时整点": {"rule": "FREQ=DAILY;BYHOUR=0,2,4,6,8,10,12,14,16,18,20,22;BYMINUTE=0"},
    "rule 每月1日": {"rule": "FREQ=MONTHLY;BYMONTHDAY=1", "at_day_end": True},
}
AGES = {"1 day": timedelta(days=1), "1 year": timedelta(days=365), "10 years": timedelta(days=3652)}


def plan(form: dict[str, object], zone: str) -> o.Plan:
    return o.Plan(
        id="bench",
        title="bench",
        issuer="bench",
        version="1",
        source="bench",
        timezone=zone,
        grades=(),
        roles=(o.Role("office", "办公室"),),
        actions=(
            o.Action(
                "follow",
                "续报",
                owners=("office",),
                channel="written_report",
                deadline=recurring("discovered", **form),  # type: ignore[arg-type]
                clause=CLAUSE,
            ),
        ),
    )


def cpu_per_evaluation(engine: o.Engine, age: timedelta, at: datetime, repeat: int) -> float:
    start = at - age
    events = [o.Event(start + age * k / 6, "action_done", action="follow") for k in range(1, 6)]
    incident = o.Incident("I", discovered_at=start, events=events)
    engine.evaluate(incident, at=at)  # warm up
    began = time.process_time()
    for _ in range(repeat):
        result = engine.evaluate(incident, at=at)
    spent = (time.process_time() - began) / repeat
    status = result.action("follow")
    print(f"    {age.days:>5} days: {spent * 1000:8.2f} ms  missed {status.missed_count:>9,}")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeat = 3 if args.quick else 10
    cases = [(name, form, "Asia/Shanghai") for name, form in FORMS.items()]
    cases.append(("rule MINUTELY, New York (DST)", FORMS["rule MINUTELY"], "America/New_York"))
    for name, form, zone in cases:
        at = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo(zone))
        engine = o.Engine(plan(form, zone))
        print(f"{name} ({zone})")
        times = {label: cpu_per_evaluation(engine, age, at, repeat) for label, age in AGES.items()}
        label = f"{name}: 10 years / 1 day"
        print(f"    {label}  {times['10 years'] / times['1 day']:.1f}x")


if __name__ == "__main__":
    main()
