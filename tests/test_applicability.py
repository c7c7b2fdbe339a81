"""
Applicability that ends: ``applies: while`` actions and categories hold
only while their condition holds (只要…就…), are withdrawn at the instant it
turns false as known, and apply again, a new spell, when it holds again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.authoring import lint_plan, render_plan
from opinion_rules.deadlines import after
from opinion_rules.engine._walk import FirstHeld
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.store import open_store

from . import strategies as s
from .conftest import cst, learned


PHRASES = Path(__file__).parent.parent / "docs" / "how-to" / "phrases"
START = cst(23, 9)


@pytest.fixture(scope="module")
def plan() -> o.Plan:
    """The plan of the how-to page: one latched duty, two held only while."""
    return o.load_plan(PHRASES / "1-while.yaml")


def _incident(events: list, facts: dict | None = None) -> dict:
    return {
        "id": "I",
        "discovered_at": START.isoformat(),
        "facts": {"signed": False} if facts is None else facts,
        "events": events,
    }


def _done(action: str, at: datetime) -> dict:
    return {"at": at.isoformat(), "type": "action_done", "action": action}


# Ranks learned at distinct minutes after discovery: <= 20 holds, > 20 does not.
ranks = st.dictionaries(
    st.integers(min_value=1, max_value=600), st.sampled_from([5, 35]), max_size=8
)


def _spells(changes: dict[int, int], at: datetime) -> tuple[datetime | None, datetime | None]:
    """
    Brute force: the start of the guard duty's latest spell and the instant
    it was withdrawn (None while it applies), from the ranks known at *at*.
    """
    start = until = None
    for minute in sorted(changes):
        t = START + timedelta(minutes=minute)
        if t > at:
            break
        if changes[minute] <= 20 and (start is None or until is not None):
            start, until = t, None
        elif changes[minute] > 20 and start is not None and until is None:
            until = t
    return start, until


@given(changes=ranks, minutes=st.integers(min_value=0, max_value=700))
def test_a_while_duty_is_withdrawn_exactly_when_its_condition_turns_false(plan, changes, minutes):
    """The guard duty's spell and withdrawal instant equal a brute-force replay of what was known at T."""
    at = START + timedelta(minutes=minutes)
    events = [learned("hot_rank", v, START + timedelta(minutes=m)) for m, v in changes.items()]

    result = o.Engine(plan).evaluate(_incident(events), at=at)

    start, until = _spells(changes, at)
    guard = [a for a in result.actions if a.id == "guard"]
    if start is None:
        assert [] == guard
        return
    assert (start, until) == (guard[0].applies_since, guard[0].withdrawn_at)
    assert (until is not None) == (guard[0].status == "withdrawn")


@given(changes=ranks, minutes=st.integers(min_value=0, max_value=700))
def test_a_latched_duty_is_never_withdrawn(plan, changes, minutes):
    """The latched report applies from the first instant its condition held, whatever follows."""
    at = START + timedelta(minutes=minutes)
    events = [learned("hot_rank", v, START + timedelta(minutes=m)) for m, v in changes.items()]

    result = o.Engine(plan).evaluate(_incident(events), at=at)

    report = [a for a in result.actions if a.id == "report"]
    held = [START + timedelta(minutes=m) for m in sorted(changes) if changes[m] <= 20]
    held = [t for t in held if t <= at]
    assert ([held[0]] if held else []) == [a.applies_since for a in report]
    assert [None] * len(report) == [a.withdrawn_at for a in report]


@given(data=st.data())
def test_latched_random_plans_have_no_withdrawal(data):
    """In random plans made all latched, no action is withdrawn and no category ends."""
    plan = data.draw(s.plans())
    plan = attrs.evolve(
        plan,
        actions=tuple(attrs.evolve(a, applies="latched") for a in plan.actions),
        categories=tuple(attrs.evolve(c, applies="latched") for c in plan.categories),
    )
    incident = data.draw(s.incidents(plan))

    result = o.Engine(plan).evaluate(incident, at=data.draw(s.instants(3200)))

    assert [] == [a.id for a in result.actions if a.status == "withdrawn" or a.withdrawn_at]
    assert [] == [c.id for c in result.categories if c.until is not None]


