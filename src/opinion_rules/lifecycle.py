"""
An incident's life in a plan: grading, assignment of owners, routing,
de-escalation and closure, and the fixed word lists they use.

See docs/explanation/lifecycle.md.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.model._lifecycle import (
    GRADE_DRIVERS,
    OWNER_DUTIES,
    REGRADE_RULES,
    Assignment,
    Closure,
    Deescalation,
    Grading,
    Routing,
)


__all__ = [
    "GRADE_DRIVERS",
    "OWNER_DUTIES",
    "REGRADE_RULES",
    "Assignment",
    "Closure",
    "Deescalation",
    "Grading",
    "Routing",
]

publish(__name__, globals(), __all__)
