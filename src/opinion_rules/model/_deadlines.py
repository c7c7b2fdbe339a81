"""
Deadlines as data: an anchor event, a kind, and for ``offset`` deadlines an
offset; extensions and recurrences.

The arithmetic lives in :mod:`opinion_rules.time._arithmetic`;
:func:`due_time` picks the rule for a deadline's kind.  It takes the start
instant and the plan's time rules and never reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, Literal

import attrs

from opinion_rules._validators import is_identifier, positive_duration
from opinion_rules.time._arithmetic import (
    TimeRules,
    add_offset,
    add_offset_after_due,
    day_end_after,
    elapsed_after,
)
from opinion_rules.time._offsets import Clock, Offset, parse_offset


__all__ = [
    "Anchor",
    "Deadline",
    "DeadlineKind",
    "Extension",
    "Recurrence",
    "after",
    "custom_events",
    "due_time",
    "end_of_day",
    "immediately",
    "no_deadline",
    "promptly",
    "recurring",
    "until",
]

DeadlineKind = Literal[
    "offset", "immediately", "promptly", "end_of_day", "none", "until", "recurring"
]
_KINDS = ("offset", "immediately", "promptly", "end_of_day", "none", "until", "recurring")

#: Anchor events the engine knows without the incident naming them.
BUILTIN_ANCHORS = ("discovered", "posted")
#: Anchor events that name a plan item after a colon: ``action_done:reply``.
REF_ANCHORS = {
    "action_done": "action",
    "overdue": "action",
    "grade_reached": "grade",
    "category_assigned": "category",
}
#: Event types every plan knows: the incident's own instants and the
#: generic events incidents record.
BUILTIN_EVENTS = (*BUILTIN_ANCHORS, "fact", "grade_asserted")


@attrs.frozen
class Anchor:
    """
    The event a deadline runs from.

    Args:
        event: ``discovered`` (the incident's ``discovered_at``), ``posted``
            (``posted_at``), ``action_done`` (*ref* is an action: its first
            completion), ``overdue`` (*ref* is an action: the instant it
            became overdue, plus *late_by*), ``grade_reached`` (*ref* is a
            grade: when the incident first reached it or a higher one),
            ``category_assigned`` (*ref* is a category: when it first
            matched), or any event type the incident records, e.g.
            ``case_claimed`` or ``case_closed``.
        ref: The action, grade or category the event names.
        late_by: For ``overdue``: how late the other action must be, e.g.
            ``Offset(working_days=5)`` for "超过办理时限5个工作日".  The
            anchor happens only if the other action is still not done then.

    Whatever the anchor, an action's clock never starts before the moment its
    condition of application first held: an incident upgraded at 10:00
    starts the new grade's obligations at 10:00.

    Written as text: ``action_done:reply``, ``overdue:reply``,
    ``overdue:reply+5wd``, ``grade_reached:major``.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.3.0 ``overdue``, ``grade_reached`` and
       ``category_assigned``; *action* became *ref*.
    """

    event: str = attrs.field(validator=is_identifier)
    ref: str | None = attrs.field(default=None)
    late_by: Offset | None = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        kind = REF_ANCHORS.get(self.event)
        if kind is not None:
            if self.ref is None:
                raise ValueError(
                    f"anchor {self.event!r} needs the {kind} it refers to "
                    f"(write '{self.event}:<{kind} id>')"
                )
            is_identifier(self, attrs.fields(Anchor).ref, self.ref)
        elif self.ref is not None:
            raise ValueError(
                f"only anchors {sorted(REF_ANCHORS)} name a plan item (got event {self.event!r})"
            )
        if self.late_by is not None:
            if self.event != "overdue":
                raise ValueError(f"'late_by' is only allowed on 'overdue' anchors (got {self})")
            if not isinstance(self.late_by, Offset) or self.late_by.is_zero():
                raise ValueError(f"'late_by' must be a non-zero Offset (got {self.late_by!r})")

    @property
    def action(self) -> str | None:
        """
        The action this anchor waits on (``action_done`` and ``overdue``).
        """
        return self.ref if REF_ANCHORS.get(self.event) == "action" else None

    def __str__(self) -> str:
        if self.ref is None:
            return self.event
        late = "" if self.late_by is None else f"+{self.late_by.text()}"
        return f"{self.event}:{self.ref}{late}"


def parse_anchor(text: str) -> Anchor:
    """
    Read an anchor written as text: ``discovered``, ``action_done:reply``,
    ``overdue:reply+5wd``.

    Raises:
        ValueError: if *text* is not of that form.
    """
    event, colon, rest = text.partition(":")
    if not colon:
        return Anchor(event)
    ref, plus, late = rest.partition("+")
    return Anchor(event, ref, parse_offset(late) if plus else None)


def _to_anchor(value: Anchor | str) -> Anchor:
    if isinstance(value, str):
        return parse_anchor(value)
    return value


@attrs.frozen
class Extension:
    """
    An extension of a deadline (延期): each *event* recorded for the action
    at or before the current due instant moves it by *by*, never beyond
    *cap* after the clock's start (``最长不超过15个工作日``).  A request made
    after the deadline has passed does not rescue it.

    The incident records the request as an event of type *event* whose
    ``action`` is the action's id.  Requests before the clock started are
    ignored.

    .. versionadded:: 0.3.0
    """

    event: str = attrs.field(validator=is_identifier)
    by: Offset = attrs.field(validator=attrs.validators.instance_of(Offset))
    cap: Offset | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Offset))
    )

    def __attrs_post_init__(self) -> None:
        if self.by.is_zero():
            raise ValueError("an extension needs a non-zero 'by'")
        if self.cap is not None and self.cap.is_zero():
            raise ValueError("an extension's 'cap' must be non-zero")


@attrs.frozen
class Recurrence:
    """
    A duty that repeats while it is active (续报).

    Exactly one of:

    *every*
        one completion in each period of this length from the start
        (``每2小时续报一次``); occurrence *k* is due at start + k × *every*.
    *per_day*
        at least this many completions on each local calendar day from the
        start's day (``每日至少续报1次``), due at each day's end.

    The duty stops at the first *until* event at or after the start
    (``直至舆情平息``); occurrences due after it are not owed.  Completions
    are ``action_done`` events of the action; every one counts.  The first
    period runs from the start, so with *per_day* a duty starting at 23:50
    owes its first completion by that day's end.

    .. versionadded:: 0.3.0
    """

    every: timedelta | None = attrs.field(
        default=None, validator=attrs.validators.optional(positive_duration)
    )
    per_day: int | None = attrs.field(default=None)
    until: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(is_identifier)
    )

    def __attrs_post_init__(self) -> None:
        if (self.every is None) == (self.per_day is None):
            raise ValueError("a recurrence has exactly one of 'every' and 'per_day'")
        if self.per_day is not None and (
            isinstance(self.per_day, bool) or not isinstance(self.per_day, int) or self.per_day < 1
        ):
            raise ValueError(f"'per_day' must be a whole number >= 1 (got {self.per_day!r})")

    def describe(self, event_words: Callable[[str], str] = str) -> str:
        """
        Render in Chinese, e.g. ``每日至少1次``; *event_words* names the
        ending event (default: its id).
        """
        if self.per_day is not None:
            words = f"每日至少{self.per_day}次"
        else:
            assert self.every is not None  # noqa: S101 - checked at construction
            words = f"每{_span_words(self.every)}一次"
        return words if self.until is None else f"{words}，直至{event_words(self.until)}"


def _span_words(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}日"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}小时"
    return f"{seconds // 60}分钟"


def _optional_offset(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Offset):
        raise TypeError(f"'{attribute.name}' must be an Offset or None (got {value!r})")


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
        (``直至舆情平息为止``); it is done when that event happens.
    ``recurring``
        a duty repeated per *recurrence* (``每日至少续报1次``).

    *extension* lets an ``offset`` or ``end_of_day`` deadline be extended
    (``可延期，最长不超过15个工作日``).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.3.0 ``recurring``; *extension*.
    """

    anchor: Anchor = attrs.field(converter=_to_anchor)
    kind: DeadlineKind = "none"
    offset: Offset | None = attrs.field(default=None, validator=_optional_offset)
    until: str | None = None
    recurrence: Recurrence | None = None
    extension: Extension | None = None

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
        if self.kind == "recurring":
            if not isinstance(self.recurrence, Recurrence):
                raise ValueError("deadline kind 'recurring' needs a 'recurrence'")
        elif self.recurrence is not None:
            raise ValueError(
                f"'recurrence' is only allowed with kind 'recurring' (got kind {self.kind!r})"
            )
        if self.extension is not None:
            if self.kind not in ("offset", "end_of_day"):
                raise ValueError(
                    f"'extension' applies to 'offset' and 'end_of_day' deadlines "
                    f"(got kind {self.kind!r})"
                )
            if not isinstance(self.extension, Extension):
                raise TypeError(f"'extension' must be an Extension (got {self.extension!r})")

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
        self, anchor_words: str | None = None, event_words: Callable[[str], str] = str
    ) -> str:
        """
        Render the deadline in Chinese, e.g. ``discovered后3小时内``.

        *anchor_words* replaces the anchor's id and *event_words* names
        ending events, for documents that use the plan's own words.
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
                words = f"自{anchor}起直至{event_words(str(self.until))}"
            case "recurring":
                assert self.recurrence is not None  # noqa: S101 - checked at construction
                words = f"自{anchor}起{self.recurrence.describe(event_words)}"
            case _:
                words = f"{anchor}后(未规定时限)"
        if self.extension is not None:
            ext = self.extension
            cap = "" if ext.cap is None else f"，最长不超过{ext.cap.describe()}"
            words += f"(可延期{ext.by.describe()}{cap})"
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
) -> Deadline:
    """
    Due a period after *anchor*: ``after("discovered", hours=3)``,
    ``after("case_claimed", working_days=5)``.  See :class:`Offset`.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.3.0 working days, clocks, day counting, extensions.
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
    return Deadline(anchor, "offset", offset, extension=extension)


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


def end_of_day(anchor: Anchor | str, *, extension: Extension | None = None) -> Deadline:
    """
    Due at the end of the anchor's local day (当日内, 办结之日内).

    .. versionadded:: 0.1.0
    """
    return Deadline(anchor, "end_of_day", extension=extension)


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


def recurring(
    anchor: Anchor | str,
    *,
    every: timedelta | None = None,
    per_day: int | None = None,
    until: str | None = None,
) -> Deadline:
    """
    A repeated duty: ``recurring("grade_reached:major", per_day=1,
    until="subsided")`` for "每日至少续报1次，直至平息".  See :class:`Recurrence`.

    .. versionadded:: 0.3.0
    """
    return Deadline(anchor, "recurring", recurrence=Recurrence(every, per_day, until))


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
