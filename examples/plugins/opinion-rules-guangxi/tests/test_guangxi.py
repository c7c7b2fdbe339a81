"""
The example plug-in's own tests: its values by hand, its calendar, and the
example plan evaluated with the plug-in enabled.  Run them with the package
installed: ``pip install -e '.[test]' && pytest``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import opinion_rules_guangxi as gx
import pytest

import opinion_rules as o
from opinion_rules.exceptions import CalendarRangeError
from opinion_rules.hookspecs import SeriesAmount
from opinion_rules.testing import assert_action


EXAMPLE = Path(__file__).parent.parent / "example"


def test_heat_index_uses_the_stated_weights():
    """0.2 × 600 + 100 + 0.5 × 40 = 240."""
    assert 240 == gx.heat_index(600, 100, 40)


def test_top_site_share_adds_the_series_of_one_site():
    """Two weibo series (60 + 30) of 100 in all: 0.9; nothing observed is unknown."""
    series = [
        SeriesAmount("weibo.com", None, None, 60),
        SeriesAmount("weibo.com", None, "post-1", 30),
        SeriesAmount("douyin.com", None, None, 10),
    ]

    assert 0.9 == gx.top_site_share(series)
    assert gx.top_site_share([]) is None


def test_the_calendar_adds_the_regions_days_off():
    """壮族三月三 2026 (04-20, a Monday) is off in the region; the national calendar works."""
    calendar = gx.GuangxiCalendar()

    assert (False, True) == (
        calendar.is_working_day(date(2026, 4, 20)),
        o.calendars.ChinaCalendar().is_working_day(date(2026, 4, 20)),
    )
    with pytest.raises(CalendarRangeError):
        calendar.is_working_day(date(2027, 1, 4))


def test_the_example_plan_needs_the_plugin_and_grades_with_it():
    """Refused without the plug-in; with it, 一般 from a heat index of 240 and a due past 三月三."""
    with pytest.raises(o.PlanError, match="plug-in 'guangxi' is required and not enabled"):
        o.load_plan(EXAMPLE / "plan.yaml")

    plan = o.load_plan(EXAMPLE / "plan.yaml", plugins=[gx])
    result = o.Engine(plan, plugins=[gx]).evaluate(
        o.load_incident(EXAMPLE / "incident.json"),
        at=datetime.fromisoformat("2026-04-16T12:00:00+08:00"),
    )

    assert "general" == result.grade.id  # type: ignore[union-attr]
    # 3 working days from Thursday 04-16: 04-17, 04-21, 04-22 (04-20 is off).
    assert_action(result, "platform_contact", status="pending", due="2026-04-23T00:00:00+08:00")


def test_the_listener_writes_each_notification_once(tmp_path, monkeypatch):
    """Told twice about one change (at-least-once delivery), the listener writes one line."""
    out = tmp_path / "notices.jsonl"
    monkeypatch.setenv(gx.NOTICES, str(out))
    plan = o.load_plan(EXAMPLE / "plan.yaml", plugins=[gx])
    result = o.Engine(plan, plugins=[gx]).evaluate(
        o.load_incident(EXAMPLE / "incident.json"),
        at=datetime.fromisoformat("2026-04-16T12:00:00+08:00"),
    )

    for _ in range(2):
        gx.opinion_rules_action_changed(
            notification_id="7", incident_id="GX", action=result.action("report"), previous=None
        )

    assert [{"id": "7", "action": "report", "status": "pending"}] == [
        {k: line[k] for k in ("id", "action", "status")}
        for line in map(json.loads, out.read_text("utf-8").splitlines())
    ]
