"""
Back-testing a plan revision on past incidents: the sources, bad incidents
with their locations, the grouping by plan change, the runners agreeing,
bounded reading, the report and the command line.
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules
from opinion_rules.backtest import (
    BacktestJob,
    Case,
    LocalRunner,
    _runners,
    backtest,
    chunked,
    compare_chunk,
    dask_runner,
    read_folder,
    read_jsonl,
    read_store,
    render_report,
    source_kind,
)
from opinion_rules.cli._backtest import _Progress
from opinion_rules.cli._main import main
from opinion_rules.exceptions import BacktestError
from opinion_rules.store import open_store

from .conftest import EXAMPLES
from .store_fixtures import fixture_pg_server, fixture_store_target  # noqa: F401 - fixtures


OLD_PATH = EXAMPLES / "plans" / "work_safety.yaml"
NEW_PATH = EXAMPLES / "revisions" / "work_safety_2025.yaml"
PAST = EXAMPLES / "revisions" / "past-incidents.jsonl"
OLD = opinion_rules.load_plan(OLD_PATH)
NEW = opinion_rules.load_plan(NEW_PATH)
#: The revision's changes, as indexes into diff_plans(OLD, NEW).changes.
CRITERIA, DEADLINE = 1, 3
#: What the bundled past incidents show: the ids each change accounts for.
EXPECTED_GROUPS = {
    (CRITERIA,): ["WS-2024-031", "WS-2025-003"],
    (DEADLINE,): ["WS-2024-044", "WS-2024-058"],
}


def groups(report: opinion_rules.backtest.BacktestReport) -> dict[tuple[int, ...], list[str]]:
    return {g.changes: [e.incident_id for e in g.examples] for g in report.groups}


def lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in PAST.read_text(encoding="utf-8").splitlines()]


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# -- sources and grouping ------------------------------------------------------------


def test_the_bundled_revision_groups_incidents_by_the_change_responsible():
    """The 80-repost threshold accounts for the upgraded incidents, the 2-hour deadline for the due times."""
    report = backtest(OLD, NEW, read_jsonl(PAST))

    assert (6, 6, 4, 0) == (report.cases, report.compared, report.differing, report.skipped)
    assert "criteria" == report.diff.changes[CRITERIA].field
    assert "deadline" == report.diff.changes[DEADLINE].field
    assert EXPECTED_GROUPS == groups(report)
    assert {("general", "larger", 1), ("", "larger", 1), ("larger", "larger", 2)} <= set(
        report.grade_pairs
    )
    late = next(e for e in report.groups[1].examples if e.incident_id == "WS-2024-058")
    assert [
        ("due", "larger_report", None, "2024-07-11T10:30:00+08:00"),
        ("status", "larger_report", "done", "done_late"),
    ] == [(d.aspect, d.item, d.old, d.new) for d in late.differences]
    assert f"{PAST}:3" == late.where


def test_a_folder_gives_what_json_lines_give(tmp_path: Path):
    """A folder of incident files (in subfolders too) is read in path order, each located by its file."""
    for n, data in enumerate(lines()):
        folder = tmp_path / str(2024 + n // 3)
        folder.mkdir(exist_ok=True)
        (folder / f"{n}.json").write_text(json.dumps(data), encoding="utf-8")

    report = backtest(OLD, NEW, read_folder(tmp_path))

    assert EXPECTED_GROUPS == groups(report)
    assert str(tmp_path / "2024" / "0.json") == report.groups[0].examples[0].where
    assert ("folder", str(tmp_path)) == source_kind(tmp_path)


def _stored(path: Path | str) -> None:
    with open_store(path) as store:
        key = store.add_plan(OLD)
        for data in lines():
            found = datetime.fromisoformat(data["discovered_at"])
            store.open_incident(
                data["id"],
                key,
                discovered_at=found,
                facts=data["facts"],
                entry_id="open",
                recorded_at=found,
                recorded_by="test",
            )
            items = [("observation", o) for o in data["observations"]]
            items += [("event", e) for e in data["events"]]
            for n, (kind, item) in enumerate(sorted(items, key=lambda i: i[1]["at"])):
                recorded = datetime.fromisoformat(item["at"]) + timedelta(minutes=5)
                store.record(
                    data["id"],
                    [{"id": f"e{n}", kind: item}],
                    recorded_at=max(recorded, found),
                    recorded_by="test",
                )


def test_a_store_replays_each_log_as_of_the_instant(
    tmp_path: Path, store_target: Callable[[], str]
):
    """A store's incidents (SQLite, PostgreSQL) are rebuilt from their logs: whole at closing, as recorded by each listed instant."""
    path = store_target()
    postgres = path.startswith("postgresql:")
    _stored(path)
    early = datetime.fromisoformat("2024-03-05T15:02:00+08:00")  # 90 reposts not recorded yet
    late = datetime.fromisoformat("2024-03-05T15:10:00+08:00")

    with open_store(path, create=False) as store:
        closing = backtest(OLD, NEW, read_store(store))
        listed = backtest(OLD, NEW, read_store(store, (early, late)), at=(early, late))

    assert EXPECTED_GROUPS == groups(closing)
    assert "store:WS-2024-031" == closing.groups[0].examples[0].where
    # At both instants only WS-2024-031 (opened 2024-03-05) exists; at the early one
    # its 90 reposts were not yet recorded.
    assert (1, 2, 1) == (listed.cases, listed.compared, listed.differing)
    assert late == listed.groups[0].examples[0].at
    assert ("store", path) == source_kind(path)
    source = path if postgres else f"sqlite:{path}"
    assert ("store", path) == source_kind(source)
    code, out, err = run(
        *("backtest", "--old", str(OLD_PATH), "--new", str(NEW_PATH), "--workers", "1"),
        *("--incidents", source, "--at", f"{early.isoformat()},{late.isoformat()}"),
        *("--jsonl", str(tmp_path / "d.jsonl")),
    )
    assert (0, "1 incident, 2 comparisons, 1 differs, 0 skipped\n", "") == (
        code,
        out.splitlines(keepends=True)[0],
        err,
    )


