"""
``opinion-rules evaluate``: grade an incident and list the actions due at an
instant.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from opinion_rules.cli import _clock
from opinion_rules.cli._exits import EXIT_OK
from opinion_rules.cli._options import (
    PLAN_HELP,
    add_calendar_year_option,
    add_plugin_option,
    load_schedules,
    parse_instant,
)
from opinion_rules.cli._output import Streams, write_assessment
from opinion_rules.engine._engine import BACKENDS, DEFAULT_BACKEND, Engine
from opinion_rules.exceptions import PlanValidationError, Problem
from opinion_rules.model._incident_files import load_incident
from opinion_rules.model._plan import Plan
from opinion_rules.planfile._loaders import add_allow_dir_option, load_plan
from opinion_rules.plugins._manager import PluginSet


__all__ = ["add_evaluate_parser", "add_evaluation_options", "run_evaluate", "with_params"]


def add_evaluate_parser(commands: Any) -> None:
    """
    Add the ``evaluate`` command to *commands*, the subparsers of the
    ``opinion-rules`` parser.
    """
    evaluate = commands.add_parser(
        "evaluate",
        help="grade an incident and list the actions due at an instant",
        description="Grade INCIDENT against PLAN as of --at and list every applicable action.",
    )
    evaluate.add_argument("plan", metavar="PLAN", help=PLAN_HELP)
    evaluate.add_argument(
        "incident", metavar="INCIDENT", help="an incident file in the JSON interchange format"
    )
    evaluate.add_argument(
        "--at",
        metavar="ISO8601",
        help="evaluation instant with UTC offset, e.g. 2026-11-23T14:00:00+08:00 (default: now)",
    )
    evaluate.add_argument("--json", action="store_true", help="print the assessment as JSON")
    add_evaluation_options(evaluate)


def add_evaluation_options(parser: argparse.ArgumentParser) -> None:
    """
    The options of every command that evaluates a plan file: ``--backend``,
    ``--param``, ``--allow-dir``, ``--calendar-year`` and ``--plugin``.
    """
    parser.add_argument(
        "--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="evaluation backend"
    )
    parser.add_argument(
        "--param",
        metavar="NAME=NUMBER",
        action="append",
        default=[],
        help="a value for a plan parameter, e.g. fever_threshold=37.3 (repeatable)",
    )
    add_allow_dir_option(parser)
    add_calendar_year_option(parser)
    add_plugin_option(parser)


def run_evaluate(args: argparse.Namespace, io: Streams) -> int:
    """
    Run ``opinion-rules evaluate``; return the exit code.

    Raises:
        OpinionRulesError: bad input, or the backend failed (for the caller
            to report).
    """
    at = parse_instant("--at", args.at) or _clock.now()  # the documented default
    plugins = PluginSet(args.plugin)
    plan = load_plan(args.plan, allowed_dirs=args.allow_dir, plugins=plugins)
    plan = with_params(plan, args.param).with_schedules(*load_schedules(args.calendar_year))
    incident = load_incident(args.incident)
    assessment = Engine(plan, backend=args.backend, plugins=plugins).evaluate(incident, at=at)
    write_assessment(io, assessment, as_json=args.json)
    return EXIT_OK


def with_params(plan: Plan, pairs: Sequence[str]) -> Plan:
    """
    *plan* with the ``--param NAME=NUMBER`` values *pairs* set.

    Raises:
        PlanValidationError: a pair is not ``NAME=NUMBER``, or names no parameter.
    """
    values = parse_params(pairs)
    return plan.with_parameters(**values) if values else plan


def parse_params(pairs: Sequence[str]) -> dict[str, float]:
    """
    The ``--param NAME=NUMBER`` values *pairs* give, by name.

    Raises:
        PlanValidationError: a pair is not ``NAME=NUMBER``.
    """
    values: dict[str, float] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        try:
            values[name.strip()] = int(text) if text.strip().lstrip("-").isdigit() else float(text)
        except ValueError:
            problem = Problem(f"--param {pair}", "is not NAME=NUMBER", "e.g. fever_threshold=37.3")
            raise PlanValidationError("--param", [problem]) from None
    return values
