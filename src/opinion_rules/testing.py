"""
Helpers for plan authors' own Python tests: build an incident from short
forms, evaluate it at an instant, and assert what an action's status, due
time and owners are, failing with the same diff text as a scenario file.

::

    from opinion_rules.testing import assert_action, done, evaluate_at, incident, reading

    case = incident(
        "2026-11-23T09:00:00+08:00",
        reading("clicks", 12000, "2026-11-23T10:00:00+08:00", site="bbs.example.cn"),
        done("major_phone_report", "2026-11-23T10:05:00+08:00"),
        facts={"netizen_concern": "doubt"},
    )
    result = evaluate_at("plans/work_safety.yaml", case, "2026-11-23T14:00:00+08:00")
    assert_action(result, "major_notify_units", status="overdue")

Instants may be given as aware datetimes or as ISO 8601 text with a UTC
offset.  For whole files of expectations, write scenario files instead
(docs/reference/scenario-format.md) and run them with ``opinion-rules
test`` or plain ``pytest``.

.. versionadded:: 0.6.0
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from opinion_rules.authoring._scenario_checks import compare
from opinion_rules.authoring._scenarios import Expectation
from opinion_rules.engine._engine import DEFAULT_BACKEND, Engine
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.model._facts import Event, Incident, Observation
from opinion_rules.model._not_applicable import FactValue
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import Assessment, Status
from opinion_rules.planfile._loaders import load_plan


__all__ = [
    "assert_action",
    "done",
    "evaluate_at",
    "event",
    "incident",
    "learned",
    "reading",
]

Instant = datetime | str


def _instant(value: Instant, what: str) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.utcoffset() is None:
        problem = Problem(
            what,
            "is not an ISO 8601 instant with a UTC offset",
            "e.g. '2026-11-23T09:00:00+08:00'",
            repr(value),
        )
        raise FactError("opinion_rules.testing", [problem])
    return parsed


def reading(metric: str, value: float, at: Instant, **fields: Any) -> Observation:
    """
    An observation: *metric* counted *value* at *at*; *fields* are the
    other :class:`~opinion_rules.Observation` fields (``site``,
    ``channel``, ``kind``, ``post``).

    .. versionadded:: 0.6.0
    """
    return Observation(_instant(at, "at"), metric, value, **fields)


def done(action: str, at: Instant, **fields: Any) -> Event:
    """
    An ``action_done`` event: *action* was done at *at*.

    .. versionadded:: 0.6.0
    """
    return Event(_instant(at, "at"), "action_done", action=action, **fields)


def learned(fact: str, value: FactValue, at: Instant, **fields: Any) -> Event:
    """
    A ``fact`` event: *fact* became known as *value* at *at* (for a
    judgement fact, pass ``by=``).

    .. versionadded:: 0.6.0
    """
    return Event(_instant(at, "at"), "fact", fact=fact, value=value, **fields)


def event(type: str, at: Instant, **fields: Any) -> Event:  # noqa: A002 - the format's word
    """
    Any other event the plan uses (``subsided``, ``case_closed``, an
    extension request with ``action=`` and ``due=`` …) at *at*.

    .. versionadded:: 0.6.0
    """
    return Event(_instant(at, "at"), type, **fields)


def incident(
    discovered_at: Instant,
    *items: Observation | Event,
    id: str = "TEST",  # noqa: A002 - the incident format's key
    posted_at: Instant | None = None,
    facts: Mapping[str, Any] | None = None,
) -> Incident:
    """
    An incident discovered at *discovered_at*, with the observations and
    events *items* (from :func:`reading`, :func:`done`, :func:`learned`,
    :func:`event`, in any order) and the *facts* known from the start.

    Raises:
        FactError: as :class:`~opinion_rules.Incident` does.

    .. versionadded:: 0.6.0
    """
    return Incident(
        id,
        _instant(discovered_at, "discovered_at"),
        None if posted_at is None else _instant(posted_at, "posted_at"),
        dict(facts or {}),
        [i for i in items if isinstance(i, Observation)],
        [i for i in items if isinstance(i, Event)],
    )


def evaluate_at(
    plan: Plan | str | os.PathLike[str],
    case: Incident | Mapping[str, Any],
    at: Instant,
    *,
    backend: str = DEFAULT_BACKEND,
) -> Assessment:
    """
    Evaluate *case* against *plan* (a :class:`~opinion_rules.Plan` or a
    plan file's path) at *at*.

    Each call builds an engine; for many evaluations of one plan, build an
    :class:`~opinion_rules.Engine` once.

    .. versionadded:: 0.6.0
    """
    if not isinstance(plan, Plan):
        plan = load_plan(os.fspath(plan))
    return Engine(plan, backend=backend).evaluate(case, at=_instant(at, "at"))


class _Unset:
    def __repr__(self) -> str:
        return "<not checked>"


_UNSET: Any = _Unset()


def assert_action(
    assessment: Assessment,
    action_id: str,
    *,
    status: Status | None = _UNSET,
    due: Instant | None = _UNSET,
    owners: Iterable[str] = _UNSET,
    absent: bool = _UNSET,
) -> None:
    """
    Assert what holds of action *action_id* in *assessment*: only the
    arguments given are checked, as in a scenario file.

    *status* is one of :data:`~opinion_rules.results.STATUSES`; *due* an
    instant, or ``None`` for no due time; *owners* the owning roles' ids,
    in any order; ``absent=True`` that the action does not apply.

    Raises:
        AssertionError: one line per expectation that does not hold, e.g.
            ``at 2026-11-23T14:00:00+08:00: action report: status expected
            overdue, got pending``.

    .. versionadded:: 0.6.0
    """
    given: dict[str, Any] = {}
    if status is not _UNSET:
        given["status"] = status
    if due is not _UNSET:
        given["due"] = None if due is None else _instant(due, "due")
    if owners is not _UNSET:
        given["owners"] = frozenset([owners] if isinstance(owners, str) else owners)
    if absent is not _UNSET:
        given["absent"] = absent
    if not given:
        given["absent"] = False  # nothing asked: the action applies
    expectations = [Expectation("action", action_id, k, v, 0, 0) for k, v in given.items()]
    mismatches = compare(assessment, expectations)
    if mismatches:
        raise AssertionError("\n".join(str(m) for m in mismatches))
