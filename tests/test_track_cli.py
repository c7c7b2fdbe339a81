"""
``opinion-rules track``: output, exit codes and the how-to's examples,
through the real command line entry point.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import time_machine

from opinion_rules.cli._main import main
from opinion_rules.cli._options import parse_duration
from opinion_rules.cli._track_write import read_entries
from opinion_rules.exceptions import FactError, RecordFormatError
from opinion_rules.store import open_store

from .conftest import CST, EXAMPLES, ROOT
from .store_fixtures import dump, fixture_pg_server, read_only_prefix  # noqa: F401 - a pytest fixture


PLAN = str(EXAMPLES / "plans" / "work_safety.yaml")
HOWTO = ROOT / "docs" / "how-to" / "track-incidents.md"
OPEN = [
    "track",
    "open",
    PLAN,
    "--id",
    "WS-1",
    "--discovered-at",
    "2026-11-23T09:00:00+08:00",
    "--posted-at",
    "2026-11-23T08:00:00+08:00",
    "--facts",
    '{"netizen_concern": "doubt", "needs_support": true}',
    "--by",
    "zhang.wei",
    "--recorded-at",
    "2026-11-23T09:05:00+08:00",
]


def clicks(entry_id: str, at: str, value: int, site: str) -> str:
    item = {"at": at, "metric": "clicks", "value": value, "site": site}
    return json.dumps({"id": entry_id, "observation": item})


READINGS = "\n".join(
    [
        clicks("c1", "2026-11-23T09:00:00+08:00", 400, "bbs.example.cn"),
        clicks("c2", "2026-11-23T09:00:00+08:00", 300, "news.example.com"),
        clicks("c3", "2026-11-23T10:00:00+08:00", 800, "bbs.example.cn"),
        clicks("c4", "2026-11-23T10:00:00+08:00", 500, "news.example.com"),
    ]
)


def run(
    monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "", store: Path | None = None
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    argv = list(args)
    if store is not None:
        argv[1:1] = ["--store", str(store)]
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cases.db"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, db: Path):
    """Run ``opinion-rules track`` against the test's store."""

    def call(*args: str, stdin: str = "") -> tuple[int, str, str]:
        return run(monkeypatch, *args, stdin=stdin, store=db)

    return call


def snapshot(db: Path) -> list[tuple[object, ...]]:
    with open_store(db) as store:
        return [(e.seq, e.entry_id, e.recorded_at) for e in store.audit()]


# -- open and record --------------------------------------------------------------------


def test_open_prints_the_pinned_plan_version(cli, db):
    """Opening stores the plan version and says which one the incident is pinned to."""
    code, out, err = cli(*OPEN)

    assert (0, "") == (code, err)
    assert "opened WS-1 with plan work-safety@2023-1 (entry 'open', seq 1)\n" == out
    assert db.exists()


def test_opening_again_is_a_no_op(cli):
    """The same opening again writes nothing and says so."""
    cli(*OPEN)

    code, out, _ = cli(*OPEN[:-2], "--recorded-at", "2026-11-23T09:30:00+08:00")

    assert 0 == code
    assert (
        "WS-1 was already open with plan work-safety@2023-1 (entry 'open', seq 1, recorded "
        "2026-11-23T09:05:00+08:00 by zhang.wei); nothing written\n"
    ) == out


def test_record_reads_json_lines(cli):
    """JSON lines on stdin become one batch; each entry gets its log position."""
    cli(*OPEN)

    code, out, err = cli(
        "track", "record", "WS-1", "--by", "monitor",
        "--recorded-at", "2026-11-23T10:05:00+08:00", stdin=READINGS + "\n\n",
    )  # fmt: skip

    assert (0, "") == (code, err)
    assert [
        "recorded  c1 seq 2",
        "recorded  c2 seq 3",
        "recorded  c3 seq 4",
        "recorded  c4 seq 5",
        "WS-1: 4 recorded, 0 duplicate(s)",
    ] == out.splitlines()


@pytest.mark.parametrize(
    "text",
    [
        json.dumps([json.loads(line) for line in READINGS.splitlines()], indent=2),
        READINGS.splitlines()[0],
    ],
    ids=["array", "one entry"],
)
def test_record_reads_a_json_array_or_one_entry(cli, text):
    """A JSON array, or a single entry, works as well as JSON lines."""
    cli(*OPEN)

    code, out, err = cli(
        "track",
        "record",
        "WS-1",
        "--by",
        "m",
        "--recorded-at",
        "2026-11-23T10:05:00+08:00",
        stdin=text,
    )

    assert (0, "") == (code, err)
    assert out.startswith("recorded  c1 seq 2\n")


def test_recording_a_batch_again_writes_nothing(cli, db):
    """A retried batch reports duplicates with their first recording and writes nothing."""
    cli(*OPEN)
    cli(
        "track",
        "record",
        "WS-1",
        "--by",
        "monitor",
        "--recorded-at",
        "2026-11-23T10:05:00+08:00",
        stdin=READINGS,
    )
    before = snapshot(db)

    code, out, _ = cli(
        "track",
        "record",
        "WS-1",
        "--by",
        "retry",
        "--recorded-at",
        "2026-11-23T10:09:00+08:00",
        stdin=READINGS,
    )

    assert 0 == code
    assert (
        "duplicate c1 seq 2 (recorded 2026-11-23T10:05:00+08:00 by monitor); nothing written"
        == out.splitlines()[0]
    )
    assert "WS-1: 0 recorded, 4 duplicate(s)" == out.splitlines()[-1]
    assert before == snapshot(db)


def test_record_json_prints_receipts(cli):
    """--json prints one receipt object per entry."""
    cli(*OPEN)

    code, out, _ = cli(
        "track",
        "record",
        "WS-1",
        "--by",
        "m",
        "--recorded-at",
        "2026-11-23T10:05:00+08:00",
        "--json",
        stdin=READINGS,
    )

    assert 0 == code
    assert [
        {
            "incident": "WS-1",
            "entry": "c1",
            "seq": 2,
            "kind": "observation",
            "recorded_at": "2026-11-23T10:05:00+08:00",
            "recorded_by": "m",
            "duplicate": False,
        }
    ] == json.loads(out)[:1]


# -- bad input ------------------------------------------------------------------------


