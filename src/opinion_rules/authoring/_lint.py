"""
Logical checks of a valid plan: the mistakes an incident would otherwise
find (gaps in the grade table, grades that go down as counts go up,
thresholds out of order with rank, actions that can never apply, higher
grades with looser deadlines, lateness triggers that can never fire,
events used but not declared), and, given the current date, a working
calendar whose data is about to run out.

The checks work on sample inputs: for every measure and fact, the values at,
just below and just above each constant the plan compares it with.  Between
two neighbouring constants every condition keeps its truth value, so these
samples see every distinct case of each single quantity; combinations are
enumerated up to a cap and sampled beyond it (with a fixed seed, so the
output is stable).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from types import ModuleType
from typing import Any

from opinion_rules.authoring._lint_applies import applies_findings
from opinion_rules.authoring._lint_extensions import extension_findings
from opinion_rules.authoring._lint_recurrences import recurrence_findings
from opinion_rules.authoring._lint_values import (
    SAMPLE_FUNCTIONS,
    value_findings,
    value_holds,
    value_refs,
)
from opinion_rules.authoring._lint_words import word_findings
from opinion_rules.engine._plugin_values import PluginValues
from opinion_rules.model._anchors import Anchor
from opinion_rules.model._conditions import (
    OPERATORS,
    AllOf,
    Always,
    AnyOf,
    CategoryIs,
    Compare,
    CompareValues,
    Condition,
    EventSeen,
    FactRef,
    GradeRef,
    MeasureRef,
    Not,
    OneOf,
    walk,
)
from opinion_rules.model._content import event_types
from opinion_rules.model._findings import Finding
from opinion_rules.model._items import Action, action_grade
from opinion_rules.model._not_applicable import NOT_APPLICABLE, NotApplicable
from opinion_rules.model._plan import Plan
from opinion_rules.model._state_conditions import (
    ActionState,
    Before,
    Within,
    anchors_of,
    state_nodes,
)
from opinion_rules.plugins._manager import PluginSet, plugin_set


__all__ = ["Finding", "lint_plan"]

#: Most input combinations examined per check.
MAX_SAMPLES = 20_000
#: How far ahead ``calendar-ends`` looks: the State Council publishes the
#: next year's schedule in the autumn, so 60 days before the end of December
#: leaves time to add it.
CALENDAR_WARNING = timedelta(days=60)


def lint_plan(
    plan: Plan,
    *,
    today: date | None = None,
    plugins: PluginSet | Iterable[str | ModuleType | object] | None = None,
) -> list[Finding]:
    """
    Run the logical checks on a (valid) plan; parameters without a value
    are taken as 0 for the analysis.

    Args:
        today: The current date, for the one check that depends on it
            (``calendar-ends``); without it that check is skipped.  The
            library never reads the clock: the command line passes it.
        plugins: The enabled plug-ins: their functions are computed on the
            samples (a call is unknown without them), and their own
            findings (``opinion_rules_lint``) are added.

    .. versionadded:: 0.2.0
    .. versionchanged:: 0.5.0 *today*.
    .. versionchanged:: 0.6.0 *plugins*.
    """
    enabled = plugin_set(plugins)
    token = SAMPLE_FUNCTIONS.set(PluginValues(enabled).functions)
    try:
        return [*_findings(plan, today), *enabled.lint(plan)]
    finally:
        SAMPLE_FUNCTIONS.reset(token)


def _findings(plan: Plan, today: date | None) -> list[Finding]:
    units = {p.id: p.unit for p in plan.parameters}
    plan = plan.with_parameters(**{p.id: 0 for p in plan.parameters if p.value is None}).bound()
    samples = _Samples(plan)
    return [
        *_threshold_order(plan),
        *_grade_table(plan, samples),
        *_never_applies(plan, samples),
        *_looser_deadlines(plan),
        *_never_lapses(plan),
        *_undeclared_events(plan),
        *_grading_no_effect(plan),
        *_calendar_ends(plan, today),
        *(Finding(*raw) for raw in word_findings(plan)),
        *(Finding(*raw) for raw in recurrence_findings(plan, today)),
        *(Finding(*raw) for raw in value_findings(plan, units)),
        *(Finding(*raw) for raw in applies_findings(plan)),
        *(Finding(*raw) for raw in extension_findings(plan)),
    ]


def _calendar_ends(plan: Plan, today: date | None) -> Iterator[Finding]:
    """
    The plan's working calendar has no data beyond a date less than
    :data:`CALENDAR_WARNING` away: working-day deadlines that reach past it
    will be undecided until the next year's schedule is added.
    """
    years = getattr(plan.calendar, "years", None)
    if today is None or plan.calendar is None or not isinstance(years, tuple):
        return
    last_day = date(years[1], 12, 31)
    name = plan.calendar.name
    advice = (
        f"add the {years[1] + 1} schedule from the State Council's notice as a year file "
        "(docs/how-to/add-a-calendar-year.md)"
    )
    if today > last_day:
        yield Finding(
            "warning",
            "calendar-ended",
            "calendar",
            f"calendar {name!r} has no data after {last_day} (today is {today}): working-day "
            f"deadlines from now on are undecided; {advice}",
        )
    elif last_day - today < CALENDAR_WARNING:
        yield Finding(
            "warning",
            "calendar-ends",
            "calendar",
            f"calendar {name!r} has no data after {last_day}, {(last_day - today).days} days "
            f"from today ({today}): working-day deadlines that reach past it will be "
            f"undecided; {advice}",
        )


# -- evaluating a condition on one sample -----------------------------------------


def _holds(condition: Condition, state: Mapping[str, Any], plan: Plan) -> bool:
    match condition:
        case Always():
            return True
        case AllOf(items):
            return all(_holds(i, state, plan) for i in items)
        case AnyOf(items):
            return any(_holds(i, state, plan) for i in items)
        case Not(item):
            return not _holds(item, state, plan)
        case CategoryIs(cat):
            return cat in state.get("categories", ())
        case EventSeen(event):
            return event in state.get("events", ())
        case Compare(operand, op, value):
            return _compare(operand, op, value, state, plan)
        case OneOf(operand, values):
            return any(_compare(operand, "eq", v, state, plan) for v in values)
        case CompareValues():
            return value_holds(condition, state)
        case ActionState() | Before() | Within():
            # Actions and events can be in either state: sampled both ways.
            return condition.key() in state.get("states", ())
    return False  # type: ignore[unreachable]  # pragma: no cover


def _compare(operand: object, op: str, value: object, state: Mapping[str, Any], plan: Plan) -> bool:
    match operand:
        case GradeRef():
            current = state.get("grade")
            if current is None:
                return False
            ranks = {g.id: g.rank for g in plan.grades}
            return bool(OPERATORS[op](ranks[current], ranks[value]))  # type: ignore[index]
        case MeasureRef(name) | FactRef(name):
            have = state.get(name)
            if have is None or isinstance(have, NotApplicable):
                return False
            spec = next((f for f in plan.facts if f.id == name), None)
            if spec is not None and spec.type == "enum" and op not in ("eq", "ne"):
                have, value = spec.choices.index(have), spec.choices.index(str(value))
            try:
                return bool(OPERATORS[op](have, value))
            except TypeError:
                return False
    return False  # pragma: no cover


# -- samples ----------------------------------------------------------------------


class _Samples:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        constants: dict[str, set[Any]] = {}
        conditions = [g.criteria for g in plan.grades] + [c.condition for c in plan.categories]
        conditions += [a.condition for a in plan.actions]
        for condition in conditions:
            for node in walk(condition):
                if isinstance(node, Compare | OneOf) and isinstance(
                    node.operand, MeasureRef | FactRef
                ):
                    values = node.values if isinstance(node, OneOf) else (node.value,)
                    constants.setdefault(node.operand.id, set()).update(values)
            for name in value_refs(condition):  # compared with each other: a spread
                constants.setdefault(name, set()).update((1, 10, 1000))
        self.axes: dict[str, list[Any]] = {}
        for m in plan.measures:
            self.axes[m.id] = _number_axis(constants.get(m.id, set()), floor=0)
        for f in plan.facts:
            match f.type:
                case "enum":
                    self.axes[f.id] = [None, *f.choices]
                case "bool":
                    self.axes[f.id] = [None, False, True]
                case "number":
                    self.axes[f.id] = [None, *_number_axis(constants.get(f.id, set()), floor=None)]
                case _:
                    self.axes[f.id] = [None, *sorted(str(c) for c in constants.get(f.id, set()))]
            if f.may_be_not_applicable:
                self.axes[f.id].append(NOT_APPLICABLE)

    def points(self, conditions: list[Condition]) -> Iterator[dict[str, Any]]:
        """
        Inputs for the measures and facts *conditions* use (others unknown).
        """
        used = {
            node.operand.id
            for condition in conditions
            for node in walk(condition)
            if isinstance(node, Compare | OneOf) and isinstance(node.operand, MeasureRef | FactRef)
        } | {name for condition in conditions for name in value_refs(condition)}
        names = [n for n in self.axes if n in used]
        sizes = [len(self.axes[n]) for n in names]
        total = 1
        for size in sizes:
            total *= size
        if total <= MAX_SAMPLES:
            for combo in itertools.product(*(self.axes[n] for n in names)):
                yield dict(zip(names, combo, strict=True))
            return
        rng = random.Random(0)  # noqa: S311 - sampling, not security
        for _ in range(MAX_SAMPLES):
            yield {n: rng.choice(self.axes[n]) for n in names}


def _number_axis(constants: set[Any], floor: float | None) -> list[Any]:
    values: set[float] = set() if floor is None else {floor}
    for c in constants:
        if isinstance(c, bool) or not isinstance(c, int | float):
            continue
        step = 1 if isinstance(c, int) else max(abs(c) * 1e-6, 1e-9)
        values.update({c - step, c, c + step})
    if floor is not None:
        values = {v for v in values if v >= floor}
    return sorted(values) or [0]


def _weight(point: Mapping[str, Any]) -> int:
    return sum(1 for v in point.values() if v not in (None, 0, False))


def _describe(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" if v is not None else f"{k} unknown" for k, v in point.items())


# -- the checks -------------------------------------------------------------------


def _grade_of(plan: Plan, point: Mapping[str, Any]) -> Any:
    matched = [g for g in plan.grades if _holds(g.criteria, point, plan)]
    return max(matched) if matched else None


def _grade_table(plan: Plan, samples: _Samples) -> Iterator[Finding]:
    gap: dict[str, Any] | None = None
    decreases: dict[str, str] = {}
    measures = [m.id for m in plan.measures]
    compared = {name for g in plan.grades for name in value_refs(g.criteria)}
    if not plan.grades:  # a plan of duties only: no grade table to check
        return
    for point in samples.points([g.criteria for g in plan.grades]):
        grade = _grade_of(plan, point)
        if grade is None and (
            gap is None or sum(1 for v in point.values() if v) < sum(1 for v in gap.values() if v)
        ):
            gap = point
        for name in measures:
            # A measure compared with another ("超过原事件热度") may lower a grade as it rises.
            if name in decreases or name not in point or name in compared:
                continue
            axis = samples.axes[name]
            position = axis.index(point[name])
            if position + 1 == len(axis):
                continue
            higher = {**point, name: axis[position + 1]}
            raised = _grade_of(plan, higher)
            if grade is not None and (raised is None or raised.rank < grade.rank):
                after = raised.name if raised is not None else "no grade"
                decreases[name] = (
                    f"raising {name} from {point[name]!r} to {axis[position + 1]!r} lowers the "
                    f"grade from {grade.name} to {after} (with {_describe(point)}); a lower grade "
                    "is reached where a higher one held"
                )
    # Under drive 'asserted' people set the grade: criteria that leave inputs
    # ungraded are no gap.  Criteria that read no measure or fact have no
    # input to show (e.g. grades reached only by events).
    if gap is not None and plan.grading.drive != "asserted":
        example = (
            f"e.g. {_describe(gap)}"
            if gap
            else "whatever the measures and facts (the criteria read none of them)"
        )
        yield Finding(
            "warning",
            "grade-gap",
            "grades",
            f"some inputs match no grade, {example}; if the plan means such "
            "incidents to stay ungraded this is fine, otherwise add a grade or widen one",
        )
    for message in decreases.values():
        yield Finding("warning", "grade-not-monotone", "grades", message)


def _grading_no_effect(plan: Plan) -> Iterator[Finding]:
    """
    Grading keys that cannot change anything: escalation steps without a
    grade scale, and which assertion counts when assertions drive nothing.
    """
    grading = plan.grading
    if grading.escalation and not plan.grades:
        yield Finding(
            "warning",
            "escalation-without-grades",
            "grading.escalation",
            "the plan has no grades, so an escalation step has no grade to raise",
        )
    if grading.asserted_grade != "latest" and grading.drive == "computed":
        yield Finding(
            "warning",
            "asserted-grade-unused",
            "grading.asserted_grade",
            f"asserted_grade '{grading.asserted_grade}' has no effect: under drive 'computed' "
            "assertions are recorded but do not move the grade",
        )


def _thresholds(condition: Condition) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for node in walk(condition):
        if (
            isinstance(node, Compare)
            and isinstance(node.operand, MeasureRef)
            and node.op in ("gt", "ge")
            and isinstance(node.value, int | float)
        ):
            key = (node.operand.id, node.op)
            out[key] = min(out.get(key, node.value), node.value)
    return out


def _threshold_order(plan: Plan) -> Iterator[Finding]:
    scale = plan.scale()
    index = {g.id: i for i, g in enumerate(plan.grades)}
    for lower, higher in itertools.combinations(scale, 2):
        low, high = _thresholds(lower.criteria), _thresholds(higher.criteria)
        for key in low.keys() & high.keys():
            if high[key] < low[key]:
                measure, op = key
                symbol = ">" if op == "gt" else ">="
                yield Finding(
                    "warning",
                    "threshold-order",
                    f"grades[{index[higher.id]}].criteria",
                    f"{higher.name} (rank {higher.rank}) needs {measure} {symbol} "
                    f"{high[key]}, less than {lower.name} (rank {lower.rank}) needs "
                    f"({low[key]}); thresholds should not fall as rank rises",
                )


def _never_applies(plan: Plan, samples: _Samples) -> Iterator[Finding]:
    grades = [None, *(g.id for g in plan.grades)]
    category_sets = [(), *((c.id,) for c in plan.categories), tuple(c.id for c in plan.categories)]
    events: set[str] = set()
    for a in plan.actions:
        events.update(n.event for n in walk(a.condition) if isinstance(n, EventSeen))
    event_sets = [(), tuple(events)]
    keys = tuple(n.key() for a in plan.actions for n in state_nodes(a.condition))
    state_sets = [(), keys] if keys else [()]
    for i, action in enumerate(plan.actions):
        if isinstance(action.condition, Always):
            continue
        # Only the inputs this condition reads vary, so the cap is rarely hit.
        base = itertools.islice(samples.points([action.condition]), MAX_SAMPLES // 20)
        states = (
            {**point, "grade": g, "categories": cats, "events": evs, "states": sts}
            for point in base
            for g in grades
            for cats in category_sets
            for evs in event_sets
            for sts in state_sets
        )
        if not any(_holds(action.condition, state, plan) for state in states):
            yield Finding(
                "warning",
                "action-never-applies",
                f"actions[{i}].condition",
                f"action {action.id!r} never applies: no grade, category, event or sampled "
                "input makes its condition hold",
            )


def _allowance(action: Action) -> tuple[tuple[object, ...], timedelta] | None:
    """
    How long an action's deadline allows, with the family it is measured in:
    only allowances of one family (elapsed time on one clock, or working
    days) are compared.
    """
    deadline = action.deadline
    if deadline.kind == "immediately":
        return ("elapsed", "calendar", False), timedelta(0)
    if deadline.kind == "offset" and deadline.offset is not None:
        o = deadline.offset
        if o.working_days:
            # Compared only with other working-day allowances; a day per unit.
            return ("working_days",), timedelta(days=o.working_days)
        family = ("elapsed", o.clock, o.start_next_day)
        return family, timedelta(days=o.days, hours=o.hours, minutes=o.minutes)
    return None


def _amount(family: tuple[object, ...], value: timedelta) -> str:
    return f"{value.days} working day(s)" if family == ("working_days",) else str(value)


def _never_lapses(plan: Plan) -> Iterator[Finding]:
    """
    ``overdue:<action>`` anchors on actions that have no due time never fire.
    """
    index = {a.id: i for i, a in enumerate(plan.actions)}
    for _i, action, where, anchor in _overdue_anchors(plan):
        if not all(ref in index for ref in anchor.items):
            continue
        never = [ref for ref in anchor.items if _has_no_due(plan, plan.actions[index[ref]])]
        if not never or (anchor.over == "any" and len(never) < len(anchor.items)):
            continue
        kinds = ", ".join(
            f"{ref!r} (kind {plan.actions[index[ref]].deadline.kind!r})" for ref in never
        )
        if anchor.over is None:
            kind = plan.actions[index[never[0]]].deadline.kind
            words = (
                f"waits for {never[0]!r} to be overdue, but {never[0]!r} has no due time "
                f"(kind {kind!r})"
            )
        elif anchor.over == "any":
            words = f"waits for any of {list(anchor.refs)} to be overdue, but none has a due time"
        else:
            words = f"waits for all of {list(anchor.refs)} to be overdue, but {kinds} has none"
        yield Finding(
            "warning",
            "never-overdue",
            where,
            f"action {action.id!r} {words}, so it never "
            + ("applies" if where.endswith("anchor") else "holds"),
        )


def _overdue_anchors(plan: Plan) -> Iterator[tuple[int, Action, str, Anchor]]:
    """
    Every ``overdue`` anchor: of deadlines, and in conditions (``overdue(x)``,
    ``before(overdue:x, …)``), with where it is written.
    """
    for i, action in enumerate(plan.actions):
        if action.deadline.anchor.event == "overdue":
            yield i, action, f"actions[{i}].deadline.anchor", action.deadline.anchor
        for node in state_nodes(action.condition):
            for anchor in anchors_of(node):
                if anchor.event == "overdue":
                    yield i, action, f"actions[{i}].condition", anchor


def _has_no_due(plan: Plan, other: Action) -> bool:
    deadline = other.deadline
    return deadline.kind in ("none", "until", "recurring") or (
        deadline.kind == "promptly" and plan.prompt_tolerance is None
    )


def _undeclared_events(plan: Plan) -> Iterator[Finding]:
    """
    Without an ``events`` list a misspelt anchor event is not caught.
    """
    if plan.events:
        return
    # With no declared events, the incident vocabulary is what the plan uses.
    used = sorted(event_types(plan) - {"action_done", "fact", "grade_asserted"})
    if used:
        yield Finding(
            "warning",
            "events-undeclared",
            "events",
            f"the plan's deadlines and conditions name events {used} but the plan declares "
            "no 'events'; declare them so a misspelt event name is an error",
        )


def _looser_deadlines(plan: Plan) -> Iterator[Finding]:
    index = {a.id: i for i, a in enumerate(plan.actions)}
    ranks = {g.id: g.rank for g in plan.grades}
    graded = [
        (a, ranks[grade_id], allowance)
        for a in plan.actions
        if (grade_id := action_grade(a, ranks)) is not None
        and (allowance := _allowance(a)) is not None
    ]
    for (a, rank_a, (family_a, time_a)), (b, rank_b, (family_b, time_b)) in itertools.permutations(
        graded, 2
    ):
        same_kind = (
            family_a == family_b
            and a.channel == b.channel
            and a.stage == b.stage
            and str(a.deadline.anchor) == str(b.deadline.anchor)
        )
        if same_kind and rank_a > rank_b and time_a > time_b:
            yield Finding(
                "warning",
                "looser-deadline",
                f"actions[{index[a.id]}].deadline",
                f"action {a.id!r} (a higher grade) allows {_amount(family_a, time_a)}, more "
                f"than {b.id!r} (a lower grade, same channel {a.channel!r} and stage) allows "
                f"{_amount(family_b, time_b)}",
            )
