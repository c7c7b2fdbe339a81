"""
Measures of change between readings and duties that end on what is observed
(issue 13, point 8): a ``rate`` window ("增速": the increase since the
previous reading, per hour) and a duty that lasts until a run of readings
below a number ("连续5次监测增速低于阈值即停止跟踪").
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.deadlines import Readings, until_readings
from opinion_rules.engine._timeline import _index
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.windows import rate

from . import strategies as s
from .conftest import CST, ROOT


PHRASES = ROOT / "docs" / "how-to" / "phrases"
PLAN = PHRASES / "8-readings.yaml"
INCIDENT = PHRASES / "8-readings-incident.json"


def march(day: int, hour: int) -> datetime:
    """An instant in March 2026, China Standard Time."""
    return datetime(2026, 3, day, hour, tzinfo=CST)


def tracking_plan(below: float, consecutive: int) -> o.Plan:
    """The phrase plan with another run."""
    plan = o.load_plan(PLAN)
    deadline = until_readings("discovered", "growth", below=below, consecutive=consecutive)
    return attrs.evolve(plan, actions=(attrs.evolve(plan.actions[0], deadline=deadline),))


totals = st.lists(
    st.tuples(st.integers(min_value=1, max_value=600), st.integers(min_value=0, max_value=400)),
    min_size=1,
    max_size=10,
)


def readings_of(steps: list[tuple[int, int]]) -> list[o.Observation]:
    """Cumulative totals of reposts at increasing instants after BASE."""
    out, minutes, value = [], 0, 0
    for gap, growth in steps:
        minutes += gap
        value += growth
        out.append(o.Observation(s.BASE + timedelta(minutes=minutes), "reposts", value, "w"))
    return out


def brute_rates(observations: list[o.Observation]) -> list[Fraction | None]:
    """Each reading's increase since the one before, per hour (None for the first)."""
    return [None] + [
        Fraction(b.value - a.value) / Fraction(int((b.at - a.at).total_seconds()), 3600)
        for a, b in itertools.pairwise(observations)
    ]


@given(steps=totals, extra=st.integers(min_value=0, max_value=300))
def test_the_rate_is_the_increase_since_the_previous_reading_per_hour(steps, extra):
    """Between two readings the rate is the last reading's increase over the hours since the one before."""
    observations = readings_of(steps)
    growth = o.Measure("growth", "reposts", rate())
    index = _index(observations, None, CST)["reposts"]
    rates = brute_rates(observations)

    instants = [ob.at + timedelta(minutes=extra) for ob in observations]

    got = [index.value(growth, t) for t in instants]

    # At t the latest reading at or before t gives the rate.
    latest = [max(i for i, ob in enumerate(observations) if ob.at <= t) for t in instants]
    expected = [None if rates[i] is None else float(rates[i]) for i in latest]
    assert expected == got


@given(
    steps=totals,
    below=st.sampled_from([1, 10, 60]),
    consecutive=st.integers(min_value=1, max_value=4),
    at_minutes=st.integers(min_value=0, max_value=6000),
)
def test_the_duty_ends_at_the_reading_that_completes_the_run(steps, below, consecutive, at_minutes):
    """The tracking duty is done at the first reading ending a run of N known rates below the bar."""
    plan = tracking_plan(below, consecutive)
    observations = readings_of(steps)
    incident = o.Incident("i", s.BASE, observations=observations)
    at = s.BASE + timedelta(minutes=at_minutes)

    (action,) = o.Engine(plan).evaluate(incident, at=at).actions

    run, end = 0, None
    for ob, r in zip(observations, brute_rates(observations), strict=True):
        run = run + 1 if r is not None and r < below else 0
        if run >= consecutive:
            end = ob.at
            break
    expected = (end, "done") if end is not None and end <= at else (None, "pending")
    assert expected == (action.done_at, action.status)


