"""
Plan files: loading, located errors, round trips, safety and the schema.
"""

from __future__ import annotations

import contextlib
import json
import string
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules._planfile import build_plan_schema, read_plan_text

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


def problems_of(text: str, fmt: str = "yaml") -> list[o.Problem]:
    with pytest.raises(o.PlanValidationError) as info:
        read_plan_text(text, fmt, "plan.yaml")
    return list(info.value.problems)


def located(text: str) -> list[str]:
    return [f"{p.line}:{p.column} {p.path}" for p in problems_of(text)]


def test_work_safety_file_equals_the_python_plan():
    """The YAML plan and the Python-API example are the same plan."""
    assert o.load_plan(EXAMPLES / "work_safety.py") == o.load_plan(WORK_SAFETY)


def test_minimal_plan_loads_and_evaluates():
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
    assert old in MINIMAL
    (problem,) = problems_of(MINIMAL.replace(old, new))

    assert where == f"{problem.line}:{problem.column}"
    assert words in str(problem)
    assert str(problem).startswith(f"plan.yaml:{where}: ")


def test_duplicate_ids_are_located_at_the_section():
    text = MINIMAL.replace("  - id: high\n", "  - id: low\n")
    problem, dangling = problems_of(text)

    assert "id 'low' is used 2 times" in problem.message
    assert (12, 3) == (problem.line, problem.column)
    assert "grade 'high' is not defined" in dangling.message  # the action still names it


def test_every_problem_is_reported_in_one_pass():
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
    with pytest.raises(o.PlanLoadError) as info:
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
    with pytest.raises(o.PlanLoadError) as info:
        read_plan_text(text, fmt)

    assert where == (info.value.line, info.value.column)


def test_json_and_toml_problems_are_located():
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
    with pytest.raises(o.PlanLoadError):
        read_plan_text(text, "yaml")


def test_conditions_are_never_run_as_python():
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
    assert plan == read_plan_text(o.dump_plan(plan, fmt), fmt)


@pytest.mark.parametrize("path", sorted(PLANS.glob("*.yaml")), ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_example_plans_survive_dump_and_load(path: Path, fmt: str):
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
    for fmt, text in (("json", "[" * 5000), ("yaml", "[" * 5000), ("toml", "a = " + "[" * 5000)):
        with pytest.raises(o.PlanLoadError):
            read_plan_text(text, fmt)


# -- schema -------------------------------------------------------------------------


def test_shipped_schema_is_the_generated_one():
    assert build_plan_schema() == o.plan_schema()
    assert (
        json.loads((ROOT / "src/opinion_rules/schemas/plan.schema.json").read_text())
        == o.plan_schema()
    )


@pytest.mark.parametrize("path", sorted(PLANS.glob("*.yaml")), ids=lambda p: p.name)
def test_example_plans_match_the_schema(path: Path):
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), o.plan_schema())


def test_schema_rejects_an_unknown_key():
    data = yaml.safe_load(MINIMAL)
    data["grades"][0]["critera"] = "x"

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, o.plan_schema())


# -- parameters ---------------------------------------------------------------------


PARAMETRISED = MINIMAL.replace(
    "roles:",
    "parameters:\n  - {id: limit, label: 点击阈值, clause: {ref: '9', text: 点击超过次}}\nroles:",
).replace("criteria: clicks_1d > 1000", "criteria: clicks_1d > $limit")


def test_required_parameter_blocks_the_engine_until_set():
    plan = read_plan_text(PARAMETRISED, "yaml")

    with pytest.raises(o.PlanValidationError, match="required parameter 'limit'"):
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
    plan = read_plan_text(PARAMETRISED, "yaml")

    with pytest.raises(o.PlanValidationError, match="no such parameter"):
        plan.with_parameters(limt=1)
    (problem,) = problems_of(PARAMETRISED.replace("$limit", "$limt"))
    assert "parameter 'limt' is not declared" in problem.message


def test_problem_about_a_key_the_file_lacks_is_placed_at_the_root():
    """Regression: locating 'grades' when the file has no grades looped forever."""
    problems = problems_of(
        "id: x\ntitle: t\nissuer: i\nversion: '1'\nsource: s\nroles: []\nactions: []\n"
    )

    assert any("no grades" in p.message and (1, 1) == (p.line, p.column) for p in problems)
