"""
Plan files: loading, located errors, round trips, safety and the schema.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import string
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
import tomli_w
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules._limits import CONDITION_DEPTH, PLAN_FILE_BYTES, PLAN_FILE_DEPTH
from opinion_rules.conditions import measure, not_
from opinion_rules.deadlines import after
from opinion_rules.exceptions import PlanLoadError, PlanValidationError, Problem
from opinion_rules.planfile import plan_schema
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.planfile._located import FileSyntaxError, parse_document
from opinion_rules.planfile._schemas import build_plan_schema
from opinion_rules.typing import Condition
from opinion_rules.windows import rolling

from .conftest import EXAMPLES, ROOT
from .strategies import plans


PLANS = EXAMPLES / "plans"
WORK_SAFETY = PLANS / "work_safety.yaml"

MINIMAL = """\
id: mini
title: 最小预案
issuer: 测试单位
version: "1"
source: tests
metrics: [clicks]
roles:
  - {id: office, name: 办公室}
measures:
  - {id: clicks_1d, metric: clicks, window: 1d}
grades:
  - id: low
    name: 一般
    rank: 0
    criteria: clicks_1d > 100
    clause: {ref: "1", text: 一般}
  - id: high
    name: 重大
    rank: 1
    criteria: clicks_1d > 1000
    clause: {ref: "2", text: 重大}
actions:
  - id: call
    title: 立即电话报告
    owners: [office]
    channel: phone
    condition: grade >= high
    deadline: {anchor: discovered, kind: immediately}
    clause: {ref: "3", text: 立即电话报告}
