"""
What an evaluation returns: the :class:`Assessment` of one incident at one
instant, with the status of every duty (:class:`ActionStatus`), the grade and
categories reached, report chains, owners, and what could not be decided.

See docs/reference/assessment-format.md.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.model._results import (
    STATUSES,
    ActionStatus,
    Assessment,
    CategoryMatch,
    ChainStatus,
    GradeAssessment,
    GradeReached,
    JudgementMade,
    Owner,
    Undecided,
)


__all__ = [
    "STATUSES",
    "ActionStatus",
    "Assessment",
    "CategoryMatch",
    "ChainStatus",
    "GradeAssessment",
    "GradeReached",
    "JudgementMade",
    "Owner",
    "Undecided",
]

publish(__name__, globals(), __all__)
