"""
Plug-in functions and aggregations as the shared loop calls them: each
wrapped so that a failure, or a value outside the contract, is a
:class:`~opinion_rules.exceptions.PluginError` naming the plug-in, the hook
and the function or aggregation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from opinion_rules.exceptions import PluginError
from opinion_rules.model._content import PlanContent
from opinion_rules.model._extending import SeriesAmount
from opinion_rules.plugins._manager import PluginSet
from opinion_rules.plugins._requirements import used_functions


__all__ = ["PluginValues"]

Number = int | float


def _checked(value: object, plugin: str, hook: str, item: str) -> Number | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PluginError(plugin, hook, f"returned {value!r}, not a number or None", item)
    if isinstance(value, float) and not math.isfinite(value):
        raise PluginError(plugin, hook, f"returned {value!r}, not a finite number", item)
    return value


def _contained(
    func: Callable[..., object], plugin: str, hook: str, item: str
) -> Callable[..., Number | None]:
    """
    *func* called as the contract says: a raise or a value that is not a
    number (or ``None``) becomes a PluginError naming *plugin*, *hook*, *item*.
    """

    def call(*args: object) -> Number | None:
        try:
            value = func(*args)
        except Exception as exc:
            raise PluginError(plugin, hook, f"raised {type(exc).__name__}: {exc}", item) from exc
        return _checked(value, plugin, hook, item)

    return call


class PluginValues:
    """
    The enabled plug-ins' functions and aggregations, ready to call.
    """

    def __init__(self, plugins: PluginSet, plan: PlanContent | None = None) -> None:
        # Where the plan uses each name, for messages (the first place).
        used: dict[str, str] = {}
        if plan is not None:
            for where, call in used_functions(plan):
                used.setdefault(f"f:{call.function}", where)
            for i, measure in enumerate(plan.measures):
                used.setdefault(f"a:{measure.aggregate}", f"measures[{i}]")

        def item(kind: str, name: str, key: str) -> str:
            where = used.get(key)
            return f"{kind} {name!r}" + ("" if where is None else f" in {where}")

        self.functions: dict[str, Callable[..., Number | None]] = {
            name: _contained(
                function.func,
                plugin,
                "opinion_rules_functions",
                item("function", name, f"f:{name}"),
            )
            for name, (function, plugin) in plugins.functions.items()
        }
        self.aggregations: dict[str, Callable[[Sequence[SeriesAmount]], Number | None]] = {
            name: _contained(
                aggregation.compute,
                plugin,
                "opinion_rules_measures",
                item("aggregation", name, f"a:{name}"),
            )
            for name, (aggregation, plugin) in plugins.aggregations.items()
        }

    def combine_for(
        self, aggregate: str
    ) -> Callable[[Sequence[SeriesAmount]], Number | None] | None:
        """
        The combiner of a plug-in aggregate, ``None`` for a built-in one.
        """
        return self.aggregations.get(aggregate)
