"""
What a new user hits in the first hour: a closed pipe, the version, an
instant before the discovery, instants out of range, hostile incident files.
Each is a one-line library error (exit 2) or a quiet success, never a
traceback.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import opinion_rules as o
from opinion_rules.cli._main import main

from .conftest import EXAMPLES, ROOT


PLAN = str(EXAMPLES / "plans" / "work_safety.yaml")
INCIDENT = str(EXAMPLES / "incidents" / "work_safety_upgrade.json")
AT = "2026-11-23T14:00:00+08:00"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


class ClosedPipe(io.StringIO):
    """A standard output whose reader has gone away."""

    def write(self, _text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """`--json | head`: no traceback, exit 0."""
    err = io.StringIO()

    code = main(["evaluate", PLAN, INCIDENT, "--at", AT, "--json"], stdout=ClosedPipe(), stderr=err)

    assert (0, "") == (code, err.getvalue())


def test_a_closed_pipe_in_a_real_process_prints_nothing_on_stderr():
    """The same through a real pipe closed before the command writes: nothing on stderr, exit 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "opinion_rules", "render", PLAN, "--format", "html"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # long before the interpreter has imported anything

    _, stderr = process.communicate(timeout=60)

    assert (0, b"") == (process.returncode, stderr)


def test_version_is_the_one_in_the_changelog():
    """--version, the package and the newest CHANGELOG entry say the same version."""
    code, out, _ = run("--version")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = re.search(r"^## \[?(\d+\.\d+\.\d+)", changelog, re.MULTILINE)

    assert 0 == code
    assert newest is not None
    assert f"opinion-rules {o.__version__}\n" == out
    assert newest.group(1) == o.__version__


def test_an_instant_before_the_discovery_says_so():
    """--at before discovered_at: the report says the incident was not yet discovered."""
    code, out, _ = run("evaluate", PLAN, INCIDENT, "--at", "2026-11-23T07:00:00+08:00")

    assert 0 == code
    assert "(no action applies)" not in out
    assert (
        "(not yet discovered: the incident was discovered at 2026-11-23T09:00:00+08:00, after "
        "the evaluation instant; nothing applies before then)"
    ) in out


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00+08:00",
        "0001-01-01T00:00:00-23:59",
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:59:59+00:00",
        "1899-12-31T23:59:59+00:00",
        "3000-01-01T00:00:00+00:00",
    ],
)
def test_instants_outside_the_supported_range_are_bad_input(at):
    """Near year 1 or 9999, or with extreme offsets: one line, exit 2."""
    code, out, err = run("evaluate", PLAN, INCIDENT, "--at", at, "--json")

    assert (2, "") == (code, out)
    assert err.startswith("opinion-rules: error: --at: ")
    assert "from 1900 up to 3000" in err
    assert 1 == err.count("\n")


def test_evaluate_words_an_out_of_range_at_as_track_does():
    """evaluate and track read --at alike: the range is the one thing expected."""
    code, _, err = run("evaluate", PLAN, INCIDENT, "--at", "0001-01-01T00:00:00+00:00")

    assert 2 == code
    assert (
        "opinion-rules: error: --at: is outside the supported range: expected an instant from "
        "1900 up to 3000 (UTC) (got '0001-01-01T00:00:00+00:00')\n"
    ) == err


def test_evaluate_refuses_an_instant_outside_the_range_in_python():
    """The Python API refuses it too, before any arithmetic can overflow."""
    from datetime import UTC, datetime

    engine = o.Engine(o.load_plan(PLAN))
    incident = o.load_incident(INCIDENT)

    with pytest.raises(o.FactError, match="from 1900 up to 3000"):
        engine.evaluate(incident, at=datetime(9999, 12, 31, 23, tzinfo=UTC))