# -- bad input -----------------------------------------------------------------------


def test_bad_incidents_are_skipped_with_their_location(tmp_path: Path):
    """Each bad line is reported as file:line (and column for JSON), counted, and the others are compared."""
    good = PAST.read_text(encoding="utf-8").splitlines()
    unknown_metric = {**lines()[0], "id": "X-3"}
    unknown_metric["observations"] = [{**unknown_metric["observations"][0], "metric": "likes"}]
    source = tmp_path / "past.jsonl"
    source.write_text(
        "\n".join(
            [
                good[0],
                '{"id": "X-2", "discovered_at": ',
                json.dumps(unknown_metric),
                "",
                '{"id": "X-5"}',
                good[1],
            ]
        )
        + "\n",
        encoding="utf-8",
    )

    report = backtest(OLD, NEW, read_jsonl(source))

    assert (6 - 1 - 3, 3) == (report.compared, report.skipped)
    assert [f"{source}:2:32", f"{source}:3", f"{source}:5"] == [
        s.where for s in report.skipped_examples
    ]
    assert all(s.message.startswith(s.where) for s in report.skipped_examples)
    assert "not valid JSON" in report.skipped_examples[0].message
    assert "likes" in report.skipped_examples[1].message
    assert "discovered_at" in report.skipped_examples[2].message


def test_bad_options_are_library_errors():
    """A wrong instant, runner option or source is a BacktestError."""
    with pytest.raises(BacktestError, match="timezone-aware"):
        backtest(OLD, NEW, [], at=(datetime(2024, 1, 1),))  # noqa: DTZ001 - the mistake tested
    with pytest.raises(BacktestError, match="workers must be a positive integer"):
        LocalRunner(0)
    with pytest.raises(BacktestError, match="no such file or folder"):
        source_kind("/nonexistent/past.jsonl")
    with pytest.raises(BacktestError, match="chunk size"):
        list(chunked([], 0))


