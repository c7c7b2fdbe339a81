"""
Year schedules in the case store: stored once, applied to every evaluation
the store makes with a China-calendar plan, and the materialised agenda
brought up to date when one is added, on both backends.

The 2027 data is tests/data/china-2027-invented.yaml: INVENTED, with the
shape of a notice only.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules import Engine
from opinion_rules.calendars import YearSchedule, load_year_schedule
from opinion_rules.exceptions import (
    FactError,
    RecordFormatError,
    StoreUnavailableError,
)
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.planfile._schedules import read_year_schedule
from opinion_rules.store import CaseStore, SQLiteStore, open_store
from opinion_rules.store._agenda import agenda_of
from opinion_rules.store._plans import with_years

from .conftest import ROOT
from .store_fixtures import (  # noqa: F401 - the fixture_* are pytest fixtures
    dump,
    fixture_new_store,
    fixture_pg_server,
    fixture_store,
    fixture_store_target,
    read_only_prefix,
)
from .store_plan import small_plan


PLAN = o.load_plan(ROOT / "docs" / "how-to" / "calendar_demo.yaml")
KEY = "calendar-demo@2026-1"
INVENTED = ROOT / "tests" / "data" / "china-2027-invented.yaml"
YEAR = load_year_schedule(INVENTED)
# The same invented year with 元旦 one day longer: 2027-01-04 off too.
CORRECTED = read_year_schedule(
    INVENTED.read_text(encoding="utf-8").replace(
        "{name: 元旦, days_off: [2027-01-01, 2027-01-03]}",
        "{name: 元旦, days_off: [2027-01-01, 2027-01-04]}",
    ),
    "yaml",
    "corrected",
)
DISCOVERED = datetime.fromisoformat("2026-12-28T10:00:00+08:00")
OPENED = datetime.fromisoformat("2026-12-28T10:05:00+08:00")
AGENDA_AT = datetime.fromisoformat("2027-01-05T09:00:00+08:00")
ADDED = datetime.fromisoformat("2027-01-05T10:00:00+08:00")
ACKNOWLEDGE = ("acknowledge", "overdue", "2026-12-28T13:00:00+08:00")
PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def opened(store: CaseStore, incident_id: str = "WZ-1", key: str = KEY) -> CaseStore:
    """*store* with the demo plan and one incident discovered on Monday 2026-12-28."""
    store.add_plan(PLAN)
    store.open_incident(
        incident_id,
        key,
        discovered_at=DISCOVERED,
        entry_id="open",
        recorded_at=OPENED,
        recorded_by="li.na",
    )
    return store


def owed(
    store: CaseStore, at: datetime = AGENDA_AT, horizon: timedelta = timedelta(days=3)
) -> list[tuple[str, str, str | None]]:
    return [(i.action_id, i.status, i.to_dict()["due"]) for i in store.agenda(at, horizon)]


def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count Engine.evaluate calls from now on."""
    calls: list[int] = []
    original = Engine.evaluate
    monkeypatch.setattr(
        Engine, "evaluate", lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    )
    return calls