def test_a_malformed_json_line_is_located_and_nothing_is_written(cli, db):
    """Line 3 is not JSON: exit 2, stdin:3:COL on stderr, and the good lines are not written."""
    cli(*OPEN)
    before = snapshot(db)
    lines = READINGS.splitlines()
    lines[2] = lines[2].replace('"metric"', '"metric" "oops"')

    code, out, err = cli(
        "track",
        "record",
        "WS-1",
        "--by",
        "m",
        "--recorded-at",
        "2026-11-23T10:05:00+08:00",
        stdin="\n".join(lines),
    )

    assert (2, "") == (code, out)
    assert re.fullmatch(
        r"opinion-rules: error: stdin:3:\d+: not valid JSON: Expecting ':' delimiter; expected one JSON entry per line \(JSON lines\)\n",
        err,
    )
    assert before == snapshot(db)


def test_an_entry_the_plan_refuses_names_its_line(cli, db):
    """An unknown metric on line 2 is bad input naming the entry, the line and the field."""
    cli(*OPEN)
    before = snapshot(db)
    lines = READINGS.splitlines()
    lines[1] = lines[1].replace('"clicks"', '"likes"')

    code, _, err = cli(
        "track",
        "record",
        "WS-1",
        "--by",
        "m",
        "--recorded-at",
        "2026-11-23T10:05:00+08:00",
        stdin="\n".join(lines),
    )

    assert 2 == code
    assert (
        "opinion-rules: error: incident 'WS-1' (plan 'work-safety@2023-1'), entry 'c2': stdin:2 "
        "observation.metric: metric 'likes' is not declared by the plan; expected one of 'clicks', "
        "'reposts'; did you mean 'clicks'?\n"
    ) == err
    assert before == snapshot(db)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["track", "record", "WS-9", "--by", "m", "--recorded-at", "2026-11-23T10:05:00+08:00"],
            READINGS,
            "incident 'WS-9' is not in the store; expected an opened incident; did you mean 'WS-1'?",
        ),
        (
            ["track", "record", "WS-1", "--by", "m", "--recorded-at", "2026-11-23T09:00:00+08:00"],
            READINGS,
            "incident 'WS-1': recorded_at 2026-11-23T09:00:00+08:00 is earlier than the incident's latest recorded_at 2026-11-23T09:05:00+08:00",
        ),
        (
            ["track", "record", "WS-1", "--by", "m", "--recorded-at", "2026-11-23T09:30:00+08:00"],
            READINGS,
            "incident 'WS-1': stdin:3: entry 'c3': observation.at 2026-11-23T10:00:00+08:00 is later than recorded_at 2026-11-23T09:30:00+08:00",
        ),
        (["track", "record", "WS-1", "--by", "m"], "\n\n", "stdin: holds no entry"),
        (
            ["track", "record", "WS-1", "--by", "m", "--recorded-at", "2026-11-23T10:00:00"],
            READINGS,
            "--recorded-at: has no UTC offset (naive datetime)",
        ),
        (
            ["track", "agenda", "--horizon", "soon"],
            "",
            "--horizon: is not a duration; expected weeks, days, hours, minutes",
        ),
        (["track", "show", "WS-1", "--at", "tomorrow"], "", "--at: is not an ISO 8601 datetime"),
        (
            [
                "track",
                "open",
                PLAN,
                "--id",
                "WS-2",
                "--discovered-at",
                "2026-11-23T09:00:00+08:00",
                "--facts",
                "[1]",
            ],
            "",
            "--facts: is not a JSON object",
        ),
    ],
    ids=[
        "unknown incident",
        "clock going back",
        "item from the future",
        "no entries",
        "naive instant",
        "bad horizon",
        "bad --at",
        "bad facts",
    ],
)
def test_bad_input_exits_2_and_writes_nothing(cli, db, args, stdin, message):
    """Every refusal is one line on stderr naming what, where and what was expected."""
    assert_refused_in_one_line(cli, db, args, stdin, message)


def assert_refused_in_one_line(cli, db, args, stdin, message) -> str:
    """Exit 2, nothing on stdout, one printable line on stderr, the store unchanged."""
    cli(*OPEN)
    before = snapshot(db)

    code, out, err = cli(*args, stdin=stdin)

    assert (2, "") == (code, out)
    assert err.startswith(f"opinion-rules: error: {message}"), err
    assert 1 == len(err.splitlines())
    assert err.encode("utf-8")
    assert before == snapshot(db)
    return err


def test_a_store_that_cannot_be_opened_exits_1(monkeypatch, tmp_path):
    """A directory is no store: exit 1, not a traceback."""
    code, _, err = run(
        monkeypatch, "track", "agenda", "--at", "2026-11-23T10:00:00+08:00", store=tmp_path
    )

    assert 1 == code
    assert err.startswith(f"opinion-rules: error: case store {tmp_path}: cannot open the database")


def test_usage_errors_exit_2(monkeypatch, db):
    """A missing required option is a usage error."""
    code, _, err = run(monkeypatch, "track", "open", PLAN, "--id", "X", store=db)

    assert 2 == code
    assert "the following arguments are required: --discovered-at" in err


# -- reading --------------------------------------------------------------------------


def test_show_prints_the_assessment_as_of_an_instant(cli):
    """show replays what was recorded by --at; --known-at looks with hindsight."""
    cli(*OPEN)
    cli(
        "track",
        "record",
        "WS-1",
        "--by",
        "m",
        "--recorded-at",
        "2026-11-23T10:05:00+08:00",
        stdin=READINGS,
    )

    _, then, _ = cli("track", "show", "WS-1", "--at", "2026-11-23T10:01:00+08:00")
    _, later, _ = cli("track", "show", "WS-1", "--at", "2026-11-23T10:30:00+08:00")
    _, hindsight, _ = cli(
        "track",
        "show",
        "WS-1",
        "--at",
        "2026-11-23T10:01:00+08:00",
        "--known-at",
        "2026-11-23T10:05:00+08:00",
        "--json",
    )

    assert "grade     一般网络舆情 (general, rank 0) since 2026-11-23 08:00" in then
    assert "incident  WS-1, as of 2026-11-23T10:30:00+08:00" in later
    assert "grade     较大网络舆情 (larger, rank 1) since 2026-11-23 10:00" in later
    assert "larger" == json.loads(hindsight)["grade"]["id"]


