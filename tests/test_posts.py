"""
Posts (issue 13, point 11): observations may name the post they count, and a
measure with ``over: posts`` takes the largest value of one post
("单条帖文24小时内转发超过200次").
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.conditions import measure
from opinion_rules.engine._timeline import _index
from opinion_rules.exceptions import FactError
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.windows import calendar_day, cumulative, rolling, sustained

from . import strategies as s
from .conftest import CST, ROOT
from .store_fixtures import (  # noqa: F401 - the fixture_* are pytest fixtures
    fixture_new_store,
    fixture_pg_server,
    fixture_store,
    fixture_store_target,
)


PHRASES = ROOT / "docs" / "how-to" / "phrases"
PLAN = PHRASES / "11-posts.yaml"
INCIDENT = PHRASES / "11-posts-incident.json"
POSTS = ["p0", "p1", "weibo:4987654321", None]


def march(day: int, hour: int) -> datetime:
    """An instant in March 2026, China Standard Time."""
    return datetime(2026, 3, day, hour, tzinfo=CST)


readings = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3000),
        st.sampled_from(POSTS),
        st.sampled_from(["s0", "s1"]),
        st.integers(min_value=0, max_value=50),
    ),
    max_size=10,
)


def increments(rows: list[tuple[int, str | None, str, int]]) -> list[o.Observation]:
    """Increment readings of reposts at BASE + minutes."""
    return [
        o.Observation(s.BASE + timedelta(minutes=m), "reposts", v, site, None, "increment", post)
        for m, post, site, v in rows
    ]


@given(rows=readings, hours=st.integers(min_value=1, max_value=30), at=s.instants(3200))
def test_per_post_max_equals_the_largest_windowed_sum_of_one_post(rows, hours, at):
    """The per-post measure is the largest of each post's own sum in (t - w, t], over posts seen by t."""
    window = timedelta(hours=hours)
    per_post = o.Measure("top", "reposts", rolling(hours=hours), "max", over="posts")
    observations = increments(rows)
    known = [ob for ob in observations if ob.at <= at]
    index = _index(known, None, CST)["reposts"] if known else None

    seen = {ob.post for ob in observations if ob.post is not None and ob.at <= at}
    expected = (
        max(
            sum(
                (
                    Fraction(ob.value)
                    for ob in observations
                    if ob.post == post and at - window < ob.at <= at
                ),
                Fraction(0),
            )
            for post in seen
        )
        if seen
        else None
    )
    assert expected == (None if index is None else index.value(per_post, at))


@given(
    rows=readings,
    window=st.sampled_from([rolling(hours=5), cumulative(), calendar_day(), sustained(days=2)]),
    first=s.instants(3200),
    span=st.integers(min_value=1, max_value=600),
)
def test_the_per_post_value_changes_only_at_its_change_points(rows, window, first, span):
    """Between two instants with no change point in (t1, t2] the per-post value is the same."""
    per_post = o.Measure("top", "reposts", window, "max", over="posts")
    observations = increments(rows)
    second = first + timedelta(minutes=span)
    if not observations:
        return
    index = _index(observations, None, CST)["reposts"]
    if any(first < at <= second for at in index.change_points(per_post)):
        return
    assert index.value(per_post, first) == index.value(per_post, second)


def test_two_posts_below_the_bar_do_not_add_up():
    """130 more reposts on each of two posts is 260 in all, but no single post passed 200."""
    plan = o.load_plan(PLAN)
    incident = o.Incident.from_dict(json.loads(INCIDENT.read_text(encoding="utf-8")))

    noon = o.Engine(plan).evaluate(incident, at=march(5, 12))
    later = o.Engine(plan).evaluate(incident, at=march(5, 15))

    assert ([], ["report_up"]) == (
        [a.id for a in noon.actions],
        [a.id for a in later.actions],
    )


def test_the_recipients_are_listed_with_the_action():
    """The report is owed by the duty office and delivered to the leaders and the city office."""
    plan = o.load_plan(PLAN)
    incident = o.Incident.from_dict(json.loads(INCIDENT.read_text(encoding="utf-8")))

    (action,) = o.Engine(plan).evaluate(incident, at=march(5, 15)).actions

    assert (["duty_office"], ["leaders", "city_bureau"]) == (
        [r.id for r in action.owners],
        [r.id for r in action.recipients],
    )


