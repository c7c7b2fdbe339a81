"""
The ``python`` backend: the IR compiled to Python functions (see
:mod:`opinion_rules.engine._matcher`), matched incrementally.  Its meaning
is :func:`~opinion_rules.engine._interpret.compile_node`'s, the reference
semantics every other backend is tested against.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opinion_rules.engine._interpret import Snapshot, Tri
from opinion_rules.engine._ir import Program
from opinion_rules.engine._matcher import StageMatch, StageMatcher


__all__ = ["PythonBackend", "PythonSession"]


class PythonBackend:
    """
    Match snapshots with compiled Python functions; stateless and thread-safe.
    """

    name = "python"

    def __init__(self, program: Program) -> None:
        self._stages = {stage: StageMatcher(program.stage(stage)) for stage in (1, 2)}

    @contextmanager
    def session(self) -> Iterator[PythonSession]:
        """
        Open a matching session for one evaluation.
        """
        yield PythonSession(self._stages)


class PythonSession:
    """
    One evaluation's matching: each stage re-runs only the rules whose slots
    changed since its previous snapshot.
    """

    def __init__(self, stages: Mapping[int, StageMatcher]) -> None:
        self._stages = {stage: StageMatch(matcher) for stage, matcher in stages.items()}

    def match(self, stage: int, snapshot: Snapshot) -> Mapping[str, Tri]:
        """
        Evaluate every rule of *stage* on *snapshot*.
        """
        return self._stages[stage].match(snapshot)

    def changes(self, stage: int) -> Mapping[str, Tri]:
        """
        The results of *stage* that changed at its last :meth:`match` (every
        result at the first), for callers that record only changes.
        """
        return self._stages[stage].changes
