"""
Open vocabularies and duty-only plans (issue 13, point 10): a plan's own
channels, action kinds (stages) and owner duties with labels; plans with
duties and no grade scale; site counts that only count sites whose value
passed a minimum.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.cli._main import main
from opinion_rules.conditions import measure
from opinion_rules.deadlines import after
from opinion_rules.engine._timeline import _index
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.vocabulary import Term
from opinion_rules.windows import cumulative, rolling

from .conftest import CST, ROOT
from .store_fixtures import (  # noqa: F401 - the fixture_* are pytest fixtures
    fixture_new_store,
    fixture_pg_server,
    fixture_store,
    fixture_store_target,
)


PHRASES = ROOT / "docs" / "how-to" / "phrases"
PLAN = PHRASES / "10-duty-only.yaml"
INCIDENT = PHRASES / "10-duty-only-incident.json"
CLAUSE = o.Clause("一", "text")


def march(day: int, hour: int) -> datetime:
    """An instant in March 2026, China Standard Time."""
    return datetime(2026, 3, day, hour, tzinfo=CST)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def duty_plan(**changes: object) -> o.Plan:
    """A plan of one duty and no grades."""
    fields: dict[str, object] = {
        "id": "duty",
        "title": "值班制度",
        "issuer": "tests",
        "version": "1",
        "source": "tests",
        "grades": (),
        "roles": (o.Role("office", "办公室"),),
        "actions": (
            o.Action(
                "reply",
                "回复留言",
                ("office",),
                "web_post",
                after("discovered", hours=3),
                clause=CLAUSE,
            ),
        ),
    }
    fields.update(changes)
    return o.Plan(**fields)  # type: ignore[arg-type]


# -- duty-only plans ----------------------------------------------------------------


def test_a_plan_of_duties_only_is_evaluated_without_a_grade(backend):
    """A plan with no grades is valid; its duties apply and the assessment says it has no scale."""
    plan = o.load_plan(PLAN)
    incident = o.load_incident(INCIDENT)

    result = o.Engine(plan, backend=backend).evaluate(incident, at=march(2, 15))

    assert (None, (), False) == (result.grade, result.grade_history, result.grade_scale)
    assert {"bulletin": "done", "brief_press": "pending"} == {
        a.id: a.status for a in result.actions
    }


def test_the_table_says_a_duty_only_plan_has_no_grade_scale():
    """evaluate prints 'none: the plan sets duties only' instead of 'ungraded'."""
    code, out, _ = run("evaluate", str(PLAN), str(INCIDENT), "--at", "2026-03-02T12:00:00+08:00")

    assert 0 == code
    assert "grade     none: the plan sets duties only (no grade scale)" in out.splitlines()


def test_a_plan_with_neither_grades_nor_actions_is_refused():
    """A plan must set something: grades or actions."""
    with pytest.raises(PlanValidationError, match="no grades and no actions"):
        duty_plan(actions=())


def test_check_finds_no_grade_gap_in_a_duty_only_plan():
    """lint has no grade table to check in a plan of duties only."""
    assert [] == o.lint_plan(o.load_plan(PLAN))


def test_render_leaves_out_the_grade_scale_of_a_duty_only_plan():
    """The rendered document has no grades section and no per-grade heading, in Chinese and English."""
    plan = o.load_plan(PLAN)

    zh, en = o.render_plan(plan, lang="zh"), o.render_plan(plan, lang="en")

    assert ("舆情分级" not in zh, "不分等级" not in zh) == (True, True)
    assert ("## Grades" not in en, "Every grade" not in en) == (True, True)


def test_a_duty_only_plan_is_on_the_store_agenda(store):
    """The case store's agenda lists the duties of a plan with no grades."""
    key = store.add_plan(o.load_plan(PLAN))
    start = march(2, 9)
    store.open_incident(
        "ZB-1", key, discovered_at=start, entry_id="open", recorded_at=start, recorded_by="值班室"
    )

    rows = store.agenda(start + timedelta(hours=1), timedelta(hours=24))

    assert [("ZB-1", "bulletin", "pending")] == [
        (r.incident_id, r.action_id, r.status) for r in rows
    ]


