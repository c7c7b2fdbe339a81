"""
Deadlines: when a duty falls due, as data.

An action's :class:`Deadline` runs from an :class:`Anchor` (the discovery,
an event, another action done, ...) by an :class:`Offset` of hours, minutes
or working days, may be extended (:class:`Extension`) or repeat
(:class:`Recurrence`).  The functions build the common ones: ``after("discovered", hours=2)``,
``immediately("discovered")``, ``end_of_day("posted")``, ``recurring(...)``.  See
docs/explanation/time-semantics.md.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.model._deadlines import (
    Anchor,
    Deadline,
    Extension,
    Readings,
    Recurrence,
    after,
    anchor_all,
    anchor_any,
    end_of_day,
    immediately,
    no_deadline,
    promptly,
    recurring,
    until,
    until_readings,
)
from opinion_rules.time._offsets import Offset


__all__ = [
    "Anchor",
    "Deadline",
    "Extension",
    "Offset",
    "Readings",
    "Recurrence",
    "after",
    "anchor_all",
    "anchor_any",
    "end_of_day",
    "immediately",
    "no_deadline",
    "promptly",
    "recurring",
    "until",
    "until_readings",
]

publish(__name__, globals(), __all__)
