"""
``opinion-rules check``: validate plans and run the logical checks (lint).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date
from typing import Any, TextIO

from opinion_rules.authoring._lint import Finding, lint_plan
from opinion_rules.cli import _clock
from opinion_rules.cli._exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from opinion_rules.cli._options import (
    PLAN_HELP,
    add_calendar_year_option,
    add_plugin_option,
    load_schedules,
    parse_day,
)
from opinion_rules.cli._output import Streams, one_line, write_json
from opinion_rules.exceptions import PlanError, PlanLoadError, PlanValidationError
from opinion_rules.planfile._loaders import add_allow_dir_option, load_plan_with_places
from opinion_rules.plugins._manager import PluginSet
from opinion_rules.time._calendars import YearSchedule


__all__ = ["add_check_parser", "run_check"]


def add_check_parser(commands: Any) -> None:
    """
    Add the ``check`` command to *commands*, the subparsers of the
    ``opinion-rules`` parser.
    """
    check = commands.add_parser(
        "check",
        help="validate plans and run the logical checks (lint)",
        description="Validate each PLAN and report logical problems. Exit 0 if no plan has "
        "errors (warnings allowed), 1 if one has, 2 if one cannot be read or parsed.",
    )
    check.add_argument("plans", metavar="PLAN", nargs="+", help=PLAN_HELP)
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    add_allow_dir_option(check)
    add_calendar_year_option(check)
    add_plugin_option(check)
    check.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="the date a plan's calendar horizon is judged from (default: today)",
    )


def run_check(args: argparse.Namespace, io: Streams) -> int:
    """
    Run ``opinion-rules check``; return the exit code.

    Raises:
        OpinionRulesError: a ``--calendar-year`` file or ``--today`` is bad
            (a plan's own problems are findings, not errors).
    """
    schedules = load_schedules(args.calendar_year)
    today = None if args.today is None else parse_day("--today", args.today)
    return _check_plans(
        args.plans,
        as_json=args.json,
        out=io.out,
        schedules=schedules,
        today=today,
        allowed_dirs=args.allow_dir,
        plugins=PluginSet(args.plugin),
    )


def _check_plans(
    sources: Sequence[str],
    *,
    as_json: bool,
    out: TextIO,
    schedules: Sequence[YearSchedule] = (),
    today: date | None = None,
    allowed_dirs: Sequence[str] = (),
    plugins: PluginSet | None = None,
) -> int:
    """
    Check each plan in *sources* and print the findings; return the exit code.
    """
    enabled = plugins or PluginSet()
    results = [
        (source, *_check_one(source, schedules, today, allowed_dirs, enabled)) for source in sources
    ]
    if as_json:
        write_json(
            out,
            {
                "plans": [
                    {"plan": source, "status": status, "findings": findings}
                    for source, status, findings in results
                ],
                "errors": sum(f["severity"] == "error" for _, _, fs in results for f in fs),
                "warnings": sum(f["severity"] == "warning" for _, _, fs in results for f in fs),
            },
        )
    else:
        for source, status, findings in results:
            for f in findings:
                where = source if f["line"] is None else f"{source}:{f['line']}:{f['column']}"
                path = f"{f['path']}: " if f["path"] else ""
                out.write(f"{where}: {f['severity']}[{f['code']}]: {path}{f['message']}\n")
            if status == "ok":
                warnings = len(findings)
                out.write(f"{source}: ok" + (f" ({warnings} warnings)" if warnings else "") + "\n")
    statuses = {status for _, status, _ in results}
    if "unusable" in statuses:
        return EXIT_BAD_INPUT
    return EXIT_FAILED if "errors" in statuses else EXIT_OK


def _check_one(
    source: str,
    schedules: Sequence[YearSchedule],
    today: date | None,
    allowed_dirs: Sequence[str] = (),
    plugins: PluginSet | None = None,
) -> tuple[str, list[dict[str, object]]]:
    """
    Check one plan; return its status (``ok``, ``errors``, ``unusable``) and
    findings as dicts with severity, code, path, message, line and column.
    """
    try:
        # One reading: the places of the values come from the parse that loaded the plan.
        loaded = load_plan_with_places(source, allowed_dirs=allowed_dirs, plugins=plugins)
        plan = loaded.plan.with_schedules(*schedules)
    except PlanValidationError as exc:
        return "errors", [
            {
                "severity": "error",
                "code": "invalid",
                "path": p.path,
                "message": p.message
                + (f"; expected {p.expected}" if p.expected else "")
                + (f" (got {p.got})" if p.got else ""),
                "line": p.line,
                "column": p.column,
            }
            for p in exc.problems
        ]
    except PlanLoadError as exc:
        return "unusable", [
            {
                "severity": "error",
                "code": "unreadable",
                "path": "",
                "message": exc.reason,
                "line": exc.line,
                "column": exc.column,
            }
        ]
    except PlanError as exc:
        return "unusable", [
            {
                "severity": "error",
                "code": "unreadable",
                "path": "",
                "message": one_line(exc),
                "line": None,
                "column": None,
            }
        ]
    if today is None and plan.calendar is not None:
        # The one check that depends on the date: how soon the calendar ends.
        today = _clock.now().astimezone(plan.tz).date()
    # With the enabled plug-ins: calls computed on samples, and their own checks.
    findings: list[Finding] = lint_plan(plan, today=today, plugins=plugins)
    out: list[dict[str, object]] = []
    for f in findings:
        line, column = loaded.place(f.path) or (None, None)
        out.append(
            {
                "severity": f.severity,
                "code": f.code,
                "path": f.path,
                "message": f.message,
                "line": line,
                "column": column,
            }
        )
    status = "errors" if any(f.severity == "error" for f in findings) else "ok"
    return status, out
