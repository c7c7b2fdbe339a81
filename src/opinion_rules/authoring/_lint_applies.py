"""
Lint checks of how long items apply (``applies: while``): an action or a
category said to apply only while its condition holds, whose condition
always holds, is never withdrawn, so the key says nothing.

Each check yields ``(severity, code, path, message)``; :mod:`._lint` makes
them findings.
"""

from __future__ import annotations

from collections.abc import Iterator

from opinion_rules.model._conditions import Always
from opinion_rules.model._plan import Plan


__all__ = ["applies_findings"]

Raw = tuple[str, str, str, str]


def applies_findings(plan: Plan) -> Iterator[Raw]:
    """
    The findings about ``applies: while`` on actions and categories.
    """
    items = [
        ("actions", "action", i, a.id, a.condition, a.applies) for i, a in enumerate(plan.actions)
    ]
    items += [
        ("categories", "category", i, c.id, c.condition, c.applies)
        for i, c in enumerate(plan.categories)
        if not c.other  # an "other" category ends when another one holds
    ]
    for section, word, i, item_id, condition, applies in items:
        if applies == "while" and isinstance(condition, Always):
            yield (
                "warning",
                "while-never-ends",
                f"{section}[{i}].applies",
                (
                    f"{word} {item_id!r} applies only while its "
                    "condition holds, but it has no condition (always): it is never withdrawn; "
                    "give the condition it depends on, or drop 'applies: while'"
                ),
            )
