"""
Deadlines: an anchor event, a kind, and for ``offset`` deadlines an offset.

Arithmetic lives in :func:`due_time`; it takes the start instant and the
plan's timezone and never reads a clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import attrs
from dateutil.relativedelta import relativedelta

from ._validators import is_identifier


__all__ = [
    "Anchor",
    "Deadline",
    "DeadlineKind",
    "Offset",
    "after",
    "end_of_day",
    "immediately",
    "no_deadline",
    "promptly",
    "until",
]

DeadlineKind = Literal["offset", "immediately", "promptly", "end_of_day", "none", "until"]
_KINDS = ("offset", "immediately", "promptly", "end_of_day", "none", "until")

#: Anchor events the engine knows without the incident naming them.
BUILTIN_ANCHORS = ("discovered", "posted", "action_done")


@attrs.frozen
class Anchor:
    """
    The event a deadline runs from.

    Args:
        event: ``discovered`` (the incident's ``discovered_at``), ``posted``
            (``posted_at``), ``action_done`` (needs *action*), or any event
            type the incident records, e.g. ``subsided`` or ``case_closed``.
        action: For ``action_done``: the action whose completion is the
            anchor.

    Whatever the anchor, an action's clock never starts before the moment its
    condition of application first held: an incident upgraded at 10:00
    starts the new grade's obligations at 10:00.

    .. versionadded:: 0.1.0
    """

    event: str = attrs.field(validator=is_identifier)
    action: str | None = attrs.field(default=None)

    @action.validator
    def _check_action(self, _attribute: attrs.Attribute[str | None], value: str | None) -> None:
        if self.event == "action_done":
            if value is None:
                raise ValueError(
                    "anchor 'action_done' needs 'action' (the action whose "
                    "completion starts the clock)"
                )
            is_identifier(self, _attribute, value)
        elif value is not None:
            raise ValueError(
                f"'action' is only allowed with event 'action_done' (got event {self.event!r})"
            )

    def __str__(self) -> str:
        if self.action is not None:
            return f"action_done:{self.action}"
        return self.event


def _to_anchor(value: Anchor | str) -> Anchor:
    if isinstance(value, Anchor):
        return value
    if isinstance(value, str) and value.startswith("action_done:"):
        return Anchor("action_done", value.partition(":")[2])
    return Anchor(value)


def _non_negative_int(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"'{attribute.name}' must be a non-negative integer (got {value!r})")


@attrs.frozen
class Offset:
    """
    How long after the anchor a deadline falls.

    *minutes* and *hours* are elapsed time; *days* are calendar days counted
    on the plan's local wall clock (``5日内``), so a deadline 1 day after
    09:00 is 09:00 the next local day.

    .. versionadded:: 0.1.0
    """

    days: int = attrs.field(default=0, validator=_non_negative_int)
    hours: int = attrs.field(default=0, validator=_non_negative_int)
    minutes: int = attrs.field(default=0, validator=_non_negative_int)

    def is_zero(self) -> bool:
        """
        Tell whether the offset is empty.
        """
        return not (self.days or self.hours or self.minutes)

    def describe(self) -> str:
        """
        Render the offset in Chinese, e.g. ``3小时``.
        """
        parts = []
        if self.days:
            parts.append(f"{self.days}日")
        if self.hours:
            parts.append(f"{self.hours}小时")
        if self.minutes:
            parts.append(f"{self.minutes}分钟")
        return "".join(parts) or "0分钟"


@attrs.frozen
class Deadline:
    """
    When an action falls due, relative to its anchor.

    Kinds:

    ``offset``
        anchor + *offset* (``发现后三小时内``); done at the instant itself is
        on time.
    ``immediately``
        ``立即``, ``第一时间``, ``当即``: due at the anchor, plus the
        organisation's ``Plan.immediate_tolerance`` (default zero).
    ``promptly``
        ``及时``: the plan gives no number; due at anchor +
        ``Plan.prompt_tolerance`` if the organisation set one, else no due
        time.  Results say which.
    ``end_of_day``
        ``当日内``: 24:00 local time on the anchor's day.
    ``none``
        the plan states no time at all.
    ``until``
        a continuing duty from the anchor until the event *until* is recorded
        (``直至舆情平息为止``); it is done when that event happens.

    .. versionadded:: 0.1.0
    """

    anchor: Anchor = attrs.field(converter=_to_anchor)
    kind: DeadlineKind = "none"
    offset: Offset | None = None
    until: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"'kind' must be one of {list(_KINDS)} (got {self.kind!r})")
        if self.kind == "offset":
            if self.offset is None or self.offset.is_zero():
                raise ValueError("deadline kind 'offset' needs a non-zero 'offset'")
        elif self.offset is not None:
            raise ValueError(
                f"'offset' is only allowed with kind 'offset' (got kind {self.kind!r})"
            )
        if self.kind == "until":
            if self.until is None:
                raise ValueError(
                    "deadline kind 'until' needs 'until' (the event that ends the duty)"
                )
            is_identifier(self, attrs.fields(Deadline).until, self.until)
        elif self.until is not None:
            raise ValueError(f"'until' is only allowed with kind 'until' (got kind {self.kind!r})")

    def describe(self) -> str:
        """
        Render the deadline in Chinese, e.g. ``discovered后3小时内``.
        """
        anchor = str(self.anchor)
        match self.kind:
            case "offset":
                assert self.offset is not None  # noqa: S101 - checked at construction
                return f"{anchor}后{self.offset.describe()}内"
            case "immediately":
                return f"{anchor}后立即"
            case "promptly":
                return f"{anchor}后及时"
            case "end_of_day":
                return f"{anchor}当日内"
            case "until":
                return f"自{anchor}起直至{self.until}"
            case _:
                return f"{anchor}后(未规定时限)"


def after(anchor: Anchor | str, *, days: int = 0, hours: int = 0, minutes: int = 0) -> Deadline:
    """
    Due *days*, *hours* and *minutes* after *anchor*: ``after("discovered", hours=3)``.

    .. versionadded:: 0.1.0
    """
    return Deadline(anchor, "offset", Offset(days=days, hours=hours, minutes=minutes))


def immediately(anchor: Anchor | str) -> Deadline:
    """
    Due at the anchor (立即); the plan's tolerance applies.

    .. versionadded:: 0.1.0
    """
    return Deadline(anchor, "immediately")


def promptly(anchor: Anchor | str) -> Deadline:
    """
    Due "promptly" (及时): no number in the plan.

    .. versionadded:: 0.1.0
    """
    return Deadline(anchor, "promptly")


def end_of_day(anchor: Anchor | str) -> Deadline:
    """
    Due at 24:00 local time on the anchor's day (当日内).

    .. versionadded:: 0.1.0
    """
    return Deadline(anchor, "end_of_day")


def no_deadline(anchor: Anchor | str) -> Deadline:
    """
    Applies from the anchor with no time stated.

    .. versionadded:: 0.1.0
    """
    return Deadline(anchor, "none")


def until(anchor: Anchor | str, event: str) -> Deadline:
    """
    A continuing duty from the anchor until *event* (直至…为止).

    .. versionadded:: 0.1.0
    """
    return Deadline(anchor, "until", until=event)


def due_time(
    deadline: Deadline,
    start: datetime,
    tz: ZoneInfo,
    *,
    immediate_tolerance: timedelta,
    prompt_tolerance: timedelta | None,
) -> datetime | None:
    """
    Compute the due instant of *deadline* whose clock starts at *start*.

    Returns ``None`` for deadlines without a due instant.
    """
    match deadline.kind:
        case "offset":
            assert deadline.offset is not None  # noqa: S101 - checked at construction
            offset = deadline.offset
            # Calendar days move the local wall-clock date; hours and minutes
            # are elapsed time.  Asia/Shanghai has no DST today, but plans
            # may name any IANA zone.
            local = start.astimezone(tz)
            if offset.days:
                local = (local.replace(tzinfo=None) + relativedelta(days=offset.days)).replace(
                    tzinfo=tz
                )
            elapsed = timedelta(hours=offset.hours, minutes=offset.minutes)
            # Aware + timedelta is wall-clock arithmetic in Python; go
            # through UTC so hours are elapsed hours.
            return (local.astimezone(UTC) + elapsed).astimezone(tz)
        case "immediately":
            return start + immediate_tolerance
        case "promptly":
            return None if prompt_tolerance is None else start + prompt_tolerance
        case "end_of_day":
            local_day = start.astimezone(tz).date() + timedelta(days=1)
            return datetime.combine(local_day, time(0), tzinfo=tz)
        case _:
            return None
