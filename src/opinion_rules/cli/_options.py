"""
Options more than one command takes, and reading their values: instants
(``--at``, ``--known-at``, ``--recorded-at`` …), dates (``--today``) and
calendar year files (``--calendar-year``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date, timedelta

from opinion_rules._instants import parse_duration as _parse_duration
from opinion_rules._instants import parse_instant
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.planfile._schedules import load_year_schedule
from opinion_rules.time._calendars import YearSchedule


__all__ = [
    "INSTANT_HELP",
    "PLAN_HELP",
    "add_calendar_year_option",
    "add_plugin_option",
    "load_schedules",
    "parse_day",
    "parse_duration",
    "parse_instant",
]

PLAN_HELP = "a plan: plan.yaml, plan.toml, plan.json, plan.py, plan.py:NAME or module:NAME"
INSTANT_HELP = "with UTC offset, e.g. 2026-11-23T14:00:00+08:00"


def add_calendar_year_option(parser: argparse.ArgumentParser) -> None:
    """
    Add ``--calendar-year FILE`` (repeatable) to *parser*.
    """
    parser.add_argument(
        "--calendar-year",
        metavar="FILE",
        action="append",
        default=[],
        help="a year schedule file (the State Council's notice) added to the plan's china "
        "calendar (repeatable)",
    )


def add_plugin_option(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """
    Add ``--plugin NAME`` (repeatable) to *parser*; with *suppress*, a value
    given before a subcommand is kept when the subcommand has none.
    """
    parser.add_argument(
        "--plugin",
        metavar="NAME",
        action="append",
        default=argparse.SUPPRESS if suppress else [],
        help="enable the plug-in NAME, an installed entry point of the group "
        "opinion_rules.plugins (repeatable); none is enabled unless named",
    )


def load_schedules(paths: Sequence[str]) -> tuple[YearSchedule, ...]:
    """
    The year schedules in the ``--calendar-year`` files *paths*.
    """
    return tuple(load_year_schedule(p) for p in paths)


def parse_day(option: str, text: str) -> date:
    """
    The date given to *option* as ``YYYY-MM-DD``.

    Raises:
        FactError: *text* is not such a date.
    """
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FactError(
            option,
            [Problem("", "is not a date", "YYYY-MM-DD, e.g. 2026-12-06", repr(text))],
        ) from None


def parse_duration(text: str, option: str = "--horizon") -> timedelta:
    """
    Parse ``90m``, ``24h``, ``3d``, ``1w2d`` or ``1d12h`` into a timedelta
    (:func:`opinion_rules._instants.parse_duration`, which the service reads
    its query parameters with too).

    Raises:
        FactError: for anything else.
    """
    return _parse_duration(option, text)
