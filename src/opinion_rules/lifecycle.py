"""
An incident's life in a plan: grading, assignment of owners, routing,
de-escalation and closure, and the fixed word lists they use.

See docs/explanation/lifecycle.md.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.model._lifecycle import (
    ASSERTED_GRADES,
    GRADE_DRIVERS,
    OWNER_DUTIES,
    REGRADE_RULES,
    ROUTING_MODES,
    Assignment,
    Closure,
    Deescalation,
    Escalation,
    Grading,
    Routing,
)


__all__ = [
    "ASSERTED_GRADES",
    "GRADE_DRIVERS",
    "OWNER_DUTIES",
    "REGRADE_RULES",
    "ROUTING_MODES",
    "Assignment",
    "Closure",
    "Deescalation",
    "Escalation",
    "Grading",
    "Routing",
]

publish(__name__, globals(), __all__)
