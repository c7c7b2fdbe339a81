"""
What a plan holds, as the checks and the vocabulary functions read it, and
the names a plan gives incidents: the conditions it tests and the event
types an incident may record.

The checks run while a :class:`~opinion_rules.model._plan.Plan` is being
built, so they read it through :class:`PlanContent` rather than import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from opinion_rules.model._conditions import Condition, EventSeen, walk
from opinion_rules.model._deadlines import custom_events
from opinion_rules.model._extending import Requirement
from opinion_rules.model._items import (
    Action,
    Category,
    EventSpec,
    FactSpec,
    Grade,
    Note,
    Parameter,
    Principle,
    ReportChain,
    Role,
    Term,
)
from opinion_rules.model._lifecycle import Grading, Routing, grading_events
from opinion_rules.model._state_conditions import state_events
from opinion_rules.model._windows import Measure
from opinion_rules.time._calendars import WorkingCalendar


__all__ = ["PlanContent", "event_types", "plan_conditions"]


class PlanContent(Protocol):
    """
    The sections of a plan (every :class:`~opinion_rules.Plan` is one).
    """

    @property
    def grades(self) -> tuple[Grade, ...]: ...
    @property
    def actions(self) -> tuple[Action, ...]: ...
    @property
    def roles(self) -> tuple[Role, ...]: ...
    @property
    def metrics(self) -> tuple[str, ...]: ...
    @property
    def measures(self) -> tuple[Measure, ...]: ...
    @property
    def facts(self) -> tuple[FactSpec, ...]: ...
    @property
    def categories(self) -> tuple[Category, ...]: ...
    @property
    def principles(self) -> tuple[Principle, ...]: ...
    @property
    def parameters(self) -> tuple[Parameter, ...]: ...
    @property
    def notes(self) -> tuple[Note, ...]: ...
    @property
    def events(self) -> tuple[EventSpec, ...]: ...
    @property
    def chains(self) -> tuple[ReportChain, ...]: ...
    @property
    def grading(self) -> Grading: ...
    @property
    def calendar(self) -> WorkingCalendar | None: ...
    @property
    def channels(self) -> tuple[Term, ...]: ...
    @property
    def stages(self) -> tuple[Term, ...]: ...
    @property
    def duties(self) -> tuple[Term, ...]: ...
    @property
    def routings(self) -> tuple[Routing, ...]: ...
    @property
    def requires(self) -> tuple[Requirement, ...]: ...


def plan_conditions(plan: PlanContent) -> Iterator[tuple[str, Condition]]:
    """
    Every condition in *plan* with its path: grade criteria, category and
    action conditions, routings and extension conditions.
    """
    for i, g in enumerate(plan.grades):
        yield f"grades[{i}].criteria", g.criteria
    for i, c in enumerate(plan.categories):
        yield f"categories[{i}].condition", c.condition
    for i, a in enumerate(plan.actions):
        yield f"actions[{i}].condition", a.condition
        extension = a.deadline.extension
        if extension is not None and extension.when is not None:
            yield f"actions[{i}].deadline.extension.when", extension.when
        for j, routing in enumerate(a.routing):
            if not isinstance(routing, str):  # an id: the plan's routing, below
                yield f"actions[{i}].routing[{j}].condition", routing.condition
    for j, shared in enumerate(plan.routings):
        yield f"routings[{j}].condition", shared.condition


def event_types(plan: PlanContent) -> set[str]:
    """
    Event types an incident may record for *plan*: the built-in ones and
    every type the plan anchors on, waits for or tests.
    """
    types = {"action_done", "fact", "grade_asserted", *(e.id for e in plan.events)}
    types.update(event for event, _field in grading_events(plan.grading))
    for action in plan.actions:
        types.update(event for event, _field in custom_events(action.deadline))
    for _where, condition in plan_conditions(plan):
        types.update(node.event for node in walk(condition) if isinstance(node, EventSeen))
        types.update(state_events(condition))
    return types