@given(changes=ranks, first=st.integers(0, 700), later=st.integers(0, 700))
def test_as_of_monotone(plan, changes, first, later):
    """What is known at T1 stays: a later evaluation keeps its spell and withdrawal, or starts a spell after T1."""
    t1, t2 = sorted((START + timedelta(minutes=first), START + timedelta(minutes=later)))
    events = [learned("hot_rank", v, START + timedelta(minutes=m)) for m, v in changes.items()]
    engine = o.Engine(plan)

    before = {a.id: a for a in engine.evaluate(_incident(events), at=t1).actions}
    after = {a.id: a for a in engine.evaluate(_incident(events), at=t2).actions}

    if "guard" in before:
        old, new = before["guard"], after["guard"]
        assert new.applies_since > t1 or old.applies_since == new.applies_since
        if old.withdrawn_at is not None:
            assert new.applies_since > t1 or old.withdrawn_at == new.withdrawn_at
        else:
            assert new.withdrawn_at is None or new.withdrawn_at > t1


def test_unknown_does_not_withdraw():
    """A while rule that turns unknown still holds; known false withdraws it; true again starts a new spell."""
    first = FirstHeld(frozenset({"r"}))

    first.record({"r": True}, cst(23, 9), {})
    first.record({"r": None}, cst(23, 10), {})
    holds_when_unknown = first.holds("r")
    first.record({"r": False}, cst(23, 11), {})
    withdrawn = (first.holds("r"), first.until["r"])
    first.record({"r": True}, cst(23, 12), {})

    assert True is holds_when_unknown
    assert (False, cst(23, 11)) == withdrawn
    assert (True, cst(23, 12), cst(23, 9)) == (
        first.holds("r"),
        first.since["r"][0],
        first.respelled["r"],
    )


def test_the_phrase_plan_at_two_instants(plan):
    """At 10:00 all three apply; at 14:00 guard is withdrawn at 10:30, resend at 13:00, report overdue."""
    incident = o.Incident.from_dict(
        json.loads((PHRASES / "1-while-incident.json").read_text(encoding="utf-8"))
    )
    engine = o.Engine(plan)

    early = engine.evaluate(incident, at=cst(23, 10))
    late = engine.evaluate(incident, at=cst(23, 14))

    assert ["pending"] * 3 == [a.status for a in early.actions]
    assert [("overdue", None), ("withdrawn", cst(23, 10, 30)), ("withdrawn", cst(23, 13))] == [
        (a.status, a.withdrawn_at) for a in late.actions
    ]
    assert None is late.next_change
    assert "withdrawn at 2026-11-23T13:00:00+08:00" in late.action("resend").reason


def test_a_duty_done_before_withdrawal_stays_done(plan):
    """Done while it applied, then withdrawn: it stays done, with the withdrawal instant."""
    events = [
        learned("hot_rank", 5, cst(23, 9, 30)),
        _done("guard", cst(23, 10)),
        learned("hot_rank", 35, cst(23, 10, 30)),
    ]

    guard = o.Engine(plan).evaluate(_incident(events), at=cst(23, 14)).action("guard")

    assert ("done", cst(23, 10), cst(23, 10, 30)) == (
        guard.status,
        guard.done_at,
        guard.withdrawn_at,
    )


def test_a_new_spell_is_a_new_duty(plan):
    """Done in the first spell, the duty applies again from the new spell and is owed again."""
    events = [
        learned("hot_rank", 5, cst(23, 9, 30)),
        _done("guard", cst(23, 10)),
        learned("hot_rank", 35, cst(23, 10, 30)),
        learned("hot_rank", 8, cst(23, 12)),
    ]

    guard = o.Engine(plan).evaluate(_incident(events), at=cst(23, 13)).action("guard")

    assert ("pending", cst(23, 12), cst(23, 14), None) == (
        guard.status,
        guard.applies_since,
        guard.due,
        guard.done_at,
    )


def test_a_withdrawn_category_has_since_and_until():
    """A while category ends when its condition turns false, and stage 2 sees it no more."""
    data = dump_plan(o.load_plan(PHRASES / "1-while.yaml"))
    data = data.replace(
        "actions:",
        "categories:\n- {id: trending, name: 热搜类, condition: hot_rank <= 20, applies: while,"
        " clause: {ref: '二', text: 在热搜榜前20位的为热搜类。}}\n"
        "actions:",
        1,
    ).replace("condition: signed == false", "condition: category(trending)")
    plan = read_plan_text(data, "yaml")
    events = [learned("hot_rank", 5, cst(23, 9, 30)), learned("hot_rank", 35, cst(23, 10, 30))]

    result = o.Engine(plan).evaluate(_incident(events), at=cst(23, 14))

    assert [("trending", cst(23, 9, 30), cst(23, 10, 30))] == [
        (c.id, c.since, c.until) for c in result.categories
    ]
    assert ("withdrawn", cst(23, 10, 30)) == (
        result.action("resend").status,
        result.action("resend").withdrawn_at,
    )
    assert cst(23, 10, 30) == datetime.fromisoformat(result.to_dict()["categories"][0]["until"])


