"""
``opinion-rules render``: write a plan as a readable document.
"""

from __future__ import annotations

import argparse
from typing import Any

from opinion_rules.authoring._render import LANGUAGES, render_plan
from opinion_rules.cli._exits import EXIT_OK
from opinion_rules.cli._options import PLAN_HELP, add_plugin_option
from opinion_rules.cli._output import Streams
from opinion_rules.planfile._loaders import add_allow_dir_option, load_plan


__all__ = ["add_render_parser", "run_render"]


def add_render_parser(commands: Any) -> None:
    """
    Add the ``render`` command to *commands*, the subparsers of the
    ``opinion-rules`` parser.
    """
    render = commands.add_parser(
        "render",
        help="write a plan as a readable document",
        description="Render PLAN as Markdown or HTML: grades, categories, report chain per "
        "grade with deadlines in words, principles; every line cites its clause.",
    )
    render.add_argument("plan", metavar="PLAN", help=PLAN_HELP)
    render.add_argument("--format", choices=("md", "html"), default="md", help="output format")
    render.add_argument(
        "--lang", choices=LANGUAGES, default="zh", help="label language (names from the plan)"
    )
    add_allow_dir_option(render)
    add_plugin_option(render)


def run_render(args: argparse.Namespace, io: Streams) -> int:
    """
    Run ``opinion-rules render``; return the exit code.

    Raises:
        PlanError: the plan cannot be loaded (for the caller to report).
    """
    plan = load_plan(args.plan, allowed_dirs=args.allow_dir, plugins=args.plugin)
    io.out.write(render_plan(plan, args.format, args.lang))
    return EXIT_OK