def test_agenda_lists_overdue_and_due_actions(cli):
    """The agenda table and its JSON list what is owed, in due order."""
    cli(*OPEN)
    upgrade = clicks("c5", "2026-11-23T13:00:00+08:00", 12000, "bbs.example.cn")
    cli(
        "track",
        "record",
        "WS-1",
        "--by",
        "m",
        "--recorded-at",
        "2026-11-23T13:05:00+08:00",
        stdin=READINGS + "\n" + upgrade,
    )

    code, out, _ = cli("track", "agenda", "--at", "2026-11-23T14:00:00+08:00", "--horizon", "1d")
    _, data, _ = cli("track", "agenda", "--at", "2026-11-23T14:00:00+08:00", "--json")

    assert 0 == code
    assert out.startswith("agenda at 2026-11-23 14:00 Asia/Shanghai, due by 2026-11-24 14:00: ")
    assert re.search(
        r"\n11-23 13:00  overdue 1 h  major  WS-1      opinion_office  major_phone_report: ", out
    ), out
    items = json.loads(data)["items"]
    assert [
        ("major_activate_plan", "overdue", "2026-11-23T13:00:00+08:00"),
        ("major_notify_units", "overdue", "2026-11-23T13:00:00+08:00"),
        ("major_phone_report", "overdue", "2026-11-23T13:00:00+08:00"),
    ] == [(i["action"], i["status"], i["due"]) for i in items[:3]]
    assert 1440 == json.loads(data)["horizon_minutes"]


def test_timeline_and_audit(cli):
    """timeline lists one incident's log; audit lists entries across incidents by time."""
    cli(*OPEN)
    cli(*[("WS-2" if a == "WS-1" else a) for a in OPEN[:-1]], "2026-11-23T09:06:00+08:00")
    cli(
        "track",
        "record",
        "WS-1",
        "--by",
        "monitor",
        "--recorded-at",
        "2026-11-23T10:05:00+08:00",
        stdin=READINGS,
    )

    _, timeline, _ = cli("track", "timeline", "WS-1")
    _, audit, _ = cli(
        "track",
        "audit",
        "--since",
        "2026-11-23T09:06:00+08:00",
        "--until",
        "2026-11-23T10:05:00+08:00",
        "--json",
    )
    _, one, _ = cli("track", "audit", "WS-2")

    assert (
        "SEQ  RECORDED_AT                BY         ENTRY  KIND         ITEM"
        == timeline.splitlines()[0]
    )
    assert timeline.splitlines()[2].startswith(
        '3    2026-11-23T10:05:00+08:00  monitor    c1     observation  {"at": '
    )
    assert [("WS-2", "open"), ("WS-1", "c1"), ("WS-1", "c2"), ("WS-1", "c3"), ("WS-1", "c4")] == [
        (e["incident"], e["entry"]) for e in json.loads(audit)
    ]
    assert 2 == len(one.splitlines())


def test_the_store_comes_from_the_environment_or_the_working_directory(monkeypatch, tmp_path):
    """Without --store: $OPINION_RULES_STORE, else opinion-cases.db in the current directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPINION_RULES_STORE", raising=False)
    run(monkeypatch, *OPEN)
    monkeypatch.setenv("OPINION_RULES_STORE", str(tmp_path / "other.db"))
    run(monkeypatch, *OPEN)

    assert (tmp_path / "opinion-cases.db").exists()
    assert (tmp_path / "other.db").exists()


def test_store_may_follow_the_subcommand(monkeypatch, tmp_path):
    """--store works before and after the subcommand."""
    code, out, _ = run(monkeypatch, *OPEN, "--store", str(tmp_path / "after.db"))

    assert 0 == code
    assert out.startswith("opened WS-1")
    assert (tmp_path / "after.db").exists()


def test_recorded_at_and_at_default_to_now(cli, db):
    """Without --recorded-at the command line stamps the current time (the only clock read)."""
    cli(*OPEN)
    with time_machine.travel(datetime(2026, 11, 23, 10, 7, tzinfo=CST), tick=False):
        code, _, _ = cli("track", "record", "WS-1", "--by", "m", stdin=READINGS)
        _, shown, _ = cli("track", "show", "WS-1")

    with open_store(db) as store:
        recorded = store.timeline("WS-1")[-1].recorded_at

    assert 0 == code
    assert datetime(2026, 11, 23, 10, 7, tzinfo=CST) == recorded
    assert "grade     较大网络舆情 (larger, rank 1)" in shown


def test_track_works_on_postgresql(monkeypatch, pg_server):
    """The same commands against a postgresql:// store."""
    dsn = pg_server.new_schema()

    opened = run(monkeypatch, *OPEN, "--store", dsn)
    recorded = run(
        monkeypatch,
        "track",
        "--store",
        dsn,
        "record",
        "WS-1",
        "--by",
        "m",
        "--recorded-at",
        "2026-11-23T10:05:00+08:00",
        stdin=READINGS,
    )
    code, out, _ = run(monkeypatch, "track", "--store", dsn, "timeline", "WS-1", "--json")

    assert (0, 0, 0) == (opened[0], recorded[0], code)
    assert ["open", "c1", "c2", "c3", "c4"] == [e["entry"] for e in json.loads(out)]


# -- helpers ---------------------------------------------------------------------------


def test_read_entries_forms():
    """One entry, an array or JSON lines; places name lines or array indexes."""
    assert ([{"id": "a"}], ["stdin:2"]) == read_entries('\n{"id": "a"}\n')
    assert ([{"id": "a"}, {"id": "b"}], ["stdin[0]", "stdin[1]"]) == read_entries(
        '[{"id": "a"},\n {"id": "b"}]'
    )
    assert ([{"id": "a"}, {"id": "b"}], ["stdin:1", "stdin:3"]) == read_entries(
        '{"id": "a"}\n\n{"id": "b"}\n'
    )
    with pytest.raises(
        RecordFormatError,
        match=r"^stdin:2:1: not valid JSON: Expecting ',' delimiter; expected one JSON entry, a JSON array",
    ):
        read_entries('[{"id": "a"}\n{"id": "b"}]')


