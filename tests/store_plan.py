"""
A small plan for the case-store tests, and builders for entries in the
incident interchange format.

Plain data and functions, no pytest: the helper scripts run as separate
processes import it too.  The plan has deadlines from 30 minutes to a day,
a recurring duty and an hour-long window, so agendas change as time passes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import opinion_rules as o
from opinion_rules.planfile._loaders import read_plan_text


CST = timezone(timedelta(hours=8))
BASE = datetime(2026, 11, 23, 8, 0, tzinfo=CST)

PLAN_YAML = """
id: store-test
title: 案件库测试预案
issuer: tests
version: '1'
source: tests/store_plan.py
timezone: Asia/Shanghai
metrics: [clicks]
roles:
- {id: desk, name: 值班室}
- {id: lead, name: 分管领导}
measures:
- {id: clicks_1h, metric: clicks, window: 1h}
facts:
- {id: serious, type: bool}
events:
- {id: subsided, label: 平息}
grades:
- id: warm
  name: 关注
  rank: 0
  criteria: clicks_1h > 10
  clause: {ref: '1', text: 一小时内点击超过10次的，为关注舆情。}
- id: hot
  name: 热点
  rank: 1
  criteria: clicks_1h > 100
  clause: {ref: '2', text: 一小时内点击超过100次的，为热点舆情。}
actions:
- id: triage
  title: 研判
  owners: [desk]
  channel: internal
  deadline: {anchor: discovered, within: 2h}
  clause: {ref: '3', text: 发现后2小时内完成研判。}
- id: report
  title: 电话报告分管领导
  owners: [desk, lead]
  channel: phone
  condition: grade >= hot
  deadline: {anchor: 'grade_reached:hot', within: 30m}
  clause: {ref: '4', text: 热点舆情30分钟内电话报告分管领导。}
- id: watch
  title: 持续监测直至平息
  owners: [desk]
  channel: monitoring
  deadline: {anchor: discovered, until: subsided}
  clause: {ref: '5', text: 持续监测，直至舆情平息。}
- id: brief
  title: 当日书面报告
  owners: [lead]
  channel: written_report
  condition: serious == true
  deadline: {anchor: discovered, kind: end_of_day}
  clause: {ref: '6', text: 情节严重的，当日书面报告。}
- id: update
  title: 续报
  owners: [desk]
  channel: written_report
  condition: grade >= warm
  deadline: {anchor: 'grade_reached:warm', every: 3h, until: subsided}
  clause: {ref: '7', text: 关注以上舆情每3小时续报一次，直至平息。}
- id: note
  title: 登记
  owners: [desk]
  channel: internal
  deadline: {anchor: discovered, kind: promptly}
  clause: {ref: '8', text: 及时登记。}
"""

ACTIONS = ("triage", "report", "watch", "brief", "update", "note")


def small_plan() -> o.Plan:
    """
    The test plan: ``store-test@1``.
    """
    return read_plan_text(PLAN_YAML, "yaml", "tests/store_plan.py")


def minutes(n: float) -> datetime:
    """
    *n* minutes after BASE.
    """
    return BASE + timedelta(minutes=n)


def clicks(at: datetime, value: int, site: str = "a.example.cn") -> dict[str, Any]:
    """
    An observation of new clicks (``increment``) at *at*.
    """
    return {
        "at": at.isoformat(),
        "metric": "clicks",
        "value": value,
        "site": site,
        "kind": "increment",
    }


def done(action: str, at: datetime) -> dict[str, Any]:
    """
    An ``action_done`` event.
    """
    return {"at": at.isoformat(), "type": "action_done", "action": action}


def subsided(at: datetime) -> dict[str, Any]:
    """
    A ``subsided`` event.
    """
    return {"at": at.isoformat(), "type": "subsided"}


def learned(value: bool, at: datetime) -> dict[str, Any]:
    """
    A ``fact`` event for ``serious``.
    """
    return {"at": at.isoformat(), "type": "fact", "fact": "serious", "value": value}


def entry(entry_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """
    A client entry wrapping *item*: an event if it has a type, else an
    observation.
    """
    return {"id": entry_id, ("event" if "type" in item else "observation"): item}
