"""
The benchmark scripts keep running and keep printing their ratio lines.

Each script runs here in-process, at tiny sizes (no figures, a smoke test);
``compare_revisions.py`` runs on a throw-away git repository whose toy
benchmark doubles its ratio between the revision and the working tree.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, _durable_importable


BENCHMARKS = ROOT / "benchmarks"
CASCADE = ROOT.parent / "shared" / "data" / "weibo-cascades" / "Kashgar.csv"
DURABLE = _durable_importable()
DASK = importlib.util.find_spec("distributed") is not None


def ratios(text: str) -> list[str]:
    """The labels of the ratio lines in *text*, as compare_revisions reads them."""
    spec = importlib.util.spec_from_file_location(
        "compare_revisions", BENCHMARKS / "compare_revisions.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # attrs resolves the module's annotations through it
    spec.loader.exec_module(module)
    return list(module.parse_ratios(text))


def run_script(
    name: str, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """Run benchmarks/<name> as __main__ with *argv*; return what it printed (exit status 0)."""
    monkeypatch.setattr(sys, "argv", [name, *argv])
    code: object = 0
    try:
        runpy.run_path(str(BENCHMARKS / name), run_name="__main__")
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr().out
    assert 0 == code, out
    return out


CASES = [
    pytest.param(
        "bench_scaling.py",
        ["--quick"],
        [
            "fact events 10N / N",
            "distinct sites 10N / N",
            "observations 10N / N",
            "1-minute duty 10 years / 1 day",
            "load_incident 10N / N",
            "record() 50th / 10th",
        ],
        id="bench_scaling",
    ),
    pytest.param(
        "bench_real.py",
        ["--hours", "2", "--runs", "1", *([] if DURABLE else ["--no-durable"])],
        [
            "python / naive",
            *(["durable / naive", "durable / python"] if DURABLE else []),
            "record() end / at 10",
        ],
        id="bench_real",
        marks=pytest.mark.skipif(
            not CASCADE.is_file(),
            reason=f"the real cascade {CASCADE} is not next to the repository",
        ),
    ),
    pytest.param(
        "bench_evaluate.py",
        ["--incidents", "10"],
        ["python / hand-written", "durable / python", "grade-only / hand-written"],
        id="bench_evaluate",
        marks=pytest.mark.skipif(not DURABLE, reason="durable_rules does not import here"),
    ),
    pytest.param(
        "bench_agenda.py",
        ["--sizes", "4", "12", "--stale", "4", "12"],
        [
            "steady agenda large / small",
            "naive replay large / small",
            "naive replay / steady agenda",
            "stale peak memory large / small",
        ],
        id="bench_agenda",
    ),
    pytest.param(
        "bench_recurrences.py",
        ["--quick"],
        [
            f"{form}: 10 years / 1 day"
            for form in (
                "every 1m",
                "per_day 1",
                "rule MINUTELY",
                "rule 每2小时整点",
                "rule 每月1日",
                "rule MINUTELY, New York (DST)",
            )
        ],
        id="bench_recurrences",
    ),
    pytest.param(
        "bench_service.py",
        ["--clients", "2", "--requests", "3"],
        ["HTTP evaluate / in-process evaluate"],
        id="bench_service",
        marks=pytest.mark.skipif(
            not Path("/proc/self/stat").is_file(), reason="reads the server's CPU from /proc"
        ),
    ),
    pytest.param(
        "bench_backtest.py",
        ["--incidents", "40", "--cascades", "2", "--chunk-size", "10"],
        [
            "generated: 2 workers / 1 worker",
            *(["cascade: 2 workers / 1 worker"] if CASCADE.is_file() else []),
        ],
        id="bench_backtest",
        marks=pytest.mark.skipif(
            not DASK and os.environ.get("CI") != "true",
            reason="Dask is not installed (the dask extra)",
        ),
    ),
    pytest.param(
        "bench_windows.py",
        ["--base", "4"],
        [
            f"{kind} 4N / N"
            for kind in ("rolling 24h", "calendar_day", "sustained 7d", "cumulative")
        ],
        id="bench_windows",
    ),
]


@pytest.mark.parametrize(("name", "argv", "expected"), CASES)
def test_benchmark_prints_its_ratio_lines(
    name: str,
    argv: list[str],
    expected: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    """Each benchmark runs at tiny sizes and prints every ratio line it documents."""
    out = run_script(name, argv, monkeypatch, capsys)

    assert expected == ratios(out)


def test_bench_real_skips_without_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """bench_real says where the cascade should be when --data names no file, and exits 2."""
    monkeypatch.setattr(sys, "argv", ["bench_real.py", "--data", str(tmp_path / "none.csv")])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(BENCHMARKS / "bench_real.py"), run_name="__main__")

    assert 2 == exit_.value.code
    assert capsys.readouterr().out.startswith(
        f"skipped: the cascade {tmp_path / 'none.csv'} is not here"
    )


# -- compare_revisions ----------------------------------------------------------------

TOY = 'import opinion_rules\nprint("toy / base  %.1fx the time" % opinion_rules.VALUE)\n'


def git(repo: Path, *args: str) -> None:
    """Run git in *repo* with a fixed identity and date."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.cn",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.cn",
        "GIT_AUTHOR_DATE": "2026-11-23T12:00:00+08:00",
        "GIT_COMMITTER_DATE": "2026-11-23T12:00:00+08:00",
    }
    subprocess.run(
        ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def toy_repo(tmp_path: Path) -> Path:
    """A git repository with compare_revisions, a toy benchmark at ratio 1.0 committed, 2.0 in the working tree."""
    repo = tmp_path / "repo"
    (repo / "benchmarks").mkdir(parents=True)
    (repo / "src" / "opinion_rules").mkdir(parents=True)
    shutil.copy(BENCHMARKS / "compare_revisions.py", repo / "benchmarks")
    (repo / "benchmarks" / "bench_toy.py").write_text(TOY, encoding="utf-8")
    package = repo / "src" / "opinion_rules" / "__init__.py"
    package.write_text("VALUE = 1.0\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "toy")
    package.write_text("VALUE = 2.0\n", encoding="utf-8")
    return repo


def compare(repo: Path, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run the repository's compare_revisions with its own temporary folder."""
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, str(repo / "benchmarks" / "compare_revisions.py"), *argv],
        env={**os.environ, "TMPDIR": str(scratch)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_compare_revisions_shows_a_doubled_ratio_and_cleans_up(toy_repo: Path, tmp_path: Path):
    """Both sides run their own code; the doubled ratio is starred; the temporary checkout is gone."""
    result = compare(toy_repo, tmp_path, "HEAD", "bench_toy.py", "--rounds", "2")

    assert 0 == result.returncode, result.stderr
    assert "toy / base  1.00x         2.00x  x2.00 *" in result.stdout.splitlines()
    assert [] == list((tmp_path / "scratch").iterdir())


def test_compare_revisions_skips_a_revision_without_the_benchmark(toy_repo: Path, tmp_path: Path):
    """A revision that predates the benchmark is named and skipped, with exit status 0."""
    (toy_repo / "benchmarks" / "bench_new.py").write_text(TOY, encoding="utf-8")

    result = compare(toy_repo, tmp_path, "HEAD", "bench_new.py")

    assert 0 == result.returncode
    assert result.stdout.startswith("skipped: HEAD (")
    assert result.stdout.rstrip().endswith("has no benchmarks/bench_new.py; nothing to compare")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope", "bench_toy.py"], "compare_revisions: 'nope' names no commit of"),
        (
            ["HEAD", "bench_missing.py"],
            "compare_revisions: benchmarks/bench_missing.py is not in the working tree",
        ),
        (
            ["HEAD", "../bench_toy.py"],
            "compare_revisions: '../bench_toy.py' is not a .py file of benchmarks/",
        ),
    ],
)
def test_compare_revisions_refuses_a_wrong_revision_or_script(
    toy_repo: Path, tmp_path: Path, argv: list[str], message: str
):
    """A revision git cannot resolve, or a script outside benchmarks/, is exit status 2 with one line."""
    result = compare(toy_repo, tmp_path, *argv)

    assert 2 == result.returncode
    assert result.stderr.startswith(message)