def test_parse_duration():
    """Horizons are weeks, days, hours and minutes."""
    assert [1440, 90, 3 * 1440, 36 * 60, 9 * 1440] == [
        parse_duration(t).total_seconds() / 60 for t in ("24h", "90m", "3d", "1d12h", "1w2d")
    ]
    with pytest.raises(FactError):
        parse_duration("")


# -- the how-to ------------------------------------------------------------------------


def howto_examples() -> list[tuple[list[list[str | None]], str]]:
    """
    The how-to's sh blocks with the text block after each: each command's
    argv and its stdin (heredoc), and the output shown.
    """
    text = HOWTO.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(
        r"```sh\n((?:(?!```).)*?)\n```\n(?:\n[^\n`]*\n)?\n```text\n(.*?)\n```", text, re.DOTALL
    ):
        commands: list[list[str | None]] = []
        lines = match[1].replace("\\\n", "").splitlines()  # join continued lines
        while lines:
            line = lines.pop(0)
            if not line.strip() or line.startswith(("#", "export ", "rm ")):
                continue
            command, _, heredoc = line.partition(" <<")
            stdin = None
            if heredoc:
                end = lines.index(heredoc.strip("'\" "))
                stdin = "\n".join(lines[:end]) + "\n"
                del lines[: end + 1]
            argv = shlex.split(command)
            assert ".venv/bin/opinion-rules" == argv[0], line
            commands.append([*argv[1:], stdin])
        found.append((commands, match[2]))
    return found


