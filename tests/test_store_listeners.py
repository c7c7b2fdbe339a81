"""
Listener plug-ins of the case store: told after each committed write what
it changed, through a transactional outbox; at least once, in order, with
ids a listener is idempotent by; a failing or slow listener never fails or
undoes the write, and what it missed is delivered again (also after a crash
between commit and delivery), on both backends.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from opinion_rules import hookimpl
from opinion_rules.cli._main import main
from opinion_rules.exceptions import StoreError
from opinion_rules.results import ActionStatus, Assessment
from opinion_rules.store import CaseStore, Delivery, open_store
from opinion_rules.store._codec import assessment_from_data, assessment_to_data
from opinion_rules.store._outbox import changes

from .conftest import ROOT
from .service_fixtures import Server
from .store_fixtures import fixture_pg_server, fixture_store_target  # noqa: F401 - fixtures
from .store_plan import PLAN_YAML, clicks, done, entry, minutes, small_plan, subsided


TESTS = Path(__file__).resolve().parent
ENTRY_POINT = "test-jsonl"


class Recorder:
    """A listener object that keeps what it is told; it may be made to fail or wait."""

    opinion_rules_name = "recorder"

    def __init__(self) -> None:
        self.told: list[tuple[str, str, str | None, str | None]] = []
        self.fail = False
        self.gate: threading.Event | None = None

    def _tell(self, line: tuple[str, str, str | None, str | None]) -> None:
        if self.gate is not None:
            self.gate.wait(30)
        if self.fail:
            raise ConnectionError("webhook down")
        self.told.append(line)

    @hookimpl
    def opinion_rules_assessed(self, notification_id: str, assessment: Assessment) -> None:
        self._tell((notification_id, "grade", None, assessment.grade and assessment.grade.id))

    @hookimpl
    def opinion_rules_action_changed(
        self, notification_id: str, action: ActionStatus, previous: ActionStatus | None
    ) -> None:
        self._tell((notification_id, action.id, previous and previous.status, action.status))


def opened(store: CaseStore, incident: str = "I1") -> str:
    key = store.add_plan(small_plan())
    store.open_incident(
        incident, key, discovered_at=minutes(0), entry_id="open", recorded_at=minutes(1),
        recorded_by="desk",
    )  # fmt: skip
    return key


# -- what is notified -------------------------------------------------------------------


def test_each_write_notifies_what_it_changed_once(tmp_path):
    """Opening tells every applicable action; later writes only changes, in commit order."""
    listener = Recorder()
    with open_store(tmp_path / "s.db", plugins=[listener]) as store:
        opened(store)
        first = list(listener.told)
        store.record("I1", [entry("c1", clicks(minutes(5), 50))], recorded_at=minutes(6),
                     recorded_by="desk")  # fmt: skip
        store.record("I1", [entry("n", done("note", minutes(7)))], recorded_at=minutes(8),
                     recorded_by="desk")  # fmt: skip
        delivery = store.last_delivery

    assert [
        ("1", "grade", None, None),
        ("2", "triage", None, "pending"),
        ("3", "watch", None, "pending"),
        ("4", "note", None, "pending"),
    ] == first
    assert [
        ("5", "grade", None, "warm"),
        ("6", "update", None, "pending"),
        ("7", "note", "pending", "done"),
    ] == listener.told[4:]
    assert Delivery(1, 0) == delivery


def test_without_listeners_nothing_is_stored_and_evaluation_never_notifies(tmp_path):
    """A store without listener plug-ins keeps no notifications; assess() tells nobody."""
    listener = Recorder()
    with open_store(tmp_path / "s.db") as store:
        opened(store)
        rows = store._fetch("SELECT count(*) FROM notifications")
    with open_store(tmp_path / "s.db", plugins=[listener]) as store:
        store.assess("I1", at=minutes(300))

    assert [(0,)] == [tuple(r) for r in rows]
    assert [] == listener.told


def test_a_write_after_writes_without_listeners_tells_the_changes_since_the_last_write(tmp_path):
    """An incident no listener heard of yet is compared with its previous write, replayed."""
    listener = Recorder()
    with open_store(tmp_path / "s.db") as store:
        opened(store)
    with open_store(tmp_path / "s.db", plugins=[listener]) as store:
        store.record("I1", [entry("n", done("note", minutes(7)))], recorded_at=minutes(8),
                     recorded_by="desk")  # fmt: skip

    assert [("1", "note", "pending", "done")] == listener.told


# -- failures are contained ---------------------------------------------------------------


def test_a_failing_listener_keeps_the_write_and_is_retried_in_order(tmp_path, caplog):
    """The write is acknowledged; the notifications stay pending, logged, and come later in order."""
    listener = Recorder()
    listener.fail = True
    with open_store(tmp_path / "s.db", plugins=[listener]) as store:
        with caplog.at_level(logging.WARNING, logger="opinion_rules.store"):
            opened(store)
        failed = store.last_delivery
        logged = [r.getMessage() for r in caplog.records]
        entries = [e.entry_id for e in store.timeline("I1")]
        listener.fail = False
        store.record("I1", [entry("n", done("note", minutes(7)))], recorded_at=minutes(8),
                     recorded_by="desk")  # fmt: skip
        later = store.deliver_pending()

    assert ["open"] == entries
    assert failed is not None
    assert (0, 4, "1") == (failed.delivered, failed.pending, failed.stopped_at)
    assert "raised ConnectionError: webhook down" in (failed.reason or "")
    assert 1 == len(logged)
    assert "notification 1 not delivered" in logged[0]
    assert ["1", "2", "3", "4", "5"] == [t[0] for t in listener.told]
    assert Delivery(0, 0) == later


def test_a_slow_listener_cannot_block_a_write(tmp_path):
    """Past listener_timeout the write returns; the notification is delivered again later."""
    listener = Recorder()
    listener.gate = threading.Event()
    with open_store(tmp_path / "s.db", plugins=[listener], listener_timeout=0.2) as store:
        opened(store)
        slow = store.last_delivery
        busy = store.deliver_pending()  # the first call is still running: nothing is called
        listener.gate.set()
        assert store._running is not None
        store._running.join(30)
        listener.gate = None
        after = store.deliver_pending()

    assert slow is not None
    assert (0, 4, "1") == (slow.delivered, slow.pending, slow.stopped_at)
    assert "did not return within the listener_timeout of 0.2 s" in (slow.reason or "")
    assert (0, 4, None) == (busy.delivered, busy.pending, busy.stopped_at)
    assert Delivery(4, 0) == after
    # The first call finished late and is delivered again: at least once.
    assert ["1", "1", "2", "3", "4"] == [t[0] for t in listener.told]


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "10", True, 1e9])
def test_a_bad_listener_timeout_is_refused(tmp_path, timeout):
    """listener_timeout is a number of seconds above 0 and at most a day."""
    with pytest.raises(StoreError, match="listener_timeout is"):
        open_store(tmp_path / "s.db", listener_timeout=timeout)


# -- the outbox in older stores -------------------------------------------------------------


@pytest.mark.parametrize(("layout", "after"), [("2", "3"), ("1", "1")])
def test_an_older_store_gets_the_outbox_with_its_first_listened_write(store_target, layout, after):
    """A layout-1 or -2 store opens, reads, and gains the table when a listener needs it."""
    target = store_target()
    listener = Recorder()
    with open_store(target) as store:
        opened(store)
        store._fetch("DROP TABLE notifications")
        if layout == "1":
            store._fetch("DROP TABLE calendar_years")
        store._fetch("UPDATE meta SET value = ? WHERE key = 'schema_version'", (layout,))
    with open_store(target, plugins=[listener], create=False) as store:
        nothing = store.deliver_pending()
        store.record("I1", [entry("n", done("note", minutes(7)))], recorded_at=minutes(8),
                     recorded_by="desk")  # fmt: skip
        version = store._fetch("SELECT value FROM meta WHERE key = 'schema_version'")

    assert Delivery(0, 0) == nothing
    assert [("1", "note", "pending", "done")] == listener.told
    assert [(after,)] == [tuple(r) for r in version]


# -- the assessment kept in the outbox ------------------------------------------------------


def test_an_assessment_survives_the_outbox_exactly(tmp_path):
    """The stored form of an assessment reads back equal, field by field."""
    with open_store(tmp_path / "s.db") as store:
        opened(store)
        store.record(
            "I1",
            [entry("c1", clicks(minutes(5), 500)), entry("s", subsided(minutes(9)))],
            recorded_at=minutes(10),
            recorded_by="desk",
        )
        assessments = [store.assess("I1", at=minutes(m)) for m in (1, 10, 600)]

    for assessment in assessments:
        data = json.loads(json.dumps(assessment_to_data(assessment)))
        assert assessment == assessment_from_data(data)


def test_changes_name_the_grade_and_each_changed_action():
    """A new incident: the grade and every action; no change: nothing."""
    with open_store(":memory:") as store:
        opened(store)
        first = store.assess("I1", at=minutes(1))
        later = store.assess("I1", at=minutes(200))

    assert ["assessed", "action_changed", "action_changed", "action_changed"] == [
        kind for kind, _ in changes(None, first)
    ]
    assert [] == changes(first, first)
    assert [("triage", "overdue")] == [
        (p["action"], p["status"]) for _, p in changes(first, later) if "action" in p
    ][:1]


# -- the listener test: track, JSON lines, a crash -------------------------------------------


@pytest.fixture
def jsonl_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Install the test listener as entry point test-jsonl; return the environment it reads."""
    site = tmp_path / "site"
    dist = site / "opinion_rules_test_listener-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: opinion-rules-test-listener\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        f"[opinion_rules.plugins]\n{ENTRY_POINT} = listener_plugin\n"
    )
    monkeypatch.syspath_prepend(str(TESTS))
    monkeypatch.syspath_prepend(str(site))
    env = {
        "OPINION_RULES_TEST_JSONL": str(tmp_path / "changes.jsonl"),
        "PYTHONPATH": os.pathsep.join([str(site), str(TESTS), str(ROOT / "src")]),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def track(store: str, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """``opinion-rules track --store STORE --plugin test-jsonl ARGS``, in process."""
    argv = ["track", "--store", store, "--plugin", ENTRY_POINT, *args]
    out, err = io.StringIO(), io.StringIO()
    sys.stdin, saved = io.StringIO(stdin), sys.stdin
    try:
        code = main(argv, stdout=out, stderr=err)
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def lines(batch: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(e) for e in batch)


WRITES: list[tuple[int, list[dict[str, Any]]]] = [
    (6, [entry("c1", clicks(minutes(5), 50))]),
    (20, [entry("c2", clicks(minutes(19), 500)), entry("n", done("note", minutes(19)))]),
    (40, [entry("r", done("report", minutes(39)))]),
    (200, [entry("t", done("triage", minutes(150)))]),
    (210, [entry("s", subsided(minutes(205)))]),
]


def expected_changes(store: CaseStore, times: list[datetime]) -> list[tuple[str, str | None]]:
    """Every status change between consecutive writes, computed by replaying the incident."""
    out: list[tuple[str, str | None]] = []
    before: Assessment | None = None
    for at in times:
        now = store.assess("I1", at=at)
        out += [
            (p["action"], p["status"]) if kind == "action_changed" else ("grade", now.grade and now.grade.id)
            for kind, p in changes(before, now)
        ]  # fmt: skip
        before = now
    return out


def test_track_writes_one_json_line_per_change_also_after_a_crash(
    store_target: Callable[[], str],
    jsonl_plugin: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """Every change is one line: a listener failing once and a crash after commit lose or repeat none."""
    target = store_target()
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN_YAML, encoding="utf-8")
    at = [minutes(1)] + [minutes(m) for m, _ in WRITES]

    results = [
        track(target, "open", str(plan), "--id", "I1", "--discovered-at",
              minutes(0).isoformat(), "--by", "desk", "--recorded-at", at[0].isoformat())
    ]  # fmt: skip

    def record(i: int) -> tuple[int, str, str]:
        m, batch = WRITES[i]
        return track(target, "record", "I1", "--by", "desk", "--recorded-at",
                     minutes(m).isoformat(), stdin=lines(batch))  # fmt: skip

    results.append(record(0))
    # The listener raises once: the write stands, a warning, the lines come later.
    monkeypatch.setenv("OPINION_RULES_TEST_RAISE", str(tmp_path / "raised"))
    failed = record(1)
    # A crash: the listener writes a line and the process ends before marking it delivered.
    monkeypatch.setenv("OPINION_RULES_TEST_CRASH", str(tmp_path / "crashed"))
    m, batch = WRITES[2]
    crashed = subprocess.run(
        [sys.executable, "-m", "opinion_rules", "track", "--store", target, "--plugin",
         ENTRY_POINT, "record", "I1", "--by", "desk", "--recorded-at", minutes(m).isoformat()],
        input=lines(batch), capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ},
    )  # fmt: skip
    # Restarted: the next writes deliver what is pending, then their own changes.
    results += [record(3), record(4)]
    delivered = track(target, "deliver", "--json")

    written = [
        json.loads(t)
        for t in Path(jsonl_plugin["OPINION_RULES_TEST_JSONL"]).read_text().splitlines()
    ]
    with open_store(target) as store:
        want = expected_changes(store, at)
        entries = [e.entry_id for e in store.timeline("I1")]

    assert [0, 0, 0, 0] == [code for code, _, _ in results]
    assert (0, True) == (failed[0], "I1: 2 recorded" in failed[1])
    assert "opinion-rules: warning: " in failed[2]
    assert "raised ConnectionError: the duty desk's webhook is down" in failed[2]
    assert 9 == crashed.returncode
    assert ["open", "c1", "c2", "n", "r", "t", "s"] == entries
    assert len({w["id"] for w in written}) == len(written)
    assert sorted(written, key=lambda w: int(w["id"])) == written
    assert want == [(w.get("action", "grade"), w.get("status", w.get("grade"))) for w in written]
    assert (0, {"delivered": 0, "pending": 0, "stopped_at": None, "reason": None}) == (
        delivered[0],
        json.loads(delivered[1]),
    )


@pytest.mark.parametrize("command", ["evaluate", "check", "render", "track"])
def test_an_unknown_plugin_is_bad_input_on_every_command(command, tmp_path, jsonl_plugin):
    """--plugin names an installed entry point; another name is one line and exit 2."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN_YAML, encoding="utf-8")
    argv = {
        "evaluate": [
            "evaluate",
            "--plugin",
            "nope",
            "--at",
            minutes(1).isoformat(),
            str(plan),
            str(plan),
        ],
        "check": ["check", "--plugin", "nope", str(plan)],
        "render": ["render", "--plugin", "nope", str(plan)],
        "track": [
            "track",
            "--store",
            str(tmp_path / "s.db"),
            "--create",
            "--plugin",
            "nope",
            "years",
        ],
    }[command]
    out, err = io.StringIO(), io.StringIO()

    code = main(argv, stdout=out, stderr=err)

    assert 2 == code
    assert err.getvalue().startswith("opinion-rules: error: plug-in 'nope'")
    assert repr(ENTRY_POINT) in err.getvalue()  # what is installed


def test_track_deliver_without_a_listener_reports_what_is_pending(tmp_path, jsonl_plugin):
    """deliver with nobody to deliver to exits 1 and says why."""
    store = str(tmp_path / "s.db")
    with open_store(store, plugins=[_Failing()]) as failing:
        opened(failing)
    out, err = io.StringIO(), io.StringIO()

    code = main(["track", "--store", store, "deliver"], stdout=out, stderr=err)

    assert (1, "") == (code, err.getvalue())
    assert (
        "delivered 0 notification(s); 4 pending\n"
        "stopped: no enabled plug-in implements a listener hook\n"
    ) == out.getvalue()


class _Failing:
    """A listener that always fails."""

    opinion_rules_name = "failing"

    @hookimpl
    def opinion_rules_assessed(self) -> None:
        raise ConnectionError("down")

    @hookimpl
    def opinion_rules_action_changed(self) -> None:
        raise ConnectionError("down")


def test_listeners_hear_of_writes_made_through_the_service(
    jsonl_plugin: dict[str, str], tmp_path: Path
):
    """serve --plugin test-jsonl: opening an incident over HTTP notifies the listener, as track does."""
    server = Server(tmp_path, str(tmp_path / "cases.db"), "--plugin", ENTRY_POINT)
    try:
        with server.client() as http:
            opened = http.post(
                "/v1/incidents",
                json={
                    "id": "WS-HTTP-1",
                    "plan": "work-safety@2023-1",
                    "discovered_at": "2026-11-23T09:00:00+08:00",
                },
            )
    finally:
        server.stop()

    heard = [
        json.loads(x)
        for x in Path(jsonl_plugin["OPINION_RULES_TEST_JSONL"]).read_text().splitlines()
    ]
    assert 201 == opened.status_code
    assert heard
    assert {"WS-HTTP-1"} == {line["incident"] for line in heard}
    assert any("action" in line for line in heard)
