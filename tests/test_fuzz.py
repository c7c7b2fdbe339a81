"""
The fuzz suite: hostile input anywhere gives a library error or a result,
never anything else, and a refused write leaves the store as it was.

Targets: incident JSON (text and data), plan files in all three formats
(data-level and text-level mutations of the example plans), the condition
language, the command line, and the case store's record input.

A few hundred examples run in the default suite; ``FUZZ_EXAMPLES=N`` runs
N examples per target (e.g. ``FUZZ_EXAMPLES=2500 .venv/bin/python -m pytest
tests/test_fuzz.py``).  The single assertion of every test is :func:`outcome`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import time_machine
import tomli_w
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.cli._main import main
from opinion_rules.model._incident_files import parse_incident_json
from opinion_rules.planfile._loaders import read_plan_text

from .conftest import EXAMPLES, ROOT


#: Examples per target: FUZZ_EXAMPLES, else a default small enough for every run.
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))


def fuzz(default: int) -> Callable[[Any], Any]:
    return settings(
        max_examples=FUZZ_EXAMPLES or default,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def outcome(run: Callable[[], object]) -> str:
    """
    The one assertion: *run* returns (a result) or raises a library error.
    Anything else propagates and fails the test.
    """
    try:
        result = run()
    except o.OpinionRulesError as exc:
        str(exc).encode("utf-8")  # every message can be printed
        return "error"
    if isinstance(result, o.Assessment):
        json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")
    return "result"


# -- hostile values ------------------------------------------------------------------------

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "\ud800",
    "a\udfffb",
    "x" * 5000,
    "$",
    "$nope",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-23:59",
    "2026-11-23T09:00:00+25:00",
    "2026-02-30T09:00:00+08:00",
    "2026-11-23T09:00:00",
    "2026-11-23T09:00:00+08:00",
    "99999999999999999999d",
    "1e400",
    "9" * 5000,
    "((((((((((" * 30,
    "not " * 1000 + "always",
    "any(" * 1000,
    "category(_x)",
    "seen(_x)",
    "../../../../etc/passwd.yaml",
    "/dev/zero",
    "\0x.yaml",
    "Asia/" + "A" * 300,
    "clicks_1d > 1000",
]
HOSTILE_NUMBERS = [
    0,
    -1,
    1,
    2**63,
    -(2**63),
    10**100,
    10**101,
    10**4000,
    1e-300,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    True,
    False,
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from(HOSTILE_NUMBERS),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=10), st.sampled_from(HOSTILE_TEXT)), inner, max_size=4
        ),
    ),
    max_leaves=12,
)
instants = st.one_of(
    # Mostly instants around the example incident, so evaluation gets deep.
    st.datetimes(
        min_value=datetime(2026, 11, 22),  # noqa: DTZ001 - hypothesis takes naive bounds
        max_value=datetime(2026, 11, 26),  # noqa: DTZ001
        timezones=st.just(timezone(timedelta(hours=8))),
    ),
    st.datetimes(
        min_value=datetime(1, 1, 2),  # noqa: DTZ001 - hypothesis takes naive bounds
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=23, minutes=59))]
        ),
    ),
    st.sampled_from(
        [
            datetime(2026, 11, 23, 14, tzinfo=timezone(timedelta(hours=8))),
            datetime(2026, 11, 23, 14),  # noqa: DTZ001 - naive on purpose
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-23, minutes=-59))),
            datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-23, minutes=-59))),
        ]
    ),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON-like value, the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def mutated(draw: st.DrawFn, data: Any, times: int = 3) -> Any:
    """*data* (deep-copied) with a few values replaced, keys removed or keys added."""
    data = json.loads(json.dumps(data))
    for _ in range(draw(st.integers(1, times))):
        where = draw(st.sampled_from(list(paths(data))))
        action = draw(st.sampled_from(["replace", "delete", "add", "duplicate"]))
        if not where:
            data = draw(json_values) if action == "replace" else data
            continue
        parent = data
        for step in where[:-1]:
            parent = parent[step]
        last = where[-1]
        if action == "replace":
            parent[last] = draw(json_values)
        elif action == "delete":
            del parent[last]
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][draw(st.sampled_from([*HOSTILE_TEXT[:6], "extra"]))] = draw(json_values)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[last])))
    return data


# -- incident JSON -------------------------------------------------------------------------

PLAN = o.load_plan(EXAMPLES / "plans" / "work_safety.yaml")
ENGINE = o.Engine(PLAN)
INCIDENT = json.loads((EXAMPLES / "incidents" / "work_safety_upgrade.json").read_text("utf-8"))


# The phrase plan of deadlines set by people brings extensions, promises and 'due'.
PHRASES = EXAMPLES.parent / "docs" / "how-to" / "phrases"
PEOPLE_ENGINE = o.Engine(o.load_plan(PHRASES / "6-set-by-people.yaml"))
PEOPLE_INCIDENT = json.loads((PHRASES / "6-set-by-people-incident.json").read_text("utf-8"))


@st.composite
def incident_texts(draw: st.DrawFn, base: Any = INCIDENT) -> str:
    kind = draw(st.sampled_from(["mutated", "text", "deep", "raw"]))
    if kind == "mutated":
        return json.dumps(mutated(draw, base), ensure_ascii=draw(st.booleans()))
    if kind == "deep":
        depth = draw(st.integers(30, 3000))
        return draw(st.sampled_from(["[", '{"a":'])) * depth
    if kind == "raw":
        text = json.dumps(base)
        i = draw(st.integers(0, len(text)))
        return (
            text[:i]
            + draw(st.sampled_from([*HOSTILE_TEXT, '"\\ud800"', "NaN", "9" * 5000]))
            + text[i:]
        )
    return draw(st.text(max_size=200))


@fuzz(150)
@given(text=incident_texts(), at=instants)
def test_incident_json_gives_a_library_error_or_a_result(text: str, at: datetime):
    """Mutated, hostile or deeply nested incident JSON is evaluated or refused with a printable library error, never a crash."""

    def run() -> object:
        incident = o.Incident.from_dict(parse_incident_json(text, "fuzz.json"), source="fuzz.json")
        return ENGINE.evaluate(incident, at=at)

    outcome(run)


@fuzz(60)
@given(text=incident_texts(PEOPLE_INCIDENT), at=instants)
def test_extension_requests_and_promises_give_a_library_error_or_a_result(text: str, at: datetime):
    """Mutated extension requests and promises (their 'due', action, type) are evaluated or refused with a printable library error."""

    def run() -> object:
        incident = o.Incident.from_dict(parse_incident_json(text, "fuzz.json"), source="fuzz.json")
        return PEOPLE_ENGINE.evaluate(incident, at=at)

    outcome(run)


# -- scenario files ------------------------------------------------------------------------

SCENARIOS = sorted((EXAMPLES / "scenarios").glob("*.scenario.yaml"))
# As JSON data: the mutations copy through JSON (YAML's timestamps become ISO text).
SCENARIO_DATA = {
    p.name: json.loads(json.dumps(yaml.safe_load(p.read_text(encoding="utf-8")), default=str))
    for p in SCENARIOS
}


@fuzz(60)
@given(data=st.data())
def test_scenario_files_give_a_library_error_or_a_result(data: st.DataObject):
    """Mutated example scenario files are run, or refused with a printable library error."""
    from opinion_rules.authoring._scenario_checks import PlanCache, prepare, run_check
    from opinion_rules.authoring._scenarios import read_scenario

    name = data.draw(st.sampled_from(sorted(SCENARIO_DATA)))
    mutated_data = mutated(data.draw, SCENARIO_DATA[name])
    try:
        text = yaml.safe_dump(mutated_data, allow_unicode=True)
    except Exception:  # noqa: BLE001 - a value the YAML writer refuses
        return

    def run() -> object:
        with tempfile.TemporaryDirectory() as folder:
            # The example plans and incidents where the scenarios' relative paths expect them.
            for linked in ("plans", "incidents"):
                (Path(folder) / linked).symlink_to(EXAMPLES / linked)
            (Path(folder) / "scenarios").mkdir()
            path = Path(folder) / "scenarios" / name
            path.write_text(text, encoding="utf-8")
            scenario = read_scenario(path)
            engine = prepare(scenario, PlanCache())
            return [run_check(scenario, check, engine) for check in scenario.checks]

    outcome(run)


# -- plan files ----------------------------------------------------------------------------

PLAN_FILES = [*sorted((EXAMPLES / "plans").glob("*.yaml")), PHRASES / "6-set-by-people.yaml"]
PLAN_DATA = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in PLAN_FILES}


def write(data: Any, fmt: str) -> str | None:
    """*data* in *fmt*, or None where the format cannot hold it (TOML has no null)."""
    try:
        if fmt == "json":
            return json.dumps(data, ensure_ascii=False, default=str)
        if fmt == "yaml":
            return yaml.safe_dump(data, allow_unicode=True)
        return tomli_w.dumps(data)
    except Exception:  # noqa: BLE001 - a serializer refusing the mutated data
        return None


@st.composite
def plan_texts(draw: st.DrawFn) -> tuple[str, str]:
    fmt = draw(st.sampled_from(["yaml", "json", "toml"]))
    name = draw(st.sampled_from(sorted(PLAN_DATA)))
    data = PLAN_DATA[name]
    kind = draw(st.sampled_from(["data", "text", "hostile"]))
    if kind == "data":
        text = write(mutated(draw, data), fmt)
        if text is not None:
            return text, fmt
    text = write(data, fmt) or write(data, "json") or ""
    if kind == "hostile":
        # A hostile value where a plan file has text: conditions, ids, periods, zones.
        key = draw(
            st.sampled_from(["criteria", "condition", "within", "timezone", "id", "extends"])
        )
        value = draw(st.sampled_from(HOSTILE_TEXT))
        at = text.find(key)
        if at >= 0:
            end = text.find("\n", at)
            quoted = json.dumps(value)
            separator = " = " if fmt == "toml" else ": "
            text = text[:at] + key + separator + quoted + text[end if end >= 0 else len(text) :]
        return text, fmt
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 20)))
        text = text[:i] + draw(st.text(max_size=8) | st.sampled_from(HOSTILE_TEXT[:20])) + text[j:]
    return text, fmt


@fuzz(150)
@given(case=plan_texts())
def test_plan_files_give_a_library_error_or_a_plan(case: tuple[str, str]):
    """Mutated example plans in YAML, JSON and TOML load, lint and evaluate or are refused with a printable library error."""
    text, fmt = case

    def run() -> object:
        plan = read_plan_text(text, fmt, f"fuzz.{fmt}")
        o.lint_plan(plan)
        return (
            o.Engine(plan).evaluate(
                o.Incident.from_dict(INCIDENT), at=datetime(2026, 11, 23, 14, tzinfo=UTC)
            )
            if not plan.parameters
            else plan
        )

    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        outcome(run)


CONDITION_WORDS = [
    "clicks_1d",
    "reposts_1d",
    "grade",
    "serious",
    "and",
    "or",
    "not",
    "in",
    "always",
    "seen",
    "category",
    "any",
    "all",
    "(",
    ")",
    "[",
    "]",
    ",",
    ">",
    ">=",
    "<",
    "<=",
    "==",
    "!=",
    "=",
    "1000",
    "-1",
    "1e400",
    "9" * 5000,
    "0.5",
    '"text"',
    "'x'",
    "$p",
    "true",
    "false",
    "major",
    "_x",
    "\ud800",
    "(" * 60,
    "not " * 60,
]
CONDITION_PLAN = (ROOT / "docs" / "how-to" / "reply_demo.yaml").read_text(encoding="utf-8")


@fuzz(150)
@given(words=st.lists(st.sampled_from(CONDITION_WORDS), min_size=1, max_size=30))
def test_the_condition_language_gives_a_library_error_or_a_plan(words: list[str]):
    """Any string of condition-language words either reads as a plan or is refused with a library error."""
    condition = " ".join(words)
    text = CONDITION_PLAN.replace(
        "condition: category(inquiry)", f"condition: {json.dumps(condition)}"
    )

    outcome(lambda: read_plan_text(text, "yaml", "fuzz.yaml"))


# -- the command line ----------------------------------------------------------------------

CLI_VALUES = [
    str(EXAMPLES / "plans" / "work_safety.yaml"),
    str(EXAMPLES / "incidents" / "work_safety_upgrade.json"),
    str(ROOT / "examples" / "calendars" / "china-2026.yaml"),
    "2026-11-23T14:00:00+08:00",
    "24h",
    "99999999999w",
    "fever_threshold=37.3",
    "x=\ud800",
    "missing.yaml",
    "cases.db",
    *HOSTILE_TEXT,
]
CLI_OPTIONS = [
    "--json",
    "--at",
    "--known-at",
    "--horizon",
    "--param",
    "--backend",
    "--format",
    "--lang",
    "--calendar-year",
    "--today",
    "--store",
    "--id",
    "--discovered-at",
    "--recorded-at",
    "--by",
    "--facts",
    "--since",
    "--until",
    "--create",
    "--allow-dir",
]
WS_PLAN = str(EXAMPLES / "plans" / "work_safety.yaml")
WS_INCIDENT = str(EXAMPLES / "incidents" / "work_safety_upgrade.json")
AT = "2026-11-23T14:00:00+08:00"
WS_REVISION = str(EXAMPLES / "revisions" / "work_safety_2025.yaml")
#: One valid command line per command; the fuzzer drops, replaces and adds words.
COMMANDS = [
    ["evaluate", WS_PLAN, WS_INCIDENT, "--at", AT],
    ["check", WS_PLAN, "--today", "2026-12-06"],
    ["render", WS_PLAN, "--format", "html"],
    ["track", "open", WS_PLAN, "--id", "I-1", "--discovered-at", AT, "--create"],
    ["track", "--store", "cases.db", "record", "I-1", "--recorded-at", AT],
    ["track", "show", "I-1", "--at", AT, "--json"],
    ["track", "timeline", "I-1"],
    ["track", "agenda", "--at", AT, "--horizon", "24h"],
    ["track", "audit", "--since", AT],
    ["diff", WS_PLAN, WS_REVISION, "--json", "--exit-code"],
]


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    argv = list(draw(st.sampled_from(COMMANDS)))
    words = st.sampled_from(CLI_VALUES) | st.sampled_from(CLI_OPTIONS) | st.text(max_size=10)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(1, len(argv)))
        match draw(st.sampled_from(["drop", "replace", "insert"])):
            case "drop" if i < len(argv):
                del argv[i]
            case "replace" if i < len(argv):
                argv[i] = draw(words)
            case _:
                argv.insert(i, draw(words))
    # Never a PostgreSQL URL (no server here) and never a store outside the folder.
    return [
        a
        for a in argv
        if ("postgres" not in a and not a.startswith("/"))
        or a in (WS_PLAN, WS_INCIDENT, WS_REVISION)
    ]


@fuzz(100)
@given(argv=argvs(), stdin=st.sampled_from(['{"id": "e1", "event": {}}', "", "[" * 5000, "\ud800"]))
def test_the_command_line_never_raises(argv: list[str], stdin: str):
    """Mutated command lines for every command exit 0-3 without a traceback, and a failure always says something."""
    out, err = io.StringIO(), io.StringIO()

    def run() -> int:
        with (
            tempfile.TemporaryDirectory() as folder,
            contextlib.chdir(folder),
            time_machine.travel(datetime(2026, 11, 23, 14, tzinfo=UTC), tick=False),
            contextlib.redirect_stdout(io.StringIO()),
            pytest.MonkeyPatch.context() as patch,
        ):
            patch.setattr("sys.stdin", io.StringIO(stdin))
            return main(argv, stdout=out, stderr=err)

    code = run()

    assert code in (0, 1, 2, 3)
    assert "Traceback" not in err.getvalue()
    assert code == 0 or err.getvalue() or out.getvalue()  # check reports on stdout


@fuzz(40)
@given(
    lines=st.lists(incident_texts(), min_size=1, max_size=3), at=st.sampled_from(["closing", AT])
)
def test_backtest_sources_never_raise(lines: list[str], at: str):
    """Mutated or hostile JSON Lines to back-test are compared or skipped with a located warning, never a traceback."""
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "past.jsonl"
        source.write_text(
            "\n".join(line.replace("\n", " ") for line in lines), "utf-8", "surrogatepass"
        )
        argv = ["backtest", "--old", WS_PLAN, "--new", WS_REVISION, "--incidents", str(source)]
        code = main([*argv, "--at", at, "--workers", "1"], stdout=out, stderr=err)

    assert code in (0, 2)
    assert "Traceback" not in err.getvalue()
    problems = [line for line in err.getvalue().splitlines() if "skipped" in line]
    assert (code == 2) == bool(problems)
    assert all(f"{source}:" in line or "more incidents" in line for line in problems)


# -- the case store ------------------------------------------------------------------------

ENTRY = {
    "id": "e",
    "observation": {"at": "2026-11-23T10:00:00+08:00", "metric": "clicks", "value": 5},
}
EVENT = {"id": "v", "event": {"at": "2026-11-23T10:00:00+08:00", "type": "subsided", "note": "ok"}}


@pytest.fixture(scope="module")
def store_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[o.CaseStore, str]]:
    path = tmp_path_factory.mktemp("fuzz") / "cases.db"
    with o.open_store(path) as store:
        key = store.add_plan(PLAN)
        store.open_incident(
            "F-1",
            key,
            discovered_at=datetime(2026, 11, 23, 9, tzinfo=UTC),
            entry_id="open",
            recorded_at=datetime(2026, 11, 23, 9, tzinfo=UTC),
            recorded_by="fuzz",
        )
        yield store, "F-1"


@st.composite
def batches(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["mutated", "values", "mixed"]))
    if kind == "values":
        return draw(json_values)
    entries = [
        mutated(draw, draw(st.sampled_from([ENTRY, EVENT])), 2)
        for _ in range(draw(st.integers(1, 3)))
    ]
    if kind == "mixed":
        entries.append(draw(json_values))
    return entries


@fuzz(100)
@example(  # found by this test: a message naming the key could not be printed
    batch=[ENTRY, {"\ud800": None}],
    recorded_at=datetime(2026, 11, 23, 14, tzinfo=timezone(timedelta(hours=8))),
    by="fuzz",
)
@given(
    batch=batches(),
    recorded_at=instants,
    by=st.sampled_from(["fuzz", "", "\ud800", "x" * 5000, None]),
)
def test_store_record_refuses_cleanly_and_changes_nothing(store_case, batch, recorded_at, by):
    """A hostile batch given to CaseStore.record is recorded or refused with a library error that leaves the store unchanged."""
    store, incident = store_case
    before = [e.to_dict() for e in store.timeline(incident)]
    ids = store.incident_ids()

    result = outcome(
        lambda: store.record(incident, batch, recorded_at=recorded_at, recorded_by=by)  # type: ignore[arg-type]
    )

    if result == "error":
        assert (before, ids) == (
            [e.to_dict() for e in store.timeline(incident)],
            store.incident_ids(),
        )


def test_the_fuzz_targets_accept_valid_input():
    """Each target's base input is valid, so mutations start from something real."""
    assert "result" == outcome(
        lambda: ENGINE.evaluate(
            o.Incident.from_dict(INCIDENT), at=datetime(2026, 11, 23, 14, tzinfo=UTC)
        )
    )
    for name, data in PLAN_DATA.items():
        for fmt in ("yaml", "json", "toml"):
            text = write(data, fmt)
            assert text is not None, (name, fmt)
            assert isinstance(read_plan_text(text, fmt, f"x.{fmt}"), o.Plan)
    assert tomllib.loads(write(PLAN_DATA["work_safety.yaml"], "toml") or "")