def as_version_1(store: CaseStore) -> None:
    """
    Make *store* look written by the previous version: layout 1 (no
    calendar_years table) and no materialised undecided rows.
    """
    store._fetch("DROP TABLE calendar_years")
    store._fetch("DROP TABLE notifications")
    store._fetch("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    store._fetch("DELETE FROM agenda_rows WHERE status = 'undecided'")
    store._forget_years()


# -- the yearly routine -----------------------------------------------------------------


def test_an_undecided_duty_is_on_the_agenda_until_the_year_is_added(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
):
    """A duty reaching into 2027 is undecided; adding 2027 shows its due time, with no new write."""
    opened(store)
    rows = store._fetch("SELECT action_id, status, due FROM agenda_rows ORDER BY action_id")

    before = owed(store)
    receipt = store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
    calls = counting(monkeypatch)
    after = owed(store)

    assert [("acknowledge", "pending", "2026-12-28T13:00:00+08:00"), ("reply", "undecided", None)] == [
        tuple(r) for r in rows
    ]  # fmt: skip
    assert [ACKNOWLEDGE, ("reply", "undecided", None)] == before
    assert [ACKNOWLEDGE, ("reply", "pending", "2027-01-06T00:00:00+08:00")] == after
    assert [] == calls  # the rows were re-evaluated by add_schedule itself
    assert (1, False, None, ("WZ-1",), 0) == (
        receipt.seq, receipt.duplicate, receipt.replaces, receipt.reevaluated, receipt.stale,
    )  # fmt: skip
    assert ["open"] == [e.entry_id for e in store.timeline("WZ-1")]
    reply = next(a for a in store.assess("WZ-1", AGENDA_AT).actions if a.id == "reply")
    assert ("pending", "2027-01-06T00:00:00+08:00") == (reply.status, reply.due.isoformat())
    assert [YEAR] == store.schedules()


def test_adding_the_year_before_any_agenda_also_decides(store: CaseStore):
    """Rows evaluated at the opening are re-evaluated at that instant; later agendas follow them."""
    opened(store)

    store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
    state = store._fetch("SELECT evaluated_at, next_change_us FROM agenda_state")

    assert OPENED.isoformat() == state[0][0]
    assert [ACKNOWLEDGE, ("reply", "pending", "2027-01-06T00:00:00+08:00")] == owed(store)
    assert [ACKNOWLEDGE, ("reply", "overdue", "2027-01-06T00:00:00+08:00")] == owed(
        store, datetime.fromisoformat("2027-01-06T00:00:01+08:00")
    )


# The demo plan with a reply due within a day and a reminder 5 working days
# after the reply became late: a lapse that reaches into 2027 while nothing
# is undecided yet (the reminder is waiting).
ESCALATING = read_plan_text(
    (ROOT / "docs" / "how-to" / "calendar_demo.yaml")
    .read_text(encoding="utf-8")
    .replace('version: "2026-1"', 'version: "2026-esc"')
    .replace("within: 5wd}", "within: 1d}")
    + """
  - id: escalate
    title: 督办
    owners: [office]
    channel: phone
    deadline: {anchor: "overdue:reply+5wd", within: 1h}
    clause: {ref: "三", text: 超过办理时限5个工作日的，督办。}
""",
    "yaml",
    "escalating",
)


def test_a_new_year_re_evaluates_incidents_that_still_owe_something(store: CaseStore):
    """A waiting duty whose anchor needs the new year is not undecided yet; its incident is refreshed."""
    store.add_plan(ESCALATING)
    opened(store, "WZ-ESC", key="calendar-demo@2026-esc")
    store.agenda(datetime.fromisoformat("2026-12-29T12:00:00+08:00"))  # escalate: waiting
    later = datetime.fromisoformat("2027-01-08T09:00:00+08:00")

    receipt = store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
    items = store.agenda(later)

    expected = agenda_of(
        "WZ-ESC",
        "calendar-demo@2026-esc",
        Engine(ESCALATING.with_schedules(YEAR)).evaluate(store.incident("WZ-ESC"), at=later),
        later + timedelta(hours=24),
    )
    assert ((), 1) == (receipt.reevaluated, receipt.stale)
    assert [i.to_dict() for i in expected] == [i.to_dict() for i in items]
    assert ("escalate", "overdue") == (items[-1].action_id, items[-1].status)


def test_adding_the_same_year_again_writes_nothing(store: CaseStore):
    """An idempotent retry: the stored recording's receipt, marked duplicate."""
    opened(store)
    first = store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
    before = dump(store)

    again = store.add_schedule(
        YEAR, recorded_at=ADDED + timedelta(hours=1), recorded_by="zhang.wei"
    )

    assert before == dump(store)
    assert attrs.evolve(first, duplicate=True, reevaluated=()) == again
    assert (ADDED, "li.na") == (again.recorded_at, again.recorded_by)


def test_a_correction_is_in_force_and_the_history_is_kept(store: CaseStore):
    """Another schedule for a stored year is recorded; the latest is in force everywhere."""
    opened(store)
    store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
    decided = owed(store)  # rows refreshed at AGENDA_AT: fresh until 2027-01-06

    corrected = store.add_schedule(
        CORRECTED, recorded_at=ADDED + timedelta(days=1), recorded_by="zhang.wei"
    )

    assert (2, 1, (), 1) == (
        corrected.seq, corrected.replaces, corrected.reevaluated, corrected.stale,
    )  # fmt: skip
    assert [ACKNOWLEDGE, ("reply", "pending", "2027-01-06T00:00:00+08:00")] == decided
    assert [ACKNOWLEDGE, ("reply", "pending", "2027-01-07T00:00:00+08:00")] == owed(store)
    assert [CORRECTED] == store.schedules()
    history = store.schedule_history()
    assert [(1, YEAR, "li.na", False), (2, CORRECTED, "zhang.wei", True)] == [
        (s.seq, s.schedule, s.recorded_by, s.in_force) for s in history
    ]
    assert history == store.schedule_history(2027)
    assert [] == store.schedule_history(2028)
    assert {
        "seq": 2,
        "calendar": "china",
        "year": 2027,
        "recorded_at": "2027-01-06T10:00:00+08:00",
        "recorded_by": "zhang.wei",
        "in_force": True,
    } == {k: v for k, v in history[1].to_dict().items() if k != "schedule"}
    back = store.add_schedule(YEAR, recorded_at=ADDED + timedelta(days=2), recorded_by="li.na")
    assert (3, 2, False) == (
        back.seq,
        back.replaces,
        back.duplicate,
    )  # going back is a correction too
    assert [ACKNOWLEDGE, ("reply", "pending", "2027-01-06T00:00:00+08:00")] == owed(store)


def test_a_plans_own_year_wins_over_the_stored_one():
    """with_years adds only the years a plan's China calendar does not schedule itself."""
    own = PLAN.with_schedules(CORRECTED)

    assert (CORRECTED,) == with_years(own, [YEAR]).calendar.schedules
    assert own is with_years(own, [])


def test_the_plans_own_schedule_is_never_replaced(store: CaseStore):
    """A plan that schedules 2027 itself keeps its own days; the stored year fills only gaps."""
    own = attrs.evolve(PLAN.with_schedules(CORRECTED), version="2026-own")
    store.add_plan(own)
    opened(store, "WZ-OWN", key="calendar-demo@2026-own")
    opened(store, "WZ-1")

    receipt = store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
    items = {
        (i.incident_id, i.action_id): i.to_dict()["due"]
        for i in store.agenda(AGENDA_AT, timedelta(days=3))
    }

    assert ("WZ-1",) == receipt.reevaluated
    assert "2027-01-07T00:00:00+08:00" == items[("WZ-OWN", "reply")]
    assert "2027-01-06T00:00:00+08:00" == items[("WZ-1", "reply")]
    assert own == store.plan("calendar-demo@2026-own")
    assert PLAN == store.plan(KEY)  # the stored version, without the store's years


def test_plans_without_the_china_calendar_are_not_touched():
    """with_years returns a plan without the China calendar unchanged."""
    no_calendar = small_plan()

    assert no_calendar is with_years(no_calendar, [YEAR])
    assert PLAN is with_years(PLAN, [])
    assert with_years(PLAN, [YEAR]).calendar.schedules == (YEAR,)


def test_a_year_that_had_data_marks_every_incident_stale(store: CaseStore):
    """Replacing the package's year (2026 here) may move decided due times: all are re-evaluated."""
    opened(store)
    store.open_incident(
        "WZ-NOV",
        KEY,
        discovered_at=datetime.fromisoformat("2026-11-02T10:00:00+08:00"),
        entry_id="open",
        recorded_at=datetime.fromisoformat("2026-11-02T10:05:00+08:00"),
        recorded_by="li.na",
    )
    year_2026 = load_year_schedule(ROOT / "examples" / "calendars" / "china-2026.yaml")

    receipt = store.add_schedule(year_2026, recorded_at=ADDED, recorded_by="li.na")
    state = store._fetch(
        "SELECT incident_id, next_change_us = evaluated_us FROM agenda_state ORDER BY incident_id"
    )
    items = {(i.incident_id, i.action_id): i.status for i in store.agenda(AGENDA_AT)}

    assert (("WZ-1",), 1) == (receipt.reevaluated, receipt.stale)
    assert [("WZ-1", False), ("WZ-NOV", True)] == [(r[0], bool(r[1])) for r in state]
    assert "undecided" == items[("WZ-1", "reply")]  # 2027 is still missing
    assert "overdue" == items[("WZ-NOV", "reply")]


# -- refused input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            {"recorded_by": ""},
            RecordFormatError,
            "the 2027 schedule: recorded_by: is not a non-empty string",
        ),
        (
            {"recorded_by": "li\nna"},
            RecordFormatError,
            "the 2027 schedule: recorded_by: holds a control character ('\\n')",
        ),
        (
            {"recorded_at": datetime(2027, 1, 5, 10)},  # noqa: DTZ001 - the naive instant refused
            FactError,
            "the 2027 schedule: recorded_at: is naive",
        ),
        (
            {"schedule": attrs.evolve(YEAR, source="通知\n第二行")},
            RecordFormatError,
            "the 2027 schedule: source: holds a control character ('\\n')",
        ),
        (
            {"schedule": "2027"},
            TypeError,
            "add_schedule needs a YearSchedule (got '2027', a str)",
        ),
    ],
    ids=["empty by", "newline in by", "naive", "newline in source", "not a schedule"],
)
def test_a_bad_schedule_is_refused_and_nothing_is_written(
    store: CaseStore, change: dict[str, Any], error: type[Exception], message: str
):
    """Every refusal is raised before the transaction: the store is unchanged."""
    opened(store)
    before = dump(store)
    args: dict[str, Any] = {"schedule": YEAR, "recorded_at": ADDED, "recorded_by": "li.na"}
    args.update(change)

    with pytest.raises(error) as info:
        store.add_schedule(args.pop("schedule"), **args)

    assert str(info.value).startswith(message), str(info.value)
    assert before == dump(store)
    assert [] == store.schedules()


