"""
Offsets: how long after an anchor a deadline falls (``3h``, ``1d12h``,
``5wd``), and on which clock hours and minutes count.

Pure arithmetic data: an offset names days, hours, minutes or working days
and says how to count them; :mod:`opinion_rules.time._arithmetic` adds one
to an instant.
"""

from __future__ import annotations

import re
from typing import Literal

import attrs

from opinion_rules._limits import LONGEST_PERIOD, MOST_WORKING_DAYS


__all__ = ["CLOCKS", "OFFSET_FORM", "Clock", "Offset", "offset_problem", "parse_offset"]

Clock = Literal["calendar", "shift_start", "pause"]
#: Clock policies for hours and minutes.
CLOCKS = ("calendar", "shift_start", "pause")


def _non_negative_int(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"'{attribute.name}' must be a non-negative integer (got {value!r})")


_OFFSET_TEXT = re.compile(
    r"\s*(?:(\d+)\s*wd)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*",
    re.IGNORECASE,
)
#: How offsets are written in plan files and anchor texts.
OFFSET_FORM = "a period such as '3h', '30m', '1d', '1h30m' or '5wd' (working days)"


@attrs.frozen
class Offset:
    """
    How long after the anchor a deadline falls.

    Args:
        days: Calendar days (``5日内``).  Counted on the plan's local wall
            clock: 1 day after 09:00 is 09:00 the next local day, unless
            *start_next_day*.
        hours, minutes: Elapsed time (``3小时内``), on the *clock* the plan
            chooses.
        working_days: Working days (``5个工作日内``) by the plan's calendar.
            The anchor's day never counts; due at the end of the last working
            day (the plan's ``day_end``).  Not combined with other units.
        clock: For hours and minutes: ``calendar`` (default; nights and
            holidays count, ``24小时内(含休息日、节假日)``), ``shift_start``
            (an anchor outside working hours starts the clock at the next
            working time) or ``pause`` (only working hours count).
        start_next_day: For days: the anchor's day is not counted and the
            period ends at the end of its last day (``次日起5日内``).
        extend_past_holiday: For days: the period is counted as the Civil
            Code counts periods in days (``非工作日顺延``, arts. 201 and 203):
            it ends at the end (the plan's ``day_end``) of its last day, and
            when that day is not a working day, at the end of the next
            working day.  Not for hours and minutes alone.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.3.0 *working_days*, *clock*, *start_next_day* and
       *extend_past_holiday*.
    """

    days: int = attrs.field(default=0, validator=_non_negative_int)
    hours: int = attrs.field(default=0, validator=_non_negative_int)
    minutes: int = attrs.field(default=0, validator=_non_negative_int)
    working_days: int = attrs.field(default=0, validator=_non_negative_int)
    clock: Clock = "calendar"
    start_next_day: bool = False
    extend_past_holiday: bool = False

    def __attrs_post_init__(self) -> None:
        if self.clock not in CLOCKS:
            raise ValueError(f"'clock' must be one of {list(CLOCKS)} (got {self.clock!r})")
        if self.working_days and (self.days or self.hours or self.minutes):
            raise ValueError("working days are not combined with days, hours or minutes")
        if self.working_days and (self.start_next_day or self.extend_past_holiday):
            raise ValueError(
                "working days always start the next day and end on a working day; "
                "'start_next_day' and 'extend_past_holiday' do not apply"
            )
        if self.start_next_day and (not self.days or self.hours or self.minutes):
            raise ValueError("'start_next_day' applies to whole days only (e.g. days=5)")
        if self.extend_past_holiday and not self.days and not self.working_days:
            raise ValueError(
                "'extend_past_holiday' applies to periods counted in days (e.g. days=5); "
                "for hours, clock 'pause' or 'shift_start' says how holidays count"
            )
        if self.clock != "calendar" and (self.days or self.working_days):
            raise ValueError(f"clock {self.clock!r} applies to hours and minutes only, not to days")
        for name in ("start_next_day", "extend_past_holiday"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"'{name}' must be true or false (got {getattr(self, name)!r})")

    def is_zero(self) -> bool:
        """
        Tell whether the offset is empty.
        """
        return not (self.days or self.hours or self.minutes or self.working_days)

    def needs_calendar(self) -> bool:
        """
        Tell whether computing this offset asks a working calendar.
        """
        return bool(self.working_days) or self.clock != "calendar" or self.extend_past_holiday

    def text(self) -> str:
        """
        The period in plan-file form, e.g. ``3h``, ``1d12h`` or ``5wd``.
        """
        parts = (
            (self.working_days, "wd"),
            (self.days, "d"),
            (self.hours, "h"),
            (self.minutes, "m"),
        )
        return "".join(f"{n}{u}" for n, u in parts if n) or "0m"

    def describe(self) -> str:
        """
        Render the offset in Chinese, e.g. ``3小时`` or ``次日起5个工作日``.
        """
        parts = []
        if self.working_days:
            parts.append(f"{self.working_days}个工作日")
        if self.days:
            parts.append(f"{self.days}日")
        if self.hours:
            parts.append(f"{self.hours}小时")
        if self.minutes:
            parts.append(f"{self.minutes}分钟")
        words = "".join(parts) or "0分钟"
        if self.start_next_day:
            words = f"次日起{words}"
        if self.clock == "shift_start":
            words += "(工作时间起算)"
        elif self.clock == "pause":
            words += "(仅计工作时间)"
        if self.extend_past_holiday:
            words += "(非工作日顺延)"
        return words


def parse_offset(text: str) -> Offset:
    """
    Read an offset written as in plan files: ``3h``, ``1d12h``, ``5wd``.

    Raises:
        ValueError: if *text* is not of that form.
    """
    match = _OFFSET_TEXT.fullmatch(text)
    if match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not {OFFSET_FORM}")
    working_days, days, hours, minutes = (int(g or 0) for g in match.groups())
    return Offset(days=days, hours=hours, minutes=minutes, working_days=working_days)


def offset_problem(offset: Offset) -> str | None:
    """
    Why *offset* is too long to compute with, or ``None``: at most
    :data:`~opinion_rules._limits.LONGEST_PERIOD` of days, hours and
    minutes, or :data:`~opinion_rules._limits.MOST_WORKING_DAYS` working
    days.  Counted in integers, so no size of number overflows here.
    """
    seconds = offset.days * 86_400 + offset.hours * 3_600 + offset.minutes * 60
    if seconds > LONGEST_PERIOD.total_seconds():
        return f"is longer than the longest supported period ({LONGEST_PERIOD.days} days)"
    if offset.working_days > MOST_WORKING_DAYS:
        return f"counts more than {MOST_WORKING_DAYS} working days"
    return None
