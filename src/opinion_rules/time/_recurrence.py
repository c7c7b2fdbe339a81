"""
The due instants of a repeating duty, without walking its past.

A :class:`Schedule` answers two questions about the occurrences after a
duty's clock start: which are due after an instant (in order), and how many
are due in a span.  Each form answers the second by arithmetic, so a duty
every minute anchored ten years back costs about what one anchored a day
back does:

- ``every``: occurrence *k* is due at start + *k* × every (elapsed time);
- ``per_day``: one occurrence per local day, due at the day's end;
- a date list: the listed days' ends or local times;
- an RFC 5545 rule (:mod:`opinion_rules.time._rrule`), read in the plan's
  timezone on the wall clock: a rule shaped by weeks, days, hours or
  minutes repeats its pattern every :meth:`~RRule.block`, so a span is
  counted as whole blocks plus at most two partial ones; a rule shaped by
  months and years (每月, 每年) is walked occurrence by occurrence, which is a
  few a month.

A wall-clock time that a DST change skips is read as RFC 5545 says (with
the offset before the gap: 02:30 is 03:30 after a spring-forward at
02:00); an occurrence that lands on another's instant counts once.  A
repeated hour counts its first pass.  Nothing here reads a clock.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dateutil import rrule as du
from dateutil.relativedelta import relativedelta

from opinion_rules.time._arithmetic import elapsed_after
from opinion_rules.time._rrule import RRule


__all__ = ["DatesSchedule", "DaysSchedule", "EverySchedule", "RuleSchedule", "Schedule"]

DayEnd = Callable[[date], datetime]


class Schedule(Protocol):
    """
    The due instants of a duty's occurrences, all strictly after its start.
    """

    def after(self, t: datetime) -> Iterator[datetime]:
        """Due instants strictly after *t*, increasing."""
        ...

    def count(self, lo: datetime, hi: datetime) -> int:
        """How many are due in ``(lo, hi]``."""
        ...


class EverySchedule:
    """
    ``every``: due at start + k × every, k = 1, 2, … (elapsed time).
    """

    def __init__(self, start: datetime, every: timedelta) -> None:
        self.start, self.every = start, every

    def _upto(self, t: datetime) -> int:
        elapsed = _utc(t) - _utc(self.start)
        return max(0, elapsed // self.every)

    def after(self, t: datetime) -> Iterator[datetime]:
        k = self._upto(t) + 1
        while True:
            yield elapsed_after(self.start, k * self.every)
            k += 1

    def count(self, lo: datetime, hi: datetime) -> int:
        return max(0, self._upto(hi) - self._upto(lo))


class DaysSchedule:
    """
    One occurrence per local day, due at the day's end, from the first day
    whose end is after the start.
    """

    def __init__(self, start: datetime, tz: ZoneInfo, end_of: DayEnd) -> None:
        self.tz, self.end_of = tz, end_of
        self.first = last_day_ended(start, tz, end_of) + timedelta(days=1)

    def _last(self, t: datetime) -> date:
        return last_day_ended(t, self.tz, self.end_of)

    def after(self, t: datetime) -> Iterator[datetime]:
        day = max(self.first, self._last(t) + timedelta(days=1))
        while True:
            yield self.end_of(day)
            day += timedelta(days=1)

    def count(self, lo: datetime, hi: datetime) -> int:
        def upto(t: datetime) -> int:
            return max(0, (self._last(t) - self.first).days + 1)

        return max(0, upto(hi) - upto(lo))


class DatesSchedule:
    """
    Listed occurrences: a date is due at its day's end, a local date-time
    at that wall-clock time.
    """

    def __init__(
        self,
        start: datetime,
        entries: Sequence[date | datetime],
        tz: ZoneInfo,
        end_of: DayEnd,
    ) -> None:
        dues = {
            _utc(e.replace(tzinfo=tz) if isinstance(e, datetime) else end_of(e)) for e in entries
        }
        self.tz = tz
        self.dues = sorted(d for d in dues if d > _utc(start))

    def after(self, t: datetime) -> Iterator[datetime]:
        for due in self.dues[bisect.bisect_right(self.dues, _utc(t)) :]:
            yield due.astimezone(self.tz)

    def count(self, lo: datetime, hi: datetime) -> int:
        dues = self.dues
        return max(0, bisect.bisect_right(dues, _utc(hi)) - bisect.bisect_right(dues, _utc(lo)))


class RuleSchedule:
    """
    An RFC 5545 rule from the start, on the wall clock of *tz*; with
    *end_of*, each occurrence's day instead, due at that day's end.
    """

    def __init__(
        self, rule: RRule, start: datetime, tz: ZoneInfo, end_of: DayEnd | None = None
    ) -> None:
        self.rule, self.start, self.tz, self.end_of = rule, start, tz, end_of
        local = start.astimezone(tz).replace(tzinfo=None)
        if end_of is not None:
            local = datetime.combine(local.date(), time(0))
        self.dtstart = local.replace(microsecond=0)
        self.kwargs = rule.kwargs(self.dtstart)
        self.origin = self._period_start(self.dtstart)
        self.until = rule.until_instant(tz)
        try:
            du.rrule(dtstart=self.dtstart, cache=False, **self.kwargs)
            self.empty = False
        except ValueError:  # e.g. BYHOUR no hour of this INTERVAL from this start reaches
            self.empty = True
        self._blocks: dict[str, int] = {}

    # -- naive occurrences, from any period ------------------------------------------

    def _period_start(self, d: datetime) -> datetime:
        match self.rule.freq:
            case "YEARLY":
                return datetime(d.year, 1, 1)  # noqa: DTZ001 - a wall-clock time
            case "MONTHLY":
                return datetime(d.year, d.month, 1)  # noqa: DTZ001 - a wall-clock time
            case "WEEKLY":
                day = d.date() - timedelta(days=(d.weekday() - self.rule.wkst) % 7)
                return datetime.combine(day, time(0))
            case "DAILY":
                return datetime.combine(d.date(), time(0))
            case "HOURLY":
                return d.replace(minute=0, second=0, microsecond=0)
            case _:
                return d.replace(second=0, microsecond=0)

    def _index(self, n: datetime) -> int:
        """The period of naive *n*, counted from the start's."""
        match self.rule.freq:
            case "YEARLY":
                return n.year - self.origin.year
            case "MONTHLY":
                return (n.year - self.origin.year) * 12 + n.month - self.origin.month
            case _:
                return (n - self.origin) // self.rule.unit()

    def _naive(self, n: datetime) -> Iterator[datetime]:
        """
        The rule's wall-clock occurrences from the period holding *n* on: a
        later start aligned on a period the INTERVAL reaches, with every
        default made explicit, gives the same occurrences from there.
        """
        if self.empty:
            return iter(())
        interval = self.rule.interval
        p = (max(0, self._index(n)) // interval) * interval
        if p == 0:
            dtstart = self.dtstart
        elif self.rule.freq in ("YEARLY", "MONTHLY"):
            dtstart = self.origin + relativedelta(
                months=p * (12 if self.rule.freq == "YEARLY" else 1)
            )
        else:
            dtstart = self.origin + p * self.rule.unit()
        return iter(du.rrule(dtstart=dtstart, cache=False, **self.kwargs))

    # -- instants ---------------------------------------------------------------------

    def _due(self, n: datetime) -> tuple[datetime, datetime]:
        """The valid wall-clock time *n* is read as, and its due instant."""
        if self.end_of is not None:
            due = _utc(self.end_of(n.date()))
        else:
            due = _utc(n.replace(tzinfo=self.tz))  # fold=0: RFC 5545's reading of gaps
        return due.astimezone(self.tz).replace(tzinfo=None, fold=0), due

    def _near_change(self, wall: datetime) -> bool:
        """Whether the zone's offset changes within a day of *wall*."""
        probes = {self.tz.utcoffset(wall + k * timedelta(hours=13)) for k in (-2, -1, 0, 1, 2)}
        return len(probes) > 1

    def after(self, t: datetime) -> Iterator[datetime]:
        t = max(_utc(t), _utc(self.start))
        until = None if self.until is None else _utc(self.until)
        produced = self._upto(t) if self.rule.count is not None else 0
        wall = t.astimezone(self.tz).replace(tzinfo=None)
        if self.end_of is None and self._near_change(wall):
            wall -= timedelta(hours=26)  # a skipped time before t may be read as after it
        heap: list[tuple[datetime, datetime]] = []
        last: datetime | None = None
        naive = self._naive(max(wall, self.dtstart))
        while True:
            n = next(naive, None)
            while heap and (n is None or heap[0][0] < n):
                _, due = heapq.heappop(heap)
                if due <= t or due == last:
                    continue
                if until is not None and due > until:
                    return
                if self.rule.count is not None and produced >= self.rule.count:
                    return
                produced += 1
                last = due
                yield due.astimezone(self.tz)
            if n is None:
                return
            heapq.heappush(heap, self._due(n))

    # -- counting ---------------------------------------------------------------------

    def count(self, lo: datetime, hi: datetime) -> int:
        return max(0, self._upto(hi) - self._upto(lo))

    def _upto(self, t: datetime) -> int:
        """How many occurrences are due in ``(start, t]``."""
        t = _utc(t) if self.until is None else min(_utc(t), _utc(self.until))
        if t <= _utc(self.start) or self.empty:
            return 0
        n = self._raw(t) - self._raw(self.start)
        return n if self.rule.count is None else min(n, self.rule.count)

    def _raw(self, t: datetime) -> int:
        """
        Distinct due instants at or before *t* of the occurrences from the
        rule's start: the wall-clock occurrences up to *t*'s wall-clock
        time, corrected at each DST gap (a skipped time is read an hour
        later, and counts once if that time is an occurrence too).
        """
        if self.end_of is not None:
            last = last_day_ended(t, self.tz, self.end_of)
            return self._naive_upto(datetime.combine(last, time(23, 59, 59)))
        local = t.astimezone(self.tz)
        wall = local.replace(tzinfo=None, fold=0)
        if local.fold == 1:  # the repeated hour's second pass: its first pass is before t
            wall = self._first_naive(wall, wall + timedelta(days=1), _unambiguous(self.tz))
            wall -= timedelta(seconds=1)
        count = self._naive_upto(wall)
        for g0, g1 in self._gaps(self.dtstart, wall):
            skip = g1 - g0
            occurrences: list[datetime] = []
            for n in self._naive(g0):
                if n >= g1 + skip:
                    break
                if n >= g0:
                    occurrences.append(n)
            seen = set(occurrences)
            for n in occurrences:
                if n >= g1:
                    break
                count -= n <= wall
                count += n + skip <= wall and n + skip not in seen
        return count

    def _gaps(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        """The wall-clock times a spring-forward skips, ``[g0, g1)``, between *lo* and *hi*."""
        out = []
        x = lo - timedelta(days=1)
        ox = self.tz.utcoffset(x)
        while x <= hi:
            y = x + timedelta(days=7)
            oy = self.tz.utcoffset(y)
            if oy != ox and oy is not None and ox is not None:
                before = ox

                def moved(n: datetime, before: timedelta = before) -> bool:
                    return self.tz.utcoffset(n) != before

                change = self._first_naive(x, y, moved)
                if oy > ox:
                    out.append((change - (oy - ox), change))
            x, ox = y, oy
        return out

    @staticmethod
    def _first_naive(lo: datetime, hi: datetime, test: Callable[[datetime], bool]) -> datetime:
        """The first whole second in ``(lo, hi]`` where *test* holds (it holds at *hi*)."""
        a, b = 0, int((hi - lo).total_seconds())
        while b - a > 1:
            mid = (a + b) // 2
            if test(lo + timedelta(seconds=mid)):
                b = mid
            else:
                a = mid
        return lo + timedelta(seconds=b)

    def _naive_upto(self, wall: datetime) -> int:
        """Wall-clock occurrences from the rule's start up to *wall*."""
        if wall < self.dtstart or self.empty:
            return 0
        if self.rule.calendar_shaped:
            return _iterate(self._naive(self.dtstart), wall)
        block = self.rule.block()
        k = (wall - self.origin) // block
        if k == 0:
            return _iterate(self._naive(self.dtstart), wall)
        second = timedelta(seconds=1)
        if not self._blocks:
            end = self.origin + block
            self._blocks["first"] = _iterate(self._naive(self.dtstart), end - second)
            self._blocks["per"] = _iterate(self._naive(end), end + block - second)
        rest = _iterate(self._naive(self.origin + k * block), wall)
        return self._blocks["first"] + (k - 1) * self._blocks["per"] + rest


def _iterate(naive: Iterator[datetime], wall: datetime) -> int:
    count = 0
    for n in naive:
        if n > wall:
            break
        count += 1
    return count


def _unambiguous(tz: ZoneInfo) -> Callable[[datetime], bool]:
    def test(n: datetime) -> bool:
        return tz.utcoffset(n) == tz.utcoffset(n.replace(fold=1))

    return test


def last_day_ended(t: datetime, tz: ZoneInfo, end_of: DayEnd) -> date:
    """The last local day whose end is at or before *t*."""
    day = t.astimezone(tz).date()
    return day if _utc(end_of(day)) <= _utc(t) else day - timedelta(days=1)


def _utc(t: datetime) -> datetime:
    """*t* in UTC: aware datetimes sharing a tzinfo compare by wall clock, not instant."""
    return t.astimezone(UTC)