# -- the plan's own channels, action kinds and duties -------------------------------


def test_a_declared_channel_is_accepted_and_rendered_with_its_labels():
    """纸质快报 declared with labels is an action's channel; render shows its words in each language."""
    plan = o.load_plan(PLAN)

    assert "paper_bulletin" == plan.action("bulletin").channel
    assert "| 纸质快报 |" in o.render_plan(plan, lang="zh")
    assert "| paper bulletin |" in o.render_plan(plan, lang="en")


def test_a_declared_stage_is_rendered_after_the_title():
    """An action kind (组建新闻发布中心) declared in stages is shown with the action's title."""
    plan = o.load_plan(PLAN)

    assert "召开媒体吹风会〔组建新闻发布中心〕" in o.render_plan(plan, lang="zh")
    assert "召开媒体吹风会 [setting up a press centre]" in o.render_plan(plan, lang="en")


def test_an_unknown_undeclared_channel_is_refused_with_the_known_ones():
    """A channel neither built in nor declared is a plan error that suggests the near names."""
    with pytest.raises(PlanValidationError) as caught:
        duty_plan(
            actions=(
                o.Action(
                    "r",
                    "回复",
                    ("office",),
                    "paper_bulletn",
                    after("discovered", hours=3),
                    clause=CLAUSE,
                ),
            ),
            channels=(Term("paper_bulletin", "纸质快报"),),
        )

    (problem,) = caught.value.problems
    assert "'channel' must be one of" in problem.message
    assert "(got 'paper_bulletn')" in problem.message
    assert "did you mean 'paper_bulletin'" in str(problem.expected)


def test_a_built_in_channel_can_be_relabelled():
    """Declaring a built-in channel id gives it the plan's own words in render."""
    plan = duty_plan(channels=(Term("web_post", "网上留言回复", "reply on the message board"),))

    assert "| 网上留言回复 |" in o.render_plan(plan, lang="zh")
    assert "| reply on the message board |" in o.render_plan(plan, lang="en")


def test_lint_warns_on_unused_terms_and_undeclared_stages():
    """A declared word no action uses, and a stage the plan's stages lack, are lint warnings."""
    plan = duty_plan(
        channels=(Term("paper_bulletin", "纸质快报"),),
        stages=(Term("training", "培训"),),
        duties=(Term("local_reply", "属地回应"),),
        actions=(
            o.Action(
                "reply",
                "回复",
                ("office",),
                "web_post",
                after("discovered", hours=3),
                clause=CLAUSE,
                stage="reply",
            ),
        ),
    )

    found = [(f.code, f.path) for f in o.lint_plan(plan)]

    assert [
        ("unused-term", "channels[0]"),
        ("unused-term", "stages[0]"),
        ("unused-term", "duties[0]"),
        ("undeclared-stage", "actions[0].stage"),
    ] == found


def test_terms_have_unique_ids_per_section():
    """Two channels with one id are a plan error; a channel and a stage may share one."""
    with pytest.raises(PlanValidationError, match="id 'paper' is used 2 times"):
        duty_plan(channels=(Term("paper", "纸质快报"), Term("paper", "快报")))
    plan = duty_plan(channels=(Term("paper", "纸质快报"),), stages=(Term("paper", "纸质材料"),))

    assert ("paper", "paper") == (plan.channels[0].id, plan.stages[0].id)


def test_terms_round_trip_through_plan_files():
    """channels, stages and duties are written and read back unchanged."""
    plan = o.load_plan(PLAN)

    for fmt in ("yaml", "toml", "json"):
        assert plan == read_plan_text(dump_plan(plan, fmt), fmt)


def test_an_extending_plan_relabels_an_inherited_channel(tmp_path: Path):
    """A local plan replaces a declared channel by id, like any item with an id."""
    (tmp_path / "base.yaml").write_text(PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "county.yaml").write_text(
        "extends: base.yaml\nchannels:\n  - {id: paper_bulletin, name: 书面快报}\n",
        encoding="utf-8",
    )

    plan = o.load_plan(tmp_path / "county.yaml")

    assert "书面快报" == next(c.name for c in plan.channels if c.id == "paper_bulletin")
    assert "channels.paper_bulletin" in plan.local


