"""
The IR: what a plan compiles to, the only spelling of slot and rule names,
and the three-valued meaning the python backend gives it.
"""

from __future__ import annotations

import pytest

import opinion_rules as o
from opinion_rules.conditions import AllOf, Compare, category, event_seen, fact, grade, measure
from opinion_rules.deadlines import immediately
from opinion_rules.engine._interpret import compile_node, unknown_slots
from opinion_rules.engine._ir import (
    GRADE_SLOT,
    And,
    Const,
    Leaf,
    Neg,
    Or,
    Program,
    Rule,
    action_rule,
    category_rule,
    category_slot,
    compile_plan,
    event_slot,
    fact_slot,
    grade_rule,
    measure_slot,
    routing_rule,
    slot_source,
    slot_subject,
)
from opinion_rules.engine._python import PythonBackend
from opinion_rules.lifecycle import Routing
from opinion_rules.windows import cumulative


def _plan() -> o.Plan:
    clause = o.Clause("x", "t")
    return o.Plan(
        id="small",
        title="t",
        issuer="t",
        version="1",
        source="t",
        metrics=("clicks",),
        measures=(o.Measure("clicks_total", metric="clicks", window=cumulative()),),
        facts=(
            o.FactSpec("level", type="enum", choices=("low", "mid", "high"), ordered=True),
            o.FactSpec("kind", type="enum", choices=("a", "b")),
        ),
        grades=(
            o.Grade("minor", "minor", 0, measure("clicks_total") > 100, clause),
            o.Grade("major", "major", 1, fact("level") >= "high", clause),
        ),
        categories=(
            o.Category("hype", "hype", Compare(fact("kind"), "eq", "a"), clause),
            o.Category("rest", "rest", clause=clause, other=True),
        ),
        roles=(o.Role("boss", "boss"), o.Role("desk", "desk")),
        actions=(
            o.Action(
                "report",
                "report",
                owners=("desk",),
                channel="phone",
                deadline=immediately("discovered"),
                condition=AllOf((grade() >= "major", category("hype"))),
                routing=(Routing(event_seen("escalated"), owners=("boss",)),),
                clause=clause,
            ),
        ),
    )


def test_a_plan_compiles_to_rules_named_by_the_ir():
    """Every grade, category, action and routing gets one rule, named by the IR's functions."""
    program = compile_plan(_plan())

    expected = [
        (grade_rule("minor"), 1),
        (grade_rule("major"), 1),
        (category_rule("hype"), 1),
        (category_rule("rest"), 1),
        (action_rule("report"), 2),
        (routing_rule("report", 0), 2),
    ]
    assert expected == [(r.id, r.stage) for r in program.rules]


def test_a_plan_compiles_to_slots_named_by_the_ir():
    """The slots read are named by the IR's functions, with the kind a backend compares them by."""
    program = compile_plan(_plan())

    expected = {
        measure_slot("clicks_total"): "number",
        fact_slot("level"): "number",  # an ordered enum compares by position
        fact_slot("kind"): "category",
        GRADE_SLOT: "number",
        category_slot("hype"): "category",
        event_slot("escalated"): "category",
    }
    assert expected == dict(program.slots)


def test_compiled_leaves_encode_ordered_enums_and_grades_as_ranks():
    """``level >= high`` becomes position 2; ``grade >= major`` becomes rank 1."""
    rules = {r.id: r.condition for r in compile_plan(_plan()).rules}

    assert Leaf(fact_slot("level"), "ge", 2) == rules[grade_rule("major")]
    expected = And((Leaf(GRADE_SLOT, "ge", 1), Leaf(category_slot("hype"), "eq", value=True)))
    assert expected == rules[action_rule("report")]


def test_the_other_category_is_none_of_the_others():
    """The "其他" category compiles to the negation of any other category's condition."""
    rules = {r.id: r.condition for r in compile_plan(_plan()).rules}

    assert Neg(Or((Leaf(fact_slot("kind"), "eq", "a"),))) == rules[category_rule("rest")]


@pytest.mark.parametrize(
    ("slot", "source", "subject"),
    [
        (measure_slot("clicks_1d"), "measure", "clicks_1d"),
        (fact_slot("level"), "fact", "level"),
        (event_slot("escalated"), "event", "escalated"),
        (category_slot("hype"), "category", "hype"),
        (GRADE_SLOT, "grade", "grade"),
    ],
)
def test_slot_names_read_back_what_they_name(slot, source, subject):
    """slot_source and slot_subject invert the slot-name functions."""
    assert (source, subject) == (slot_source(slot), slot_subject(slot))


def test_slot_names_of_different_sources_never_collide():
    """One id used as a measure, fact, event and category gives four distinct slots."""
    slots = {measure_slot("x"), fact_slot("x"), event_slot("x"), category_slot("x"), GRADE_SLOT}

    assert 5 == len(slots)


def test_a_name_that_is_no_slot_is_refused():
    """slot_source refuses a string no slot function makes."""
    with pytest.raises(ValueError, match="not a slot name"):
        slot_source("x_y")


_T, _F, _U = Leaf("t", "eq", 1), Leaf("f", "eq", 1), Leaf("u", "eq", 1)
_SNAPSHOT = {"t": 1, "f": 0}  # "u" is missing: unknown


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (_T, True),
        (_F, False),
        (_U, None),
        (Leaf("t", "gt", 0), True),
        (And((_T, _U)), None),
        (And((_F, _U)), False),
        (And((_T, _T)), True),
        (And(()), True),
        (Or((_F, _U)), None),
        (Or((_T, _U)), True),
        (Or((_F, _F)), False),
        (Or(()), False),
        (Neg(_T), False),
        (Neg(_F), True),
        (Neg(_U), None),
        (Neg(And((_F, _U))), True),
        (Const(value=True), True),
        (Const(value=False), False),
    ],
)
def test_nodes_follow_three_valued_logic(node, expected):
    """And is false on any false, Or true on any true, Neg keeps unknown unknown (Kleene)."""
    assert expected is compile_node(node)(_SNAPSHOT)


def test_the_python_backend_matches_every_rule_of_a_stage():
    """A session returns one three-valued result per rule of the stage asked for."""
    program = Program(
        (
            Rule(grade_rule("g"), 1, And((_T, _U))),
            Rule(category_rule("c"), 1, Or((_T, _U))),
            Rule(action_rule("a"), 2, Neg(_T)),
        ),
        {"t": "number", "f": "number", "u": "number"},
    )
    with PythonBackend(program).session() as session:
        stage1 = session.match(1, _SNAPSHOT)
        stage2 = session.match(2, _SNAPSHOT)

    assert {grade_rule("g"): None, category_rule("c"): True} == stage1
    assert {action_rule("a"): False} == stage2


def test_unknown_slots_name_what_keeps_a_node_unknown():
    """Only the missing slots of the parts still unknown are named; a decided node needs none."""
    assert {"u"} == unknown_slots(And((_T, Or((_F, _U)))), _SNAPSHOT)
    assert set() == unknown_slots(And((_F, _U)), _SNAPSHOT)
