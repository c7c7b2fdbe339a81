"""
Rendering the parts of a deadline that people move within the plan's
bounds: extensions (延期) and promised due times (承诺时限).
"""

from __future__ import annotations

from collections.abc import Callable

from opinion_rules.model._conditions import Condition
from opinion_rules.model._deadlines import Deadline, cap_offset
from opinion_rules.model._extensions import Extension
from opinion_rules.time._offsets import Offset


__all__ = ["moved_by_people"]


def moved_by_people(
    deadline: Deadline,
    en: bool,
    condition: Callable[[Condition], str],
    offset_en: Callable[[Offset], str],
) -> str:
    """
    The extension and promise of *deadline* in parentheses, or ``""``;
    *condition* renders the extension's condition, *offset_en* an offset
    in English.
    """
    parts = []
    extension = deadline.extension
    if extension is not None:
        when = None if extension.when is None else condition(extension.when)
        if en:
            parts.append(_extension_en(deadline, extension, when, offset_en))
        else:
            parts.append(extension.describe(when, cap_offset(deadline)))
    if deadline.promise is not None:
        bounded = deadline.kind in ("offset", "end_of_day")
        if en:
            parts.append(
                "a promised due time binds when earlier" if bounded else "due by the promised time"
            )
        else:
            parts.append("承诺时限更早的，以承诺时限为准" if bounded else "以承诺时限为准")
    if not parts:
        return ""
    return f" ({'; '.join(parts)})" if en else f"（{'；'.join(parts)}）"


def _extension_en(
    deadline: Deadline, extension: Extension, when: str | None, offset_en: Callable[[Offset], str]
) -> str:
    words = "extendable"
    if extension.times is not None:
        words += f" {_times_en(extension.times)}"
    if when is not None:
        words += f" when {when}"
    if extension.by is None:
        words += ", to the date requested"
    else:
        words += f", by up to {offset_en(extension.by)} per request"
    cap = cap_offset(deadline)
    if cap is not None:
        origin = "beyond the original due time" if extension.cap_from == "due" else "in all"
        words += f", at most {offset_en(cap)} {origin}"
    return words


def _times_en(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"