def test_observations_without_a_post_leave_a_per_post_measure_unknown():
    """Readings that name no post cannot be attributed to one: the measure stays unknown, not 0."""
    per_post = o.Measure("top", "reposts", rolling(hours=24), "max", over="posts")
    observation = o.Observation(march(5, 9), "reposts", 500, "weibo.com")

    index = _index([observation], None, CST)["reposts"]

    assert index.value(per_post, march(5, 10)) is None


def test_the_post_is_part_of_the_series():
    """Two posts on one site are two series: two totals at one instant are no conflict."""
    data = {
        "id": "i",
        "discovered_at": "2026-03-05T09:00:00+08:00",
        "observations": [
            {"at": "2026-03-05T09:00:00+08:00", "metric": "m", "value": 1, "post": "a"},
            {"at": "2026-03-05T09:00:00+08:00", "metric": "m", "value": 2, "post": "b"},
        ],
    }

    incident = o.Incident.from_dict(data)

    assert ["a", "b"] == [ob.post for ob in o.Incident.from_dict(incident.to_dict()).observations]


def test_a_post_with_whitespace_is_refused():
    """A post is an id such as weibo:4987654321, without whitespace."""
    data = {
        "id": "i",
        "discovered_at": "2026-03-05T09:00:00+08:00",
        "observations": [
            {"at": "2026-03-05T09:00:00+08:00", "metric": "m", "value": 1, "post": "a b"}
        ],
    }

    with pytest.raises(FactError, match=r"observations\[0\]\.post"):
        o.Incident.from_dict(data)
    with pytest.raises(ValueError, match="no whitespace"):
        o.Observation(march(5, 9), "m", 1, post="a b")


def test_over_posts_goes_with_max():
    """A sum over posts is the ordinary sum: 'over: posts' is refused with any other aggregate."""
    with pytest.raises(ValueError, match="'over: posts' goes with aggregate 'max'"):
        o.Measure("top", "reposts", rolling(hours=24), "sum", over="posts")
    with pytest.raises(ValueError, match="'over' must be one of"):
        o.Measure("top", "reposts", rolling(hours=24), "max", over="sites")  # type: ignore[arg-type]


def test_over_posts_round_trips_through_a_plan_file():
    """The plan file key 'over: posts' is written back and read to an equal plan."""
    plan = o.load_plan(PLAN)

    text = dump_plan(plan)

    assert ("over: posts" in text, plan) == (True, read_plan_text(text, "yaml"))


def test_an_unlabelled_per_post_measure_renders_in_both_languages():
    """Render says 单条帖文1天内 and "largest of one post, in 1 d" after the measure's id."""
    plan = o.load_plan(PLAN)
    top = o.Measure("top", "reposts", rolling(hours=24), "max", over="posts")
    action = attrs.evolve(plan.actions[0], condition=measure("top") > 200)
    plan = attrs.evolve(plan, measures=(top,), actions=(action,))

    zh, en = o.render_plan(plan), o.render_plan(plan, lang="en")

    assert (True, True) == (
        "top(单条帖文1天内)" in zh,
        "top (largest of one post, in 1 d)" in en,
    )


def test_the_incident_schema_knows_post():
    """The shipped incident schema allows 'post' on observations."""
    schema = json.loads((ROOT / "src/opinion_rules/schemas/incident.schema.json").read_text())

    assert "post" in schema["properties"]["observations"]["items"]["properties"]


def test_the_store_keeps_the_post_of_its_entries(store):
    """Entries that name posts are recorded and replayed: the per-post measure decides the report."""
    key = store.add_plan(o.load_plan(PLAN))
    start = march(5, 9)
    store.open_incident(
        "ZB-11", key, discovered_at=start, entry_id="open", recorded_at=start, recorded_by="值班室"
    )
    items = json.loads(INCIDENT.read_text(encoding="utf-8"))["observations"]
    entries = [{"id": f"r{i}", "observation": item} for i, item in enumerate(items)]

    store.record("ZB-11", entries, recorded_at=march(5, 15), recorded_by="监测")

    assert ["report_up"] == [a.id for a in store.assess("ZB-11", march(5, 15)).actions]
