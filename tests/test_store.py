"""
The case store on both backends: plans pinned by version, idempotent
writes, refused input that leaves the store unchanged, as-of replay and the
materialised agenda.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules import Engine
from opinion_rules.exceptions import (
    ConflictError,
    DuplicateEntryError,
    IncidentConflictError,
    OutOfOrderError,
    PlanConflictError,
    RecordFormatError,
    StoreError,
    StoreNotFoundError,
    StoreUnavailableError,
    UnknownIncidentError,
    UnknownPlanError,
)
from opinion_rules.results import Owner
from opinion_rules.store import CaseStore, PostgresStore, SQLiteStore, _agenda, open_store
from opinion_rules.store._agenda import agenda_of
from opinion_rules.store._postgres import redact
from opinion_rules.store._schema import outbox_statements, schema_statements, years_statements

from .store_fixtures import (  # noqa: F401 - the fixture_* are pytest fixtures
    dump,
    fixture_new_store,
    fixture_pg_server,
    fixture_store,
    fixture_store_target,
    read_only_prefix,
)
from .store_plan import BASE, clicks, done, entry, learned, minutes, small_plan, subsided


PLAN = small_plan()
KEY = "store-test@1"
ENGINE = Engine(PLAN)
PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def opened(store: CaseStore, incident_id: str = "INC-1", **kwargs: Any) -> CaseStore:
    """
    *store* with the test plan and one incident opened at BASE + 5 min.
    """
    store.add_plan(PLAN)
    args: dict[str, Any] = {
        "discovered_at": BASE,
        "entry_id": "open",
        "recorded_at": minutes(5),
        "recorded_by": "alice",
    }
    args.update(kwargs)
    store.open_incident(incident_id, KEY, **args)
    return store


# -- plans --------------------------------------------------------------------------


def test_add_plan_returns_the_version_key_and_is_idempotent(store: CaseStore):
    """Adding the same plan version twice stores it once under id@version."""
    first = store.add_plan(PLAN)
    before = dump(store)

    second = store.add_plan(small_plan())

    assert (KEY, KEY) == (first, second)
    assert before == dump(store)
    assert [KEY] == store.plans()
    assert PLAN == store.plan(KEY)


def test_a_stored_plan_version_never_changes(store: CaseStore):
    """A different plan under a stored id and version is refused; nothing changes."""
    store.add_plan(PLAN)
    before = dump(store)

    with pytest.raises(PlanConflictError) as info:
        store.add_plan(attrs.evolve(PLAN, title="changed"))

    assert info.value.plan_key == KEY
    assert (
        "plan 'store-test@1' is already stored with different content; expected the same plan, or a new version"
        in str(info.value)
    )
    assert before == dump(store)
    assert "store-test@2" == store.add_plan(attrs.evolve(PLAN, version="2", title="changed"))


def test_opening_with_an_unknown_plan_is_refused(store: CaseStore):
    """An incident can only be pinned to a stored plan version."""
    store.add_plan(PLAN)
    before = dump(store)

    with pytest.raises(UnknownPlanError) as info:
        store.open_incident(
            "INC-1", "store-test@9", discovered_at=BASE, entry_id="open",
            recorded_at=minutes(5), recorded_by="alice",
        )  # fmt: skip

    assert (
        "plan 'store-test@9' is not in the store (add it first); expected one of 'store-test@1'; did you mean 'store-test@1'?"
        == str(info.value)
    )
    assert before == dump(store)


# -- opening ------------------------------------------------------------------------


def test_open_writes_the_incident_and_its_opening_entry(store: CaseStore):
    """The opening is entry 1 of the log and the incident replays from it."""
    opened(store, posted_at=minutes(-30), facts={"serious": True})

    [first] = store.timeline("INC-1")

    assert ("open", "open", "alice", minutes(5)) == (
        first.entry_id, first.kind, first.recorded_by, first.recorded_at,
    )  # fmt: skip
    assert {
        "plan": KEY,
        "discovered_at": BASE.isoformat(),
        "posted_at": minutes(-30).isoformat(),
        "facts": {"serious": True},
    } == dict(first.item)
    assert o.Incident.from_dict(
        {
            "id": "INC-1",
            "discovered_at": BASE.isoformat(),
            "posted_at": minutes(-30).isoformat(),
            "facts": {"serious": True},
        }
    ) == store.incident("INC-1")
    assert KEY == store.plan_key_of("INC-1")


def test_opening_again_with_the_same_content_is_a_no_op(store: CaseStore):
    """A retried opening returns the first receipt, marked duplicate, and writes nothing."""
    opened(store)
    before = dump(store)

    receipt = store.open_incident(
        "INC-1", KEY, discovered_at=BASE, entry_id="open",
        recorded_at=minutes(50), recorded_by="bob",
    )  # fmt: skip

    assert (True, 1, minutes(5), "alice") == (
        receipt.duplicate, receipt.seq, receipt.recorded_at, receipt.recorded_by,
    )  # fmt: skip
    assert before == dump(store)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"entry_id": "open-2"}, "entry_id"),
        ({"discovered_at": minutes(1)}, "discovered_at"),
        ({"facts": {"serious": False}}, "facts"),
    ],
)
def test_opening_again_with_other_content_is_refused(store: CaseStore, change, field):
    """Reopening an incident differently names the field that differs; nothing changes."""
    opened(store)
    before = dump(store)
    args = {
        "discovered_at": BASE,
        "entry_id": "open",
        "recorded_at": minutes(50),
        "recorded_by": "bob",
    }

    with pytest.raises(IncidentConflictError) as info:
        store.open_incident("INC-1", KEY, **{**args, **change})

    assert field == info.value.field
    assert f"incident 'INC-1' is already open with {field} " in str(info.value)
    assert isinstance(info.value, ConflictError)
    assert before == dump(store)


def test_opening_after_recorded_at_is_refused(store: CaseStore):
    """An incident cannot be discovered after it is recorded."""
    store.add_plan(PLAN)
    before = dump(store)

    with pytest.raises(OutOfOrderError) as info:
        store.open_incident(
            "INC-1", KEY, discovered_at=minutes(60), entry_id="open",
            recorded_at=minutes(5), recorded_by="alice",
        )  # fmt: skip

    assert (
        "incident 'INC-1': entry 'open': discovered_at 2026-11-23T09:00:00+08:00 is later than recorded_at 2026-11-23T08:05:00+08:00; expected an instant at or before recorded_at (no facts from the future)"
        == str(info.value)
    )
    assert before == dump(store)


def test_opening_with_a_malformed_fact_name_is_refused(store: CaseStore):
    """A header the format refuses names the incident, plan and entry."""
    store.add_plan(PLAN)
    before = dump(store)

    with pytest.raises(o.FactError) as info:
        opened(store, facts={"not an id": True})

    assert str(info.value).startswith(
        "incident 'INC-1' (plan 'store-test@1'), entry 'open': facts.not an id: is not an identifier"
    )
    assert before == dump(store)


def test_opening_with_an_undeclared_fact_is_refused(store: CaseStore):
    """The opening is checked against the plan, naming the entry."""
    store.add_plan(PLAN)
    before = dump(store)

    with pytest.raises(o.FactError) as info:
        opened(store, facts={"seriuos": True})

    assert (
        "incident 'INC-1' (plan 'store-test@1'), entry 'open': facts.seriuos: fact 'seriuos' is not declared by the plan"
        in str(info.value)
    )
    assert before == dump(store)


# -- recording ----------------------------------------------------------------------


def test_record_appends_a_batch_and_returns_receipts(store: CaseStore):
    """Each entry gets a receipt with its log position, in batch order."""
    opened(store)

    receipts = store.record(
        "INC-1",
        [entry("c1", clicks(minutes(10), 50)), entry("d1", done("triage", minutes(20)))],
        recorded_at=minutes(30),
        recorded_by="monitor",
    )

    assert [("c1", 2, "observation"), ("d1", 3, "event")] == [
        (r.entry_id, r.seq, r.kind) for r in receipts
    ]
    assert not any(r.duplicate for r in receipts)
    assert ["open", "c1", "d1"] == [e.entry_id for e in store.timeline("INC-1")]
    assert clicks(minutes(10), 50) == dict(store.timeline("INC-1")[1].item)


def test_replaying_a_batch_writes_nothing_new(store: CaseStore):
    """The same batch sent twice is written once; the second receipts are the first ones."""
    opened(store)
    batch = [entry("c1", clicks(minutes(10), 50)), entry("d1", done("triage", minutes(20)))]
    first = store.record("INC-1", batch, recorded_at=minutes(30), recorded_by="monitor")
    before = dump(store)

    again = store.record("INC-1", batch, recorded_at=minutes(40), recorded_by="retry")

    assert [attrs.evolve(r, duplicate=True) for r in first] == again
    assert before == dump(store)


def test_a_batch_may_mix_new_and_recorded_entries(store: CaseStore):
    """Only the new entries of a partly recorded batch are written."""
    opened(store)
    store.record(
        "INC-1", [entry("c1", clicks(minutes(10), 50))], recorded_at=minutes(30), recorded_by="m"
    )

    receipts = store.record(
        "INC-1",
        [entry("c1", clicks(minutes(10), 50)), entry("c2", clicks(minutes(31), 1))],
        recorded_at=minutes(31),
        recorded_by="m",
    )

    assert [(True, 2), (False, 3)] == [(r.duplicate, r.seq) for r in receipts]


def test_a_repeat_inside_one_batch_is_written_once(store: CaseStore):
    """An entry repeated within a batch is one log entry; the repeat is marked duplicate."""
    opened(store)
    one = entry("c1", clicks(minutes(10), 50))

    receipts = store.record("INC-1", [one, one], recorded_at=minutes(30), recorded_by="m")

    assert [(2, False), (2, True)] == [(r.seq, r.duplicate) for r in receipts]
    assert 2 == len(store.timeline("INC-1"))


def test_an_unknown_incident_is_refused(store: CaseStore):
    """Recording into an incident never opened names it and the nearest id; nothing changes."""
    opened(store)
    before = dump(store)

    with pytest.raises(UnknownIncidentError) as info:
        store.record(
            "INC-2", [entry("c1", clicks(minutes(10), 5))], recorded_at=minutes(30), recorded_by="m"
        )

    assert isinstance(info.value, LookupError)
    assert (
        "incident 'INC-2' is not in the store; expected an opened incident; did you mean 'INC-1'?"
        == str(info.value)
    )
    assert before == dump(store)


def test_a_reused_entry_id_with_other_content_is_refused(store: CaseStore):
    """An entry id already used for other content names both versions; nothing changes."""
    opened(store)
    store.record(
        "INC-1", [entry("c1", clicks(minutes(10), 50))], recorded_at=minutes(30), recorded_by="m"
    )
    before = dump(store)

    with pytest.raises(DuplicateEntryError) as info:
        store.record(
            "INC-1",
            [entry("c2", clicks(minutes(31), 1)), entry("c1", clicks(minutes(10), 51))],
            recorded_at=minutes(40),
            recorded_by="m",
        )

    assert ("INC-1", "c1", "batch[1]", 2) == (
        info.value.incident_id, info.value.entry_id, info.value.where, info.value.seq,
    )  # fmt: skip
    assert str(info.value).startswith(
        "incident 'INC-1': batch[1]: entry 'c1' is already recorded (seq 2) with different "
        "content; expected the same content (an idempotent retry) or a new entry id (stored "
        '{"id":"c1","observation":{"at":"2026-11-23T08:10:00+08:00","kind":"increment",'
        '"metric":"clicks","site":"a.example.cn","value":50}}, got {"id":"c1",'
    )
    assert before == dump(store)


def test_a_reused_entry_id_inside_one_batch_is_refused(store: CaseStore):
    """Two different entries with one id in a batch are refused; nothing changes."""
    opened(store)
    before = dump(store)

    with pytest.raises(DuplicateEntryError) as info:
        store.record(
            "INC-1",
            [entry("c1", clicks(minutes(10), 50)), entry("c1", clicks(minutes(10), 9))],
            recorded_at=minutes(30),
            recorded_by="m",
        )

    assert (
        "incident 'INC-1': batch[1]: entry 'c1' is earlier in the same batch with different content"
        in str(info.value)
    )
    assert before == dump(store)


def test_recorded_at_never_goes_back(store: CaseStore):
    """A batch recorded before the incident's latest recording is refused; nothing changes."""
    opened(store)
    store.record(
        "INC-1", [entry("c1", clicks(minutes(10), 50))], recorded_at=minutes(30), recorded_by="m"
    )
    before = dump(store)

    with pytest.raises(OutOfOrderError) as info:
        store.record(
            "INC-1", [entry("c2", clicks(minutes(10), 5))], recorded_at=minutes(20), recorded_by="m"
        )

    assert ("recorded_at", minutes(20), minutes(30)) == (
        info.value.field,
        info.value.got,
        info.value.bound,
    )
    assert (
        "incident 'INC-1': recorded_at 2026-11-23T08:20:00+08:00 is earlier than the incident's latest recorded_at 2026-11-23T08:30:00+08:00; expected an instant at or after it (the log's clock never goes back)"
        == str(info.value)
    )
    assert before == dump(store)


