"""
The semantic diff of two plan versions (``diff_plans``, ``opinion-rules diff``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.authoring import PlanChange, PlanDiff, diff_plans
from opinion_rules.cli._main import main
from opinion_rules.exceptions import PlanError
from opinion_rules.planfile import load_plan

from .conftest import ROOT
from .strategies import plans


OLD = str(ROOT / "examples" / "plans" / "work_safety.yaml")
NEW = str(ROOT / "examples" / "revisions" / "work_safety_2025.yaml")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def where(diff: PlanDiff) -> list[tuple[str, str, str, str]]:
    return [(c.kind, c.section, c.item, c.field) for c in diff.changes]


def test_bundled_revision_lists_exactly_its_changes():
    """The 2025 work-safety revision differs in its version, the 较大 threshold and clause, and one deadline."""
    code, out, err = run("diff", OLD, NEW, "--json")
    data = json.loads(out)
    changes = [(c["section"], c["item"], c["field"], c["old"], c["new"]) for c in data["changes"]]

    assert (0, "") == (code, err)
    assert [
        ("plan", "", "version", "2023-1", "2025-1"),
        (
            "grades",
            "larger",
            "criteria",
            "(sites_1d >= 2 and clicks_1d > 1000) or reposts > 100",
            "(sites_1d >= 2 and clicks_1d > 1000) or reposts > 80",
        ),
        ("grades", "larger", "clause", changes[2][3], changes[2][4]),
        (
            "actions",
            "larger_report",
            "deadline",
            {"anchor": "discovered", "kind": "promptly"},
            {"anchor": "discovered", "within": "2h"},
        ),
    ] == changes
    assert (
        "较大网络舆情 (larger): 分级标准 微博、博客转发次数超过100 → 微博、博客转发次数超过80"
        in (data["changes"][1]["zh"])
    )
    assert (
        "deadline promptly after discovery → within 2 hours of discovery"
        in (data["changes"][3]["en"])
    )


def test_bundled_revision_passes_check():
    """`opinion-rules check` accepts the revision (its one warning is the original's grade gap)."""
    code, out, _ = run("check", NEW)

    assert (0, f"{NEW}: ok (1 warnings)") == (code, out.splitlines()[-1])


def test_exit_code_option_and_same_plans():
    """--exit-code exits 1 when the plans differ; the same plan compares as no change, exit 0."""
    assert 1 == run("diff", "--exit-code", OLD, NEW)[0]
    assert (0, "work-safety 2023-1 → work-safety 2023-1: 无变化\n", "") == run(
        "diff", "--exit-code", OLD, OLD
    )
    assert "no changes" in run("diff", "--lang", "en", OLD, OLD)[1]


def test_renamed_id_is_removed_and_added():
    """A principle whose id changes is reported as removed plus added, not as a change."""
    plan = load_plan(OLD)
    renamed = attrs.evolve(
        plan,
        principles=[
            attrs.evolve(p, id="guidance") if p.id == "positive_guidance" else p
            for p in plan.principles
        ],
    )
    diff = diff_plans(plan, renamed)

    assert [
        ("removed", "principles", "positive_guidance", ""),
        ("added", "principles", "guidance", ""),
    ] == where(diff)
    assert (
        "删除原则 积极发声，正面引导 (positive_guidance)",
        "added principle 积极发声，正面引导 (guidance)",
    ) == (diff.changes[0].zh, diff.changes[1].en)


def test_bad_input():
    """A non-plan is a PlanError; an unreadable or broken plan file exits 2 with its place."""
    plan = load_plan(OLD)
    with pytest.raises(PlanError, match="new must be a Plan"):
        diff_plans(plan, "work_safety.yaml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'kind' must be one of"):
        PlanChange("moved", "plan", "", "version", "1", "2", "", "")  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="unknown language"):
        diff_plans(plan, plan).text("fr")
    code, out, err = run("diff", OLD, "nope.yaml")
    assert (2, "", "opinion-rules: error: nope.yaml: no such file: nope.yaml\n") == (code, out, err)


def test_broken_plan_file_is_located(tmp_path: Path):
    """A revision with a bad field is reported at its file:line:column, exit 2."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        Path(NEW).read_text(encoding="utf-8").replace("reposts > 80", "reposts >> 80"),
        encoding="utf-8",
    )
    code, out, err = run("diff", OLD, str(broken))

    assert (2, "") == (code, out)
    assert err.startswith(f"opinion-rules: error: {broken}:")


@given(plans())
def test_a_plan_compared_with_itself_has_no_changes(plan: o.Plan):
    """diff_plans(plan, plan) is empty."""
    assert () == diff_plans(plan, plan).changes


def _retitle(plan: o.Plan) -> tuple[o.Plan, tuple[str, str, str]] | None:
    return attrs.evolve(plan, title=plan.title + "(修订)"), ("plan", "", "title")


def _action_field(field: str, value: Callable[[o.Action], object]):
    def change(plan: o.Plan) -> tuple[o.Plan, tuple[str, str, str]] | None:
        if not plan.actions:
            return None
        first = plan.actions[0]
        new = value(first)
        if getattr(first, field) == new:
            return None
        actions = (attrs.evolve(first, **{field: new}), *plan.actions[1:])
        return attrs.evolve(plan, actions=actions), ("actions", first.id, field)

    return change


def _grade_name(plan: o.Plan) -> tuple[o.Plan, tuple[str, str, str]] | None:
    if not plan.grades:
        return None
    first = plan.grades[0]
    grades = (attrs.evolve(first, name=first.name + "!"), *plan.grades[1:])
    return attrs.evolve(plan, grades=grades), ("grades", first.id, "name")


CHANGES = [
    _retitle,
    _grade_name,
    _action_field("title", lambda a: a.title + "(修订)"),
    _action_field("deadline", lambda _: o.Deadline(anchor="discovered", kind="immediately")),
    _action_field("clause", lambda _: o.Clause("九", "修订条款")),
]


@given(plans(min_grades=1), st.sampled_from(CHANGES))
def test_one_field_changed_is_one_change(plan: o.Plan, change):
    """Changing one field of a generated plan with attrs.evolve shows as exactly that one change."""
    changed = change(plan)
    if changed is None:
        return
    revised, expected = changed
    diff = diff_plans(plan, revised)

    assert [("changed", *expected)] == [(c.kind, c.section, c.item, c.field) for c in diff.changes]
    assert all(c.zh and c.en for c in diff.changes)


def test_a_plan_without_the_old_metrics_reports_them_as_one_change():
    """Metrics only the old plan lists are one plan-level change, not a crash."""
    old = load_plan(OLD)
    new = load_plan(ROOT / "examples" / "plans" / "civil_affairs.yaml")
    metric_changes = [c for c in diff_plans(old, new).changes if c.field == "metrics"]
    assert [("changed", "plan", "")] == [(c.kind, c.section, c.item) for c in metric_changes]
    assert [None] == [c.new for c in metric_changes]


@settings(max_examples=20)
@given(plans(), plans())
def test_any_two_plans_can_be_compared(old: o.Plan, new: o.Plan):
    """Two unrelated plans always give a diff whose every change is worded in both languages."""
    changes = diff_plans(old, new).changes
    assert [] == [c for c in changes if not (c.zh and c.en)]
    assert (old.id != new.id) == any(c.field == "id" for c in changes)