def test_a_duty_only_plan_file_needs_no_grades_key():
    """A plan file without 'grades' reads as a plan of duties only."""
    text = PLAN.read_text(encoding="utf-8")

    assert () == read_plan_text(text, "yaml").grades


# -- site counts over a minimum -----------------------------------------------------


def test_site_above_counts_only_sites_where_the_post_spread():
    """Sites that reported 0 reposts are not counted; the third site counts once it passes 0."""
    plan = o.load_plan(PLAN)
    incident = o.load_incident(INCIDENT)
    engine = o.Engine(plan)

    before = engine.evaluate(incident, at=march(2, 14))
    after_third = engine.evaluate(incident, at=march(2, 15))

    assert ["bulletin"] == [a.id for a in before.actions]
    assert (
        datetime.fromisoformat("2026-03-02T15:00:00+08:00")
        == after_third.action("brief_press").applies_since
    )


def test_site_above_goes_with_distinct_sites_and_is_a_number():
    """site_above is refused on a sum, and when negative or not a number."""
    for aggregate, value, words in (
        ("sum", 0, "goes with aggregate 'distinct_sites'"),
        ("distinct_sites", -1, "a number >= 0"),
        ("distinct_sites", True, "a number >= 0"),
        ("distinct_sites", float("nan"), "a number >= 0"),
        ("distinct_sites", float("inf"), "finite"),
    ):
        with pytest.raises(ValueError, match=words):
            o.Measure("m", "reposts", rolling(days=1), aggregate=aggregate, site_above=value)


@given(
    readings=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=600),
            st.sampled_from(["s0", "s1", "s2"]),
            st.sampled_from(["c0", "c1"]),
            st.integers(min_value=0, max_value=20),
        ),
        max_size=10,
    ),
    above=st.sampled_from([0, 3, 7.5]),
    minutes=st.integers(min_value=0, max_value=900),
    cumulative_window=st.booleans(),
)
def test_site_above_counts_sites_whose_own_sum_passes_it(
    readings, above, minutes, cumulative_window
):
    """The site count over a minimum equals, site by site, whether that site's own sum measure exceeds it."""
    window = cumulative() if cumulative_window else rolling(hours=3)
    counted = o.Measure("n", "reposts", window, aggregate="distinct_sites", site_above=above)
    summed = o.Measure("s", "reposts", window)
    start = march(2, 8)
    observations = [
        o.Observation(start + timedelta(minutes=m), "reposts", v, site, channel, "increment")
        for m, site, channel, v in readings
    ]
    t = start + timedelta(minutes=minutes)

    def value(m: o.Measure, obs: list[o.Observation]) -> float | int | None:
        return probe(m, obs, t)

    expected = sum(
        1
        for site in ("s0", "s1", "s2")
        if (v := value(summed, [ob for ob in observations if ob.site == site])) is not None
        and v > above
    )
    got = value(counted, observations)

    assert (None if got is None else expected) == got


def probe(m: o.Measure, observations: list[o.Observation], t: datetime) -> float | int | None:
    """The value of measure *m* at *t* from the observations known then."""
    indexes = _index([ob for ob in observations if ob.at <= t], None, ZoneInfo("Asia/Shanghai"))
    index = indexes.get(m.metric)
    return None if index is None else index.value(m, t)


def test_measures_with_site_above_round_trip():
    """A measure's site_above is written and read back."""
    plan = duty_plan(
        metrics=("reposts",),
        measures=(o.Measure("n", "reposts", rolling(days=1), "distinct_sites", site_above=0),),
        actions=(
            o.Action(
                "reply",
                "回复",
                ("office",),
                "web_post",
                after("discovered", hours=3),
                condition=measure("n") >= 2,
                clause=CLAUSE,
            ),
        ),
    )

    assert plan == read_plan_text(dump_plan(plan, "yaml"), "yaml")
    assert attrs.evolve(plan.measures[0], site_above=None) != plan.measures[0]
