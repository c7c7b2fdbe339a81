"""
``opinion-rules test``: run scenario files (``*.scenario.yaml``) and print a
diff line per expectation that does not hold, then a summary.

Every file is run, even after a bad one; the exit code is the worst seen:
2 if a file could not be run (bad scenario, plan or incident), else 1 if a
check failed, else 0.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import attrs

from opinion_rules.authoring._scenario_checks import Mismatch, PlanCache, prepare, run_check
from opinion_rules.authoring._scenarios import SCENARIO_SUFFIX, read_scenario, scenario_files
from opinion_rules.cli._exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from opinion_rules.cli._output import Streams, one_line, write_json
from opinion_rules.engine._engine import BACKENDS, DEFAULT_BACKEND
from opinion_rules.exceptions import EngineError, OpinionRulesError


__all__ = ["add_test_parser", "run_test"]


def add_test_parser(commands: Any) -> None:
    """
    Add the ``test`` command to *commands*, the subparsers of the
    ``opinion-rules`` parser.
    """
    test = commands.add_parser(
        "test",
        help="run scenario files: what a plan must do for an incident at given instants",
        description="Run scenario files (docs/reference/scenario-format.md); a folder runs "
        f"every *{SCENARIO_SUFFIX} below it.",
    )
    test.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help=f"a scenario file or a folder of *{SCENARIO_SUFFIX}",
    )
    test.add_argument("--json", action="store_true", help="print the results as JSON")
    test.add_argument(
        "--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="evaluation backend"
    )


@attrs.define
class _FileResult:
    file: str
    error: str | None = None
    checks: list[dict[str, Any]] = attrs.field(factory=list)


def run_test(args: argparse.Namespace, io: Streams) -> int:
    """
    Run ``opinion-rules test``; return the exit code.

    Raises:
        EngineError: a backend failed (for the caller to report).
    """
    cache = PlanCache(backend=args.backend)
    results = []
    for given in args.files:
        files = scenario_files(Path(given))
        if not files:
            results.append(
                _FileResult(given, f"{given}: no *{SCENARIO_SUFFIX} files in the folder")
            )
        results.extend(_run_file(str(path), cache) for path in files)
    checks = [c for r in results for c in r.checks]
    failed = sum(1 for c in checks if c["mismatches"])
    errors = [r for r in results if r.error is not None]
    if args.json:
        write_json(io.out, _json(results, len(checks) - failed, failed, len(errors)))
    else:
        for result in results:
            if result.error is not None:
                print(f"opinion-rules: error: {result.error}", file=io.err)
            for check in result.checks:
                for mismatch in check["mismatches"]:
                    print(mismatch["text"], file=io.out)
        print(_summary(len(results), len(checks), failed, len(errors)), file=io.out)
    if errors:
        return EXIT_BAD_INPUT
    return EXIT_FAILED if failed else EXIT_OK


def _run_file(file: str, cache: PlanCache) -> _FileResult:
    result = _FileResult(file)
    try:
        scenario = read_scenario(file)
        engine = prepare(scenario, cache)
        for check in scenario.checks:
            mismatches: tuple[Mismatch, ...] = run_check(scenario, check, engine)
            result.checks.append(
                {
                    "at": check.at.isoformat(),
                    "name": check.name,
                    "line": check.line,
                    "passed": not mismatches,
                    "mismatches": [m.to_dict() for m in mismatches],
                }
            )
    except EngineError:
        raise
    except OpinionRulesError as exc:
        result.error = one_line(exc)
        result.checks.clear()
    return result


def _summary(files: int, checks: int, failed: int, errors: int) -> str:
    text = (
        f"{_count(files, 'scenario file')}, {_count(checks, 'check')}: "
        f"{checks - failed} passed, {failed} failed"
    )
    if errors:
        text += f", {_count(errors, 'file')} not run (bad input)"
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _json(results: list[_FileResult], passed: int, failed: int, errors: int) -> dict[str, Any]:
    return {
        "files": [{"file": r.file, "error": r.error, "checks": r.checks} for r in results],
        "passed": passed,
        "failed": failed,
        "not_run": errors,
    }
