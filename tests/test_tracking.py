"""
Tracking: an evaluation advanced as the incident grows gives exactly what a
fresh evaluation gives, and the case store's writes, which advance the
incidents they keep, materialise what a fresh evaluation would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.model._facts import SeriesLedger, extended_incident
from opinion_rules.store import open_store

from . import strategies as s
from .conftest import EXAMPLES


PLAN = EXAMPLES / "plans" / "work_safety.yaml"


def _split(incident: o.Incident, cuts: list[datetime]) -> list[o.Incident]:
    """
    The incident as it grew: the items at or before each cut in turn, every
    later part appended after the earlier ones, and the whole at the end.
    """
    grown: list[o.Incident] = []
    observations: list[o.Observation] = []
    events: list[o.Event] = []
    low = None
    for cut in [*cuts, None]:
        observations += [
            x
            for x in incident.observations
            if (low is None or x.at > low) and (cut is None or x.at <= cut)
        ]
        events += [
            x
            for x in incident.events
            if (low is None or x.at > low) and (cut is None or x.at <= cut)
        ]
        grown.append(
            o.Incident(
                incident.id,
                incident.discovered_at,
                incident.posted_at,
                incident.facts,
                observations,
                events,
            )
        )
        low = cut
    return grown


@given(data=st.data())
def test_advancing_equals_a_fresh_evaluation(data):
    """At every step of a growing incident, tracking gives what evaluate gives."""
    plan = data.draw(s.plans())
    incident = data.draw(s.incidents(plan))
    cuts = sorted(data.draw(st.lists(s.instants(3200), min_size=1, max_size=3, unique=True)))
    engine = o.Engine(plan)
    steps = _split(incident, cuts)
    ats = [*cuts, data.draw(s.instants(3200).filter(lambda t: t >= cuts[-1]))]

    tracking = engine.track(steps[0], at=ats[0])
    expected = [engine.evaluate(step, at=at).to_dict() for step, at in zip(steps, ats, strict=True)]
    actual = [tracking.assessment.to_dict()] + [
        tracking.advance(step, at=at).to_dict() for step, at in zip(steps[1:], ats[1:], strict=True)
    ]

    assert expected == actual


@given(data=st.data())
def test_advancing_to_any_incident_and_instant_equals_a_fresh_evaluation(data):
    """Backdated entries, other facts, an earlier instant: still what evaluate gives."""
    plan = data.draw(s.plans())
    first = data.draw(s.incidents(plan))
    second = data.draw(s.incidents(plan))
    at1, at2 = data.draw(s.instants(3200)), data.draw(s.instants(3200))
    engine = o.Engine(plan)
    tracking = engine.track(first, at=at1)

    actual = tracking.advance(second, at=at2).to_dict()

    assert engine.evaluate(second, at=at2).to_dict() == actual


def test_a_refused_advance_leaves_the_tracking_as_it_was():
    """An incident the plan refuses raises, and the tracking advances as before afterwards."""
    plan = o.load_plan(PLAN)
    engine = o.Engine(plan)
    start = datetime.fromisoformat("2026-11-23T09:00:00+08:00")
    incident = o.Incident("T-1", start)
    tracking = engine.track(incident, at=start)
    bad = o.Incident("T-1", start, events=[o.Event(start + timedelta(hours=1), "no_such_event")])
    with pytest.raises(o.FactError, match="no_such_event"):
        tracking.advance(bad, at=start + timedelta(hours=2))
    later = start + timedelta(hours=5)

    actual = tracking.advance(incident, at=later).to_dict()

    assert engine.evaluate(incident, at=later).to_dict() == actual
    assert later == tracking.at


@given(data=st.data())
def test_a_ledger_checks_an_incident_in_parts_as_in_one(data):
    """Growing a checked incident part by part finds the problems a whole check finds."""
    plan = data.draw(s.plans())
    incident = data.draw(s.incidents(plan))
    extra = data.draw(s.incidents(plan)).observations
    cut = data.draw(st.integers(0, len(incident.observations)))
    head = o.Incident(
        incident.id, incident.discovered_at, incident.posted_at, incident.facts,
        incident.observations[:cut],
    )  # fmt: skip
    ledger = SeriesLedger(head.posted_at)
    assert [] == list(ledger.problems(head.observations))
    added = [*incident.observations[cut:], *extra]
    try:
        whole = o.Incident(
            incident.id, incident.discovered_at, incident.posted_at, incident.facts,
            [*head.observations, *added],
        )  # fmt: skip
    except o.FactError as exc:
        expected: object = exc.problems
    else:
        expected = whole

    try:
        actual: object = extended_incident(head, ledger, added)
    except o.FactError as exc:
        actual = exc.problems

    assert expected == actual


# -- the case store -----------------------------------------------------------------


def _feed(path: Path, plan: o.Plan, cached: bool, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """
    Open an incident in a new store at *path*, record readings and events
    one write at a time (with or without the store keeping the incident),
    and return the agenda after each write.
    """
    monkeypatch.setattr("opinion_rules.store._tracked.MOST_TRACKED", 64 if cached else 0)
    start = datetime.fromisoformat("2026-11-23T09:00:00+08:00")
    agendas = []
    with open_store(path) as store:
        key = store.add_plan(plan)
        store.open_incident(
            "T-1", key, discovered_at=start, entry_id="open", recorded_at=start, recorded_by="feed"
        )
        for i in range(1, 40):
            at = start + timedelta(minutes=20 * i)
            entry = {
                "at": at.isoformat(),
                "metric": "clicks",
                "value": 400 * i,
                "site": "a.example.cn",
            }
            entries = [{"id": f"r{i}", "observation": entry}]
            if i == 20:
                entries.append(
                    {"id": "done", "event": {"at": at.isoformat(), "type": "action_done",
                                             "action": "assess_and_grade"}}
                )  # fmt: skip
            if i == 25:  # a late reading, earlier than the last write
                late = at - timedelta(hours=3)
                entries.append(
                    {"id": "late", "observation": {"at": late.isoformat(), "metric": "clicks",
                                                   "value": 7, "site": "late.example.cn"}}
                )  # fmt: skip
            store.record("T-1", entries, recorded_at=at, recorded_by="feed")
            agendas.append([item.to_dict() for item in store.agenda(at)])
    return agendas


def test_a_store_keeping_incidents_materialises_what_a_fresh_evaluation_does(tmp_path, monkeypatch):
    """Writes that advance a kept incident give the agenda that full re-evaluation gives."""
    plan = o.load_plan(PLAN)
    expected = _feed(tmp_path / "fresh.db", plan, cached=False, monkeypatch=monkeypatch)

    actual = _feed(tmp_path / "kept.db", plan, cached=True, monkeypatch=monkeypatch)

    assert expected == actual


def test_a_store_object_sees_what_other_writers_appended(tmp_path):
    """Two store objects writing one incident by turns: each write sees the other's entries."""
    plan = o.load_plan(PLAN)
    metric = "clicks"
    start = datetime.fromisoformat("2026-11-23T09:00:00+08:00")
    path = tmp_path / "cases.db"
    with open_store(path) as first, open_store(path) as second:
        key = first.add_plan(plan)
        first.open_incident(
            "T-2", key, discovered_at=start, entry_id="open", recorded_at=start, recorded_by="a"
        )
        for i in range(1, 12):
            at = start + timedelta(hours=i)
            writer = first if i % 3 else second
            writer.record(
                "T-2",
                [{"id": f"r{i}", "observation": {"at": at.isoformat(), "metric": metric,
                                                  "value": 1000 * i}}],
                recorded_at=at,
                recorded_by="a" if writer is first else "b",
            )  # fmt: skip
        end = start + timedelta(hours=11)
        expected = o.Engine(plan).evaluate(second.incident("T-2"), at=end).to_dict()
        actual = [item.to_dict() for item in first.agenda(end)]
        fresh = first.assess("T-2", end).to_dict()

    assert expected == fresh
    owed = sorted(a["id"] for a in expected["actions"] if a["status"] in ("pending", "overdue"))
    assert owed == sorted(item["action"] for item in actual)
