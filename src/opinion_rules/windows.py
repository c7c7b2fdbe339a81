"""
Windows and measures: what a criterion counts, and over which span of time.

A plan's :class:`Measure` names an observed quantity and its :class:`Window`:
``rolling(hours=24)`` (the last 24 hours), ``cumulative()`` (everything so
far), ``calendar_day()`` (the local day so far) or ``sustained(days=7)``
(every one of 7 consecutive days).  See docs/explanation/time-semantics.md.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.model._windows import (
    Measure,
    Window,
    calendar_day,
    cumulative,
    rate,
    rolling,
    sustained,
)


__all__ = ["Measure", "Window", "calendar_day", "cumulative", "rate", "rolling", "sustained"]

publish(__name__, globals(), __all__)
