"""
The lifecycle keys of plan files (0.4.0): ``grading``, judgement facts, the
``other`` category, owner duties, routing, overrides and families — read,
dumped, located when wrong, and described by the plan schema.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
import yaml

import opinion_rules as o
from opinion_rules.exceptions import PlanValidationError, Problem
from opinion_rules.lifecycle import Deescalation
from opinion_rules.planfile import plan_schema
from opinion_rules.planfile._loaders import read_plan_text

from .test_lifecycle import DEMO


FULL_GRADING = {
    "drive": "higher",
    "asserted_by": ["office"],
    "regrade": "keep_elapsed",
    "deescalation": [
        {"id": "calm", "to": "general", "measure": "clicks_1h", "below": 100, "consecutive": 3},
        {
            "id": "quiet",
            "to": "general",
            "event": "subsided",
            "cancel_started": True,
            "clause": {"ref": "q", "text": "舆情平息后降级"},
        },
    ],
    "closure": {
        "event": "case_closed",
        "cancel_started": True,
        "clause": {"ref": "z", "text": "应急处置结束"},
    },
    "clause": {"ref": "w", "text": "由办公室确定"},
}


def full_data() -> dict[str, Any]:
    data = yaml.safe_load(DEMO)
    data["grading"] = copy.deepcopy(FULL_GRADING)
    return data


def full_text() -> str:
    return yaml.safe_dump(full_data(), allow_unicode=True, sort_keys=False)


def test_the_demo_reads_every_lifecycle_key():
    """Every lifecycle key (grading, judgement, other, duties, routing, family, overrides) reads into the Plan."""
    plan = read_plan_text(full_text(), "yaml")

    g = plan.grading
    assert ("higher", ("office",), "keep_elapsed") == (g.drive, g.asserted_by, g.regrade)
    calm, quiet = g.deescalation
    assert ("clicks_1h", 100, 3, False) == (
        calm.measure,
        calm.below,
        calm.consecutive,
        calm.cancel_started,
    )
    assert ("subsided", True, "q") == (quiet.event, quiet.cancel_started, quiet.clause.ref)
    assert ("case_closed", True) == (g.closure.event, g.closure.cancel_started)
    assert "w" == g.clause.ref
    assert next(f for f in plan.facts if f.id == "big_impact").judgement
    assert [False, True] == [c.other for c in plan.categories]
    major = plan.action("report_major")
    assert ("office", "section") == major.owners
    assert ("lead", "support") == (major.duty_of("office"), major.duty_of("section"))
    assert [("party", "coordinate"), ("office", "lead")] == [
        (a.role, a.duty) for a in major.routing[0].owners
    ]
    assert ("report", "r") == (major.family, major.routing[0].clause.ref)
    assert ("report_general", "report_major") == plan.action("safety_report").overrides


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_lifecycle_keys_round_trip(fmt: str):
    """A plan using every lifecycle key dumps to YAML, TOML and JSON and reads back equal."""
    plan = read_plan_text(full_text(), "yaml")

    again = read_plan_text(o.dump_plan(plan, fmt), fmt)

    assert plan == again
    assert again.grading == plan.grading


def test_default_grading_is_not_written():
    """A plan without a grading key gets the default grading, and dump_plan does not write it."""
    data = full_data()
    del data["grading"]
    plan = read_plan_text(yaml.safe_dump(data, allow_unicode=True), "yaml")

    assert plan.grading.is_default()
    assert "grading" not in yaml.safe_load(o.dump_plan(plan))


def problems(text: str) -> list[Problem]:
    with pytest.raises(PlanValidationError) as info:
        read_plan_text(text, "yaml", "plan.yaml")
    return list(info.value.problems)


def line_of(text: str, needle: str, start: int = 0) -> int:
    """The line of the first *needle* at or after character *start*."""
    return text.count("\n", 0, text.index(needle, start)) + 1


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("drive: higher", "drive: sometimes", "drive: sometimes"),
        ("regrade: keep_elapsed", "regrade: later", "regrade: later"),
        ("event: subsided", "event: subsided\n    measure: clicks_1h", "measure: clicks_1h"),
        ("duty: support", "duty: helper", "duty: helper"),
    ],
)
def test_lifecycle_errors_are_located(old: str, new: str, needle: str):
    """A bad drive, regrade, de-escalation rule or duty is reported at or just above its own line."""
    text = full_text()
    assert old in text
    start = text.index(old)
    text = text.replace(old, new, 1)
    line = line_of(text, needle, start)

    found = problems(text)

    assert found
    assert all(p.file == "plan.yaml" for p in found)
    # The problem points at the offending entry: its own line or the line
    # of the mapping it sits in, never elsewhere in the file.
    lines = {p.line for p in found}
    assert lines & set(range(line - 3, line + 1)), found
    assert str(found[0]).startswith(f"plan.yaml:{found[0].line}:{found[0].column}:")


def test_a_bad_drive_names_the_choices():
    """An unknown grading drive is one problem, on its line, that names the allowed drives."""
    text = full_text().replace("drive: higher", "drive: sometimes")

    (problem,) = problems(text)

    assert problem.path.startswith("grading")
    assert line_of(text, "drive: sometimes") == problem.line
    assert "computed" in str(problem)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["grading"].update(asserted_by=["nobody"]), "grading.asserted_by[0]"),
        (lambda d: d["grading"]["deescalation"][0].update(to="huge"), "grading.deescalation[0].to"),
        (
            lambda d: d["grading"]["deescalation"][0].update(measure="nothing"),
            "grading.deescalation[0].measure",
        ),
        (lambda d: d["grading"]["deescalation"][1].update(id="calm"), "grading.deescalation[1].id"),
        (lambda d: d["actions"][2].update(overrides=["safety_report"]), "actions[2].overrides[0]"),
    ],
)
def test_lifecycle_reference_errors(change, path: str):
    """Lifecycle keys naming an unknown role, grade or measure, a duplicate rule id or a self-override are located errors."""
    data = full_data()
    change(data)

    found = problems(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

    assert path in [p.path for p in found]
    assert all(p.line is not None for p in found if p.path == path)


@pytest.mark.parametrize("below", [".nan", ".inf", "-.inf"])
def test_a_de_escalation_threshold_must_be_finite(below: str):
    """Regression: below: .nan was accepted (every comparison with it is false)."""
    text = full_text()
    assert "below: 100" in text
    text = text.replace("below: 100", f"below: {below}", 1)

    (problem,) = problems(text)

    assert "grading.deescalation[0].below" == problem.path
    assert "expected a finite number" in problem.message
    assert line_of(text, f"below: {below}") == problem.line


def test_a_de_escalation_threshold_must_be_finite_in_python():
    """Deescalation built in Python with a NaN 'below' raises ValueError."""
    with pytest.raises(ValueError, match="needs a finite number 'below'"):
        Deescalation("calm", "general", measure="clicks_1h", below=float("nan"))


def test_the_schema_accepts_the_demo_and_rejects_a_bad_drive():
    """The plan JSON Schema accepts the lifecycle demo and its dump, and rejects an unknown drive."""
    schema = plan_schema()
    data = full_data()

    jsonschema.validate(data, schema)
    jsonschema.validate(
        json.loads(o.dump_plan(read_plan_text(full_text(), "yaml"), "json")), schema
    )

    data["grading"] = {"drive": "sometimes"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["grading"].update(regrade="later"),
        lambda d: d["actions"][1]["owners"].append({"role": "party", "duty": "boss"}),
        lambda d: d["grading"].update(unknown_key=1),
    ],
)
def test_the_schema_rejects_bad_lifecycle_values(change):
    """The plan JSON Schema rejects an unknown regrade rule, an unknown duty and an unknown grading key."""
    data = full_data()
    change(data)

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, plan_schema())
