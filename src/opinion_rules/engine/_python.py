"""
The ``python`` backend: the IR compiled to closures (see
:mod:`opinion_rules.engine._interpret`).  This is the reference semantics
every other backend is tested against.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opinion_rules.engine._interpret import Check, Snapshot, Tri, compile_node
from opinion_rules.engine._ir import Program


__all__ = ["PythonBackend", "PythonSession"]


class PythonBackend:
    """
    Match snapshots with Python closures; stateless and thread-safe.
    """

    name = "python"

    def __init__(self, program: Program) -> None:
        self._stages = {
            stage: tuple((r.id, compile_node(r.condition)) for r in program.stage(stage))
            for stage in (1, 2)
        }

    @contextmanager
    def session(self) -> Iterator[PythonSession]:
        """
        Open a matching session for one evaluation.
        """
        yield PythonSession(self._stages)


class PythonSession:
    """
    One evaluation's matching: a view of the backend's closures.
    """

    def __init__(self, stages: Mapping[int, tuple[tuple[str, Check], ...]]) -> None:
        self._stages = stages

    def match(self, stage: int, snapshot: Snapshot) -> dict[str, Tri]:
        """
        Evaluate every rule of *stage* on *snapshot*.
        """
        return {rule_id: check(snapshot) for rule_id, check in self._stages[stage]}
