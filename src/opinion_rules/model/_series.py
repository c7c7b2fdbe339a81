"""
Observations of one metric indexed by series for window queries at many
instants: the value of a measure at an instant, and the instants at which
it may change (see :mod:`opinion_rules.model._windows` for what windows
and measures mean).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Protocol
from zoneinfo import ZoneInfo

import attrs

from opinion_rules.model._extending import SeriesAmount
from opinion_rules.model._windows import Measure
from opinion_rules.time._arithmetic import TICK


__all__ = [
    "Combine",
    "Point",
    "Reading",
    "Series",
    "SeriesIndex",
    "SeriesKey",
    "exact",
    "finish",
    "instant_key",
]


class Reading(Protocol):
    """
    What an index reads of an observation (a :class:`Point`, or the
    observation itself: no copy needed).
    """

    @property
    def at(self) -> datetime: ...

    @property
    def value(self) -> float | int: ...

    @property
    def site(self) -> str | None: ...

    @property
    def channel(self) -> str | None: ...

    @property
    def post(self) -> str | None: ...


@attrs.frozen
class Point:
    """
    One observation reduced to what measures need.
    """

    at: datetime
    value: float | int
    site: str | None
    channel: str | None
    post: str | None = None


#: A plug-in aggregation, wrapped by the engine: the series in a window to a value.
Combine = Callable[[Sequence[SeriesAmount]], float | int | None]

#: A series: (site, channel, post).
SeriesKey = tuple[str | None, str | None, str | None]
_SeriesKey = SeriesKey


class SeriesIndex:
    """
    Observations of one metric, grouped by series and sorted, for fast
    window queries at many instants.
    """

    def __init__(
        self,
        totals: Mapping[_SeriesKey, Sequence[Reading]],
        increments: Mapping[_SeriesKey, Sequence[Reading]],
        posted_at: datetime | None,
        tz: ZoneInfo,
    ) -> None:
        self.tz = tz
        self._posted_at = posted_at
        # Totals first, then increments, each in order of first observation:
        # a series' ``order`` is its place, kept when series are added later.
        self._series: list[tuple[_SeriesKey, Series]] = [
            *(
                (key, _TotalSeries(points, posted_at, (0, i)))
                for i, (key, points) in enumerate(totals.items())
            ),
            *(
                (key, _IncrementSeries(points, posted_at, (1, i)))
                for i, (key, points) in enumerate(increments.items())
            ),
        ]
        self._counts = [len(totals), len(increments)]
        # Worked out when first needed (a walk that only sweeps never asks).
        self._by_key_map: dict[tuple[bool, _SeriesKey], Series] | None = None
        self._first_map: dict[str | None, datetime] | None = None

    @property
    def _by_key(self) -> dict[tuple[bool, _SeriesKey], Series]:
        """
        Each series by whether it reads totals, and its key.
        """
        if self._by_key_map is None:
            self._by_key_map = {
                (isinstance(series, _TotalSeries), key): series for key, series in self._series
            }
        return self._by_key_map

    @property
    def _first_by_channel(self) -> dict[str | None, datetime]:
        """
        The earliest observation instant on each channel.
        """
        if self._first_map is None:
            self._first_map = {}
            for key, series in self._series:
                self._note_first(key[1], series.first)
        return self._first_map

    def _note_first(self, channel: str | None, first: datetime) -> None:
        firsts = self._first_map
        if firsts is None:
            return  # worked out from every series when first asked
        known = firsts.get(channel)
        if known is None or first < known:
            firsts[channel] = first

    def entries(self) -> list[tuple[SeriesKey, Series]]:
        """
        Every series with its key, totals first (the order aggregates see them in).
        """
        return list(self._series)

    def add(self, point: Reading, total: bool) -> tuple[SeriesKey, Series, bool]:
        """
        Append *point* to its series (a new one if none): a reading of a
        total if *total*, an increment if not.  Return the series' key, the
        series and whether it is new.  The index then equals one built with
        *point* last; *point* may not be earlier than its series' last reading.
        """
        key = (point.site, point.channel, point.post)
        series = self._by_key.get((total, key))
        if series is not None:
            if point.at < series.times[-1]:
                raise ValueError(
                    f"a reading at {point.at.isoformat()} is earlier than its series' last "
                    f"({series.times[-1].isoformat()})"
                )
            series.append(point)
            return key, series, False
        kind = 0 if total else 1
        order = (kind, self._counts[kind])
        self._counts[kind] += 1
        series = (
            _TotalSeries([point], self._posted_at, order)
            if total
            else _IncrementSeries([point], self._posted_at, order)
        )
        self._by_key[(total, key)] = series
        # Totals stay before increments, as in a fresh index.
        place = self._counts[0] - 1 if total else len(self._series)
        self._series.insert(place, (key, series))
        self._note_first(point.channel, point.at)
        return key, series, True

    def first_known(self, channels: tuple[str, ...]) -> datetime | None:
        """
        The earliest observation instant on *channels* (all if empty).
        """
        times = [
            first
            for channel, first in self._first_by_channel.items()
            if not channels or channel in channels
        ]
        return min(times) if times else None

    def _posts_known(self, channels: tuple[str, ...], t: datetime) -> set[str]:
        return {
            post
            for (_site, channel, post), series in self._series
            if post is not None and series.first <= t and (not channels or channel in channels)
        }

    def value(
        self, measure: Measure, t: datetime, custom: Combine | None = None
    ) -> float | int | None:
        """
        The value of *measure* at *t*, or ``None`` while it is unknown;
        *custom* combines the series for a plug-in's aggregation.
        """
        if custom is not None:
            return self._custom(measure, t, custom)
        if measure.window.kind == "rate":
            return self._rate(measure, t)
        if measure.over == "posts":
            # Only posts observed by t count: a post not seen yet has no value.
            posts = self._posts_known(measure.channels, t)
            if not posts:
                return None
            return max(self._window_value(measure, t, post) for post in sorted(posts))
        first = self.first_known(measure.channels)
        if first is None or first > t:
            return None
        return self._window_value(measure, t, None)

    def _rate(self, measure: Measure, t: datetime) -> float | int | None:
        """
        Each series' increase since its previous reading, per hour, at *t*;
        ``None`` while no series (of a post, for ``over="posts"``) has one.
        """
        groups: dict[str | None, list[Fraction]] = {}
        for (_site, channel, post), series in self._series:
            if measure.channels and channel not in measure.channels:
                continue
            if measure.over == "posts" and post is None:
                continue
            value = series.rate(t)
            if value is not None:
                groups.setdefault(post if measure.over == "posts" else None, []).append(value)
        if not groups:
            return None
        if measure.over == "posts":
            return finish(max(sum(rates, start=Fraction(0)) for rates in groups.values()))
        (rates,) = groups.values()
        return finish(max(rates) if measure.aggregate == "max" else sum(rates, start=Fraction(0)))

    def _window_value(self, measure: Measure, t: datetime, post: str | None) -> float | int:
        """
        The window value at *t*, of the series naming *post* only if given.
        """
        window = measure.window
        if window.kind == "sustained":
            assert window.days is not None  # noqa: S101 - checked at construction
            today = t.astimezone(self.tz).date()
            daily = [
                self._amount(measure, self._midnight(day) - TICK, end, post)
                for back in range(window.days)
                for day in [today - timedelta(days=back)]
                for end in [t if back == 0 else self._midnight(day + timedelta(days=1)) - TICK]
            ]
            return finish(min(daily))
        if window.kind == "calendar_day":
            start: datetime | None = self._midnight(t.astimezone(self.tz).date()) - TICK
        else:
            start = None if window.length is None else t - window.length
        return finish(self._amount(measure, start, t, post))

    def _custom(self, measure: Measure, t: datetime, custom: Combine) -> float | int | None:
        """
        A plug-in aggregation's value: *custom* over the amount of every
        series observed by *t* in each window (the smallest daily value for
        a sustained window); unknown before anything is observed.
        """
        first = self.first_known(measure.channels)
        if first is None or first > t:
            return None
        window = measure.window
        if window.kind == "sustained":
            assert window.days is not None  # noqa: S101 - checked at construction
            today = t.astimezone(self.tz).date()
            daily = []
            for back in range(window.days):
                day = today - timedelta(days=back)
                end = t if back == 0 else self._midnight(day + timedelta(days=1)) - TICK
                daily.append(custom(self._amounts(measure, self._midnight(day) - TICK, end)))
            known = [v for v in daily if v is not None]
            return min(known) if len(known) == len(daily) else None
        if window.kind == "calendar_day":
            start: datetime | None = self._midnight(t.astimezone(self.tz).date()) - TICK
        else:
            start = None if window.length is None else t - window.length
        return custom(self._amounts(measure, start, t))

    def _amounts(self, measure: Measure, start: datetime | None, t: datetime) -> list[SeriesAmount]:
        return [
            SeriesAmount(site, channel, post, finish(series.amount(start, t)))
            for (site, channel, post), series in self._series
            if series.first <= t and (not measure.channels or channel in measure.channels)
        ]

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.tz)

    def _amount(
        self, measure: Measure, start: datetime | None, t: datetime, post: str | None
    ) -> Fraction | int:
        """
        The aggregate over the window ``(start, t]`` (everything to *t* if
        *start* is ``None``); with *post*, the sum of that post's series.
        """
        if post is not None:
            return sum(
                (
                    series.amount(start, t)
                    for (_site, channel, named), series in self._series
                    if named == post and (not measure.channels or channel in measure.channels)
                ),
                start=0,
            )
        per_series: list[Fraction | int] = []
        sites: set[str | None] = set()
        per_site: dict[str | None, Fraction | int] = {}
        above = measure.site_above
        for (site, channel, _post), series in self._series:
            if measure.channels and channel not in measure.channels:
                continue
            if measure.aggregate == "distinct_sites" and above is not None:
                per_site[site] = per_site.get(site, 0) + series.amount(start, t)
            elif measure.aggregate == "distinct_sites":
                if series.seen_in(start, t):
                    sites.add(site)
            else:
                per_series.append(series.amount(start, t))
        if measure.aggregate == "distinct_sites" and above is not None:
            bar = exact(above)
            return sum(1 for amount in per_site.values() if amount > bar)
        if measure.aggregate == "distinct_sites":
            return len(sites)
        if measure.aggregate == "max":
            return max(per_series, default=0)
        return sum(per_series)

    def change_points(self, measure: Measure) -> list[datetime]:
        """
        Instants at which *measure*'s value may change, in the order: each
        series' readings (each followed by the instant it leaves a rolling
        window) and its posting-time zero leaving the window, then the ends
        of the days after days with readings.
        """
        window = measure.window
        length = window.length
        channels = measure.channels
        posts = measure.over == "posts"
        day_windows = {"calendar_day": 1, "sustained": window.days or 0}.get(window.kind, 0)
        days: set[date] = set()
        out: list[datetime] = []
        append = out.append
        for (_site, channel, post), series in self._series:
            if channels and channel not in channels:
                continue
            if posts and post is None:
                continue
            if length is None:
                out.extend(series.times)
            else:
                for at in series.times:
                    append(at)
                    # The observation leaves the window (t - w, t] at at + w.
                    append(at + length)
            if day_windows:
                tz = self.tz
                for at in series.times:
                    days.add(at.astimezone(tz).date())
            zero_at = getattr(series, "zero_at", None)
            if zero_at is not None and length is not None:
                # The posting-time zero baseline leaves the window too.
                append(zero_at + length)
        for day in days:
            # A day's amount counts until the window has moved past it.
            for later in range(1, day_windows + 1):
                append(self._midnight(day + timedelta(days=later)))
        return out


def _per_hour(
    times: Sequence[datetime], t: datetime, zero_at: datetime | None
) -> tuple[int, int, datetime] | None:
    """
    The indexes ``lo..hi`` of the latest reading at or before *t* (readings
    at one instant are one reading) and the instant of the reading before it
    (the posting instant before the first), if any.
    """
    hi = bisect.bisect_right(times, t) - 1
    if hi < 0:
        return None
    lo = bisect.bisect_left(times, times[hi])
    if lo > 0:
        return lo, hi, times[lo - 1]
    if zero_at is not None and zero_at < times[0]:
        return 0, hi, zero_at
    return None


def _hours(start: datetime, end: datetime) -> Fraction:
    span = end - start
    return Fraction(span.days * 86400 + span.seconds, 3600) + Fraction(
        span.microseconds, 3600 * 10**6
    )


class _Readings:
    """What both kinds of series keep: the readings' instants and values."""

    __slots__ = ("_keys", "first", "order", "times", "values")
    _keys: list[int] | None
    first: datetime
    order: tuple[int, int]
    times: list[datetime]
    values: list[float | int]

    def instant_keys(self) -> list[int]:
        """
        The reading instants as :func:`instant_key` gives them (worked out
        once, for every measure over the series).
        """
        keys = self._keys
        if keys is None or len(keys) != len(self.times):
            keys = self._keys = [instant_key(t) for t in self.times]
        return keys


