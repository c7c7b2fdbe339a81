"""
``opinion-rules backtest``: what a plan revision would have changed on past
incidents.

Exit codes: 0 every incident was compared (whether or not outcomes differ;
with ``--exit-code``, 1 when some outcome differs); 1 the case store cannot
be opened; 2 bad input: a plan, an option or the source is wrong (nothing
is compared), or some incidents are invalid (each is named on stderr with
its location, the others are compared and the reports written); 3 an
evaluation backend failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TextIO

from opinion_rules._writing import whole_file, write_whole
from opinion_rules.authoring._render_words import LANGUAGES
from opinion_rules.backtest._job import Case, DifferingIncident, Instants
from opinion_rules.backtest._render import render_report
from opinion_rules.backtest._run import CHUNK_SIZE, BacktestReport, backtest
from opinion_rules.backtest._runners import LocalRunner, Runner, SerialRunner, dask_runner
from opinion_rules.backtest._sources import (
    count_cases,
    read_folder,
    read_jsonl,
    read_store,
    source_kind,
)
from opinion_rules.cli._evaluate import add_evaluation_options, with_params
from opinion_rules.cli._exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from opinion_rules.cli._options import INSTANT_HELP, PLAN_HELP, load_schedules, parse_instant
from opinion_rules.cli._output import Streams, warn
from opinion_rules.exceptions import BacktestError
from opinion_rules.model._plan import Plan
from opinion_rules.planfile._loaders import load_plan
from opinion_rules.plugins._manager import PluginSet
from opinion_rules.store._open import open_store


__all__ = ["add_backtest_parser", "run_backtest"]

#: The files ``--out DIR`` writes.
OUT_FILES = {"markdown": "report.md", "html": "report.html", "jsonl": "differing.jsonl"}


def add_backtest_parser(commands: Any) -> None:
    """
    Add the ``backtest`` command to *commands*, the subparsers of the
    ``opinion-rules`` parser.
    """
    parser = commands.add_parser(
        "backtest",
        help="compare two plan versions on past incidents",
        description="Evaluate every incident of SOURCE under plan versions OLD and NEW and "
        "report the incidents whose outcome differs (grade, categories, actions, due times, "
        "statuses, owners), grouped by the plan change responsible.  Without --out, "
        "--markdown, --html or --jsonl the Markdown report is printed.",
    )
    parser.add_argument(
        "--old", required=True, metavar="OLD", help="the plan in force: " + PLAN_HELP
    )
    parser.add_argument("--new", required=True, metavar="NEW", help="the revision: " + PLAN_HELP)
    parser.add_argument(
        "--incidents",
        required=True,
        metavar="SOURCE",
        help="past incidents: a JSON Lines file, a folder of incident JSON files, or a case "
        "store (an SQLite file, sqlite:PATH or a postgresql:// URL)",
    )
    parser.add_argument(
        "--at",
        default="closing",
        metavar="closing|T,...",
        help="when to compare: 'closing' (default: each incident's last recorded instant) or "
        "instants separated by commas, " + INSTANT_HELP,
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="N",
        default=None,
        help="worker processes on this machine (default: one per core; 1 compares here)",
    )
    where.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="run on a Dask cluster: its scheduler's address, e.g. tcp://10.0.0.5:8786 "
        "(needs the dask extra)",
    )
    parser.add_argument("--out", metavar="DIR", help="write " + ", ".join(OUT_FILES.values()))
    parser.add_argument("--markdown", metavar="PATH", help="write the report in Markdown")
    parser.add_argument("--html", metavar="PATH", help="write the report as an HTML page")
    parser.add_argument("--jsonl", metavar="PATH", help="write every differing incident")
    parser.add_argument("--lang", choices=LANGUAGES, default="zh", help="language of the report")
    parser.add_argument(
        "--examples", type=int, default=5, metavar="N", help="examples per group (default: 5)"
    )
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=CHUNK_SIZE,
        metavar="N",
        help=f"incidents sent to a worker at once (default: {CHUNK_SIZE})",
    )
    parser.add_argument(
        "--exit-code", action="store_true", help="exit with 1 when some outcome differs"
    )
    add_evaluation_options(parser)


def run_backtest(args: argparse.Namespace, io: Streams) -> int:
    """
    Run ``opinion-rules backtest``; return the exit code.

    Raises:
        OpinionRulesError: bad input, the store or the runner failed (for
            the caller to report).
    """
    at = _instants(args.at)
    plugins = PluginSet(args.plugin)
    old, new = (_plan(args, path, plugins) for path in (args.old, args.new))
    if old.id != new.id:
        warn(io.err, f"{args.new} is plan {new.id!r}, not a version of {old.id!r}: compared anyway")
    kind, target = source_kind(args.incidents)
    runner = _runner(args)
    outputs = _outputs(args)
    if args.examples < 0:
        raise BacktestError(f"--examples must be 0 or more (got {args.examples})")
    with contextlib.ExitStack() as stack:
        store = None
        if kind == "store":
            store = stack.enter_context(open_store(target, create=False, plugins=plugins))
        cases = _cases(kind, target, store, at)
        progress = _Progress(io.err, lambda: count_cases(kind, target, store))
        sink = stack.enter_context(_JsonLines(outputs.get("jsonl")))
        report = backtest(
            old,
            new,
            cases,
            at=at,
            runner=runner,
            backend=args.backend,
            plugins=args.plugin,
            chunk_size=args.chunk_size,
            examples=args.examples,
            on_differing=sink.write,
            progress=progress.update,
        )
        progress.close()
        sink.commit()
    for name, path in outputs.items():
        if name != "jsonl":
            text = render_report(report, name, args.lang)
            _write(path, text.encode("utf-8"))
    if outputs:
        io.out.write(_summary(report, outputs))
    else:
        io.out.write(render_report(report, "markdown", args.lang))
    for skipped in report.skipped_examples:
        warn(io.err, f"skipped {skipped.message}")
    if report.skipped > len(report.skipped_examples):
        warn(io.err, f"skipped {report.skipped - len(report.skipped_examples)} more incidents")
    if report.cases == 0:
        warn(io.err, f"{args.incidents}: no incidents found; nothing was compared")
    if report.skipped:
        return EXIT_BAD_INPUT
    return EXIT_FAILED if args.exit_code and report.differing else EXIT_OK


def _plan(args: argparse.Namespace, path: str, plugins: PluginSet) -> Plan:
    plan = load_plan(path, allowed_dirs=args.allow_dir, plugins=plugins)
    return with_params(plan, args.param).with_schedules(*load_schedules(args.calendar_year))


def _instants(text: str) -> Instants:
    if text.strip() == "closing":
        return "closing"
    found = [parse_instant("--at", part.strip()) for part in text.split(",") if part.strip()]
    instants = tuple(t for t in found if t is not None)
    if not instants:
        raise BacktestError(f"--at: expected 'closing' or instants (got {text!r})")
    return instants


def _runner(args: argparse.Namespace) -> Runner:
    if args.dask is not None:
        return dask_runner(args.dask)
    if args.workers is not None and args.workers < 1:
        raise BacktestError(f"--workers must be at least 1 (got {args.workers})")
    if args.workers == 1 or (args.workers is None and (os.cpu_count() or 1) == 1):
        return SerialRunner()
    return LocalRunner(args.workers)


def _outputs(args: argparse.Namespace) -> dict[str, Path]:
    out: dict[str, Path] = {}
    if args.out:
        folder = Path(args.out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BacktestError(f"--out {folder}: cannot be created ({exc.strerror})") from None
        out = {name: folder / file for name, file in OUT_FILES.items()}
    for name in OUT_FILES:
        given = getattr(args, name)
        if given:
            out[name] = Path(given)
    for name, path in out.items():
        if not path.parent.is_dir():
            raise BacktestError(f"--{name} {path}: no such folder {path.parent}")
    return out


def _cases(kind: str, target: str, store: Any, at: Instants) -> Iterator[Case]:
    if kind == "store":
        return read_store(store, at)
    if kind == "folder":
        return read_folder(target)
    return read_jsonl(target)


def _write(path: Path, data: bytes) -> None:
    try:
        write_whole(path, data, prefix=f".{path.name}.")
    except OSError as exc:
        raise BacktestError(f"{path}: cannot be written ({exc.strerror})") from None


def _summary(report: BacktestReport, outputs: dict[str, Path]) -> str:
    counts = (
        f"{_count(report.cases, 'incident')}, {_count(report.compared, 'comparison')}, "
        f"{report.differing} differ{'s' if report.differing == 1 else ''}, "
        f"{report.skipped} skipped\n"
    )
    return counts + "".join(f"wrote {p}\n" for p in outputs.values())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class _JsonLines:
    """
    Every differing incident, one JSON object a line, written as they come
    to a partial file renamed into place at the end.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.file: IO[str] | None = None
        self._open = contextlib.ExitStack()

    def __enter__(self) -> Self:
        if self.path is not None:
            whole = whole_file(self.path, prefix=f".{self.path.name}.", text=True)
            try:
                self.file = self._open.enter_context(whole)
            except OSError as exc:
                raise BacktestError(f"{self.path}: cannot be written ({exc.strerror})") from None
        return self

    def write(self, row: DifferingIncident) -> None:
        if self.file is not None:
            self.file.write(json.dumps(row.to_data(), ensure_ascii=False) + "\n")

    def commit(self) -> None:
        self._open.close()  # renamed into place
        self.file = None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._open.__exit__(kind, error, trace)  # after a failure: removed, nothing left behind


class _Progress:
    """A progress bar on stderr, only when it is a terminal; coloured unless NO_COLOR is set."""

    WIDTH = 30

    def __init__(self, err: TextIO, total: Callable[[], int | None]) -> None:
        isatty = getattr(err, "isatty", None)
        self.err = err
        self.shown = bool(isatty and isatty())
        # Counting reads the source once more: only for a bar that is shown.
        self.total = total() if self.shown else None
        self.colour = self.shown and not os.environ.get("NO_COLOR")

    def update(self, done: int) -> None:
        if not self.shown:
            return
        if self.total:
            filled = min(self.WIDTH, self.WIDTH * done // self.total)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            if self.colour:
                bar = f"\033[32m{bar[:filled]}\033[0m{bar[filled:]}"
            line = f"\r[{bar}] {done}/{self.total} incidents"
        else:
            line = f"\r{done} incidents"
        self.err.write(line)
        self.err.flush()

    def close(self) -> None:
        if self.shown:
            self.err.write("\n")
            self.err.flush()
