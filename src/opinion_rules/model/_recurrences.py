"""
Recurring duties as data (续报, 每日报送, 每月, 每学期): how occurrences fall
due, how many completions each owes (possibly by grade), and when the duty
ends.  The arithmetic is in :mod:`opinion_rules.time._recurrence`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta

import attrs

from opinion_rules._limits import MOST_PER_DAY
from opinion_rules._suggest import expected_names_capped
from opinion_rules._validators import is_identifier, positive_duration
from opinion_rules.exceptions import Problem
from opinion_rules.model._recurrence_words import describe_en, describe_zh
from opinion_rules.time._arithmetic import TimeRules
from opinion_rules.time._recurrence import (
    DatesSchedule,
    DaysSchedule,
    EverySchedule,
    RuleSchedule,
    Schedule,
)
from opinion_rules.time._rrule import RRule, parse_rrule


__all__ = ["Counts", "Recurrence", "count_for", "count_problems"]

#: Completions owed per occurrence: a number, or grade id → number pairs
#: (the count of the highest listed grade at or below the current one).
Counts = int | tuple[tuple[str, int], ...]


def _to_counts(value: object) -> object:
    if isinstance(value, Mapping):
        return tuple((k, v) for k, v in value.items())
    if isinstance(value, list):
        return tuple(tuple(p) if isinstance(p, list) else p for p in value)
    return value


def _optional_counts(value: object) -> object:
    return None if value is None else _to_counts(value)


def _optional_tuple(value: Iterable[date | datetime] | None) -> tuple[date | datetime, ...] | None:
    return None if value is None else tuple(value)


def _check_counts(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | tuple):
        raise TypeError(f"{name!r} must be a whole number or grade → number (got {value!r})")
    if isinstance(value, int):
        if value < 1:
            raise ValueError(f"{name!r} must be a whole number >= 1 (got {value!r})")
        return
    if not value:
        raise ValueError(f"{name!r} by grade needs at least one grade")
    seen = set()
    for pair in value:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            raise ValueError(f"{name!r} by grade is grade id → number (got {pair!r})")
        grade, n = pair
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{name!r} for grade {grade!r} must be a whole number >= 0")
        if grade in seen:
            raise ValueError(f"{name!r} names grade {grade!r} twice")
        seen.add(grade)


def count_for(counts: Counts, ranks: Mapping[str, int], rank: int | None) -> int:
    """
    The completions owed by one occurrence when the grade's rank is *rank*
    (``None``: ungraded): a number applies at every grade; by grade, the
    entry of the highest listed grade at or below *rank*, else 0.
    """
    if isinstance(counts, int):
        return counts
    best: tuple[int, int] | None = None
    for grade, n in counts:
        r = ranks.get(grade)
        if r is not None and rank is not None and r <= rank and (best is None or r > best[0]):
            best = (r, n)
    return 0 if best is None else best[1]


def _check_dates(value: object) -> None:
    if not isinstance(value, tuple) or not value:
        raise ValueError("'dates' must list at least one date")
    for d in value:
        if isinstance(d, datetime):
            if d.tzinfo is not None:
                raise ValueError(f"'dates' are local wall-clock times, without an offset (got {d})")
        elif not isinstance(d, date):
            raise TypeError(f"'dates' holds dates or local date-times (got {d!r})")
        if not 1900 <= d.year < 3000:
            raise ValueError(f"'dates' must be from 1900 up to 3000 (got {d})")
    if len(set(value)) != len(value):
        raise ValueError("'dates' repeats a date")


@attrs.frozen
class Recurrence:
    """
    A duty that repeats while it is active (续报, 每日报送, 每月, 每学期).

    Exactly one of:

    *every*
        one occurrence per period of this length from the start
        (``每2小时续报一次``); occurrence *k* is due at start + k × *every*.
    *per_day*
        at least this many completions on each local calendar day from the
        start's day (``每日至少续报1次``), due at each day's end.
    *rule*
        an RFC 5545 recurrence rule on the plan's wall clock from the start
        (``FREQ=DAILY;BYHOUR=9`` is 每日9时前, ``FREQ=MONTHLY;BYMONTHDAY=1``
        with *at_day_end* is 每月1日); see :mod:`opinion_rules.time._rrule`.
    *dates*
        listed dates (due at each day's end) or local date-times, e.g. the
        terms of a school calendar (每学期, 按学校校历).

    *times* is the completions each occurrence of *every*, *rule* or
    *dates* owes (default 1); *per_day* and *times* may instead map grade
    ids to numbers (``{major: 2, general: 1}``): an occurrence owes the
    number of the highest listed grade at or below the grade in force when
    it falls due, and nothing below every listed grade (0 also owes
    nothing).  *at_day_end* makes each occurrence of a day-or-coarser
    *rule* due at the end of its day.  *start_next_day* (次日起) starts the
    occurrences at the start of the day after the clock's start.

    Occurrences fall strictly after the start.  The duty stops at the first
    *until* event at or after the start (``直至舆情平息``); occurrences due
    after it are not owed.  Completions are ``action_done`` events of the
    action; each counts for the occurrence period ``(previous due, due]``
    it falls in (the first period includes the start).

    .. versionadded:: 0.3.0
    .. versionchanged:: 0.6.0 *rule*, *dates*, *times*, counts by grade,
       *at_day_end*, *start_next_day*.
    """

    every: timedelta | None = attrs.field(
        default=None, validator=attrs.validators.optional(positive_duration)
    )
    per_day: Counts | None = attrs.field(default=None, converter=_optional_counts)
    until: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(is_identifier)
    )
    rule: str | None = attrs.field(default=None)
    dates: tuple[date | datetime, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    times: Counts = attrs.field(default=1, converter=_to_counts)
    at_day_end: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    start_next_day: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    def __attrs_post_init__(self) -> None:
        forms = [n for n in ("every", "per_day", "rule", "dates") if getattr(self, n) is not None]
        if len(forms) != 1:
            raise ValueError(
                "a recurrence has exactly one of 'every', 'per_day', 'rule' and 'dates'"
                + (f" (got {forms})" if forms else "")
            )
        if self.per_day is not None:
            _check_counts("per_day", self.per_day)
            if self.times != 1:
                raise ValueError("'times' goes with 'every', 'rule' or 'dates'; 'per_day' counts")
        _check_counts("times", self.times)
        if self.dates is not None:
            _check_dates(self.dates)
        parsed = self.parsed()
        if self.at_day_end and (parsed is None or parsed.sub_daily or parsed.has_time_parts):
            raise ValueError(
                "'at_day_end' goes with a 'rule' of days, weeks, months or years "
                "without BYHOUR, BYMINUTE or BYSECOND"
            )

    def parsed(self) -> RRule | None:
        """
        The parsed *rule*, or ``None``.

        Raises:
            ValueError: if *rule* is not a supported RRULE.
        """
        return None if self.rule is None else parse_rrule(self.rule)

    @property
    def form(self) -> str:
        """``every``, ``per_day``, ``rule`` or ``dates``."""
        return next(
            n for n in ("every", "per_day", "rule", "dates") if getattr(self, n) is not None
        )

    @property
    def counts(self) -> Counts:
        """The completions each occurrence owes (a number, or by grade)."""
        return self.per_day if self.per_day is not None else self.times

    def first_start(self, start: datetime, rules: TimeRules) -> datetime:
        """Where occurrences run from: *start*, or with *start_next_day* the next day's start."""
        if not self.start_next_day:
            return start
        day = start.astimezone(rules.tz).date() + timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=rules.tz)

    def schedule(self, start: datetime, rules: TimeRules) -> Schedule:
        """The due instants of the occurrences of a duty whose clock starts at *start*."""
        begin = self.first_start(start, rules)
        if self.every is not None:
            return EverySchedule(begin, self.every)
        if self.per_day is not None:
            return DaysSchedule(begin, rules.tz, rules.end_of)
        if self.dates is not None:
            return DatesSchedule(begin, self.dates, rules.tz, rules.end_of)
        parsed = self.parsed()
        assert parsed is not None  # noqa: S101 - exactly one form, checked at construction
        return RuleSchedule(parsed, begin, rules.tz, rules.end_of if self.at_day_end else None)

    # -- words ------------------------------------------------------------------------

    def describe(
        self, event_words: Callable[[str], str] = str, grade_words: Callable[[str], str] = str
    ) -> str:
        """
        Render in Chinese, e.g. ``每日至少1次``, ``每月1日``, ``每日9时前``;
        *event_words* names the ending event and *grade_words* grades.
        """
        return describe_zh(self, event_words, grade_words)

    def describe_en(
        self, event_words: Callable[[str], str] = str, grade_words: Callable[[str], str] = str
    ) -> str:
        """Render in English, e.g. ``at least 1 time(s) a day``, ``monthly on day 1``."""
        return describe_en(self, event_words, grade_words)


def count_problems(
    recurrence: Recurrence, grades: Collection[str], where: str
) -> Iterator[Problem]:
    """
    Counts the plan cannot keep: more than :data:`MOST_PER_DAY` per
    occurrence, or a grade the plan does not define.
    """
    field = "per_day" if recurrence.per_day is not None else "times"
    counts = recurrence.counts
    pairs: list[tuple[str | None, int]] = (
        [(None, counts)] if isinstance(counts, int) else list(counts)
    )
    for grade, n in pairs:
        path = f"{where}.{field}" if grade is None else f"{where}.{field}.{grade}"
        if n > MOST_PER_DAY:
            what = "a day (one a minute)" if field == "per_day" else "per occurrence"
            yield Problem(
                path,
                f"asks for more than {MOST_PER_DAY} completions {what}",
                f"at most {MOST_PER_DAY}",
            )
        if grade is not None and grade not in grades:
            yield Problem(
                path,
                f"grade {grade!r} is not defined",
                expected_names_capped(grade, grades),
                refers_to=grade,
            )
