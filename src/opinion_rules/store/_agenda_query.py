"""
What a desk asks of the agenda: a filter and an order by urgency, as a
value (so the command line and any other front end apply the very same
query), and the words for lateness and time remaining.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import attrs

from opinion_rules._limits import LONGEST_PERIOD, duration_problem
from opinion_rules._problems import describe_value
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.store._agenda import AgendaItem
from opinion_rules.store._values import checked_instant, to_us


__all__ = ["AGENDA_STATUSES", "AgendaQuery", "describe_time_left"]

#: The statuses an agenda item can have, in the order of urgency.
AGENDA_STATUSES: tuple[str, ...] = ("overdue", "undecided", "pending")
_SUBJECT = "agenda query"
_LANGUAGES = ("en", "zh")
_WORDS = {
    # language: (day, hour, minute, separator, under a minute, overdue {}, {} left)
    "en": ("d", "h", "min", " ", "< 1 min", "overdue {}", "{} left"),
    "zh": ("天", "小时", "分", "", "不到1分钟", "逾期 {}", "剩余 {}"),
}


def _names(field: str, values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise FactError(
            _SUBJECT,
            [
                Problem(
                    field,
                    "is not a collection of names",
                    "a list of strings",
                    describe_value(values),
                )
            ],
        )
    names = tuple(values)
    for name in names:
        if not isinstance(name, str) or not name:
            raise FactError(
                _SUBJECT, [Problem(field, "holds a value that is not a non-empty string",
                                   "a list of strings", describe_value(name))]
            )  # fmt: skip
    return names


def _statuses(values: object) -> tuple[str, ...]:
    names = _names("statuses", values)
    for name in names:
        if name not in AGENDA_STATUSES:
            raise FactError(
                _SUBJECT,
                [Problem("statuses", f"{name!r} is not an agenda status",
                         "overdue, undecided or pending", describe_value(name))],
            )  # fmt: skip
    return names


def _owners(values: object) -> tuple[str, ...]:
    return _names("owners", values)


def _grades(values: object) -> tuple[str, ...]:
    return _names("grades", values)


def _plans(values: object) -> tuple[str, ...]:
    return _names("plans", values)


def _check_due_within(_: object, __: object, value: timedelta | None) -> None:
    if value is None:
        return
    expected = f"a timedelta from 0 to {LONGEST_PERIOD.days} days, or None"
    problem = duration_problem(value)
    if problem is not None:
        raise FactError(_SUBJECT, [Problem("due_within", problem, expected, describe_value(value))])


def _check_bool(_: object, attribute: attrs.Attribute[bool], value: bool) -> None:
    if not isinstance(value, bool):
        raise FactError(
            _SUBJECT,
            [Problem(attribute.name, "is not a boolean", "true or false", describe_value(value))],
        )


@attrs.frozen
class AgendaQuery:
    """
    Which agenda items a desk wants to see, and in what order: the most
    urgent first.

    Every filter left empty keeps everything; a filter with values keeps an
    item that matches any one of them.

    Attributes:
        statuses: Keep items with one of these statuses (``overdue``,
            ``undecided``, ``pending``).
        owners: Keep items one of whose owner roles has this id or name.
        grades: Keep items whose incident has a grade with this id or name.
        plans: Keep items of a plan given by its key
            (``work-safety@2023-1``) or its id (``work-safety``, any
            version).
        due_within: Keep pending items due at most this long after the
            query's instant; overdue items, undecided ones and those with no
            due time are kept whatever it is.  ``None``: no limit.
        include_no_time: Keep the pending items with no due time (the
            "no time set" group).  Undecided items (owed, their due time
            waiting for a calendar year) are kept either way.

    Raises:
        FactError: an unknown status, a negative or too long *due_within*,
            or a value of the wrong type; the problem's path names the
            attribute.

    .. versionadded:: 0.6.0
    """

    statuses: tuple[str, ...] = attrs.field(default=(), converter=_statuses)
    owners: tuple[str, ...] = attrs.field(default=(), converter=_owners)
    grades: tuple[str, ...] = attrs.field(default=(), converter=_grades)
    plans: tuple[str, ...] = attrs.field(default=(), converter=_plans)
    due_within: timedelta | None = attrs.field(default=None, validator=_check_due_within)
    include_no_time: bool = attrs.field(default=True, validator=_check_bool)

    def matches(self, item: AgendaItem, at: datetime) -> bool:
        """
        Whether the query keeps *item* on the agenda at *at*.

        .. versionadded:: 0.6.0
        """
        if self.statuses and item.status not in self.statuses:
            return False
        if self.owners and not any(
            o.id in self.owners or o.name in self.owners for o in item.owners
        ):
            return False
        if self.grades and not (item.grade_id in self.grades or item.grade_name in self.grades):
            return False
        if self.plans and not (
            item.plan_key in self.plans or item.plan_key.partition("@")[0] in self.plans
        ):
            return False
        if item.status == "pending" and item.due is None:
            return self.include_no_time
        return not (
            self.due_within is not None
            and item.status == "pending"
            and item.due is not None
            and item.due > at + self.due_within
        )

    def apply(self, items: Sequence[AgendaItem], at: datetime) -> list[AgendaItem]:
        """
        The items the query keeps at *at*, the most urgent first: overdue
        items (the most overdue first), then pending ones by due time, then
        undecided ones, then those with no due time; ties by incident id and
        action id.

        Raises:
            FactError: *at* is naive or out of range.

        .. versionadded:: 0.6.0
        """
        at = checked_instant(_SUBJECT, "at", at)
        return sorted((i for i in items if self.matches(i, at)), key=urgency)


def urgency(item: AgendaItem) -> tuple[int, int, str, str]:
    """
    The sort key of the agenda by urgency.
    """
    if item.status == "overdue":
        group = 0
    elif item.due is not None:
        group = 1
    elif item.status == "undecided":
        group = 2
    else:
        group = 3
    return (group, 0 if item.due is None else to_us(item.due), item.incident_id, item.action_id)


def describe_time_left(left: timedelta, language: str = "en") -> str:
    """
    Words for the time left until a due time (*left* positive or zero) or
    the lateness after it (*left* negative), to the minute, rounded towards
    zero: ``2 h 10 min left`` / ``overdue 2 h 10 min`` in English,
    ``剩余 2小时10分`` / ``逾期 2小时10分`` in Chinese (*language* ``zh``).
    Days are counted from 24 hours on (``1 d 3 h``), parts that are zero
    are left out, and less than a minute is ``< 1 min`` (``不到1分钟``).

    Raises:
        FactError: *left* is not a timedelta, or *language* is neither
            ``en`` nor ``zh``.

    .. versionadded:: 0.6.0
    """
    if not isinstance(left, timedelta):
        raise FactError(
            "time left",
            [Problem("left", "is not a timedelta", "a timedelta", describe_value(left))],
        )
    if language not in _LANGUAGES:
        raise FactError(
            "time left",
            [
                Problem(
                    "language", "is not a supported language", "en or zh", describe_value(language)
                )
            ],
        )
    day, hour, minute, sep, under, late, ahead = _WORDS[language]
    minutes = int(abs(left).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{n}{sep}{unit}" for n, unit in ((days, day), (hours, hour), (mins, minute)) if n]
    text = sep.join(parts) if language == "zh" else " ".join(parts)
    return (late if left < timedelta(0) else ahead).format(text or under)
