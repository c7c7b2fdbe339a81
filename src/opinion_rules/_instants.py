"""
Reading ISO 8601 instants fast and exactly: the common shape of the
interchange format (``2026-11-23T09:00:00+08:00``, fractions up to
microseconds, ``Z``) by the standard library, anything else by dateutil's
``isoparse``, whose acceptance and errors every reader relies on.

Also the instants and durations people type (``--at``, ``?at=``,
``--horizon``, ``?horizon=``), read the same way by the command line and
the HTTP service.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from dateutil.parser import isoparse

from opinion_rules._limits import LONGEST_PERIOD, instant_problem, period_problem
from opinion_rules.exceptions import FactError, Problem


__all__ = ["parse_duration", "parse_instant", "parse_iso"]

#: The shape the standard library reads exactly as ``isoparse`` does.
_COMMON = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}:\d{2}|Z)")


def parse_iso(text: str) -> datetime:
    """
    *text* as a datetime, as ``dateutil.parser.isoparse`` reads it.

    Raises:
        ValueError, OverflowError: as ``isoparse`` does.
    """
    if _COMMON.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # e.g. a day that does not exist: isoparse says why
    return isoparse(text)


_INSTANT_EXPECTED = "an ISO 8601 datetime with offset, e.g. 2026-11-23T14:00:00+08:00"


def parse_instant(option: str, text: str | None) -> datetime | None:
    """
    The instant given to *option* (``--at``, ``at`` ...): an ISO 8601
    datetime with a UTC offset, within the supported range; ``None`` when
    it was not given.

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


_DURATION = re.compile(
    r"^\s*(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$", re.IGNORECASE
)
# More digits than any duration up to LONGEST_PERIOD needs, in minutes (8).
_DURATION_DIGITS = 12


def parse_duration(option: str, text: str) -> timedelta:
    """
    The duration given to *option*: ``90m``, ``24h``, ``3d``, ``1w2d`` or
    ``1d12h``, at most :data:`~._limits.LONGEST_PERIOD`.

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