def test_an_item_from_after_recorded_at_is_refused(store: CaseStore):
    """No facts from the future: an event later than its recording is refused; nothing changes."""
    opened(store)
    before = dump(store)

    with pytest.raises(OutOfOrderError) as info:
        store.record(
            "INC-1",
            [entry("c1", clicks(minutes(10), 50)), entry("s1", subsided(minutes(45)))],
            recorded_at=minutes(30),
            recorded_by="m",
        )

    assert (
        "incident 'INC-1': batch[1]: entry 's1': event.at 2026-11-23T08:45:00+08:00 is later than recorded_at 2026-11-23T08:30:00+08:00; expected an instant at or before recorded_at (no facts from the future)"
        == str(info.value)
    )
    assert isinstance(info.value, ValueError)
    assert before == dump(store)


def test_an_item_the_plan_refuses_names_the_entry_and_field(store: CaseStore):
    """An unknown metric is a FactError naming the entry, its place and the field; nothing changes."""
    opened(store)
    before = dump(store)
    likes = {"at": minutes(10).isoformat(), "metric": "likes", "value": 3}

    with pytest.raises(o.FactError) as info:
        store.record(
            "INC-1",
            [entry("c1", clicks(minutes(10), 5)), entry("x1", likes)],
            recorded_at=minutes(30),
            recorded_by="m",
            sources=["stdin:1", "stdin:2"],
        )

    assert (
        "incident 'INC-1' (plan 'store-test@1'), entry 'x1': stdin:2 observation.metric: metric 'likes' is not declared by the plan; expected one of 'clicks'; did you mean 'clicks'?"
        == str(info.value)
    )
    assert before == dump(store)


