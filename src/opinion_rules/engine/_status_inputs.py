"""
What action statuses are computed from, and the signal a due time that
needs a missing calendar year raises while they are computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from opinion_rules.exceptions import CalendarRangeError
from opinion_rules.model._facts import Event, Incident


__all__ = ["NeedsCalendar", "StatusInputs", "calendar_gap"]


@attrs.frozen
class StatusInputs:
    """
    What statuses are computed from: what the timeline knew at the
    evaluation instant (events, completions, and since when each grade,
    category and action condition held).
    """

    at: datetime
    incident: Incident
    events: Sequence[Event]  # at or before `at`, sorted by time
    first_event: Mapping[str, datetime]
    done_times: Mapping[str, Sequence[datetime]]  # sorted completions per action
    grade_since: Mapping[str, datetime]  # first instant the grade (or higher) held
    category_since: Mapping[str, datetime]
    applies: Mapping[str, tuple[datetime, str]]  # action id -> (since, reason)
    # The grade's rank from each instant it changed, in order (counts by grade).
    grade_changes: Sequence[tuple[datetime, int]] = ()
    # Each fact's recorded changes (a value other than the one known before), sorted.
    fact_changes: Mapping[str, Sequence[datetime]] = attrs.field(factory=dict)
    # For actions anchored on a fact's change: the changes at which their condition held.
    held_at_changes: Mapping[str, Sequence[datetime]] = attrs.field(factory=dict)
    # ``applies: while`` actions withdrawn: the instant their condition turned false.
    withdrawn: Mapping[str, datetime] = attrs.field(factory=dict)
    # ``applies: while`` actions in a later spell: only completions in it count.
    respelled: frozenset[str] = frozenset()
    # For actions whose extension has a condition: its value from each change point it changed at.
    allowed: Mapping[str, Sequence[tuple[datetime, bool | None]]] = attrs.field(factory=dict)


class NeedsCalendar(Exception):  # noqa: N818 - a signal inside this module, not an error
    """
    An anchor depends on a due time the calendar cannot compute.
    """

    def __init__(self, error: CalendarRangeError, earliest: datetime | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        # The due time lies at or after this instant, when known.
        self.earliest = earliest


def calendar_gap(error: CalendarRangeError) -> str:
    """
    What an action whose due time needs a missing calendar year waits for.
    """
    return f"calendar {error.calendar!r} has no data for {error.day.year}; add the year's schedule"
