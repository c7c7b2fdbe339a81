"""
The HTTP service tested as its users use it: ``opinion-rules serve`` runs in
its own process on 127.0.0.1 and is talked to over HTTP with httpx; the
tracking story end to end (SQLite and PostgreSQL), tokens, bad requests,
concurrent writers, a SIGKILL during writes, and the OpenAPI document.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest
from openapi_spec_validator import validate

from opinion_rules import Engine, Incident, load_plan

from .conftest import ROOT
from .service_fixtures import RO, RW, STOPPED, Server
from .store_fixtures import PostgresServer, fixture_pg_server  # noqa: F401


INCIDENT = json.loads(
    (ROOT / "examples" / "incidents" / "work_safety_upgrade.json").read_text(encoding="utf-8")
)
#: The servers' pinned "now" (tests/pinned_run.py): every write is recorded then.
NOW = "2026-11-23T14:00:00+08:00"
HEADER = {k: INCIDENT[k] for k in ("id", "discovered_at", "posted_at", "facts")}
# Everything known by NOW (the incident subsides the next day).
OBSERVATIONS = INCIDENT["observations"]
EVENTS = [e for e in INCIDENT["events"] if e["at"] <= NOW]


def entries() -> list[dict[str, Any]]:
    """The incident's items as entries, ids o0.. and e0.."""
    return [{"id": f"o{i}", "observation": o} for i, o in enumerate(OBSERVATIONS)] + [
        {"id": f"e{i}", "event": e} for i, e in enumerate(EVENTS)
    ]


