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

from collections.abc import Iterable
from datetime import timedelta
from typing import Literal

import attrs

from opinion_rules._limits import LONGEST_PERIOD, period_problem
from opinion_rules._validators import is_identifier, positive_duration


__all__ = ["Measure", "Window", "calendar_day", "cumulative", "rate", "rolling", "sustained"]

#: ``sum``, ``max``, ``distinct_sites``, or the name of a plug-in's aggregation.
Aggregate = str
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
    # A plug-in's aggregation is any other identifier; whether an enabled
    # plug-in provides it is checked where plug-ins are known (load, Engine).
    if not isinstance(value, str) or not (value.isascii() and value.isidentifier()):
        raise ValueError(
            f"'{attribute.name}' must be one of {list(_AGGREGATES)} or the name of a plug-in's "
            f"aggregation (got {value!r})"
        )


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
        aggregate: ``sum`` over series (default), ``max`` of one series,
            ``distinct_sites``, or the name of an aggregation an enabled
            plug-in provides (:class:`~opinion_rules.hookspecs.Aggregation`).
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
    .. versionchanged:: 0.6.0 *site_above*, *over*; plug-in aggregations.
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
        if self.window.kind == "rate" and self.aggregate not in ("sum", "max"):
            raise ValueError(
                f"a rate measure ({self.id!r}) takes 'sum' or 'max' (got {self.aggregate!r})"
            )
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
