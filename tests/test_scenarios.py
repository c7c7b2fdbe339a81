"""
Scenario files: reading with located errors, running with readable diffs,
``opinion-rules test`` and its exit codes, the pytest plugin, and the
helpers of ``opinion_rules.testing``.
"""

from __future__ import annotations

import io
import json
from importlib import metadata
from pathlib import Path

import pytest

from opinion_rules import load_plan, testing
from opinion_rules.authoring._scenarios import Expectation, read_scenario
from opinion_rules.cli._main import main
from opinion_rules.exceptions import FactError, ScenarioError

from .conftest import EXAMPLES, cst


#: pytester runs the pytest plugin on scenario folders made in tmp_path.
pytest_plugins = ["pytester"]

PLAN = (EXAMPLES / "plans" / "work_safety.yaml").as_posix()
INCIDENT = (EXAMPLES / "incidents" / "work_safety_upgrade.json").as_posix()

GOOD = f"""\
plan: {PLAN}
incident: {INCIDENT}
checks:
  - at: 2026-11-23T14:00:00+08:00
    grade: major
    actions:
      major_notify_units: {{status: overdue, due: 2026-11-23T13:00:00+08:00}}
"""

#: One wrong expectation per kind, at lines 5 to 9.
WRONG = f"""\
plan: {PLAN}
incident: {INCIDENT}
checks:
  - at: 2026-11-23T14:00:00+08:00
    grade: larger
    categories: []
    actions:
      major_notify_units: pending
      general_reply: {{absent: true}}
"""


