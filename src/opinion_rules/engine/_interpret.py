"""
The meaning of the IR: a node as a three-valued function of a snapshot.

Three-valued (Kleene) logic: a leaf over a missing slot is unknown
(``None``); ``and`` is false if any item is false, ``or`` is true if any item
is true, ``not`` keeps unknown unknown.  These functions are the reference
semantics: the ``python`` backend runs the same logic compiled to Python
source (:mod:`opinion_rules.engine._matcher`, tested equal to them), and the
evaluator and the explainer use them to say which parts of a condition held
or stayed unknown, whatever backend matched it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from opinion_rules.engine._derived import unknown_operands
from opinion_rules.engine._ir import And, Computed, Const, Leaf, Neg, Node, Or
from opinion_rules.model._conditions import OPERATORS


__all__ = ["Check", "Snapshot", "Tri", "compile_node", "unknown_slots"]

#: Slot name to value at one instant; a missing (or ``None``) slot is unknown.
Snapshot = Mapping[str, object]
#: A three-valued truth: ``None`` is unknown.
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


def unknown_slots(node: Node, snapshot: Snapshot) -> set[str]:
    """
    The unknown slots that keep *node* unknown on *snapshot* (none if it is
    true or false there); a computed comparison names the measures and facts
    it reads that are unknown, never itself.
    """
    if compile_node(node)(snapshot) is not None:
        return set()
    match node:
        case Computed():
            return unknown_operands(node, snapshot)
        case Leaf(slot):
            return {slot}
        case And(items) | Or(items):
            return set().union(*(unknown_slots(i, snapshot) for i in items))
        case Neg(item):
            return unknown_slots(item, snapshot)
    return set()
