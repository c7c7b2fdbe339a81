"""
Check an incident against the plan it is evaluated with.

The incident format leaves names free; the plan fixes them.  Every metric,
fact and action an incident names must be declared by the plan, and fact
values must have the declared type, so that a typo is an error instead of a
silently ignored fact.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from opinion_rules._suggest import expected_names
from opinion_rules.exceptions import FactError, Problem, describe_value
from opinion_rules.model._conditions import EventSeen, walk
from opinion_rules.model._facts import Incident
from opinion_rules.model._plan import FactSpec, Plan, custom_events, grading_events, plan_conditions


def check_incident(plan: Plan, incident: Incident) -> None:
    """
    Raise :class:`FactError` listing every way *incident* does not fit *plan*.
    """
    problems = list(_problems(plan, incident))
    if problems:
        raise FactError(f"incident {incident.id!r} (plan {plan.id!r})", problems)


def _problems(plan: Plan, incident: Incident) -> Iterator[Problem]:
    specs = {f.id: f for f in plan.facts}
    actions = {a.id for a in plan.actions}
    roles = {r.id for r in plan.roles}
    for i, obs in enumerate(incident.observations):
        if obs.metric not in plan.metrics:
            yield Problem(
                f"observations[{i}].metric",
                f"metric {obs.metric!r} is not declared by the plan",
                expected_names(obs.metric, plan.metrics),
            )
    for name, value in incident.facts.items():
        yield from _fact_problems(specs, name, value, f"facts.{name}")
        if name in specs and specs[name].judgement:
            yield Problem(
                f"facts.{name}",
                f"fact {name!r} is a judgement, so it needs who judged it and when",
                "a 'fact' event with 'at' and 'by' instead of an initial fact",
            )
    grades = {g.id for g in plan.grades}
    asserters = plan.grading.asserted_by
    known_events = event_types(plan)
    for i, event in enumerate(incident.events):
        if event.type not in known_events:
            yield Problem(
                f"events[{i}].type",
                f"event type {event.type!r} is not used by the plan",
                expected_names(event.type, known_events),
            )
        if event.action is not None and event.action not in actions:
            yield Problem(
                f"events[{i}].action",
                f"action {event.action!r} is not defined by the plan",
                expected_names(str(event.action), actions),
            )
        if event.type == "fact":
            yield from _fact_problems(specs, str(event.fact), event.value, f"events[{i}].value")
            spec = specs.get(str(event.fact))
            if spec is not None and spec.judgement and event.by is None:
                yield Problem(
                    f"events[{i}].by",
                    f"fact {spec.id!r} is a judgement and the event does not say who made it",
                    "'by': the person or unit that judged",
                )
        if event.type == "grade_asserted":
            if event.grade not in grades:
                yield Problem(
                    f"events[{i}].grade",
                    f"grade {event.grade!r} is not defined by the plan",
                    expected_names(str(event.grade), grades),
                )
            if event.by is None:
                yield Problem(
                    f"events[{i}].by", "a grade assertion does not say who made it", "'by'"
                )
            if asserters and event.role not in asserters:
                yield Problem(
                    f"events[{i}].role",
                    "the plan lets only certain roles assert a grade",
                    f"one of {list(asserters)}",
                    repr(event.role),
                )
        if event.role is not None and event.role not in roles:
            yield Problem(
                f"events[{i}].role",
                f"role {event.role!r} is not defined by the plan",
                expected_names(event.role, roles),
            )


def event_types(plan: Plan) -> set[str]:
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
    return types


def _fact_problems(
    specs: dict[str, FactSpec], name: str, value: object, where: str
) -> Iterator[Problem]:
    spec = specs.get(name)
    if spec is None:
        yield Problem(
            where, f"fact {name!r} is not declared by the plan", expected_names(name, specs)
        )
        return
    match spec.type:
        case "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and math.isfinite(value)  # type: ignore[arg-type]
            expected = "a number"
        case "bool":
            ok = isinstance(value, bool)
            expected = "true or false"
        case "text":
            ok = isinstance(value, str)
            expected = "a string"
        case _:
            ok = isinstance(value, str) and value in spec.choices
            expected = f"one of {list(spec.choices)}"
    if not ok:
        yield Problem(
            where, f"fact {name!r} has a value of the wrong type", expected, describe_value(value)
        )
