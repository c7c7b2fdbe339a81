"""
What each endpoint does with the store, once its request is read: plain
functions of a worker (its store and engines) that return the JSON to
answer, exactly what the matching command prints with ``--json``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from opinion_rules._instants import parse_duration
from opinion_rules.engine._engine import Engine
from opinion_rules.exceptions import FactError, OutOfOrderError, Problem, RecordFormatError
from opinion_rules.model._facts import Incident
from opinion_rules.service._errors import HTTPProblem
from opinion_rules.service._inputs import QueryParams, body_object
from opinion_rules.service._plans import HeldPlans
from opinion_rules.service._workers import Worker
from opinion_rules.store._agenda import AgendaItem
from opinion_rules.store._agenda_feed import ics_feed
from opinion_rules.store._agenda_query import AgendaQuery
from opinion_rules.store._casestore import CaseStore
from opinion_rules.store._plans import with_years


__all__ = [
    "DEFAULT_HORIZON",
    "Answer",
    "Raw",
    "agenda",
    "agenda_ics",
    "agenda_items",
    "audit",
    "evaluate",
    "open_incident",
    "record",
    "show",
    "timeline",
]

#: A status code and the JSON to answer with.
Answer = tuple[int, Any]
Clock = Callable[[], datetime]
#: The agenda's horizon when the request gives none, as for ``track agenda``.
DEFAULT_HORIZON = "24h"
# Writes stamped with the service's clock retry this often when another
# writer committed a later instant between the clock read and the commit.
_RETRIES = 3


def evaluate(worker: Worker, data: object, plans: HeldPlans, now: Clock) -> Answer:
    """
    ``POST /v1/evaluate``: the assessment of the incident sent, against a
    plan held, at ``at`` (default: now): what ``evaluate --json`` prints.
    The plan is evaluated with the store's calendar years, as the store's
    own evaluations are.
    """
    body = body_object(data, [("plan", str, True), ("incident", dict, True), ("at", str, False)])
    held = plans.find(body["plan"], "$.plan")
    query = QueryParams.of({"$.at": body["at"]} if "at" in body else {})
    at = query.instant("$.at") or now()
    incident = Incident.from_dict(body["incident"], source="$.incident")
    years = tuple(worker.store.schedules())
    cached = worker.engines.get(held.key)
    if cached is None or cached[0] != years:  # new, or the store's years changed
        cached = (years, Engine(with_years(held.plan, years), plugins=worker.store.plugins))
        worker.engines[held.key] = cached
    return 200, cached[1].evaluate(incident, at=at).to_dict()


def open_incident(worker: Worker, data: object, plans: HeldPlans, now: Clock, who: str) -> Answer:
    """
    ``POST /v1/incidents``: open an incident pinned to a plan held; 201 with
    the receipt (and the plan key), or 200 when it was already open so.
    """
    body = body_object(
        data,
        [
            ("id", str, True),
            ("plan", str, True),
            ("discovered_at", str, True),
            ("posted_at", str, False),
            ("facts", dict, False),
            ("entry_id", str, False),
        ],
    )
    held = plans.find(body["plan"], "$.plan")
    query = QueryParams.of({f"$.{k}": body[k] for k in ("discovered_at", "posted_at") if k in body})
    discovered = query.instant("$.discovered_at")
    posted = query.instant("$.posted_at")
    assert discovered is not None  # noqa: S101 - body_object checked it is there

    def write(recorded_at: datetime) -> Any:
        return worker.store.open_incident(
            body["id"],
            held.key,
            discovered_at=discovered,
            posted_at=posted,
            facts=body.get("facts"),
            entry_id=body.get("entry_id", "open"),
            recorded_at=recorded_at,
            recorded_by=who,
        )

    receipt = _stamped(write, now)
    return (200 if receipt.duplicate else 201), {**receipt.to_dict(), "plan": held.key}


def record(worker: Worker, incident_id: str, data: object, now: Clock, who: str) -> Answer:
    """
    ``POST /v1/incidents/{id}/entries``: append one entry or an array of
    entries, all or nothing; 201 with the receipts when one was written,
    200 when every entry was already recorded.
    """
    if isinstance(data, list):
        entries, places = data, [f"body[{i}]" for i in range(len(data))]
    elif isinstance(data, dict):
        entries, places = [data], ["body"]
    else:
        raise RecordFormatError(
            "body",
            [Problem("$", "is not an entry or an array of entries", 'an object like {"id": '
                     '"e1", "event": {...}}, or an array of them')],
        )  # fmt: skip
    if not entries:
        raise RecordFormatError(
            "body", [Problem("$", "holds no entry", 'entries like {"id": "e1", "event": {...}}')]
        )
    receipts = _stamped(
        lambda at: worker.store.record(
            incident_id, entries, recorded_at=at, recorded_by=who, sources=places
        ),
        now,
    )
    written = any(not r.duplicate for r in receipts)
    return (201 if written else 200), [r.to_dict() for r in receipts]


def _stamped(write: Callable[[datetime], Any], now: Clock) -> Any:
    for attempt in range(_RETRIES):
        try:
            return write(now())
        except OutOfOrderError as exc:
            # Another writer may have committed a later "now" between our
            # clock read and our commit: read the clock again.
            if exc.field != "recorded_at" or attempt == _RETRIES - 1:
                raise
    raise AssertionError  # pragma: no cover - the loop returns or raises


def show(worker: Worker, incident_id: str, query: QueryParams, now: Clock) -> Answer:
    """
    ``GET /v1/incidents/{id}?at=&known_at=``: the incident replayed and
    assessed, as ``track show --json`` prints it.
    """
    known_at = query.instant("known_at")
    at = query.instant("at")
    query.done()
    assessment = worker.store.assess(incident_id, at or now(), known_at=known_at)
    return 200, assessment.to_dict()


def timeline(worker: Worker, incident_id: str, query: QueryParams) -> Answer:
    """
    ``GET /v1/incidents/{id}/timeline``: the incident's log, as ``track
    timeline --json`` prints it.
    """
    query.done()
    return 200, [e.to_dict() for e in worker.store.timeline(incident_id)]


def audit(worker: Worker, query: QueryParams) -> Answer:
    """
    ``GET /v1/audit?incident=&since=&until=``: who recorded what, and when,
    as ``track audit --json`` prints it.
    """
    incident = query.text("incident")
    since, until = query.instant("since"), query.instant("until")
    query.done()
    entries = worker.store.audit(incident, since=since, until=until)
    return 200, [e.to_dict() for e in entries]


def agenda(worker: Worker, query: QueryParams, now: Clock) -> Answer:
    """
    ``GET /v1/agenda?at=&horizon=``: what is owed across incidents, as
    ``track agenda --json`` prints it.
    """
    at, horizon, items = agenda_items(worker.store, query, now)
    return 200, {
        "at": at.isoformat(),
        "horizon_minutes": int(horizon.total_seconds() // 60),
        "items": [i.to_dict() for i in items],
    }


@attrs.frozen
class Raw:
    """
    An answer that is not JSON: its media type and its bytes.
    """

    media_type: str
    body: bytes


def agenda_ics(worker: Worker, query: QueryParams, now: Clock) -> Answer:
    """
    ``GET /v1/agenda.ics``: the agenda's items with a due time as an
    iCalendar feed (``track agenda --ics``), with the same parameters as
    ``GET /v1/agenda``.

    Raises:
        HTTPProblem: 501 when the ``icalendar`` package is not installed.
    """
    at, _horizon, items = agenda_items(worker.store, query, now)
    try:
        feed = ics_feed(items, at)
    except ModuleNotFoundError:
        raise HTTPProblem(
            501,
            "the calendar feed needs the icalendar package; expected it installed with "
            "pip install 'opinion-rules[service]'",
        ) from None
    return 200, Raw("text/calendar; charset=utf-8", feed)


def agenda_items(
    store: CaseStore, query: QueryParams, now: Clock
) -> tuple[datetime, timedelta, Sequence[AgendaItem]]:
    """
    The agenda a request asks for: its instant (``at``, default now), its
    horizon (``horizon``, default 24h, widened to ``due_within``) and the
    items the filters keep, the most urgent first (:class:`AgendaQuery`,
    as ``track agenda``).  The one place where the agenda's query
    parameters are read: ``status``, ``owner``, ``grade`` and ``plan``
    take comma lists; ``due_within`` a duration; ``no_time`` ``true`` or
    ``false`` (keep the pending items with no due time; default true).

    Raises:
        FactError: a parameter is wrong or unknown.
    """
    horizon = query.duration("horizon", DEFAULT_HORIZON)
    within = query.text("due_within")
    due_within = None if within is None else parse_duration("due_within", within)
    try:
        wanted = AgendaQuery(
            statuses=_listed(query.text("status")),
            owners=_listed(query.text("owner")),
            grades=_listed(query.text("grade")),
            plans=_listed(query.text("plan")),
            due_within=due_within,
            include_no_time=_flag("no_time", query.text("no_time"), default=True),
        )
    except FactError as exc:  # name the query parameter, not the attribute
        raise FactError(
            "query",
            [
                Problem(_PARAMETERS.get(p.path, p.path), p.message, p.expected, p.got)
                for p in exc.problems
            ],
        ) from None
    at = query.instant("at")
    query.done()
    at = at or now()
    wide = horizon if due_within is None else max(horizon, due_within)
    return at, wide, wanted.apply(store.agenda(at, wide), at)


#: The agenda query's attributes by the query parameter that sets them.
_PARAMETERS = {
    "statuses": "status",
    "owners": "owner",
    "grades": "grade",
    "plans": "plan",
    "due_within": "due_within",
    "include_no_time": "no_time",
}


def _listed(text: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (text or "").split(",") if v.strip())


def _flag(name: str, text: str | None, *, default: bool) -> bool:
    if text is None:
        return default
    if text in ("true", "false"):
        return text == "true"
    raise FactError("query", [Problem(name, "is not a boolean", "true or false", repr(text))])


def plans_held(plans: HeldPlans) -> Mapping[str, Any]:
    """
    ``GET /v1/plans``: the plans the service holds, by key.
    """
    return {"plans": [p.to_dict() for _, p in sorted(plans.by_key.items())]}