def test_the_howto_examples_print_what_it_shows(monkeypatch, tmp_path):
    """Every command in docs/how-to/track-incidents.md prints the output shown under it."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("OPINION_RULES_STORE", str(tmp_path / "demo.db"))
    examples = howto_examples()

    assert len(examples) >= 6
    for commands, shown in examples:
        printed = ""
        for *argv, stdin in commands:
            _, out, err = run(monkeypatch, *[str(a) for a in argv], stdin=stdin or "")
            printed += out + err
        assert shown.strip() == printed.strip()


# -- missing, empty and read-only stores -------------------------------------------------


MISSING = (
    "opinion-rules: error: case store {store}: the file does not exist; expected an existing "
    "store: 'opinion-rules track open' creates one, or pass --create\n"
)


@pytest.mark.parametrize(
    "args",
    [
        ["show", "WS-1", "--at", "2026-11-23T10:00:00+08:00"],
        ["timeline", "WS-1"],
        ["agenda", "--at", "2026-11-23T10:00:00+08:00"],
        ["audit"],
        ["record", "WS-1", "--by", "m", "--recorded-at", "2026-11-23T10:05:00+08:00"],
        ["add-year", "china-2027.yaml", "--recorded-at", "2026-11-23T10:05:00+08:00"],
        ["years"],
    ],
    ids=["show", "timeline", "agenda", "audit", "record", "add-year", "years"],
)
def test_a_mistyped_store_is_an_error_not_a_new_store(monkeypatch, tmp_path, args):
    """Only open (or --create) creates a store: elsewhere a missing file exits 1 and is not made."""
    typo = tmp_path / "typo.db"

    code, out, err = run(monkeypatch, "track", *args, stdin=READINGS, store=typo)

    assert (1, "") == (code, out)
    assert MISSING.format(store=typo) == err
    assert [] == list(tmp_path.iterdir())


def test_create_makes_a_missing_store_before_or_after_the_subcommand(monkeypatch, tmp_path):
    """--create lets any subcommand start a new, empty store."""
    at = ["--at", "2026-11-23T10:00:00+08:00"]

    before = run(monkeypatch, "track", "--create", "--store", str(tmp_path / "a.db"), "agenda", *at)
    after = run(monkeypatch, "track", "agenda", *at, "--create", "--store", str(tmp_path / "b.db"))

    assert before == after
    assert (0, "") == (before[0], before[2])
    assert before[1].endswith(": 0 item(s)\nnothing owed\n")
    assert {"a.db", "b.db"} <= {p.name for p in tmp_path.iterdir()}


def test_an_empty_store_file_exits_1(monkeypatch, db):
    """A store truncated to 0 bytes is not taken for a new store, not even by open."""
    db.touch()

    code, _, err = run(monkeypatch, *OPEN, store=db)

    assert 1 == code
    assert (
        f"opinion-rules: error: case store {db}: the file is empty (0 bytes), so it is not a case store; expected a case store's database, or a path that does not exist yet to create one there\n"
        == err
    )
    assert 0 == db.stat().st_size


def test_postgresql_tables_are_created_only_by_open(monkeypatch, pg_server):
    """On PostgreSQL a missing store is a schema without the tables: the same rule."""
    dsn = pg_server.new_schema()

    code, _, err = run(monkeypatch, "track", "--store", dsn, "audit")
    opened = run(monkeypatch, *OPEN, "--store", dsn)
    again = run(monkeypatch, "track", "--store", dsn, "audit")

    assert 1 == code
    assert err.startswith("opinion-rules: error: case store postgresql://")
    assert err.endswith(
        ": the database has no case store tables in its search_path (no meta table); expected an existing store: 'opinion-rules track open' creates one, or pass --create\n"
    )
    assert (0, 0) == (opened[0], again[0])


def test_a_read_only_store_can_be_queried(cli, db):
    """show, timeline, agenda and audit work on a store file this user may not write; record exits 1."""
    cli(*OPEN)
    content = db.read_bytes()
    prefix = read_only_prefix(db)
    if prefix is None:
        pytest.skip("cannot make a file read-only for a child process here")

    def track(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, sys.executable, "-m", "opinion_rules", "track", "--store", str(db), *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    reads = [
        track("show", "WS-1", "--at", "2026-11-23T10:00:00+08:00", "--json"),
        track("timeline", "WS-1"),
        track("agenda", "--at", "2026-11-23T12:00:00+08:00"),
        track("audit"),
        track("years"),
    ]
    writes = [
        track(
            "record", "WS-1", "--by", "m", "--recorded-at", "2026-11-23T10:05:00+08:00",
            stdin=READINGS,
        ),
        track("add-year", str(YEAR_FILE), "--by", "m", "--recorded-at", "2027-01-05T10:00:00+08:00"),
    ]  # fmt: skip

    assert [(0, "")] * 5 == [(r.returncode, r.stderr) for r in reads]
    assert "WS-1" == json.loads(reads[0].stdout)["incident"]["id"]
    for write in writes:
        assert (1, "") == (write.returncode, write.stdout)
        assert (
            f"opinion-rules: error: case store {db}: cannot write: the file is read-only for this process; expected a store this process may write\n"
            == write.stderr
        )
    assert content == db.read_bytes()


# -- hostile input ---------------------------------------------------------------------

AT = ["--at", "2026-11-23T10:00:00+08:00"]
RECORD = ["track", "record", "WS-1", "--by", "m", "--recorded-at", "2026-11-23T10:05:00+08:00"]
SURROGATE = "\udced\udca0\udc80"  # printf '\ud800' in bash, as Python decodes argv
DEEP_LINE = "[" * 100_000 + "]" * 100_000
LONG_NUMBER = "1" + "0" * 5000


def entry_line(entry_id: str = "c9", **item: object) -> str:
    """One JSON line; lone surrogates and NULs in it are written as JSON escapes."""
    observation = {"at": "2026-11-23T10:00:00+08:00", "metric": "clicks", "value": 1, **item}
    return json.dumps({"id": entry_id, "observation": observation})


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["track", "show", SURROGATE, *AT],
            "",
            "assess: incident_id: holds a lone surrogate (e.g. from the JSON escape \\ud800), which is not Unicode text; expected text that can be stored and printed (got '\\udced\\udca0\\udc80', a str)",
        ),
        (["track", "timeline", "\udcff"], "", "timeline: incident_id: holds a lone surrogate"),
        (["track", "audit", "\udcff"], "", "audit: incident_id: holds a lone surrogate"),
        (
            [*OPEN[:4], "\udcff", *OPEN[5:]],
            "",
            "open_incident: incident_id: holds a lone surrogate",
        ),
        (
            [*OPEN[:-4], "--by", "\udcff", *OPEN[-2:]],
            "",
            "incident 'WS-1': recorded_by: holds a lone surrogate",
        ),
        (
            [*RECORD[:4], "\udcff", *RECORD[5:]],
            READINGS,
            "incident 'WS-1': recorded_by: holds a lone surrogate",
        ),
        (RECORD, entry_line("c\ud800"), "incident 'WS-1': stdin:1.id: holds a lone surrogate"),
        (
            RECORD,
            entry_line(site="bbs\ud800"),
            "incident 'WS-1': stdin:1.observation.site: holds a lone surrogate",
        ),
        (
            RECORD,
            entry_line("c\x00"),
            "incident 'WS-1': stdin:1.id: holds a control character ('\\x00')",
        ),
        (
            RECORD,
            json.dumps({"id": 9, "observation": {}}),
            "incident 'WS-1': stdin:1.id: is not a non-empty string",
        ),
        (RECORD, DEEP_LINE, "stdin:1:65: JSON nested deeper than 64 levels; expected entries"),
        (
            RECORD,
            READINGS + "\n" + entry_line().replace('"value": 1', f'"value": {LONG_NUMBER}'),
            "stdin:5:94: a number literal is longer than 100 characters; expected a shorter number (got 10000000000000000000..., 5001 characters)",
        ),
        (
            [*OPEN, "--facts", DEEP_LINE],
            "",
            "--facts:1:65: JSON nested deeper than 64 levels; expected a JSON object of facts",
        ),
        (
            [*OPEN, "--facts", f'{{"n": {LONG_NUMBER}}}'],
            "",
            "--facts:1:7: a number literal is longer than 100 characters",
        ),
        (
            ["track", "show", "WS-1", "--at", "0001-01-01T00:00:00+00:00", "--json"],
            "",
            "--at: is outside the supported range: expected an instant from 1900 up to 3000 (UTC) (got '0001-01-01T00:00:00+00:00')",
        ),
        (
            ["track", "show", "WS-1", *AT, "--known-at", "9999-12-31T23:59:59-23:59"],
            "",
            "--known-at: is outside the supported range",
        ),
        (
            ["track", "agenda", "--at", "9999-12-31T23:59:59+00:00"],
            "",
            "--at: is outside the supported range",
        ),
        (
            ["track", "audit", "--since", "0001-01-01T00:00:00+14:00"],
            "",
            "--since: is outside the supported range",
        ),
        (
            ["track", "audit", "--until", "9999-12-31T00:00:00-23:59"],
            "",
            "--until: is outside the supported range",
        ),
        (
            [*RECORD[:-1], "9999-12-31T00:00:00+00:00"],
            READINGS,
            "--recorded-at: is outside the supported range",
        ),
        (
            [*OPEN[:6], "1899-12-31T23:00:00+00:00", *OPEN[7:]],
            "",
            "--discovered-at: is outside the supported range",
        ),
        (
            [*OPEN[:8], "0001-01-01T00:00:00+00:00", *OPEN[9:]],
            "",
            "--posted-at: is outside the supported range",
        ),
        (
            ["track", "agenda", *AT, "--horizon", "99999999999w"],
            "",
            "--horizon: is longer than the longest supported period (36600 days); expected weeks, days, hours, minutes, e.g. 24h, 3d, 1d12h (got '99999999999w')",
        ),
        (
            ["track", "agenda", *AT, "--horizon", f"{LONG_NUMBER}m"],
            "",
            "--horizon: is longer than the longest supported period (36600 days)",
        ),
    ],
    ids=[
        "surrogate id, show",
        "surrogate id, timeline",
        "surrogate id, audit",
        "surrogate id, open",
        "surrogate --by, open",
        "surrogate --by, record",
        "surrogate entry id",
        "surrogate site",
        "NUL entry id",
        "number entry id",
        "nested 100000 deep",
        "5001-digit number",
        "deep --facts",
        "5001-digit --facts",
        "--at year 1",
        "--known-at year 9999",
        "agenda --at year 9999",
        "--since year 1",
        "--until year 9999",
        "--recorded-at year 9999",
        "--discovered-at 1899",
        "--posted-at year 1",
        "horizon overflow",
        "horizon of 5001 digits",
    ],
)
def test_hostile_input_is_one_located_line(cli, db, args, stdin, message):
    """Input no store or terminal can take is bad input (exit 2), one line, nothing written."""
    assert_refused_in_one_line(cli, db, args, stdin, message)


def test_stdin_that_is_not_utf8_is_bad_input(monkeypatch, cli, db):
    """Undecodable standard input is a located error, not a UnicodeDecodeError."""
    cli(*OPEN)
    stdin = io.TextIOWrapper(io.BytesIO(b'{"id": "\xff"}'), encoding="utf-8", errors="strict")
    monkeypatch.setattr("sys.stdin", stdin)
    out, err = io.StringIO(), io.StringIO()

    code = main([RECORD[0], "--store", str(db), *RECORD[1:]], stdout=out, stderr=err)

    assert 2 == code
    assert err.getvalue().startswith("opinion-rules: error: stdin: is not UTF-8 text: ")


# -- calendar years --------------------------------------------------------------------

DEMO = str(ROOT / "docs" / "how-to" / "calendar_demo.yaml")
DEMO_INCIDENT = str(ROOT / "docs" / "how-to" / "calendar_demo_incident.json")
# INVENTED test data with the shape of a notice; never a real schedule.
YEAR_FILE = ROOT / "tests" / "data" / "china-2027-invented.yaml"
OPEN_DEMO = [
    "track", "open", DEMO, "--id", "WZ-1", "--discovered-at", "2026-12-28T10:00:00+08:00",
    "--by", "li.na", "--recorded-at", "2026-12-28T10:05:00+08:00",
]  # fmt: skip
ADD_YEAR = [
    "track", "add-year", str(YEAR_FILE), "--by", "li.na",
    "--recorded-at", "2027-01-05T10:00:00+08:00",
]  # fmt: skip
AGENDA_2027 = ["track", "agenda", "--at", "2027-01-05T09:00:00+08:00"]
UNDECIDED_WARNING = (
    "opinion-rules: warning: 1 action(s) undecided: their due times need a calendar year that "
    "neither the plan, the installed chinesecalendar package nor the store has; add it with "
    "'opinion-rules track add-year FILE' (see docs/how-to/add-a-calendar-year.md)\n"
)
AGENDA_HEAD = "agenda at 2027-01-05 09:00 Asia/Shanghai, due by 2027-01-06 09:00: 2 item(s)\n"
AGENDA_COLUMNS = "DUE               LATE / LEFT       GRADE  INCIDENT  OWNER   ACTION\n"


def corrected_year(tmp_path: Path) -> str:
    """The invented year with 元旦 one day longer (2027-01-04 off too)."""
    path = tmp_path / "china-2027-corrected.yaml"
    path.write_text(
        YEAR_FILE.read_text(encoding="utf-8").replace(
            "days_off: [2027-01-01, 2027-01-03]", "days_off: [2027-01-01, 2027-01-04]"
        ),
        encoding="utf-8",
    )
    return str(path)


def test_agenda_shows_an_undecided_duty_until_add_year_decides_it(cli):
    """DUE 'undecided' and a warning; after add-year the due time, with no new incident write."""
    cli(*OPEN_DEMO)

    before = cli(*AGENDA_2027)
    added = cli(*ADD_YEAR)
    after = cli(*AGENDA_2027)
    timeline = cli("track", "timeline", "WZ-1")

    assert (
        0,
        AGENDA_HEAD
        + "1 overdue, 1 undecided\n\n"
        + AGENDA_COLUMNS
        + "2026-12-28 13:00  overdue 7 d 20 h  any    WZ-1      office  acknowledge: 电话告知受理\n"
        + "undecided         -                 any    WZ-1      office  reply: 书面答复\n",
        UNDECIDED_WARNING,
    ) == before
    assert (
        0,
        (
            "added 2027 in the china calendar (seq 1): invented for the test suite (not an "
            "official notice)\nre-evaluated 1 incident(s) with undecided actions\n"
        ),
        "",
    ) == added
    assert (
        0,
        AGENDA_HEAD
        + "1 overdue, 1 pending\n\n"
        + AGENDA_COLUMNS
        + "2026-12-28 13:00  overdue 7 d 20 h  any    WZ-1      office  acknowledge: 电话告知受理\n"
        + "2027-01-06 00:00  15 h left         any    WZ-1      office  reply: 书面答复\n",
        "",
    ) == after
    assert 1 == len(timeline[1].splitlines()) - 1  # the opening only


def test_agenda_json_holds_undecided_items(cli):
    """--json: status 'undecided', due null, the reason naming the missing year."""
    cli(*OPEN_DEMO)

    code, out, err = cli(*AGENDA_2027, "--json")

    reply = json.loads(out)["items"][1]
    assert (0, UNDECIDED_WARNING) == (code, err)
    assert ("reply", "undecided", None) == (reply["action"], reply["status"], reply["due"])
    assert "calendar 'china' has no data for 2027" in reply["reason"]


def test_add_year_again_writes_nothing_and_another_file_corrects(cli, db, tmp_path):
    """The same file is a no-op; another schedule for 2027 is a correction; years lists both."""
    cli(*OPEN_DEMO)
    cli(*ADD_YEAR)
    cli(*AGENDA_2027)  # rows refreshed with the first 2027
    before = snapshot(db)

    again = cli(*ADD_YEAR[:-1], "2027-01-05T11:00:00+08:00")
    unchanged = snapshot(db)
    corrected = cli(
        "track", "add-year", corrected_year(tmp_path), "--by", "zhang.wei",
        "--recorded-at", "2027-01-06T08:00:00+08:00", "--json",
    )  # fmt: skip
    years = cli("track", "years")
    agenda = cli(*AGENDA_2027, "--horizon", "3d", "--json")

    assert (
        0,
        (
            "2027 is already in the china calendar with the same days (seq 1, recorded "
            "2027-01-05T10:00:00+08:00 by li.na); nothing written\n"
        ),
        "",
    ) == again
    assert before == unchanged
    assert 0 == corrected[0]
    assert {
        "calendar": "china",
        "year": 2027,
        "seq": 2,
        "source": "invented for the test suite (not an official notice)",
        "recorded_at": "2027-01-06T08:00:00+08:00",
        "recorded_by": "zhang.wei",
        "duplicate": False,
        "replaces": 1,
        "reevaluated": [],
        "stale": 1,
    } == json.loads(corrected[1])
    assert [
        "SEQ  RECORDED_AT                BY         CALENDAR  YEAR  IN_FORCE  SOURCE",
        "1    2027-01-05T10:00:00+08:00  li.na      china     2027  no        invented for the test suite (not an official notice)",
        "2    2027-01-06T08:00:00+08:00  zhang.wei  china     2027  yes       invented for the test suite (not an official notice)",
    ] == years[1].splitlines()
    assert "2027-01-07T00:00:00+08:00" == json.loads(agenda[1])["items"][1]["due"]


def test_a_correction_says_what_the_next_agenda_re_evaluates(cli, tmp_path):
    """The text receipt of a correction."""
    cli(*OPEN_DEMO)
    cli(*ADD_YEAR)

    code, out, _ = cli(
        "track", "add-year", corrected_year(tmp_path), "--by", "zhang.wei",
        "--recorded-at", "2027-01-06T08:00:00+08:00",
    )  # fmt: skip

    assert (0, [
        (
            "corrected 2027 in the china calendar (seq 2, replaces seq 1): invented for the "
            "test suite (not an official notice)"
        ),
        "re-evaluated 0 incident(s) with undecided actions",
        "1 more incident(s) on plans with the china calendar are re-evaluated by the next agenda",
    ]) == (code, out.splitlines())  # fmt: skip


def test_years_on_a_store_without_years(cli):
    """years says so; --json is an empty list."""
    cli(*OPEN_DEMO)

    assert (0, "(no calendar years stored)\n", "") == cli("track", "years")
    assert (0, "[]\n", "") == cli("track", "years", "--json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "year: 2027\nsource: x\n",
            "{file}:1:1: missing key 'festivals'; expected a value for 'festivals'",
        ),
        (
            YEAR_FILE.read_text(encoding="utf-8").replace("2027-06-09", "2028-06-09"),
            "{file}:7:3: festivals: 端午节: 2028-06-09 is outside 2027",
        ),
        (
            "year: [2027\n",
            "{file}:2:1: not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (None, "{file}: no such file"),
    ],
    ids=["incomplete", "a day of another year", "not YAML", "missing"],
)
def test_a_bad_year_file_exits_2_and_writes_nothing(cli, db, tmp_path, text, message):
    """A year file is checked like any year file: one located line, exit 2, store unchanged."""
    cli(*OPEN_DEMO)
    path = tmp_path / "china-2027.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with open_store(db) as store:
        before = dump(store)

    code, out, err = cli(
        "track", "add-year", str(path), "--by", "m", "--recorded-at", "2027-01-05T10:00:00+08:00"
    )

    assert (2, "") == (code, out)
    assert err.startswith("opinion-rules: error: " + message.format(file=path)), err
    assert 1 == len(err.splitlines())
    with open_store(db) as store:
        assert before == dump(store)
        assert [] == store.schedules()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--recorded-at", "tomorrow"], "--recorded-at: is not an ISO 8601 datetime"),
        (
            ["--by", "li\tna", "--recorded-at", "2027-01-05T10:00:00+08:00"],
            f"{YEAR_FILE}: the 2027 schedule: recorded_by: holds a control character ('\\t')",
        ),
    ],
    ids=["bad instant", "control character in --by"],
)
def test_bad_add_year_options_exit_2(cli, db, args, message):
    """Options are checked like every other write's."""
    cli(*OPEN_DEMO)
    before = snapshot(db)

    code, out, err = cli("track", "add-year", str(YEAR_FILE), *args)

    assert (2, "") == (code, out)
    assert err.startswith(f"opinion-rules: error: {message}"), err
    assert 1 == len(err.splitlines())
    assert before == snapshot(db)


