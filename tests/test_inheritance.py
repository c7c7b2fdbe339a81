"""
Plan inheritance: a local plan adapts another by overriding named items;
the result is checked like any plan and knows which items are local.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

import opinion_rules as o
from opinion_rules._planfile import read_plan_text


PLANS = Path(__file__).resolve().parent.parent / "examples" / "plans"
BASE = PLANS / "work_safety.yaml"


@pytest.fixture(name="base")
def fixture_base() -> o.Plan:
    return o.load_plan(BASE)


def county_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "county.yaml"
    path.write_text(f"extends: {BASE}\n{body}", encoding="utf-8")
    return path


def test_extend_replaces_by_id_appends_and_removes(base):
    """Same id replaces in place, a new id is appended, remove drops; base and local are kept."""
    major = base.grade("major")
    stricter = o.Grade(
        "major",
        major.name,
        major.rank,
        o.measure("clicks_1d") > 5000,
        o.Clause("县3", "点击次数在1天内超过5000次"),
    )
    extra = o.Action(
        "county_notify",
        "通报县应急局",
        ["opinion_office"],
        "notice",
        o.after("discovered", hours=1),
        clause=o.Clause("县5", "发现后1小时内通报县应急局"),
    )
    county = base.extend(
        id="county-work-safety",
        version="2026-1",
        grades=[stricter],
        actions=[extra],
        remove={"actions": ["summary_evaluation"]},
    )

    assert "work-safety@2023-1" == county.base
    assert {
        "grades.major",
        "actions.county_notify",
        "plan.id",
        "plan.version",
    } == county.local
    assert [g.id for g in base.grades] == [g.id for g in county.grades]
    assert stricter == county.grade("major")
    assert "county_notify" == county.actions[-1].id
    assert "summary_evaluation" not in {a.id for a in county.actions}
    assert base.grade("larger") == county.grade("larger")


def test_extended_plan_is_checked_like_any_plan(base):
    """Removing a grade that inherited actions use is an error naming the inherited item."""
    with pytest.raises(o.PlanValidationError) as caught:
        base.extend(remove={"grades": ["major"]})

    paths = {p.path for p in caught.value.problems}
    assert any(p.startswith("actions.") and p.endswith(".condition") for p in paths)


def test_extend_rejects_unknown_fields_and_ids(base):
    with pytest.raises(o.PlanValidationError) as caught:
        base.extend(grads=[], remove={"actions": ["no_such_action"]})

    assert {"grads", "remove.actions"} == {p.path for p in caught.value.problems}


def test_plan_file_extends_equals_the_python_api(base, tmp_path):
    path = county_file(
        tmp_path,
        """id: county-work-safety
version: "2026-1"
actions:
- id: county_notify
  title: 通报县应急局
  owners: [opinion_office]
  channel: notice
  deadline: {anchor: discovered, within: 1h}
  clause: {ref: 县5, text: 发现后1小时内通报县应急局}
remove:
  actions: [summary_evaluation]
""",
    )
    extra = o.Action(
        "county_notify",
        "通报县应急局",
        ["opinion_office"],
        "notice",
        o.after("discovered", hours=1),
        clause=o.Clause("县5", "发现后1小时内通报县应急局"),
    )

    loaded = o.load_plan(path)

    assert (
        base.extend(
            id="county-work-safety",
            version="2026-1",
            actions=[extra],
            remove={"actions": ["summary_evaluation"]},
        )
        == loaded
    )
    # The merged plan writes out flat, with its origin, and reads back equal.
    assert loaded == read_plan_text(o.dump_plan(loaded, "yaml"), "yaml")


def test_errors_are_located_in_the_extending_file(tmp_path):
    path = county_file(
        tmp_path,
        """actions:
- id: county_notify
  title: 通报县应急局
  owners: [nobody]
  channel: notice
  deadline: {anchor: discovered, within: 1h}
  clause: {ref: 县5, text: x}
remove:
  grades: [major]
""",
    )

    with pytest.raises(o.PlanValidationError) as caught:
        o.load_plan(path)

    rendered = str(caught.value)
    assert f"{path}:5:" in rendered  # the unknown owner, on its own line
    assert "actions[0].owners[0]: role 'nobody' is not defined" in rendered
    # Inherited items broken by the removal point at the extends line.
    assert f"{path}:1:" in rendered
    assert "(inherited from the base plan)" in rendered


def test_missing_base_and_cycles_are_errors(tmp_path):
    missing = tmp_path / "a.yaml"
    missing.write_text("extends: nowhere.yaml\n", encoding="utf-8")
    with pytest.raises(o.PlanValidationError, match="the base plan cannot be loaded"):
        o.load_plan(missing)

    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text("extends: two.yaml\n", encoding="utf-8")
    two.write_text("extends: one.yaml\n", encoding="utf-8")
    with pytest.raises(o.PlanValidationError, match="cycle"):
        o.load_plan(one)


def test_render_marks_only_local_items(base):
    major = base.grade("major")
    county = base.extend(
        grades=[attrs.evolve(major, criteria=o.measure("clicks_1d") > 5000)],
    )

    text = o.render_plan(county)

    assert f"| {major.name} ★ |" in text
    assert f"| {base.grade('larger').name} |" in text
    assert "work-safety@2023-1" in text
    assert "★" not in o.render_plan(base)
