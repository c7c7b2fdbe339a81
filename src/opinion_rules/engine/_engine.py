"""
The engine: compile a plan once, evaluate incidents against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import ModuleType
from typing import Any

from opinion_rules.engine._evaluate import evaluate
from opinion_rules.engine._grade_only import grade_only
from opinion_rules.engine._ir import Program, compile_plan
from opinion_rules.engine._plugin_values import PluginValues
from opinion_rules.engine._prepared import Prepared
from opinion_rules.engine._registry import BACKENDS, DEFAULT_BACKEND, make_backend
from opinion_rules.engine._tracking import Tracking
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.model._facts import Incident
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import Assessment, GradeAssessment
from opinion_rules.plugins._manager import PluginSet, plugin_set
from opinion_rules.plugins._requirements import plugin_problems


# BACKENDS and DEFAULT_BACKEND live in the registry; they stay importable here.
__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Engine"]


class Engine:
    """
    Evaluate incidents against one plan.

    The plan is compiled once, when the engine is made; :meth:`evaluate` is
    deterministic and reads no clock.  Engines hold no mutable state and may
    be shared between threads.

    Args:
        plan: The plan.
        backend: ``python`` (default), ``durable``, or the name of a backend
            added with :func:`~opinion_rules.engine.register_backend`.
        plugins: The plug-ins to enable: entry-point names, modules or
            objects with hook implementations, or a
            :class:`~opinion_rules.plugins.PluginSet` (build one to share
            between engines).  Only these are loaded.

    Raises:
        BackendUnavailableError: if *backend* cannot run here (``durable`` on
            Python 3.13+), or is not a registered backend.
        PluginError: if a plug-in cannot be loaded or breaks its contract.
        PlanValidationError: if the plan requires a plug-in that is not
            enabled, or names a function or aggregation none provides.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.6.0 *plugins*.
    """

    def __init__(
        self,
        plan: Plan,
        *,
        backend: str = DEFAULT_BACKEND,
        plugins: PluginSet | Iterable[str | ModuleType | object] | None = None,
    ) -> None:
        if not isinstance(plan, Plan):
            raise TypeError(f"Engine needs a Plan (got {plan!r}, a {type(plan).__name__})")
        self._plugins = plugin_set(plugins)
        problems = list(plugin_problems(plan, self._plugins))
        if problems:
            raise PlanValidationError(f"plan {plan.id!r}", problems)
        self._values = PluginValues(self._plugins, plan)
        self._plan = plan.bound()  # required parameters must have values
        self._program = compile_plan(self._plan)
        # Everything evaluations read from the plan alone, derived once.
        self._prepared = Prepared(self._plan, self._program, self._values)
        self._backend = make_backend(backend, self._program)

    @property
    def plan(self) -> Plan:
        """
        The plan this engine evaluates against.
        """
        return self._plan

    @property
    def backend(self) -> str:
        """
        The name of the backend in use.
        """
        return self._backend.name

    @property
    def plugins(self) -> PluginSet:
        """
        The enabled plug-ins.

        .. versionadded:: 0.6.0
        """
        return self._plugins

    @property
    def program(self) -> Program:
        """
        The compiled intermediate representation (for debugging and tests).
        """
        return self._program

    def evaluate(self, incident: Incident | Mapping[str, Any], *, at: datetime) -> Assessment:
        """
        Assess *incident* as of *at*: grade, categories and actions.

        Only observations and events at or before *at* are seen.

        Args:
            incident: An :class:`Incident`, or a mapping in the JSON
                interchange format.
            at: The evaluation instant; must be timezone-aware.

        Raises:
            FactError: if the incident or *at* is malformed, or names
                metrics, facts or actions the plan does not declare.
            EngineError: if the backend fails.

        .. versionadded:: 0.1.0
        """
        if not isinstance(incident, Incident):
            incident = Incident.from_dict(incident)
        return evaluate(self._prepared, self._backend, incident, at)

    def grade(self, incident: Incident | Mapping[str, Any], *, at: datetime) -> GradeAssessment:
        """
        The grade of *incident* as of *at*, its since and its history, and
        nothing else.

        For callers that need only the level: no categories, actions,
        statuses, routing or undecided items are worked out, so it costs
        less than :meth:`evaluate`.  The grade, its history (reasons
        included) and the closure instant equal those :meth:`evaluate`
        reports for the same incident and instant.

        Args:
            incident: An :class:`Incident`, or a mapping in the JSON
                interchange format.
            at: The evaluation instant; must be timezone-aware.

        Raises:
            FactError: if the incident or *at* is malformed, or names
                metrics, facts or actions the plan does not declare.
            EngineError: if the backend fails.

        .. versionadded:: 0.6.0
        """
        if not isinstance(incident, Incident):
            incident = Incident.from_dict(incident)
        return grade_only(self._prepared, self._backend, incident, at)

    def track(self, incident: Incident | Mapping[str, Any], *, at: datetime) -> Tracking:
        """
        Evaluate *incident* at *at* as :meth:`evaluate` does, in a form that
        can be advanced as the incident grows
        (:meth:`Tracking.advance <opinion_rules.engine.Tracking.advance>`).

        Raises:
            FactError, EngineError: as :meth:`evaluate`.

        .. versionadded:: 0.6.0
        """
        if not isinstance(incident, Incident):
            incident = Incident.from_dict(incident)
        return Tracking(self, self._prepared, self._backend, incident, at)
