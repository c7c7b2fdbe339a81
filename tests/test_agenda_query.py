"""
The desk's agenda query (``AgendaQuery``), the words for lateness and time
left, and the grade and timezone the store keeps on each agenda item.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opinion_rules.exceptions import FactError
from opinion_rules.results import Owner
from opinion_rules.store import (
    AGENDA_STATUSES,
    AgendaItem,
    AgendaQuery,
    CaseStore,
    describe_time_left,
)

from .store_fixtures import (  # noqa: F401 - pytest fixtures
    fixture_new_store,
    fixture_pg_server,
    fixture_store,
    fixture_store_target,
)
from .store_plan import BASE, clicks, entry, minutes, small_plan


AT = minutes(120)
KEY = "store-test@1"


def item(
    incident: str = "INC-1",
    action: str = "a",
    status: str = "pending",
    due: int | None = 180,
    owners: tuple[str, ...] = ("desk",),
    grade: str | None = "hot",
    plan: str = KEY,
) -> AgendaItem:
    """An agenda item built by hand; *due* in minutes after BASE."""
    return AgendaItem(
        incident,
        plan,
        action,
        "研判",
        tuple(Owner(o, o.upper()) for o in owners),
        status,
        None if due is None else minutes(due),
        "3",
        "because",
        grade,
        None if grade is None else grade.title(),
        "Asia/Shanghai",
    )


@pytest.mark.parametrize(
    ("left", "language", "words"),
    [
        (timedelta(hours=-2, minutes=-10), "en", "overdue 2 h 10 min"),
        (timedelta(hours=-2, minutes=-10), "zh", "逾期 2小时10分"),
        (timedelta(hours=2, minutes=10, seconds=59), "en", "2 h 10 min left"),
        (timedelta(hours=2, minutes=10), "zh", "剩余 2小时10分"),
        (timedelta(days=1, minutes=5), "en", "1 d 5 min left"),
        (timedelta(days=-3, hours=-1), "zh", "逾期 3天1小时"),
        (timedelta(seconds=-30), "en", "overdue < 1 min"),
        (timedelta(0), "zh", "剩余 不到1分钟"),
        (timedelta(hours=1), "en", "1 h left"),
    ],
)
def test_time_left_in_words(left, language, words):
    """Lateness and time remaining read to the minute, in English and Chinese."""
    assert words == describe_time_left(left, language)


def test_time_left_words_refuse_an_unknown_language():
    """A language other than en or zh is a located library error."""
    with pytest.raises(FactError) as info:
        describe_time_left(timedelta(hours=1), "fr")
    assert (
        "time left: language: is not a supported language; expected en or zh (got 'fr', a str)"
        == str(info.value)
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"statuses": ["late"]}, "statuses: 'late' is not an agenda status"),
        ({"statuses": ["waiting"]}, "statuses: 'waiting' is not an agenda status"),
        ({"due_within": timedelta(minutes=-1)}, "due_within: is negative"),
        ({"due_within": 60}, "due_within: is not a timedelta"),
        ({"owners": "desk"}, "owners: is not a collection of names"),
        ({"grades": [""]}, "grades: holds a value that is not a non-empty string"),
        ({"include_no_time": "no"}, "include_no_time: is not a boolean"),
    ],
)
def test_bad_query_values_name_the_attribute(kwargs: dict[str, Any], message: str):
    """Every bad value of a query is a FactError whose path names the attribute."""
    with pytest.raises(FactError) as info:
        AgendaQuery(**kwargs)
    assert str(info.value).startswith(f"agenda query: {message}"), str(info.value)


def test_the_query_filters_and_orders_by_urgency():
    """Overdue first (most overdue first), then by due time, undecided, then no time set."""
    items = [
        item("INC-2", "n", due=None),
        item("INC-1", "u", status="undecided", due=None),
        item("INC-1", "late", status="overdue", due=100),
        item("INC-3", "later", due=300),
        item("INC-1", "soon", due=130, owners=("lead", "desk")),
        item("INC-2", "latest", status="overdue", due=60, grade=None),
    ]

    everything = AgendaQuery().apply(items, AT)
    tight = AgendaQuery(due_within=timedelta(minutes=30), include_no_time=False).apply(items, AT)
    lead = AgendaQuery(owners=["LEAD"]).apply(items, AT)
    graded = AgendaQuery(grades=["hot"], statuses=["overdue", "pending"]).apply(items, AT)
    plans = (
        AgendaQuery(plans=["store-test"]).apply(items, AT),
        AgendaQuery(plans=["x@1"]).apply(items, AT),
    )

    assert ["latest", "late", "soon", "later", "u", "n"] == [i.action_id for i in everything]
    assert ["latest", "late", "soon", "u"] == [i.action_id for i in tight]
    assert ["soon"] == [i.action_id for i in lead]
    assert ["late", "soon", "later", "n"] == [i.action_id for i in graded]
    assert (6, 0) == (len(plans[0]), len(plans[1]))


@settings(max_examples=30)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(AGENDA_STATUSES),
            st.none() | st.integers(0, 400),
            st.sampled_from(["INC-1", "INC-2"]),
        ),
        max_size=8,
    ),
    st.sets(st.sampled_from(AGENDA_STATUSES)),
)
def test_a_query_keeps_a_sorted_subset(specs, statuses):
    """apply() returns a subset with the asked statuses, overdue items first and by due time."""
    items = [
        item(incident, f"a{n}", status=status, due=None if status == "undecided" else due)
        for n, (status, due, incident) in enumerate(specs)
    ]

    kept = AgendaQuery(statuses=sorted(statuses)).apply(items, AT)

    assert set(kept) <= set(items)
    assert all(i.status in statuses for i in kept) if statuses else len(kept) == len(items)
    groups = [0 if i.status == "overdue" else 1 if i.due else 2 for i in kept]
    assert sorted(groups) == groups
    dated = [i.due for i in kept if i.status != "overdue" and i.due is not None]
    assert sorted(dated) == dated


def test_time_left_is_data():
    """An item's time left is a timedelta, negative when overdue, None without a due time."""
    assert timedelta(minutes=-20) == item(status="overdue", due=100).time_left(AT)
    assert timedelta(hours=1) == item(due=180).time_left(AT)
    assert None is item(due=None).time_left(AT)