class _TotalSeries(_Readings):
    __slots__ = ("zero_at",)

    def __init__(
        self, points: Sequence[Reading], posted_at: datetime | None, order: tuple[int, int]
    ) -> None:
        self.times = [p.at for p in points]
        self.values = [p.value for p in points]
        self.first = self.times[0]
        # Incident validation guarantees posted_at <= every observation.
        self.zero_at = posted_at
        self.order = order
        self._keys = None

    def append(self, point: Reading) -> None:
        self.times.append(point.at)
        self.values.append(point.value)

    def rate(self, t: datetime) -> Fraction | None:
        found = _per_hour(self.times, t, self.zero_at)
        if found is None:
            return None
        lo, hi, before = found
        previous = exact(self.values[lo - 1]) if lo else 0
        return (exact(self.values[hi]) - previous) / _hours(before, self.times[hi])

    def _value_at(self, x: datetime) -> float | int:
        i = bisect.bisect_right(self.times, x)
        if i:
            return self.values[i - 1]
        if self.zero_at is not None and x <= self.zero_at:
            # The statement did not exist yet: every counter was 0.
            return 0
        # Between posting (or the unknown past) and the first snapshot the
        # value is unknown but at most the first snapshot; using the first
        # snapshot as the baseline makes window growth a lower bound.
        return self.values[0]

    def amount(self, start: datetime | None, end: datetime) -> Fraction | int:
        if start is None:
            i = bisect.bisect_right(self.times, end)
            return exact(self.values[i - 1]) if i else 0
        if end < self.first:
            # No reading at or before `end`: nothing is known yet, and using
            # a later reading would look ahead.  The lower bound is 0.
            return 0
        return exact(self._value_at(end)) - exact(self._value_at(start))

    def seen_in(self, start: datetime | None, end: datetime) -> bool:
        return _any_in(self.times, start, end)


