"""
Facts that may be explicitly not applicable (a ranking that is "未上榜"):
known, never satisfying a comparison, and never a number.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.authoring import render_plan
from opinion_rules.conditions import AnyOf, Compare, Not, OneOf, fact, measure
from opinion_rules.incidents import NOT_APPLICABLE
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.store import open_store

from .conftest import cst, learned


PHRASES = Path(__file__).parent.parent / "docs" / "how-to" / "phrases"
OPS = ["gt", "ge", "lt", "le", "eq", "ne"]


@pytest.fixture(scope="module")
def plan() -> o.Plan:
    """The plan of the how-to page: 热搜排名 may be not applicable."""
    return o.load_plan(PHRASES / "2-compare-values.yaml")


def _incident(facts: dict | None = None, events: list | None = None) -> dict:
    return {
        "id": "I",
        "discovered_at": cst(23, 9).isoformat(),
        "facts": facts or {},
        "events": events or [],
    }


def _with_criteria(plan: o.Plan, criteria: object) -> o.Plan:
    return evolve(plan, grades=(*plan.grades[:2], evolve(plan.grades[2], criteria=criteria)))


def test_the_json_spelling_reads_and_writes_back():
    """{"not_applicable": true} in facts and in a fact event is NOT_APPLICABLE, and to_dict writes it back."""
    data = _incident(
        {"hot_rank": {"not_applicable": True}},
        [learned("hot_rank", {"not_applicable": True}, cst(23, 10))],
    )

    incident = o.Incident.from_dict(data)

    assert NOT_APPLICABLE == incident.facts["hot_rank"]
    assert NOT_APPLICABLE == incident.events[0].value
    assert {**data, "observations": []} == incident.to_dict()
    assert {"not_applicable": True} == incident.to_dict()["events"][0]["value"]


def test_null_stays_refused_and_other_objects_are_no_marker():
    """null is not 'not applicable', and {"not_applicable": false} is no value either."""
    for value in (None, {"not_applicable": False}, {"not_applicable": True, "x": 1}):
        with pytest.raises(o.FactError):
            o.Incident.from_dict(_incident({"n": value}))


def test_a_fact_the_plan_does_not_let_be_not_applicable_refuses_it(plan):
    """The plan decides: NOT_APPLICABLE for an ordinary fact is a located FactError."""
    strict = evolve(plan, facts=(evolve(plan.facts[0], may_be_not_applicable=False),))

    with pytest.raises(o.FactError, match=r"facts\.hot_rank: fact 'hot_rank' is given as not"):
        o.Engine(strict).evaluate(_incident({"hot_rank": NOT_APPLICABLE}), at=cst(23, 12))


@given(
    op=st.sampled_from(OPS),
    value=st.sampled_from([-1, 0, 10, 2.5]),
    negated=st.booleans(),
)
def test_a_comparison_over_it_is_false_and_its_negation_true(plan, backend, op, value, negated):
    """Whatever the operator and constant, the comparison is false (known); not of it is true."""
    condition = Compare(fact("hot_rank"), op, value)
    criteria = Not(condition) if negated else condition

    result = o.Engine(_with_criteria(plan, criteria), backend=backend).evaluate(
        _incident({"hot_rank": NOT_APPLICABLE}), at=cst(23, 12)
    )

    assert negated == (result.grade.id == "major")
    assert "major" not in {u.id for u in result.undecided}


@given(values=st.lists(st.sampled_from([1, 3, 10]), min_size=1, max_size=3))
def test_one_of_is_false_too(plan, backend, values):
    """hot_rank in [...] is false when it is not applicable, and not of it true."""
    listed = OneOf(fact("hot_rank"), tuple(values))
    both = AnyOf((listed, Not(listed)))

    result = o.Engine(_with_criteria(plan, both), backend=backend).evaluate(
        _incident({"hot_rank": NOT_APPLICABLE}), at=cst(23, 12)
    )

    assert "major" == result.grade.id
    assert f"not (热搜排名 = {values[0]}" in result.grade.reason


def test_unknown_stays_unknown_and_is_named(plan, backend):
    """Without a value the comparison is unknown, and undecided names 热搜排名."""
    result = o.Engine(plan, backend=backend).evaluate(_incident(), at=cst(23, 12))

    needs = {u.id: u.needs for u in result.undecided}
    assert ("hot_rank",) == needs["major"]
    assert ("hot_rank",) == needs["watch_unlisted"]


def test_a_value_comparison_over_it_is_false(plan, backend):
    """A comparison of two values that reads a not-applicable fact is false, not unknown."""
    criteria = Not(measure("derived") > fact("hot_rank") * 2)

    result = o.Engine(_with_criteria(plan, criteria), backend=backend).evaluate(
        _incident({"hot_rank": NOT_APPLICABLE}), at=cst(23, 12)
    )

    assert "major" == result.grade.id
    assert "热搜排名 = not applicable" in result.grade.reason


def test_as_of_evaluation_sees_it_only_from_its_instant(plan, backend):
    """Learned as not applicable at 10:00: unknown before, the negation holds from then."""
    engine = o.Engine(plan, backend=backend)
    data = _incident(events=[learned("hot_rank", {"not_applicable": True}, cst(23, 10))])

    before, after = (engine.evaluate(data, at=cst(23, h)) for h in (9, 11))

    assert "watch_unlisted" in {u.id for u in before.undecided}
    assert [cst(23, 10)] == [a.applies_since for a in after.actions if a.id == "watch_unlisted"]


def test_a_later_value_replaces_it(plan, backend):
    """Ranked at 11:00 (上榜 at 3): the grade becomes 重大 then, and the duty that applied stays."""
    data = _incident({"hot_rank": NOT_APPLICABLE}, [learned("hot_rank", 3, cst(23, 11))])

    result = o.Engine(plan, backend=backend).evaluate(data, at=cst(23, 12))

    assert ("major", cst(23, 11)) == (result.grade.id, result.grade.since)


def test_the_plan_file_key_round_trips_and_renders(plan):
    """may_be_not_applicable reads, writes back and renders in both languages."""
    assert plan == read_plan_text(dump_plan(plan, "yaml"), "yaml")
    assert "可为“不适用”的事实: 热搜排名" in render_plan(plan)
    assert "Facts that may be not applicable: hot_rank" in render_plan(plan, lang="en")


def test_case_store_entries_can_state_it(plan, tmp_path):
    """The store's opening facts and a recorded fact event take {"not_applicable": true}."""
    with open_store(str(tmp_path / "cases.db")) as store:
        key = store.add_plan(plan)
        opened = {"facts": {"hot_rank": {"not_applicable": True}}, "recorded_by": "值班员"}
        store.open_incident(
            "I1", key, discovered_at=cst(23, 9), entry_id="e0", recorded_at=cst(23, 9), **opened
        )
        store.open_incident(
            "I2",
            key,
            discovered_at=cst(23, 9),
            entry_id="e0",
            recorded_at=cst(23, 9),
            recorded_by="值班员",
        )
        later = learned("hot_rank", {"not_applicable": True}, cst(23, 10))
        store.record(
            "I2", [{"id": "e1", "event": later}], recorded_at=cst(23, 10), recorded_by="值班员"
        )

        first, second = (store.assess(i, at=cst(23, 12)) for i in ("I1", "I2"))

        assert NOT_APPLICABLE == store.incident("I1").facts["hot_rank"]
        assert ["watch_unlisted"] == [a.id for a in first.actions] == [a.id for a in second.actions]