INCIDENT_HEAD = '{"id": "x", "discovered_at": "2026-11-23T09:00:00+08:00"'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[" * 1000, r"i\.json:1:65: JSON nested deeper than 64 levels", id="[×1000"),
        pytest.param(
            INCIDENT_HEAD + ', "facts": {"a": ' + "[" * 200 + "]" * 200 + "}}",
            "JSON nested deeper than 64 levels",
            id="deep fact",
        ),
        pytest.param(
            '{"id": "\\ud800", "discovered_at": "2026-11-23T09:00:00+08:00"}',
            r"id: holds a lone surrogate",
            id="surrogate id",
        ),
        pytest.param(
            INCIDENT_HEAD + ', "observations": [{"at": "2026-11-23T09:00:00+08:00", '
            '"metric": "clicks", "value": 1, "site": "\\udc00"}]}',
            r"observations\[0\]\.site: holds a lone surrogate",
            id="surrogate site",
        ),
        pytest.param(
            INCIDENT_HEAD + ', "events": [{"at": "2026-11-23T09:00:00+08:00", '
            '"type": "subsided", "note": "\\ud800"}]}',
            r"events\[0\]\.note: holds a lone surrogate",
            id="surrogate note",
        ),
        pytest.param(
            '{"id": "x", "discovered_at": "0001-01-01T00:00:00+08:00"}',
            "discovered_at: is outside the supported range",
            id="year 1",
        ),
        pytest.param(
            '{"id": "x", "discovered_at": "9999-12-31T23:59:00-08:00"}',
            "discovered_at: is outside the supported range",
            id="year 9999",
        ),
        pytest.param(
            INCIDENT_HEAD + ', "observations": [{"at": "2026-11-23T09:00:00+08:00", '
            '"metric": "clicks", "value": ' + "9" * 5000 + "}]}",
            r"i\.json:1:141: a number literal is longer than 100 characters",
            id="5000 digits",
        ),
        pytest.param(
            INCIDENT_HEAD + ', "observations": [{"at": "2026-11-23T09:00:00+08:00", '
            '"metric": "clicks", "value": 1e101}]}',
            r"observations\[0\]\.value: is larger than the largest supported number",
            id="1e101",
        ),
        pytest.param(
            INCIDENT_HEAD + ', "facts": {"\\ud800": 1}}',
            r"facts\.\\ud800: is not an identifier",
            id="surrogate fact name",
        ),
    ],
)
def test_hostile_incident_files_are_located_errors(tmp_path, text, message):
    """Each is one located line on stderr and exit 2, never a Python exception."""
    path = tmp_path / "i.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")

    code, out, err = run("evaluate", PLAN, str(path), "--at", AT)

    assert (2, "") == (code, out)
    assert re.search(message, err), err
    assert 1 == err.count("\n")


def test_an_incident_path_that_is_not_a_file_is_refused(tmp_path):
    """A folder (or a FIFO, which would block) is not read."""
    code, _, err = run("evaluate", PLAN, str(tmp_path), "--at", AT)

    assert 2 == code
    assert "is a folder, not a regular file; expected an incident file" in err


def test_deeply_nested_python_data_is_refused_without_recursion():
    """Incident.from_dict with a fact nested 100,000 deep: a FactError, not a RecursionError."""
    value: list[object] = []
    for _ in range(100_000):
        value = [value]

    with pytest.raises(o.FactError, match="nested too deeply to show"):
        o.Incident.from_dict(
            {"id": "x", "discovered_at": "2026-11-23T09:00:00+08:00", "facts": {"a": value}}
        )


def test_an_assessment_at_the_last_supported_instant_renders_as_json():
    """to_dict never overflows: at the edge of the range every instant still converts."""
    from datetime import datetime

    result = o.Engine(o.load_plan(PLAN)).evaluate(
        o.load_incident(INCIDENT), at=datetime.fromisoformat("2999-12-31T23:59:59+00:00")
    )

    data = json.loads(json.dumps(result.to_dict()))
    assert "3000-01-01T07:59:59+08:00" == data["at"]
    assert "major" == data["grade"]["id"]


def test_the_docs_list_every_exit_code_and_the_track_command():
    """docs/reference/cli.md documents exit code 1 and shows track in the synopsis."""
    text = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")

    assert "{evaluate,check,render,track,test,serve,timeline}" in text
    assert re.search(r"^\| `1` \|", text, re.MULTILINE)


def test_examples_are_unaffected(tmp_path: Path):
    """The bundled example still evaluates (guards the limits against being too tight)."""
    code, out, err = run("evaluate", PLAN, INCIDENT, "--at", AT)

    assert (0, "") == (code, err)
    assert "重大网络舆情" in out
