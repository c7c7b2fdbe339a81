"""
The ``python`` backend: the IR compiled to closures.  This is the reference
semantics every other backend is tested against.

Three-valued (Kleene) logic: a leaf over a missing slot is unknown
(``None``); ``and`` is false if any item is false, ``or`` is true if any item
is true, ``not`` keeps unknown unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from opinion_rules.model._conditions import OPERATORS

from ._ir import And, Const, Leaf, Neg, Node, Or, Program


__all__ = ["PythonBackend"]

Snapshot = Mapping[str, object]
Tri = bool | None
Check = Callable[[Snapshot], Tri]


def compile_node(node: Node) -> Check:
    """
    Turn an IR node into a function of a snapshot.
    """
    match node:
        case Leaf(slot, op, value):
            compare = OPERATORS[op]

            def leaf(snapshot: Snapshot) -> Tri:
                actual = snapshot.get(slot)
                return None if actual is None else compare(actual, value)

            return leaf
        case And(items):
            checks = tuple(compile_node(i) for i in items)

            def all_(snapshot: Snapshot) -> Tri:
                unknown = False
                for check in checks:
                    result = check(snapshot)
                    if result is False:
                        return False
                    unknown = unknown or result is None
                return None if unknown else True

            return all_
        case Or(items):
            checks = tuple(compile_node(i) for i in items)

            def any_(snapshot: Snapshot) -> Tri:
                unknown = False
                for check in checks:
                    result = check(snapshot)
                    if result is True:
                        return True
                    unknown = unknown or result is None
                return None if unknown else False

            return any_
        case Neg(item):
            check = compile_node(item)

            def not_(snapshot: Snapshot) -> Tri:
                result = check(snapshot)
                return None if result is None else not result

            return not_
        case Const(value):
            return lambda _snapshot: value
    raise TypeError(f"not an IR node: {node!r}")  # pragma: no cover


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
    def __init__(self, stages: Mapping[int, tuple[tuple[str, Check], ...]]) -> None:
        self._stages = stages

    def match(self, stage: int, snapshot: Snapshot) -> dict[str, Tri]:
        """
        Evaluate every rule of *stage* on *snapshot*.
        """
        return {rule_id: check(snapshot) for rule_id, check in self._stages[stage]}
