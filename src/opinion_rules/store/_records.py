"""
What the case store hands back: receipts for written entries and year
schedules, log entries, and recorded year schedules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

import attrs

from opinion_rules.planfile._schedules import schedule_to_data
from opinion_rules.time._calendars import YearSchedule


__all__ = [
    "ENTRY_KINDS",
    "Delivery",
    "EntryKind",
    "LogEntry",
    "Receipt",
    "ScheduleReceipt",
    "StoredSchedule",
]

EntryKind = Literal["open", "observation", "event"]
#: The kinds of log entries: the opening, then observations and events.
ENTRY_KINDS: tuple[EntryKind, ...] = ("open", "observation", "event")


@attrs.frozen
class Receipt:
    """
    What the store acknowledges for one written entry.

    Attributes:
        incident_id: The incident.
        entry_id: The client's entry id.
        seq: The entry's position in the store's log (increasing, unique
            across incidents).
        kind: ``open``, ``observation`` or ``event``.
        recorded_at: When the entry was recorded (the stored value: for a
            duplicate, the first recording's).
        recorded_by: Who recorded it (likewise the first recording's).
        duplicate: ``True`` when the same entry was already stored and
            nothing was written (an idempotent retry).

    .. versionadded:: 0.4.0
    """

    incident_id: str
    entry_id: str
    seq: int
    kind: EntryKind
    recorded_at: datetime
    recorded_by: str
    duplicate: bool = False

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data.

        .. versionadded:: 0.4.0
        """
        return {
            "incident": self.incident_id,
            "entry": self.entry_id,
            "seq": self.seq,
            "kind": self.kind,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "duplicate": self.duplicate,
        }


def _frozen_item(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class LogEntry:
    """
    One entry of an incident's append-only log.

    Attributes:
        seq: Position in the store's log.
        incident_id: The incident.
        entry_id: The client's entry id.
        kind: ``open``, ``observation`` or ``event``.
        recorded_at: When it was recorded, with the offset it was given in.
        recorded_by: Who recorded it.
        item: For ``observation`` and ``event``: the item exactly as sent,
            in the incident interchange format.  For ``open``: ``plan`` (the
            plan key), ``discovered_at``, ``posted_at`` (if given) and
            ``facts``.

    .. versionadded:: 0.4.0
    """

    seq: int
    incident_id: str
    entry_id: str
    kind: EntryKind
    recorded_at: datetime
    recorded_by: str
    item: Mapping[str, Any] = attrs.field(converter=_frozen_item)

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data.

        .. versionadded:: 0.4.0
        """
        return {
            "seq": self.seq,
            "incident": self.incident_id,
            "entry": self.entry_id,
            "kind": self.kind,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "item": dict(self.item),
        }


@attrs.frozen
class ScheduleReceipt:
    """
    What the store acknowledges for one year schedule.

    Attributes:
        calendar: ``china`` (the calendar the notice schedules).
        year: The year.
        seq: The recording's position in the store's list of schedules
            (increasing, unique).
        source: The notice, as the schedule names it.
        recorded_at: When it was recorded (for a duplicate, the stored
            recording's).
        recorded_by: Who recorded it (likewise).
        duplicate: ``True`` when the year is already stored with the same
            content and nothing was written.
        replaces: The ``seq`` of the schedule for the same year that this
            one corrects, or ``None``.
        reevaluated: The incidents whose agenda rows were re-evaluated in
            the same transaction (those with ``undecided`` rows).
        stale: How many more incidents were marked for re-evaluation by the
            next :meth:`CaseStore.agenda`: those that still owe something
            (every one when the year already had data: a correction, a year
            the ``chinesecalendar`` package covers, or the first schedule of
            a store written by an older version).

    .. versionadded:: 0.5.0
    """

    calendar: str
    year: int
    seq: int
    source: str
    recorded_at: datetime
    recorded_by: str
    duplicate: bool = False
    replaces: int | None = None
    reevaluated: tuple[str, ...] = ()
    stale: int = 0

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data.

        .. versionadded:: 0.5.0
        """
        return {
            "calendar": self.calendar,
            "year": self.year,
            "seq": self.seq,
            "source": self.source,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "duplicate": self.duplicate,
            "replaces": self.replaces,
            "reevaluated": list(self.reevaluated),
            "stale": self.stale,
        }


def _count(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"'{attribute.name}' must be a whole number >= 0 (got {value!r})")


@attrs.frozen
class Delivery:
    """
    What one delivery of the listeners' outbox did: after a write (see
    :attr:`CaseStore.last_delivery`) or by :meth:`CaseStore.deliver_pending`.

    Attributes:
        delivered: How many notifications every listener took.
        pending: How many are still to deliver afterwards.
        stopped_at: The id of the notification delivery stopped at (a
            listener raised or ran out of time), or ``None``.
        reason: Why it stopped, e.g. ``plug-in 'duty-desk', hook
            opinion_rules_action_changed, notification 7: raised
            ConnectionError: ...``; ``None`` when it did not.

    .. versionadded:: 0.6.0
    """

    delivered: int = attrs.field(validator=_count)
    pending: int = attrs.field(validator=_count)
    stopped_at: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(str))
    )
    reason: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(str))
    )

    @property
    def ok(self) -> bool:
        """
        Whether nothing stopped the delivery.
        """
        return self.reason is None

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data.

        .. versionadded:: 0.6.0
        """
        return {
            "delivered": self.delivered,
            "pending": self.pending,
            "stopped_at": self.stopped_at,
            "reason": self.reason,
        }


@attrs.frozen
class StoredSchedule:
    """
    One recorded version of a year schedule, for the audit.

    Attributes:
        seq: Its position in the store's list of schedules.
        calendar: ``china``.
        schedule: The schedule.
        recorded_at, recorded_by: When and by whom it was recorded.
        in_force: Whether it is the latest recording for its year, the one
            every evaluation uses.

    .. versionadded:: 0.5.0
    """

    seq: int
    calendar: str
    schedule: YearSchedule
    recorded_at: datetime
    recorded_by: str
    in_force: bool

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data: the schedule in the year-file format.

        .. versionadded:: 0.5.0
        """
        return {
            "seq": self.seq,
            "calendar": self.calendar,
            "year": self.schedule.year,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "in_force": self.in_force,
            "schedule": schedule_to_data(self.schedule),
        }