"""


def problems_of(text: str, fmt: str = "yaml") -> list[Problem]:
    with pytest.raises(PlanValidationError) as info:
        read_plan_text(text, fmt, "plan.yaml")
    return list(info.value.problems)


def located(text: str) -> list[str]:
    return [f"{p.line}:{p.column} {p.path}" for p in problems_of(text)]


def test_work_safety_file_equals_the_python_plan():
    """The YAML plan and the Python-API example are the same plan."""
    assert o.load_plan(EXAMPLES / "work_safety.py") == o.load_plan(WORK_SAFETY)


def test_minimal_plan_loads_and_evaluates():
    """The minimal YAML plan reads and evaluates: 1001 clicks give grade high with its call pending."""
    plan = read_plan_text(MINIMAL, "yaml")
    incident = {
        "id": "I",
        "discovered_at": "2026-11-23T09:00:00+08:00",
        "posted_at": "2026-11-23T08:00:00+08:00",
        "observations": [{"at": "2026-11-23T09:00:00+08:00", "metric": "clicks", "value": 1001}],
    }
    at = o.Engine(plan).evaluate(incident, at=_at("2026-11-23T09:00:00+08:00"))

    assert "high" == at.grade.id
    assert "pending" == at.action("call").status


def _at(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


# -- located errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        # unknown grade id in an action condition: the condition's value
        (
            "condition: grade >= high",
            "condition: grade >= hihg",
            "27:16",
            "grade 'hihg' is not defined",
        ),
        # an operator that is not one of the allowed ones: points into the expression
        (
            "criteria: clicks_1d > 1000",
            "criteria: clicks_1d => 1000",
            "20:25",
            "'=' is not an operator",
        ),
        # a negative threshold
        ("criteria: clicks_1d > 100\n", "criteria: clicks_1d > -100\n", "15:15", "negative number"),
        # an unknown timezone
        ("source: tests\n", "source: tests\ntimezone: Mars/Base\n", "6:11", "unknown timezone"),
        # a deadline with no anchor
        (
            "deadline: {anchor: discovered, kind: immediately}",
            "deadline: {kind: immediately}",
            "28:15",
            "missing key 'anchor'",
        ),
        # a misspelt key, pointed at the key
        ("    rank: 1\n", "    rank: 1\n    critera: x\n", "20:5", "unknown key 'critera'"),
        # a role nobody defined
        ("owners: [office]", "owners: [ofice]", "25:14", "role 'ofice' is not defined"),
        # an unknown name in a condition, with a suggestion
        (
            "criteria: clicks_1d > 100\n",
            "criteria: clics_1d > 100\n",
            "15:15",
            "did you mean 'clicks_1d'",
        ),
    ],
)
def test_problem_is_located(old: str, new: str, where: str, words: str):
    """Each kind of plan problem is the only one reported, at the line and column of the offending text."""
    assert old in MINIMAL
    (problem,) = problems_of(MINIMAL.replace(old, new))

    assert where == f"{problem.line}:{problem.column}"
    assert words in str(problem)
    assert str(problem).startswith(f"plan.yaml:{where}: ")


def test_duplicate_ids_are_located_at_the_section():
    """A duplicated grade id is located at its entry, and the action naming the lost id is reported too."""
    text = MINIMAL.replace("  - id: high\n", "  - id: low\n")
    problem, dangling = problems_of(text)

    assert "id 'low' is used 2 times" in problem.message
    assert (12, 3) == (problem.line, problem.column)
    assert "grade 'high' is not defined" in dangling.message  # the action still names it


def test_every_problem_is_reported_in_one_pass():
    """Problems in several sections are all reported, each located, in a single read."""
    text = (
        MINIMAL.replace('version: "1"', "version: 1.0")
        .replace("criteria: clicks_1d > 100\n", "criteria: clicks_1d >> 100\n")
        .replace("window: 1d", "window: 1 day")
        .replace("channel: phone", "channel: telephone")
    )
    found = located(text)

    assert ["4:10 version", "10:45 measures[0].window", "15:26 grades[0].criteria",
            "23:5 actions[0]"] == sorted(found, key=lambda s: int(s.split(":")[0]))  # fmt: skip


def test_syntax_error_is_located():
    """A YAML syntax error is a PlanLoadError at the line and column where the parser fails."""
    with pytest.raises(PlanLoadError) as info:
        read_plan_text(
            MINIMAL.replace("  - {id: office, name: 办公室}", "  - {id: office, name"),
            "yaml",
            "p.yaml",
        )

    assert (9, 9) == (
        info.value.line,
        info.value.column,
    )  # where PyYAML finds the flow mapping unclosed
    assert str(info.value).startswith("p.yaml:9:9: not valid YAML")


@pytest.mark.parametrize(
    ("fmt", "text", "where"),
    [
        ("json", '{"id": "x",\n  "title": }', (2, 12)),
        ("json", '{"id": "x", "id": "y"}', (1, 13)),
        ("toml", 'id = "x"\ntitle = \n', (2, 9)),
        ("yaml", "a: 1\na: 2\n", (2, 1)),
    ],
)
def test_syntax_errors_in_every_format(fmt: str, text: str, where: tuple[int, int]):
    """Syntax errors and duplicate keys in JSON, TOML and YAML are located where they occur."""
    with pytest.raises(PlanLoadError) as info:
        read_plan_text(text, fmt)

    assert where == (info.value.line, info.value.column)


def test_json_and_toml_problems_are_located():
    """A validation problem in a JSON or TOML plan is located at the line holding the bad value."""
    data = yaml.safe_load(MINIMAL)
    data["grades"][1]["criteria"] = "clicks_1d > -1"
    text = json.dumps(data, ensure_ascii=False, indent=2)
    (problem,) = problems_of(text, "json")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "clicks_1d > -1" in s)

    assert line == problem.line

    toml_text = o.dump_plan(read_plan_text(MINIMAL, "yaml"), "toml").replace(
        'criteria = "clicks_1d > 1000"', 'criteria = "clicks_1d > -1"'
    )
    (problem,) = problems_of(toml_text, "toml")
    line = next(i for i, s in enumerate(toml_text.splitlines(), 1) if "clicks_1d > -1" in s)

    assert line == problem.line


# -- safety -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "id: !!python/object/apply:os.system ['echo hacked']\n",
        "a: &x [1]\nb: *x\n",
        "id: !custom x\n",
    ],
)
def test_yaml_objects_anchors_and_tags_are_refused(text: str):
    """YAML python objects, anchors/aliases and custom tags are refused with PlanLoadError."""
    with pytest.raises(PlanLoadError):
        read_plan_text(text, "yaml")


def test_conditions_are_never_run_as_python():
    """A Python expression in a condition is a criteria problem, never evaluated."""
    text = MINIMAL.replace(
        "criteria: clicks_1d > 100\n", "criteria: __import__('os').system('x')\n"
    )
    (problem,) = problems_of(text)

    assert "criteria" in problem.path


# -- round trips --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
@given(plan=plans())
@settings(max_examples=40)
def test_generated_plans_survive_dump_and_load(fmt: str, plan: o.Plan):
    """Any generated plan dumped to YAML, TOML or JSON reads back equal."""
    assert plan == read_plan_text(o.dump_plan(plan, fmt), fmt)


@pytest.mark.parametrize("path", sorted(PLANS.glob("*.yaml")), ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_example_plans_survive_dump_and_load(path: Path, fmt: str):
    """Every example plan dumped to YAML, TOML or JSON reads back equal."""
    plan = o.load_plan(path)

    assert plan == read_plan_text(o.dump_plan(plan, fmt), fmt)


# -- fuzzing ------------------------------------------------------------------------


def _mutations() -> st.SearchStrategy[str]:
    base = MINIMAL

    @st.composite
    def mutate(draw: st.DrawFn) -> str:
        text = base
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(text)))
            j = draw(st.integers(i, min(len(text), i + 12)))
            insert = draw(st.text(alphabet=string.printable + "：，&*!{}[]", max_size=6))
            text = text[:i] + insert + text[j:]
        return text

    return mutate()


@given(
    text=st.one_of(_mutations(), st.text(max_size=200)),
    fmt=st.sampled_from(["yaml", "json", "toml"]),
)
@settings(max_examples=300, deadline=2000)
def test_malformed_files_raise_only_library_errors(text: str, fmt: str):
    """No raw KeyError/TypeError/yaml error escapes, and nothing hangs (deadline)."""
    with contextlib.suppress(o.PlanError):
        read_plan_text(text, fmt)


def test_deep_nesting_is_refused_not_crashed():
    """5000 levels of nesting in JSON, YAML or TOML is a PlanLoadError, not a crash."""
    for fmt, text in (("json", "[" * 5000), ("yaml", "[" * 5000), ("toml", "a = " + "[" * 5000)):
        with pytest.raises(PlanLoadError):
            read_plan_text(text, fmt)


# -- schema -------------------------------------------------------------------------


def test_shipped_schema_is_the_generated_one():
    """The shipped plan.schema.json equals the schema generated from the code."""
    assert build_plan_schema() == plan_schema()
    assert (
        json.loads((ROOT / "src/opinion_rules/schemas/plan.schema.json").read_text())
        == plan_schema()
    )


@pytest.mark.parametrize("path", sorted(PLANS.glob("*.yaml")), ids=lambda p: p.name)
def test_example_plans_match_the_schema(path: Path):
    """Every example plan validates against the plan JSON Schema."""
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), plan_schema())


def test_schema_rejects_an_unknown_key():
    """The plan JSON Schema rejects a misspelt key in a grade."""
    data = yaml.safe_load(MINIMAL)
    data["grades"][0]["critera"] = "x"

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, plan_schema())


# -- parameters ---------------------------------------------------------------------


PARAMETRISED = MINIMAL.replace(
    "roles:",
    "parameters:\n  - {id: limit, label: 点击阈值, clause: {ref: '9', text: 点击超过次}}\nroles:",
).replace("criteria: clicks_1d > 1000", "criteria: clicks_1d > $limit")


def test_required_parameter_blocks_the_engine_until_set():
    """An Engine refuses a plan with an unset required parameter and evaluates once it is set."""
    plan = read_plan_text(PARAMETRISED, "yaml")

    with pytest.raises(PlanValidationError, match="required parameter 'limit'"):
        o.Engine(plan)
    engine = o.Engine(plan.with_parameters(limit=5000))
    incident = {
        "id": "I",
        "discovered_at": "2026-11-23T09:00:00+08:00",
        "posted_at": "2026-11-23T08:00:00+08:00",
        "observations": [{"at": "2026-11-23T09:00:00+08:00", "metric": "clicks", "value": 4000}],
    }

    assert "low" == engine.evaluate(incident, at=_at("2026-11-23T10:00:00+08:00")).grade.id


def test_unknown_parameter_is_an_error():
    """Setting an undeclared parameter, or using one in a condition, is a plan error."""
    plan = read_plan_text(PARAMETRISED, "yaml")

    with pytest.raises(PlanValidationError, match="no such parameter"):
        plan.with_parameters(limt=1)
    (problem,) = problems_of(PARAMETRISED.replace("$limit", "$limt"))
    assert "parameter 'limt' is not declared" in problem.message


def test_problem_about_a_key_the_file_lacks_is_placed_at_the_root():
    """Regression: locating 'grades' when the file has no grades looped forever."""
    problems = problems_of(
        "id: x\ntitle: t\nissuer: i\nversion: '1'\nsource: s\nroles: []\nactions: []\n"
    )

    assert any("no grades" in p.message and (1, 1) == (p.line, p.column) for p in problems)


# -- hostile input: every bad value is a located library error ----------------------

DEEP_CONDITIONS = {
    "parentheses": "(" * 200 + "clicks_1d > 1" + ")" * 200,
    "not": "not " * 1000 + "clicks_1d > 1",
    "any": "any(" * 1000 + "clicks_1d > 1" + ")" * 1000,
    "and/or levels": "clicks_1d > 1 or clicks_1d > 2 and not (" * 20 + "clicks_1d > 3" + ")" * 20,
}


def with_criteria(condition: str) -> str:
    return MINIMAL.replace("criteria: clicks_1d > 100\n", f"criteria: '{condition}'\n")


@pytest.mark.parametrize("condition", DEEP_CONDITIONS.values(), ids=DEEP_CONDITIONS)
def test_deeply_nested_condition_is_a_located_error(condition: str):
    """Regression: these raised RecursionError in the expression parser."""
    (problem,) = problems_of(with_criteria(condition))

    assert "grades[0].criteria" == problem.path
    assert f"nests deeper than {CONDITION_DEPTH} levels" in problem.message
    assert 15 == problem.line
    # The column is the character where the 51st level opens, inside the quotes.
    offset = int(re.search(r"at character (\d+)", problem.message)[1])  # type: ignore[index]
    assert 16 + offset - 1 == problem.column


def test_conditions_at_the_depth_limit_load_evaluate_and_round_trip():
    """Conditions nested exactly CONDITION_DEPTH levels load, round-trip in every format and evaluate."""
    nots = "not " * CONDITION_DEPTH + "clicks_1d > 1"
    parens = "(" * CONDITION_DEPTH + "clicks_1d > 1" + ")" * CONDITION_DEPTH
    for condition in (nots, parens):
        plan = read_plan_text(with_criteria(condition), "yaml")

        for fmt in ("yaml", "json", "toml"):
            assert plan == read_plan_text(o.dump_plan(plan, fmt), fmt)
        assert o.Engine(plan).evaluate(
            {"id": "I", "discovered_at": "2026-11-23T09:00:00+08:00"},
            at=_at("2026-11-23T10:00:00+08:00"),
        )


def test_structured_conditions_are_bounded_in_the_file():
    """{not: ...} and {all: [...]} levels count together with the text's levels."""
    nested = "{not: " * 30 + "'" + "not " * 30 + "clicks_1d > 1'" + "}" * 30
    (problem,) = problems_of(
        MINIMAL.replace("criteria: clicks_1d > 100\n", f"criteria: {nested}\n")
    )

    assert problem.path.startswith("grades[0].criteria.not.not")
    assert "nests deeper than 50 levels" in problem.message
    assert 15 == problem.line

    # 30 levels of {all: [...]} (60 of YAML, near the file's own bound) and 25 of 'not'.
    tree = "{all: [" * 30 + "'" + "not " * 25 + "clicks_1d > 1'" + "]}" * 30
    (problem,) = problems_of(MINIMAL.replace("criteria: clicks_1d > 100\n", f"criteria: {tree}\n"))
    assert "nests deeper than 50 levels" in problem.message


