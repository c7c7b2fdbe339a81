"""
The sweep (opinion_rules.model._series_sweep) equals the direct computation
(SeriesIndex.value) at every instant, for every window, aggregate and series
shape, also after readings are appended to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.engine._timeline import _index
from opinion_rules.model._extending import SeriesAmount
from opinion_rules.model._series import Combine, Point, SeriesIndex
from opinion_rules.model._series_sweep import MeasureSweep, SeriesSweep
from opinion_rules.windows import calendar_day, cumulative, rate, rolling, sustained


SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 11, 22, 20, 0, tzinfo=SHANGHAI)
CHANNELS = ("c0", "c1")


def _spread(series: Sequence[SeriesAmount]) -> float | int | None:
    """The largest amount minus the smallest; unknown without two series."""
    amounts = [s.amount for s in series]
    return max(amounts) - min(amounts) if len(amounts) >= 2 else None


def _positive(series: Sequence[SeriesAmount]) -> int:
    """How many series grew in the window."""
    return sum(1 for s in series if s.amount > 0)


CUSTOM: dict[str, Combine] = {"spread": _spread, "positive": _positive}

windows = st.one_of(
    st.integers(1, 40).map(lambda h: rolling(hours=h)),
    st.integers(1, 90).map(lambda m: rolling(minutes=m)),
    st.just(cumulative()),
    st.just(calendar_day()),
    st.integers(1, 3).map(lambda d: sustained(days=d)),
    st.just(rate()),
)


@st.composite
def measures(draw: st.DrawFn) -> o.Measure:
    """A measure of any window, aggregate, channel filter and ``over``."""
    window = draw(windows)
    kinds = ["sum", "max", "posts"]
    if window.kind != "rate":
        kinds += ["distinct_sites", "sites_above", "spread", "positive"]
    aggregate = draw(st.sampled_from(kinds))
    return o.Measure(
        "q",
        metric="m",
        window=window,
        aggregate={"posts": "max", "sites_above": "distinct_sites"}.get(aggregate, aggregate),
        channels=draw(st.lists(st.sampled_from(CHANNELS), unique=True, max_size=1)),
        site_above=draw(st.sampled_from([0, 0.5, 7])) if aggregate == "sites_above" else None,
        over="posts" if aggregate == "posts" else "series",
    )


minutes = st.integers(0, 4 * 24 * 60)
values = st.one_of(st.integers(0, 30), st.sampled_from([0.5, 1e-05, 10.0, 3.25]))


@st.composite
def readings(draw: st.DrawFn) -> tuple[list[o.Observation], datetime | None]:
    """Observations of one metric over four days (some series totals, some
    increments), in Asia/Shanghai or UTC, and maybe a posting instant."""
    posted = draw(st.one_of(st.none(), st.integers(0, 600)))
    low = 0 if posted is None else posted
    zone = draw(st.sampled_from([SHANGHAI, UTC]))
    kinds: dict[tuple[str | None, str | None, str | None], str] = {}
    out = []
    for _ in range(draw(st.integers(0, 12))):
        key = (
            draw(st.sampled_from(["s0", "s1", "s2", None])),
            draw(st.sampled_from([*CHANNELS, None])),
            draw(st.sampled_from(["p0", "p1", None])),
        )
        kind = kinds.setdefault(key, draw(st.sampled_from(["total", "increment"])))
        at = (BASE + timedelta(minutes=draw(minutes.filter(lambda m: m >= low)))).astimezone(zone)
        out.append(o.Observation(at, "m", draw(values), key[0], key[1], kind, key[2]))
    return out, None if posted is None else BASE + timedelta(minutes=posted)


def typed(value: object) -> tuple[str, object]:
    """A value with its type: 3 and 3.0 differ in results."""
    return type(value).__name__, value


def instants(index: SeriesIndex, measure: o.Measure, extra: list[int]) -> list[datetime]:
    """The measure's change points and other instants, in order."""
    points = set(index.change_points(measure))
    points.update(BASE + timedelta(minutes=m) for m in extra)
    return sorted(points)


@given(
    data=readings(),
    measure=measures(),
    tz=st.sampled_from([SHANGHAI, ZoneInfo("UTC")]),
    extra=st.lists(st.integers(-60, 6 * 24 * 60), max_size=6),
)
def test_sweep_equals_the_direct_computation_at_every_instant(data, measure, tz, extra):
    """At every change point (and at instants between them) the sweep gives SeriesIndex.value."""
    observations, posted = data
    index = _index(observations, posted, tz).get("m", SeriesIndex({}, {}, posted, tz))
    custom = CUSTOM.get(measure.aggregate)
    sweep = MeasureSweep(index, measure, custom)

    for t in instants(index, measure, extra):
        assert typed(index.value(measure, t, custom)) == typed(sweep.value(t))


@given(
    data=readings(),
    measure=measures(),
    cut=minutes,
    extra=st.lists(st.integers(0, 6 * 24 * 60), max_size=6),
)
def test_readings_appended_later_give_what_a_fresh_sweep_gives(data, measure, cut, extra):
    """A sweep asked up to an instant, then given the readings after it, equals a fresh one."""
    observations, posted = data
    ordered = sorted(observations, key=lambda ob: ob.at)
    until = BASE + timedelta(minutes=cut)
    early = [ob for ob in ordered if ob.at <= until]
    custom = CUSTOM.get(measure.aggregate)
    full = _index(ordered, posted, SHANGHAI).get("m", SeriesIndex({}, {}, posted, SHANGHAI))
    grown = _index(early, posted, SHANGHAI).get("m", SeriesIndex({}, {}, posted, SHANGHAI))
    sweep = SeriesSweep(grown, [(measure, custom)])
    points = instants(full, measure, extra)

    for t in [p for p in points if p <= until] + [until]:
        sweep.measures[0].value(t)
    sweep.add(
        (Point(ob.at, ob.value, ob.site, ob.channel, ob.post), ob.kind == "total")
        for ob in ordered
        if ob.at > until
    )

    for t in [p for p in points if p > until]:
        assert typed(full.value(measure, t, custom)) == typed(sweep.measures[0].value(t))


def test_an_earlier_instant_is_computed_directly():
    """Asked at an instant before the last one, the sweep answers as SeriesIndex.value does."""
    observations = [
        o.Observation(BASE + timedelta(hours=h), "m", 10 * h, "s0", None, "total") for h in range(5)
    ]
    index = _index(observations, None, SHANGHAI)["m"]
    measure = o.Measure("q", "m", rolling(hours=2))
    sweep = MeasureSweep(index, measure)

    assert [20, 10] == [
        sweep.value(BASE + timedelta(hours=4)),
        sweep.value(BASE + timedelta(hours=1)),
    ]


def test_a_reading_not_later_than_the_last_instant_asked_is_refused():
    """Readings are appended only after every instant the sweep was asked at."""
    observation = Point(BASE, 3, "s0", None)
    sweep = SeriesSweep(
        SeriesIndex({}, {}, None, SHANGHAI), [(o.Measure("q", "m", cumulative()), None)]
    )
    sweep.measures[0].value(BASE)

    with pytest.raises(ValueError, match="not later than the last instant asked"):
        sweep.add([(observation, True)])
