"""
The status of a recurring duty at the evaluation instant: which past
occurrences were missed (the first :data:`MISSED_LISTED` of them listed, all
of them counted), the next occurrence still owed, and when that changes.

The cost follows what is reported, not the duty's age: occurrences are
counted by the schedule's arithmetic, and only periods that hold a
completion are looked at one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import attrs

from opinion_rules._limits import MISSED_LISTED
from opinion_rules.model._recurrences import Recurrence, count_for
from opinion_rules.model._results import Status
from opinion_rules.time._arithmetic import TICK, TimeRules
from opinion_rules.time._recurrence import Schedule


__all__ = ["RecurringStatus", "recurring_status"]


@attrs.frozen
class RecurringStatus:
    """
    A recurring duty at the evaluation instant.
    """

    due: datetime | None  # the next occurrence still owed
    missed: tuple[datetime, ...]  # the first MISSED_LISTED missed occurrences
    missed_count: int  # all of them
    done_at: datetime | None  # when the duty ended
    status: Status
    change: datetime | None  # when this would next change with no new facts


def _utc(t: datetime) -> datetime:
    return t.astimezone(UTC)


class _Counts:
    """
    The completions each occurrence owes, by the grade in force when it
    falls due (the grade now for occurrences still ahead).
    """

    def __init__(
        self,
        recurrence: Recurrence,
        ranks: Mapping[str, int],
        grade_changes: Sequence[tuple[datetime, int]],
        at: datetime,
    ) -> None:
        counts = recurrence.counts
        self.segments: list[tuple[datetime | None, int]]
        if isinstance(counts, int):
            self.segments = [(None, counts)]
        else:
            self.segments = [(None, count_for(counts, ranks, None))]
            for when, rank in grade_changes:
                if _utc(when) <= _utc(at):
                    self.segments.append((_utc(when), count_for(counts, ranks, rank)))

    def at(self, due: datetime) -> int:
        """The completions the occurrence due at *due* owes."""
        owed = self.segments[0][1]
        for since, n in self.segments[1:]:
            if since is not None and since <= _utc(due):
                owed = n
        return owed

    def next_owing(self, t: datetime) -> datetime | None:
        """The first grade change after *t* from which occurrences owe something."""
        for since, n in self.segments[1:]:
            if since is not None and since > _utc(t) and n > 0:
                return since
        return None


def recurring_status(
    recurrence: Recurrence,
    start: datetime,
    at: datetime,
    done: Sequence[datetime],
    end: datetime | None,
    rules: TimeRules,
    ranks: Mapping[str, int],
    grade_changes: Sequence[tuple[datetime, int]],
) -> RecurringStatus:
    """
    The status of a recurring duty whose clock started at *start*, with the
    sorted completions *done* and the instant *end* its ``until`` event
    ended it (``None`` while it runs), as of *at*.
    """
    schedule = recurrence.schedule(start, rules)
    begin = _utc(recurrence.first_start(start, rules))
    owed = _Counts(recurrence, ranks, grade_changes, at)
    # Past occurrences: due before `at`, and not after the end.
    horizon = _utc(at) - TICK if end is None else min(_utc(at) - TICK, _utc(end))
    filled = _filled(schedule, begin, done)
    missed_count = _missed_count(schedule, owed, filled, begin, horizon)
    missed = _first_missed(schedule, owed, filled, begin, horizon, missed_count)
    next_due = _next_due(schedule, owed, filled, at, end)
    change = None if next_due is None else next_due + TICK
    if end is not None:
        status: Status = "done_late" if missed_count else "done"
        return RecurringStatus(None, missed, missed_count, end, status, change)
    status = "overdue" if missed_count else "pending"
    return RecurringStatus(next_due, missed, missed_count, None, status, change)


def _filled(schedule: Schedule, begin: datetime, done: Sequence[datetime]) -> dict[datetime, int]:
    """Completions per occurrence (by due, UTC): each for the first due at or after it."""
    filled: dict[datetime, int] = {}
    period: datetime | None = None
    for completion in done:
        c = _utc(completion)
        if c < begin:
            continue
        if period is None or c > period:
            period = next((_utc(d) for d in schedule.after(c - TICK)), None)
            if period is None:
                break
        filled[period] = filled.get(period, 0) + 1
    return filled


def _missed_count(
    schedule: Schedule,
    owed: _Counts,
    filled: Mapping[datetime, int],
    begin: datetime,
    horizon: datetime,
) -> int:
    """Occurrences due in ``[begin, horizon]`` that owe something, less those satisfied."""
    total = 0
    edges = [begin, *[s for s, _ in owed.segments[1:] if s is not None and s > begin]]
    for i, lo in enumerate(edges):
        hi = min(edges[i + 1] - TICK if i + 1 < len(edges) else horizon, horizon)
        if hi >= lo and owed.at(lo) > 0:
            total += schedule.count(lo - TICK, hi)
    satisfied = sum(
        1 for due, n in filled.items() if begin <= due <= horizon and 0 < owed.at(due) <= n
    )
    return total - satisfied


def _first_missed(
    schedule: Schedule,
    owed: _Counts,
    filled: Mapping[datetime, int],
    begin: datetime,
    horizon: datetime,
    missed_count: int,
) -> tuple[datetime, ...]:
    """The first missed occurrences, at most :data:`MISSED_LISTED`."""
    missed: list[datetime] = []
    dues = schedule.after(begin - TICK)
    while len(missed) < min(MISSED_LISTED, missed_count):
        due = next(dues, None)
        if due is None or _utc(due) > horizon:
            break
        needed = owed.at(due)
        if needed == 0:
            skip_to = owed.next_owing(due)
            if skip_to is None:
                break
            dues = schedule.after(skip_to - TICK)
        elif filled.get(_utc(due), 0) < needed:
            missed.append(due)
    return tuple(missed)


def _next_due(
    schedule: Schedule,
    owed: _Counts,
    filled: Mapping[datetime, int],
    at: datetime,
    end: datetime | None,
) -> datetime | None:
    """The first occurrence due at or after *at* (and not after *end*) still owed."""
    for due in schedule.after(_utc(at) - TICK):
        if end is not None and _utc(due) > _utc(end):
            return None
        needed = owed.at(due)
        if needed == 0:
            return None  # the grade now owes nothing; an upgrade is a new fact
        if filled.get(_utc(due), 0) < needed:
            return due
    return None
