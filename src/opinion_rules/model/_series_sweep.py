"""
Measure values at increasing instants, kept up to date rather than
recomputed: one sweep over the instants at which each measure can change.

:meth:`SeriesIndex.value <opinion_rules.model._series.SeriesIndex.value>`
computes a measure at one instant from every series; asked at each of an
incident's change points, that is O(series) per point and quadratic in all.
A :class:`MeasureSweep` instead keeps, for one measure, each series'
amount in the window (or rate, or whether it was seen) and a running
aggregate of them (:mod:`opinion_rules.model._running`), and the sorted
instants at which a series' amount can change: a reading (it enters), a
reading plus the window's length (it leaves a rolling window), the
posting-time zero baseline leaving a rolling window, and the ends of the
days after a day with readings (calendar-day and sustained windows, where
every series is recomputed: O(series) per such day).  Asked at *t*, it
recomputes only the series due by *t*, so each reading costs O(log n) a
few times in all (a window query, a heap for maxima); between its own
instants a measure's value is the one it had, and asking costs O(1).  A
sustained window keeps the completed days' values, which cannot change;
plug-in aggregations are computed directly, but only at the measure's own
instants.

The values equal :meth:`SeriesIndex.value` at every instant (the tests
compare them); asked at an instant earlier than the last one, a sweep
computes that value directly.  A :class:`SeriesSweep` takes further
readings later than every instant it was asked at, and then gives what a
fresh sweep over all readings gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from opinion_rules.model._running import Largest, Running, Sites, SitesAbove, Total
from opinion_rules.model._series import (
    Combine,
    Reading,
    Series,
    SeriesIndex,
    SeriesKey,
    finish,
    instant_key,
)
from opinion_rules.model._windows import Measure
from opinion_rules.time._arithmetic import TICK


__all__ = ["MeasureSweep", "SeriesSweep", "instant_key"]

#: In the list of instants due: every series is due (a day ended).
_ALL = -1


class MeasureSweep:
    """
    The value of *measure* over the series of *index*, asked at increasing
    instants; *custom* combines the series for a plug-in's aggregation.
    """

    def __init__(
        self,
        index: SeriesIndex,
        measure: Measure,
        custom: Combine | None = None,
        like: MeasureSweep | None = None,
    ) -> None:
        window = measure.window
        self._index = index
        self._measure = measure
        self._custom = custom
        self._kind = window.kind
        self._length = window.length
        self._day_count = {"calendar_day": 1, "sustained": window.days or 0}.get(window.kind, 0)
        self._posts = measure.over == "posts"
        self._seen_only = measure.aggregate == "distinct_sites" and measure.site_above is None
        #: The series counted, their sites and posts, and their current amounts.
        self._series: list[Series] = []
        self._sites: list[str | None] = []
        self._post_of: list[str | None] = []
        self._position: dict[int, int] = {}
        #: (instant, series or _ALL) at which a series' amount may change, in
        #: order, instants as microseconds (see instant_key); those before
        #: ``_next`` were done.
        self._due: list[tuple[int, int]] = []
        self._next = 0
        self._length_us = None if self._length is None else self._length // TICK
        self._days_seen: set[date] = set()
        self._first: datetime | None = None
        #: The last instant asked, the value then, and the day it was computed for.
        self.at: datetime | None = None
        self._at_key: int | None = None
        self._value: float | int | None = None
        self._day: date | None = None
        self._past: dict[date, Any] = {}
        self._past_best: Any = None
        self._combined = self._new_running()
        self._per_post: dict[str, Total] = {}
        self._known_posts: set[str] = set()
        self._largest_post = Largest()
        if like is not None:
            self._follow(like)
            return
        for key, series in index.entries():
            self._register(key, series)
        self._due.sort()

    def _follow(self, like: MeasureSweep) -> None:
        """
        Take the series and instants of *like*, a sweep not yet asked of a
        measure over the same index, window, channels and grouping (they
        count the same series and change at the same instants).
        """
        self._series = list(like._series)
        self._sites = list(like._sites)
        self._post_of = list(like._post_of)
        self._position = dict(like._position)
        self._due = list(like._due)
        self._days_seen = set(like._days_seen)
        self._first = like._first
        if self._custom is None and self._kind != "rate" and not self._posts:
            empty = False if self._seen_only else 0
            for i, series in enumerate(self._series):
                self._combined.set(i, self._sites[i], series.order, empty)

    # -- the series ------------------------------------------------------------------

    def _counts(self, key: SeriesKey) -> bool:
        channels = self._measure.channels
        if channels and key[1] not in channels:
            return False
        return not (self._posts and key[2] is None)

    def _register(self, key: SeriesKey, series: Series) -> None:
        if not self._counts(key):
            return
        i = len(self._series)
        self._series.append(series)
        self._sites.append(key[0])
        self._post_of.append(key[2])
        self._position[id(series)] = i
        if self._first is None or series.first < self._first:
            self._first = series.first
        if self._custom is None and self._kind != "rate" and not self._posts:
            # An unobserved series is a member too (0 in its window).
            self._combined.set(i, key[0], series.order, False if self._seen_only else 0)
        zero_at = getattr(series, "zero_at", None)
        length = self._length_us
        due = self._due
        if zero_at is not None and length is not None:
            # The posting-time zero leaves the window just after zero_at + length.
            zero = instant_key(zero_at) + length
            due.append((zero, i))
            due.append((zero + 1, i))
        if self._day_count:
            for at in series.times:
                self._reading(i, at)
            return
        for at_key in series.instant_keys():
            due.append((at_key, i))
            if length is not None:
                due.append((at_key + length, i))

    def _reading(self, i: int, at: datetime) -> None:
        key = instant_key(at)
        self._due.append((key, i))
        if self._length_us is not None:
            self._due.append((key + self._length_us, i))
        if self._day_count:
            day = at.astimezone(self._index.tz).date()
            if day not in self._days_seen:
                self._days_seen.add(day)
                for later in range(1, self._day_count + 1):
                    midnight = self._midnight(day + timedelta(days=later))
                    self._due.append((instant_key(midnight), _ALL))

    def add(self, key: SeriesKey, series: Series, new: bool, at: datetime) -> None:
        """
        Take a reading at *at* just appended to *series* (a *new* one or not).
        """
        before = len(self._due)
        if new:
            self._register(key, series)
            # Completed days' values count the new series too: recompute them.
            self._past.clear()
            self._day = None
        else:
            i = self._position.get(id(series))
            if i is None:
                return
            self._reading(i, at)
        if len(self._due) > before:
            # Only what is still due is kept: the readings of recent windows.
            self._due = sorted(self._due[self._next :])
            self._next = 0

    # -- the value -------------------------------------------------------------------

    def value(self, t: datetime, key: int | None = None) -> float | int | None:
        """
        The value at *t* (*key*: its :func:`instant_key`, if known): what
        ``SeriesIndex.value`` gives.
        """
        if key is None:
            key = instant_key(t)
        at_key = self._at_key
        if at_key is not None and key < at_key:  # t < self.at, compared as integers
            return self._index.value(self._measure, t, self._custom)
        self.at, self._at_key = t, key
        due, i = self._due, self._next
        if i >= len(due) or due[i][0] > key:
            return self._value
        touched: set[int] = set()
        end = len(due)
        while i < end and due[i][0] <= key:
            touched.add(due[i][1])
            i += 1
        self._next = i
        if self._custom is not None:
            self._value = self._index.value(self._measure, t, self._custom)
        elif self._kind == "rate":
            self._value = self._rate(t, touched)
        else:
            self._value = self._window(t, touched)
        return self._value

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self._index.tz)

    def _new_running(self) -> Running:
        aggregate = self._measure.aggregate
        if aggregate == "max":
            return Largest()
        if aggregate == "distinct_sites":
            above = self._measure.site_above
            return Sites() if above is None else SitesAbove(above)
        return Total()

    def _amount(self, i: int, start: datetime | None, end: datetime) -> Any:
        series = self._series[i]
        return series.seen_in(start, end) if self._seen_only else series.amount(start, end)

    def _window(self, t: datetime, touched: set[int]) -> float | int | None:
        if self._day_count:
            day = t.astimezone(self._index.tz).date()
            if day != self._day:
                self._new_day(day)
                touched = set(range(len(self._series)))
            start: datetime | None = self._midnight(day) - TICK
        else:
            start = None if self._length is None else t - self._length
        touched.discard(_ALL)
        if self._posts:
            return self._posts_value(t, start, touched)
        combined = self._combined
        for i in touched:
            combined.set(i, self._sites[i], self._series[i].order, self._amount(i, start, t))
        if self._first is None or self._first > t:
            return None
        value = combined.exact()
        past = self._past_best
        if past is not None and not value <= past:
            value = past
        return finish(value)

    def _posts_value(
        self, t: datetime, start: datetime | None, touched: set[int]
    ) -> float | int | None:
        changed: set[str] = set()
        for i in touched:
            post = self._post_of[i]
            assert post is not None  # noqa: S101 - only series naming a post count
            total = self._per_post.get(post)
            if total is None:
                total = self._per_post[post] = Total()
            total.set(i, None, None, self._series[i].amount(start, t))
            if self._series[i].first <= t:
                self._known_posts.add(post)
            changed.add(post)
        largest = self._largest_post
        past = self._past_best
        for post in changed:
            if post not in self._known_posts:
                continue
            value = self._per_post[post].exact()
            if past is not None:
                best = past.get(post, 0)
                if not value <= best:
                    value = best
            largest.set(post, None, post, finish(value))
        return largest.top()  # type: ignore[no-any-return]

    def _new_day(self, day: date) -> None:
        """
        Move to *day*: the completed days of a sustained window, and their
        smallest value (the first smallest, counting back from yesterday).
        """
        self._day = day
        days = [day - timedelta(days=back) for back in range(1, self._day_count)]
        self._past = {d: self._past[d] if d in self._past else self._completed(d) for d in days}
        if not days:
            self._past_best = None
        elif self._posts:
            posts = set().union(*(self._past[d] for d in days))
            self._past_best = {p: min(self._past[d].get(p, 0) for d in days) for p in posts}
        else:
            self._past_best = min(self._past[d] for d in days)

    def _completed(self, day: date) -> Any:
        """
        A completed day's value: the exact aggregate, or each post's.
        """
        start = self._midnight(day) - TICK
        end = self._midnight(day + timedelta(days=1)) - TICK
        if self._posts:
            per_post: dict[str, Total] = {}
            for i, series in enumerate(self._series):
                post = self._post_of[i]
                assert post is not None  # noqa: S101 - only series naming a post count
                per_post.setdefault(post, Total()).set(i, None, None, series.amount(start, end))
            return {post: total.exact() for post, total in per_post.items()}
        combined = self._new_running()
        for i, series in enumerate(self._series):
            combined.set(i, self._sites[i], series.order, self._amount(i, start, end))
        return combined.exact()

    def _rate(self, t: datetime, touched: set[int]) -> float | None:
        combined = self._combined
        assert isinstance(combined, Total | Largest)  # noqa: S101 - sum or max
        changed: set[str] = set()
        for i in touched:
            rate = self._series[i].rate(t)
            if self._posts:
                post = self._post_of[i]
                assert post is not None  # noqa: S101 - only series naming a post count
                total = self._per_post.setdefault(post, Total())
                if rate is None:
                    total.discard(i)
                else:
                    total.set(i, None, None, rate)
                changed.add(post)
            elif rate is None:
                combined.discard(i)
            else:
                combined.set(i, None, self._series[i].order, rate)
        if self._posts:
            largest = self._largest_post
            for post in changed:
                total = self._per_post[post]
                if total.now:
                    largest.set(post, None, post, total.exact())
                else:
                    largest.discard(post)
            top = largest.top()
            return None if top is None else float(top)
        if not combined.now:
            return None
        return float(combined.exact())


class SeriesSweep:
    """
    The sweeps of the measures over one metric's *index*, which take
    further readings as they come.
    """

    def __init__(
        self, index: SeriesIndex, measures: Sequence[tuple[Measure, Combine | None]]
    ) -> None:
        self.index = index
        self.measures: list[MeasureSweep] = []
        # Measures with the same window, channels and grouping count the same
        # series at the same instants: the first one's are worked out once.
        first: dict[tuple[object, ...], MeasureSweep] = {}
        for measure, custom in measures:
            alike = (measure.window, measure.channels, measure.over)
            sweep = MeasureSweep(index, measure, custom, first.get(alike))
            first.setdefault(alike, sweep)
            self.measures.append(sweep)

    def add(self, readings: Iterable[tuple[Reading, bool]]) -> None:
        """
        Append *readings* (a point, and whether it reads a total), in time
        order, each later than every instant a measure was asked at: then
        every value is what a fresh sweep over all readings gives.
        """
        asked = [m.at for m in self.measures if m.at is not None]
        latest = max(asked) if asked else None
        for point, total in readings:
            if latest is not None and point.at <= latest:
                raise ValueError(
                    f"a reading at {point.at.isoformat()} is not later than the last instant "
                    f"asked ({latest.isoformat()})"
                )
            key, series, new = self.index.add(point, total)
            for measure in self.measures:
                measure.add(key, series, new, point.at)
