"""
Deadlines as data: an anchor event, a kind, and for ``offset`` deadlines an
offset; extensions and recurrences.

The arithmetic lives in :mod:`opinion_rules.time._arithmetic`;
:func:`due_time` picks the rule for a deadline's kind.  It takes the start
instant and the plan's time rules and never reads a clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, Literal

import attrs

from opinion_rules._validators import is_identifier, optional_identifier
from opinion_rules.model._anchors import (
    BUILTIN_EVENTS,
    REF_ANCHORS,
    Anchor,
    anchor_all,
    anchor_any,
    parse_anchor,
)
from opinion_rules.model._extensions import Extension
from opinion_rules.model._recurrences import Counts, Recurrence
from opinion_rules.time._arithmetic import (
    TimeRules,
    add_offset,
    add_offset_after_due,
    day_end_after,
    elapsed_after,
)
from opinion_rules.time._offsets import Clock, Offset


__all__ = [
    "Anchor",
    "Deadline",
    "DeadlineKind",
    "Extension",
    "Readings",
    "Recurrence",
    "after",
    "anchor_all",
    "anchor_any",
    "cap_offset",
    "custom_events",
    "due_time",
    "end_of_day",
    "immediately",
    "no_deadline",
    "parse_anchor",
    "promptly",
    "recurring",
    "until",
    "until_readings",
]

DeadlineKind = Literal[
    "offset", "immediately", "promptly", "end_of_day", "none", "until", "recurring"
]
_KINDS = ("offset", "immediately", "promptly", "end_of_day", "none", "until", "recurring")


def _to_anchor(value: Anchor | str) -> Anchor:
    if isinstance(value, str):
        return parse_anchor(value)
    return value


def _optional_offset(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Offset):
        raise TypeError(f"'{attribute.name}' must be an Offset or None (got {value!r})")


@attrs.frozen
class Readings:
    """
    "连续5次监测增速低于阈值": *consecutive* readings in a row of the
    measure's metric, from the duty's start, at each of which *measure* is
    known and strictly below *below* (an unknown value breaks the run).

    .. versionadded:: 0.6.0
    """

    measure: str = attrs.field(validator=is_identifier)
    below: int | float = attrs.field()
    consecutive: int = attrs.field(default=1)

    @below.validator
    def _check_below(self, _attribute: attrs.Attribute[Any], value: object) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"'below' must be a finite number (got {value!r})")

    def __attrs_post_init__(self) -> None:
        count = self.consecutive
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"'consecutive' must be a whole number >= 1 (got {count!r})")

    def describe(self, measure_words: Callable[[str], str] = str) -> str:
        """
        The run in Chinese, e.g. ``连续5次监测增速低于10``; *measure_words*
        names the measure.
        """
        return f"连续{self.consecutive}次监测{measure_words(self.measure)}低于{self.below}"


@attrs.frozen
class Deadline:
    """
    When an action falls due, relative to its anchor.

    Kinds:

    ``offset``
        anchor + *offset* (``发现后三小时内``, ``5个工作日内``); done at the
        instant itself is on time.
    ``immediately``
        ``立即``, ``第一时间``, ``当即``: due at the anchor, plus the
        organisation's ``Plan.immediate_tolerance`` (default zero).
    ``promptly``
        ``及时``: the plan gives no number; due at anchor +
        ``Plan.prompt_tolerance`` if the organisation set one, else no due
        time.  Results say which.
    ``end_of_day``
        ``当日内``: the end of the anchor's local day (``Plan.day_end``,
        24:00 unless the plan sets close of business); an anchor at or after
        the day end falls to the next calendar day's end.
    ``none``
        the plan states no time at all.
    ``until``
        a continuing duty from the anchor until the event *until* is recorded
        (``直至舆情平息为止``), or until *until_readings* holds
        (``连续5次监测增速低于阈值即停止跟踪``); it is done then.
    ``recurring``
        a duty repeated per *recurrence* (``每日至少续报1次``).

    *extension* lets an ``offset`` or ``end_of_day`` deadline be extended
    (``可延期，最长不超过15个工作日``).  *promise* names the event by which
    the one who must act promises a due time (承诺时限, the event's
    ``due``): the latest promise made before the due time in force binds
    when it is earlier than the plan's own due time (after extensions), and
    sets the due time of a ``promptly`` or ``none`` deadline that has none.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.3.0 ``recurring``; *extension*.
    .. versionchanged:: 0.6.0 *until_readings*, *promise*.
    """

    anchor: Anchor = attrs.field(converter=_to_anchor)
    kind: DeadlineKind = "none"
    offset: Offset | None = attrs.field(default=None, validator=_optional_offset)
    until: str | None = None
    recurrence: Recurrence | None = None
    extension: Extension | None = None
    until_readings: Readings | None = None
    promise: str | None = attrs.field(default=None, validator=optional_identifier)

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
            if (self.until is None) == (self.until_readings is None):
                raise ValueError(
                    "deadline kind 'until' needs 'until' (the event that ends the duty) "
                    "or 'until_readings' (the run of readings that ends it), not both"
                )
            if self.until is not None:
                is_identifier(self, attrs.fields(Deadline).until, self.until)
            elif not isinstance(self.until_readings, Readings):
                raise TypeError(f"'until_readings' must be Readings (got {self.until_readings!r})")
        elif self.until_readings is not None:
            raise ValueError(f"'until_readings' goes with kind 'until' (got kind {self.kind!r})")
        elif self.until is not None:
            raise ValueError(f"'until' is only allowed with kind 'until' (got kind {self.kind!r})")
        if self.kind == "recurring":
            if not isinstance(self.recurrence, Recurrence):
                raise ValueError("deadline kind 'recurring' needs a 'recurrence'")
        elif self.recurrence is not None:
            raise ValueError(
                f"'recurrence' is only allowed with kind 'recurring' (got kind {self.kind!r})"
            )
        if self.anchor.event == "changed" and (
            self.kind in ("until", "recurring") or self.extension is not None
        ):
            raise ValueError(
                "a deadline on 'changed:<fact>' is owed once per change: kind offset, "
                f"immediately, promptly, end_of_day or none, without extension (got {self.kind!r})"
            )
        if self.extension is not None:
            if self.kind not in ("offset", "end_of_day"):
                raise ValueError(
                    f"'extension' applies to 'offset' and 'end_of_day' deadlines "
                    f"(got kind {self.kind!r})"
                )
            if not isinstance(self.extension, Extension):
                raise TypeError(f"'extension' must be an Extension (got {self.extension!r})")
        if self.promise is not None:
            if self.kind not in ("offset", "end_of_day", "promptly", "none"):
                raise ValueError(
                    "'promise' applies to 'offset', 'end_of_day', 'promptly' and 'none' "
                    f"deadlines (got kind {self.kind!r})"
                )
            if self.anchor.event == "changed":
                raise ValueError("a deadline on 'changed:<fact>' takes no 'promise'")
            if self.extension is not None and self.promise == self.extension.event:
                raise ValueError(
                    "'promise' and 'extension.event' must be different events "
                    f"(both {self.promise!r})"
                )

    def offsets(self) -> list[tuple[str, Offset]]:
        """
        Every offset this deadline computes with, by field (for calendar
        checks): ``offset``, ``anchor``, ``extension.by``, ``extension.cap``.
        """
        out = [(name, o) for name, o in (("offset", self.offset), ("anchor", self.anchor.late_by))]
        if self.extension is not None:
            out += [("extension.by", self.extension.by), ("extension.cap", self.extension.cap)]
        return [(name, o) for name, o in out if o is not None]

    def describe(
        self,
        anchor_words: str | None = None,
        event_words: Callable[[str], str] = str,
        measure_words: Callable[[str], str] = str,
    ) -> str:
        """
        Render the deadline in Chinese, e.g. ``discovered后3小时内``.

        *anchor_words* replaces the anchor's id, *event_words* names ending
        events and *measure_words* measures, for documents that use the
        plan's own words.
        """
        anchor = str(self.anchor) if anchor_words is None else anchor_words
        match self.kind:
            case "offset":
                assert self.offset is not None  # noqa: S101 - checked at construction
                words = f"{anchor}后{self.offset.describe()}内"
            case "immediately":
                words = f"{anchor}后立即"
            case "promptly":
                words = f"{anchor}后及时"
            case "end_of_day":
                words = f"{anchor}当日内"
            case "until":
                end = self.until_readings
                words = f"自{anchor}起直至" + (
                    event_words(str(self.until)) if end is None else end.describe(measure_words)
                )
            case "recurring":
                assert self.recurrence is not None  # noqa: S101 - checked at construction
                words = f"自{anchor}起{self.recurrence.describe(event_words)}"
            case _:
                words = f"{anchor}后(未规定时限)"
        if self.extension is not None:
            words += f"({self.extension.describe(cap=cap_offset(self))})"
        if self.promise is not None:
            words += (
                "(承诺时限更早的，以承诺时限为准)"
                if self.kind in ("offset", "end_of_day")
                else "(以承诺时限为准)"
            )
        return words


def after(
    anchor: Anchor | str,
    *,
    days: int = 0,
    hours: int = 0,
    minutes: int = 0,
    working_days: int = 0,
    clock: Clock = "calendar",
    start_next_day: bool = False,
    extend_past_holiday: bool = False,
    extension: Extension | None = None,
    promise: str | None = None,
) -> Deadline:
    """
    Due a period after *anchor*: ``after("discovered", hours=3)``,
    ``after("case_claimed", working_days=5)``.  See :class:`Offset`.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.3.0 working days, clocks, day counting, extensions.
    .. versionchanged:: 0.6.0 *promise*.
    """
    offset = Offset(
        days=days,
        hours=hours,
        minutes=minutes,
        working_days=working_days,
        clock=clock,
        start_next_day=start_next_day,
        extend_past_holiday=extend_past_holiday,
    )
    return Deadline(anchor, "offset", offset, extension=extension, promise=promise)


def immediately(anchor: Anchor | str) -> Deadline:
    """
    Due at the anchor (立即); the plan's tolerance applies.

    .. versionadded:: 0.1.0
    """
    return Deadline(anchor, "immediately")


def promptly(anchor: Anchor | str, *, promise: str | None = None) -> Deadline:
    """
    Due "promptly" (及时): no number in the plan; *promise*: the event by
    which a due time is promised (承诺时限).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.6.0 *promise*.
    """
    return Deadline(anchor, "promptly", promise=promise)


def end_of_day(
    anchor: Anchor | str, *, extension: Extension | None = None, promise: str | None = None
) -> Deadline:
    """
    Due at the end of the anchor's local day (当日内, 办结之日内).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.6.0 *promise*.
    """
    return Deadline(anchor, "end_of_day", extension=extension, promise=promise)


def no_deadline(anchor: Anchor | str, *, promise: str | None = None) -> Deadline:
    """
    Applies from the anchor with no time stated; *promise*: the event by
    which a due time is promised (承诺时限).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.6.0 *promise*.
    """
    return Deadline(anchor, "none", promise=promise)


def until(anchor: Anchor | str, event: str) -> Deadline:
    """
    A continuing duty from the anchor until *event* (直至…为止).

    .. versionadded:: 0.1.0
    """
    return Deadline(anchor, "until", until=event)


def until_readings(
    anchor: Anchor | str, measure: str, *, below: float, consecutive: int = 1
) -> Deadline:
    """
    A continuing duty from the anchor until *measure* is below *below* at
    *consecutive* readings in a row ("连续5次监测增速低于阈值即停止跟踪").

    .. versionadded:: 0.6.0
    """
    return Deadline(anchor, "until", until_readings=Readings(measure, below, consecutive))


def recurring(
    anchor: Anchor | str,
    *,
    every: timedelta | None = None,
    per_day: Counts | dict[str, int] | None = None,
    until: str | None = None,
    rule: str | None = None,
    dates: tuple[date | datetime, ...] | list[date | datetime] | None = None,
    times: Counts | dict[str, int] = 1,
    at_day_end: bool = False,
    start_next_day: bool = False,
) -> Deadline:
    """
    A repeated duty: ``recurring("grade_reached:major", per_day=1,
    until="subsided")`` for "每日至少续报1次，直至平息",
    ``recurring("discovered", rule="FREQ=DAILY;BYHOUR=9")`` for "每日9时前报送",
    ``recurring("discovered", per_day={"major": 2, "general": 1},
    start_next_day=True)`` for "次日起每日至少续报N次" by grade.  See
    :class:`Recurrence`.

    .. versionadded:: 0.3.0
    .. versionchanged:: 0.6.0 *rule*, *dates*, *times*, counts by grade,
       *at_day_end*, *start_next_day*.
    """
    recurrence = Recurrence(
        every,
        per_day,
        until,
        rule=rule,
        dates=dates,
        times=times,
        at_day_end=at_day_end,
        start_next_day=start_next_day,
    )
    return Deadline(anchor, "recurring", recurrence=recurrence)


def custom_events(deadline: Deadline) -> Iterator[tuple[str, str]]:
    """
    The incident event types *deadline* names, with the field naming each.
    """
    anchor = deadline.anchor
    if anchor.event not in BUILTIN_EVENTS and anchor.event not in REF_ANCHORS:
        yield anchor.event, "anchor"
    if deadline.until is not None:
        yield deadline.until, "until"
    if deadline.recurrence is not None and deadline.recurrence.until is not None:
        yield deadline.recurrence.until, "recurrence.until"
    if deadline.extension is not None:
        yield deadline.extension.event, "extension.event"
    if deadline.promise is not None:
        yield deadline.promise, "promise"


def cap_offset(deadline: Deadline) -> Offset | None:
    """
    The extension's cap, counted like the deadline itself: a cap in whole
    days of a deadline counted from the next day or to a day's end
    (次日起, 当日内) ends at a day end too, past holidays when the deadline
    goes past them.
    """
    extension = deadline.extension
    if extension is None or extension.cap is None:
        return None
    cap = extension.cap
    if not cap.days or cap.hours or cap.minutes or cap.start_next_day:
        return cap
    if deadline.kind == "end_of_day":
        return attrs.evolve(cap, start_next_day=True)
    offset = deadline.offset
    if offset is None:
        return cap
    return attrs.evolve(
        cap,
        start_next_day=offset.start_next_day or offset.working_days > 0,
        extend_past_holiday=cap.extend_past_holiday or offset.extend_past_holiday,
    )


def due_time(
    deadline: Deadline, start: datetime, rules: TimeRules, *, start_is_due: bool = False
) -> datetime | None:
    """
    Compute the due instant of *deadline* whose clock starts at *start*;
    *start_is_due* when *start* is another action's due instant (an
    ``overdue`` anchor), see :func:`~opinion_rules.time._arithmetic.add_offset_after_due`.

    Returns ``None`` for deadlines without a due instant (``promptly``
    without a tolerance, ``none``, ``until``, ``recurring``).
    """
    match deadline.kind:
        case "offset":
            assert deadline.offset is not None  # noqa: S101 - checked at construction
            if start_is_due:
                return add_offset_after_due(deadline.offset, start, rules)
            return add_offset(deadline.offset, start, rules)
        case "immediately":
            return elapsed_after(start, rules.immediate_tolerance)
        case "promptly":
            if rules.prompt_tolerance is None:
                return None
            return elapsed_after(start, rules.prompt_tolerance)
        case "end_of_day":
            return day_end_after(start, rules)
        case _:
            return None
