"""
The wall clock, read in one place.

Evaluation never reads a clock: "now" is always a parameter.  Only the
command line reads it, for the documented defaults (``--at`` and
``--recorded-at`` default to now; ``check`` warns about calendars that end
soon).  Every such read goes through :func:`now`, so a test can tell when
it was reached without pinning the clock (``tests/conftest.py``).
"""

from __future__ import annotations

from datetime import datetime


__all__ = ["now"]


def now() -> datetime:
    """
    The current instant, timezone-aware, in the machine's local zone.
    """
    return datetime.now().astimezone()  # clock-ok: the one read of the wall clock
