"""
The incident interchange format: strict parsing, clear errors, the schema.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

import opinion_rules as o
from opinion_rules.planfile import incident_schema

from .conftest import EXAMPLES, cst


def valid() -> dict[str, Any]:
    return {
        "id": "INC-1",
        "discovered_at": "2026-11-23T09:00:00+08:00",
        "posted_at": "2026-11-23T08:00:00+08:00",
        "facts": {"netizen_concern": "doubt"},
        "observations": [
            {
                "at": "2026-11-23T09:00:00+08:00",
                "metric": "clicks",
                "value": 1200,
                "site": "a.cn",
                "channel": "weibo",
            },
        ],
        "events": [
            {"at": "2026-11-23T10:00:00+08:00", "type": "action_done", "action": "larger_report"},
            {"at": "2026-11-23T11:00:00+08:00", "type": "subsided"},
        ],
    }


def problems(data: Any) -> list[str]:
    with pytest.raises(o.FactError) as info:
        o.Incident.from_dict(data)
    return [str(p) for p in info.value.problems]


def test_round_trip():
    """to_dict gives back the interchange format that built the incident."""
    incident = o.Incident.from_dict(valid())

    assert incident == o.Incident.from_dict(incident.to_dict())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d.pop("discovered_at"),
            "discovered_at: is missing; expected an ISO 8601 datetime with a UTC offset",
        ),
        (
            lambda d: d.update(discovered_at="2026-11-23T09:00:00"),
            "discovered_at: has no UTC offset (naive datetime)",
        ),
        (
            lambda d: d["observations"][0].update(value=-1),
            "observations[0].value: is negative; expected a non-negative number (got -1)",
        ),
        (
            lambda d: d["observations"][0].update(value=True),
            "observations[0].value: is not a number",
        ),
        (
            lambda d: d["observations"][0].update(value="12"),
            "observations[0].value: is not a number",
        ),
        (
            lambda d: d["observations"][0].update(kind="delta"),
            "observations[0].kind: is not a known kind; expected 'total' or 'increment'",
        ),
        (
            lambda d: d["observations"][0].update(at="yesterday"),
            "observations[0].at: is not an ISO 8601 datetime",
        ),
        (lambda d: d["events"][0].pop("action"), "events[0].action: is missing"),
        (
            lambda d: d.update(discoverd_at="2026-11-23T09:00:00+08:00"),
            "discoverd_at: is not a known field",
        ),
        (lambda d: d.update(facts=[]), "facts: is not an object"),
        (
            lambda d: d["observations"][0].update(at="2026-11-23T07:00:00+08:00"),
            "observations[0].at: observation is earlier than posted_at",
        ),
    ],
)
def test_bad_input_names_the_field(change, expected):
    """Each malformed field is reported with its path and the expected form."""
    data = valid()
    change(data)

    found = problems(data)

    assert any(p.startswith(expected) for p in found), found


def test_all_problems_reported_at_once():
    """Several problems in one incident are reported together."""
    data = valid()
    data.pop("discovered_at")
    data["observations"][0]["value"] = -5

    assert len(problems(data)) == 2


def test_mixed_series_kinds_are_rejected():
    """One series may not mix total and increment observations."""
    data = valid()
    data["observations"].append(
        {**data["observations"][0], "at": "2026-11-23T10:00:00+08:00", "kind": "increment"}
    )

    assert any("mixes 'total' and 'increment'" in p for p in problems(data))


def test_two_different_totals_at_one_instant_are_rejected():
    """A series cannot have two different cumulative totals at the same instant."""
    data = valid()
    data["observations"].append({**data["observations"][0], "value": 1300})

    assert any("two different totals" in p for p in problems(data))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["observations"][0].update(metric="clikcs"),
            "observations[0].metric: metric 'clikcs' is not declared by the plan; expected one of 'clicks', 'reposts'; did you mean 'clicks'?",
        ),
        (
            lambda d: d["events"][0].update(action="larger_reprot"),
            "events[0].action: action 'larger_reprot' is not defined by the plan; expected one of",
        ),
        (
            lambda d: d["facts"].update(needs_support="yes"),
            "facts.needs_support: fact 'needs_support' has a value of the wrong type; expected true or false",
        ),
        (
            lambda d: d["facts"].update(netizen_concern="complaint"),
            "facts.netizen_concern: fact 'netizen_concern' has a value of the wrong type; expected one of",
        ),
        (
            lambda d: d["facts"].update(severity=3),
            "facts.severity: fact 'severity' is not declared by the plan",
        ),
    ],
)
def test_names_must_be_declared_by_the_plan(work_safety, change, expected):
    """Unknown metrics, actions and facts, and wrongly typed facts, are errors, with suggestions."""
    data = valid()
    change(data)

    with pytest.raises(o.FactError) as info:
        o.Engine(work_safety).evaluate(data, at=cst(23, 12))

    assert any(str(p).startswith(expected) for p in info.value.problems), info.value.problems


def test_naive_evaluation_instant_is_rejected(work_safety):
    """`at` must be timezone-aware."""
    from datetime import datetime

    with pytest.raises(o.FactError, match="at: is naive"):
        o.Engine(work_safety).evaluate(valid(), at=datetime(2026, 11, 23, 12))  # noqa: DTZ001 - deliberately naive


def test_load_incident_reports_json_position(tmp_path):
    """A file that is not JSON fails with its line and column."""
    path = tmp_path / "bad.json"
    path.write_text('{\n  "id": "x",\n  oops\n}', encoding="utf-8")

    with pytest.raises(o.FactError) as info:
        o.load_incident(path)

    assert str(info.value).startswith(f"{path}:3:3: not valid JSON")


def test_schema_accepts_the_examples():
    """The shipped JSON Schema accepts every bundled incident."""
    schema = incident_schema()
    paths = sorted((EXAMPLES / "incidents").glob("*.json"))

    assert paths, "no bundled incidents found: the loop below would check nothing"
    for path in paths:
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.pop("discovered_at"),
        lambda d: d.update(discovered_at="2026-11-23T09:00:00"),
        lambda d: d["observations"][0].update(value=-1),
        lambda d: d["observations"][0].update(kind="delta"),
        lambda d: d["events"][0].pop("action"),
        lambda d: d.update(extra=1),
        lambda d: d["events"].append(
            {
                "at": "2026-11-23T12:00:00+08:00",
                "type": "fact",
                "fact": "netizen_concern",
                "value": "doubt",
                "action": "larger_report",
            }
        ),
    ],
)
def test_schema_and_parser_reject_the_same_shapes(change):
    """What the parser rejects for its shape, the schema rejects too."""
    data = valid()
    change(data)

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, incident_schema())
    with pytest.raises(o.FactError):
        o.Incident.from_dict(data)


def test_unknown_event_types_are_rejected(work_safety):
    """A misspelt event type (e.g. 'subsidd') is an error, not an event silently never seen."""
    data = valid()
    data["events"][1]["type"] = "subsidd"

    with pytest.raises(o.FactError) as info:
        o.Engine(work_safety).evaluate(data, at=cst(23, 12))

    assert any(
        str(p).startswith("events[1].type: event type 'subsidd' is not used by the plan")
        and "did you mean 'subsided'" in str(p)
        for p in info.value.problems
    )


def test_null_optional_fields_are_accepted_by_parser_and_schema():
    """posted_at, site and channel may be null: parser and schema agree."""
    data = valid()
    data["posted_at"] = None
    data["observations"][0]["site"] = None
    data["observations"][0]["channel"] = None

    jsonschema.validate(data, incident_schema())
    assert o.Incident.from_dict(data).posted_at is None
