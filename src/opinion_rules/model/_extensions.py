"""
Deadlines that people move within the plan's bounds: extensions (延期),
requested for a fixed period or to a date asked for, up to a cap, perhaps
only under a condition and a number of times.

The engine applies them (:mod:`opinion_rules.engine._due_settling`); the
promised deadline (承诺时限) is a field of the deadline itself.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from opinion_rules._validators import is_identifier
from opinion_rules.model._conditions import Condition, is_condition
from opinion_rules.time._offsets import Offset


__all__ = ["CAP_FROM", "CapFrom", "Extension"]

CapFrom = Literal["start", "due"]
#: Where an extension's cap is counted from: the deadline's clock start
#: ("办理期限最长不超过30日") or the due time before any extension
#: ("延长的期限最长不超过20个工作日").
CAP_FROM: tuple[CapFrom, ...] = ("start", "due")


def _optional_offset(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Offset):
        raise TypeError(f"'{attribute.name}' must be an Offset or None (got {value!r})")


def _optional_condition(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        is_condition(inst, attribute, value)


@attrs.frozen
class Extension:
    """
    An extension of a deadline (延期).  The incident records each request
    as an event of type *event* whose ``action`` is the action's id; a
    request made after the due time in force does not rescue it, and one
    made before the clock started is ignored.

    A request moves the due time to the date it asks for (its ``due``,
    "申请延期至3月10日"), or by *by* when it names no date; with both, the
    earlier of the two.  Never beyond *cap*, never earlier than the due time
    already in force.

    Args:
        event: The request's event type, e.g. ``extension_requested``.
        by: The period one request adds, counted from the due time in force
            (``可延期5个工作日``); with a date asked for, the most one
            request may add.  Without it, every request must name its date.
        cap: The latest the due time may move to (``最长不超过15个工作日``),
            counted like the deadline itself: a cap in days of a deadline
            counted from the next day (次日起) or to the end of a day is
            counted the same way.
        cap_from: ``start`` (default): the cap runs from the clock's start;
            ``due``: from the due time before any extension ("延长的期限最长
            不超过20个工作日").
        times: How many requests may be granted (``可延期一次``); none
            means no limit.
        when: A condition under which a request is granted (延期须经批准,
            a category or a fact): a request counts from the first instant,
            at or after it and no later than the due time in force, at which
            the condition holds.  While the condition is unknown, the
            request is not granted and the assessment lists what it needs.

    .. versionadded:: 0.3.0
    .. versionchanged:: 0.6.0 dates asked for, *by* optional, *cap_from*,
       *times*, *when*.
    """

    event: str = attrs.field(validator=is_identifier)
    by: Offset | None = attrs.field(default=None, validator=_optional_offset)
    cap: Offset | None = attrs.field(default=None, validator=_optional_offset)
    cap_from: CapFrom = "start"
    times: int | None = None
    when: Condition | None = attrs.field(default=None, validator=_optional_condition)

    def __attrs_post_init__(self) -> None:
        if self.by is not None and self.by.is_zero():
            raise ValueError("an extension's 'by' must be non-zero")
        if self.cap is not None and self.cap.is_zero():
            raise ValueError("an extension's 'cap' must be non-zero")
        if self.cap_from not in CAP_FROM:
            raise ValueError(f"'cap_from' must be one of {list(CAP_FROM)} (got {self.cap_from!r})")
        if self.cap_from == "due" and self.cap is None:
            raise ValueError("'cap_from: due' needs a 'cap'")
        times = self.times
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise ValueError(f"'times' must be a whole number >= 1 (got {times!r})")

    def describe(self, condition_words: str | None = None, cap: Offset | None = None) -> str:
        """
        The extension in Chinese, e.g. ``可延期一次，每次不超过5个工作日，最长不超过15个工作日``;
        *cap*: the cap as the deadline counts it (see ``cap_offset``).
        """
        cap = self.cap if cap is None else cap
        parts = ["可延期" + ("" if self.times is None else _count(self.times))]
        if condition_words is not None:
            parts[0] = f"{condition_words}的，{parts[0]}"
        if self.by is not None:
            parts.append(f"每次不超过{self.by.describe()}")
        else:
            parts.append("延至申请的日期")
        if cap is not None:
            origin = "自原期限届满起" if self.cap_from == "due" else ""
            parts.append(f"{origin}最长不超过{cap.describe()}")
        return "，".join(parts)


def _count(n: int) -> str:
    return "一次" if n == 1 else "两次" if n == 2 else f"{n}次"
