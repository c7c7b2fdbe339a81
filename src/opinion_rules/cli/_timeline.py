"""
``opinion-rules timeline``: draw an incident's timeline as of an instant, as
SVG or PNG (and ``track timeline --out``, the same picture of a stored
incident).

Exit codes, as for the other commands: 0 drawn; 2 bad input (the plan, the
incident, ``--at``, a file name that ends in neither ``.svg`` nor
``.png``); 1 the picture cannot be drawn here (matplotlib, the ``plot``
extra, is not installed) or the file cannot be written, as for ``track
agenda --ics``; 3 an evaluation backend failed.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from opinion_rules.cli import _clock
from opinion_rules.cli._evaluate import add_evaluation_options, with_params
from opinion_rules.cli._exits import EXIT_FAILED, EXIT_OK
from opinion_rules.cli._options import (
    INSTANT_HELP,
    PLAN_HELP,
    load_schedules,
    parse_instant,
)
from opinion_rules.cli._output import Streams
from opinion_rules.engine._engine import Engine
from opinion_rules.model._incident_files import load_incident
from opinion_rules.pictures._draw import (
    CJK_FONTS,
    INSTALL_HINT,
    draw_timeline,
    has_cjk_words,
    picture_format,
)
from opinion_rules.pictures._timeline_data import TimelinePicture, timeline_picture
from opinion_rules.planfile._loaders import load_plan
from opinion_rules.plugins._manager import PluginSet
from opinion_rules.store import CaseStore


__all__ = ["OUT_HELP", "add_timeline_parser", "run_timeline", "track_picture"]

OUT_HELP = "the picture file to write: FILE.svg or FILE.png"
FONT_PACKAGE = "fonts-noto-cjk"


def add_timeline_parser(commands: Any) -> None:
    """
    Add the ``timeline`` command to *commands*, the subparsers of the
    ``opinion-rules`` parser.
    """
    timeline = commands.add_parser(
        "timeline",
        help="draw an incident's timeline as of an instant (SVG or PNG)",
        description="Draw INCIDENT against PLAN as of --at on one time axis: each measure the "
        "grades read against its thresholds, the grade steps with their clauses, every "
        "action's anchor, due time and completion (late ones in red), the report chains' hops "
        "and the evaluation instant. Needs the plot extra: " + INSTALL_HINT + ".",
    )
    timeline.add_argument("plan", metavar="PLAN", help=PLAN_HELP)
    timeline.add_argument(
        "incident", metavar="INCIDENT", help="an incident file in the JSON interchange format"
    )
    timeline.add_argument(
        "--at", metavar="ISO8601", help=f"the evaluation instant, {INSTANT_HELP} (default: now)"
    )
    timeline.add_argument("--out", required=True, metavar="FILE", help=OUT_HELP)
    add_evaluation_options(timeline)


def run_timeline(args: argparse.Namespace, io: Streams) -> int:
    """
    Run ``opinion-rules timeline``; return the exit code.

    Raises:
        OpinionRulesError: bad input, or the backend failed (for the caller
            to report).
    """
    picture_format(args.out)  # a wrong file name fails before any work
    at = parse_instant("--at", args.at) or _clock.now()  # the documented default
    plugins = PluginSet(args.plugin)
    plan = load_plan(args.plan, allowed_dirs=args.allow_dir, plugins=plugins)
    plan = with_params(plan, args.param).with_schedules(*load_schedules(args.calendar_year))
    incident = load_incident(args.incident)
    engine = Engine(plan, backend=args.backend, plugins=plugins)
    return _draw(timeline_picture(engine, incident, at=at), args.out, io)


def track_picture(store: CaseStore, args: argparse.Namespace, io: Streams) -> int:
    """
    ``track timeline ID --out FILE``: the picture of a stored incident,
    replayed as of ``--at`` (default: now) with the store's own assessment.

    Raises:
        OpinionRulesError: bad input, or the store or the backend failed.
    """
    picture_format(args.out)
    at: datetime = parse_instant("--at", args.at) or _clock.now()  # the documented default
    assessment = store.assess(args.incident, at)
    incident = store.incident(args.incident, known_at=at)
    plan = store.plan(store.plan_key_of(args.incident))
    engine = Engine(plan, plugins=PluginSet(args.plugin))
    picture = timeline_picture(engine, incident, at=at, assessment=assessment)
    return _draw(picture, args.out, io)


def _draw(picture: TimelinePicture, out: str, io: Streams) -> int:
    try:
        font = draw_timeline(picture, out)
    except ModuleNotFoundError:
        print(
            f"opinion-rules: error: drawing a timeline needs matplotlib; install it with "
            f"{INSTALL_HINT}",
            file=io.err,
        )
        return EXIT_FAILED
    except OSError as exc:
        print(
            f"opinion-rules: error: --out {out}: cannot write: {exc.strerror or exc}", file=io.err
        )
        return EXIT_FAILED
    if font is None and has_cjk_words(picture):
        print(
            f"opinion-rules: warning: no CJK font installed (looked for {CJK_FONTS[0]} and "
            f"{len(CJK_FONTS) - 1} others); the picture shows ids and English names instead of "
            f"the plan's Chinese words (Debian: apt-get install {FONT_PACKAGE})",
            file=io.err,
        )
    io.out.write(
        f"wrote the timeline of {picture.incident_id} as of {picture.at.isoformat()} to {out}\n"
    )
    return EXIT_OK
