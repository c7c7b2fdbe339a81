"""
Whether the enabled plug-ins meet a plan: every plug-in it requires is
enabled at a version it allows, and every function and aggregation it
names is provided, with the arguments the function declares.

Each problem says which plug-in to enable and how, or the nearest name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from opinion_rules._suggest import expected_names
from opinion_rules.exceptions import Problem
from opinion_rules.model._conditions import CompareValues, walk
from opinion_rules.model._content import PlanContent, plan_conditions
from opinion_rules.model._extending import BUILTIN_AGGREGATES, Requirement
from opinion_rules.model._terms import Call, calls
from opinion_rules.plugins._manager import PluginSet


__all__ = [
    "ENABLE_HOW",
    "name_problems",
    "plugin_problems",
    "requirement_problems",
    "used_functions",
]

#: How a host enables a plug-in, for messages.
ENABLE_HOW = "--plugin NAME on the command line, plugins=['NAME'] in Python"


def used_functions(plan: PlanContent) -> Iterator[tuple[str, Call]]:
    """
    Every function call in *plan*'s conditions, with the condition's path.
    """
    for where, condition in plan_conditions(plan):
        for node in walk(condition):
            if isinstance(node, CompareValues):
                for call in (*calls(node.left), *calls(node.right)):
                    yield where, call


def plugin_problems(plan: PlanContent, plugins: PluginSet) -> Iterator[Problem]:
    """
    What the enabled *plugins* leave unmet in *plan*: its requirements,
    then the functions and aggregations it names.
    """
    yield from requirement_problems(enumerate(plan.requires), plugins)
    yield from name_problems(plan, plugins)


def requirement_problems(
    requires: Iterable[tuple[int, Requirement]], plugins: PluginSet
) -> Iterator[Problem]:
    """
    The requirements (with their index in ``requires``) that *plugins*
    leave unmet: not enabled, or at a version the plan does not allow.
    """
    for i, requirement in requires:
        version = plugins.version_of(requirement.plugin)
        if version is None:
            yield Problem(
                f"requires[{i}]",
                f"plug-in {requirement.plugin!r} is required and not enabled",
                f"enable it: {ENABLE_HOW.replace('NAME', requirement.plugin)}",
            )
        elif not requirement.allows(version):
            yield Problem(
                f"requires[{i}].version",
                f"plug-in {requirement.plugin!r} is version {version or 'unstated'}, "
                f"and the plan requires {requirement.version}",
                f"a version of {requirement.plugin!r} that meets {requirement.version!r}",
            )


def name_problems(plan: PlanContent, plugins: PluginSet) -> Iterator[Problem]:
    """
    The functions and aggregations *plan* names that no enabled plug-in
    provides, and calls with the wrong number of arguments.
    """
    missing = [r.plugin for r in plan.requires if plugins.version_of(r.plugin) is None]
    hint = (
        f"; the plan requires {', '.join(map(repr, missing))}, not enabled"
        if missing
        else "; name the plug-in that provides it under 'requires' and enable it"
    )
    for where, call in used_functions(plan):
        provided = plugins.functions.get(call.function)
        if provided is None:
            yield Problem(
                where,
                f"function {call.function!r} is provided by no enabled plug-in{hint}",
                (
                    f"a function of an enabled plug-in: "
                    f"{expected_names(call.function, sorted(plugins.functions))}"
                    if plugins.functions
                    else "a function of an enabled plug-in (no enabled plug-in provides any)"
                ),
                refers_to=call.function,
            )
            continue
        function, plugin = provided
        if len(call.args) != len(function.args):
            yield Problem(
                where,
                f"function {call.function!r} (plug-in {plugin!r}) takes {len(function.args)} "
                f"argument(s), and the call gives {len(call.args)}",
                f"{call.function}({', '.join(function.args)})",
            )
    for i, measure in enumerate(plan.measures):
        name = measure.aggregate
        if name in BUILTIN_AGGREGATES or name in plugins.aggregations:
            continue
        known = [*BUILTIN_AGGREGATES, *sorted(plugins.aggregations)]
        yield Problem(
            f"measures[{i}].aggregate",
            f"aggregate {name!r} is neither built in nor provided by an enabled plug-in{hint}",
            expected_names(name, known),
            refers_to=name,
        )
