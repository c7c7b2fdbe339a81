"""
Check an incident against the plan it is evaluated with.

The incident format leaves names free; the plan fixes them.  Every metric,
fact and action an incident names must be declared by the plan, and fact
values must have the declared type, so that a typo is an error instead of a
silently ignored fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from datetime import datetime

from opinion_rules._problems import describe_value
from opinion_rules._suggest import expected_names
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.model._content import event_types
from opinion_rules.model._facts import Event, Incident, Observation
from opinion_rules.model._items import FactSpec, fact_value_expected
from opinion_rules.model._judgements import Judgement
from opinion_rules.model._not_applicable import NotApplicable
from opinion_rules.model._plan import Plan


class IncidentCheck:
    """
    Check incidents against one plan: the names and lookups the check
    needs are derived from the plan once, when the check is made.
    """

    def __init__(self, plan: Plan, known_events: AbstractSet[str] | None = None) -> None:
        self.plan = plan
        self.specs = {f.id: f for f in plan.facts}
        self.metrics = frozenset(plan.metrics)
        self.actions = {a.id for a in plan.actions}
        self.roles = {r.id for r in plan.roles}
        self.grades = {g.id for g in plan.grades}
        self.known_events = event_types(plan) if known_events is None else known_events
        self.moved_by = _moved_by(plan)
        # Initial facts (name, type, value) already found to fit: most
        # incidents repeat a few values, and the check is pure.  Bounded.
        self._fitting: set[tuple[str, type, object]] = set()

    def __call__(self, incident: Incident) -> None:
        """
        Raise :class:`FactError` listing every way *incident* does not fit
        the plan.
        """
        problems = list(self._problems(incident))
        if problems:
            raise FactError(f"incident {incident.id!r} (plan {self.plan.id!r})", problems)

    def fits(self, observations: Iterable[Observation], events: Iterable[Event]) -> bool:
        """
        Whether these items of an incident fit the plan (every check but
        the initial facts' is of one item alone).
        """
        if any(obs.metric not in self.metrics for obs in observations):
            return False
        for event in events:
            for _problem in _due_problems(self.plan, self.moved_by, event, ""):
                return False
            for _problem in _event_problems(self, event, ""):
                return False
        return True

    def _problems(self, incident: Incident) -> Iterator[Problem]:
        plan, specs, roles = self.plan, self.specs, self.roles
        for i, obs in enumerate(incident.observations):
            if obs.metric not in self.metrics:
                yield Problem(
                    f"observations[{i}].metric",
                    f"metric {obs.metric!r} is not declared by the plan",
                    expected_names(obs.metric, plan.metrics),
                )
        fitting = self._fitting
        for name, value in incident.facts.items():
            simple = type(value) in _SIMPLE
            if simple and (name, type(value), value) in fitting:
                continue
            found = list(_initial_fact_problems(specs, roles, name, value))
            if found:
                yield from found
            elif simple and len(fitting) < _FITTING_BOUND:
                fitting.add((name, type(value), value))
        grades = self.grades
        asserters = plan.grading.asserted_by
        for i, event in enumerate(incident.events):
            yield from _due_problems(plan, self.moved_by, event, f"events[{i}]")
            yield from _event_problems(self, event, f"events[{i}]")
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


#: Fact values remembered as fitting: immutable, hashable, compared by value.
_SIMPLE = frozenset({str, bool, int, float})
_FITTING_BOUND = 4096


def validate_incident(
    plan: Plan, incident: Incident, known_events: AbstractSet[str] | None = None
) -> None:
    """
    Raise :class:`FactError` listing every way *incident* does not fit *plan*.

    *known_events* is ``event_types(plan)`` when the caller already has it;
    an engine keeps an :class:`IncidentCheck` instead, made once per plan.
    """
    IncidentCheck(plan, known_events)(incident)


def _event_problems(check: IncidentCheck, event: Event, where: str) -> Iterator[Problem]:
    """
    An event's type, action and fact value against the plan.
    """
    specs = check.specs
    if event.type not in check.known_events:
        yield Problem(
            f"{where}.type",
            f"event type {event.type!r} is not used by the plan",
            expected_names(event.type, check.known_events),
        )
    if event.action is not None and event.action not in check.actions:
        yield Problem(
            f"{where}.action",
            f"action {event.action!r} is not defined by the plan",
            expected_names(str(event.action), check.actions),
        )
    if event.type == "fact":
        yield from _fact_problems(specs, str(event.fact), event.value, f"{where}.value")
        spec = specs.get(str(event.fact))
        if spec is not None and spec.judgement and event.by is None:
            yield Problem(
                f"{where}.by",
                f"fact {spec.id!r} is a judgement and the event does not say who made it",
                "'by': the person or unit that judged",
            )
        if spec is not None and spec.judgement:
            yield from _judge_role_problems(spec, event.role, f"{where}.role")


def _moved_by(plan: Plan) -> dict[tuple[str, str], str]:
    """
    The events that move an action's due time, as (event type, action id):
    ``extension`` (a request) or ``promise``; ``extension_dated`` for a
    request that must name its date (the extension has no 'by').
    """
    out: dict[tuple[str, str], str] = {}
    for a in plan.actions:
        extension = a.deadline.extension
        if extension is not None:
            dated = "extension_dated" if extension.by is None else "extension"
            out[(extension.event, a.id)] = dated
        if a.deadline.promise is not None:
            out[(a.deadline.promise, a.id)] = "promise"
    return out


def _due_problems(
    plan: Plan, moved_by: dict[tuple[str, str], str], event: Event, where: str
) -> Iterator[Problem]:
    """
    An event's ``due``: only on an action's extension requests and
    promises, never before the event itself; required where the plan needs
    the date.
    """
    role = None if event.action is None else moved_by.get((event.type, event.action))
    if event.due is None:
        if role == "promise":
            yield Problem(f"{where}.due", "a promise does not say the due time promised", _DUE_FORM)
        elif role == "extension_dated":
            yield Problem(
                f"{where}.due",
                "this plan's extension requests name the date asked for (the extension "
                "has no 'by')",
                _DUE_FORM,
            )
        return
    if role is None:
        expected = ", ".join(f"{t!r} for action {a!r}" for t, a in sorted(moved_by)) or "none"
        yield Problem(
            f"{where}.due",
            "only an action's extension requests and promises take 'due'",
            f"events of the plan's extension or promise types: {expected}",
        )
        return
    due = event.due
    if isinstance(due, datetime):
        early = due < event.at
    else:
        early = due < event.at.astimezone(plan.time_rules.tz).date()
    if early:
        yield Problem(
            f"{where}.due",
            "the due time asked for or promised is before the event itself",
            f"a date or an instant at or after {event.at.isoformat()}",
            due.isoformat(),
        )


_DUE_FORM = "'due': a date ('2026-03-10', that whole day) or an instant with a UTC offset"


def _initial_fact_problems(
    specs: dict[str, FactSpec], roles: set[str], name: str, value: object
) -> Iterator[Problem]:
    """
    What is wrong with initial fact *name*: a judgement must say who made
    it (a :class:`Judgement`), in a role the plan allows; a fact that is not
    a judgement is given by its value alone.
    """
    where = f"facts.{name}"
    spec = specs.get(name)
    if not isinstance(value, Judgement):
        yield from _fact_problems(specs, name, value, where)
        if spec is not None and spec.judgement:
            yield Problem(
                where,
                f"fact {name!r} is a judgement, so it needs who judged it",
                "a judgement {value, by, role} or a 'fact' event with 'by'",
                describe_value(value),
            )
        return
    yield from _fact_problems(specs, name, value.value, f"{where}.value")
    if spec is None:
        return
    if not spec.judgement:
        yield Problem(
            where,
            f"fact {name!r} is not a judgement, so it takes no 'by' or 'role'",
            "the fact's value alone",
        )
        return
    yield from _judge_role_problems(spec, value.role, f"{where}.role")
    if value.role is not None and value.role not in roles:
        yield Problem(
            f"{where}.role",
            f"role {value.role!r} is not defined by the plan",
            expected_names(value.role, roles),
        )


def _judge_role_problems(spec: FactSpec, role: str | None, where: str) -> Iterator[Problem]:
    """
    A judgement of *spec* made in *role*: the plan may name who judges.
    """
    if spec.judged_by and role not in spec.judged_by:
        yield Problem(
            where,
            f"the plan lets only certain roles judge {spec.id!r}"
            + ("; the judgement does not say in which role" if role is None else ""),
            f"one of {list(spec.judged_by)}",
            None if role is None else repr(role),
        )


def _fact_problems(
    specs: dict[str, FactSpec], name: str, value: object, where: str
) -> Iterator[Problem]:
    spec = specs.get(name)
    if spec is None:
        yield Problem(
            where, f"fact {name!r} is not declared by the plan", expected_names(name, specs)
        )
        return
    if isinstance(value, NotApplicable):
        if not spec.may_be_not_applicable:
            yield Problem(
                where,
                f"fact {name!r} is given as not applicable, and the plan does not let it be",
                fact_value_expected(spec, None) or "a value",
                "not applicable",
            )
        return
    expected = fact_value_expected(spec, value)
    if expected is not None:
        yield Problem(
            where, f"fact {name!r} has a value of the wrong type", expected, describe_value(value)
        )
