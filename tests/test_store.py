"""
The case store on both backends: plans pinned by version, idempotent
writes, refused input that leaves the store unchanged, as-of replay and the
materialised agenda.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules._engine import Engine
from opinion_rules._store import CaseStore, agenda_of, open_store
from opinion_rules._store_postgres import redact
from opinion_rules._store_sqlite import SQLiteStore
from opinion_rules.exceptions import (
    ConflictError,
    DuplicateEntryError,
    IncidentConflictError,
    OutOfOrderError,
    PlanConflictError,
    RecordFormatError,
    StoreError,
    StoreUnavailableError,
    UnknownIncidentError,
    UnknownPlanError,
)

from .store_fixtures import (  # noqa: F401 - the fixture_* are pytest fixtures
    dump,
    fixture_new_store,
    fixture_pg_server,
    fixture_store,
    fixture_store_target,
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
    assert ((o.Owner("desk", "值班室"), o.Owner("lead", "分管领导")), "4", KEY, "电话报告分管领导") == (
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
    from opinion_rules import _store

    assert "FROM agenda_rows WHERE " in _store._AGENDA_SQL
    assert _store._STALE_SQL.endswith("FROM agenda_state WHERE ")


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