def write(folder: Path, text: str, name: str = "x.scenario.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["test", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# -- the bundled scenarios -------------------------------------------------------------


def test_every_bundled_plan_has_scenarios_and_they_pass():
    """`opinion-rules test examples/scenarios` passes, and every bundled plan has a scenario."""
    code, out, err = run(str(EXAMPLES / "scenarios"))
    planned = {read_scenario(p).plan.name for p in (EXAMPLES / "scenarios").glob("*.scenario.yaml")}

    assert (0, "") == (code, err)
    assert out.endswith("0 failed\n")
    assert {p.name for p in (EXAMPLES / "plans").glob("*.yaml")} == planned


def is_absent(expectation: Expectation) -> bool:
    return expectation.key == "absent" and expectation.value is True


def named_by_scenarios(plan_file: Path) -> dict[str, set[str]]:
    """The grade, category, action and chain ids the bundled scenarios on *plan_file* pin.

    An action counts only where a check expects it to apply (``absent: true``
    alone does not pin what the duty is), and a grade only as a grade expected.
    """
    named: dict[str, set[str]] = {
        "grades": set(),
        "categories": set(),
        "actions": set(),
        "chains": set(),
    }
    for path in (EXAMPLES / "scenarios").glob("*.scenario.yaml"):
        scenario = read_scenario(path)
        if scenario.plan.resolve() != plan_file.resolve():
            continue
        for expectation in (e for check in scenario.checks for e in check.expectations):
            if expectation.subject == "grade" and expectation.value is not None:
                named["grades"].add(expectation.value)
            elif expectation.subject in ("categories", "categories_include"):
                named["categories"] |= expectation.value
            elif expectation.subject == "action" and not is_absent(expectation):
                named["actions"].add(expectation.id)
            elif expectation.subject == "chain":
                named["chains"].add(expectation.id)
    return named


@pytest.mark.parametrize(
    "plan_file", sorted((EXAMPLES / "plans").glob("*.yaml")), ids=lambda p: p.stem
)
def test_the_bundled_scenarios_pin_every_grade_category_action_and_chain_of_each_plan(
    plan_file: Path,
):
    """Each bundled plan's every grade, category, action and chain is expected by some check of its scenarios."""
    plan = load_plan(plan_file)
    items = {
        "grades": {g.id for g in plan.grades},
        "categories": {c.id for c in plan.categories},
        "actions": {a.id for a in plan.actions},
        "chains": {c.id for c in plan.chains},
    }
    named = named_by_scenarios(plan_file)

    assert {kind: set() for kind in items} == {
        kind: ids - named[kind] for kind, ids in items.items()
    }


def test_bundled_scenarios_pass_on_the_durable_backend(backend):
    """The bundled scenarios pass on each backend."""
    code, out, _err = run(
        str(EXAMPLES / "scenarios" / "work_safety.scenario.yaml"), "--backend", backend
    )

    assert (0, "1 scenario file, 3 checks: 3 passed, 0 failed\n") == (code, out)


# -- running ---------------------------------------------------------------------------


def test_a_wrong_expectation_fails_with_a_diff_naming_instant_item_expected_and_got(tmp_path):
    """Each wrong expectation gives one line: file:line, the instant, the item, expected vs got."""
    path = write(tmp_path, WRONG)

    code, out, err = run(str(path))

    at = "at 2026-11-23T14:00:00+08:00"
    assert (1, "") == (code, err)
    assert [
        f"{path}:5: {at}: grade expected larger, got major",
        f"{path}:6: {at}: categories expected [], got [valid_criticism]",
        f"{path}:8: {at}: action major_notify_units: status expected pending, got overdue",
        f"{path}:9: {at}: action general_reply expected not applying, got applying (waiting)",
        "1 scenario file, 1 check: 0 passed, 1 failed",
    ] == out.splitlines()


def test_passing_scenario_exits_0_and_json_lists_each_check(tmp_path):
    """A passing file exits 0; --json gives the counts and each check with its mismatches."""
    path = write(tmp_path, GOOD)

    code, out, _err = run(str(path), "--json")
    data = json.loads(out)

    assert 0 == code
    assert (1, 0, 0) == (data["passed"], data["failed"], data["not_run"])
    assert [] == data["files"][0]["checks"][0]["mismatches"]


def test_a_folder_runs_every_scenario_below_it_and_bad_input_exits_2(tmp_path):
    """A folder runs its *.scenario.yaml files; a bad file is reported on stderr and the exit is 2."""
    write(tmp_path, GOOD, "a.scenario.yaml")
    write(tmp_path, "plan: nowhere.yaml\nincident: {}\nchecks: []\n", "b.scenario.yaml")
    write(tmp_path, "not a scenario", "c.yaml")

    code, out, err = run(str(tmp_path))

    assert 2 == code
    assert "2 scenario files, 1 check: 1 passed, 0 failed, 1 file not run (bad input)\n" == out
    assert err.startswith(f"opinion-rules: error: {tmp_path / 'b.scenario.yaml'}: ")


def test_a_missing_plan_file_is_bad_input(tmp_path):
    """A scenario naming a plan file that does not exist exits 2 with one line naming it."""
    path = write(tmp_path, GOOD.replace(PLAN, "missing.yaml"))

    code, _out, err = run(str(path))

    assert 2 == code
    assert "missing.yaml" in err
    assert 1 == len(err.splitlines())


# -- reading ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            (
                "plan: p.yaml\nincident: {id: x, discovered_at: 2026-11-23T09:00:00+08:00}\n"
                "checks:\n  - at: 2026-11-23T09:00:00\n    grade: none\n"
            ),
            ":4:9: checks[0].at: has no UTC offset (naive datetime)",
        ),
        (
            (
                "plan: p.yaml\nincident: {id: x, discovered_at: 2026-11-23T09:00:00+08:00}\n"
                "checks:\n  - at: 2026-11-23T09:00:00+08:00\n    grade: none\n    grades: x\n"
            ),
            ":6:5: checks[0].grades: is not a key here; expected one of",
        ),
        (
            (
                "plan: p.yaml\nincident: {id: x, discovered_at: 2026-11-23T09:00:00+08:00}\n"
                "checks:\n  - at: 2026-11-23T09:00:00+08:00\n    actions: {a: late}\n"
            ),
            ":5:18: checks[0].actions.a: is not a status; expected one of",
        ),
        (
            (
                "plan: p.yaml\nincident: {id: x, discovered_at: 2026-11-23T09:00:00+08:00}\n"
                "checks:\n  - at: 2026-11-23T09:00:00+08:00\n"
                "    known_at: 2026-11-23T09:00:00+08:00\n    grade: none\n"
            ),
            ":5:5: checks[0].known_at: is not allowed",
        ),
        (
            (
                "plan: p.yaml\nincident:\n  id: x\n  discovered_at: 2026-11-23T09:00:00\n"
                "checks:\n  - {at: 2026-11-23T09:00:00+08:00, grade: none}\n"
            ),
            ":4:18: incident.discovered_at: has no UTC offset",
        ),
        (
            (
                "plan: p.yaml\nincident: {id: x, discovered_at: 2026-11-23T09:00:00+08:00}\n"
                "checks:\n  - {at: 2026-11-23T09:00:00+08:00, actions: {a: {absent: yes, due: null}}}\n"
            ),
            "checks[0].actions.a.absent: cannot go with other keys",
        ),
    ],
    ids=["naive-instant", "unknown-key", "bad-status", "known_at", "incident", "absent-and-more"],
)
def test_bad_scenarios_are_located_library_errors(tmp_path, text, expected):
    """Each mistake is a ScenarioError naming file:line:column, the key and what was expected."""
    path = write(tmp_path, text)

    with pytest.raises(ScenarioError) as caught:
        read_scenario(path)

    assert expected in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_unknown_names_are_refused_with_did_you_mean(tmp_path):
    """An expectation naming an action the plan lacks is bad input, with the nearest name."""
    path = write(tmp_path, GOOD.replace("major_notify_units", "major_notify_unit"))

    code, _out, err = run(str(path))

    assert 2 == code
    assert f"{path}:7:35: action 'major_notify_unit': is not an action of the plan" in err
    assert "did you mean 'major_notify_units'?" in err


