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
from opinion_rules.model._anchors import BUILTIN_EVENTS, REF_ANCHORS
from opinion_rules.model._conditions import EventSeen, walk
from opinion_rules.model._content import PlanContent, plan_conditions
from opinion_rules.model._deadlines import Deadline, custom_events
from opinion_rules.model._recurrences import count_problems
from opinion_rules.model._state_conditions import anchors_of, state_nodes
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
        "fact": {f.id for f in plan.facts},
    }
    declared_events = {e.id for e in plan.events}
    for i, e in enumerate(plan.events):
        if e.id in (*BUILTIN_EVENTS, *REF_ANCHORS):
            yield Problem(f"events[{i}].id", f"{e.id!r} is a built-in event; do not declare it")
    # Who waits on whom, and the field that says so.
    waits: dict[str, list[tuple[str, str]]] = {}
    for i, a in enumerate(plan.actions):
        where = f"actions[{i}].deadline"
        deadline = a.deadline
        anchor = deadline.anchor
        kind = REF_ANCHORS.get(anchor.event)
        for ref in anchor.items:
            if kind is not None and ref not in refs[kind]:
                yield Problem(
                    f"{where}.anchor",
                    f"{kind} {ref!r} is not defined",
                    expected_names_capped(ref, refs[kind]),
                    refers_to=ref,
                )
            elif kind == "action":
                if ref == a.id:
                    yield Problem(f"{where}.anchor", f"action {a.id!r} is anchored on itself")
                else:
                    waits.setdefault(a.id, []).append((ref, f"{where}.anchor"))
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
        if deadline.recurrence is not None:
            yield from count_problems(deadline.recurrence, refs["grade"], where)
    yield from _state_problems(plan, refs, declared_events, waits)
    yield from _wait_cycles(waits)
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


def _state_problems(
    plan: PlanContent,
    refs: dict[str, set[str]],
    declared_events: set[str],
    waits: dict[str, list[tuple[str, str]]],
) -> Iterator[Problem]:
    """
    The anchors of conditions on actions and anchors (``done(x)``,
    ``before(a, b)`` …) resolve; an action reading an action's state waits
    on it, so it may not read its own.
    """
    shared = {r.id: (j, r) for j, r in enumerate(plan.routings)}
    for i, a in enumerate(plan.actions):
        conditions = [(f"actions[{i}].condition", a.condition)]
        for j, r in enumerate(a.routing):
            if not isinstance(r, str):
                conditions.append((f"actions[{i}].routing[{j}].condition", r.condition))
            elif r in shared:  # a plan-level routing the action uses
                k, routing = shared[r]
                conditions.append((f"routings[{k}].condition", routing.condition))
        for where, condition in conditions:
            for node in state_nodes(condition):
                for anchor in anchors_of(node):
                    kind = REF_ANCHORS.get(anchor.event)
                    for ref in anchor.items:
                        if kind is not None and ref not in refs[kind]:
                            yield Problem(
                                where,
                                f"{node.key()}: {kind} {ref!r} is not defined",
                                expected_names_capped(ref, refs[kind]),
                                refers_to=ref,
                            )
                        elif kind == "action" and ref == a.id:
                            yield Problem(
                                where,
                                f"{node.key()}: action {a.id!r} reads its own state",
                                "a condition on other actions or on events",
                            )
                        elif kind == "action":
                            waits.setdefault(a.id, []).append((ref, where))
                    custom = anchor.event not in BUILTIN_EVENTS and kind is None
                    if custom and declared_events and anchor.event not in declared_events:
                        yield Problem(
                            where,
                            f"{node.key()} names event {anchor.event!r}, "
                            "not declared in the plan's events",
                            expected_names_capped(anchor.event, declared_events),
                        )


def _wait_cycles(waits: dict[str, list[tuple[str, str]]]) -> Iterator[Problem]:
    """
    Actions that wait on each other in a cycle, each cycle reported once.
    *waits* maps an action to the actions it waits on, in the order met,
    each with the field that makes it wait; a cycle is reported at the
    field of its first action.
    """
    reported: set[str] = set()
    finished: set[str] = set()
    for start in waits:
        # Depth first, iteratively: the path so far and the next edge of each.
        path: list[str] = [start]
        edges: list[int] = [0]
        fields: list[str] = [""]  # the field of the edge taken from each
        while path:
            current = path[-1]
            targets = waits.get(current, [])
            if current in finished or edges[-1] >= len(targets):
                finished.add(current)
                path.pop()
                edges.pop()
                fields.pop()
                continue
            target, field = targets[edges[-1]]
            edges[-1] += 1
            fields[-1] = field
            if target in path:
                cycle = path[path.index(target) :]
                if not reported.intersection(cycle):
                    reported.update(cycle)
                    yield Problem(
                        fields[path.index(target)],
                        "actions wait on each other in a cycle: " + " -> ".join([*cycle, target]),
                        "anchors that lead back to an event, not to each other",
                    )
            elif target not in finished:
                path.append(target)
                edges.append(0)
                fields.append("")