def test_add_year_recorded_at_defaults_to_now(cli, db):
    """Without --recorded-at the recording is stamped with the current time."""
    cli(*OPEN_DEMO)
    with time_machine.travel(datetime(2027, 1, 5, 10, 7, tzinfo=CST), tick=False):
        code, _, _ = cli("track", "add-year", str(YEAR_FILE), "--by", "li.na")

    with open_store(db) as store:
        history = store.schedule_history()

    assert 0 == code
    assert [datetime(2027, 1, 5, 10, 7, tzinfo=CST)] == [s.recorded_at for s in history]


def test_show_warns_about_a_calendar_gap_as_evaluate_does(cli, monkeypatch):
    """track show prints evaluate's report and its warning on standard error."""
    at = ["--at", "2026-12-30T09:00:00+08:00"]
    cli(
        "track", "open", DEMO, "--id", "WZ-2026-311", "--discovered-at",
        "2026-12-28T10:00:00+08:00", "--by", "li.na", "--recorded-at", "2026-12-28T10:05:00+08:00",
    )  # fmt: skip

    shown = cli("track", "show", "WZ-2026-311", *at)
    evaluated = run(monkeypatch, "evaluate", DEMO, DEMO_INCIDENT, *at)
    cli(*ADD_YEAR)
    decided = cli("track", "show", "WZ-2026-311", *at, "--json")

    assert evaluated == shown
    assert shown[2].startswith(
        "opinion-rules: warning: calendar 'china' has no data for 2027; add the year's schedule"
    )
    assert (0, "") == (decided[0], decided[2])
    assert [] == json.loads(decided[1])["undecided"]


