"""
The contract between the evaluator and a backend.

A backend matches *snapshots* (one instant of one incident: slot name to
value, a missing slot unknown; see :mod:`opinion_rules.engine._ir`) against
the rules of one compiled :class:`~opinion_rules.engine._ir.Program`.
Everything that involves time (change points, windows, grades over time,
clocks and due times) stays in the evaluator, so a backend is only a
matcher; ``tests/test_durable.py`` shows how to hold a new one to the
reference ``python`` backend.

A third backend is one module with a class that meets :class:`Backend`
and one call to :func:`~opinion_rules.engine.register_backend`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Protocol

from opinion_rules.engine._ir import Program


__all__ = ["Backend", "BackendFactory", "Session"]


class Session(Protocol):
    """
    Matching for one evaluation, used by one thread, opened by
    :meth:`Backend.session`.

    A session may remember earlier snapshots to match the next one faster,
    as long as every result stays what :meth:`match` promises.  It may also
    offer ``changes(stage)``: the results of *stage* that differ from its
    previous :meth:`match` (all of them after the first); the walk then
    records only those.  A session without it is given every result.
    """

    def match(self, stage: int, snapshot: Mapping[str, object]) -> Mapping[str, bool | None]:
        """
        Evaluate every rule of *stage* (1 or 2) on *snapshot*.

        Returns a mapping with one entry per rule of the stage, keyed by rule
        id: ``True`` or ``False``, or ``None`` when the rule is unknown on
        this snapshot, under three-valued (Kleene) logic exactly as
        :func:`~opinion_rules.engine._interpret.compile_node` defines it (a
        leaf over a missing slot is unknown).  The result must depend on
        *snapshot* alone, never on earlier calls: the evaluator skips calls
        whose snapshot equals the previous one.

        Raises:
            EngineError: if the backend fails; never any other exception.
        """
        ...


class Backend(Protocol):
    """
    A compiled program ready to match snapshots.

    Built once per :class:`~opinion_rules.engine.Engine` from its program
    by the factory given to :func:`~opinion_rules.engine.register_backend`,
    which raises :class:`~opinion_rules.exceptions.BackendUnavailableError`
    if the backend cannot run in this interpreter.  A backend is shared by
    every thread that uses its engine: :meth:`session` must be safe to call
    from several threads at once.  It holds no state across evaluations.
    """

    #: The name the backend is registered under.
    name: str

    def session(self) -> AbstractContextManager[Session]:
        """
        Open a session for one evaluation; leaving the context releases
        whatever the session held, even if the evaluation failed.
        """
        ...


#: Builds a backend for one compiled program.
BackendFactory = Callable[[Program], Backend]
