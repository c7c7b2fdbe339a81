"""
Two values of the incident compared, with arithmetic where the text asks
for it: "衍生话题热度超过原事件热度", "负面评论数超过总评论数的30%".
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.authoring import lint_plan, render_plan
from opinion_rules.conditions import Arithmetic, Compare, CompareValues, fact, measure, param
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._expr import parse_condition, to_text
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.windows import cumulative

from .conftest import cst


PHRASES = Path(__file__).parent.parent / "docs" / "how-to" / "phrases"
MEASURES = {"a": object(), "b": object(), "c": object()}
FACTS = {"n": object()}


@pytest.fixture(scope="module")
def plan() -> o.Plan:
    """The plan of the how-to page (衍生话题热度, 负面评论数的30%, 热搜排名)."""
    return o.load_plan(PHRASES / "2-compare-values.yaml")


def _incident(**values: int) -> dict:
    return {
        "id": "I",
        "discovered_at": cst(23, 9).isoformat(),
        "observations": [
            {"at": cst(23, 10).isoformat(), "metric": metric, "value": value}
            for metric, value in values.items()
        ],
    }


refs = st.sampled_from([measure("a"), measure("b"), measure("c"), fact("n")])
constants = st.sampled_from([0, 1, 2, 0.3, 1e-05, -1, 2**70])
terms = st.recursive(
    st.one_of(refs, constants, st.just(param("k"))),
    lambda inner: st.builds(
        Arithmetic, st.sampled_from(["add", "sub", "mul", "div"]), inner, inner
    ),
    max_leaves=5,
).filter(lambda t: isinstance(t, Arithmetic) or not isinstance(t, int | float | type(param("k"))))


@given(refs, st.sampled_from(["gt", "ge", "lt", "le", "eq", "ne"]), terms)
def test_written_text_reads_back_as_the_same_tree(left, op, right):
    """to_text then parse_condition gives an equal CompareValues, parentheses and signs included."""
    node = CompareValues(left, op, right)

    assert node == parse_condition(to_text(node), MEASURES, FACTS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a > b", CompareValues(measure("a"), "gt", measure("b"))),
        ("a > 0.3 * b", CompareValues(measure("a"), "gt", Arithmetic("mul", 0.3, measure("b")))),
        ("a >= 2*b -1", CompareValues(measure("a"), "ge", 2 * measure("b") - 1)),
        ("a > b - (c - 1)", CompareValues(measure("a"), "gt", measure("b") - (measure("c") - 1))),
        ("n < $k * a", CompareValues(fact("n"), "lt", param("k") * measure("a"))),
        ("a > 1000", Compare(measure("a"), "gt", 1000)),
        ("a > $k", Compare(measure("a"), "gt", param("k"))),
    ],
)
def test_the_language_spells_comparisons_of_two_values(text, expected):
    """Names on the right are measures and facts; a lone constant or parameter stays a Compare."""
    assert expected == parse_condition(text, MEASURES, FACTS)


def test_the_python_operators_build_the_same_trees():
    """measure("a") > measure("b") * 0.3 builds the CompareValues the file language reads."""
    assert parse_condition("a > b * 0.3", MEASURES, FACTS) == (measure("a") > measure("b") * 0.3)


def test_dividing_by_the_number_zero_reads_back_and_lint_warns(plan):
    """'a > b / 0' parses and writes back; check warns that it never decides."""
    node = parse_condition("a > b / 0", MEASURES, FACTS)
    criteria = CompareValues(measure("negative"), "gt", measure("comments") / 0)
    odd = evolve(plan, grades=(plan.grades[0], evolve(plan.grades[1], criteria=criteria)))

    found = [f.message for f in lint_plan(odd) if f.code == "comparison-never-holds"]

    assert "a > b / 0" == to_text(node)
    expected = (
        "'negative > comments / 0' can never hold: it divides by zero wherever it is computed, "
        "so it stays unknown (a parameter without a value counts as 0 here)"
    )
    assert [expected] == found


def test_a_text_fact_keeps_bare_words_as_values():
    """After a text fact, a name that is also a measure is still the word it always was."""
    facts = {"kind": o.FactSpec("kind", type="text")}

    assert Compare(fact("kind"), "eq", "a") == parse_condition("kind == a", MEASURES, facts)


def test_a_comparison_with_a_grade_or_a_text_fact_is_refused():
    """Value comparisons read numbers: a text fact on either side is a plan problem."""
    text = PHRASES.joinpath("2-compare-values.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    type: number\n    label: 热搜排名", "    type: text\n    label: 热搜排名"
    )
    text = text.replace("criteria: hot_rank <= 10", "criteria: derived > hot_rank")

    with pytest.raises(o.PlanError, match="fact 'hot_rank' is compared or computed with"):
        read_plan_text(text, "yaml")


@settings(max_examples=60)
@given(
    negative=st.integers(0, 500),
    comments=st.integers(0, 500),
    op=st.sampled_from(["gt", "ge", "lt", "le", "eq", "ne"]),
    share=st.sampled_from([0.3, 0.25, 1, 2.5]),
)
def test_the_comparison_is_exact_over_decimals(negative, comments, op, share, backend):
    """negative op share * comments holds exactly as in rational arithmetic, on both backends."""
    clause = o.Clause("二", "负面评论数超过总评论数的30%的，为较大舆情。")
    criteria = CompareValues(measure("negative"), op, Arithmetic("mul", share, measure("comments")))
    plan = o.Plan(
        id="p", title="t", issuer="i", version="1", source="s",
        metrics=("comments", "negative"),
        measures=(
            o.Measure("negative", "negative", cumulative()),
            o.Measure("comments", "comments", cumulative()),
        ),
        grades=(o.Grade("larger", "较大", rank=1, criteria=criteria, clause=clause),),
        roles=(o.Role("r", "r"),),
        actions=(),
    )  # fmt: skip
    expected = {
        "gt": Fraction(negative) > Fraction(str(share)) * comments,
        "ge": Fraction(negative) >= Fraction(str(share)) * comments,
        "lt": Fraction(negative) < Fraction(str(share)) * comments,
        "le": Fraction(negative) <= Fraction(str(share)) * comments,
        "eq": Fraction(negative) == Fraction(str(share)) * comments,
        "ne": Fraction(negative) != Fraction(str(share)) * comments,
    }[op]

    result = o.Engine(plan, backend=backend).evaluate(
        _incident(negative=negative, comments=comments), at=cst(23, 12)
    )

    assert expected == (result.grade is not None)


def test_thirty_percent_of_a_hundred_is_thirty(engine):
    """超过总评论数的30%: 30 of 100 does not exceed it, 31 does (no float rounding either way)."""
    at = cst(23, 12)
    base = {"origin_heat": 5, "derived_heat": 1}

    thirty = engine.evaluate(_incident(**base, comments=100, negative_comments=30), at=at)
    more = engine.evaluate(_incident(**base, comments=100, negative_comments=31), at=at)

    assert ("general", "larger") == (thirty.grade.id, more.grade.id)


def test_an_unknown_side_leaves_the_comparison_undecided_naming_it(engine):
    """With comments known and negative comments not, the grade waits on 负面评论数, never on a slot."""
    result = engine.evaluate(_incident(comments=100, origin_heat=5, derived_heat=1), at=cst(23, 12))

    needs = {u.id: u.needs for u in result.undecided}
    assert ("negative",) == needs["larger"]


def test_reasons_show_both_sides_with_their_values(engine):
    """The reason names each side, its value and the computed right side."""
    result = engine.evaluate(
        _incident(origin_heat=3000, derived_heat=5000, comments=0, negative_comments=0),
        at=cst(23, 12),
    )

    assert "衍生话题热度 = 5000 > 原事件热度 = 3000" == result.grade.reason


def test_division_by_a_measure_that_is_zero_is_unknown_and_names_nothing(plan):
    """a / b with b = 0 leaves the comparison unknown; undecided does not claim a value is missing."""
    criteria = CompareValues(
        measure("negative"), "gt", Arithmetic("div", measure("comments"), measure("origin"))
    )
    ratio = evolve(plan, grades=(plan.grades[0], evolve(plan.grades[1], criteria=criteria)))

    result = o.Engine(ratio, backend="python").evaluate(
        _incident(negative_comments=5, comments=10, origin_heat=0), at=cst(23, 12)
    )

    assert "general" == result.grade.id
    assert "larger" not in {u.id for u in result.undecided}


def test_plan_files_round_trip_value_comparisons(plan):
    """dump_plan writes the comparisons in the file language; reading them back gives the plan."""
    text = dump_plan(plan, "yaml")

    assert "derived > origin or negative > 0.3 * comments" in text
    assert plan == read_plan_text(text, "yaml")


def test_render_says_the_comparison_in_chinese_and_english(plan):
    """Render: 负面评论数超过0.3×总评论数 and negative > 0.3 × comments."""
    chinese, english = render_plan(plan), render_plan(plan, lang="en")

    assert "衍生话题热度超过原事件热度 或 负面评论数超过0.3×总评论数" in chinese
    assert "derived > origin or negative > 0.3 × comments" in english


def test_lint_warns_on_sites_compared_with_a_count_and_on_comparisons_that_never_hold(plan):
    """unit-mismatch for sites vs clicks; comparison-never-holds for a > a + 1."""
    sites = o.Measure("sites", "comments", cumulative(), aggregate="distinct_sites")
    odd = evolve(
        plan,
        measures=(*plan.measures, sites),
        grades=(
            *plan.grades[:2],
            evolve(plan.grades[2], criteria=(measure("sites") > measure("comments"))),
            o.Grade(
                "top", "特别重大", rank=3,
                criteria=measure("negative") > measure("negative") + 1,
                clause=plan.grades[2].clause,
            ),
        ),
    )  # fmt: skip

    found = {(f.code, f.path) for f in lint_plan(odd)}

    assert {
        ("unit-mismatch", "grades[2].criteria"),
        ("comparison-never-holds", "grades[3].criteria"),
    } <= found
    assert not {f.code for f in lint_plan(plan)}
