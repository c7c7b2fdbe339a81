"""
Lint for recurring duties: a recurrence that never fires (a rule with no
occurrence after some clock start, an UNTIL or a date list all before
today), and a count of 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from opinion_rules.model._plan import Plan
from opinion_rules.model._recurrences import Recurrence
from opinion_rules.time._recurrence import RuleSchedule
from opinion_rules.time._rrule import RRule


__all__ = ["recurrence_findings"]

#: Where lint looks for a rule's first occurrence: thirty years after a start.
_LOOK_AHEAD = timedelta(days=30 * 366)

Raw = tuple[str, str, str, str]


def recurrence_findings(plan: Plan, today: date | None) -> Iterator[Raw]:
    """
    ``(severity, code, path, message)`` for each recurring duty that may
    owe nothing.
    """
    tz = ZoneInfo(plan.timezone)
    for i, action in enumerate(plan.actions):
        recurrence = action.deadline.recurrence
        if recurrence is None:
            continue
        where = f"actions[{i}].deadline"
        name = action.id
        rule = recurrence.parsed()
        if rule is not None:
            yield from _rule_findings(rule, tz, today, where, name)
        if recurrence.dates is not None and today is not None:
            last = max(d.date() if isinstance(d, datetime) else d for d in recurrence.dates)
            if last < today:
                yield (
                    "warning",
                    "recurrence-never-fires",
                    f"{where}.dates",
                    (
                        f"action {name!r}: every listed date is before today ({today}; the last is "
                        f"{last}), so the duty owes nothing for an incident from now on; add the "
                        "coming dates (e.g. the next terms of the school calendar)"
                    ),
                )
        yield from _zero_counts(recurrence, where, name)


def _rule_findings(
    rule: RRule,
    tz: ZoneInfo,
    today: date | None,
    where: str,
    name: str,
) -> Iterator[Raw]:
    until = rule.until
    if today is not None and until is not None:
        until_day = until.date() if isinstance(until, datetime) else until
        if until_day < today:
            yield (
                "warning",
                "recurrence-never-fires",
                f"{where}.rule",
                (
                    f"action {name!r}: the rule's UNTIL ({until_day}) is before today ({today}), "
                    "so it owes nothing for an incident from now on"
                ),
            )
            return
    # Clock starts on different days and hours of one year; UNTIL and
    # COUNT aside (an UNTIL is judged against today above).
    year = (today or date(2025, 1, 1)).year
    unbounded = attrs.evolve(rule, until=None, count=None)
    silent = []
    for month in range(1, 13):
        start = datetime.combine(date(year, month, 1 + month), time(month), tzinfo=tz)
        schedule = RuleSchedule(unbounded, start, tz, None)
        if schedule.empty or _first(schedule, start) is None:
            silent.append(start)
    if len(silent) == 12:
        yield (
            "warning",
            "recurrence-never-fires",
            f"{where}.rule",
            (
                f"action {name!r}: the rule {rule.text!r} has no occurrence within 30 years of "
                "any clock start tried: it never fires"
            ),
        )
    elif silent:
        yield (
            "warning",
            "recurrence-never-fires",
            f"{where}.rule",
            (
                f"action {name!r}: the rule {rule.text!r} has no occurrence within 30 years "
                f"when the clock starts at {silent[0].strftime('%Y-%m-%d %H:%M')} (its INTERVAL "
                "never reaches the days or hours it names from there)"
            ),
        )


def _first(schedule: RuleSchedule, start: datetime) -> datetime | None:
    due = next(schedule.after(start), None)
    return due if due is not None and due - start <= _LOOK_AHEAD else None


def _zero_counts(recurrence: Recurrence, where: str, name: str) -> Iterator[Raw]:
    counts = recurrence.counts
    if isinstance(counts, int):
        return
    field = "per_day" if recurrence.per_day is not None else "times"
    if all(n == 0 for _, n in counts):
        yield (
            "warning",
            "recurrence-zero-count",
            f"{where}.{field}",
            f"action {name!r}: every grade's count is 0, so the duty never owes anything",
        )
        return
    for grade, n in counts:
        if n == 0:
            yield (
                "warning",
                "recurrence-zero-count",
                f"{where}.{field}.{grade}",
                (
                    f"action {name!r}: a count of 0 owes nothing at grade {grade!r} (and the "
                    "grades above it up to the next listed one); check that this is meant"
                ),
            )