def test_deep_python_api_condition_is_refused_by_the_plan_not_the_stack():
    """A 20000-level condition built in Python is a plan problem naming its depth, not a RecursionError."""
    base = read_plan_text(MINIMAL, "yaml")
    condition: Condition = measure("clicks_1d") > 1
    for _ in range(20_000):
        condition = not_(condition)
    grade = attrs.evolve(base.grades[0], criteria=condition)

    with pytest.raises(PlanValidationError) as caught:
        attrs.evolve(base, grades=[grade, base.grades[1]])

    (problem,) = caught.value.problems
    assert "grades[0].criteria" == problem.path
    assert "nests 20000 levels deep, more than 50" in problem.message


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ("category(_x)", "'_x' is not an identifier"),
        ("seen(_x)", "'_x' is not an identifier"),
        ("seen(平息)", "'平息' is not an identifier"),
        ("clicks_1d > $_x", "'$_x' is not a parameter name"),
        ("clicks_1d > 1e400", "the number is too large"),
        ("clicks_1d in [1, -1e999]", "the number is too large"),
        ("clicks_1d > " + "9" * 5000, "the number has more than 100 characters"),
        ('clicks_1d == "\\ud800"', "lone surrogate"),
    ],
)
def test_bad_values_in_conditions_are_located(condition: str, words: str):
    """Regression: these raised ValueError from the model classes or int()."""
    (problem,) = problems_of(with_criteria(condition.replace("'", "''")))

    assert "grades[0].criteria" == problem.path
    assert words in problem.message
    assert (15, 16) <= (problem.line, problem.column)