def test_store_items_carry_the_grade_and_the_timezone(store: CaseStore):
    """Materialised and replayed agenda items carry the incident's grade and the plan's timezone."""
    store.add_plan(small_plan())
    store.open_incident(
        "INC-1", KEY, discovered_at=BASE, recorded_at=minutes(5), recorded_by="a", entry_id="open"
    )
    store.record(
        "INC-1", [entry("c1", clicks(minutes(20), 500))], recorded_at=minutes(25), recorded_by="m"
    )

    fresh = store.agenda(minutes(30))
    replayed = store.agenda(minutes(200))

    assert {("hot", "热点", "Asia/Shanghai")} == {
        (i.grade_id, i.grade_name, i.timezone) for i in fresh + replayed
    }
    data = fresh[0].to_dict()
    assert ({"id": "hot", "name": "热点"}, "Asia/Shanghai") == (data["grade"], data["timezone"])
    assert {
        "incident",
        "plan",
        "action",
        "title",
        "owners",
        "status",
        "due",
        "clause",
        "reason",
    } < set(data)


def test_rows_stored_before_0_6_are_replayed_for_their_grade(store: CaseStore):
    """An agenda row without grade and timezone (stored by 0.5) makes its incident replayed."""
    store.add_plan(small_plan())
    store.open_incident(
        "INC-1", KEY, discovered_at=BASE, recorded_at=minutes(5), recorded_by="a", entry_id="open"
    )
    store.record(
        "INC-1", [entry("c1", clicks(minutes(20), 500))], recorded_at=minutes(25), recorded_by="m"
    )
    expected = store.agenda(minutes(30))
    store._fetch('UPDATE agenda_rows SET owners = \'[["desk","值班室"]]\'')

    assert expected == store.agenda(minutes(30))
    assert "hot" == expected[0].grade_id