def expected_assessment(at: str) -> dict[str, Any]:
    """The library's own assessment of what was recorded, evaluated in-process."""
    incident = Incident.from_dict({**HEADER, "observations": OBSERVATIONS, "events": EVENTS})
    plan = load_plan(ROOT / "examples" / "plans" / "work_safety.yaml")
    return Engine(plan).evaluate(incident, at=datetime.fromisoformat(at)).to_dict()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server on a SQLite store for the module."""
    folder = tmp_path_factory.mktemp("serve")
    running = Server(folder, str(folder / "cases.db"))
    yield running
    assert STOPPED == running.stop(), running.err.read_text(encoding="utf-8")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def any_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The SQLite server, then one on a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield request.getfixturevalue("server")
        return
    pg: PostgresServer = request.getfixturevalue("pg_server")
    running = Server(tmp_path_factory.mktemp("serve-pg"), pg.new_schema())
    yield running
    assert STOPPED == running.stop(), running.err.read_text(encoding="utf-8")


def test_the_tracking_story_end_to_end(any_server: Server):
    """Open, record (with a retry), show, evaluate, timeline, audit and agenda, over HTTP."""
    with any_server.client() as http:
        opened = http.post("/v1/incidents", json={**HEADER, "plan": "work-safety"})
        again = http.post("/v1/incidents", json={**HEADER, "plan": "work-safety"})
        recorded = http.post(f"/v1/incidents/{HEADER['id']}/entries", json=entries())
        retried = http.post(f"/v1/incidents/{HEADER['id']}/entries", json=entries()[-1])
        shown = http.get(f"/v1/incidents/{HEADER['id']}", params={"at": NOW})
        evaluated = http.post(
            "/v1/evaluate",
            json={
                "plan": "work-safety@2023-1",
                "incident": {**HEADER, "observations": OBSERVATIONS, "events": EVENTS},
                "at": NOW,
            },
        )
        timeline = http.get(f"/v1/incidents/{HEADER['id']}/timeline")
        audit = http.get("/v1/audit", params={"incident": HEADER["id"]})
        agenda = http.get("/v1/agenda", params={"at": NOW, "horizon": "3d"})
        timed = http.get(
            "/v1/agenda",
            params={"at": NOW, "horizon": "3d", "status": "overdue,pending", "no_time": "false"},
        )
        feed = http.get(
            "/v1/agenda.ics", params={"at": NOW, "horizon": "3d", "status": "overdue,pending"}
        )

    count = len(entries())
    assert (201, "work-safety@2023-1", "desk", False) == (
        opened.status_code,
        opened.json()["plan"],
        opened.json()["recorded_by"],
        opened.json()["duplicate"],
    )
    assert (200, True) == (again.status_code, again.json()["duplicate"])
    assert 201 == recorded.status_code
    assert list(range(2, count + 2)) == [r["seq"] for r in recorded.json()]
    assert (200, [True]) == (retried.status_code, [r["duplicate"] for r in retried.json()])
    expected = expected_assessment(NOW)
    assert (200, expected) == (shown.status_code, shown.json())
    assert (200, expected) == (evaluated.status_code, evaluated.json())
    assert ["open", *(e["id"] for e in entries())] == [e["entry"] for e in timeline.json()]
    assert {"desk"} == {e["recorded_by"] for e in audit.json()}
    assert count + 1 == len(audit.json())
    owed = [i for i in agenda.json()["items"] if i["incident"] == HEADER["id"]]
    assert 200 == agenda.status_code
    assert {"pending", "overdue"} >= {i["status"] for i in owed}
    assert owed
    # The calendar feed: one event per timed item, its UID naming incident and action.
    calendar = icalendar.Calendar.from_ical(feed.content)
    assert (200, "text/calendar") == (feed.status_code, feed.headers["content-type"].split(";")[0])
    assert sorted(
        f"{i['incident']}/{i['action']}@opinion-rules" for i in timed.json()["items"]
    ) == sorted(str(e["uid"]) for e in calendar.walk("VEVENT"))
    # The filters and the order of `track agenda`: what is timed, most urgent first.
    everything = agenda.json()["items"]
    kept = [i for i in everything if i["status"] in ("overdue", "pending") and i["due"]]
    order = sorted(kept, key=lambda i: (i["status"] != "overdue", i["due"]))
    assert 200 == timed.status_code
    assert kept, "the story leaves nothing timed on the agenda"
    assert [(i["incident"], i["action"]) for i in order] == [
        (i["incident"], i["action"]) for i in timed.json()["items"]
    ]


def test_plans_health_and_the_openapi_document(server: Server):
    """The plans held, the health check, and an OpenAPI 3.1 document that validates."""
    with server.client(RO) as http:
        plans = http.get("/v1/plans").json()
        health = http.get("/v1/health").json()
        document = http.get("/v1/openapi.json").json()

    assert ["work-safety@2023-1"] == [p["key"] for p in plans["plans"]]
    assert "ok" == health["status"]
    validate(document)
    assert {
        "/v1/health",
        "/v1/openapi.json",
        "/v1/plans",
        "/v1/evaluate",
        "/v1/incidents",
        "/v1/incidents/{incident_id}",
        "/v1/incidents/{incident_id}/entries",
        "/v1/incidents/{incident_id}/timeline",
        "/v1/audit",
        "/v1/agenda",
        "/v1/agenda.ics",
    } == set(document["paths"])


BIG = b'{"id": "big", "event": {"type": "x", "note": "' + b"x" * 1_100_000 + b'"}}'


def _chunks() -> Iterator[bytes]:
    yield BIG[: len(BIG) // 2]
    yield BIG[len(BIG) // 2 :]


ENTRY = {
    "id": "c1",
    "observation": {"at": "2026-11-23T09:30:00+08:00", "metric": "clicks", "value": 5},
}
JSON = {"Content-Type": "application/json"}

REFUSED = [
    # (token, method, path, headers, body, status, words in the message)
    (None, "GET", "/v1/agenda", {}, None, 401, "no bearer token"),
    (None, "GET", "/v1/health", {}, None, 401, "no bearer token"),
    (None, "GET", "/v1/no-such-path", {}, None, 401, "no bearer token"),
    ("not-a-token-of-this-service-0000000", "GET", "/v1/agenda", {}, None, 401, "not one of"),
    (RO, "POST", "/v1/incidents/R-1/entries", JSON, json.dumps(ENTRY), 403, "read-only"),
    (
        RW,
        "POST",
        "/v1/incidents/R-1/entries",
        JSON,
        '{"id": "c1",',
        400,
        "body:1:13: not valid JSON",
    ),
    (RW, "POST", "/v1/incidents/R-1/entries", JSON, b"\xff\xfe", 400, "not UTF-8"),
    (
        RW,
        "POST",
        "/v1/incidents/R-1/entries",
        {"Content-Type": "text/plain"},
        "{}",
        415,
        "not JSON",
    ),
    (RW, "POST", "/v1/incidents/R-1/entries", {}, json.dumps(ENTRY), 415, "(none)"),
    (RW, "POST", "/v1/incidents/R-1/entries", JSON, BIG, 413, "larger than 1048576 bytes"),
    (RW, "POST", "/v1/incidents/R-1/entries", JSON, _chunks, 413, "larger than 1048576 bytes"),
    (RW, "POST", "/v1/incidents/R-1/entries", JSON, "[]", 422, "holds no entry"),
    (RW, "POST", "/v1/incidents/R-1/entries", JSON, "7", 422, "not an entry"),
    (
        RW,
        "POST",
        "/v1/incidents/NOPE/entries",
        JSON,
        json.dumps(ENTRY),
        404,
        "'NOPE' is not in the store",
    ),
    (
        RW,
        "POST",
        "/v1/incidents/R-1/entries",
        JSON,
        json.dumps({"id": "c2", "observation": {**ENTRY["observation"], "metric": "likes"}}),
        422,
        "likes",
    ),
    (
        RW,
        "POST",
        "/v1/incidents/R-1/entries",
        JSON,
        json.dumps({**ENTRY, "observation": {**ENTRY["observation"], "value": 6}}),
        409,
        "entry 'c1' is already recorded",
    ),
    (
        RW,
        "POST",
        "/v1/incidents/R-1/entries",
        JSON,
        json.dumps(
            {"id": "late", "event": {"at": "2026-11-24T09:00:00+08:00", "type": "subsided"}}
        ),
        422,
        "no facts from the future",
    ),
    (
        RW,
        "POST",
        "/v1/incidents",
        JSON,
        json.dumps({"id": "R-2", "plan": "work-safty", "discovered_at": NOW}),
        404,
        "did you mean 'work-safety'",
    ),
    (
        RW,
        "POST",
        "/v1/incidents",
        JSON,
        json.dumps({"id": "R-2", "plan": "work-safety", "discoverd_at": NOW}),
        422,
        "$.discoverd_at: is not a field",
    ),
    (
        RW,
        "POST",
        "/v1/incidents",
        JSON,
        json.dumps(
            {"id": "R-1", "plan": "work-safety", "discovered_at": "2026-11-23T09:05:00+08:00"}
        ),
        409,
        "already open",
    ),
    (
        RW,
        "POST",
        "/v1/evaluate",
        JSON,
        json.dumps({"plan": "work-safety", "incident": {"id": "x"}}),
        422,
        "discovered_at",
    ),
    (RW, "GET", "/v1/incidents/R-1?at=yesterday", {}, None, 422, "at: is not an ISO 8601 datetime"),
    (RW, "GET", "/v1/agenda?horizon=soon", {}, None, 422, "horizon: is not a duration"),
    (RW, "GET", "/v1/agenda?colour=red", {}, None, 422, "colour: is not a parameter"),
    (RW, "GET", "/v1/agenda?status=late", {}, None, 422, "status: "),
    (RW, "GET", "/v1/agenda?no_time=maybe", {}, None, 422, "no_time: is not a boolean"),
    (RW, "GET", "/v1/incidents/NOPE/timeline", {}, None, 404, "'NOPE' is not in the store"),
    (RW, "GET", "/v1/no-such-path", {}, None, 404, "no such endpoint"),
    (RW, "DELETE", "/v1/agenda", {}, None, 405, "method not allowed"),
]


@pytest.fixture(scope="module")
def refused_setup(server: Server) -> Server:
    """The server with incident R-1 open and entry c1 recorded."""
    with server.client() as http:
        http.post(
            "/v1/incidents",
            json={"id": "R-1", "plan": "work-safety", "discovered_at": "2026-11-23T09:00:00+08:00"},
        ).raise_for_status()
        http.post("/v1/incidents/R-1/entries", json=ENTRY).raise_for_status()
    return server


@pytest.mark.parametrize(
    ("token", "method", "path", "headers", "body", "status", "words"),
    REFUSED,
    ids=[f"{r[5]}-{r[6][:24]}" for r in REFUSED],
)
def test_bad_requests_are_4xx_with_a_message_never_500(
    refused_setup: Server, token, method, path, headers, body, status, words
):
    """Each bad request gets its status and a JSON error naming what is wrong; nothing is written."""
    content = body() if callable(body) else body
    with refused_setup.client(token) as http:
        before = http.get("/v1/incidents/R-1/timeline", headers={"Authorization": f"Bearer {RW}"})
        answer = http.request(method, path, headers=headers, content=content)
        after = http.get("/v1/incidents/R-1/timeline", headers={"Authorization": f"Bearer {RW}"})

    error = answer.json()["error"]
    assert (status, True) == (answer.status_code, words in error["message"]), error
    assert before.json() == after.json()
    if status == 401:
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_read_only_token_reads_and_evaluates(server: Server):
    """A read-only token may read and evaluate (which stores nothing)."""
    body = {"plan": "work-safety", "incident": {**HEADER, "id": "RO-1"}, "at": NOW}
    with server.client(RO) as http:
        statuses = [
            http.get("/v1/agenda").status_code,
            http.get("/v1/audit").status_code,
            http.post("/v1/evaluate", json=body).status_code,
        ]

    assert [200, 200, 200] == statuses


def test_two_clients_writing_at_once_lose_nothing(server: Server):
    """Two clients writing entries to one incident at the same time: every entry is stored once."""
    with server.client() as http:
        http.post(
            "/v1/incidents",
            json={"id": "C-1", "plan": "work-safety", "discovered_at": "2026-11-23T09:00:00+08:00"},
        ).raise_for_status()
    statuses: list[int] = []

    def write(name: str) -> None:
        with server.client() as http:
            for n in range(20):
                entry = {
                    "id": f"{name}-{n}",
                    "observation": {
                        "at": "2026-11-23T09:30:00+08:00",
                        "metric": "clicks",
                        "value": n,
                        "site": f"{name}{n}.example.cn",
                    },
                }
                statuses.append(http.post("/v1/incidents/C-1/entries", json=entry).status_code)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with server.client() as http:
        stored = [e["entry"] for e in http.get("/v1/incidents/C-1/timeline").json()]

    assert [201] * 40 == statuses
    assert {f"{name}-{n}" for name in "ab" for n in range(20)} == set(stored[1:])
    assert 41 == len(stored)


def test_a_killed_server_loses_no_acknowledged_write(tmp_path: Path):
    """SIGKILL during writes: a second server on the same store has every acknowledged entry."""
    store = str(tmp_path / "cases.db")
    first = Server(tmp_path, store)
    acked: list[str] = []
    with first.client() as http:
        http.post(
            "/v1/incidents",
            json={"id": "K-1", "plan": "work-safety", "discovered_at": "2026-11-23T09:00:00+08:00"},
        ).raise_for_status()
    enough = threading.Event()

    def write() -> None:
        with first.client() as http:
            for n in range(10_000):
                entry = {
                    "id": f"k{n}",
                    "event": {
                        "at": "2026-11-23T10:00:00+08:00",
                        "type": "action_done",
                        "action": "larger_report",
                    },
                }
                try:
                    answer = http.post("/v1/incidents/K-1/entries", json=entry)
                except httpx.TransportError:
                    return
                if answer.status_code == 201:
                    acked.append(f"k{n}")
                if n == 30:
                    enough.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert enough.wait(timeout=60)
    first.kill()
    writer.join(timeout=60)
    second = Server(tmp_path, store)
    try:
        with second.client() as http:
            stored = {e["entry"] for e in http.get("/v1/incidents/K-1/timeline").json()}
            more = http.post(
                "/v1/incidents/K-1/entries",
                json={
                    "id": "after",
                    "event": {
                        "at": "2026-11-23T10:00:00+08:00",
                        "type": "action_done",
                        "action": "larger_report",
                    },
                },
            )
    finally:
        code = second.stop()

    assert len(acked) > 30
    assert set() == set(acked) - stored
    assert (201, STOPPED) == (more.status_code, code)