# Each: (what to replace in MINIMAL, with what, the path and words of the problem).
BAD_VALUES = [
    (
        'version: "1"',
        'version: "1"\nimmediate_tolerance: 99999999999999999999d',
        "immediate_tolerance",
        "longer than the longest supported period (36600 days)",
    ),
    (
        'version: "1"',
        'version: "1"\nprompt_tolerance: 36601d',
        "prompt_tolerance",
        "longer than the longest supported period",
    ),
    (
        'version: "1"',
        'version: "1"\ntimezone: ' + "A" * 300,
        "timezone",
        "longer than 64 characters",
    ),
    ('version: "1"', 'version: "1"\ntimezone: Asia', "timezone", "unknown timezone 'Asia'"),
    (
        "window: 1d",
        "window: 99999999999999999999d",
        "measures[0].window",
        "longer than the longest supported period",
    ),
    (
        "window: 1d",
        "window: {sustained_days: 99999999999}",
        "measures[0].window",
        "longer than the longest supported period",
    ),
    (
        "kind: immediately",
        "within: 99999999999d",
        "actions[0].deadline.within",
        "longer than the longest supported period",
    ),
    (
        "kind: immediately",
        "within: 999999999999999999999999999h",
        "actions[0].deadline.within",
        "longer than the longest supported period",
    ),
    (
        "kind: immediately",
        "within: 1h, extension: {event: asked, by: 36601d}",
        "actions[0].deadline.extension.by",
        "longer than the longest supported period",
    ),
    (
        "anchor: discovered, kind: immediately",
        "anchor: 'overdue:call+99999999999999999999d'",
        "actions[0].deadline.anchor",
        "longer than the longest supported period",
    ),
    (
        "kind: immediately",
        "every: 99999999999999999999d",
        "actions[0].deadline.every",
        "longer than the longest supported period",
    ),
    (
        "kind: immediately",
        "per_day: 99999999999999999999",
        "actions[0].deadline.per_day",
        "more than 1440 completions a day",
    ),
    ("rank: 0", "rank: .nan", "grades[0].rank", "expected a whole number"),
]


