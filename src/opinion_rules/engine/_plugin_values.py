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
from opinion_rules.model._extending import Aggregation, Function, SeriesAmount
from opinion_rules.plugins._manager import PluginSet


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


def _failed(exc: Exception, plugin: str, hook: str, item: str) -> PluginError:
    return PluginError(plugin, hook, f"raised {type(exc).__name__}: {exc}", item)


class PluginValues:
    """
    The enabled plug-ins' functions and aggregations, ready to call.
    """

    def __init__(self, plugins: PluginSet) -> None:
        self.functions: dict[str, Callable[..., Number | None]] = {
            name: self._function(function, plugin)
            for name, (function, plugin) in plugins.functions.items()
        }
        self.aggregations: dict[str, Callable[[Sequence[SeriesAmount]], Number | None]] = {
            name: self._aggregation(aggregation, plugin)
            for name, (aggregation, plugin) in plugins.aggregations.items()
        }

    @staticmethod
    def _function(function: Function, plugin: str) -> Callable[..., Number | None]:
        item = f"function {function.name!r}"
        hook = "opinion_rules_functions"

        def call(*args: Number) -> Number | None:
            try:
                value = function.func(*args)
            except Exception as exc:
                raise PluginError(
                    plugin, hook, f"raised {type(exc).__name__}: {exc}", item
                ) from exc
            return _checked(value, plugin, hook, item)

        return call

    @staticmethod
    def _aggregation(
        aggregation: Aggregation, plugin: str
    ) -> Callable[[Sequence[SeriesAmount]], Number | None]:
        item = f"aggregation {aggregation.name!r}"
        hook = "opinion_rules_aggregations"

        def combine(series: Sequence[SeriesAmount]) -> Number | None:
            try:
                value = aggregation.compute(tuple(series))
            except Exception as exc:
                raise PluginError(
                    plugin, hook, f"raised {type(exc).__name__}: {exc}", item
                ) from exc
            return _checked(value, plugin, hook, item)

        return combine

    def combine_for(
        self, aggregate: str
    ) -> Callable[[Sequence[SeriesAmount]], Number | None] | None:
        """
        The combiner of a plug-in aggregate, ``None`` for a built-in one.
        """
        return self.aggregations.get(aggregate)
