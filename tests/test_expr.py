"""
The condition language of plan files (``planfile._expr``): parsing, writing
back, precedence, located errors and the nesting bound.
"""

from __future__ import annotations

import pytest

from opinion_rules._limits import CONDITION_DEPTH
from opinion_rules.conditions import (
    AllOf,
    Always,
    AnyOf,
    CategoryIs,
    Compare,
    EventSeen,
    Not,
    OneOf,
    Param,
)
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.model._conditions import FactRef, GradeRef, MeasureRef
from opinion_rules.planfile._expr import ExpressionError, parse_condition, to_text
from opinion_rules.planfile._loaders import read_plan_text


MEASURES = {"clicks_1d": object(), "sites_1d": object(), "reposts": object()}
FACTS = {"involves_minor": object(), "kind": object()}


def parse(text: str, depth: int = 0):
    return parse_condition(text, MEASURES, FACTS, depth=depth)


@pytest.mark.parametrize(
    "text",
    [
        "clicks_1d > 1000",
        "clicks_1d >= 2 and sites_1d < 5",
        "clicks_1d > 1 or sites_1d > 2 and reposts > 3",
        "(clicks_1d > 1 or sites_1d > 2) and reposts > 3",
        "not involves_minor == true",
        "grade >= high",
        "kind in [fire, 'flood water', 3]",
        "clicks_1d > $threshold",
        "seen(reply_posted) and category(schools)",
        "all(clicks_1d > 1, sites_1d > 2, reposts > 3)",
        "any(clicks_1d > 1, not sites_1d > 2)",
        "always",
        "clicks_1d != 2.5",
    ],
)
def test_parse_then_to_text_then_parse_gives_an_equal_condition(text: str):
    """Writing a parsed condition back and parsing the text again gives an equal tree."""
    condition = parse(text)
    assert condition == parse(to_text(condition))


def test_names_resolve_to_measures_facts_and_the_grade():
    """A bare name is the plan's measure or fact, and 'grade' is the grade."""
    assert Compare(MeasureRef("clicks_1d"), "gt", 1000) == parse("clicks_1d > 1000")
    assert Compare(FactRef("involves_minor"), "eq", True) == parse("involves_minor == true")
    assert Compare(GradeRef(), "ge", "high") == parse("grade >= high")
    assert OneOf(FactRef("kind"), ("fire", "flood")) == parse("kind in [fire, flood]")
    assert Compare(MeasureRef("reposts"), "lt", Param("limit")) == parse("reposts < $limit")


def test_the_other_forms_build_their_nodes():
    """always, seen(...), category(...), all(...) and any(...) build the matching nodes."""
    assert Always() == parse("always")
    assert EventSeen("reply_posted") == parse("seen(reply_posted)")
    assert CategoryIs("schools") == parse("category(schools)")
    one, two = parse("clicks_1d > 1"), parse("sites_1d > 2")
    assert AllOf((one, two)) == parse("all(clicks_1d > 1, sites_1d > 2)")
    assert AnyOf((one, two)) == parse("any(clicks_1d > 1, sites_1d > 2)")


def test_not_binds_tighter_than_and_which_binds_tighter_than_or():
    """'not a or b and c' is '(not a) or (b and c)'."""
    a, b, c = parse("clicks_1d > 1"), parse("sites_1d > 2"), parse("reposts > 3")
    expected = AnyOf((Not(a), AllOf((b, c))))
    assert expected == parse("not clicks_1d > 1 or sites_1d > 2 and reposts > 3")


def test_parentheses_override_precedence():
    """Parentheses group an 'or' inside an 'and'."""
    a, b, c = parse("clicks_1d > 1"), parse("sites_1d > 2"), parse("reposts > 3")
    assert AllOf((AnyOf((a, b)), c)) == parse("(clicks_1d > 1 or sites_1d > 2) and reposts > 3")


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("clics_1d > 1", 0, "unknown name 'clics_1d'"),
        ("clicks_1d => 1", 10, "'=' is not an operator"),
        ("clicks_1d > 1 and", 17, "expected"),
        ("clicks_1d 1", 10, "a comparison"),
        ("seen(1x)", 5, "a name"),
        ("(clicks_1d > 1", 14, "')'"),
    ],
)
def test_errors_carry_the_offset_of_the_offending_character(text: str, offset: int, words: str):
    """An expression error names what is wrong and the character offset where it is."""
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert offset == caught.value.offset
    assert words in f"{caught.value.message} {caught.value.expected}"


def test_errors_in_a_plan_file_point_at_the_line_and_column_of_the_character():
    """In a plan file, an expression error is placed at the offending character."""
    text = (
        "id: p\ntitle: t\nissuer: i\nversion: '1'\nsource: s\n"
        "roles: [{id: office, name: Office}]\n"
        "measures: [{id: clicks_1d, metric: clicks, window: 1d}]\n"
        "grades:\n  - id: high\n    name: High\n    rank: 1\n    criteria: clicks_1d => 10\n"
        "actions: []\n"
    )
    with pytest.raises(PlanValidationError) as caught:
        read_plan_text(text, "yaml", "plan.yaml")
    (problem,) = [p for p in caught.value.problems if p.path == "grades[0].criteria"]
    assert (12, 25) == (problem.line, problem.column)
    assert "at character 11 of the condition" in problem.message


def test_nesting_is_bounded_in_the_text_and_by_the_enclosing_depth():
    """Parentheses past CONDITION_DEPTH are refused, and an enclosing depth counts too."""
    deep = "(" * (CONDITION_DEPTH + 1) + "clicks_1d > 1" + ")" * (CONDITION_DEPTH + 1)
    with pytest.raises(ExpressionError, match="nests deeper"):
        parse(deep)
    nested = "not " * (CONDITION_DEPTH - 1) + "clicks_1d > 1"
    assert parse(nested) is not None
    with pytest.raises(ExpressionError, match="nests deeper"):
        parse(nested, depth=2)


@pytest.mark.parametrize(
    "text", ["__import__('os')", "clicks_1d > 1; import os", "clicks_1d.__class__ > 1"]
)
def test_python_is_never_run(text: str):
    """Text that would be Python is an expression error, never evaluated."""
    with pytest.raises(ExpressionError):
        parse(text)