@pytest.mark.parametrize(("old", "new", "path", "words"), BAD_VALUES, ids=lambda v: str(v)[:30])
def test_bad_plan_values_are_located_errors(old: str, new: str, path: str, words: str):
    """Regression: OverflowError, OSError and silent acceptance of absurd values."""
    problems = problems_of(MINIMAL.replace(old, new, 1))

    assert any(p.path == path and words in p.message for p in problems), problems
    assert all(p.line is not None for p in problems)


def test_numbers_must_be_finite_in_every_format():
    """NaN and infinite parameter values are located errors in YAML, JSON and TOML."""
    parameter = "parameters:\n  - {id: p, label: l, value: VALUE}\nroles:"
    for value in (".nan", ".inf", "-.inf"):
        (problem,) = problems_of(MINIMAL.replace("roles:", parameter.replace("VALUE", value)))
        assert "parameters[0].value" == problem.path
        assert "expected a finite number" in problem.message
    data = yaml.safe_load(MINIMAL)
    data["parameters"] = [{"id": "p", "label": "l", "value": 1}]
    as_json = json.dumps(data).replace('"value": 1', '"value": 1e400')
    as_toml = tomli_w.dumps(data).replace("value = 1", "value = nan")
    for fmt, text in (("json", as_json), ("toml", as_toml)):
        (problem,) = problems_of(text, fmt)
        assert "expected a finite number" in problem.message
        assert problem.line is not None


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
def test_long_number_literals_are_refused_before_python_reads_them(fmt: str):
    """Regression: more than 4,300 digits raised ValueError from int()."""
    data = yaml.safe_load(MINIMAL)
    text = {"yaml": MINIMAL, "json": json.dumps(data, indent=1), "toml": tomli_w.dumps(data)}[fmt]
    marker = {"yaml": "rank: 0", "json": '"rank": 0', "toml": "rank = 0"}[fmt]
    long = marker.replace("0", "9" * 5000)

    with pytest.raises(PlanLoadError, match="a number has more than 100 characters") as caught:
        read_plan_text(text.replace(marker, long, 1), fmt)

    line = text[: text.index(marker)].count("\n") + 1
    assert line == caught.value.line


