"""
One rule for whether a value fits a fact's type, shared by plan conditions
and incidents: a number fact takes a finite number, never a boolean.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opinion_rules import Action, Clause, Event, FactSpec, Grade, Incident, Plan, Role
from opinion_rules.conditions import fact
from opinion_rules.deadlines import after
from opinion_rules.engine._incident_check import validate_incident
from opinion_rules.exceptions import FactError
from opinion_rules.model._items import fact_value_expected


CLAUSE = Clause("1", "发生死亡事故的，3小时内报告。")
PLAN = Plan(
    id="numbers",
    title="A plan with a number fact",
    issuer="test",
    version="1",
    source="test",
    grades=[Grade("major", "重大", 1, fact("casualties") >= 1, CLAUSE)],
    actions=[
        Action("report", "报告", ["office"], "phone", after("discovered", hours=3), clause=CLAUSE)
    ],
    roles=[Role("office", "办公室")],
    facts=[FactSpec("casualties", "number")],
)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), True, "3"])
def test_a_number_fact_takes_only_a_finite_number(value):
    """NaN, infinities, booleans and strings do not fit a number fact."""
    assert "a number" == fact_value_expected(FactSpec("casualties", "number"), value)


def test_each_fact_type_says_what_fits():
    """Fitting values give None; others name what was expected."""
    assert fact_value_expected(FactSpec("n", "number"), 2.5) is None
    assert "true or false" == fact_value_expected(FactSpec("b", "bool"), 1)
    assert "a string" == fact_value_expected(FactSpec("t", "text"), 1)
    enum = FactSpec("e", "enum", choices=("low", "high"))
    assert fact_value_expected(enum, "low") is None
    assert "one of ['low', 'high']" == fact_value_expected(enum, "mid")


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_an_incident_with_a_non_finite_number_fact_is_refused_where_it_is(value):
    """A fact event whose number is NaN or infinite is a FactError located at the event's value."""
    at = datetime(2025, 3, 3, 9, tzinfo=UTC)
    incident = Incident("INC-NAN", at, events=(Event(at, "fact", fact="casualties", value=value),))
    with pytest.raises(FactError) as caught:
        validate_incident(PLAN, incident)
    assert ["events[0].value"] == [p.path for p in caught.value.problems]
    assert "a number" == caught.value.problems[0].expected
