"""
The ``opinion-rules`` command line.

Exit codes:

* 0 — success (``check``: no errors; warnings allowed), also when the reader
  of the output goes away early (``--json | head``);
* 1 — ``check``: a plan has errors; ``track``: the case store cannot be
  opened or failed;
* 2 — bad input: the plan, the incident or ``--at`` is wrong, or (``check``)
  a plan file cannot be read or parsed (one line on stderr, no traceback);
* 3 — an evaluation backend failed (a bug; please report it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from dateutil.parser import isoparse

from opinion_rules._limits import instant_problem
from opinion_rules._version import __version__
from opinion_rules.authoring._lint import Finding, lint_plan
from opinion_rules.authoring._render import LANGUAGES, render_plan
from opinion_rules.engine._engine import BACKENDS, DEFAULT_BACKEND, Engine
from opinion_rules.exceptions import (
    BackendUnavailableError,
    CalendarRangeError,
    EngineError,
    FactError,
    OpinionRulesError,
    PlanError,
    PlanLoadError,
    PlanValidationError,
    Problem,
)
from opinion_rules.model._facts import load_incident
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import ActionStatus, Assessment
from opinion_rules.planfile._loaders import add_allow_dir_option, load_plan
from opinion_rules.planfile._planfile import SUFFIXES, nearest, plan_places
from opinion_rules.planfile._schedules import load_year_schedule
from opinion_rules.time._calendars import YearSchedule

from . import _clock
from ._track import add_track_parser, one_line, run_track


EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_BAD_INPUT = 2
EXIT_ENGINE = 3


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
    evaluate = commands.add_parser(
        "evaluate",
        help="grade an incident and list the actions due at an instant",
        description="Grade INCIDENT against PLAN as of --at and list every applicable action.",
    )
    evaluate.add_argument("plan", metavar="PLAN", help=_PLAN_HELP)
    evaluate.add_argument(
        "incident", metavar="INCIDENT", help="an incident file in the JSON interchange format"
    )
    evaluate.add_argument(
        "--at",
        metavar="ISO8601",
        help="evaluation instant with UTC offset, e.g. 2026-11-23T14:00:00+08:00 (default: now)",
    )
    evaluate.add_argument("--json", action="store_true", help="print the assessment as JSON")
    evaluate.add_argument(
        "--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="evaluation backend"
    )
    evaluate.add_argument(
        "--param",
        metavar="NAME=NUMBER",
        action="append",
        default=[],
        help="a value for a plan parameter, e.g. fever_threshold=37.3 (repeatable)",
    )
    add_allow_dir_option(evaluate)
    _calendar_year_option(evaluate)
    check = commands.add_parser(
        "check",
        help="validate plans and run the logical checks (lint)",
        description="Validate each PLAN and report logical problems. Exit 0 if no plan has "
        "errors (warnings allowed), 1 if one has, 2 if one cannot be read or parsed.",
    )
    check.add_argument("plans", metavar="PLAN", nargs="+", help=_PLAN_HELP)
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    add_allow_dir_option(check)
    _calendar_year_option(check)
    check.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="the date a plan's calendar horizon is judged from (default: today)",
    )
    render = commands.add_parser(
        "render",
        help="write a plan as a readable document",
        description="Render PLAN as Markdown or HTML: grades, categories, report chain per "
        "grade with deadlines in words, principles; every line cites its clause.",
    )
    render.add_argument("plan", metavar="PLAN", help=_PLAN_HELP)
    render.add_argument("--format", choices=("md", "html"), default="md", help="output format")
    render.add_argument(
        "--lang", choices=LANGUAGES, default="zh", help="label language (names from the plan)"
    )
    add_allow_dir_option(render)
    add_track_parser(commands)
    return parser


_PLAN_HELP = "a plan: plan.yaml, plan.toml, plan.json, plan.py, plan.py:NAME or module:NAME"
_HOW_TO_ADD_A_YEAR = "docs/how-to/add-a-calendar-year.md"


def _calendar_year_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--calendar-year",
        metavar="FILE",
        action="append",
        default=[],
        help="a year schedule file (the State Council's notice) added to the plan's china "
        "calendar (repeatable)",
    )


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
    if args.command == "check":
        try:
            schedules = _schedules(args.calendar_year)
            today = None if args.today is None else _parse_day("--today", args.today)
        except (PlanError, FactError) as exc:
            print(f"opinion-rules: error: {one_line(exc)}", file=err)
            return EXIT_BAD_INPUT
        return run_check(
            args.plans,
            as_json=args.json,
            out=out,
            schedules=schedules,
            today=today,
            allowed_dirs=args.allow_dir,
        )
    if args.command == "render":
        try:
            text = render_plan(
                load_plan(args.plan, allowed_dirs=args.allow_dir), args.format, args.lang
            )
        except PlanError as exc:
            print(f"opinion-rules: error: {one_line(exc)}", file=err)
            return EXIT_BAD_INPUT
        out.write(text)
        return EXIT_OK
    if args.command == "track":
        return run_track(args, out, err)
    try:
        at = _parse_at(args.at)
        plan = _with_params(load_plan(args.plan, allowed_dirs=args.allow_dir), args.param)
        plan = plan.with_schedules(*_schedules(args.calendar_year))
        incident = load_incident(args.incident)
        engine = Engine(plan, backend=args.backend)
        assessment = engine.evaluate(incident, at=at)
    except (PlanError, FactError, BackendUnavailableError, CalendarRangeError) as exc:
        print(f"opinion-rules: error: {one_line(exc)}", file=err)
        return EXIT_BAD_INPUT
    except EngineError as exc:
        print(f"opinion-rules: engine failure: {one_line(exc)}", file=err)
        return EXIT_ENGINE
    except OpinionRulesError as exc:  # pragma: no cover - every subclass is handled above
        print(f"opinion-rules: error: {one_line(exc)}", file=err)
        return EXIT_BAD_INPUT
    for line in calendar_warnings(assessment):
        print(f"opinion-rules: warning: {line}", file=err)
    if args.json:
        json.dump(assessment.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(render_table(assessment))
    return EXIT_OK


def calendar_warnings(assessment: Assessment) -> list[str]:
    """
    One line per calendar year that left actions undecided, naming them.
    """
    gaps: dict[str, list[str]] = {}
    for u in assessment.undecided:
        for need in u.needs:
            if need.startswith("calendar:"):
                gaps.setdefault(u.reason.removeprefix("undecided: "), []).append(u.id)
    return [
        f"{why} (see {_HOW_TO_ADD_A_YEAR}); undecided until then: {', '.join(ids)}"
        for why, ids in gaps.items()
    ]


def _schedules(paths: Sequence[str]) -> tuple[YearSchedule, ...]:
    return tuple(load_year_schedule(p) for p in paths)


def _parse_at(text: str | None) -> datetime:
    if text is None:
        return _clock.now()  # the CLI's documented default
    try:
        at = isoparse(text)
    except (ValueError, OverflowError):
        raise FactError("--at", [_problem(text, "is not an ISO 8601 datetime")]) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise FactError("--at", [_problem(text, "has no UTC offset (naive datetime)")])
    problem = instant_problem(at)
    if problem is not None:
        raise FactError("--at", [_problem(text, problem)])
    return at


def _parse_day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FactError(
            option,
            [Problem("", "is not a date", "YYYY-MM-DD, e.g. 2026-12-06", repr(text))],
        ) from None


def _with_params(plan: Plan, pairs: Sequence[str]) -> Plan:
    values: dict[str, float] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        try:
            values[name.strip()] = int(text) if text.strip().lstrip("-").isdigit() else float(text)
        except ValueError:
            problem = Problem(f"--param {pair}", "is not NAME=NUMBER", "e.g. fever_threshold=37.3")
            raise PlanValidationError("--param", [problem]) from None
    return plan.with_parameters(**values) if values else plan


def _problem(text: str, message: str) -> Problem:
    return Problem(
        "", message, "an ISO 8601 datetime with offset, e.g. 2026-11-23T14:00:00+08:00", repr(text)
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _short(value: datetime | None, assessment: Assessment) -> str:
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(assessment.timezone)).strftime("%Y-%m-%d %H:%M")


_MISSED_SHOWN = 5


def _due_cell(action: ActionStatus, assessment: Assessment) -> str:
    if action.due is not None:
        return _short(action.due, assessment)
    if action.status == "undecided":
        return "undecided"
    if action.deadline_kind == "recurring" and action.done_at is not None:
        return "ended"
    if action.anchor_at is None:
        return "-"
    if action.deadline_kind == "until":
        return "continuing"
    return "no time set"


def render_table(assessment: Assessment) -> str:
    """
    Render an assessment as a readable text report.
    """
    lines = [
        f"plan      {assessment.plan_id} {assessment.plan_title} ({assessment.plan_version})",
        f"incident  {assessment.incident_id}, as of {assessment.at.isoformat()}",
    ]
    if assessment.grade is None:
        lines.append("grade     ungraded: no grade's criteria have held")
    else:
        g = assessment.grade
        lines.append(
            f"grade     {g.name} ({g.id}, rank {g.rank}) since {_short(g.since, assessment)}"
        )
        lines.append(f"          because {g.reason}")
        if assessment.grade_driver != "computed":
            lines.append(f"          (the plan's grade is set by: {assessment.grade_driver})")
        if len(assessment.grade_history) > 1:
            steps = " -> ".join(
                f"{h.name} {_short(h.since, assessment)}" for h in assessment.grade_history
            )
            lines.append(f"history   {steps}")
    if assessment.categories:
        names = ", ".join(f"{c.name} ({c.id})" for c in assessment.categories)
        lines.append(f"category  {names}")
    else:
        lines.append("category  none matched")
    for u in assessment.undecided:
        if u.kind != "action" or any(n.startswith("calendar:") for n in u.needs):
            why = u.reason.removeprefix("undecided: ")
            lines.append(f"undecided {u.kind} {u.name}{f' ({u.id})' if u.id else ''}: {why}")
    if assessment.closed_at is not None:
        lines.append(f"closed    {_short(assessment.closed_at, assessment)}")
    lines.append("")
    header = ("STATUS", "DUE", "ACTION", "OWNERS", "CLAUSE")
    rows = [
        (
            a.status,
            _due_cell(a, assessment),
            f"{a.id}: {a.title}",
            ", ".join(f"{o.id} ({o.duty})" if o.duty else o.id for o in a.owners),
            a.clause.ref if a.clause else "-",
        )
        for a in assessment.actions
    ]
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [_pad(cell, widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    if not rows and assessment.before_discovery:
        discovered = assessment.discovered_at
        assert discovered is not None  # noqa: S101 - before_discovery says so
        lines.append(
            f"(not yet discovered: the incident was discovered at "
            f"{discovered.astimezone(ZoneInfo(assessment.timezone)).isoformat()}, after the "
            "evaluation instant; nothing applies before then)"
        )
    elif not rows:
        lines.append("(no action applies)")
    lines.extend(_time_notes(assessment))
    return "\n".join(lines) + "\n"


def _time_notes(assessment: Assessment) -> list[str]:
    """
    Missed recurrences, extensions, report chains and the next change.
    """
    out = []
    for a in assessment.actions:
        if a.missed:
            shown = ", ".join(_short(m, assessment) for m in a.missed[:_MISSED_SHOWN])
            more = len(a.missed) - _MISSED_SHOWN
            tail = f" and {more} more" if more > 0 else ""
            out.append(f"missed    {a.id}: {len(a.missed)} occurrence(s) due {shown}{tail}")
        if a.overridden_by is not None:
            out.append(f"overridden {a.id}: by {a.overridden_by}")
        if a.cancelled_at is not None:
            out.append(f"cancelled {a.id}: at {_short(a.cancelled_at, assessment)}")
        if a.regrade is not None and a.regrade != "from_upgrade":
            out.append(f"regrade   {a.id}: clock {a.regrade} (plan's re-grading rule)")
        if a.extended_from is not None and a.due is not None:
            out.append(
                f"extended  {a.id}: from {_short(a.extended_from, assessment)} "
                f"to {_short(a.due, assessment)}"
            )
    for c in assessment.chains:
        if c.due is not None:
            bound = f"whole chain due {_short(c.due, assessment)}"
        elif c.bound is not None:
            bound = f"whole chain within {c.bound} of its start"
        else:
            bound = "no whole-chain limit"
        out.append(f"chain     {c.id} ({' -> '.join(c.hops)}): {c.status}, {bound}")
    if assessment.next_change is not None:
        tz = ZoneInfo(assessment.timezone)
        # Full precision: a deadline passes one microsecond after its due
        # instant, which minutes would hide.
        out.append(f"next change {assessment.next_change.astimezone(tz).isoformat()}")
    return ["", *out] if out else []


def _check_one(
    source: str,
    schedules: Sequence[YearSchedule],
    today: date | None,
    allowed_dirs: Sequence[str] = (),
) -> tuple[str, list[dict[str, object]]]:
    """
    Check one plan; return its status (``ok``, ``errors``, ``unusable``) and
    findings as dicts with severity, code, path, message, line and column.
    """
    try:
        plan = load_plan(source, allowed_dirs=allowed_dirs).with_schedules(*schedules)
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
    places = plan_places(source) if source.lower().endswith(tuple(SUFFIXES)) else {}
    if today is None and plan.calendar is not None:
        # The one check that depends on the date: how soon the calendar ends.
        today = _clock.now().astimezone(plan.tz).date()
    findings: list[Finding] = lint_plan(plan, today=today)
    out: list[dict[str, object]] = []
    for f in findings:
        line, column = nearest(places, f.path) or (None, None)
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


def run_check(
    sources: Sequence[str],
    *,
    as_json: bool,
    out: TextIO,
    schedules: Sequence[YearSchedule] = (),
    today: date | None = None,
    allowed_dirs: Sequence[str] = (),
) -> int:
    """
    ``opinion-rules check``: print findings; return the exit code.
    """
    results = [(source, *_check_one(source, schedules, today, allowed_dirs)) for source in sources]
    if as_json:
        report = {
            "plans": [
                {"plan": source, "status": status, "findings": findings}
                for source, status, findings in results
            ],
            "errors": sum(f["severity"] == "error" for _, _, fs in results for f in fs),
            "warnings": sum(f["severity"] == "warning" for _, _, fs in results for f in fs),
        }
        json.dump(report, out, ensure_ascii=False, indent=2)
        out.write("\n")
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
    return EXIT_ERRORS if "errors" in statuses else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