def test_a_batch_whose_last_entry_is_bad_writes_nothing(store: CaseStore):
    """All or nothing: good entries before a bad one are not written."""
    opened(store)
    before = dump(store)
    batch = [entry(f"c{i}", clicks(minutes(i), 1)) for i in range(1, 6)]
    batch.append(entry("bad", {"at": minutes(6).isoformat(), "type": "subsidd"}))

    with pytest.raises(o.FactError) as info:
        store.record("INC-1", batch, recorded_at=minutes(30), recorded_by="m")

    assert "entry 'bad': batch[5] event.type: " in str(info.value)
    assert before == dump(store)
    assert 1 == len(store.timeline("INC-1"))


def test_a_malformed_item_is_refused_with_its_path(store: CaseStore):
    """An item that is not the interchange format is a FactError at its path; nothing changes."""
    opened(store)
    before = dump(store)

    with pytest.raises(o.FactError) as info:
        store.record(
            "INC-1",
            [entry("c1", {"at": "yesterday", "metric": "clicks", "value": -1})],
            recorded_at=minutes(30),
            recorded_by="m",
        )

    assert [
        ("batch[0] observation.at", "is not an ISO 8601 datetime"),
        ("batch[0] observation.value", "is negative"),
    ] == [(p.path, p.message) for p in info.value.problems]
    assert before == dump(store)


def test_entries_that_are_not_entries_are_refused(store: CaseStore):
    """Every envelope problem is listed at once, each with its place; nothing changes."""
    opened(store)
    before = dump(store)

    with pytest.raises(RecordFormatError) as info:
        store.record(
            "INC-1",
            [
                {"observation": clicks(minutes(1), 1)},
                {"id": "b", "observation": clicks(minutes(1), 1), "event": subsided(minutes(1))},
                {"id": "c", "note": "?"},
                "d",
            ],
            recorded_at=minutes(30),
            recorded_by="m",
        )

    assert [
        "batch[0].id: is not a non-empty string; expected the client's entry id (got nothing)",
        "batch[1]: has both 'observation' and 'event'; expected exactly one of them",
        "batch[2].note: is not a known field; expected 'id' and 'observation' or 'event'",
        "batch[2]: has no 'observation' or 'event'; expected exactly one of them",
        'batch[3]: is not an entry; expected an object {"id": ..., "observation": {...}} or {"id": ..., "event": {...}} (got \'d\', a str)',
    ] == [str(p) for p in info.value.problems]
    assert isinstance(info.value, ValueError)
    assert before == dump(store)


def test_a_naive_recorded_at_is_refused(store: CaseStore):
    """Every instant must carry an offset."""
    opened(store)

    with pytest.raises(o.FactError, match="recorded_at: is naive"):
        store.record("INC-1", [], recorded_at=datetime(2026, 11, 23, 9), recorded_by="m")  # noqa: DTZ001


def test_the_store_error_tree():
    """Store errors are OpinionRulesErrors, with builtin bases where a catch is natural."""
    assert issubclass(StoreError, o.OpinionRulesError)
    assert issubclass(UnknownIncidentError, LookupError)
    assert issubclass(UnknownPlanError, LookupError)
    assert issubclass(OutOfOrderError, ValueError)
    assert issubclass(RecordFormatError, ValueError)
    assert all(
        issubclass(c, ConflictError)
        for c in (PlanConflictError, IncidentConflictError, DuplicateEntryError)
    )


# -- reading ------------------------------------------------------------------------


def test_timeline_and_audit_say_who_recorded_what_when(store: CaseStore):
    """The audit lists entries across incidents by recording time, filtered by instant."""
    opened(store)
    opened(store, "INC-2", recorded_at=minutes(7), recorded_by="bob")
    store.record(
        "INC-1", [entry("c1", clicks(minutes(8), 5))], recorded_at=minutes(9), recorded_by="carol"
    )
    store.record(
        "INC-2", [entry("s1", subsided(minutes(9)))], recorded_at=minutes(12), recorded_by="dave"
    )

    everything = store.audit()
    later = store.audit(since=minutes(7), until=minutes(9))
    one = store.audit("INC-2")

    assert [
        ("INC-1", "open", "alice"),
        ("INC-2", "open", "bob"),
        ("INC-1", "c1", "carol"),
        ("INC-2", "s1", "dave"),
    ] == [(e.incident_id, e.entry_id, e.recorded_by) for e in everything]
    assert ["INC-2/open", "INC-1/c1"] == [f"{e.incident_id}/{e.entry_id}" for e in later]
    assert ["open", "s1"] == [e.entry_id for e in one]
    assert ["open", "s1"] == [e.entry_id for e in store.timeline("INC-2")]
    assert ["INC-1", "INC-2"] == store.incident_ids()
    assert {"seq", "incident", "entry", "kind", "recorded_at", "recorded_by", "item"} == set(
        one[1].to_dict()
    )


def test_reading_an_unknown_incident_is_refused(store: CaseStore):
    """Every read names the missing incident."""
    store.add_plan(PLAN)

    for read in (
        store.timeline,
        store.incident,
        lambda i: store.assess(i, minutes(9)),
        store.audit,
    ):
        with pytest.raises(UnknownIncidentError, match="incident 'NOPE' is not in the store"):
            read("NOPE")


def test_an_incident_is_unknown_before_it_was_opened(store: CaseStore):
    """As of an instant before the opening was recorded, the incident did not exist."""
    opened(store)

    with pytest.raises(UnknownIncidentError) as info:
        store.assess("INC-1", minutes(4))

    assert (
        "incident 'INC-1' was not known yet at 2026-11-23T08:04:00+08:00: it was opened (recorded) at 2026-11-23T08:05:00+08:00; expected an instant at or after that"
        == str(info.value)
    )


def test_assess_replays_what_was_known_at_the_instant(store: CaseStore):
    """At T the assessment sees only entries recorded by T, unless known_at looks later."""
    opened(store)
    store.record(
        "INC-1", [entry("c1", clicks(minutes(10), 500))], recorded_at=minutes(60), recorded_by="m"
    )

    before = store.assess("INC-1", minutes(30))
    hindsight = store.assess("INC-1", minutes(30), known_at=minutes(60))

    assert None is before.grade
    assert "hot" == hindsight.grade.id
    assert minutes(10) == hindsight.grade.since


# -- replay property ------------------------------------------------------------------


