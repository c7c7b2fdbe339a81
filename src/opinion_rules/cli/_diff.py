"""
``opinion-rules diff``: what a plan revision changes, item by item.

Exit codes, like ``git diff``: 0 (also when the plans differ; with
``--exit-code``, 1 when they differ), 2 bad input (a plan cannot be loaded;
one line on stderr, located as for ``check``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from opinion_rules.authoring._diff import diff_plans
from opinion_rules.authoring._render_words import LANGUAGES
from opinion_rules.cli._exits import EXIT_FAILED, EXIT_OK
from opinion_rules.cli._options import PLAN_HELP, add_plugin_option
from opinion_rules.cli._output import Streams
from opinion_rules.planfile._loaders import add_allow_dir_option, load_plan


__all__ = ["add_diff_parser", "run_diff"]


def add_diff_parser(commands: Any) -> None:
    """
    Add the ``diff`` command to *commands*, the subparsers of the
    ``opinion-rules`` parser.
    """
    diff = commands.add_parser(
        "diff",
        help="list what a plan revision changes",
        description="List every added, removed or changed item between plan versions OLD and "
        "NEW (matched by id: a renamed id is a removal and an addition), field by field, in "
        "the plan document's words.",
    )
    diff.add_argument("old", metavar="OLD", help="the current plan: " + PLAN_HELP)
    diff.add_argument("new", metavar="NEW", help="the revision: " + PLAN_HELP)
    diff.add_argument(
        "--json", action="store_true", help="print the changes as JSON (both languages, data)"
    )
    diff.add_argument(
        "--exit-code",
        action="store_true",
        help="exit with 1 when the plans differ (as git diff --exit-code)",
    )
    diff.add_argument("--lang", choices=LANGUAGES, default="zh", help="language of the lines")
    add_allow_dir_option(diff)
    add_plugin_option(diff)


def run_diff(args: argparse.Namespace, io: Streams) -> int:
    """
    Run ``opinion-rules diff``; return the exit code.

    Raises:
        PlanError: a plan cannot be loaded (for the caller to report).
    """
    old = load_plan(args.old, allowed_dirs=args.allow_dir, plugins=args.plugin)
    new = load_plan(args.new, allowed_dirs=args.allow_dir, plugins=args.plugin)
    diff = diff_plans(old, new)
    if args.json:
        io.out.write(json.dumps(diff.to_data(), ensure_ascii=False, indent=2) + "\n")
    else:
        io.out.write(diff.text(args.lang))
    return EXIT_FAILED if diff and args.exit_code else EXIT_OK