def test_a_damaged_stored_year_is_a_store_error(store: CaseStore):
    """A schedule row opinion_rules did not write names the store and the row."""
    opened(store)
    store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
    store._fetch("UPDATE calendar_years SET content = '{\"year\": 2027}'")
    store._forget_years()

    for call in (store.schedules, store.schedule_history, lambda: store.assess("WZ-1", ADDED)):
        with pytest.raises(StoreUnavailableError) as info:
            call()
        assert str(info.value).startswith(
            f"case store {store.name}: stored year schedule seq 1 cannot be read: "
        ), str(info.value)
        assert str(info.value).endswith("the store is damaged")


# -- older and read-only stores ---------------------------------------------------------


def test_a_version_1_store_is_read_and_upgraded_by_its_first_year(store_target):
    """Layout 1 reads as a store without years; the first year adds the table and refreshes all."""
    target = store_target()
    with open_store(target) as store:
        opened(store)
        owed(store)  # rows evaluated at AGENDA_AT, no next change
        as_version_1(store)

    with open_store(target, create=False) as store:
        old = (store.schedules(), store.schedule_history(), owed(store))
        receipt = store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
        layout = store._fetch("SELECT value FROM meta WHERE key = 'schema_version'")
        new = owed(store)

    # The older version's rows have no undecided row: the upgrade marks them stale.
    assert ([], [], [ACKNOWLEDGE]) == old
    assert ((), 1) == (receipt.reevaluated, receipt.stale)
    assert [("3",)] == [tuple(r) for r in layout]
    assert [ACKNOWLEDGE, ("reply", "pending", "2027-01-06T00:00:00+08:00")] == new


