"""
The durable_rules backend: equal to the reference backend, and safe under
the hazards its adapter guards against.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules._durable import durable_available

from . import strategies as s
from .conftest import cst


pytestmark = pytest.mark.skipif(
    not durable_available(), reason="durable_rules does not import here"
)


@settings(max_examples=300)
@given(data=st.data())
def test_durable_equals_python(data):
    """On random plans and incidents, both backends return identical assessments."""
    plan = data.draw(s.plans())
    incident = data.draw(s.incidents(plan))
    at = data.draw(s.instants(3200))
    python = o.Engine(plan, backend="python")
    durable = o.Engine(plan, backend="durable")

    expected = python.evaluate(incident, at=at).to_dict()

    assert expected == durable.evaluate(incident, at=at).to_dict()


def _incident(i: int) -> o.Incident:
    at = cst(23, 9)
    return o.Incident.from_dict(
        {
            "id": f"I-{i}",
            "discovered_at": at.isoformat(),
            "facts": {"netizen_concern": "doubt"},
            "observations": [
                {
                    "at": (at + timedelta(minutes=m)).isoformat(),
                    "metric": "reposts",
                    "value": i % 600 + m,
                    "site": "weibo.com",
                    "channel": "weibo",
                }
                for m in range(3)
            ],
        }
    )


def test_more_than_five_thousand_evaluations_in_one_process(work_safety):
    """The 1024-live-session limit is never reached: 5,500 evaluations all succeed."""
    durable = o.Engine(work_safety, backend="durable")
    python = o.Engine(work_safety, backend="python")

    mismatches = []
    for i in range(5500):
        incident = _incident(i)
        got = durable.evaluate(incident, at=cst(23, 12))
        if i % 50 == 0 and got != python.evaluate(incident, at=cst(23, 12)):
            mismatches.append(i)

    assert mismatches == []
    assert durable.evaluate(_incident(599), at=cst(23, 12)).grade.id == "especially_major"


def test_evaluations_from_several_threads(work_safety):
    """Concurrent evaluations from eight threads give the same results as sequential ones."""
    durable = o.Engine(work_safety, backend="durable")
    expected = {
        i: o.Engine(work_safety).evaluate(_incident(i), at=cst(23, 12)).to_dict()
        for i in range(0, 600, 7)
    }
    errors: list[BaseException] = []
    wrong: list[int] = []

    def worker(offset: int) -> None:
        try:
            for i in list(expected)[offset::8]:
                for _ in range(5):
                    if durable.evaluate(_incident(i), at=cst(23, 12)).to_dict() != expected[i]:
                        wrong.append(i)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert wrong == []


def test_equal_plans_share_one_ruleset(work_safety):
    """Ruleset names come from the content hash, so re-compiling never replaces a live ruleset."""
    from opinion_rules._durable import _REGISTERED

    first = o.Engine(work_safety, backend="durable")
    count = len(_REGISTERED)
    second = o.Engine(work_safety, backend="durable")

    assert count == len(_REGISTERED)
    assert first._backend._ruleset_name == second._backend._ruleset_name


def test_tiny_and_huge_numbers_compare_exactly():
    """Values like 1e-05 and 2**70 reach the durable backend only as exact integer codes."""
    clause = o.Clause("x", "t")
    plan = o.Plan(
        id="numbers",
        title="t",
        issuer="t",
        version="1",
        source="t",
        metrics=("m",),
        measures=(o.Measure("v", metric="m", window=o.cumulative()),),
        grades=(
            o.Grade("tiny", "tiny", 0, o.measure("v") > 1e-05, clause),
            o.Grade("huge", "huge", 1, o.measure("v") >= 2**70, clause),
        ),
        roles=(o.Role("r", "r"),),
        actions=(),
    )
    durable = o.Engine(plan, backend="durable")

    def grade(value: float) -> str | None:
        incident = o.Incident("i", cst(23, 9), observations=[o.Observation(cst(23, 9), "m", value)])
        result = durable.evaluate(incident, at=cst(23, 10))
        return None if result.grade is None else result.grade.id

    assert grade(1e-05) is None
    assert grade(1.5e-05) == "tiny"
    assert grade(2**70 - 1) == "tiny"
    assert grade(2**70) == "huge"


def _one_grade_plan(criteria: o.AllOf | o.AnyOf) -> o.Plan:
    return o.Plan(
        id="and-or",
        title="t",
        issuer="t",
        version="1",
        source="t",
        facts=(o.FactSpec("n", type="number"),),
        grades=(o.Grade("g", "g", 0, criteria, o.Clause("x", "t")),),
        roles=(o.Role("r", "r"),),
        actions=(),
    )


def test_programs_differing_only_in_and_or_get_their_own_rulesets():
    """
    An AllOf plan and the same plan with AnyOf never share a ruleset.

    Their programs once had equal ``Program.digest()`` values (``attrs.asdict``
    dropped the node class), so rulesets named by that digest made whichever
    plan was evaluated second answer with the first plan's rules.
    """
    leaves = [o.Compare(o.fact("n"), "gt", 1), o.Compare(o.fact("n"), "lt", 5)]
    conjunction = o.Engine(_one_grade_plan(o.AllOf(leaves)), backend="durable")
    disjunction = o.Engine(_one_grade_plan(o.AnyOf(leaves)), backend="durable")
    incident = o.Incident("i", cst(23, 9), facts={"n": 10})

    def grade(engine: o.Engine) -> str | None:
        result = engine.evaluate(incident, at=cst(23, 10))
        return None if result.grade is None else result.grade.id

    assert conjunction.program.digest() != disjunction.program.digest()
    assert conjunction._backend._ruleset_name != disjunction._backend._ruleset_name
    assert grade(conjunction) is None  # 10 > 1 and 10 < 5: false
    assert grade(disjunction) == "g"  # 10 > 1 or 10 < 5: true