@attrs.frozen
class History:
    """
    One incident's writes: the opening, then batches with their recording
    instants (never going back, items never later than their batch).
    """

    incident_id: str
    discovered: datetime
    posted: datetime | None
    facts: dict[str, Any]
    opened_at: datetime
    batches: tuple[tuple[datetime, tuple[dict[str, Any], ...]], ...]

    def open(self, store: CaseStore) -> None:
        store.open_incident(
            self.incident_id,
            KEY,
            discovered_at=self.discovered,
            posted_at=self.posted,
            facts=self.facts,
            entry_id="open",
            recorded_at=self.opened_at,
            recorded_by="opener",
        )

    def known(self, at: datetime, written: int | None = None) -> dict[str, Any] | None:
        """The incident recorded by *at*, from the first *written* batches."""
        if self.opened_at > at:
            return None
        data: dict[str, Any] = {
            "id": self.incident_id,
            "discovered_at": self.discovered.isoformat(),
            "facts": self.facts,
            "observations": [],
            "events": [],
        }
        if self.posted is not None:
            data["posted_at"] = self.posted.isoformat()
        for recorded, items in self.batches[:written]:
            if recorded <= at:
                for e in items:
                    kind = "event" if "event" in e else "observation"
                    data[f"{kind}s"].append(e[kind])
        return data


@st.composite
def histories(draw: st.DrawFn, incident_id: str = "H-1") -> History:
    discovered = minutes(draw(st.integers(0, 600)))
    posted = draw(
        st.one_of(st.none(), st.integers(0, 60).map(lambda m: discovered - timedelta(minutes=m)))
    )
    facts = draw(st.sampled_from([{}, {"serious": True}, {"serious": False}]))
    clock = opened_at = discovered + timedelta(minutes=draw(st.integers(0, 90)))
    batches = []
    n = 0
    for _ in range(draw(st.integers(0, 5))):
        clock += timedelta(minutes=draw(st.integers(0, 240)))
        items = []
        for _ in range(draw(st.integers(1, 3))):
            at = clock - timedelta(minutes=draw(st.integers(0, 180)))
            if posted is not None:
                at = max(at, posted)
            kind = draw(st.sampled_from(["clicks", "clicks", "done", "subsided", "fact"]))
            if kind == "clicks":
                item = clicks(
                    at, draw(st.sampled_from([3, 20, 150])), draw(st.sampled_from(["a", "b"]))
                )
            elif kind == "done":
                item = done(draw(st.sampled_from(["triage", "report", "brief", "update"])), at)
            elif kind == "subsided":
                item = subsided(at)
            else:
                item = learned(draw(st.booleans()), at)
            items.append(entry(f"e{n}", item))
            n += 1
        batches.append((clock, tuple(items)))
    return History(incident_id, discovered, posted, facts, opened_at, tuple(batches))


def write(store: CaseStore, history: History, batch: int) -> None:
    recorded, items = history.batches[batch]
    store.record(history.incident_id, items, recorded_at=recorded, recorded_by=f"writer{batch}")


@PROPERTY
@given(history=histories(), at=st.integers(-60, 2400).map(minutes))
def test_assess_equals_evaluating_what_was_recorded_by_then(new_store, history, at):
    """store.assess(id, T) == Engine.evaluate(the entries recorded by T, at=T)."""
    with new_store() as store:
        store.add_plan(PLAN)
        history.open(store)
        for i in range(len(history.batches)):
            write(store, history, i)
        expected = history.known(at)

        if expected is None:
            with pytest.raises(UnknownIncidentError):
                store.assess(history.incident_id, at)
        else:
            assert (
                ENGINE.evaluate(expected, at=at).to_dict()
                == store.assess(history.incident_id, at).to_dict()
            )
            assert o.Incident.from_dict(expected) == store.incident(
                history.incident_id, known_at=at
            )


# -- the agenda -----------------------------------------------------------------------


def expected_agenda(
    histories: list[History], written: dict[str, int], at: datetime, horizon: timedelta
) -> list[dict[str, Any]]:
    items = []
    for history in histories:
        if history.incident_id not in written:
            continue
        data = history.known(at, written[history.incident_id])
        if data is not None:
            items += agenda_of(history.incident_id, KEY, ENGINE.evaluate(data, at=at), at + horizon)
    items.sort(
        key=lambda i: (i.due is None, i.due.timestamp() if i.due else 0, i.incident_id, i.action_id)
    )
    return [i.to_dict() for i in items]


HORIZONS = st.sampled_from(
    [timedelta(0), timedelta(minutes=30), timedelta(hours=3), timedelta(days=1)]
)


@PROPERTY
@given(data=st.data())
def test_agenda_equals_evaluating_every_incident(new_store, data):
    """At any instant, in any order of writes and queries, the agenda is the per-incident evaluation."""
    count = data.draw(st.integers(1, 4), label="incidents")
    stories = [data.draw(histories(f"A-{i}"), label=f"history {i}") for i in range(count)]
    steps = {h.incident_id: len(h.batches) + 1 for h in stories}
    written: dict[str, int] = {}
    with new_store() as store:
        store.add_plan(PLAN)
        while any(steps.values()):
            choice = data.draw(
                st.sampled_from([*sorted(k for k, v in steps.items() if v), "query"])
            )
            if choice == "query":
                at, horizon = data.draw(st.integers(0, 2400).map(minutes)), data.draw(HORIZONS)
                assert expected_agenda(stories, written, at, horizon) == [
                    i.to_dict() for i in store.agenda(at, horizon)
                ]
                continue
            history = next(h for h in stories if h.incident_id == choice)
            if choice not in written:
                history.open(store)
                written[choice] = 0
            else:
                write(store, history, written[choice])
                written[choice] += 1
            steps[choice] -= 1
        for _ in range(3):
            at, horizon = data.draw(st.integers(0, 2400).map(minutes)), data.draw(HORIZONS)

            assert expected_agenda(stories, written, at, horizon) == [
                i.to_dict() for i in store.agenda(at, horizon)
            ]


def test_agenda_lists_what_is_owed_in_due_order(store: CaseStore):
    """Overdue and soon-due actions across incidents, sorted by due time, then incident."""
    opened(store, "INC-1", facts={"serious": True})
    opened(store, "INC-2", discovered_at=minutes(60), recorded_at=minutes(61))
    store.record(
        "INC-1", [entry("c1", clicks(minutes(20), 500))], recorded_at=minutes(25), recorded_by="m"
    )

    items = store.agenda(minutes(100), timedelta(hours=1))

    assert [
        ("INC-1", "report", "overdue", "2026-11-23T08:50:00+08:00"),
        ("INC-1", "triage", "pending", "2026-11-23T10:00:00+08:00"),
        ("INC-1", "note", "pending", None),
        ("INC-1", "watch", "pending", None),
        ("INC-2", "note", "pending", None),
        ("INC-2", "watch", "pending", None),
    ] == [(i.incident_id, i.action_id, i.status, i.to_dict()["due"]) for i in items]
    report = items[0]
    assert ((Owner("desk", "值班室"), Owner("lead", "分管领导")), "4", KEY, "电话报告分管领导") == (
        report.owners, report.clause_ref, report.plan_key, report.title,
    )  # fmt: skip


def test_a_fresh_agenda_evaluates_nothing(store: CaseStore, monkeypatch: pytest.MonkeyPatch):
    """Between writes and next changes the agenda is read from materialised rows alone."""
    for i in range(5):
        opened(store, f"INC-{i}")
    calls = []
    original = Engine.evaluate
    monkeypatch.setattr(
        Engine, "evaluate", lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    )

    fresh = store.agenda(minutes(30), timedelta(hours=2))
    stale = store.agenda(minutes(200), timedelta(minutes=30))
    again = store.agenda(minutes(201), timedelta(minutes=30))

    assert 15 == len(fresh)
    assert ["overdue"] * 5 == [i.status for i in stale if i.action_id == "triage"]
    assert 5 == len(calls)  # the deadline at 10:00 made each incident stale once
    assert [i.to_dict() for i in stale] == [i.to_dict() for i in again]