def test_a_new_store_has_layout_3(store: CaseStore):
    """New stores are created with the calendar_years and notifications tables."""
    assert [("3",)] == [
        tuple(r) for r in store._fetch("SELECT value FROM meta WHERE key = 'schema_version'")
    ]
    assert store._has_table("calendar_years")
    assert store._has_table("notifications")
    assert [] == store.schedules()


READ_ONLY_SCRIPT = """
import sys
from datetime import datetime
from opinion_rules import open_store
from opinion_rules.calendars import load_year_schedule
from opinion_rules.exceptions import StoreUnavailableError
at = datetime.fromisoformat("2027-01-05T09:00:00+08:00")
with open_store(sys.argv[1], create=False) as store:
    print([s.year for s in store.schedules()], len(store.schedule_history()))
    print([(i.action_id, i.status, i.to_dict()["due"]) for i in store.agenda(at)])
    try:
        store.add_schedule(load_year_schedule(sys.argv[2]), recorded_at=at, recorded_by="m")
    except StoreUnavailableError as exc:
        print(exc)
"""


@pytest.mark.parametrize("layout", [1, 2])
def test_a_read_only_sqlite_store_reads_its_years(tmp_path, layout):
    """A read-only file is read with its years (or none, layout 1); add_schedule is refused."""
    path = tmp_path / "cases.db"
    with open_store(path) as store:
        opened(store)
        if layout == 1:
            as_version_1(store)
        else:
            store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
    content = path.read_bytes()
    prefix = read_only_prefix(path)
    if prefix is None:
        pytest.skip("cannot make a file read-only for a child process here")

    run = subprocess.run(
        [*prefix, sys.executable, "-c", READ_ONLY_SCRIPT, str(path), str(INVENTED)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert ("", 0) == (run.stderr, run.returncode)
    reply = (
        "('reply', 'undecided', None)"
        if layout == 1
        else "('reply', 'pending', '2027-01-06T00:00:00+08:00')"
    )
    assert [
        "[] 0" if layout == 1 else "[2027] 1",
        f"[('acknowledge', 'overdue', '2026-12-28T13:00:00+08:00'), {reply}]",
        (
            f"case store {path}: cannot write: the file is read-only for this process; expected "
            "a store this process may write"
        ),
    ] == run.stdout.splitlines()
    assert content == path.read_bytes()


@pytest.mark.parametrize("layout", [1, 2])
def test_a_read_only_postgresql_connection_reads_its_years(pg_server, layout):
    """On a read-only connection the years are read (none on layout 1); adding one is refused."""
    dsn = pg_server.new_schema()
    with open_store(dsn) as store:
        opened(store)
        if layout == 1:
            as_version_1(store)
        else:
            store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
    read_only = dsn + "%20-cdefault_transaction_read_only%3Don"

    with open_store(read_only, create=False) as store:
        years = store.schedules()
        items = owed(store)
        with pytest.raises(
            StoreUnavailableError, match="cannot write: the connection is read-only"
        ):
            store.add_schedule(CORRECTED, recorded_at=ADDED, recorded_by="m")

    assert ([] if layout == 1 else [YEAR]) == years
    assert (
        ("reply", "undecided", None)
        if layout == 1
        else ("reply", "pending", "2027-01-06T00:00:00+08:00")
    ) == items[1]


# -- concurrency ------------------------------------------------------------------------


def test_a_year_added_during_a_write_waits_for_it(store_target):
    """add_schedule waits for a write in progress, then re-evaluates what it materialised."""
    target = store_target()
    with open_store(target) as writer:
        writer.add_plan(PLAN)
    results: list[object] = []

    def add() -> None:
        try:
            with open_store(target, create=False) as other:
                results.append(other.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na"))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            results.append(exc)

    with open_store(target) as writer:
        thread = threading.Thread(target=add)
        with writer.bulk():
            opened(writer)  # undecided rows, not committed yet
            thread.start()
            thread.join(timeout=1.0)
            waiting = thread.is_alive()
        thread.join(timeout=60)
        items = owed(writer)

    assert waiting
    assert 1 == len(results)
    assert ("WZ-1",) == getattr(results[0], "reevaluated", results[0])
    assert [ACKNOWLEDGE, ("reply", "pending", "2027-01-06T00:00:00+08:00")] == items


def test_a_year_added_in_the_same_bulk_block_as_a_write(store: CaseStore):
    """Inside bulk() a write and add_schedule share the transaction (no wait on itself)."""
    with store.bulk():
        opened(store)
        receipt = store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")

    assert ("WZ-1",) == receipt.reevaluated
    assert [ACKNOWLEDGE, ("reply", "pending", "2027-01-06T00:00:00+08:00")] == owed(store)


def test_a_bulk_block_that_fails_keeps_no_year(store: CaseStore):
    """A year added in a block that raises is rolled back, and no evaluation uses it."""
    opened(store)

    def failing_import() -> None:
        with store.bulk():
            store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")
            raise RuntimeError("the import failed")

    with pytest.raises(RuntimeError, match="the import failed"):
        failing_import()

    assert [] == store.schedules()
    assert [ACKNOWLEDGE, ("reply", "undecided", None)] == owed(store)


def test_an_agenda_refresh_never_replaces_rows_a_new_year_decided(store: CaseStore):
    """Rows evaluated before a year was added are not stored over the rows add_schedule wrote."""
    opened(store)
    years = store._sync_years()
    incident = store.incident("WZ-1")
    stale = store._engine(KEY).evaluate(incident, at=AGENDA_AT)  # without 2027: undecided
    store.add_schedule(YEAR, recorded_at=ADDED, recorded_by="li.na")

    store._refresh([("WZ-1", KEY, stale, 1)], AGENDA_AT, years)

    assert ("reply", "pending", "2027-01-06T00:00:00+08:00") == owed(store)[1]


# -- the agenda equals evaluating with the years in force -------------------------------

START = datetime.fromisoformat("2026-12-20T00:00:00+08:00")


def minutes(n: int) -> datetime:
    return START + timedelta(minutes=n)


def expected_agenda(
    logs: dict[str, list[dict[str, Any]]],
    years: list[YearSchedule],
    at: datetime,
    horizon: timedelta,
) -> list[dict[str, Any]]:
    """Each incident known at *at*, evaluated with the years in force now."""
    engine = Engine(with_years(PLAN, years))
    items = []
    for incident_id, log in logs.items():
        known = [e for e in log if e["recorded"] <= at]
        if known:
            incident = o.Incident.from_dict(
                {
                    "id": incident_id,
                    "discovered_at": known[0]["discovered"],
                    "events": [e["event"] for e in known[1:]],
                }
            )
            items += agenda_of(incident_id, KEY, engine.evaluate(incident, at=at), at + horizon)
    items.sort(key=lambda i: (i.due is None, i.due or at, i.incident_id, i.action_id))
    return [i.to_dict() for i in items]


@PROPERTY
@given(data=st.data())
def test_agenda_equals_evaluating_with_the_years_in_force(new_store, data):
    """Any interleaving of openings, completions, years added or corrected, and agenda queries."""
    count = data.draw(st.integers(1, 3), label="incidents")
    found = [data.draw(st.integers(0, 20 * 1440), label=f"discovered {i}") for i in range(count)]
    steps = [f"open {i}" for i in range(count)]
    steps += [f"done {i}" for i in range(count) if data.draw(st.booleans(), label=f"done {i}")]
    logs: dict[str, list[dict[str, Any]]] = {}
    years: dict[int, YearSchedule] = {}
    # A duty desk asks as time goes on (and sometimes about the past).
    clock = data.draw(st.integers(0, 20 * 1440), label="first query")
    with new_store() as store:
        store.add_plan(PLAN)
        more = data.draw(st.integers(1, 4), label="operations after the last write")
        while True:
            ready = [s for s in steps if s.replace("done", "open") not in steps or s[0] == "o"]
            if steps or more:
                more -= not steps
                choice = data.draw(st.sampled_from([*ready, "year", "correction", "query"]))
            else:
                choice = "query"
            if choice == "query":
                clock += data.draw(st.integers(0, 2 * 1440), label="later")
                at = minutes(data.draw(st.sampled_from([clock, clock, clock - 1440]), label="at"))
                horizon = timedelta(hours=data.draw(st.sampled_from([0, 24, 72, 24 * 7])))
                assert expected_agenda(logs, list(years.values()), at, horizon) == [
                    i.to_dict() for i in store.agenda(at, horizon)
                ]
                if not (steps or more):
                    break
                continue
            if choice in ("year", "correction"):
                schedule = YEAR if choice == "year" else CORRECTED
                store.add_schedule(schedule, recorded_at=minutes(0), recorded_by="desk")
                years[2027] = schedule
                continue
            steps.remove(choice)
            i = int(choice.split()[1])
            incident_id = f"WZ-{i}"
            if choice.startswith("open"):
                discovered = minutes(found[i])
                recorded = discovered + timedelta(minutes=5)
                store.open_incident(
                    incident_id,
                    KEY,
                    discovered_at=discovered,
                    entry_id="open",
                    recorded_at=recorded,
                    recorded_by="desk",
                )
                logs[incident_id] = [{"recorded": recorded, "discovered": discovered.isoformat()}]
                continue
            done = logs[incident_id][0]["recorded"] + timedelta(
                minutes=data.draw(st.integers(0, 10 * 1440), label=f"reply {i} done after")
            )
            event = {"at": done.isoformat(), "type": "action_done", "action": "reply"}
            store.record(
                incident_id,
                [{"id": "reply-done", "event": event}],
                recorded_at=done,
                recorded_by="desk",
            )
            logs[incident_id].append({"recorded": done, "event": event})


def test_the_agenda_query_for_undecided_rows_uses_the_index(tmp_path):
    """The fourth agenda scan (status = 'undecided') is an index range scan too."""
    from opinion_rules.store import _agenda

    with SQLiteStore(tmp_path / "cases.db") as store:
        opened(store)
        plan = " ".join(
            row[3]
            for row in store.connection.execute(
                "EXPLAIN QUERY PLAN " + _agenda._AGENDA_SQL + "status = 'undecided'"
            )
        )

    assert "agenda_rows_by_due" in plan, plan
