"""
Lint for deadlines that people move: an extension whose cap is never later
than the deadline itself (no request can extend it), an extension bounded
by nothing, and a promise on a deadline whose due time it can never beat.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from opinion_rules.exceptions import CalendarRangeError
from opinion_rules.model._deadlines import Deadline, cap_offset, due_time
from opinion_rules.model._plan import Plan
from opinion_rules.time._arithmetic import TimeRules, add_offset


__all__ = ["extension_findings"]

Raw = tuple[str, str, str, str]

#: Clock starts the cap is compared at: every 7 hours over four weeks of a
#: year the built-in calendar covers, so every weekday, hour band and
#: weekend is met.
_SAMPLE_FROM = (2025, 3, 3)
_SAMPLES = 4 * 24


def extension_findings(plan: Plan) -> Iterator[Raw]:
    """
    ``(severity, code, path, message)`` for each extension that cannot
    extend or is not bounded.
    """
    rules = plan.time_rules
    starts = _starts(ZoneInfo(plan.timezone))
    for i, action in enumerate(plan.actions):
        extension = action.deadline.extension
        if extension is None:
            continue
        where = f"actions[{i}].deadline.extension"
        if extension.by is None and extension.cap is None:
            yield (
                "warning",
                "extension-unbounded",
                where,
                (
                    f"action {action.id!r}: a request may move the due time to any date it asks "
                    "for; give a 'cap' (最长不超过…) or a 'by' per request if the plan sets one"
                ),
            )
        if (
            extension.cap is not None
            and extension.cap_from == "start"
            and _cap_never_later(action.deadline, rules, starts)
        ):
            yield (
                "warning",
                "extension-cap-never-extends",
                f"{where}.cap",
                (
                    f"action {action.id!r}: the cap ({extension.cap.describe()}) is never "
                    "later than the deadline itself, so no request can extend it; the cap "
                    "runs from the clock's start (cap_from: due counts it past the deadline)"
                ),
            )


def _starts(tz: ZoneInfo) -> list[datetime]:
    first = datetime(*_SAMPLE_FROM, tzinfo=tz)
    return [first + timedelta(hours=7 * k) for k in range(_SAMPLES)]


def _cap_never_later(deadline: Deadline, rules: TimeRules, starts: list[datetime]) -> bool:
    cap = cap_offset(deadline)
    assert cap is not None  # noqa: S101 - the caller checked
    compared = 0
    for start in starts:
        try:
            due = due_time(deadline, start, rules)
            limit = add_offset(cap, start, rules)
        except CalendarRangeError:
            continue  # a data calendar that does not cover the sample year
        if due is None:
            return False
        if limit > due:
            return False
        compared += 1
    return compared > 0
