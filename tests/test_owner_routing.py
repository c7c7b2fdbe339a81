"""
Owners as plans assign them (issue 13, point 4): additive routing, routings
written once and shared by actions, the plan's own owner duties, and an
extending plan that changes one field of an inherited item.  Also the
recipients an action is delivered to (point 11, 报送对象).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.cli._main import main
from opinion_rules.conditions import fact
from opinion_rules.deadlines import after
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.lifecycle import Assignment, Routing
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.vocabulary import Term

from .conftest import CST, ROOT


PHRASES = ROOT / "docs" / "how-to" / "phrases"
PLAN = PHRASES / "4-owners.yaml"
INCIDENT = PHRASES / "4-owners-incident.json"
CLAUSE = o.Clause("一", "text")
AT = datetime(2026, 3, 2, 12, tzinfo=CST)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def routed_plan(mode: str, **action: object) -> o.Plan:
    """One action owned by the office, with two routings on facts a and b."""
    fields: dict[str, object] = {
        "routing": (
            Routing(fact("a").eq(True), [Assignment("county", "coordinate")]),
            Routing(fact("b").eq(True), [Assignment("town", plan_duty="local_reply")]),
        ),
        "routing_mode": mode,
    }
    fields.update(action)
    return o.Plan(
        id="routed",
        title="t",
        issuer="i",
        version="1",
        source="s",
        grades=(),
        facts=(o.FactSpec("a", "bool"), o.FactSpec("b", "bool")),
        roles=(o.Role("office", "办公室"), o.Role("county", "县委网信办"), o.Role("town", "乡镇")),
        duties=(Term("local_reply", "属地回应", "local response"),),
        actions=(
            o.Action(
                "reply",
                "回应",
                (Assignment("office", "primary").role,),
                "web_post",
                after("discovered", hours=3),
                clause=CLAUSE,
                assignments=(Assignment("office", "primary"),),
                **fields,  # type: ignore[arg-type]
            ),
        ),
    )


def owners_at(
    plan: o.Plan, facts: dict[str, object], backend: str = "python"
) -> list[tuple[str, str]]:
    incident = o.Incident("I", discovered_at=AT, facts=facts)
    status = o.Engine(plan, backend=backend).evaluate(incident, at=AT).action("reply")
    return [(owner.id, owner.duty) for owner in status.owners]


# -- additive routing ---------------------------------------------------------------


def test_additive_routing_adds_the_owners_of_every_rule_that_holds(backend):
    """Under additive routing the action's own owners stay and each routing that holds adds its owners."""
    plan = routed_plan("additive")

    assert [("office", "primary"), ("county", "coordinate"), ("town", "local_reply")] == owners_at(
        plan, {"a": True, "b": True}, backend
    )
    assert [("office", "primary"), ("town", "local_reply")] == owners_at(
        plan, {"a": False, "b": True}, backend
    )


def test_first_match_routing_is_the_default_and_unchanged():
    """Without a mode the first routing that holds names the owners, as before."""
    plan = routed_plan("")

    assert "first_match" == plan.routing_mode_of(plan.actions[0])
    assert [("county", "coordinate")] == owners_at(plan, {"a": True, "b": True})


def test_an_unknown_additive_routing_adds_nothing_and_says_what_it_needs():
    """A routing whose fact is unknown adds no owner; the reason names the fact, the others still add."""
    plan = routed_plan("additive")
    incident = o.Incident("I", discovered_at=AT, facts={"b": True})

    status = o.Engine(plan).evaluate(incident, at=AT).action("reply")

    assert [("office", "primary"), ("town", "local_reply")] == [
        (x.id, x.duty) for x in status.owners
    ]
    assert "owner routing undecided: 1 needs a" in status.reason


@given(a=st.sampled_from([True, False, None]), b=st.sampled_from([True, False, None]))
def test_additive_owners_are_the_defaults_plus_every_routing_that_holds(a, b):
    """Additive owners equal the default owners followed by the owners of exactly the routings that hold."""
    plan = routed_plan("additive")
    facts = {k: v for k, v in {"a": a, "b": b}.items() if v is not None}

    expected = [("office", "primary")]
    expected += [("county", "coordinate")] if a is True else []
    expected += [("town", "local_reply")] if b is True else []

    assert expected == owners_at(plan, facts)


def test_the_plan_sets_the_routing_mode_of_actions_that_do_not():
    """routing_mode at plan level applies where an action gives none; an action's own mode wins."""
    plan = attrs.evolve(routed_plan(""), routing_mode="additive")
    own = attrs.evolve(plan, actions=(attrs.evolve(plan.actions[0], routing_mode="first_match"),))

    assert 3 == len(owners_at(plan, {"a": True, "b": True}))
    assert [("county", "coordinate")] == owners_at(own, {"a": True, "b": True})


# -- routings written once ----------------------------------------------------------


def test_plan_routings_are_named_by_id_and_shared():
    """Two actions naming one plan routing both get its owners when it holds."""
    plan = o.load_plan(PLAN)
    incident = o.load_incident(INCIDENT)

    result = o.Engine(plan).evaluate(incident, at=AT)

    for action_id in ("report", "reply"):
        assert ("county_office", "coordinate") in [
            (x.id, x.duty) for x in result.action(action_id).owners
        ]


def test_an_unknown_routing_id_is_refused_with_a_suggestion():
    """An action naming a routing the plan does not write is a plan error."""
    plan = o.load_plan(PLAN)

    with pytest.raises(PlanValidationError) as caught:
        attrs.evolve(plan, actions=(attrs.evolve(plan.actions[0], routing=("multi_departmnt",)),))

    assert "routing 'multi_departmnt' is not defined" in caught.value.problems[0].message
    assert "did you mean 'multi_department'" in str(caught.value.problems[0].expected)


