"""
One-line reasons: which parts of a condition held, with the values seen.

Reasons are produced from the IR and the snapshot at the instant a rule first
held, by the same code whatever backend matched it, so backends agree on
reasons as well as on results.
"""

from __future__ import annotations

from collections.abc import Mapping

from opinion_rules.engine._derived import Functions, computed_explain, computed_text
from opinion_rules.engine._interpret import Check, compile_node
from opinion_rules.engine._ir import (
    GRADE_SLOT,
    And,
    Computed,
    Const,
    Leaf,
    Neg,
    Node,
    Or,
    category_slot,
    fact_slot,
    measure_slot,
    slot_source,
    slot_subject,
)
from opinion_rules.model._conditions import SYMBOLS
from opinion_rules.model._plan import Plan


__all__ = ["Labels", "condition_text", "explain"]


class Labels:
    """
    Words for slots and their values, from the plan.
    """

    def __init__(self, plan: Plan, functions: Functions | None = None) -> None:
        #: Plug-in functions, to show the values of calls in reasons.
        self.functions = functions
        self._names: dict[str, str] = {}
        self._values: dict[str, dict[object, str]] = {}
        for m in plan.measures:
            self._names[measure_slot(m.id)] = m.describe()
        for f in plan.facts:
            self._names[fact_slot(f.id)] = f.describe()
            if f.type == "enum" and f.ordered:
                self._values[fact_slot(f.id)] = dict(enumerate(f.choices))
        for c in plan.categories:
            self._names[category_slot(c.id)] = f"category {c.name}"
        self._names[GRADE_SLOT] = "grade"
        self._values[GRADE_SLOT] = {g.rank: g.name for g in plan.grades}
        self._values[GRADE_SLOT][-1] = "ungraded"
        # Compiled once per node (kept alive here, so its id is not reused).
        self._checks: dict[int, tuple[Node, Check]] = {}

    def check(self, node: Node) -> Check:
        """
        *node* as a function of a snapshot, compiled on first use.
        """
        entry = self._checks.get(id(node))
        if entry is None:
            entry = self._checks[id(node)] = (node, compile_node(node))
        return entry[1]

    def name(self, slot: str) -> str:
        """
        Words for *slot*.
        """
        if slot not in self._names and slot_source(slot) == "event":
            return f"event {slot_subject(slot)}"
        if slot_source(slot) == "state":
            return slot_subject(slot)
        return self._names.get(slot, slot)

    def value(self, slot: str, value: object) -> str:
        """
        Words for *value* of *slot*.
        """
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
        case Computed():
            return computed_explain(node, snapshot, labels, labels.functions)
        case Leaf(slot, op, value):
            name = labels.name(slot)
            actual = snapshot.get(slot)
            if _is_flag(slot, op, value):
                return name if slot_source(slot) != "event" else f"{name} recorded"
            shown = "unknown" if actual is None else labels.value(slot, actual)
            if op == "eq" and actual == value:
                return f"{name} = {shown}"
            return f"{name} = {shown} {SYMBOLS[op]} {labels.value(slot, value)}"
        case And(items):
            return " and ".join(_wrap(i, explain(i, snapshot, labels)) for i in items)
        case Or(items):
            held = [i for i in items if labels.check(i)(snapshot) is True] or list(items)
            if len(held) == 1:
                return explain(held[0], snapshot, labels)
            return " or ".join(_wrap(i, explain(i, snapshot, labels)) for i in held)
        case Neg(Computed() as item) if snapshot.get(item.slot) is False:
            # Shows the values, e.g. why a not-applicable ranking is "not < 10".
            return f"not ({condition_text(item, labels)}): {explain(item, snapshot, labels)}"
        case Neg(item):
            return f"not ({condition_text(item, labels)})"
        case Const():
            return "unconditional"
    raise TypeError(f"not an IR node: {node!r}")  # pragma: no cover


def condition_text(node: Node, labels: Labels) -> str:
    """
    Render the condition *node* as text, without the values seen.
    """
    match node:
        case Computed():
            return computed_text(node, labels)
        case Leaf(slot, op, value):
            if _is_flag(slot, op, value):
                return labels.name(slot)
            return f"{labels.name(slot)} {SYMBOLS[op]} {labels.value(slot, value)}"
        case And(items):
            return " and ".join(condition_text(i, labels) for i in items)
        case Or(items):
            return " or ".join(condition_text(i, labels) for i in items)
        case Neg(item):
            return f"not ({condition_text(item, labels)})"
        case Const(value):
            return "always" if value else "never"
    raise TypeError(f"not an IR node: {node!r}")  # pragma: no cover


def _wrap(node: Node, text: str) -> str:
    return f"({text})" if isinstance(node, And | Or) else text


def _is_flag(slot: str, op: str, value: object) -> bool:
    """
    Whether the leaf only asks that a category matched or an event was seen.
    """
    return op == "eq" and value is True and slot_source(slot) in ("category", "event", "state")