class _IncrementSeries(_Readings):
    __slots__ = ("_prefix", "_zero_at")

    def __init__(
        self, points: Sequence[Reading], posted_at: datetime | None, order: tuple[int, int]
    ) -> None:
        self.times = []
        self.values = []
        self.first = points[0].at
        self._zero_at = posted_at
        self.order = order
        self._keys = None
        # Exact prefix sums: a difference of float prefix sums can differ
        # from the window's true sum and flip a threshold comparison.
        self._prefix: list[Fraction | int] = [0]
        for p in points:
            self.append(p)

    def append(self, point: Reading) -> None:
        self.times.append(point.at)
        self.values.append(point.value)
        self._prefix.append(self._prefix[-1] + exact(point.value))

    def rate(self, t: datetime) -> Fraction | None:
        found = _per_hour(self.times, t, self._zero_at)
        if found is None:
            return None
        lo, hi, before = found
        added = sum((exact(v) for v in self.values[lo : hi + 1]), start=Fraction(0))
        return added / _hours(before, self.times[hi])

    def amount(self, start: datetime | None, end: datetime) -> Fraction | int:
        hi = bisect.bisect_right(self.times, end)
        lo = 0 if start is None else bisect.bisect_right(self.times, start)
        return self._prefix[hi] - self._prefix[lo] if hi > lo else 0

    def seen_in(self, start: datetime | None, end: datetime) -> bool:
        return _any_in(self.times, start, end)


#: One series of a :class:`SeriesIndex`: a total's readings or increments.
Series = _TotalSeries | _IncrementSeries


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def instant_key(t: datetime) -> int:
    """
    *t* as microseconds since 1970 UTC: instants of any timezone compared
    exactly and fast (aware datetimes of different offsets compare slowly).
    """
    return (t - _EPOCH) // TICK


def exact(value: float) -> Fraction | int:
    """
    The exact value of an observation: floats become fractions.
    """
    return Fraction(value) if isinstance(value, float) else value


def finish(value: Fraction | int) -> float | int:
    """
    Round an exact result once: integers stay integers, the rest are floats.
    """
    if type(value) is int:  # most values: decided without the abstract-class check
        return value
    return float(value) if isinstance(value, Fraction) else value


def _any_in(times: Sequence[datetime], start: datetime | None, end: datetime) -> bool:
    hi = bisect.bisect_right(times, end)
    lo = 0 if start is None else bisect.bisect_right(times, start)
    return hi > lo
