"""
Options more than one command takes, and reading their values: instants
(``--at``, ``--known-at``, ``--recorded-at`` …), dates (``--today``) and
calendar year files (``--calendar-year``).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from opinion_rules._instants import parse_iso
from opinion_rules._limits import LONGEST_PERIOD, instant_problem, period_problem
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
_DURATION = re.compile(
    r"^\s*(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$", re.IGNORECASE
)
# More digits than any horizon up to LONGEST_PERIOD needs, in minutes (8).
_DURATION_DIGITS = 12
_INSTANT_EXPECTED = "an ISO 8601 datetime with offset, e.g. 2026-11-23T14:00:00+08:00"


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


def parse_instant(option: str, text: str | None) -> datetime | None:
    """
    The instant given to *option*: an ISO 8601 datetime with a UTC offset,
    within the supported range; ``None`` when the option was not given.

    Raises:
        FactError: *text* is not such an instant.
    """
    if text is None:
        return None
    try:
        value = parse_iso(text)
    except (ValueError, OverflowError):
        problem = Problem("", "is not an ISO 8601 datetime", _INSTANT_EXPECTED, repr(text))
        raise FactError(option, [problem]) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise FactError(
            option,
            [Problem("", "has no UTC offset (naive datetime)", _INSTANT_EXPECTED, repr(text))],
        )
    outside = instant_problem(value)
    if outside is not None:
        # The message states the range expected; the format was fine.
        raise FactError(option, [Problem("", outside, got=repr(text))])
    return value


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
    Parse ``90m``, ``24h``, ``3d``, ``1w2d`` or ``1d12h`` into a timedelta.

    Raises:
        FactError: for anything else.
    """
    expected = "weeks, days, hours, minutes, e.g. 24h, 3d, 1d12h"
    match = _DURATION.match(text)
    if match is None or not any(match.groups()):
        raise FactError(option, [Problem("", "is not a duration", expected, repr(text))])
    too_long = Problem(
        "",
        f"is longer than the longest supported period ({LONGEST_PERIOD.days} days)",
        expected,
        repr(text),
    )
    if any(len(g.lstrip("0")) > _DURATION_DIGITS for g in match.groups() if g):
        raise FactError(option, [too_long])
    weeks, days, hours, mins = (int(g) if g else 0 for g in match.groups())
    try:
        value = timedelta(weeks=weeks, days=days, hours=hours, minutes=mins)
    except OverflowError:
        raise FactError(option, [too_long]) from None
    if period_problem(value) is not None:
        raise FactError(option, [too_long])
    return value