def test_a_missing_dask_runner_or_dask_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Without the Dask runner module, or without dask itself, the error says so and names the extra."""
    monkeypatch.setattr(_runners, "DASK_MODULE", "backtest_runner_absent")
    with pytest.raises(BacktestError, match="no Dask runner"):
        dask_runner("tcp://127.0.0.1:8786")

    (tmp_path / "backtest_runner_needing_dask.py").write_text(
        "import dask_not_installed_here\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_runners, "DASK_MODULE", "backtest_runner_needing_dask")
    with pytest.raises(BacktestError, match=r"pip install 'opinion-rules\[dask\]'"):
        dask_runner("tcp://127.0.0.1:8786")


# -- runners, pickling, bounded memory -------------------------------------------------


def test_two_local_processes_give_the_serial_results():
    """LocalRunner with 2 worker processes gives exactly the serial report, in source order."""
    rows: list[str] = []
    serial = backtest(OLD, NEW, read_jsonl(PAST), chunk_size=2)
    local = backtest(
        OLD,
        NEW,
        read_jsonl(PAST),
        runner=LocalRunner(2, in_flight=2),
        chunk_size=2,
        on_differing=lambda row: rows.append(row.incident_id),
    )

    same = ("diff", "at", "cases", "compared", "differing", "groups", "aspects", "grade_pairs")
    assert [getattr(serial, k) for k in same] == [getattr(local, k) for k in same]
    assert ["WS-2024-031", "WS-2024-044", "WS-2024-058", "WS-2025-003"] == rows
    assert "SerialRunner()" == serial.runner
    assert "LocalRunner(workers=2, in_flight=2)" == local.runner


def test_jobs_cases_and_results_pickle():
    """The job (with its plans), a chunk of incidents and its result survive pickling."""
    job = BacktestJob(OLD, NEW)
    chunk = next(chunked([Case("x", opinion_rules.Incident.from_dict(lines()[0]))]))
    result = compare_chunk(job, chunk)

    assert job == pickle.loads(pickle.dumps(job))  # noqa: S301 - our own
    assert job.key == pickle.loads(pickle.dumps(job)).key  # noqa: S301 - our own
    assert chunk == pickle.loads(pickle.dumps(chunk))  # noqa: S301 - our own
    assert result == pickle.loads(pickle.dumps(result))  # noqa: S301 - our own
    assert (1, 1) == (result.compared, len(result.differing))


def test_a_generator_of_incidents_is_never_held_whole():
    """The cases are pulled a chunk at a time, as the comparison goes: never all 500 up front."""
    pulled = 0
    seen: list[tuple[int, int]] = []
    base = lines()[3]  # nothing differs: general under both

    def generate() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for n in range(500):
            pulled += 1
            yield {**base, "id": f"G-{n}"}

    report = backtest(
        OLD, NEW, generate(), chunk_size=25, progress=lambda done: seen.append((pulled, done))
    )

    assert (500, 0) == (report.compared, report.differing)
    assert (25, 25) == seen[0]
    assert all(p - d <= 25 for p, d in seen)


# -- semantics -------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 700), min_size=1, max_size=15))
def test_the_differing_incidents_are_those_between_the_thresholds(reposts: list[int]):
    """An inquiry differs exactly when 80 < reposts <= 100 (upgraded) or <= 300 (larger: the 2-hour report)."""
    base = lines()[3]
    incidents = [
        {**base, "id": f"R-{n}", "observations": [{**base["observations"][0], "value": r}]}
        for n, r in enumerate(reposts)
    ]

    report = backtest(OLD, NEW, incidents, examples=len(reposts))

    upgraded = {f"R-{n}" for n, r in enumerate(reposts) if 80 < r <= 100}
    timed = {f"R-{n}" for n, r in enumerate(reposts) if 100 < r <= 300}
    found = {g.changes: {e.incident_id for e in g.examples} for g in report.groups}
    assert ({(CRITERIA,): upgraded} if upgraded else {}) == {
        k: v for k, v in found.items() if k == (CRITERIA,)
    }
    assert timed == found.get((DEADLINE,), set())
    assert len(upgraded) + len(timed) == report.differing


def test_an_owner_change_is_grouped_under_it():
    """Changing an action's owners makes an owners difference, put under that change."""
    actions = tuple(
        attrs.evolve(a, owners=("personnel_dept",)) if a.id == "larger_report" else a
        for a in OLD.actions
    )
    revised = attrs.evolve(OLD, actions=actions)

    report = backtest(OLD, revised, read_jsonl(PAST))

    [group] = report.groups
    change = report.diff.changes[group.changes[0]]
    assert ("larger_report", "owners") == (change.item, change.field)
    assert [("owners", "larger_report", "opinion_office", "personnel_dept")] == [
        (d.aspect, d.item, d.old, d.new) for d in group.examples[0].differences
    ]


# -- report and command line -------------------------------------------------------------


def test_the_html_report_is_one_page_with_a_chart():
    """The HTML report is self-contained: an inline SVG chart, the shift table, no external resource."""
    page = render_report(backtest(OLD, NEW, read_jsonl(PAST)), "html", "en")

    assert page.startswith("<!DOCTYPE html>")
    assert 1 == page.count("<svg")
    assert "How grades shift" in page
    assert "src=" not in page
    assert "href=" not in page


