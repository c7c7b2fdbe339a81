"""
The agenda as an iCalendar feed (RFC 5545), for the officers' calendar
apps: ``track agenda --ics`` and the service's ``GET /v1/agenda.ics``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from opinion_rules.store._agenda import AgendaItem


__all__ = ["ics_feed"]


def ics_feed(items: Sequence[AgendaItem], at: datetime) -> bytes:
    """
    The items with a due time as an iCalendar feed: one event per
    (incident, action), its UID stable so that calendar apps update it
    rather than add another, starting (and ending) at the due time, in UTC.

    Raises:
        ModuleNotFoundError: the ``icalendar`` package is not installed.
    """
    import icalendar  # noqa: PLC0415 - an optional dependency, imported when used

    feed = icalendar.Calendar()
    feed.add("prodid", "-//opinion-rules//track agenda//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", "opinion-rules agenda")
    for i in items:
        if i.due is None:
            continue
        event = icalendar.Event()
        event.add("uid", f"{i.incident_id}/{i.action_id}@opinion-rules")
        event.add("dtstamp", at.astimezone(UTC))
        event.add("dtstart", i.due.astimezone(UTC))
        event.add("summary", f"[{i.status}] {i.incident_id} {i.action_id}: {i.title}")
        owners = ", ".join(f"{o.id} ({o.name})" for o in i.owners)
        event.add(
            "description",
            f"plan {i.plan_key}; grade {i.grade_name or '-'}; owners {owners or '-'}; "
            f"clause {i.clause_ref or '-'}; {i.reason}",
        )
        event.add("categories", [i.status])
        feed.add_component(event)
    data: bytes = feed.to_ical()
    return data
