"""
Measures over windows: the indexed computation equals a brute-force
recomputation, and grades are reached at the first instant a bound is passed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules import conditions
from opinion_rules.engine._timeline import _index
from opinion_rules.windows import rolling

from . import strategies as s


TZ = ZoneInfo("Asia/Shanghai")


def brute_force(
    measure: o.Measure, observations: list[o.Observation], posted: datetime | None, t: datetime
) -> float | int | None:
    """
    Recompute a measure from its definition with linear scans.
    """
    if measure.over == "posts":
        # The largest of each post's own window value.
        per_post = attrs.evolve(measure, over="series", aggregate="sum")
        posts = {ob.post for ob in observations if ob.post is not None}
        values = [
            brute_force(per_post, [ob for ob in observations if ob.post == post], posted, t)
            for post in posts
        ]
        known = [value for value in values if value is not None]
        return max(known) if known else None
    seen = [
        ob
        for ob in observations
        if ob.metric == measure.metric
        and ob.at <= t
        and (not measure.channels or ob.channel in measure.channels)
    ]
    if not seen:
        return None
    series: dict[tuple[str | None, str | None, str | None], list[o.Observation]] = {}
    for ob in sorted(observations, key=lambda x: x.at):
        if (
            ob.at <= t
            and ob.metric == measure.metric
            and (not measure.channels or ob.channel in measure.channels)
        ):
            series.setdefault((ob.site, ob.channel, ob.post), []).append(ob)

    if measure.window.kind == "rate":
        return brute_force_rate(measure, series, posted)

    def total_at(points: list[o.Observation], x: datetime) -> float | int:
        before = [p for p in points if p.at <= x]
        if before:
            return before[-1].value
        if posted is not None and x <= posted:
            return 0
        return points[0].value

    def over(start: datetime | None, end: datetime) -> Fraction | int:
        """The aggregate over (start, end], by linear scans."""
        amounts = []
        sites = set()
        per_site: dict[str | None, Fraction] = {}
        for (site, _channel, _post), points in series.items():
            inside = [p for p in points if p.at <= end and (start is None or p.at > start)]
            if inside:
                sites.add(site)
            if points[0].kind == "increment":
                amounts.append(sum(Fraction(p.value) for p in inside))
            elif start is None:
                before = [p for p in points if p.at <= end]
                amounts.append(Fraction(before[-1].value) if before else Fraction(0))
            elif not any(p.at <= end for p in points):
                amounts.append(Fraction(0))
            else:
                amounts.append(Fraction(total_at(points, end)) - Fraction(total_at(points, start)))
            per_site[site] = per_site.get(site, Fraction(0)) + amounts[-1]
        if measure.aggregate == "distinct_sites" and measure.site_above is not None:
            return sum(1 for amount in per_site.values() if amount > Fraction(measure.site_above))
        if measure.aggregate == "distinct_sites":
            return len(sites)
        if measure.aggregate == "max":
            return max(amounts, default=Fraction(0))
        return sum(amounts, Fraction(0))

    tick = timedelta(microseconds=1)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=TZ)

    window = measure.window
    today = t.astimezone(TZ).date()
    if window.kind == "calendar_day":
        result = over(midnight(today) - tick, t)
    elif window.kind == "sustained":
        assert window.days is not None
        result = min(
            over(
                midnight(today - timedelta(days=back)) - tick,
                t if back == 0 else midnight(today - timedelta(days=back - 1)) - tick,
            )
            for back in range(window.days)
        )
    else:
        result = over(None if window.length is None else t - window.length, t)
    if measure.aggregate == "distinct_sites":
        return int(result)
    floats = any(isinstance(ob.value, float) for ob in observations)
    return float(result) if floats else int(result)


def brute_force_rate(
    measure: o.Measure,
    series: dict[tuple[str | None, str | None, str | None], list[o.Observation]],
    posted: datetime | None,
) -> float | None:
    """
    Each series' increase from its previous reading instant to its latest,
    per hour, added (or the largest); ``None`` if no series has two readings.
    """
    rates = []
    for points in series.values():
        instants = sorted({p.at for p in points})
        latest = instants[-1]
        if len(instants) > 1:
            before = instants[-2]
        elif posted is not None and posted < latest:
            before = posted
        else:
            continue
        now = [p for p in points if p.at == latest]
        if now[0].kind == "increment":
            growth = sum(Fraction(p.value) for p in now)
        else:
            previous = [p for p in points if p.at == before]
            growth = Fraction(now[0].value) - (Fraction(previous[0].value) if previous else 0)
        rates.append(
            growth / Fraction(int((latest - before).total_seconds() * 10**6), 3600 * 10**6)
        )
    if not rates:
        return None
    return float(max(rates) if measure.aggregate == "max" else sum(rates, Fraction(0)))


@given(data=st.data())
def test_indexed_measures_equal_brute_force(data):
    """Rolling, cumulative, calendar-day and sustained sums, maxima and site counts match a
    linear recomputation."""
    plan = data.draw(s.plans())
    incident = data.draw(s.incidents(plan))
    t = data.draw(s.instants(3200))
    indexes = _index(
        [ob for ob in incident.observations if ob.at <= t], incident.posted_at, plan.tz
    )

    for measure in plan.measures:
        index = indexes.get(measure.metric)
        got = None if index is None else index.value(measure, t)
        expected = brute_force(measure, list(incident.observations), incident.posted_at, t)

        assert expected == got


@given(
    hours=st.integers(min_value=1, max_value=4),
    bound=st.integers(min_value=0, max_value=40),
    readings=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=480),
            st.sampled_from(["s0", "s1"]),
            st.integers(min_value=0, max_value=30),
        ),
        max_size=8,
    ),
)
def test_grade_is_reached_at_the_first_instant_the_bound_is_passed(hours, bound, readings):
    """Checking every minute finds no earlier instant than the engine's 'since'."""
    measure = o.Measure("v", metric="m", window=rolling(hours=hours), aggregate="sum")
    clause = o.Clause("x", "t")
    plan = o.Plan(
        id="w",
        title="t",
        issuer="t",
        version="1",
        source="t",
        metrics=("m",),
        measures=(measure,),
        grades=(o.Grade("g", "g", 0, conditions.measure("v") > bound, clause),),
        roles=(o.Role("r", "r"),),
        actions=(),
    )
    observations = [
        o.Observation(s.BASE + timedelta(minutes=m), "m", value, site, None, "increment")
        for m, site, value in readings
    ]
    incident = o.Incident("i", s.BASE, observations=observations)
    end = s.BASE + timedelta(minutes=720)

    result = o.Engine(plan).evaluate(incident, at=end)

    first = next(
        (
            s.BASE + timedelta(minutes=m)
            for m in range(721)
            if (brute_force(measure, observations, None, s.BASE + timedelta(minutes=m)) or 0)
            > bound
        ),
        None,
    )
    assert first == (None if result.grade is None else result.grade.since)


def test_a_later_first_reading_is_not_counted_earlier():
    """Regression: a site first read at T must not count towards the grade before T (no look-ahead)."""
    plan_path = __import__("tests.conftest", fromlist=["EXAMPLES"]).EXAMPLES / "work_safety.py"
    plan = o.load_plan(plan_path)
    day = datetime(2026, 11, 23, 9, tzinfo=s.BASE.tzinfo)
    incident = o.Incident.from_dict(
        {
            "id": "look-ahead",
            "discovered_at": day.isoformat(),
            "posted_at": (day - timedelta(hours=1)).isoformat(),
            "observations": [
                {"at": day.isoformat(), "metric": "clicks", "value": 400, "site": "a.cn"},
                {"at": day.isoformat(), "metric": "clicks", "value": 300, "site": "c.cn"},
                {
                    "at": (day + timedelta(days=1, hours=1)).isoformat(),
                    "metric": "clicks",
                    "value": 20000,
                    "site": "b.cn",
                },
            ],
        }
    )

    result = o.Engine(plan).evaluate(incident, at=day + timedelta(days=1, hours=1))

    assert [] == [g.id for g in result.grade_history if g.since < day + timedelta(days=1, hours=1)]
