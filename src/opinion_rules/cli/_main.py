"""
The ``opinion-rules`` command line.

Exit codes:

* 0 — success (``check``: no errors; warnings allowed), also when the reader
  of the output goes away early (``--json | head``);
* 1 — ``check``: a plan has errors; ``track``: the case store cannot be
  opened or failed; ``test``: a scenario check failed; ``timeline`` (and
  ``track timeline --out``): matplotlib is missing or the picture cannot
  be written; ``diff --exit-code``: the plans differ; ``backtest
  --exit-code``: some incident's outcome differs; ``backtest``: the case
  store cannot be opened;
* 2 — bad input: the plan, the incident or ``--at`` is wrong, or (``check``)
  a plan file cannot be read or parsed, or (``test``) a scenario file, its
  plan or its incident cannot be read, or (``backtest``) some incidents are
  invalid (each named on stderr; the others are compared and reported)
  (one line on stderr, no traceback);
* 3 — an evaluation backend failed (a bug; please report it).

``serve`` exits 0 when stopped (SIGINT, SIGTERM), 2 when its token file,
plans or options are wrong or the ``service`` extra is missing, and 1 when
the store cannot be opened.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from opinion_rules._version import __version__
from opinion_rules.cli._backtest import add_backtest_parser, run_backtest
from opinion_rules.cli._check import add_check_parser, run_check
from opinion_rules.cli._diff import add_diff_parser, run_diff
from opinion_rules.cli._evaluate import add_evaluate_parser, run_evaluate
from opinion_rules.cli._exits import EXIT_BAD_INPUT, EXIT_ENGINE, EXIT_FAILED, EXIT_OK
from opinion_rules.cli._output import Streams, one_line
from opinion_rules.cli._render import add_render_parser, run_render
from opinion_rules.cli._serve import add_serve_parser, run_serve
from opinion_rules.cli._test import add_test_parser, run_test
from opinion_rules.cli._timeline import add_timeline_parser, run_timeline
from opinion_rules.cli._track import add_track_parser, run_track
from opinion_rules.exceptions import (
    EngineError,
    OpinionRulesError,
    StoreNotFoundError,
    StoreUnavailableError,
)


__all__ = ["main"]

_COMMANDS: dict[str, Callable[[argparse.Namespace, Streams], int]] = {
    "evaluate": run_evaluate,
    "check": run_check,
    "render": run_render,
    "track": run_track,
    "test": run_test,
    "serve": run_serve,
    "timeline": run_timeline,
    "diff": run_diff,
    "backtest": run_backtest,
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="opinion-rules",
        description="Evaluate incidents against response plans for online public-opinion "
        "incidents.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_evaluate_parser(commands)
    add_check_parser(commands)
    add_render_parser(commands)
    add_track_parser(commands)
    add_test_parser(commands)
    add_serve_parser(commands)
    add_timeline_parser(commands)
    add_diff_parser(commands)
    add_backtest_parser(commands)
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """
    Run the command line; return the exit code.
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        return _run(argv, out, err)
    except BrokenPipeError:
        # The reader went away (`--json | head`): nothing more to say to it.
        _silence(out)
        return EXIT_OK


def _silence(out: TextIO) -> None:
    """
    Point the standard output at /dev/null so that flushing it at exit
    cannot fail again (the remedy the ``signal`` module's docs give).
    """
    if out is not sys.stdout:
        return
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


def _run(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        # Standard input is looked up now, not at import, so that it can be replaced.
        return _COMMANDS[args.command](args, Streams(out, err, sys.stdin))
    except OpinionRulesError as exc:
        return _report(exc, err)


def _report(exc: OpinionRulesError, err: TextIO) -> int:
    """
    Say on one line what went wrong; return the exit code for it.
    """
    if isinstance(exc, StoreNotFoundError):
        print(
            f"opinion-rules: error: case store {exc.store}: {exc.reason}; expected an existing "
            "store: 'opinion-rules track open' creates one, or pass --create",
            file=err,
        )
        return EXIT_FAILED
    if isinstance(exc, StoreUnavailableError):
        print(f"opinion-rules: error: {one_line(exc)}", file=err)
        return EXIT_FAILED
    if isinstance(exc, EngineError):
        print(f"opinion-rules: engine failure: {one_line(exc)}", file=err)
        return EXIT_ENGINE
    print(f"opinion-rules: error: {one_line(exc)}", file=err)
    return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
