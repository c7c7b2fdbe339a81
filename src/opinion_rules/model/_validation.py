"""
Whole-plan checks: item types, unique ids, references that resolve,
conditions that compare facts with values of the right type, clauses where
the plan must cite one, owner duties, routings, overrides and grading.  The
timing checks are in :mod:`opinion_rules.model._timing_checks`.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet

import attrs

from opinion_rules._limits import CONDITION_DEPTH
from opinion_rules._suggest import expected_names_capped, one_of
from opinion_rules.exceptions import Problem
from opinion_rules.model._conditions import (
    Always,
    CategoryIs,
    Compare,
    CompareValues,
    Condition,
    EventSeen,
    FactRef,
    GradeRef,
    MeasureRef,
    OneOf,
    Param,
    depth,
    walk,
)
from opinion_rules.model._content import PlanContent
from opinion_rules.model._extending import Requirement
from opinion_rules.model._items import (
    CHANNELS,
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
    fact_value_expected,
)
from opinion_rules.model._lifecycle import Assignment, Routing
from opinion_rules.model._state_conditions import ActionState, Before, Within
from opinion_rules.model._timing_checks import timing_problems
from opinion_rules.model._value_checks import compare_values_problems
from opinion_rules.model._windows import Measure


__all__ = ["PROBLEMS_SHOWN", "capped", "plan_problems"]

#: Whole-plan checks stop after this many problems, and say so.
PROBLEMS_SHOWN = 100


def capped(problems: Iterable[Problem]) -> list[Problem]:
    """
    At most :data:`PROBLEMS_SHOWN` problems, the last saying there are more.
    """
    out = list(itertools.islice(problems, PROBLEMS_SHOWN + 1))
    if len(out) > PROBLEMS_SHOWN:
        out[-1] = Problem(
            "",
            f"there are more problems; only the first {PROBLEMS_SHOWN} are listed",
            "these fixed, and the plan checked again",
        )
    return out


def _check_types(plan: PlanContent) -> Iterator[Problem]:
    for group, cls in (
        ("grades", Grade),
        ("actions", Action),
        ("roles", Role),
        ("measures", Measure),
        ("facts", FactSpec),
        ("categories", Category),
        ("principles", Principle),
        ("parameters", Parameter),
        ("notes", Note),
        ("events", EventSpec),
        ("chains", ReportChain),
        ("channels", Term),
        ("stages", Term),
        ("duties", Term),
        ("routings", Routing),
        ("requires", Requirement),
    ):
        for i, item in enumerate(getattr(plan, group)):
            if not isinstance(item, cls):
                yield Problem(
                    f"{group}[{i}]",
                    f"must be a {cls.__name__}",
                    got=f"{item!r}, a {type(item).__name__}",
                )


def plan_problems(plan: PlanContent) -> Iterator[Problem]:
    type_problems = list(_check_types(plan))
    if type_problems:
        yield from type_problems
        return
    for group in (
        "grades",
        "actions",
        "roles",
        "measures",
        "facts",
        "categories",
        "principles",
        "parameters",
        "events",
        "chains",
        "channels",
        "stages",
        "duties",
        "routings",
    ):
        counts = Counter(item.id for item in getattr(plan, group))
        for item_id, n in counts.items():
            if n > 1:
                yield Problem(group, f"id {item_id!r} is used {n} times", "unique ids")
    for metric, n in Counter(plan.metrics).items():
        if n > 1:
            yield Problem("metrics", f"metric {metric!r} is listed {n} times")
    for plugin, n in Counter(r.plugin for r in plan.requires).items():
        if n > 1:
            yield Problem("requires", f"plug-in {plugin!r} is required {n} times", "one entry")
    ranks = Counter(g.rank for g in plan.grades)
    for rank, n in ranks.items():
        if n > 1:
            yield Problem("grades", f"rank {rank} is used by {n} grades", "distinct ranks")
    if not plan.grades and not plan.actions:
        # A plan of duties only (值班, 回复时限) needs no grade scale.
        yield Problem(
            "grades", "the plan has no grades and no actions", "at least one grade or action"
        )

    metrics = set(plan.metrics)
    for i, m in enumerate(plan.measures):
        if m.metric not in metrics:
            yield Problem(
                f"measures[{i}].metric",
                f"metric {m.metric!r} is not declared in the plan's metrics",
                one_of(plan.metrics, ordered=False),
            )

    names = _Names.of(plan)
    for i, g in enumerate(plan.grades):
        yield from _check_condition(names, g.criteria, f"grades[{i}].criteria", allow_state=False)
        if g.clause is None:
            yield Problem(
                f"grades[{i}].clause", f"grade {g.id!r} cites no clause", "the sentence defining it"
            )
    for i, c in enumerate(plan.categories):
        yield from _check_condition(
            names, c.condition, f"categories[{i}].condition", allow_state=False
        )
        if c.clause is None:
            yield Problem(
                f"categories[{i}].clause",
                f"category {c.id!r} cites no clause",
                "the sentence defining it",
            )
    for i, p in enumerate(plan.principles):
        if p.clause is None:
            yield Problem(
                f"principles[{i}].clause",
                f"principle {p.id!r} cites no clause",
                "the sentence stating it",
            )

    role_ids = {r.id for r in plan.roles}
    channels = {*CHANNELS, *(c.id for c in plan.channels)}
    for i, a in enumerate(plan.actions):
        where = f"actions[{i}]"
        yield from _check_condition(names, a.condition, f"{where}.condition", allow_state=True)
        extension = a.deadline.extension
        if extension is not None and extension.when is not None:
            yield from _check_condition(
                names, extension.when, f"{where}.deadline.extension.when", allow_state=True
            )
        if a.channel not in channels:
            # Placed at the action, like the other refusals of an action's own value.
            yield Problem(
                where,
                "'channel' must be one of the built-in channels or one the plan declares in "
                f"'channels' (got {a.channel!r})",
                expected_names_capped(a.channel, channels),
            )
        for j, owner in enumerate(a.owners):
            if owner not in role_ids:
                yield Problem(
                    f"{where}.owners[{j}]",
                    f"role {owner!r} is not defined",
                    one_of(role_ids),
                    refers_to=owner,
                )
        if a.clause is None:
            yield Problem(
                f"{where}.clause", f"action {a.id!r} cites no clause", "the sentence it comes from"
            )
        ending = a.deadline.until_readings
        measure_ids = {m.id for m in plan.measures}
        if ending is not None and ending.measure not in measure_ids:
            yield Problem(
                f"{where}.deadline.until_readings.measure",
                f"measure {ending.measure!r} is not defined",
                expected_names_capped(ending.measure, measure_ids),
                refers_to=ending.measure,
            )
    yield from _check_lifecycle(plan, names)
    yield from timing_problems(plan)


def _check_lifecycle(plan: PlanContent, names: _Names) -> Iterator[Problem]:
    """
    Owner duties and routings, overrides, the other category, and grading.
    """
    role_ids = {r.id for r in plan.roles}
    actions = {a.id: a for a in plan.actions}
    action_ids = set(actions)
    shared = {r.id for r in plan.routings}
    duties = {d.id for d in plan.duties}
    for j, written in enumerate(plan.routings):
        if not written.id:
            yield Problem(f"routings[{j}]", "a routing of the plan needs an id", "an id")
        yield from _check_routing(names, written, f"routings[{j}]", role_ids, duties)
    for i, a in enumerate(plan.actions):
        where = f"actions[{i}]"
        for j, assignment in enumerate(a.assignments):
            if assignment.role not in a.owners:
                yield Problem(
                    f"{where}.assignments[{j}]",
                    f"role {assignment.role!r} has a duty but is not an owner of {a.id!r}",
                    f"one of the action's owners {list(a.owners)}",
                )
            yield from _check_duty(assignment, f"{where}.owners", duties)
        for j, routing in enumerate(a.routing):
            if isinstance(routing, str):
                if routing not in shared:
                    yield Problem(
                        f"{where}.routing[{j}]",
                        f"routing {routing!r} is not defined in the plan's routings",
                        expected_names_capped(routing, shared),
                        refers_to=routing,
                    )
                continue
            yield from _check_routing(names, routing, f"{where}.routing[{j}]", role_ids, duties)
        yield from _undefined_roles(f"{where}.recipients", a.recipients, role_ids)
        for j, other in enumerate(a.overrides):
            if other == a.id:
                yield Problem(f"{where}.overrides[{j}]", f"action {a.id!r} overrides itself")
            elif other not in action_ids:
                yield Problem(
                    f"{where}.overrides[{j}]",
                    f"action {other!r} is not defined",
                    expected_names_capped(other, action_ids),
                    refers_to=other,
                )
            elif a.id in actions[other].overrides:
                yield Problem(
                    f"{where}.overrides[{j}]",
                    f"actions {a.id!r} and {other!r} override each other",
                    "precedence in one direction only",
                )
    others = [i for i, c in enumerate(plan.categories) if c.other]
    for i in others:
        if not isinstance(plan.categories[i].condition, Always):
            yield Problem(
                f"categories[{i}].condition",
                "an 'other' category takes no condition: it holds when no other category does",
            )
    if len(others) > 1:
        yield Problem("categories", f"{len(others)} categories are marked 'other'", "at most one")
    if others and len(plan.categories) == 1:
        yield Problem(
            f"categories[{others[0]}].other",
            "an 'other' category needs other categories to fall back from",
        )
    yield from _check_grading(plan, role_ids)


def _check_routing(
    names: _Names, routing: Routing, where: str, role_ids: set[str], duties: set[str]
) -> Iterator[Problem]:
    yield from _check_condition(names, routing.condition, f"{where}.condition", allow_state=True)
    for k, owner in enumerate(routing.owners):
        if owner.role not in role_ids:
            yield Problem(
                f"{where}.owners[{k}]",
                f"role {owner.role!r} is not defined",
                expected_names_capped(owner.role, role_ids),
                refers_to=owner.role,
            )
        yield from _check_duty(owner, f"{where}.owners[{k}]", duties)


def _check_duty(owner: Assignment, where: str, duties: set[str]) -> Iterator[Problem]:
    if owner.plan_duty and owner.plan_duty not in duties:
        yield Problem(
            where,
            f"duty {owner.plan_duty!r} of role {owner.role!r} is not declared in the plan's duties",
            expected_names_capped(owner.plan_duty, duties),
        )


def _check_grading(plan: PlanContent, role_ids: set[str]) -> Iterator[Problem]:
    grading = plan.grading
    grades = {g.id for g in plan.grades}
    measures = {m.id for m in plan.measures}
    declared = {e.id for e in plan.events}
    yield from _undefined_roles("grading.asserted_by", grading.asserted_by, role_ids)
    for i, spec in enumerate(plan.facts):
        yield from _undefined_roles(f"facts[{i}].judged_by", spec.judged_by, role_ids)
    seen: set[str] = set()
    for j, step in enumerate(grading.escalation):
        where = f"grading.escalation[{j}]"
        if step.id in seen:
            yield Problem(f"{where}.id", f"id {step.id!r} is used twice", "unique ids")
        seen.add(step.id)
        if declared and step.event not in declared:
            yield Problem(
                f"{where}.event",
                f"event {step.event!r} is not declared in the plan's events",
                expected_names_capped(step.event, declared),
            )
    for j, rule in enumerate(grading.deescalation):
        where = f"grading.deescalation[{j}]"
        if rule.id in seen:
            yield Problem(f"{where}.id", f"id {rule.id!r} is used twice", "unique ids")
        seen.add(rule.id)
        if rule.to not in grades:
            yield Problem(
                f"{where}.to",
                f"grade {rule.to!r} is not defined",
                expected_names_capped(rule.to, grades),
                refers_to=rule.to,
            )
        if rule.measure is not None and rule.measure not in measures:
            yield Problem(
                f"{where}.measure",
                f"measure {rule.measure!r} is not defined",
                expected_names_capped(rule.measure, measures),
                refers_to=rule.measure,
            )
        if rule.event is not None and declared and rule.event not in declared:
            yield Problem(
                f"{where}.event",
                f"event {rule.event!r} is not declared in the plan's events",
                expected_names_capped(rule.event, declared),
            )
    closure = grading.closure
    if closure is not None and declared and closure.event not in declared:
        yield Problem(
            "grading.closure.event",
            f"event {closure.event!r} is not declared in the plan's events",
            expected_names_capped(closure.event, declared),
        )


@attrs.frozen
class _Names:
    """
    What conditions may name, computed once per plan (per condition, it made
    checking a plan quadratic in its size).
    """

    measures: frozenset[str]
    facts: Mapping[str, FactSpec]
    categories: frozenset[str]
    grades: frozenset[str]
    parameters: Mapping[str, Parameter]

    @classmethod
    def of(cls, plan: PlanContent) -> _Names:
        return cls(
            frozenset(m.id for m in plan.measures),
            {f.id: f for f in plan.facts},
            frozenset(c.id for c in plan.categories),
            frozenset(g.id for g in plan.grades),
            {p.id: p for p in plan.parameters},
        )


def _check_condition(
    names: _Names, condition: Condition, where: str, *, allow_state: bool
) -> Iterator[Problem]:
    levels = depth(condition)
    if levels > CONDITION_DEPTH:
        yield Problem(
            where,
            f"the condition nests {levels} levels deep, more than {CONDITION_DEPTH}",
            f"at most {CONDITION_DEPTH} levels of all/any/not (all_of, any_of, not_)",
        )
        return
    measures, facts, categories, grades, parameters = (
        names.measures,
        names.facts,
        names.categories,
        names.grades,
        names.parameters,
    )
    for node in walk(condition):
        match node:
            case Compare() | OneOf():
                raw = node.values if isinstance(node, OneOf) else (node.value,)
                values = []
                for v in raw:
                    if not isinstance(v, Param):
                        values.append(v)
                    elif v.id not in parameters:
                        yield Problem(
                            where,
                            f"parameter {v.id!r} is not declared",
                            one_of(parameters),
                        )
                    else:  # a required parameter is checked as the number it will be
                        value = parameters[v.id].value
                        values.append(0 if value is None else value)
                op = node.op if isinstance(node, Compare) else "eq"
                yield from _check_operand(
                    node.operand,
                    op,
                    values,
                    where,
                    measures,
                    facts,
                    grades,
                    allow_state=allow_state,
                )
            case CompareValues():
                yield from compare_values_problems(node, where, measures, facts, parameters)
            case CategoryIs(cat):
                if not allow_state:
                    yield Problem(where, "only action conditions may refer to categories")
                elif cat not in categories:
                    yield Problem(
                        where, f"category {cat!r} is not defined", one_of(categories), refers_to=cat
                    )
            case ActionState() | Before() | Within():
                if not allow_state:
                    yield Problem(
                        where,
                        f"only action conditions may test actions and anchors ({node.key()})",
                    )
            case EventSeen() | Always():
                pass
            case _:
                pass


def _check_operand(
    operand: object,
    op: str,
    values: Sequence[object],
    where: str,
    measures: frozenset[str],
    facts: Mapping[str, FactSpec],
    grades: frozenset[str],
    *,
    allow_state: bool,
) -> Iterator[Problem]:
    ordering = op in ("gt", "ge", "lt", "le")
    match operand:
        case MeasureRef(mid):
            if mid not in measures:
                yield Problem(
                    where, f"measure {mid!r} is not defined", one_of(measures), refers_to=mid
                )
            for v in values:
                if isinstance(v, bool) or not isinstance(v, int | float):
                    yield Problem(
                        where, f"measure {mid!r} is compared with a non-number", "a number", repr(v)
                    )
                elif v < 0:
                    yield Problem(
                        where,
                        f"measure {mid!r} is compared with a negative number "
                        "(counts are never negative)",
                        "a threshold >= 0",
                        repr(v),
                    )
        case GradeRef():
            if not allow_state:
                yield Problem(where, "only action conditions may refer to the grade")
            for v in values:
                if v not in grades:
                    yield Problem(
                        where, f"grade {v!r} is not defined", one_of(grades), refers_to=str(v)
                    )
        case FactRef(fid):
            spec = facts.get(fid)
            if spec is None:
                yield Problem(where, f"fact {fid!r} is not declared", one_of(facts))
                return
            yield from _check_fact_values(spec, ordering, values, where)
        case _:
            yield Problem(where, "comparison on an unknown operand", got=repr(operand))


def _check_fact_values(
    spec: FactSpec, ordering: bool, values: Sequence[object], where: str
) -> Iterator[Problem]:
    fid = spec.id
    if ordering and not (spec.type == "number" or (spec.type == "enum" and spec.ordered)):
        yield Problem(
            where,
            f"fact {fid!r} ({spec.type}) cannot be compared with >, >=, < or <=",
            "a number or ordered enum fact",
        )
    for v in values:
        expected = fact_value_expected(spec, v)
        if expected is not None:
            yield Problem(
                where, f"fact {fid!r} is compared with a value of the wrong type", expected, repr(v)
            )


def _undefined_roles(
    where: str, roles: Iterable[str], role_ids: AbstractSet[str]
) -> Iterator[Problem]:
    """
    A problem at ``where[j]`` for each role in *roles* the plan does not define.
    """
    for j, role in enumerate(roles):
        if role not in role_ids:
            yield Problem(
                f"{where}[{j}]",
                f"role {role!r} is not defined",
                expected_names_capped(role, role_ids),
                refers_to=role,
            )