def test_the_agenda_does_not_list_a_withdrawn_duty(plan, tmp_path):
    """The case store agenda keeps the overdue report and drops both withdrawn duties."""
    with open_store(str(tmp_path / "cases.db")) as store:
        key = store.add_plan(plan)
        store.open_incident(
            "I1",
            key,
            discovered_at=START,
            entry_id="e0",
            recorded_at=START,
            recorded_by="值班员",
            facts={"signed": False},
        )
        events = [
            learned("hot_rank", 5, cst(23, 9, 30)),
            learned("hot_rank", 35, cst(23, 10, 30)),
            learned("signed", True, cst(23, 13)),
        ]
        for i, event in enumerate(events, 1):
            when = datetime.fromisoformat(event["at"])
            store.record(
                "I1", [{"id": f"e{i}", "event": event}], recorded_at=when, recorded_by="值班员"
            )

        agenda = store.agenda(cst(23, 14))

        assert [("report", "overdue")] == [(i.action_id, i.status) for i in agenda]


def test_while_is_refused_on_recurring_and_per_change_duties(plan):
    """applies: while on a recurring duty or one owed per change of a fact is a construction error."""
    report = plan.action("report")
    with pytest.raises(ValueError, match="not for a recurring duty"):
        attrs.evolve(report, applies="while", deadline=after("changed:hot_rank", hours=1))


def test_the_key_reads_writes_and_is_checked(plan):
    """applies: while round-trips, a bad value is located, and lint warns when it can never end."""
    text = dump_plan(plan)
    bad = text.replace("applies: while", "applies: sometimes", 1)
    always = text.replace(
        "  condition: hot_rank <= 20\n  clause: {ref: 四", "  clause: {ref: 四", 1
    )

    with pytest.raises(o.PlanError, match=r"actions\[1\]: 'applies' must be one of"):
        read_plan_text(bad, "yaml")
    findings = lint_plan(read_plan_text(always, "yaml"))

    assert plan == read_plan_text(text, "yaml")
    assert 2 == text.count("applies: while")
    assert [("while-never-ends", "actions[1].applies")] == [
        (f.code, f.path) for f in findings if f.code.startswith("while")
    ]


def test_render_says_while_in_both_languages(plan):
    """Render writes 只要… in Chinese and while … in English."""
    zh = render_plan(plan)
    en = render_plan(plan, lang="en")

    assert "只要热搜排名不超过20(不再成立即撤销)" in zh
    assert "while hot_rank" in en or "while 热搜排名" in en
    assert "(withdrawn once it no longer holds)" in en


def test_a_window_that_ends_a_spell_is_the_next_change():
    """A while duty on a rolling measure: next_change is the instant the observation leaves the window, and then it is withdrawn."""
    text = dump_plan(o.load_plan(PHRASES / "1-while.yaml")).replace(
        "roles:",
        "metrics: [reposts]\nmeasures:\n- {id: reposts_1h, metric: reposts, window: 1h}\nroles:",
        1,
    )
    text = text.replace("condition: signed == false", "condition: reposts_1h > 100")
    plan = read_plan_text(text, "yaml")
    incident = {
        **_incident([]),
        "observations": [
            {"at": cst(23, 9, 30).isoformat(), "metric": "reposts", "value": 0},
            {"at": cst(23, 10).isoformat(), "metric": "reposts", "value": 500},
        ],
    }
    engine = o.Engine(plan)

    before = engine.evaluate(incident, at=cst(23, 10, 30))
    after = engine.evaluate(incident, at=cst(23, 11, 30))

    assert ("pending", cst(23, 11)) == (before.action("resend").status, before.next_change)
    assert ("withdrawn", cst(23, 11)) == (
        after.action("resend").status,
        after.action("resend").withdrawn_at,
    )
