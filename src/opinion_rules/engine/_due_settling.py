"""
Due times that people move within the plan's bounds: extension requests
(a fixed period or the date asked for, up to a cap counted like the
deadline, perhaps only under a condition and a number of times) and
promised due times (承诺时限) that bind when earlier than the plan's own.

Requests and promises are taken in the order they were recorded; each is
judged against the due time in force when it was made, so a request made
after the deadline passed rescues nothing.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date, datetime

import attrs

from opinion_rules.model._deadlines import Deadline, cap_offset
from opinion_rules.model._extensions import Extension
from opinion_rules.model._facts import Event
from opinion_rules.time._arithmetic import TimeRules, add_offset, add_offset_after_due


__all__ = ["Settled", "settle_due"]

#: A condition's value from each change point at which it changed.
History = Sequence[tuple[datetime, bool | None]]


@attrs.frozen
class Settled:
    """
    The due time in force and how it came about.

    Attributes:
        due: The due time in force.
        extended_from: The plan's due time before extensions, when one
            moved it.
        limit: The plan's due time (after extensions) when a promise set an
            earlier one.
        promised: Whether a promise set *due*.
        unknown_requests: Requests not granted while their condition was
            unknown when they could have been, and is unknown still.
    """

    due: datetime | None
    extended_from: datetime | None = None
    limit: datetime | None = None
    promised: bool = False
    unknown_requests: int = 0


def settle_due(
    deadline: Deadline,
    action_id: str,
    start: datetime,
    due: datetime | None,
    rules: TimeRules,
    events: Sequence[Event],
    allowed: History = (),
) -> Settled:
    """
    Apply the requests and promises recorded for *action_id* (in *events*,
    those known at the evaluation instant) to the plan's due time *due* of
    a clock started at *start*; *allowed* is the history of the extension's
    condition.

    Raises:
        CalendarRangeError: when the cap or a period needs a year the
            working calendar does not cover.
    """
    settled = Settled(due)
    extension = deadline.extension
    if extension is not None and due is not None:
        settled = _extend(deadline, extension, action_id, start, due, rules, events, allowed)
    if deadline.promise is not None:
        settled = _promise(deadline.promise, action_id, start, settled, rules, events)
    return settled


def _extend(
    deadline: Deadline,
    extension: Extension,
    action_id: str,
    start: datetime,
    base: datetime,
    rules: TimeRules,
    events: Sequence[Event],
    allowed: History,
) -> Settled:
    offset = cap_offset(deadline)
    cap = None
    if offset is not None:
        if extension.cap_from == "due":
            cap = add_offset_after_due(offset, base, rules)
        else:
            cap = add_offset(offset, start, rules)
    due, granted, unknown = base, 0, 0
    for event in events:
        if event.type != extension.event or event.action != action_id:
            continue
        if event.at < start or event.at > due:
            continue  # before the clock started, or too late to rescue the deadline
        if extension.times is not None and granted >= extension.times:
            break
        if extension.when is not None:
            verdict = _holds_between(allowed, event.at, due)
            if verdict is not True:
                # Unknown then and still unknown now: what is missing would decide it.
                unknown += verdict is None and bool(allowed) and allowed[-1][1] is None
                continue
        by = None if extension.by is None else add_offset_after_due(extension.by, due, rules)
        options = [x for x in (_asked(event.due, rules), by) if x is not None]
        if not options:
            continue  # the incident check refuses a request naming no date without 'by'
        extended = min(options)
        if cap is not None:
            extended = min(extended, max(cap, due))
        if extended > due:
            # An extension never shortens; one that moves nothing is not counted.
            due, granted = extended, granted + 1
    return Settled(due, base if due != base else None, unknown_requests=unknown)


def _holds_between(history: History, first: datetime, last: datetime) -> bool | None:
    """
    ``True`` if the condition held at some instant in [*first*, *last*]
    (from the history of its values); else ``None`` if it was unknown at
    some instant there, else ``False``.
    """
    i = max(bisect.bisect_right(history, first, key=lambda h: h[0]) - 1, 0)
    seen_unknown = False
    for t, value in history[i:]:
        if t > last:
            break
        if value is True:
            return True
        seen_unknown = seen_unknown or value is None
    return None if seen_unknown or not history else False


def _promise(
    event_type: str,
    action_id: str,
    start: datetime,
    settled: Settled,
    rules: TimeRules,
    events: Sequence[Event],
) -> Settled:
    limit = settled.due
    promised: datetime | None = None
    for event in events:
        if event.type != event_type or event.action != action_id or event.at < start:
            continue
        in_force = promised if promised is not None else limit
        if in_force is not None and event.at > in_force:
            continue  # a promise made once the due time passed rescues nothing
        asked = _asked(event.due, rules)
        if asked is None:
            continue  # the incident check refuses a promise without 'due'
        promised = asked if limit is None else min(asked, limit)
    if promised is None or promised == limit:
        return settled
    return attrs.evolve(settled, due=promised, limit=limit, promised=True)


def _asked(value: date | datetime | None, rules: TimeRules) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return rules.end_of(value)