# -- the desk: agenda view, calendar feed, quick writes ----------------------------------


def test_the_howto_agenda_fits_100_columns_with_the_overdue_item_first():
    """The how-to's agenda puts the overdue item first with its lateness and a summary, in 100 columns."""
    from opinion_rules.cli._output import text_width

    text = HOWTO.read_text(encoding="utf-8")
    shown = text[text.index("agenda at 2026-11-23 14:00") :]
    shown = shown[: shown.index("```")]
    lines = shown.splitlines()

    assert "1 overdue, 15 pending (15 with no time set)" == lines[1]
    assert lines[4].startswith("11-23 13:00  overdue 1 h  major  WS-2026-017")
    assert [] == [line for line in lines if text_width(line) > 100]


def with_overdue_items(cli) -> None:
    """Open WS-1 and make it 重大 at 13:00, so that its 立即 duties are overdue at 14:00."""
    cli(*OPEN)
    upgrade = clicks("c5", "2026-11-23T13:00:00+08:00", 12000, "bbs.example.cn")
    cli("track", "record", "WS-1", "--by", "m", "--recorded-at", "2026-11-23T13:05:00+08:00",
        stdin=READINGS + "\n" + upgrade)  # fmt: skip


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(cli, db, monkeypatch):
    """Overdue rows are red on a terminal; never when piped, nor with NO_COLOR set."""
    with_overdue_items(cli)
    monkeypatch.delenv("NO_COLOR", raising=False)
    argv = ["track", "--store", str(db), "agenda", "--at", "2026-11-23T14:00:00+08:00"]

    tty = _Terminal()
    main(argv, stdout=tty, stderr=io.StringIO())
    piped = cli("track", "agenda", "--at", "2026-11-23T14:00:00+08:00")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    quiet = _Terminal()
    main(argv, stdout=quiet, stderr=io.StringIO())

    assert "\033[31m" in tty.getvalue()
    assert "\033[" not in piped
    assert piped == quiet.getvalue()


