"""
``opinion-rules check`` (validation and lint) and ``opinion-rules render``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

import opinion_rules as o
from opinion_rules.cli._main import main
from opinion_rules.planfile._loaders import read_plan_text

from .conftest import EXAMPLES
from .test_plan_files import MINIMAL


PLAN_FILES = sorted(str(p) for p in (EXAMPLES / "plans").iterdir())


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def codes(plan: o.Plan) -> list[str]:
    return [f.code for f in o.lint_plan(plan)]


# -- check --------------------------------------------------------------------------


def test_every_example_plan_checks_clean():
    """`opinion-rules check examples/plans/*` exits 0."""
    code, out, _ = run("check", *PLAN_FILES)

    assert 0 == code, out
    assert len(PLAN_FILES) == out.count(": ok")


def test_check_exit_codes(tmp_path: Path):
    """check exits 1 for an invalid plan, 2 for an unreadable or missing one, and 2 when both occur."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("channel: phone", "channel: telephone"), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [", encoding="utf-8")

    assert 1 == run("check", str(bad))[0]
    assert 2 == run("check", str(broken))[0]
    assert 2 == run("check", str(bad), str(broken))[0]  # unusable input wins
    assert 2 == run("check", str(tmp_path / "missing.yaml"))[0]


def test_check_prints_located_lines(tmp_path: Path):
    """check prints each problem as file:line:column: error[code]: path: message."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("owners: [office]", "owners: [ofice]"), encoding="utf-8")
    _, out, _ = run("check", str(bad))

    assert f"{bad}:25:14: error[invalid]: actions[0].owners[0]: role 'ofice' is not defined" in out


def test_check_json(tmp_path: Path):
    """check --json reports per-plan status and located findings with an error count."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("owners: [office]", "owners: [ofice]"), encoding="utf-8")
    code, out, _ = run("check", "--json", str(bad), PLAN_FILES[0])
    report = json.loads(out)

    assert 1 == code
    assert ["errors", "ok"] == [p["status"] for p in report["plans"]]
    finding = report["plans"][0]["findings"][0]
    assert {"severity": "error", "code": "invalid", "line": 25, "column": 14} == {
        k: finding[k] for k in ("severity", "code", "line", "column")
    }
    assert 1 == report["errors"]


# -- lint ---------------------------------------------------------------------------


def test_gap_is_a_visible_warning():
    """No grade below 100 clicks: allowed, but reported with an example."""
    (finding,) = o.lint_plan(read_plan_text(MINIMAL, "yaml"))

    assert ("warning", "grade-gap") == (finding.severity, finding.code)
    assert "clicks_1d=0" in finding.message


def test_no_gap_when_a_grade_always_matches():
    """A lowest grade whose criteria are 'always' leaves no grade-gap or other finding."""
    plan = read_plan_text(
        MINIMAL.replace("criteria: clicks_1d > 100\n", "criteria: always\n"), "yaml"
    )

    assert [] == codes(plan)


def test_thresholds_out_of_order_with_rank():
    """A higher-ranked grade with a lower threshold is a threshold-order finding."""
    plan = read_plan_text(MINIMAL.replace("clicks_1d > 1000", "clicks_1d > 50"), "yaml")

    assert "threshold-order" in codes(plan)


def test_grade_that_falls_as_counts_rise():
    """A higher grade reachable only in a band: more clicks give a lower grade."""
    plan = read_plan_text(
        MINIMAL.replace("clicks_1d > 1000", "clicks_1d > 1000 and clicks_1d < 2000"), "yaml"
    )
    findings = [f for f in o.lint_plan(plan) if f.code == "grade-not-monotone"]

    assert 1 == len(findings)
    assert "lowers the grade from 重大 to 一般" in findings[0].message


def test_action_that_can_never_apply():
    """An action whose condition asks for a grade above the highest is an action-never-applies finding."""
    plan = read_plan_text(
        MINIMAL.replace("condition: grade >= high", "condition: grade > high"), "yaml"
    )

    assert "action-never-applies" in codes(plan)


def test_higher_grade_with_looser_deadline():
    """A higher grade's duty in the same family due later than the lower grade's is a looser-deadline finding."""
    text = MINIMAL + (
        "  - id: call_low\n"
        "    title: 电话报告\n"
        "    owners: [office]\n"
        "    channel: phone\n"
        "    condition: grade == low\n"
        "    deadline: {anchor: discovered, within: 1h}\n"
        "    clause: {ref: '4', text: 一般舆情1小时内电话报告}\n"
    )
    looser = text.replace(
        "deadline: {anchor: discovered, kind: immediately}",
        "deadline: {anchor: discovered, within: 2h}",
    )

    assert "looser-deadline" not in codes(read_plan_text(text, "yaml"))
    assert "looser-deadline" in codes(read_plan_text(looser, "yaml"))


