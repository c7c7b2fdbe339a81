"""
Words for conditions on actions and anchors (``done(x)``, ``overdue(x)``,
``before(a, b)``, ``within(e, a, 30d)``) in rendered plans, Chinese and English.
"""

from __future__ import annotations

from collections.abc import Callable

from opinion_rules.model._anchors import Anchor
from opinion_rules.model._plan import Plan
from opinion_rules.model._state_conditions import ActionState, Before, StateCondition, Within


__all__ = ["state_words"]


def _offset_en(text: str) -> str:
    units = {"wd": " working day(s)", "d": " day(s)", "h": " hour(s)", "m": " minute(s)"}
    for unit, words in units.items():
        if text.endswith(unit) and text[: -len(unit)].isdigit():
            return text[: -len(unit)] + words
    return text


def state_words(
    plan: Plan, condition: StateCondition, anchor: Callable[[Anchor], str], *, en: bool
) -> str:
    """
    *condition* in words; *anchor* names an anchor in the document's language.
    """
    match condition:
        case ActionState(action_id, state):
            title = next((a.title for a in plan.actions if a.id == action_id), action_id)
            if en:
                return f"“{title}” {'done' if state == 'done' else 'overdue'}"
            return f"“{title}”{'已完成' if state == 'done' else '已超过时限'}"
        case Before(first, second):
            if en:
                return f"{anchor(first)} before {anchor(second)}"
            return f"{anchor(second)}前{anchor(first)}"
        case Within(event, start, offset):
            if en:
                return f"{anchor(event)} within {_offset_en(offset.text())} of {anchor(start)}"
            return f"自{anchor(start)}起{offset.describe()}内{anchor(event)}"
    raise TypeError(f"not a state condition: {condition!r}")  # pragma: no cover