def test_the_command_writes_the_reports(tmp_path: Path):
    """--out writes the Markdown and HTML reports and the JSON Lines of every differing incident."""
    code, out, err = run(
        *("backtest", "--old", str(OLD_PATH), "--new", str(NEW_PATH)),
        *("--incidents", str(PAST), "--out", str(tmp_path / "out"), "--workers", "1"),
    )

    assert (0, "") == (code, err)
    assert out.startswith("6 incidents, 6 comparisons, 4 differ, 0 skipped\n")
    rows = (tmp_path / "out" / "differing.jsonl").read_text(encoding="utf-8").splitlines()
    assert ["WS-2024-031", "WS-2024-044", "WS-2024-058", "WS-2025-003"] == [
        json.loads(r)["incident"] for r in rows
    ]
    assert "## 按变化分组" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert [] == list((tmp_path / "out").glob(".*"))  # no partial file left


def test_the_command_exit_codes(tmp_path: Path):
    """0 by default, 1 with --exit-code when outcomes differ, 2 for bad incidents (named) or a bad source."""
    common = ("backtest", "--old", str(OLD_PATH), "--new", str(NEW_PATH), "--workers", "1")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(PAST.read_text(encoding="utf-8") + "{oops\n", encoding="utf-8")

    printed = run(*common, "--incidents", str(PAST), "--lang", "en")
    differs = run(*common, "--incidents", str(PAST), "--exit-code")
    skipped = run(*common, "--incidents", str(bad), "--jsonl", str(tmp_path / "d.jsonl"))
    missing = run(*common, "--incidents", str(tmp_path / "none.jsonl"))
    naive = run(*common, "--incidents", str(PAST), "--at", "2024-03-05T12:00")

    assert (0, "# Back-test report: work-safety 2023-1 → 2025-1") == (
        printed[0],
        printed[1].splitlines()[0],
    )
    assert 1 == differs[0]
    assert 2 == skipped[0]
    assert skipped[2].startswith(f"opinion-rules: warning: skipped {bad}:7:2: not valid JSON")
    assert (2, f"opinion-rules: error: {tmp_path / 'none.jsonl'}: no such file or folder\n") == (
        missing[0],
        missing[2],
    )
    assert (2, True) == (naive[0], "no UTC offset" in naive[2])


def test_the_progress_bar_shows_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch):
    """A terminal gets a bar (plain under NO_COLOR); a pipe gets nothing."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def four() -> int:
        return 4

    shown, plain, piped = Terminal(), Terminal(), io.StringIO()
    _Progress(shown, four).update(2)
    monkeypatch.setenv("NO_COLOR", "1")
    bar = _Progress(plain, four)
    bar.update(2)
    bar.close()
    _Progress(piped, four).update(2)

    assert "\033[32m" in shown.getvalue()
    assert f"\r[{'#' * 15}{'-' * 15}] 2/4 incidents\n" == plain.getvalue()
    assert "" == piped.getvalue()


def test_python_dash_m_does_not_run_again_in_spawned_workers():
    """`python -m opinion_rules` guards its entry, so spawned workers importing it do not run the CLI."""
    source = (Path(opinion_rules.__file__).parent / "__main__.py").read_text(encoding="utf-8")

    assert 'if __name__ == "__main__":\n    raise SystemExit(main())' in source


def test_unrelated_plans_are_compared_with_a_warning():
    """Two plans of different ids: one warning line, a title naming both, no traceback."""
    other = str(EXAMPLES / "plans" / "civil_affairs.yaml")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "backtest",
            "--old",
            str(OLD_PATH),
            "--new",
            other,
            "--incidents",
            str(PAST),
            "--workers",
            "1",
            "--lang",
            "en",
        ],
        stdout=out,
        stderr=err,
    )
    assert 2 == code  # the incidents do not fit the other plan: skipped, located
    assert out.getvalue().startswith(
        "# Back-test report: work-safety 2023-1 → civil-affairs 2022-1\n"
    )
    warning = f"opinion-rules: warning: {other} is plan 'civil-affairs', not a version of 'work-safety': compared anyway"
    assert warning == err.getvalue().splitlines()[0]


def test_a_source_without_incidents_is_said_so(tmp_path: Path):
    """An empty folder compares nothing and says so on standard error, exit 0."""
    out, err = io.StringIO(), io.StringIO()
    args = ["backtest", "--old", str(OLD_PATH), "--new", str(NEW_PATH), "--incidents"]
    code = main([*args, str(tmp_path), "--workers", "1"], stdout=out, stderr=err)
    expected = f"opinion-rules: warning: {tmp_path}: no incidents found; nothing was compared\n"
    assert (0, expected) == (code, err.getvalue())