def test_the_phrase_plan_stops_tracking_after_three_slow_readings():
    """12:00 and 16:00-20:00 grow by under 10 an hour; 14:00 breaks the run, so tracking ends at 20:00."""
    plan = o.load_plan(PLAN)
    incident = o.Incident.from_dict(json.loads(INCIDENT.read_text(encoding="utf-8")))

    early = o.Engine(plan).evaluate(incident, at=march(9, 18))
    late = o.Engine(plan).evaluate(incident, at=march(9, 20))

    assert [("pending", None), ("done", march(9, 20))] == [
        (early.actions[0].status, early.actions[0].done_at),
        (late.actions[0].status, late.actions[0].done_at),
    ]


def test_ending_the_duty_leaves_the_grade_alone():
    """The run ends the duty, not the grade: a grade reached before stays."""
    plan = o.load_plan(PLAN)
    grade = o.Grade("watch", "关注", 1, o.conditions.measure("growth") > 30, o.Clause("一", "t"))
    plan = attrs.evolve(plan, grades=(grade,))
    incident = o.Incident.from_dict(json.loads(INCIDENT.read_text(encoding="utf-8")))

    result = o.Engine(plan).evaluate(incident, at=march(9, 20))

    assert ("watch", "done") == (result.grade.id, result.actions[0].status)


def test_readings_and_rate_round_trip_through_a_plan_file():
    """'window: rate' and 'until_readings' are written back and read to an equal plan."""
    plan = o.load_plan(PLAN)

    text = dump_plan(plan)

    assert (True, True, plan) == (
        "window: rate" in text,
        "until_readings:" in text,
        read_plan_text(text, "yaml"),
    )


def test_a_run_on_an_unknown_measure_is_refused():
    """until_readings names a measure the plan declares."""
    plan = o.load_plan(PLAN)
    deadline = until_readings("discovered", "speed", below=1, consecutive=2)

    with pytest.raises(PlanValidationError, match="measure 'speed' is not defined"):
        attrs.evolve(plan, actions=(attrs.evolve(plan.actions[0], deadline=deadline),))


def test_readings_are_checked_at_construction():
    """A run needs a finite 'below' and a whole 'consecutive' of at least 1."""
    with pytest.raises(ValueError, match="'below' must be a finite number"):
        Readings("growth", float("inf"), 2)
    with pytest.raises(ValueError, match="'consecutive' must be a whole number >= 1"):
        Readings("growth", 1, 0)
    with pytest.raises(ValueError, match=r"needs 'until' .* or 'until_readings'"):
        o.Deadline("discovered", "until")


def test_a_count_never_below_zero_never_ends_the_duty():
    """check warns (duty-never-ends) about a run below 0 on a measure that is never negative."""
    plan = o.load_plan(PLAN)
    total = o.Measure("total", "reposts", o.windows.cumulative())
    deadline = until_readings("discovered", "total", below=0, consecutive=2)
    plan = attrs.evolve(
        plan,
        measures=(*plan.measures, total),
        actions=(attrs.evolve(plan.actions[0], deadline=deadline),),
    )

    codes = [f.code for f in o.lint_plan(plan)]

    assert ["duty-never-ends"] == [c for c in codes if c == "duty-never-ends"]


def test_the_run_renders_in_both_languages():
    """Render says 直至连续3次监测转发增速(每小时)低于10 and 'until growth < 10 at 3 readings in a row'."""
    plan = o.load_plan(PLAN)

    zh, en = o.render_plan(plan), o.render_plan(plan, lang="en")

    assert (True, True) == (
        "自发现起直至连续3次监测转发增速(每小时)低于10" in zh,
        "until growth < 10 at 3 readings in a row" in en,
    )


def test_a_rate_is_no_site_count():
    """A rate measure takes sum or max."""
    with pytest.raises(ValueError, match="takes 'sum' or 'max'"):
        o.Measure("growth", "reposts", rate(), "distinct_sites")