def test_stale_incidents_are_refreshed_in_chunks_with_the_same_agenda(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
):
    """More stale incidents than one chunk: read a chunk at a time, and the agenda is unchanged."""
    for i in range(5):
        opened(store, f"INC-{i}", facts={"serious": i % 2 == 0})
    at = minutes(200)
    expected = [
        item.to_dict()
        for i in range(5)
        for item in agenda_of(
            f"INC-{i}", KEY, store.assess(f"INC-{i}", at), at + timedelta(hours=1)
        )
    ]
    expected.sort(key=lambda i: (i["due"] is None, i["due"] or "", i["incident"], i["action"]))
    chunks = []
    original = type(store)._logs
    monkeypatch.setattr(_agenda, "_REFRESH_CHUNK", 2)
    monkeypatch.setattr(
        type(store),
        "_logs",
        lambda self, ids, us: chunks.append(len(ids)) or original(self, ids, us),
    )

    chunked = [i.to_dict() for i in store.agenda(at, timedelta(hours=1))]
    stored = [i.to_dict() for i in store.agenda(at, timedelta(hours=1))]

    assert [2, 2, 1] == chunks  # the second agenda reads the refreshed rows alone
    assert expected == chunked
    assert expected == stored


def test_the_agenda_changes_exactly_at_the_next_change(store: CaseStore):
    """At its next_change instant an incident's rows are stale, and the agenda shows the change."""
    opened(store)
    change = store.assess("INC-1", minutes(5)).next_change

    before = store.agenda(change - timedelta(microseconds=1), timedelta(0))
    at = store.agenda(change, timedelta(0))

    assert minutes(120) + timedelta(microseconds=1) == change  # triage's deadline passes
    assert [("triage", "pending")] == [
        (i.action_id, i.status) for i in before if i.action_id == "triage"
    ]
    assert [("triage", "overdue")] == [
        (i.action_id, i.status) for i in at if i.action_id == "triage"
    ]


def test_a_historical_agenda_changes_nothing(store: CaseStore):
    """An agenda before the latest evaluation is replayed, and stores nothing."""
    opened(store)
    store.record(
        "INC-1", [entry("c1", clicks(minutes(20), 500))], recorded_at=minutes(300), recorded_by="m"
    )
    before = dump(store)

    past = store.agenda(minutes(30))

    assert "report" not in [i.action_id for i in past]
    assert before == dump(store)


def test_the_agenda_query_uses_the_indexes(tmp_path):
    """SQLite answers the agenda's queries from indexes, not table scans."""
    with SQLiteStore(tmp_path / "cases.db") as store:
        for i in range(20):
            opened(store, f"INC-{i}")
        explain = {
            sql: " ".join(
                row[3] for row in store.connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            )
            for sql, params in [
                ("SELECT incident_id FROM agenda_state WHERE next_change_us <= ?", (0,)),
                ("SELECT incident_id FROM agenda_state WHERE evaluated_us > ?", (0,)),
                ("SELECT incident_id, title FROM agenda_rows WHERE status = 'overdue'", ()),
                (
                    "SELECT incident_id, title FROM agenda_rows WHERE status = 'pending' AND due_us <= ?",
                    (0,),
                ),
                (
                    "SELECT incident_id, title FROM agenda_rows WHERE status = 'pending' AND due_us IS NULL",
                    (),
                ),
            ]
        }

    assert all(
        "USING INDEX" in plan or "USING COVERING INDEX" in plan for plan in explain.values()
    ), explain
    assert (
        "agenda_state_by_next_change"
        in explain["SELECT incident_id FROM agenda_state WHERE next_change_us <= ?"]
    )
    assert all(
        "agenda_rows_by_due" in plan for sql, plan in explain.items() if "agenda_rows" in sql
    ), explain


def test_the_store_queries_match_what_the_index_test_explains():
    """The index test explains the agenda's real queries."""
    from opinion_rules.store import _agenda

    assert "FROM agenda_rows WHERE " in _agenda._AGENDA_SQL
    assert _agenda._STALE_SQL.endswith("FROM agenda_state WHERE ")


# -- opening stores ---------------------------------------------------------------------


def test_open_store_picks_the_backend(tmp_path, pg_server):
    """A postgresql:// URL opens PostgreSQL; anything else is an SQLite path."""
    with open_store(tmp_path / "cases.db") as lite, open_store(pg_server.new_schema()) as pg:
        assert ("SQLiteStore", "PostgresStore") == (type(lite).__name__, type(pg).__name__)


def test_a_file_that_is_no_database_is_unavailable(tmp_path, monkeypatch):
    """A store that cannot be opened says which and why, and leaves no connection open."""
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100)
    connections: list[sqlite3.Connection] = []
    connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **k: connections.append(connect(*a, **k)) or connections[-1]
    )

    with pytest.raises(StoreUnavailableError) as info:
        open_store(path)

    assert str(info.value).startswith(
        f"case store {path}: cannot open the database: file is not a database"
    )
    assert connections
    for conn in connections:  # a closed connection refuses every use
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")


def test_an_unreachable_server_is_unavailable_and_hides_the_password(tmp_path):
    """A PostgreSQL URL that cannot be reached is a StoreUnavailableError without the password."""
    dsn = f"postgresql://alice:s3cret@/cases?host={tmp_path}&port=1"

    with pytest.raises(StoreUnavailableError) as info:
        open_store(dsn)

    assert "s3cret" not in str(info.value)
    assert str(info.value).startswith(
        f"case store postgresql://alice:***@/cases?host={tmp_path}&port=1: cannot connect"
    )
    assert "host=h password=*** user=u" == redact("host=h password=p4ss user=u")


def test_a_closed_store_is_unavailable(tmp_path):
    """Using a store after close() is an error, not a crash."""
    store = open_store(tmp_path / "cases.db")
    with store:
        store.add_plan(PLAN)

    with pytest.raises(StoreUnavailableError, match="the store is closed"):
        store.plans()


def test_a_newer_table_layout_is_refused(tmp_path):
    """A store written by a newer opinion_rules is not opened by an older one."""
    path = tmp_path / "cases.db"
    open_store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()

    with pytest.raises(
        StoreError, match="has table layout 99, newer than this opinion_rules understands"
    ):
        open_store(path)


def test_bulk_writes_commit_together_and_each_write_stays_atomic(store: CaseStore):
    """Inside bulk() a refused write leaves the others; an exception out of the block keeps none."""
    store.add_plan(PLAN)
    with store.bulk():
        opened(store, "B-1")
        with pytest.raises(OutOfOrderError):
            store.record(
                "B-1", [entry("x", subsided(minutes(99)))], recorded_at=minutes(6), recorded_by="m"
            )
        store.record(
            "B-1", [entry("y", subsided(minutes(6)))], recorded_at=minutes(6), recorded_by="m"
        )
    with pytest.raises(RuntimeError, match="give up"), store.bulk():  # noqa: PT012
        opened(store, "B-2")
        raise RuntimeError("give up")

    assert ["B-1"] == store.incident_ids()
    assert ["open", "y"] == [e.entry_id for e in store.timeline("B-1")]


