"""
The command line: output, JSON, and exit codes.
"""

from __future__ import annotations

import io
import json

import pytest

from opinion_rules.cli._main import main

from .conftest import EXAMPLES, _durable_importable


PLAN = str(EXAMPLES / "work_safety.py")
INCIDENT = str(EXAMPLES / "incidents" / "work_safety_upgrade.json")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_table_output():
    """The default output names the grade, its history and each action's status."""
    code, out, err = run("evaluate", PLAN, INCIDENT, "--at", "2026-11-23T14:00:00+08:00")

    assert (0, "") == (code, err)
    assert "grade     重大网络舆情 (major, rank 2) since 2026-11-23 13:00" in out
    assert "-> 较大网络舆情 2026-11-23 10:00 -> 重大网络舆情 2026-11-23 13:00" in out
    assert any(
        line.startswith("overdue") and "major_notify_units" in line for line in out.splitlines()
    )


def test_json_output_has_the_documented_keys():
    """--json prints the assessment with the documented keys and ISO times in the plan's zone."""
    code, out, _err = run("evaluate", PLAN, INCIDENT, "--at", "2026-11-23T06:00:00Z", "--json")
    data = json.loads(out)

    assert 0 == code
    assert [
        "plan",
        "incident",
        "at",
        "grade",
        "grade_history",
        "categories",
        "actions",
        "chains",
        "next_change",
        "grade_driver",
        "undecided",
        "grade_needs",
        "closed_at",
    ] == list(data)
    assert "2026-11-23T14:00:00+08:00" == data["at"]
    assert {
        "id",
        "title",
        "owners",
        "channel",
        "anchor",
        "due",
        "status",
        "clause",
        "reason",
    } <= set(data["actions"][0])


@pytest.mark.skipif(not _durable_importable(), reason="durable_rules does not import here")
def test_backends_print_the_same_json():
    """Both backends give byte-identical JSON."""
    python = run("evaluate", PLAN, INCIDENT, "--at", "2026-11-23T14:00:00+08:00", "--json")
    durable = run(
        "evaluate",
        PLAN,
        INCIDENT,
        "--at",
        "2026-11-23T14:00:00+08:00",
        "--json",
        "--backend",
        "durable",
    )

    assert python == durable


def test_bad_at_exits_2_with_one_line():
    """A naive --at is bad input: exit 2, one line, no traceback."""
    code, out, err = run("evaluate", PLAN, INCIDENT, "--at", "2026-11-23T14:00:00")

    assert 2 == code
    assert "" == out
    assert 1 == len(err.strip().splitlines())
    assert err.startswith("opinion-rules: error: --at: has no UTC offset")


def test_missing_plan_exits_2(tmp_path):
    """A plan file that does not exist is bad input."""
    code, _out, err = run(
        "evaluate", str(tmp_path / "nope.py"), INCIDENT, "--at", "2026-11-23T14:00:00+08:00"
    )

    assert 2 == code
    assert "no such file" in err


def test_bad_incident_exits_2_listing_every_problem(tmp_path):
    """Several problems in the incident are reported on one line."""
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "id": "x",
                "observations": [{"at": "2026-11-23T09:00:00", "metric": "clicks", "value": -1}],
            }
        )
    )

    code, _out, err = run("evaluate", PLAN, str(path), "--at", "2026-11-23T14:00:00+08:00")

    assert 2 == code
    assert 1 == len(err.strip().splitlines())
    assert "discovered_at: is missing" in err
    assert "observations[0].value: is negative" in err


def test_unknown_backend_exits_2():
    """An unknown backend is refused by the argument parser."""
    code, _out, err = run("evaluate", PLAN, INCIDENT, "--backend", "drools")

    assert 2 == code
    assert "invalid choice" in err


def test_param_supplies_a_required_plan_parameter():
    """The cultural-venue plan leaves the fever threshold blank; --param fills it."""
    argv = [
        "evaluate",
        str(EXAMPLES / "plans" / "cultural_venues.yaml"),
        str(EXAMPLES / "incidents" / "cultural_venue_case.json"),
        "--at",
        "2026-11-27T18:00:00+08:00",
    ]
    out, err = io.StringIO(), io.StringIO()

    assert 2 == main(argv, stdout=out, stderr=err)
    assert "required parameter 'fever_threshold'" in err.getvalue()
    assert 0 == main([*argv, "--param", "fever_threshold=37.3"], stdout=out, stderr=err)
    assert 2 == main([*argv, "--param", "fever_threshold=hot"], stdout=out, stderr=err)