def test_a_plugin_no_package_provides_is_a_located_error(tmp_path):
    """A `plugins` name no installed package provides is refused at the scenario's key."""
    path = write(tmp_path, "plugins: [heat]\n" + GOOD)

    code, _out, err = run(str(path))

    assert 2 == code
    assert f"{path}:1:10: plugins: plug-in 'heat', load: no installed package provides" in err


def test_an_incident_file_error_names_the_incident_file(tmp_path):
    """A broken incident file is a FactError located in that file."""
    write(tmp_path, "{oops", "i.json")
    path = write(tmp_path, GOOD.replace(INCIDENT, "i.json"))

    with pytest.raises(FactError, match=r"i\.json:1:2"):
        read_scenario(path)


# -- the pytest plugin -----------------------------------------------------------------


def _plugin_args() -> list[str]:
    # After `pip install -e .` the pytest11 entry point loads the plugin; before, name it.
    installed = any(ep.name == "opinion_rules" for ep in metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", "opinion_rules.cli._pytest_plugin"]


def test_pytest_collects_one_item_per_check_and_fails_with_the_diff(pytester: pytest.Pytester):
    """Plain pytest runs a folder of scenarios: one item per check; a failure shows the diff line."""
    pytester.makefile(".scenario.yaml", good=GOOD)
    pytester.makefile(".scenario.yaml", wrong=WRONG)

    result = pytester.runpytest_inprocess(*_plugin_args(), "-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            (
                "*wrong.scenario.yaml:8: at 2026-11-23T14:00:00+08:00: action major_notify_units: "
                "status expected pending, got overdue"
            )
        ]
    )


def test_pytest_reports_a_bad_scenario_as_a_collection_error(pytester: pytest.Pytester):
    """A scenario that cannot be read is a collection error with the located message."""
    pytester.makefile(".scenario.yaml", bad="plan: p.yaml\nchecks: []\n")

    result = pytester.runpytest_inprocess(*_plugin_args(), "-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*bad.scenario.yaml:1:1: incident: is missing*"])


# -- opinion_rules.testing -------------------------------------------------------------


@pytest.fixture(scope="module")
def upgraded():
    """The work-safety plan at 14:00 with 重大 reached at 13:00 by reposts."""
    case = testing.incident(
        "2026-11-23T09:00:00+08:00",
        testing.reading("reposts", 301, cst(23, 13), site="weibo.example", channel="weibo"),
        testing.done("major_phone_report", "2026-11-23T13:00:00+08:00"),
        testing.event("subsided", cst(24, 18)),
        testing.learned("netizen_concern", "doubt", cst(23, 10)),
        facts={"needs_support": True},
    )
    return testing.evaluate_at(PLAN, case, "2026-11-23T14:00:00+08:00")


def test_assert_action_passes_when_the_given_fields_hold(upgraded):
    """assert_action checks only the arguments given."""
    testing.assert_action(upgraded, "major_phone_report", status="done", due=cst(23, 13))
    testing.assert_action(upgraded, "major_notify_units", owners=["opinion_office"])
    testing.assert_action(upgraded, "larger_report", absent=True)
    assert "major" == upgraded.grade.id


def test_assert_action_fails_with_the_scenario_diff_text(upgraded):
    """A wrong expectation raises AssertionError with the same words as a scenario file."""
    with pytest.raises(AssertionError) as caught:
        testing.assert_action(upgraded, "major_notify_units", status="pending", due=None)

    assert [
        "at 2026-11-23T14:00:00+08:00: action major_notify_units: status expected pending, got overdue",
        "at 2026-11-23T14:00:00+08:00: action major_notify_units: due expected null, got 2026-11-23T13:00:00+08:00",
    ] == str(caught.value).splitlines()


def test_builders_refuse_naive_instants():
    """An instant without a UTC offset is a FactError, not a silent guess."""
    with pytest.raises(
        FactError, match="discovered_at: is not an ISO 8601 instant with a UTC offset"
    ):
        testing.incident("2026-11-23T09:00:00")
