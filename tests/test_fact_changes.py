"""
The change of a named fact as an event: ``changed:<fact>`` ("伤亡人数发生变化
的，应当及时补报"), owed once per change, with missed ones kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.conditions import Always, within
from opinion_rules.deadlines import after, promptly, until
from opinion_rules.engine._state_slots import fact_changes


TZ = ZoneInfo("Asia/Shanghai")
BASE = datetime(2025, 3, 3, 9, tzinfo=TZ)
CLAUSE = o.Clause("十三", "自事故发生之日起30日内，事故造成的伤亡人数发生变化的，应当及时补报。")


def hours(n: float) -> datetime:
    return BASE + timedelta(hours=n)


def plan_with(deadline: o.Deadline, condition: object = None) -> o.Plan:
    return o.Plan(
        id="changes",
        title="fact changes",
        issuer="tests",
        version="1",
        source="tests",
        grades=(o.Grade("any", "事故", 0, Always(), CLAUSE),),
        facts=(o.FactSpec("casualties", type="number"),),
        roles=(o.Role("office", "办公室"),),
        events=(o.EventSpec("occurred", "事故发生"),),
        actions=(
            o.Action(
                "supplement",
                "补报",
                ("office",),
                "written_report",
                deadline,
                Always() if condition is None else condition,  # type: ignore[arg-type]
                clause=CLAUSE,
            ),
        ),
    )


def change(h: float, value: int) -> o.Event:
    return o.Event(hours(h), "fact", fact="casualties", value=value)


def report(h: float) -> o.Event:
    return o.Event(hours(h), "action_done", action="supplement")


def incident(*events: o.Event, casualties: int | None = 3) -> o.Incident:
    facts = {} if casualties is None else {"casualties": casualties}
    return o.Incident("INC", discovered_at=BASE, facts=facts, events=events)


HOURLY = plan_with(after("changed:casualties", hours=1))


def test_each_change_is_owed_its_own_report():
    """Two changes, one report after each, on time: done."""
    result = o.Engine(HOURLY).evaluate(
        incident(change(1, 4), report(1.5), change(3, 5), report(3.5)), at=hours(5)
    )
    status = result.action("supplement")

    assert ("done", (), hours(3)) == (status.status, status.missed, status.anchor_at)


def test_a_missed_report_does_not_disappear_with_the_next_change():
    """A change left unreported past its due stays missed when another change comes."""
    result = o.Engine(HOURLY).evaluate(
        incident(change(1, 4), change(3, 5), report(3.5)), at=hours(5)
    )
    status = result.action("supplement")

    assert ("done_late", (hours(2),)) == (status.status, status.missed)


def test_an_open_change_is_pending_then_overdue():
    """The earliest unreported change is the one due; after its due it is overdue."""
    engine = o.Engine(HOURLY)
    events = (change(1, 4),)

    pending = engine.evaluate(incident(*events), at=hours(1.5))
    late = engine.evaluate(incident(*events), at=hours(2.5))

    assert ("pending", hours(2)) == (
        pending.action("supplement").status,
        pending.action("supplement").due,
    )
    assert hours(2) + timedelta(microseconds=1) == pending.next_change
    assert ("overdue", (hours(2),)) == (
        late.action("supplement").status,
        late.action("supplement").missed,
    )


def test_a_first_value_and_a_repeated_value_are_not_changes():
    """Learning the first value, or hearing the same value again, opens nothing."""
    result = o.Engine(HOURLY).evaluate(
        incident(change(1, 4), change(2, 4), casualties=None), at=hours(5)
    )

    assert "waiting" == result.action("supplement").status


def test_only_changes_within_thirty_days_of_the_accident_are_owed():
    """自事故发生之日起30日内…发生变化的: a change after the window opens no occurrence."""
    plan = plan_with(
        promptly("changed:casualties"), within("changed:casualties", "occurred", "30d")
    )
    occurred = o.Event(hours(0), "occurred")
    day = 24

    result = o.Engine(plan).evaluate(
        incident(occurred, change(10 * day, 4), report(10 * day + 1), change(31 * day, 6)),
        at=hours(32 * day),
    )
    status = result.action("supplement")

    assert ("done", hours(10 * day)) == (status.status, status.anchor_at)


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=3)),
        max_size=6,
    ),
    st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
)
def test_changes_are_the_instants_the_known_value_differs(updates, initial):
    """A change is an instant after which the value differs from a value known before it."""
    events = sorted(
        (o.Event(hours(h), "fact", fact="casualties", value=v) for h, v in updates),
        key=lambda e: e.at,
    )
    facts = {} if initial is None else {"casualties": initial}
    got = fact_changes(o.Incident("I", discovered_at=BASE, facts=facts), events).get(
        "casualties", []
    )

    expected = []
    for t in sorted({e.at for e in events}):
        before = [e.value for e in events if e.at < t]
        known_before = before[-1] if before else initial
        after_t = [e.value for e in events if e.at <= t][-1]
        if known_before is not None and known_before != after_t:
            expected.append(t)
    assert expected == got


@pytest.mark.parametrize(
    "build",
    [
        lambda: until("changed:casualties", "occurred"),
        lambda: after(
            "changed:casualties",
            hours=1,
            extension=o.deadlines.Extension("x", o.deadlines.Offset(hours=1)),
        ),
    ],
)
def test_per_change_deadlines_are_single_deadlines(build):
    """A per-change duty has one due per change: no until, recurrence or extension."""
    with pytest.raises(ValueError, match="owed once per change"):
        build()
