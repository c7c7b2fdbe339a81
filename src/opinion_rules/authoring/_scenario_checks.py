"""
Running scenarios: load each plan once, check the names the expectations
use against it, evaluate the incident at each check's instant and compare,
giving one :class:`Mismatch` (a readable diff line) per expectation that
does not hold.

The comparison (:func:`compare`) is shared with :mod:`opinion_rules.testing`,
so ``assert_action`` fails with the same words as a scenario file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from opinion_rules._suggest import expected_names
from opinion_rules.authoring._scenarios import Check, Expectation, Scenario
from opinion_rules.engine._engine import DEFAULT_BACKEND, Engine
from opinion_rules.exceptions import PlanLoadError, PluginError, Problem, ScenarioError
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import ActionStatus, Assessment
from opinion_rules.planfile._loaders import load_plan
from opinion_rules.plugins._manager import PluginSet


__all__ = [
    "Mismatch",
    "PlanCache",
    "compare",
    "load_plan_for",
    "prepare",
    "render_value",
    "run_check",
]


@attrs.frozen
class Mismatch:
    """
    One expectation that does not hold: where it is written, the instant,
    the item, what was expected and what the evaluation gave.

    ``str()`` is the diff line, e.g. ``x.scenario.yaml:14: at
    2026-11-23T12:00:00+08:00: action report: status expected overdue, got
    pending``.
    """

    file: str | None
    line: int | None
    at: datetime
    item: str
    expected: str
    got: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file is not None else ""
        return (
            f"{where}at {self.at.isoformat()}: {self.item} expected {self.expected}, got {self.got}"
        )

    def to_dict(self) -> dict[str, Any]:
        """
        JSON-ready: the fields, and the diff line as ``text``.
        """
        return {
            "file": self.file,
            "line": self.line,
            "at": self.at.isoformat(),
            "item": self.item,
            "expected": self.expected,
            "got": self.got,
            "text": str(self),
        }


def load_plan_for(path: Path, plugins: Sequence[str], *, where: tuple[str, int, int]) -> Plan:
    """
    The plan file *path*, with the plug-ins *plugins* (entry-point names)
    enabled; *where* (file, line, column) is the scenario's ``plugins`` key.

    Raises:
        PluginError: a plug-in cannot be loaded (placed at the key).
        PlanLoadError: the plan file cannot be read.
        PlanValidationError: the plan file is wrong, or needs plug-ins that
            are not enabled.
    """
    try:
        return load_plan(path, plugins=_enabled(plugins))
    except PluginError as exc:
        source, line, column = where
        raise PlanLoadError(source, f"plugins: {exc}", line=line, column=column) from exc


@functools.cache
def _enabled(plugins: tuple[str, ...]) -> PluginSet:
    # One set per list of names in a run: a plug-in is imported once.
    return PluginSet(plugins)


@attrs.define
class PlanCache:
    """
    Engines already built in one run, by plan file and backend, so that
    many scenarios of one plan load and compile it once.
    """

    backend: str = DEFAULT_BACKEND
    engines: dict[tuple[Any, ...], tuple[Plan, Engine]] = attrs.field(factory=dict)

    def engine_for(self, scenario: Scenario) -> tuple[Plan, Engine]:
        key = (scenario.plan.resolve(), scenario.plugins, scenario.parameters)
        if key not in self.engines:
            where = (scenario.source, *scenario.plugins_place)
            plan = load_plan_for(scenario.plan, tuple(scenario.plugins), where=where)
            if scenario.parameters:
                plan = plan.with_parameters(**dict(scenario.parameters))
            self.engines[key] = (
                plan,
                Engine(plan, backend=self.backend, plugins=_enabled(tuple(scenario.plugins))),
            )
        return self.engines[key]


def prepare(scenario: Scenario, cache: PlanCache) -> Engine:
    """
    The engine *scenario*'s checks run on, after checking that every grade,
    category, action and chain they name is in the plan.

    Raises:
        PlanError: the plan cannot be loaded (located in the plan file).
        ScenarioError: an expectation names what the plan lacks.
    """
    plan, engine = cache.engine_for(scenario)
    problems: dict[tuple[str, int], Problem] = {}
    for check in scenario.checks:
        for e in check.expectations:
            for path, message, expected in _unknown_names(plan, e):
                # An action with two keys is one mistake, reported once.
                problems.setdefault(
                    (path, e.line),
                    Problem(path, message, expected, None, scenario.source, e.line, e.column),
                )
    if problems:
        raise ScenarioError(scenario.source, problems.values())
    return engine


def _unknown_names(plan: Plan, e: Expectation) -> Iterator[tuple[str, str, str]]:
    known = {
        "grade": {g.id for g in plan.grades},
        "category": {c.id for c in plan.categories},
        "action": {a.id for a in plan.actions},
        "chain": {c.id for c in plan.chains},
        "role": {r.id for r in plan.roles},
    }
    known["extension"] = known["action"]
    names: Iterable[tuple[str, str]] = ()
    match e.subject:
        case "grade" if e.value is not None:
            names = [("grade", e.value)]
        case "categories" | "categories_include":
            names = [("category", c) for c in e.value]
        case "undecided":
            names = [tuple(item.split(":", 1)) for item in e.value]  # kind:id
        case "action" | "chain":
            names = [(e.subject, e.id)]
            if e.key == "owners":
                names = [*names, *(("role", r) for r in e.value)]
    for kind, name in sorted(names):
        if name not in known[kind] and not (kind == "grade" and not name):
            yield (
                f"{kind} {name!r}",
                f"is not {'an' if kind[0] in 'aeiou' else 'a'} {kind} of the plan",
                expected_names(name, known[kind]),
            )


def run_check(scenario: Scenario, check: Check, engine: Engine) -> tuple[Mismatch, ...]:
    """
    Evaluate *scenario*'s incident at *check*'s instant; every expectation
    that does not hold, as a :class:`Mismatch`.
    """
    assessment = engine.evaluate(scenario.incident, at=check.at)
    return compare(assessment, check.expectations, file=scenario.source)


def compare(
    assessment: Assessment, expectations: Iterable[Expectation], *, file: str | None = None
) -> tuple[Mismatch, ...]:
    """
    The expectations that do not hold of *assessment*; *file* names where
    they are written (``None`` for expectations made in Python).
    """
    out = []
    for e in expectations:
        for item, expected, got in _differences(assessment, e):
            line = e.line if file is not None else None
            out.append(Mismatch(file, line, assessment.at, item, expected, got))
    return tuple(out)


def _differences(a: Assessment, e: Expectation) -> Iterator[tuple[str, str, str]]:
    match e.subject:
        case "grade":
            got = None if a.grade is None else a.grade.id
            if got != e.value:
                yield "grade", render_value(e.value), render_value(got)
        case "categories" | "categories_include":
            applying = [c.id for c in a.categories if c.until is None]
            if e.subject == "categories" and e.value != set(applying):
                yield "categories", _names(e.value), _names(applying)
            elif e.subject == "categories_include" and e.value - set(applying):
                yield "categories", f"to include {_names(e.value)}", _names(applying)
        case "undecided":
            got_items = [f"{u.kind}:{u.id}" for u in a.undecided]
            if e.value != set(got_items):
                yield "undecided", _names(e.value), _names(got_items)
        case "action":
            found = {x.id: x for x in a.actions}.get(e.id)
            yield from _item_differences(f"action {e.id}", found, e)
        case "chain":
            chain = {c.id: c for c in a.chains}.get(e.id)
            values = None if chain is None else {"status": chain.status, "due": chain.due}
            yield from _field_differences(f"chain {e.id}", values, e)


def _item_differences(
    item: str, action: ActionStatus | None, e: Expectation
) -> Iterator[tuple[str, str, str]]:
    if e.key == "absent":
        if e.value and action is not None:
            yield item, "not applying", f"applying ({action.status})"
        elif not e.value and action is None:
            yield item, "applying", "not applying"
        return
    values = None
    if action is not None:
        values = {
            "status": action.status,
            "due": action.due,
            "owners": [o.id for o in action.owners],
        }
    yield from _field_differences(item, values, e)


def _field_differences(
    item: str, values: Mapping[str, Any] | None, e: Expectation
) -> Iterator[tuple[str, str, str]]:
    expected = render_value(e.value, e.key)
    if values is None:
        yield f"{item}: {e.key}", expected, "not applying"
        return
    got = values[e.key]
    same = set(got) == e.value if e.key == "owners" else got == e.value
    if not same:
        offset = e.value if isinstance(e.value, datetime) else None
        yield f"{item}: {e.key}", expected, render_value(got, e.key, offset)


def _names(values: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(values)) + "]"


def render_value(value: Any, key: str = "", like: datetime | None = None) -> str:
    """
    *value* as a diff shows it: ``none`` for no grade or no due time, ids
    in brackets, instants in ISO 8601 (in the offset of *like*, so an
    expected and a got instant read alike).
    """
    if value is None:
        return "null" if key == "due" else "none"
    if isinstance(value, datetime):
        return (value.astimezone(like.tzinfo) if like is not None else value).isoformat()
    if isinstance(value, list | set | frozenset | tuple):
        return _names(value) if not isinstance(value, list) else "[" + ", ".join(value) + "]"
    return str(value)