def test_agenda_filters_and_bad_filters(cli):
    """Filters take lists; an unknown status or a bad duration exits 2 naming the option."""
    cli(*OPEN)
    at = ["--at", "2026-11-23T14:00:00+08:00"]

    _, owned, _ = cli("track", "agenda", *at, "--owner", "nobody,opinion_office", "--json")
    _, hidden, _ = cli("track", "agenda", *at, "--hide-no-time", "--json")
    bad_status = cli("track", "agenda", *at, "--status", "late")
    bad_within = cli("track", "agenda", *at, "--due-within", "soon")

    owners = [[o["id"] for o in i["owners"]] for i in json.loads(owned)["items"]]
    assert owners
    assert all("opinion_office" in ids for ids in owners)
    assert all(i["due"] is not None for i in json.loads(hidden)["items"])
    assert (2, "") == bad_status[:2]
    assert bad_status[2].startswith("opinion-rules: error: track agenda: --status: 'late' is not")
    assert (2, "") == bad_within[:2]
    assert bad_within[2].startswith("opinion-rules: error: --due-within: is not a duration")


def test_the_calendar_feed_parses_back_with_stable_uids(cli, tmp_path):
    """--ics writes one event per due item, with UIDs that do not change between exports."""
    icalendar = pytest.importorskip("icalendar")
    with_overdue_items(cli)
    feed = tmp_path / "desk.ics"

    code, out, _ = cli("track", "agenda", "--at", "2026-11-23T14:00:00+08:00", "--ics", str(feed))
    _, again, _ = cli("track", "agenda", "--at", "2026-11-23T14:30:00+08:00", "--ics", "-")

    events = icalendar.Calendar.from_ical(feed.read_bytes()).walk("VEVENT")
    later = icalendar.Calendar.from_ical(again).walk("VEVENT")
    assert (0, f"wrote {len(events)} event(s) to {feed}\n") == (code, out)
    assert "WS-1/major_notify_units@opinion-rules" in [str(e["UID"]) for e in events]
    assert [str(e["UID"]) for e in events] == [str(e["UID"]) for e in later]
    first = events[0]
    assert datetime(2026, 11, 23, 13, 0, tzinfo=CST) == first.decoded("DTSTART")


def test_ics_without_icalendar_is_a_clear_error(cli, monkeypatch):
    """Without the icalendar package, --ics exits 1 saying how to install it."""
    cli(*OPEN)
    monkeypatch.setitem(sys.modules, "icalendar", None)

    code, out, err = cli("track", "agenda", "--at", "2026-11-23T14:00:00+08:00", "--ics", "-")

    assert (1, "") == (code, out)
    assert "pip install 'opinion-rules[ics]'" in err


def test_quick_writes_build_the_entries_record_takes(cli, db):
    """done, event, fact and observe write one checked entry each; a repeat writes nothing."""
    cli(*OPEN)
    rec = ["--recorded-at", "2026-11-23T10:30:00+08:00"]

    done = cli("track", "done", "WS-1", "larger_report", "--at", "2026-11-23T10:20:00+08:00",
               "--by", "zhang.wei", *rec)  # fmt: skip
    again = cli("track", "done", "WS-1", "larger_report", "--at", "2026-11-23T10:20:00+08:00",
                "--by", "zhang.wei", *rec)  # fmt: skip
    fact = cli("track", "fact", "WS-1", "netizen_concern", "demand", "--by", "li.na", *rec)
    seen = cli("track", "observe", "WS-1", "clicks", "700", "--site", "a.cn", "--kind",
               "increment", "--entry-id", "m1", *rec)  # fmt: skip
    event = cli("track", "event", "WS-1", "worsening", "--json", *rec)
    wrong = cli("track", "fact", "WS-1", "needs_support", "yes", "--by", "li.na", *rec)
    no_by = cli("track", "fact", "WS-1", "needs_support", "true", *rec)

    assert 0 == done[0]
    assert "recorded  done-larger_report-" in done[1]
    assert 0 == again[0]
    assert again[1].startswith("duplicate done-larger_report-")
    assert (0, 0) == (fact[0], seen[0])
    assert 0 == event[0]
    assert json.loads(event[1])[0]["entry"].startswith("event-worsening-")
    with open_store(db) as store:
        items = [dict(e.item) for e in store.timeline("WS-1")[1:]]
    assert {"type": "action_done", "action": "larger_report", "at": "2026-11-23T10:20:00+08:00",
            "by": "zhang.wei"} == items[0]  # fmt: skip
    assert {"type": "fact", "fact": "netizen_concern", "value": "demand", "by": "li.na",
            "at": "2026-11-23T10:30:00+08:00"} == items[1]  # fmt: skip
    assert {"metric": "clicks", "value": 700, "site": "a.cn", "kind": "increment",
            "at": "2026-11-23T10:30:00+08:00"} == items[2]  # fmt: skip
    assert 2 == wrong[0]
    assert "command line event.value" in wrong[2], wrong
    assert 2 == no_by[0]
    assert "--by" in no_by[2]


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), ("1.5", 1.5), ("true", True), ("null", None), ('"12"', "12"), ("doubt", "doubt"),
     ('{"not_applicable": true}', {"not_applicable": True}), ("[1", "[1")],
)  # fmt: skip
def test_quick_values_are_json_else_text(text, value):
    """A VALUE is JSON when it parses, else the text as given."""
    from opinion_rules.cli._track_quick import parse_value

    assert value == parse_value(text)
