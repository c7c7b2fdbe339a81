"""
One-line reasons: which parts of a condition held, with the values seen.

Reasons are produced from the IR and the snapshot at the instant a rule first
held, by the same code whatever backend matched it, so backends agree on
reasons as well as on results.
"""

from __future__ import annotations

from collections.abc import Mapping

from opinion_rules.model._conditions import SYMBOLS
from opinion_rules.model._plan import Plan

from ._ir import And, Const, Leaf, Neg, Node, Or
from ._python import compile_node


class Labels:
    """
    Words for slots and their values, from the plan.
    """

    def __init__(self, plan: Plan) -> None:
        self._names: dict[str, str] = {}
        self._values: dict[str, dict[object, str]] = {}
        for m in plan.measures:
            self._names[f"m_{m.id}"] = m.describe()
        for f in plan.facts:
            self._names[f"f_{f.id}"] = f.describe()
            if f.type == "enum" and f.ordered:
                self._values[f"f_{f.id}"] = dict(enumerate(f.choices))
        for c in plan.categories:
            self._names[f"c_{c.id}"] = f"category {c.name}"
        self._names["grade"] = "grade"
        self._values["grade"] = {g.rank: g.name for g in plan.grades}
        self._values["grade"][-1] = "ungraded"

    def name(self, slot: str) -> str:
        if slot.startswith("e_") and slot not in self._names:
            return f"event {slot[2:]}"
        return self._names.get(slot, slot)

    def value(self, slot: str, value: object) -> str:
        mapped = self._values.get(slot, {})
        if not isinstance(value, bool) and value in mapped:
            return mapped[value]
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value) if not isinstance(value, str) else value


def explain(node: Node, snapshot: Mapping[str, object], labels: Labels) -> str:
    """
    Say why *node* holds on *snapshot*, naming only the parts that held.
    """
    match node:
        case Leaf(slot, op, value):
            name = labels.name(slot)
            actual = snapshot.get(slot)
            if slot.startswith(("c_", "e_")) and op == "eq" and value is True:
                return name if slot.startswith("c_") else f"{name} recorded"
            shown = "unknown" if actual is None else labels.value(slot, actual)
            if op == "eq" and actual == value:
                return f"{name} = {shown}"
            return f"{name} = {shown} {SYMBOLS[op]} {labels.value(slot, value)}"
        case And(items):
            return " and ".join(_wrap(i, explain(i, snapshot, labels)) for i in items)
        case Or(items):
            held = [i for i in items if compile_node(i)(snapshot) is True] or list(items)
            if len(held) == 1:
                return explain(held[0], snapshot, labels)
            return " or ".join(_wrap(i, explain(i, snapshot, labels)) for i in held)
        case Neg(item):
            return f"not ({describe(item, labels)})"
        case Const():
            return "unconditional"
    raise TypeError(f"not an IR node: {node!r}")  # pragma: no cover


def describe(node: Node, labels: Labels) -> str:
    """
    Render *node* as text without values.
    """
    match node:
        case Leaf(slot, op, value):
            if slot.startswith(("c_", "e_")) and op == "eq" and value is True:
                return labels.name(slot)
            return f"{labels.name(slot)} {SYMBOLS[op]} {labels.value(slot, value)}"
        case And(items):
            return " and ".join(describe(i, labels) for i in items)
        case Or(items):
            return " or ".join(describe(i, labels) for i in items)
        case Neg(item):
            return f"not ({describe(item, labels)})"
        case Const(value):
            return "always" if value else "never"
    raise TypeError(f"not an IR node: {node!r}")  # pragma: no cover


def _wrap(node: Node, text: str) -> str:
    return f"({text})" if isinstance(node, And | Or) else text