# -- render -------------------------------------------------------------------------


def test_render_markdown_in_chinese():
    """render prints the work-safety plan as Chinese markdown with grades, thresholds, deadlines and clause refs in words."""
    code, out, _ = run("render", str(EXAMPLES / "plans" / "work_safety.yaml"))

    assert 0 == code
    assert "| 重大网络舆情 | 2 |" in out
    assert "跟贴点击次数(1天内)超过1万" in out  # thresholds in words, 超过 for gt
    assert "立即电话报告人事司(宣教办)" in out
    assert "发现后立即" in out
    assert "自发现起直至舆情平息" in out
    assert "二(三)3" in out  # clause references


def test_render_deadlines_in_words():
    """render_plan words a 'within 3h of discovery' deadline as 发现后3小时内."""
    text = MINIMAL.replace("kind: immediately", "within: 3h")
    out = o.render_plan(read_plan_text(text, "yaml"))

    assert "发现后3小时内" in out


def test_render_html_escapes_and_english_labels():
    """render_plan html escapes plan text and uses English labels and names when asked for en."""
    text = MINIMAL.replace("name: 重大", "name: 重大<b>\n    name_en: Major")
    out = o.render_plan(read_plan_text(text, "yaml"), "html", "en")

    assert out.startswith("<!DOCTYPE html>")
    assert "<b>" not in out.split("<body>")[1].replace("<body>", "")  # names are escaped
    assert "<td>Major</td>" in out
    assert "immediately on discovery" in out


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_render_every_example_plan(fmt: str):
    """render succeeds on every example plan in each format and prints its title."""
    for path in PLAN_FILES:
        code, out, err = run("render", path, "--format", fmt)
        assert 0 == code, err
        assert o.load_plan(path).title in out


def test_render_bad_plan_is_one_line(tmp_path: Path):
    """render of an unparsable plan exits 2 with one line on stderr and nothing on stdout."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [", encoding="utf-8")
    code, out, err = run("render", str(bad))

    assert (2, "") == (code, out)
    assert 1 == len(err.strip().splitlines())


def test_action_reading_a_late_declared_fact_is_not_reported_as_dead():
    """Regression: sampling once for all actions left the first enum unknown."""
    bools = "".join(f"  - {{id: b{i}, type: bool}}\n" for i in range(5))
    text = MINIMAL.replace(
        "grades:",
        "facts:\n  - {id: level, type: enum, choices: [lo, hi], ordered: true}\n"
        + bools
        + "grades:",
    ).replace("condition: grade >= high", "condition: level >= hi and b4 == true")

    assert "action-never-applies" not in codes(read_plan_text(text, "yaml"))


# -- hostile plan files: one line, no traceback --------------------------------------


def test_check_reports_a_deeply_nested_condition_as_one_finding(tmp_path: Path):
    """Regression: `check` printed a 3,000-line RecursionError traceback."""
    deep = tmp_path / "deep.yaml"
    deep.write_text(
        MINIMAL.replace(
            "criteria: clicks_1d > 100\n", "criteria: '" + "not " * 1000 + "clicks_1d > 1'\n"
        ),
        encoding="utf-8",
    )

    code, out, err = run("check", str(deep))

    assert (1, "") == (code, err)
    (line,) = out.strip().splitlines()
    assert line.startswith(f"{deep}:15:216: error[invalid]: grades[0].criteria: the condition ")
    assert "nests deeper than 50 levels" in line


@pytest.mark.parametrize("command", ["render", "evaluate"])
def test_other_commands_print_one_line_for_hostile_plans(tmp_path: Path, command: str):
    """render and evaluate of a plan with an overlong duration exit 2 with one located line on stderr."""
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(
        MINIMAL.replace('version: "1"', 'version: "1"\nimmediate_tolerance: 99999999999999999999d'),
        encoding="utf-8",
    )
    incident = tmp_path / "incident.json"
    incident.write_text('{"id": "I", "discovered_at": "2026-11-23T09:00:00+08:00"}')
    argv = [command, str(hostile)]
    if command == "evaluate":
        argv += [str(incident), "--at", "2026-11-23T10:00:00+08:00"]

    code, out, err = run(*argv)

    assert (2, "") == (code, out)
    (line,) = err.strip().splitlines()
    assert f"{hostile}:5:22: immediate_tolerance: the duration is longer than" in line


def test_check_refuses_a_fifo_in_one_line(tmp_path: Path):
    """check refuses a FIFO in place of a plan file with one unreadable finding, without blocking."""
    fifo = tmp_path / "plan.yaml"
    os.mkfifo(fifo)

    code, out, _ = run("check", str(fifo))

    assert 2 == code
    assert [f"{fifo}: error[unreadable]: is a FIFO, not a regular file; expected a plan file"] == (
        out.strip().splitlines()
    )
