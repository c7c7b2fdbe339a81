"""
The engine: compile a plan once, evaluate incidents against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from opinion_rules.exceptions import BackendUnavailableError
from opinion_rules.model._facts import Incident
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import Assessment

from ._durable import DurableBackend, durable_available
from ._evaluate import Backend, evaluate
from ._ir import Program, compile_plan
from ._python import PythonBackend


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Engine"]

BackendName = Literal["python", "durable"]
#: The backends :class:`Engine` accepts.
BACKENDS: tuple[BackendName, ...] = ("python", "durable")
#: The default backend: the faster one that passes the differential suite
#: (see docs/explanation/engines.md for the measurements).
DEFAULT_BACKEND: BackendName = "python"


class Engine:
    """
    Evaluate incidents against one plan.

    The plan is compiled once, when the engine is made; :meth:`evaluate` is
    deterministic and reads no clock.  Engines hold no mutable state and may
    be shared between threads.

    Args:
        plan: The plan.
        backend: ``python`` (default) or ``durable``.

    Raises:
        BackendUnavailableError: if *backend* cannot run here (``durable`` on
            Python 3.13+), or is not a known backend.

    .. versionadded:: 0.1.0
    """

    def __init__(self, plan: Plan, *, backend: str = DEFAULT_BACKEND) -> None:
        if not isinstance(plan, Plan):
            raise TypeError(f"Engine needs a Plan (got {plan!r}, a {type(plan).__name__})")
        self._plan = plan.bound()  # required parameters must have values
        self._program = compile_plan(self._plan)
        self._backend = _make_backend(backend, self._program)

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
        return evaluate(self._plan, self._program, self._backend, incident, at)


def _make_backend(name: str, program: Program) -> Backend:
    if name == "python":
        return PythonBackend(program)
    if name == "durable":
        if not durable_available():
            raise BackendUnavailableError(
                "durable", "durable_rules does not import in this interpreter"
            )
        return DurableBackend(program)
    raise BackendUnavailableError(name, f"unknown backend; expected one of {list(BACKENDS)}")