def test_json_round_trip_of_the_value_objects(store: CaseStore):
    """Receipts, log entries and agenda items render as JSON."""
    opened(store)
    [receipt] = store.record(
        "INC-1", [entry("c1", clicks(minutes(10), 5))], recorded_at=minutes(11), recorded_by="m"
    )

    texts = [
        json.dumps(x.to_dict())
        for x in [receipt, *store.timeline("INC-1"), *store.agenda(minutes(12))]
    ]

    assert 6 == len(texts)  # a receipt, two log entries, three agenda items
    assert {
        "incident": "INC-1",
        "entry": "c1",
        "seq": 2,
        "kind": "observation",
        "recorded_at": "2026-11-23T08:11:00+08:00",
        "recorded_by": "m",
        "duplicate": False,
    } == receipt.to_dict()


# -- input that cannot be stored ------------------------------------------------------

SURROGATE = "\ud800"  # what the JSON escape "\ud800" decodes to: not Unicode text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"incident_id": SURROGATE},
            "open_incident: incident_id: holds a lone surrogate (e.g. from the JSON escape \\ud800), which is not Unicode text",
        ),
        (
            {"incident_id": "INC\x00"},
            "open_incident: incident_id: holds a control character ('\\x00')",
        ),
        ({"incident_id": 7}, "open_incident: incident_id: is not a non-empty string"),
        ({"entry_id": "o" + SURROGATE}, "incident 'INC-1': entry_id: holds a lone surrogate"),
        ({"recorded_by": SURROGATE}, "incident 'INC-1': recorded_by: holds a lone surrogate"),
        (
            {"entry_id": "line\nbreak"},
            "incident 'INC-1': entry_id: holds a control character ('\\n')",
        ),
        (
            {"recorded_by": "a\x00b"},
            "incident 'INC-1': recorded_by: holds a control character ('\\x00')",
        ),
        (
            {"facts": {SURROGATE: True}},
            "incident 'INC-1': facts.\\ud800: (the key) holds a lone surrogate",
        ),
        (
            {"recorded_at": datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=23)))},
            "incident 'INC-1': recorded_at: is outside the supported range: expected an instant from 1900 up to 3000 (UTC) (got 9999-12-31T23:00:00-23:00)",
        ),
        (
            {"discovered_at": datetime(1, 1, 1, tzinfo=UTC)},
            "incident 'INC-1': discovered_at: is outside the supported range",
        ),
    ],
    ids=[
        "surrogate id",
        "NUL id",
        "number id",
        "surrogate entry id",
        "surrogate recorded_by",
        "newline entry id",
        "NUL recorded_by",
        "surrogate fact name",
        "year 9999 recorded_at",
        "year 1 discovered_at",
    ],
)
def test_an_opening_that_cannot_be_stored_is_refused(store: CaseStore, change, message):
    """Ids, names and facts must be text a database can keep; instants must be in range."""
    store.add_plan(PLAN)
    before = dump(store)
    args = {
        "incident_id": "INC-1",
        "discovered_at": BASE,
        "entry_id": "open",
        "recorded_at": minutes(5),
        "recorded_by": "alice",
        **change,
    }

    with pytest.raises(o.OpinionRulesError) as info:
        store.open_incident(args.pop("incident_id"), KEY, **args)

    assert str(info.value).startswith(message), str(info.value)
    assert str(info.value).encode("utf-8")  # printable
    assert before == dump(store)


DEEP: dict[str, Any] = {}
_level = DEEP
for _ in range(5000):
    _level["a"] = {}
    _level = _level["a"]


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        (
            [entry("c" + SURROGATE, clicks(minutes(6), 1))],
            "batch[0].id: holds a lone surrogate (e.g. from the JSON escape \\ud800), which is not Unicode text; expected the client's entry id (got 'c\\ud800', a str)",
        ),
        (
            [entry("c\x00", clicks(minutes(6), 1))],
            "batch[0].id: holds a control character ('\\x00')",
        ),
        (
            [entry("c1", clicks(minutes(6), 1, site=SURROGATE))],
            "batch[0].observation.site: holds a lone surrogate",
        ),
        (
            [entry("d1", {**done("triage", minutes(6)), "note": "ok" + SURROGATE})],
            "batch[0].event.note: holds a lone surrogate",
        ),
        (
            [entry("d1", {**done("triage", minutes(6)), "extra": [{"deep": SURROGATE}]})],
            "batch[0].event.extra[0].deep: holds a lone surrogate",
        ),
        (
            [entry("d1", {**done("triage", minutes(6)), "extra": DEEP})],
            "batch[0].event.extra.a.a.",
        ),
        (
            [entry("d1", {**done("triage", minutes(6)), "extra": {1: 2}})],
            "batch[0].event.extra: has a key that is not a string",
        ),
        (
            [entry("c1", clicks(minutes(6), 10**5000))],
            "batch[0].observation.value: is a number of more than 100 digits",
        ),
        (
            [entry("c1", clicks(minutes(6), float("nan")))],
            "batch[0].observation.value: is not a finite number",
        ),
    ],
    ids=[
        "surrogate entry id",
        "NUL entry id",
        "surrogate site",
        "surrogate note",
        "nested surrogate",
        "5000 levels deep",
        "number key",
        "5000-digit number",
        "NaN",
    ],
)
def test_an_entry_that_cannot_be_stored_is_refused(store: CaseStore, batch, message):
    """Every string anywhere in an entry must be Unicode text; items are bounded JSON data."""
    opened(store)
    before = dump(store)

    with pytest.raises(RecordFormatError) as info:
        store.record("INC-1", batch, recorded_at=minutes(6), recorded_by="m")

    assert str(info.value).startswith(f"incident 'INC-1': {message}"), str(info.value)
    assert str(info.value).encode("utf-8")
    assert before == dump(store)


def test_record_arguments_that_are_not_a_batch_are_refused(store: CaseStore):
    """A batch is a list of entries, with one source name per entry."""
    opened(store)
    before = dump(store)
    one = entry("c1", clicks(minutes(6), 1))

    errors = []
    for call in (
        lambda: store.record("INC-1", one, recorded_at=minutes(6), recorded_by="m"),
        lambda: store.record("INC-1", 5, recorded_at=minutes(6), recorded_by="m"),  # type: ignore[arg-type]
        lambda: store.record(
            "INC-1", [one], recorded_at=minutes(6), recorded_by="m", sources=["a", "b"]
        ),
        lambda: store.record("INC-1", [one], recorded_at=minutes(6), recorded_by=SURROGATE),
    ):
        with pytest.raises(RecordFormatError) as info:
            call()
        errors.append(str(info.value))

    assert [
        "incident 'INC-1': entries: is not a list of entries; expected a list of entries (got one entry)",
        "incident 'INC-1': entries: is not a list of entries; expected a list of entries (got 5, a int)",
        "incident 'INC-1': sources: does not name one place (text) for each of the 1 entries; expected one name per entry, e.g. stdin:3 (got ['a', 'b'], a list)",
        "incident 'INC-1': recorded_by: holds a lone surrogate (e.g. from the JSON escape \\ud800), which is not Unicode text; expected text that can be stored and printed (got '\\ud800', a str)",
    ] == errors
    assert before == dump(store)


