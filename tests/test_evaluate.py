"""
As-of semantics: evaluation at T sees only what was known at T, never reads
the clock, and grades only go up.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import time_machine
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.lifecycle import Grading

from . import strategies as s


def known_at(incident: o.Incident, at: datetime) -> o.Incident:
    return attrs.evolve(
        incident,
        observations=[ob for ob in incident.observations if ob.at <= at],
        events=[e for e in incident.events if e.at <= at],
    )


@given(data=st.data())
def test_facts_after_the_instant_never_change_the_result(data):
    """Dropping every observation and event later than T leaves the assessment at T unchanged."""
    plan = data.draw(s.plans())
    incident = data.draw(s.incidents(plan))
    at = data.draw(s.instants(3200))
    engine = o.Engine(plan)

    expected = engine.evaluate(known_at(incident, at), at=at)

    assert expected == engine.evaluate(incident, at=at)


@given(data=st.data())
def test_grades_only_go_up(data):
    """Where no rule lowers it (no de-escalation, computed grades), a later grade is never lower."""
    drawn = data.draw(s.plans())
    plan = attrs.evolve(drawn, grading=Grading(escalation=drawn.grading.escalation))
    incident = data.draw(s.incidents(plan))
    first, second = sorted([data.draw(s.instants(3200)), data.draw(s.instants(3200))])
    engine = o.Engine(plan)

    earlier = engine.evaluate(incident, at=first).grade
    later = engine.evaluate(incident, at=second).grade

    assert earlier is None or (later is not None and later.rank >= earlier.rank)
    if earlier is not None:
        assert earlier.since == next(
            h.since
            for h in engine.evaluate(incident, at=second).grade_history
            if h.id == earlier.id
        )


@given(data=st.data())
def test_result_does_not_depend_on_the_wall_clock(data):
    """Freezing the wall clock at an absurd date changes nothing: the engine never reads it."""
    plan = data.draw(s.plans())
    incident = data.draw(s.incidents(plan))
    at = data.draw(s.instants(3200))
    engine = o.Engine(plan)
    expected = engine.evaluate(incident, at=at)

    with time_machine.travel(datetime(1999, 12, 31, 23, 59, tzinfo=UTC), tick=False):
        frozen = engine.evaluate(incident, at=at)

    assert expected == frozen


@given(data=st.data())
def test_due_is_never_before_the_anchor(data):
    """Every due time is at or after the instant its clock started."""
    plan = data.draw(s.plans())
    incident = data.draw(s.incidents(plan))
    at = data.draw(s.instants(3200))

    for action in o.Engine(plan).evaluate(incident, at=at).actions:
        if action.due is not None:
            assert action.anchor_at is not None
            assert action.due >= action.anchor_at
