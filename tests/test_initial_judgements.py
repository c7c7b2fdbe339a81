"""
Judgements known at discovery: a judgement fact given with the incident's
initial facts, with who made it and in which role; refused without its
provenance or in a role the plan does not allow; shown in results.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.cli._output import render_table
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.incidents import Judgement
from opinion_rules.planfile import dump_plan, incident_schema
from opinion_rules.planfile._loaders import read_plan_text

from .conftest import cst


PLAN = """\
id: judgement-test
title: 研判示例
issuer: tests
version: "1"
source: tests
roles:
  - {id: cac, name: 县委网信办}
  - {id: office, name: 办公室}
facts:
  - id: big_impact
    type: bool
    label: 可能造成重大影响
    judgement: true
    judged_by: [cac]
  - {id: trend, type: bool, label: 有扩散趋势, judgement: true}
  - {id: subject, type: text}
grades:
  - {id: general, name: 一般, rank: 0, criteria: always, clause: {ref: a, text: a}}
  - {id: major, name: 重大, rank: 1, criteria: big_impact == true, clause: {ref: b, text: b}}
actions:
  - id: report
    title: 报告
    owners: [office]
    channel: written_report
    condition: grade >= major
    deadline: {anchor: discovered, within: 1h}
    clause: {ref: c, text: c}
