"""
Measures: a metric, a window and an aggregation, declared by the plan.

A measure's value at instant *t* is derived from the incident's observations
with ``at <= t`` only.  See ``docs/explanation/evaluation-semantics.md`` for
the exact derivation; in short:

* Observations are grouped in *series* by ``(metric, site, channel, post)``.
* ``kind="total"`` observations are cumulative snapshots.  The series value
  ``V(x)`` is the latest snapshot at or before *x*.  Before a series' first
  snapshot its value is not known; the engine uses the first snapshot as the
  baseline (so counts are lower bounds: only growth the data proves is
  counted), except that when the incident has ``posted_at``, the series is
  known to be 0 at ``posted_at``.
* ``kind="increment"`` observations each add their value at their instant.
* A ``rolling`` window of length *w* at *t* covers ``(t - w, t]``: the growth
  ``V(t) - V(t - w)`` for totals, the sum of increments inside it otherwise.
* A ``cumulative`` window covers everything up to *t*.
* A ``calendar_day`` window covers *t*'s local day up to *t*: from local
  midnight (included) to *t* (included), in the plan's timezone.
* A ``sustained`` window of *days* N is the smallest of the calendar-day
  values of the N local days ending with *t*'s day (today counted up to
  *t*), so ``> X`` holds exactly when every one of those days exceeded X
  ("持续N天…均超过X").
* ``sum`` adds the series, ``max`` takes the largest series, and
  ``distinct_sites`` counts sites with at least one observation in the window;
  with ``site_above`` X it counts only sites whose own value in the window
  (their series added) is above X ("sites where the post spread", not sites
  that reported 0).
* ``over="posts"`` (with ``max``) takes the largest value among posts: each
  post's value is the measure's window value over the series that name that
  post ("单条帖文24小时内转发超过200次"); observations that name no post do
  not count for it.
* A ``rate`` window is the increase of each series since its previous
  reading, per hour ("增速"), held until its next reading: a total's
  difference, or an increment's value, over the hours between the two
  readings (the posting instant counts as a reading of 0 before a total's or
  an increment's first).  ``sum`` adds the series that have a rate, ``max``
  takes the largest; a rate measure is unknown until one series has one.
* A measure is unknown (not 0) until at least one observation of its metric
  (after the channel filter; for ``over="posts"``, naming a post) is known.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

import attrs

from opinion_rules._limits import LONGEST_PERIOD, period_problem
from opinion_rules._validators import is_identifier, positive_duration
from opinion_rules.time._arithmetic import TICK


__all__ = ["Measure", "Window", "calendar_day", "cumulative", "rate", "rolling", "sustained"]

Aggregate = Literal["sum", "max", "distinct_sites"]
_AGGREGATES = ("sum", "max", "distinct_sites")

Over = Literal["series", "posts"]
_OVERS = ("series", "posts")


WindowKind = Literal["rolling", "cumulative", "calendar_day", "sustained", "rate"]
_WINDOW_KINDS = ("rolling", "cumulative", "calendar_day", "sustained", "rate")


@attrs.frozen
class Window:
    """
    The span of time a measure counts over.  Always explicit: the plan says
    whether "1天内" is the last 24 hours or the calendar day.

    Args:
        kind: ``rolling`` (the last *length* up to the evaluation instant,
            start excluded, end included), ``cumulative`` (everything up to
            the evaluation instant), ``calendar_day`` (the evaluation
            instant's local day so far: "单日", "当日") or ``sustained``
            (the smallest calendar-day value over *days* consecutive days:
            "持续7天") or ``rate`` (the increase since the previous
            reading, per hour: "增速").
        length: For ``rolling`` windows: how long, e.g. 24 hours for "1天内".
        days: For ``sustained`` windows: how many consecutive days.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.3.0 ``calendar_day`` and ``sustained``.
    .. versionchanged:: 0.6.0 ``rate``.
    """

    kind: WindowKind
    length: timedelta | None = None
    days: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind not in _WINDOW_KINDS:
            raise ValueError(f"'kind' must be one of {list(_WINDOW_KINDS)} (got {self.kind!r})")
        if self.kind == "rolling":
            positive_duration(self, attrs.fields(Window).length, self.length)
            problem = period_problem(self.length)  # type: ignore[arg-type]
            if problem is not None:
                raise ValueError(f"a rolling window {problem} (got {self.length})")
        elif self.length is not None:
            raise ValueError(f"a {self.kind} window takes no 'length'")
        if self.kind == "sustained":
            if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 1:
                raise ValueError(
                    f"a sustained window needs 'days', a whole number >= 1 (got {self.days!r})"
                )
            if self.days > LONGEST_PERIOD.days:
                raise ValueError(
                    f"a sustained window of {self.days} days is longer than the longest "
                    f"supported period ({LONGEST_PERIOD.days} days)"
                )
        elif self.days is not None:
            raise ValueError(f"a {self.kind} window takes no 'days'")

    def describe(self) -> str:
        """
        Render the window in words, e.g. ``in 24 h``.
        """
        if self.kind == "calendar_day":
            return "on the day"
        if self.kind == "rate":
            return "per hour since the previous reading"
        if self.kind == "sustained":
            return f"on each of {self.days} consecutive days"
        if self.length is None:
            return "in total"
        seconds = int(self.length.total_seconds())
        if seconds % 86400 == 0:
            return f"in {seconds // 86400} d"
        if seconds % 3600 == 0:
            return f"in {seconds // 3600} h"
        return f"in {seconds // 60} min" if seconds % 60 == 0 else f"in {seconds} s"


def rolling(*, days: float = 0, hours: float = 0, minutes: float = 0) -> Window:
    """
    A rolling window, e.g. ``rolling(days=1)`` for "1天内" read as 24 hours.

    .. versionadded:: 0.1.0
    """
    return Window("rolling", timedelta(days=days, hours=hours, minutes=minutes))


def cumulative() -> Window:
    """
    A window covering everything up to the evaluation instant.

    .. versionadded:: 0.1.0
    """
    return Window("cumulative")


def calendar_day() -> Window:
    """
    The evaluation instant's local calendar day so far ("单日", "当日").

    .. versionadded:: 0.3.0
    """
    return Window("calendar_day")


def sustained(*, days: int) -> Window:
    """
    Every one of *days* consecutive local days ("持续7天"): the measure's
    value is the smallest daily value among them.

    .. versionadded:: 0.3.0
    """
    return Window("sustained", days=days)


def rate() -> Window:
    """
    The increase since the previous reading, per hour ("增速").

    .. versionadded:: 0.6.0
    """
    return Window("rate")


def _is_aggregate(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in _AGGREGATES:
        raise ValueError(f"'{attribute.name}' must be one of {list(_AGGREGATES)} (got {value!r})")


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError(f"expected a list of names, not the string {values!r}")
    return tuple(values)


@attrs.frozen
class Measure:
    """
    A named quantity that grade criteria compare against thresholds.

    Args:
        id: Identifier used in conditions: ``measure("clicks_1d") > 1000``.
        metric: The observation metric it counts, e.g. ``clicks``.
        window: :func:`rolling`, :func:`cumulative`, :func:`calendar_day`
            or :func:`sustained`.
        aggregate: ``sum`` over series (default), ``max`` of one series, or
            ``distinct_sites``.
        channels: Only observations on these channels count; empty means all.
        label: Words for reasons, e.g. ``跟贴点击次数(1天内)``.
        site_above: For ``distinct_sites``: count only sites whose value in
            the window (all their series added) is strictly above this
            number; ``None`` (default) counts every site observed in it.
        over: ``series`` (default): *aggregate* combines the series;
            ``posts`` (with ``max``): the largest value of one post, each
            post's value counting the observations that name it
            ("单条帖文…").

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.6.0 *site_above*, *over*.
    """

    id: str = attrs.field(validator=is_identifier)
    metric: str = attrs.field(validator=is_identifier)
    window: Window = attrs.field(validator=attrs.validators.instance_of(Window))
    aggregate: Aggregate = attrs.field(default="sum", validator=_is_aggregate)
    channels: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    label: str = ""
    site_above: int | float | None = None
    over: Over = "series"

    def __attrs_post_init__(self) -> None:
        if self.over not in _OVERS:
            raise ValueError(f"'over' must be one of {list(_OVERS)} (got {self.over!r})")
        if self.over == "posts" and self.aggregate != "max":
            raise ValueError(
                f"'over: posts' goes with aggregate 'max' (measure {self.id!r} "
                f"is {self.aggregate!r})"
            )
        if self.window.kind == "rate" and self.aggregate == "distinct_sites":
            raise ValueError(f"a rate measure ({self.id!r}) takes 'sum' or 'max', not a site count")
        if self.site_above is None:
            return
        value = self.site_above
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise ValueError(f"'site_above' must be a number >= 0 (got {value!r})")
        if value == float("inf"):
            raise ValueError(f"'site_above' must be finite (got {value!r})")
        if self.aggregate != "distinct_sites":
            raise ValueError(
                f"'site_above' goes with aggregate 'distinct_sites' (measure {self.id!r} "
                f"is {self.aggregate!r})"
            )

    def describe(self) -> str:
        """
        Words for this measure in reasons: its label, or a generated name.
        """
        if self.label:
            return self.label
        what = "sites" if self.aggregate == "distinct_sites" else self.metric
        if self.site_above is not None:
            what = f"sites with {self.metric} > {self.site_above}"
        scope = f" on {'/'.join(self.channels)}" if self.channels else ""
        if self.over == "posts":
            what = f"{what} of one post"
        return f"{what}{scope} {self.window.describe()}"


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


#: A series: (site, channel, post).
_SeriesKey = tuple[str | None, str | None, str | None]


class SeriesIndex:
    """
    Observations of one metric, grouped by series and sorted, for fast
    window queries at many instants.
    """

    def __init__(
        self,
        totals: dict[_SeriesKey, Sequence[Point]],
        increments: dict[_SeriesKey, Sequence[Point]],
        posted_at: datetime | None,
        tz: ZoneInfo,
    ) -> None:
        self._tz = tz
        self._series: list[tuple[_SeriesKey, _TotalSeries | _IncrementSeries]] = [
            *((key, _TotalSeries(points, posted_at)) for key, points in totals.items()),
            *((key, _IncrementSeries(points, posted_at)) for key, points in increments.items()),
        ]
        self._first_by_channel: dict[str | None, datetime] = {}
        for key, series in self._series:
            channel = key[1]
            known = self._first_by_channel.get(channel)
            if known is None or series.first < known:
                self._first_by_channel[channel] = series.first

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

    def value(self, measure: Measure, t: datetime) -> float | int | None:
        """
        The value of *measure* at *t*, or ``None`` while it is unknown.
        """
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
            today = t.astimezone(self._tz).date()
            daily = [
                self._amount(measure, self._midnight(day) - TICK, end, post)
                for back in range(window.days)
                for day in [today - timedelta(days=back)]
                for end in [t if back == 0 else self._midnight(day + timedelta(days=1)) - TICK]
            ]
            return finish(min(daily))
        if window.kind == "calendar_day":
            start: datetime | None = self._midnight(t.astimezone(self._tz).date()) - TICK
        else:
            start = None if window.length is None else t - window.length
        return finish(self._amount(measure, start, t, post))

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self._tz)

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

    def change_points(self, measure: Measure) -> Iterable[datetime]:
        """
        Instants at which *measure*'s value may change.
        """
        window = measure.window
        day_windows = {"calendar_day": 1, "sustained": window.days or 0}.get(window.kind, 0)
        days: set[date] = set()
        for (_site, channel, post), series in self._series:
            if measure.channels and channel not in measure.channels:
                continue
            if measure.over == "posts" and post is None:
                continue
            for at in series.times:
                yield at
                if window.length is not None:
                    # The observation leaves the window (t - w, t] at at + w.
                    yield at + window.length
                if day_windows:
                    days.add(at.astimezone(self._tz).date())
            zero_at = getattr(series, "zero_at", None)
            if zero_at is not None and window.length is not None:
                # The posting-time zero baseline leaves the window too.
                yield zero_at + window.length
        for day in days:
            # A day's amount counts until the window has moved past it.
            for later in range(1, day_windows + 1):
                yield self._midnight(day + timedelta(days=later))


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


class _TotalSeries:
    def __init__(self, points: Sequence[Point], posted_at: datetime | None) -> None:
        self.times = [p.at for p in points]
        self.values = [p.value for p in points]
        self.first = self.times[0]
        # Incident validation guarantees posted_at <= every observation.
        self.zero_at = posted_at

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


class _IncrementSeries:
    def __init__(self, points: Sequence[Point], posted_at: datetime | None) -> None:
        self.times = [p.at for p in points]
        self.values = [p.value for p in points]
        self.first = self.times[0]
        self._zero_at = posted_at
        # Exact prefix sums: a difference of float prefix sums can differ
        # from the window's true sum and flip a threshold comparison.
        self._prefix: list[Fraction | int] = [0]
        for p in points:
            self._prefix.append(self._prefix[-1] + exact(p.value))

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


def exact(value: float) -> Fraction | int:
    """
    The exact value of an observation: floats become fractions.
    """
    return Fraction(value) if isinstance(value, float) else value


def finish(value: Fraction | int) -> float | int:
    """
    Round an exact result once: integers stay integers, the rest are floats.
    """
    return float(value) if isinstance(value, Fraction) else value


def _any_in(times: Sequence[datetime], start: datetime | None, end: datetime) -> bool:
    hi = bisect.bisect_right(times, end)
    lo = 0 if start is None else bisect.bisect_right(times, start)
    return hi > lo
