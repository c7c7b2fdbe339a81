"""
End to end: the seed plans' lifecycle duties — continuous monitoring until
the opinion subsides, the post-incident summary (总结评估) and the
accountability review (责任考评) — appear on the case store's agenda when
they are owed, and leave it when they end or are done.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import opinion_rules as o

from .conftest import cst
from .store_fixtures import (  # noqa: F401 - the fixture_* are pytest fixtures
    fixture_new_store,
    fixture_pg_server,
    fixture_store,
    fixture_store_target,
)


PLANS = Path(__file__).resolve().parent.parent / "examples" / "plans"
DAY = timedelta(days=1)


def on_agenda(store: o.CaseStore, at: datetime, incident_id: str) -> dict[str, str]:
    """Action id -> status of the incident's agenda rows at *at*."""
    return {
        item.action_id: item.status
        for item in store.agenda(at, timedelta(hours=24))
        if item.incident_id == incident_id
    }


def event(entry_id: str, at: datetime, kind: str, **fields: object) -> dict[str, object]:
    return {"id": entry_id, "event": {"at": at.isoformat(), "type": kind, **fields}}


def test_civil_affairs_monitoring_summary_and_accountability(store):
    """三(二)1 monitoring until 平息, then 六2 总结评估 and 责任考评 once handling ends."""
    key = store.add_plan(o.load_plan(PLANS / "civil_affairs.yaml"))
    start = cst(23, 9)
    store.open_incident(
        "MZ-1",
        key,
        discovered_at=start,
        facts={"assessed_level": "general"},
        entry_id="open",
        recorded_at=start,
        recorded_by="监测组",
    )

    first_morning = on_agenda(store, start + timedelta(hours=1), "MZ-1")
    assert "pending" == first_morning["monitor_until_subsided"]
    assert "summary_evaluation" not in first_morning
    assert "accountability_review" not in first_morning

    subsided = start + 2 * DAY
    store.record(
        "MZ-1", [event("s1", subsided, "subsided")], recorded_at=subsided, recorded_by="监测组"
    )
    after_subsiding = on_agenda(store, subsided + timedelta(minutes=5), "MZ-1")
    assert "monitor_until_subsided" not in after_subsiding
    assert "summary_evaluation" not in after_subsiding  # handling has not ended yet

    closed = subsided + DAY
    store.record(
        "MZ-1", [event("c1", closed, "case_closed")], recorded_at=closed, recorded_by="办公室"
    )
    after_closing = on_agenda(store, closed + timedelta(minutes=5), "MZ-1")
    assert {"summary_evaluation", "accountability_review"} <= set(after_closing)
    # Owed from the closing instant, not before it.
    assert "summary_evaluation" not in on_agenda(store, closed - timedelta(minutes=5), "MZ-1")

    done = closed + 2 * DAY
    store.record(
        "MZ-1",
        [event("d1", done, "action_done", action="summary_evaluation")],
        recorded_at=done,
        recorded_by="领导小组",
    )
    later = on_agenda(store, done + timedelta(minutes=5), "MZ-1")
    assert "summary_evaluation" not in later
    assert "accountability_review" in later


def test_work_safety_monitoring_then_summary(store):
    """五(二) monitoring until 平息 leaves the agenda; 六(四) 总结评估 joins it."""
    key = store.add_plan(o.load_plan(PLANS / "work_safety.yaml"))
    start = cst(23, 9)
    store.open_incident(
        "WS-9",
        key,
        discovered_at=start,
        facts={"netizen_concern": "doubt"},
        entry_id="open",
        recorded_at=start,
        recorded_by="舆情处",
    )
    assert "monitor_until_subsided" in on_agenda(store, start + timedelta(hours=2), "WS-9")
    assert "summary_evaluation" not in on_agenda(store, start + timedelta(hours=2), "WS-9")

    subsided = start + 3 * DAY
    store.record(
        "WS-9", [event("s", subsided, "subsided")], recorded_at=subsided, recorded_by="舆情处"
    )
    now = on_agenda(store, subsided + timedelta(minutes=1), "WS-9")
    assert "monitor_until_subsided" not in now
    assert "summary_evaluation" in now


def test_archives_summary_chain_after_subsiding(store):
    """处置(五): 总结 promptly after 平稳, then the written report after the summary."""
    plan = o.load_plan(PLANS / "archives_bureau.yaml")
    key = store.add_plan(plan)
    start = cst(23, 9)
    store.open_incident(
        "DA-3", key, discovered_at=start, entry_id="open", recorded_at=start, recorded_by="单位"
    )
    assert "summarise" not in on_agenda(store, start + timedelta(hours=1), "DA-3")

    subsided = start + DAY
    store.record(
        "DA-3", [event("s", subsided, "subsided")], recorded_at=subsided, recorded_by="单位"
    )
    assert "summarise" in on_agenda(store, subsided + timedelta(minutes=1), "DA-3")
    assert "summary_report" not in on_agenda(store, subsided + timedelta(minutes=1), "DA-3")

    summarised = subsided + timedelta(hours=5)
    store.record(
        "DA-3",
        [event("d", summarised, "action_done", action="summarise")],
        recorded_at=summarised,
        recorded_by="单位",
    )
    now = on_agenda(store, summarised + timedelta(minutes=1), "DA-3")
    assert "summarise" not in now
    assert "summary_report" in now
