"""
Conditions: the small frozen trees a plan's criteria are written in.

Build them with the functions (``measure("clicks_1d") > 1000``,
``all_of(...)``, ``not_(...)``) or the node classes; the engine compiles them,
nothing here evaluates anything.  See docs/reference/plan-file-format.md for
the same conditions in plan files.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.model._conditions import (
    AllOf,
    Always,
    AnyOf,
    CategoryIs,
    Compare,
    EventSeen,
    Not,
    OneOf,
    Param,
    all_of,
    any_of,
    category,
    event_seen,
    fact,
    grade,
    measure,
    not_,
    param,
)


__all__ = [
    "AllOf",
    "Always",
    "AnyOf",
    "CategoryIs",
    "Compare",
    "EventSeen",
    "Not",
    "OneOf",
    "Param",
    "all_of",
    "any_of",
    "category",
    "event_seen",
    "fact",
    "grade",
    "measure",
    "not_",
    "param",
]

publish(__name__, globals(), __all__)