@pytest.mark.parametrize(
    ("fmt", "text", "words"),
    [
        # libyaml refuses the escape itself; PyYAML's parser leaves it to the reader.
        ("yaml", 'id: "\\ud800"', "lone surrogate OR invalid Unicode character escape"),
        ("yaml", 'id: "a\\0b"', "control character U+0000"),
        ("json", '{"id": "\\ud800"}', "lone surrogate"),
        ("json", '{"\\udfff": 1}', "a key holds a lone surrogate"),
        ("json", '{"id": "a\\u0000b"}', "control character U+0000"),
        ("toml", 'id = "a\\u0000b"', "control character U+0000"),
        ("yaml", 'extends: "\\0x.yaml"', "control character U+0000"),
        # A lone surrogate in the text itself, not escaped: libyaml cannot even encode it.
        ("yaml", "id: x\ud800", "lone surrogate (U+D800)"),
        ("json", '{"id": "x\udfff"}', "lone surrogate (U+DFFF)"),
        ("toml", 'id = "x\ud800"', "lone surrogate (U+D800)"),
    ],
)
def test_texts_with_lone_surrogates_or_controls_are_refused(fmt: str, text: str, words: str):
    """Regression: NUL in an extends path raised ValueError; surrogates were accepted."""
    pattern = "|".join(re.escape(w) for w in words.split(" OR "))
    with pytest.raises(PlanLoadError, match=pattern) as caught:
        read_plan_text(text, fmt)

    assert (1, 1) <= (caught.value.line, caught.value.column)


@pytest.mark.parametrize(
    ("fmt", "opening", "place"),
    [
        ("json", "[", (1, 65)),
        ("yaml", "[", (1, 65)),
        ("yaml", "- ", (65, 131)),
        ("toml", "[", (1, 5)),
    ],
)
def test_nesting_is_bounded_at_the_plan_file_depth(fmt: str, opening: str, place: tuple[int, int]):
    """Each format parses nesting at PLAN_FILE_DEPTH and refuses one level more at the opening that exceeds it."""

    def nested(levels: int) -> str:
        if opening == "- ":
            return "".join("  " * i + "-\n" for i in range(levels - 1)) + "  " * levels + "- 1\n"
        if fmt == "toml":  # the top-level table is the first level
            return "a = " + opening * (levels - 1) + "1" + "]" * (levels - 1)
        return opening * levels + "1" + "]" * levels

    parse_document(nested(PLAN_FILE_DEPTH), fmt)  # at the limit: parsed
    with pytest.raises(FileSyntaxError, match=f"nest deeper than {PLAN_FILE_DEPTH} levels") as e:
        parse_document(nested(PLAN_FILE_DEPTH + 1), fmt)
    assert place == (e.value.line, e.value.column)


def test_yaml_values_that_look_like_dates_but_are_not_are_located():
    """A YAML value shaped like an impossible date is a located PlanLoadError, not a crash."""
    with pytest.raises(PlanLoadError, match="cannot read '2025-13-45' as a timestamp") as e:
        read_plan_text(MINIMAL.replace("title: 最小预案", "title: 2025-13-45"), "yaml")

    assert (2, 8) == (e.value.line, e.value.column)


def test_too_large_text_is_refused():
    """Plan text longer than PLAN_FILE_BYTES is refused."""
    with pytest.raises(PlanLoadError, match=f"larger than {PLAN_FILE_BYTES} bytes"):
        read_plan_text("#" * (PLAN_FILE_BYTES + 1), "yaml")


def test_too_large_file_is_refused_before_it_is_read(tmp_path: Path):
    """A plan file over the size bound is refused from its size, without reading it."""
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:  # sparse: a gigabyte that takes no space
        handle.truncate(1_000_000_000)

    with pytest.raises(PlanLoadError, match="larger than 5000000 bytes"):
        o.load_plan(big)