def test_a_plan_routing_needs_an_id():
    """A routing in the plan's routings without an id cannot be named, so it is refused."""
    plan = o.load_plan(PLAN)

    with pytest.raises(PlanValidationError, match="needs an id"):
        attrs.evolve(plan, routings=(attrs.evolve(plan.routings[0], id=""),))


def test_lint_warns_on_a_plan_routing_no_action_names():
    """A plan routing no action names is an unused-routing warning."""
    plan = o.load_plan(PLAN)
    unused = attrs.evolve(plan.routings[0], id="spare")

    found = o.lint_plan(attrs.evolve(plan, routings=(*plan.routings, unused)))

    assert ["unused-routing"] == [f.code for f in found]


# -- the plan's own duties ----------------------------------------------------------


def test_a_duty_neither_built_in_nor_declared_is_refused():
    """An owner duty must be built in or declared in the plan's duties."""
    with pytest.raises(PlanValidationError, match="duty 'local_reply' of role 'town'"):
        attrs.evolve(routed_plan("additive"), duties=())


def test_render_uses_the_plans_duty_words_and_marks_additive_routing():
    """Render shows 属地回应 / local response, and 另加责任单位 / Owners added for additive routings."""
    plan = routed_plan("additive")

    zh, en = o.render_plan(plan, lang="zh"), o.render_plan(plan, lang="en")

    assert ("乡镇(属地回应)" in zh, "另加责任单位" in zh) == (True, True)
    assert ("乡镇 (local response)" in en, "Owners added" in en) == (True, True)


# -- round trip ---------------------------------------------------------------------


def test_routings_modes_duties_and_recipients_round_trip():
    """Plan routings, ids in actions' routing, modes, duties and recipients are written and read back."""
    plan = o.load_plan(PLAN)

    for fmt in ("yaml", "toml", "json"):
        assert plan == read_plan_text(dump_plan(plan, fmt), fmt)


# -- recipients (报送对象) ------------------------------------------------------------


def test_recipients_are_in_results_json_table_and_render():
    """An action's recipients are listed apart from its owners in results, JSON and render."""
    plan = o.load_plan(PLAN)
    result = o.Engine(plan).evaluate(o.load_incident(INCIDENT), at=AT)

    assert [("leader", "主要领导")] == [(r.id, r.name) for r in result.action("report").recipients]
    assert [{"id": "leader", "name": "主要领导"}] == next(
        a for a in result.to_dict()["actions"] if a["id"] == "report"
    )["recipients"]
    assert "报送: 主要领导" in o.render_plan(plan, lang="zh")
    assert "delivered to: principal leader" in o.render_plan(plan, lang="en")


def test_a_recipient_must_be_a_role():
    """A recipient that is not a role of the plan is refused."""
    plan = o.load_plan(PLAN)

    with pytest.raises(PlanValidationError, match="role 'mayor' is not defined"):
        attrs.evolve(plan, actions=(attrs.evolve(plan.actions[0], recipients=("mayor",)),))


# -- extends: modify ----------------------------------------------------------------


def county(tmp_path: Path, text: str) -> Path:
    (tmp_path / "base.yaml").write_text(PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "county.yaml"
    path.write_text("extends: base.yaml\n" + text, encoding="utf-8")
    return path


def test_modify_changes_one_field_of_an_inherited_item(tmp_path: Path):
    """modify gives an inherited action a new deadline and keeps its other fields."""
    path = county(
        tmp_path,
        "modify:\n  actions:\n    - {id: reply, deadline: {anchor: discovered, within: 1h}}\n",
    )
    base = o.load_plan(PLAN)

    plan = o.load_plan(path)

    assert attrs.evolve(base.action("reply"), deadline=after("discovered", hours=1)) == plan.action(
        "reply"
    )
    assert "actions.reply" in plan.local


def test_modify_with_a_misspelt_id_is_an_error_not_a_new_item(tmp_path: Path):
    """A modify entry naming an id the base lacks is refused with a suggestion."""
    path = county(tmp_path, "modify:\n  actions:\n    - {id: replay, title: 回复}\n")

    with pytest.raises(PlanValidationError) as caught:
        o.load_plan(path)

    (problem,) = caught.value.problems
    assert "no actions item 'replay' to modify" in problem.message
    assert (4, 12) == (problem.line, problem.column)


def test_modify_with_an_unknown_field_is_an_error(tmp_path: Path):
    """A modify entry with a key the section lacks is a located error."""
    path = county(tmp_path, "modify:\n  actions:\n    - {id: reply, titel: 回复}\n")

    with pytest.raises(PlanValidationError, match="unknown key 'titel'"):
        o.load_plan(path)


def test_modify_in_python_changes_a_condition():
    """Plan.extend(modify=...) changes one field of an inherited item."""
    base = o.load_plan(PLAN)

    plan = base.extend(modify={"actions": [{"id": "reply", "title": "网上回复"}]})

    assert ("网上回复", base.action("reply").deadline) == (
        plan.action("reply").title,
        plan.action("reply").deadline,
    )
    with pytest.raises(PlanValidationError, match="nothing to modify"):
        base.extend(modify={"actions": [{"id": "reply"}]})


def test_evaluate_prints_the_added_owners():
    """The text report lists the owners the additive routings added, with their duties."""
    code, out, _ = run(
        "evaluate", str(PLAN), str(INCIDENT), "--at", (AT + timedelta(0)).isoformat()
    )

    assert 0 == code
    assert "county_office (coordinate)" in out
