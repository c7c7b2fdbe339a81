"""
Pictures of incidents: the timeline of one incident as of an instant (each
measure the grades read against its thresholds, the grade steps with their
clauses, every action's anchor, due time and completion, the report chains
and the evaluation instant), as SVG or PNG.

:func:`timeline_picture` works out what the picture shows, with the engine,
and needs nothing else; :func:`draw_timeline` draws it with matplotlib, the
optional ``plot`` extra (``pip install 'opinion-rules[plot]'``).  The how-to
is ``docs/how-to/draw-a-timeline.md``.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.pictures._draw import CJK_FONTS, cjk_font, draw_timeline
from opinion_rules.pictures._timeline_data import (
    ActionMark,
    ChainMark,
    GradeLevel,
    GradeStep,
    MeasureTrace,
    Threshold,
    TimelinePicture,
    timeline_picture,
)


__all__ = [
    "CJK_FONTS",
    "ActionMark",
    "ChainMark",
    "GradeLevel",
    "GradeStep",
    "MeasureTrace",
    "Threshold",
    "TimelinePicture",
    "cjk_font",
    "draw_timeline",
    "timeline_picture",
]

publish(__name__, globals(), __all__)