"""


def plan(text: str = PLAN) -> o.Plan:
    return read_plan_text(text, "yaml", "plan.yaml")


def incident(facts: dict[str, Any], events: tuple[o.Event, ...] = ()) -> o.Incident:
    return o.Incident("J-1", discovered_at=cst(23, 9), facts=facts, events=events)


def assess(inc: o.Incident, at: datetime, backend: str = "python") -> o.Assessment:
    return o.Engine(plan(), backend=backend).evaluate(inc, at=at)


def paths(info: pytest.ExceptionInfo[o.FactError]) -> list[str]:
    return [p.path for p in info.value.problems]


def test_a_judgement_given_up_front_counts_from_the_start(backend):
    """A judgement among the initial facts, with who and which role, decides the grade from discovery."""
    inc = incident({"big_impact": Judgement(True, by="张三", role="cac")})

    a = assess(inc, cst(23, 9, 30), backend)

    assert ("major", cst(23, 9)) == (a.grade.id, a.grade.since)
    assert "pending" == a.action("report").status


def test_the_provenance_is_in_the_results():
    """Assessment.judgements names the value, who, the role and that it came with the incident."""
    inc = incident({"big_impact": Judgement(True, by="张三", role="cac")})

    a = assess(inc, cst(23, 10))

    expected = {
        "fact": "big_impact",
        "name": "可能造成重大影响",
        "value": True,
        "by": "张三",
        "role": "cac",
        "at": None,
    }
    assert [expected] == a.to_dict()["judgements"]


def test_a_later_judgement_event_replaces_the_initial_one_from_its_instant():
    """A fact event re-judging the fact is what results show from its instant on, not before."""
    event = o.Event(cst(23, 11), "fact", fact="big_impact", value=False, by="李四", role="cac")
    inc = incident({"big_impact": Judgement(True, by="张三", role="cac")}, (event,))

    before, after = assess(inc, cst(23, 10)), assess(inc, cst(23, 12))

    assert [("张三", None)] == [(j.by, j.at) for j in before.judgements]
    assert [("李四", cst(23, 11), False)] == [(j.by, j.at, j.value) for j in after.judgements]


def test_the_table_shows_who_judged():
    """The CLI table has a 'judged' line with the value, who, role and when."""
    inc = incident({"big_impact": Judgement(True, by="张三", role="cac")})

    text = render_table(assess(inc, cst(23, 10)))

    expected = (
        "judged    可能造成重大影响 (big_impact) = true, by 张三 (cac), given with the incident"
    )
    assert expected in text.splitlines()


def test_a_judgement_without_provenance_is_still_refused():
    """A bare value for a judgement fact is a FactError at facts.<id> asking for who judged."""
    with pytest.raises(o.FactError) as info:
        assess(incident({"trend": True}), cst(23, 10))

    assert ["facts.trend"] == paths(info)
    assert "who judged" in str(info.value)


def test_a_judgement_needs_the_role_the_plan_requires():
    """Where the plan names who judges, a judgement without a role is refused at facts.<id>.role."""
    with pytest.raises(o.FactError) as info:
        assess(incident({"big_impact": Judgement(True, by="张三")}), cst(23, 10))

    assert ["facts.big_impact.role"] == paths(info)
    assert "does not say in which role" in str(info.value)


def test_a_judgement_in_a_role_not_allowed_is_refused():
    """A judgement made in a role the plan does not allow is refused at facts.<id>.role."""
    with pytest.raises(o.FactError) as info:
        assess(incident({"big_impact": Judgement(True, by="张三", role="office")}), cst(23, 10))

    assert ["facts.big_impact.role"] == paths(info)


def test_a_judgement_event_in_a_role_not_allowed_is_refused():
    """A fact event judging in a role the plan does not allow is refused at events[i].role."""
    event = o.Event(cst(23, 10), "fact", fact="big_impact", value=True, by="王五", role="office")

    with pytest.raises(o.FactError) as info:
        assess(incident({}, (event,)), cst(23, 11))

    assert ["events[0].role"] == paths(info)


def test_a_judgement_without_a_required_role_may_name_any_defined_role():
    """A judgement fact without judged_by accepts any role the plan defines, and no role."""
    inc = incident(
        {"trend": Judgement(True, by="张三"), "big_impact": Judgement(False, "x", "cac")}
    )

    a = assess(inc, cst(23, 10))

    assert {"trend": None, "big_impact": "cac"} == {j.fact: j.role for j in a.judgements}


def test_an_undefined_role_is_refused():
    """A judgement naming a role the plan does not define is a FactError."""
    with pytest.raises(o.FactError) as info:
        assess(incident({"trend": Judgement(True, by="张三", role="nobody")}), cst(23, 10))

    assert ["facts.trend.role"] == paths(info)


def test_provenance_on_a_fact_that_is_no_judgement_is_refused():
    """An observed fact takes its value alone: a judgement form for it is a FactError."""
    with pytest.raises(o.FactError) as info:
        assess(incident({"subject": Judgement("x", by="张三")}), cst(23, 10))

    assert ["facts.subject"] == paths(info)


def test_the_interchange_format_reads_and_writes_judgements():
    """{value, by, role} in facts reads as a Judgement and writes back the same."""
    data = {
        "id": "J-2",
        "discovered_at": "2026-11-23T09:00:00+08:00",
        "facts": {"big_impact": {"value": True, "by": "张三", "role": "cac"}, "subject": "x"},
        "observations": [],
        "events": [],
    }

    inc = o.Incident.from_dict(data)

    assert Judgement(True, "张三", "cac") == inc.facts["big_impact"]
    assert data == inc.to_dict()
    jsonschema.validate(data, incident_schema())


@pytest.mark.parametrize(
    ("judgement", "where"),
    [
        ({"value": True}, "facts.big_impact.by"),
        ({"by": "张三"}, "facts.big_impact.value"),
        ({"value": True, "by": "张三", "when": "now"}, "facts.big_impact.when"),
        ({"value": [1], "by": "张三"}, "facts.big_impact.value"),
        ({"value": True, "by": "张三", "role": "not an id"}, "facts.big_impact.role"),
    ],
)
def test_malformed_judgements_are_refused_by_parser_and_schema(judgement, where):
    """The parser locates what is wrong with a judgement; the schema refuses the same shapes."""
    data = {
        "id": "J-3",
        "discovered_at": "2026-11-23T09:00:00+08:00",
        "facts": {"big_impact": judgement},
    }

    with pytest.raises(o.FactError) as info:
        o.Incident.from_dict(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, incident_schema())

    assert [where] == paths(info)


def test_judged_by_needs_a_judgement_fact_and_defined_roles():
    """judged_by on a fact that is no judgement, or naming an undefined role, is a plan error."""
    with pytest.raises(ValueError, match="only for judgement facts"):
        o.FactSpec("x", type="bool", judged_by=("cac",))
    with pytest.raises(PlanValidationError) as info:
        plan(PLAN.replace("judged_by: [cac]", "judged_by: [cca]"))

    assert ["facts[0].judged_by[0]"] == [p.path for p in info.value.problems]


def test_judged_by_round_trips_through_plan_files():
    """judged_by is written and read back unchanged."""
    first = plan()

    assert first == read_plan_text(dump_plan(first, "yaml"), "yaml", "again.yaml")
    assert ["cac"] == yaml.safe_load(dump_plan(first, "yaml"))["facts"][0]["judged_by"]


def test_the_store_keeps_a_judgement_in_the_open_entry(tmp_path):
    """A judgement given when opening a case is kept with its provenance and decides the grade."""
    with o.open_store(tmp_path / "cases.db") as store:
        key = store.add_plan(plan())
        store.open_incident(
            "J-4",
            key,
            discovered_at=cst(23, 9),
            facts={"big_impact": Judgement(True, by="张三", role="cac")},
            entry_id="open-1",
            recorded_at=cst(23, 9, 5),
            recorded_by="tester",
        )

        a = store.assess("J-4", at=cst(23, 9, 30))

        assert "major" == a.grade.id
        assert [("张三", "cac", None)] == [(j.by, j.role, j.at) for j in a.judgements]
        opening = store.timeline("J-4")[0]
        assert {"value": True, "by": "张三", "role": "cac"} == opening.item["facts"]["big_impact"]


@settings(max_examples=30)
@given(value=st.booleans(), at_hour=st.integers(min_value=9, max_value=14))
def test_an_initial_judgement_equals_a_judgement_event_at_discovery(value, at_hour):
    """A judgement given up front decides exactly as the same judgement recorded at discovery."""
    up_front = incident({"big_impact": Judgement(value, by="张三", role="cac")})
    as_event = incident(
        {}, (o.Event(cst(23, 9), "fact", fact="big_impact", value=value, by="张三", role="cac"),)
    )
    at = cst(23, at_hour)

    expected = assess(as_event, at).to_dict()
    actual = assess(up_front, at).to_dict()

    expected.pop("judgements")
    assert [cst(23, 9).isoformat()] == [
        j["at"] for j in assess(as_event, at).to_dict()["judgements"]
    ]
    assert expected == {k: v for k, v in actual.items() if k != "judgements"}


def test_json_round_trip_of_an_incident_with_a_judgement():
    """Incident.to_dict → json → from_dict gives the same incident."""
    inc = incident({"big_impact": Judgement(True, by="张三", role="cac")})

    assert inc == o.Incident.from_dict(json.loads(json.dumps(inc.to_dict())))