@pytest.mark.parametrize(
    "bad", [SURROGATE, "INC\x00", 7, ""], ids=["surrogate", "NUL", "number", "empty"]
)
def test_queries_with_an_id_that_cannot_be_stored_are_refused(store: CaseStore, bad):
    """No query passes such an id to the database: each is a located RecordFormatError."""
    opened(store)
    calls = {
        "incident": lambda: store.incident(bad),
        "assess": lambda: store.assess(bad, minutes(9)),
        "timeline": lambda: store.timeline(bad),
        "audit": lambda: store.audit(bad),
        "plan_key_of": lambda: store.plan_key_of(bad),
        "plan": lambda: store.plan(bad),
    }

    for name, call in calls.items():
        with pytest.raises(RecordFormatError) as info:
            call()
        assert str(info.value).startswith(f"{name}: "), str(info.value)
        assert str(info.value).encode("utf-8")


@pytest.mark.parametrize(
    "at",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
        datetime(1899, 12, 31, 23, 59, tzinfo=UTC),
        datetime(3000, 1, 1, tzinfo=UTC),
    ],
    ids=["year 1", "year 9999 at -23:59", "before 1900", "year 3000"],
)
def test_queries_at_instants_out_of_range_are_refused(store: CaseStore, at):
    """Every instant a query takes is range-checked and named: no OverflowError."""
    opened(store)
    calls = {
        "incident 'INC-1': at": lambda: store.assess("INC-1", at),
        "incident 'INC-1': known_at": lambda: store.assess("INC-1", minutes(9), known_at=at),
        "incident 'INC-1': known_at ": lambda: store.incident("INC-1", known_at=at),
        "agenda: at": lambda: store.agenda(at),
        "audit: since": lambda: store.audit(since=at),
        "audit: until": lambda: store.audit(until=at),
    }

    for where, call in calls.items():
        with pytest.raises(o.FactError) as info:
            call()
        assert str(info.value).startswith(
            f"{where.strip()}: is outside the supported range: expected an instant from 1900 up to 3000 (UTC)"
        ), str(info.value)


@pytest.mark.parametrize(
    ("horizon", "message"),
    [
        (timedelta(days=-1), "is negative"),
        (timedelta(days=36_601), "is longer than the longest supported period (36600 days)"),
        (timedelta.max, "is longer than the longest supported period (36600 days)"),
        (24, "is not a timedelta"),
    ],
)
def test_an_agenda_horizon_out_of_range_is_refused(store: CaseStore, horizon, message):
    """The horizon is a FactError naming it, never an OverflowError or a bare ValueError."""
    opened(store)

    with pytest.raises(o.FactError) as info:
        store.agenda(minutes(9), horizon)

    assert str(info.value).startswith(
        f"agenda: horizon: {message}; expected a timedelta from 0 to 36600 days"
    )
    assert [] != store.agenda(minutes(9), timedelta(days=36_600))


# -- missing, empty, read-only and damaged stores -----------------------------------------


def test_create_false_refuses_a_missing_store_and_creates_nothing(store_target, request):
    """open_store(create=False) on a path or schema without a store: StoreNotFoundError."""
    target = store_target()

    with pytest.raises(StoreNotFoundError) as info:
        open_store(target, create=False)

    assert isinstance(info.value, StoreUnavailableError)
    if request.node.callspec.params["store_target"] == "sqlite":
        assert f"case store {target}: the file does not exist" == str(info.value)
        assert not Path(target).exists()
    else:
        assert str(info.value).endswith(
            ": the database has no case store tables in its search_path (no meta table)"
        )
    with open_store(target) as created:  # the default creates
        assert [] == created.incident_ids()
    with open_store(target, create=False) as existing:
        assert [] == existing.incident_ids()


@pytest.mark.parametrize("create", [True, False])
def test_an_empty_file_is_not_a_store(tmp_path, create):
    """A store file truncated to 0 bytes is refused, and left as it is."""
    path = tmp_path / "cases.db"
    path.touch()

    with pytest.raises(StoreUnavailableError) as info:
        open_store(path, create=create)

    assert (
        f"case store {path}: the file is empty (0 bytes), so it is not a case store; expected a case store's database, or a path that does not exist yet to create one there"
        == str(info.value)
    )
    assert 0 == path.stat().st_size


def test_an_sqlite_database_of_something_else_is_not_a_store(tmp_path):
    """Only a path that does not exist is created: another program's database is left alone."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()

    with pytest.raises(StoreUnavailableError, match="is an SQLite database but not a case store"):
        open_store(path)

    with sqlite3.connect(path) as conn:
        assert [("notes",)] == conn.execute("SELECT name FROM sqlite_master").fetchall()
    conn.close()


def test_stores_created_at_once_by_many_writers_are_one_store(tmp_path):
    """Concurrent creators of one new file all open the same, complete store."""
    path = tmp_path / "cases.db"
    results: list[object] = []

    def create() -> None:
        try:
            with open_store(path) as store:
                store.add_plan(PLAN)
                results.append(store.plans())
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            results.append(exc)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [[KEY]] * 8 == results
    assert ["cases.db"] == sorted(
        p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))
    )


READ_ONLY_SCRIPT = """
import sys
from datetime import datetime
from opinion_rules import open_store
from opinion_rules.exceptions import StoreUnavailableError
at = datetime.fromisoformat("2026-11-23T12:00:00+08:00")
with open_store(sys.argv[1]) as store:
    print(store.incident_ids(), len(store.timeline("INC-1")), len(store.audit()))
    print(store.assess("INC-1", at).grade)
    print(sorted(i.action_id for i in store.agenda(at)))
    try:
        store.record("INC-1", [], recorded_at=at, recorded_by="m")
        store.add_plan(store.plan("store-test@1"))
    except StoreUnavailableError as exc:
        print(exc)