def test_fifo_plan_file_is_refused_without_blocking(tmp_path: Path):
    """load_plan of a FIFO is refused as not a regular file, without blocking."""
    fifo = tmp_path / "plan.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _catch(outcome, o.load_plan, fifo), daemon=True)

    reader.start()
    reader.join(timeout=10)

    assert not reader.is_alive(), "reading a FIFO blocked"
    (error,) = outcome
    assert isinstance(error, PlanLoadError)
    assert "a FIFO, not a regular file" in str(error)


def _catch(into: list[BaseException], function: Any, *args: Any) -> None:
    try:
        function(*args)
    except BaseException as exc:  # noqa: BLE001 - the test inspects it
        into.append(exc)


def test_undecodable_file_is_located(tmp_path: Path):
    """A plan file that is not UTF-8 is a PlanLoadError at the first undecodable byte."""
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"id: x\ntitle: \xff\xfe\n")

    with pytest.raises(PlanLoadError, match="not UTF-8") as caught:
        o.load_plan(path)

    assert (2, 8) == (caught.value.line, caught.value.column)


HOSTILE = [
    "1e400",
    "-1e999",
    "9" * 4500,
    "0x" + "f" * 200,
    ".nan",
    "nan",
    "inf",
    '"\\ud800"',
    '"\\u0000"',
    "'\\0'",
    "[" * 70,
    "{a: " * 70,
    "{" * 70,
    "99999999999999999999d",
    "99999999999wd",
    "not " * 60,
    "(" * 60,
    "any(" * 60,
    "$_x",
    "seen(_x)",
    "2025-13-45",
    "\\0x.yaml",
    "A" * 300,
    "\ud800",
    "\x00",
]


def _plan_texts() -> dict[str, str]:
    data = yaml.safe_load(MINIMAL)
    return {"yaml": MINIMAL, "json": json.dumps(data, indent=1), "toml": tomli_w.dumps(data)}


@given(
    fmt=st.sampled_from(["yaml", "json", "toml"]),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 8), st.sampled_from(HOSTILE)),
        min_size=1,
        max_size=3,
    ),
)
@settings(max_examples=300, deadline=None)
def test_hostile_values_raise_only_library_errors(fmt: str, edits: list[tuple[float, int, str]]):
    """Known-bad fragments spliced anywhere in a valid plan, in every format."""
    text = _plan_texts()[fmt]
    for where, cut, fragment in edits:
        i = int(where * len(text))
        text = text[:i] + fragment + text[i + cut :]
    with contextlib.suppress(o.PlanError):
        read_plan_text(text, fmt)


def test_a_huge_broken_plan_reports_a_bounded_list_quickly():
    """Each problem lists the plan's names: 3,000 unknown owners among 3,000 roles made a
    100 MB message (quadratic); problems stop at 100 and lists at 30 names."""
    roles = "".join(f"  - {{id: role{i}, name: n}}\n" for i in range(3000))
    actions = "".join(
        f"  - {{id: a{i}, title: t, owners: [nobody{i}], channel: phone, "
        f"deadline: {{anchor: discovered}}, clause: {{ref: a, text: b}}}}\n"
        for i in range(3000)
    )
    text = MINIMAL.replace("roles:\n", "roles:\n" + roles).replace(
        "actions:\n", "actions:\n" + actions
    )

    problems = problems_of(text)

    assert 101 == len(problems)  # 100, and one saying there are more
    assert "only the first 100 are listed" in problems[-1].message
    assert "(3001 in all)" in (problems[0].expected or "")
    assert all(len(str(p)) < 1000 for p in problems)


def test_the_python_api_refuses_the_same_bounds():
    """The bounds live in the model, so plans built in Python cannot bypass them."""
    base = read_plan_text(MINIMAL, "yaml")
    call = base.actions[0]

    with pytest.raises(PlanValidationError, match="longer than the longest supported period"):
        attrs.evolve(base, actions=[attrs.evolve(call, deadline=after("discovered", days=10**12))])
    with pytest.raises(ValueError, match="longer than the longest supported period"):
        attrs.evolve(base, immediate_tolerance=timedelta(days=40_000))
    with pytest.raises(ValueError, match="longer than the longest supported period"):
        rolling(days=40_000)
    with pytest.raises(TypeError, match="finite number"):
        o.Parameter("p", "l", value=float("inf"))
    with pytest.raises(ValueError, match="IANA timezone"):
        attrs.evolve(base, timezone="A" * 300)
