"""
The timing checks of a whole plan: anchors that resolve, no actions waiting
on each other in a cycle, declared events, periods short enough to compute
with, calendars where deadlines need them, and report chains that follow
their hops.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from opinion_rules._limits import LONGEST_PERIOD, MOST_PER_DAY, MOST_WORKING_DAYS, period_problem
from opinion_rules._suggest import expected_names_capped, one_of
from opinion_rules.exceptions import Problem
from opinion_rules.model._conditions import EventSeen, walk
from opinion_rules.model._content import PlanContent, plan_conditions
from opinion_rules.model._deadlines import BUILTIN_EVENTS, REF_ANCHORS, Deadline, custom_events
from opinion_rules.time._offsets import Offset, offset_problem


__all__ = ["timing_problems"]


def timing_problems(plan: PlanContent) -> Iterator[Problem]:
    """
    Anchors that resolve, no waiting cycles, calendars where deadlines need
    them, declared events, and report chains that follow their hops.
    """
    refs = {
        "action": {a.id for a in plan.actions},
        "grade": {g.id for g in plan.grades},
        "category": {c.id for c in plan.categories},
    }
    declared_events = {e.id for e in plan.events}
    for i, e in enumerate(plan.events):
        if e.id in (*BUILTIN_EVENTS, *REF_ANCHORS):
            yield Problem(f"events[{i}].id", f"{e.id!r} is a built-in event; do not declare it")
    waits: dict[str, str] = {}
    for i, a in enumerate(plan.actions):
        where = f"actions[{i}].deadline"
        deadline = a.deadline
        anchor = deadline.anchor
        kind = REF_ANCHORS.get(anchor.event)
        if kind is not None and anchor.ref not in refs[kind]:
            yield Problem(
                f"{where}.anchor",
                f"{kind} {anchor.ref!r} is not defined",
                expected_names_capped(str(anchor.ref), refs[kind]),
                refers_to=anchor.ref,
            )
        elif kind == "action":
            if anchor.ref == a.id:
                yield Problem(f"{where}.anchor", f"action {a.id!r} is anchored on itself")
            else:
                waits[a.id] = str(anchor.ref)
        for event, field in custom_events(deadline):
            if declared_events and event not in declared_events:
                yield Problem(
                    f"{where}.{field}",
                    f"event {event!r} is not declared in the plan's events",
                    expected_names_capped(event, declared_events),
                )
        for field, offset in deadline.offsets():
            # Plan files write the offset as 'within'.
            name = "within" if field == "offset" else field
            yield from _offset_problems(offset, f"{where}.{name}")
            yield from _calendar_problems(plan, offset, f"{where}.{name}")
        yield from _recurrence_problems(deadline, where)
    yield from _wait_cycles(plan, waits)
    if declared_events:
        for where, condition in plan_conditions(plan):
            for event in sorted({n.event for n in walk(condition) if isinstance(n, EventSeen)}):
                if event not in declared_events:
                    yield Problem(
                        where,
                        f"seen({event}) tests an event not declared in the plan's events",
                        expected_names_capped(event, declared_events),
                    )
    actions = {a.id: a for a in plan.actions}
    for i, chain in enumerate(plan.chains):
        for j, hop in enumerate(chain.hops):
            if hop not in actions:
                yield Problem(
                    f"chains[{i}].hops[{j}]",
                    f"action {hop!r} is not defined",
                    one_of(actions),
                    refers_to=hop,
                )
            elif j and str(actions[hop].deadline.anchor) != f"action_done:{chain.hops[j - 1]}":
                yield Problem(
                    f"chains[{i}].hops[{j}]",
                    f"hop {hop!r} does not run from the previous hop's completion",
                    f"its deadline anchored on 'action_done:{chain.hops[j - 1]}'",
                    str(actions[hop].deadline.anchor),
                )
        if chain.bound is not None:
            yield from _offset_problems(chain.bound, f"chains[{i}].bound")
            yield from _calendar_problems(plan, chain.bound, f"chains[{i}].bound")


def _offset_problems(offset: Offset, where: str) -> Iterator[Problem]:
    problem = offset_problem(offset)
    if problem is not None:
        yield Problem(
            where,
            f"the period {problem}",
            f"at most {LONGEST_PERIOD.days}d, or {MOST_WORKING_DAYS}wd",
            offset.text() if len(offset.text()) <= 60 else None,
        )


#: The shortest ``every`` (the same rate as MOST_PER_DAY completions a day).
_SHORTEST_RECURRENCE = timedelta(days=1) / MOST_PER_DAY


def _recurrence_problems(deadline: Deadline, where: str) -> Iterator[Problem]:
    recurrence = deadline.recurrence
    if recurrence is None:
        return
    if recurrence.every is not None and period_problem(recurrence.every) is not None:
        yield Problem(
            f"{where}.every",
            f"the recurrence {period_problem(recurrence.every)}",
            f"at most {LONGEST_PERIOD.days}d",
        )
    elif recurrence.every is not None and recurrence.every < _SHORTEST_RECURRENCE:
        # As for per_day: every occurrence is owed and reported, so a duty
        # due each second owes 86,400 a day.
        yield Problem(
            f"{where}.every",
            f"the recurrence is more often than once a minute (every {recurrence.every})",
            "at least 1m",
        )
    if recurrence.per_day is not None and recurrence.per_day > MOST_PER_DAY:
        yield Problem(
            f"{where}.per_day",
            f"asks for more than {MOST_PER_DAY} completions a day (one a minute)",
            f"at most {MOST_PER_DAY}",
        )


def _calendar_problems(plan: PlanContent, offset: Offset, where: str) -> Iterator[Problem]:
    if offset.needs_calendar() and plan.calendar is None:
        yield Problem(
            where,
            f"{offset.describe()} needs a working calendar and the plan has none",
            "a plan 'calendar' (china, or holiday and make-up day data)",
        )
    elif offset.clock != "calendar" and plan.calendar and not plan.calendar.hours:
        yield Problem(
            where,
            f"clock {offset.clock!r} needs working hours and calendar "
            f"{plan.calendar.name!r} states none",
            "the calendar's working 'hours', e.g. 09:00-12:00 and 13:30-17:30",
        )


def _wait_cycles(plan: PlanContent, waits: dict[str, str]) -> Iterator[Problem]:
    reported: set[str] = set()
    index = {a.id: i for i, a in enumerate(plan.actions)}
    for start in waits:
        seen = [start]
        current = start
        while current in waits:
            current = waits[current]
            if current in seen:
                cycle = seen[seen.index(current) :]
                if not reported.intersection(cycle):
                    reported.update(cycle)
                    yield Problem(
                        f"actions[{index[current]}].deadline.anchor",
                        "actions wait on each other in a cycle: " + " -> ".join([*cycle, current]),
                        "anchors that lead back to an event, not to each other",
                    )
                break
            seen.append(current)