"""


def test_a_read_only_sqlite_store_can_be_read(tmp_path):
    """Opening an existing store only reads: every query works on a file this process may not write."""
    path = tmp_path / "cases.db"
    with open_store(path) as store:
        opened(store)
    content = path.read_bytes()
    prefix = read_only_prefix(path)
    if prefix is None:
        pytest.skip("cannot make a file read-only for a child process here")

    run = subprocess.run(
        [*prefix, sys.executable, "-c", READ_ONLY_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert ("", 0) == (run.stderr, run.returncode)
    lines = run.stdout.splitlines()
    assert "['INC-1'] 1 1" == lines[0]
    assert ["note", "triage", "watch"] == eval(lines[2])  # noqa: S307 - our own print of a list
    assert (
        f"case store {path}: cannot write: the file is read-only for this process; expected a store this process may write"
        == lines[3]
    )
    assert content == path.read_bytes()


def test_a_read_only_postgresql_connection_can_read(pg_server):
    """On a read-only connection (a standby, default_transaction_read_only) queries work, writes are refused."""
    dsn = pg_server.new_schema()
    with open_store(dsn) as store:
        opened(store)
    read_only = dsn + "%20-cdefault_transaction_read_only%3Don"

    with open_store(read_only, create=False) as store:
        agenda = store.agenda(minutes(200))  # stale rows: replayed, not stored
        timeline = store.timeline("INC-1")
        with pytest.raises(StoreUnavailableError) as info:
            store.record(
                "INC-1",
                [entry("c1", clicks(minutes(6), 1))],
                recorded_at=minutes(6),
                recorded_by="m",
            )

    assert "overdue" == next(i.status for i in agenda if i.action_id == "triage")
    assert ["open"] == [e.entry_id for e in timeline]
    assert str(info.value).endswith(
        ": cannot write: the connection is read-only (transaction_read_only is on); expected a store this process may write"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "one",
            "its schema_version is 'one', a str, not a table layout number; expected 1, 2 or 3: the store is damaged",
        ),
        ("9" * 5000, "not a table layout number; expected 1, 2 or 3: the store is damaged"),
        (
            "99",
            "it has table layout 99, newer than this opinion_rules understands (3); expected an upgrade of opinion_rules",
        ),
        (
            "0",
            "its schema_version is 0, which no opinion_rules wrote; expected 1, 2 or 3: the store is damaged",
        ),
        (
            None,
            "its meta table has no schema_version; expected the table layout number (1, 2 or 3): the store is damaged",
        ),
    ],
    ids=["text", "5000 digits", "newer", "zero", "missing"],
)
def test_a_tampered_schema_version_is_refused(store_target, value, message):
    """A meta table this version did not write is a StoreUnavailableError naming the store."""
    target = store_target()
    with open_store(target) as store:
        if value is None:
            store._fetch("DELETE FROM meta")
        else:
            store._fetch("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
        name = store.name

    with pytest.raises(StoreUnavailableError) as info:
        open_store(target)

    assert str(info.value).startswith(f"case store {name}: ")
    assert str(info.value).endswith(message)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("item", "not json", "Expecting value: line 1 column 1 (char 0)"),
        ("item", "[1, 2]", "its item is [1, 2], a list, not a JSON object"),
        ("item", "[" * 100_000 + "]" * 100_000, "its item nests too deeply to read"),
        ("recorded_at", "yesterday", "Invalid isoformat string: 'yesterday'"),
    ],
    ids=["not JSON", "not an object", "deep", "bad recorded_at"],
)
def test_a_damaged_log_entry_is_a_store_error(store: CaseStore, column, value, message):
    """Reading a tampered entry names the store and the entry; no raw exception."""
    opened(store)
    store.record(
        "INC-1", [entry("c1", clicks(minutes(6), 1))], recorded_at=minutes(6), recorded_by="m"
    )
    store._fetch(f"UPDATE entries SET {column} = ? WHERE seq = 2", (value,))  # noqa: S608 - a test constant

    for call in (
        lambda: store.timeline("INC-1"),
        store.audit,
        lambda: store.assess("INC-1", minutes(9)),
        lambda: store.agenda(minutes(400)),
        lambda: store.record(
            "INC-1", [entry("c2", clicks(minutes(7), 1))], recorded_at=minutes(7), recorded_by="m"
        ),
    ):
        with pytest.raises(StoreUnavailableError) as info:
            call()
        assert str(info.value).startswith(
            f"case store {store.name}: log entry seq 2 cannot be read: {message}"
        ), str(info.value)
        assert str(info.value).endswith(
            "; expected data as opinion_rules writes it: the store is damaged"
        )


def test_a_damaged_agenda_row_is_a_store_error(store: CaseStore):
    """The materialised rows are read with the same care as the log."""
    opened(store)
    store._fetch("UPDATE agenda_rows SET owners = 'not json'")

    with pytest.raises(StoreUnavailableError) as info:
        store.agenda(minutes(9))

    assert str(info.value).startswith(f"case store {store.name}: an agenda row cannot be read: ")


@pytest.mark.parametrize(
    "target",
    [5, "", "cases\x00.db", "postgresql://u\ud800@/db?host=/nowhere"],
    ids=["number", "empty", "NUL", "surrogate URL"],
)
def test_a_target_that_is_no_store_location_is_unavailable(target):
    """open_store() refuses what cannot name a store with a StoreUnavailableError."""
    with pytest.raises(StoreUnavailableError) as info:
        open_store(target)

    assert str(info.value).encode("utf-8")
    assert "\x00" not in str(info.value)


def test_an_enormous_bad_batch_reports_one_screen(store: CaseStore):
    """A whole file of bad entries lists the first 50 problems and counts the rest."""
    opened(store)
    before = dump(store)
    likes = [
        entry(f"x{i}", {"at": minutes(6).isoformat(), "metric": "likes", "value": 1})
        for i in range(5000)
    ]

    with pytest.raises(RecordFormatError) as envelope:
        store.record("INC-1", [{}] * 5000, recorded_at=minutes(6), recorded_by="m")
    with pytest.raises(o.FactError) as items:
        store.record("INC-1", likes, recorded_at=minutes(6), recorded_by="m")

    assert "incident 'INC-1' (the first 50 of 10000 problems)" == envelope.value.subject
    assert 50 == len(envelope.value.problems)
    assert (
        "incident 'INC-1' (plan 'store-test@1'), entries 'x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9' and 4990 more (the first 50 of 5000 problems)"
        == items.value.subject
    )
    assert 50 == len(items.value.problems)
    assert before == dump(store)


def test_an_in_memory_store_is_always_new(tmp_path, monkeypatch):
    """':memory:' is SQLite's private database: created by default, refused with create=False."""
    monkeypatch.chdir(tmp_path)

    with open_store(":memory:") as store:
        opened(store)
        ids = store.incident_ids()
    with pytest.raises(StoreNotFoundError, match="an in-memory database is always new"):
        open_store(":memory:", create=False)

    assert ["INC-1"] == ids
    assert [] == list(tmp_path.iterdir())


def test_each_dialect_renders_the_one_table_description_in_its_own_types():
    """Both dialects' DDL comes from one description; only the spelled types differ."""
    sqlite = schema_statements(SQLiteStore._COLUMN_TYPES)
    postgres = schema_statements(PostgresStore._COLUMN_TYPES)
    entries = (
        "CREATE TABLE IF NOT EXISTS entries (\n"
        "        seq {serial},\n"
        "        incident_id TEXT NOT NULL REFERENCES incidents (incident_id),\n"
        "        entry_id TEXT NOT NULL,\n"
        "        kind TEXT NOT NULL CHECK (kind IN ('open', 'observation', 'event')),\n"
        "        item TEXT NOT NULL,\n"
        "        recorded_at TEXT NOT NULL,\n"
        "        recorded_us {big} NOT NULL,\n"
        "        recorded_by TEXT NOT NULL,\n"
        "        UNIQUE (incident_id, entry_id)\n"
        "    )"
    )

    assert entries.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT", big="INTEGER") in sqlite
    assert (
        entries.format(serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", big="BIGINT")
        in postgres
    )
    assert 16 == len(sqlite) == len(postgres)
    assert [s.replace("BIGINT", "INTEGER") for s in postgres if "IDENTITY" not in s] == [
        s for s in sqlite if "AUTOINCREMENT" not in s
    ]
    assert years_statements(SQLiteStore._COLUMN_TYPES) == sqlite[-5:-3]
    assert outbox_statements(SQLiteStore._COLUMN_TYPES) == sqlite[-3:]
