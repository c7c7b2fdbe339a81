"""
Reading ISO 8601 instants fast and exactly: the common shape of the
interchange format (``2026-11-23T09:00:00+08:00``, fractions up to
microseconds, ``Z``) by the standard library, anything else by dateutil's
``isoparse``, whose acceptance and errors every reader relies on.
"""

from __future__ import annotations

import re
from datetime import datetime

from dateutil.parser import isoparse


__all__ = ["parse_iso"]

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
