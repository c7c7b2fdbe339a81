"""
Conditions: the small frozen trees a plan's criteria are written in.

Build them with the functions (``measure("clicks_1d") > 1000``,
``measure("negative") > measure("comments") * 0.3``,
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
    Arithmetic,
    CategoryIs,
    Compare,
    CompareValues,
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
from opinion_rules.model._state_conditions import (
    ActionState,
    Before,
    Within,
    before,
    done,
    overdue,
    within,
)
from opinion_rules.model._terms import Call, call


__all__ = [
    "ActionState",
    "AllOf",
    "Always",
    "AnyOf",
    "Arithmetic",
    "Before",
    "Call",
    "CategoryIs",
    "Compare",
    "CompareValues",
    "EventSeen",
    "Not",
    "OneOf",
    "Param",
    "Within",
    "all_of",
    "any_of",
    "before",
    "call",
    "category",
    "done",
    "event_seen",
    "fact",
    "grade",
    "measure",
    "not_",
    "overdue",
    "param",
    "within",
]

publish(__name__, globals(), __all__)
