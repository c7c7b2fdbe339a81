"""
The intermediate representation (IR) both backends execute.

A plan compiles to a :class:`Program`: a flat list of :class:`Rule` objects,
each a condition tree over *slots* of one snapshot.  A snapshot is a mapping
from slot name to value, taken at one instant; a missing slot is unknown.

Stage 1 rules (grades, categories) see measures, facts and events.  Stage 2
rules (actions and their owner routings) also see the grade reached so far
and the categories matched so far.  No rule ever joins two snapshots, so every backend can match one
snapshot at a time.

Slot names:

* ``m_<measure>``: a measure value (number).
* ``f_<fact>``: a fact value; ordered enum facts as their position.
* ``e_<type>``: whether an event type has been seen (bool).
* ``grade``: the rank of the grade reached so far, ``-1`` when ungraded.
* ``c_<category>``: whether the category has been matched (bool).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Literal

import attrs

from opinion_rules.model._conditions import (
    AllOf,
    Always,
    AnyOf,
    CategoryIs,
    Compare,
    Condition,
    EventSeen,
    FactRef,
    GradeRef,
    MeasureRef,
    Not,
    OneOf,
    Param,
)
from opinion_rules.model._plan import Plan


__all__ = [
    "And",
    "Const",
    "Leaf",
    "Neg",
    "Node",
    "Or",
    "Program",
    "Rule",
    "compile_plan",
    "routing_rule",
]

Value = int | float | str | bool
SlotKind = Literal["number", "category"]


@attrs.frozen
class Leaf:
    """
    ``slot op value``; unknown when the slot is missing.
    """

    slot: str
    op: str
    value: Value


@attrs.frozen
class And:
    items: tuple[Node, ...]


@attrs.frozen
class Or:
    items: tuple[Node, ...]


@attrs.frozen
class Neg:
    item: Node


@attrs.frozen
class Const:
    value: bool


Node = Leaf | And | Or | Neg | Const


@attrs.frozen
class Rule:
    """
    One named condition: ``g.<grade>``, ``c.<category>``, ``a.<action>`` or
    ``r.<action>.<n>`` (owner routing *n* of the action).
    """

    id: str
    stage: Literal[1, 2]
    condition: Node


@attrs.frozen
class Program:
    """
    A compiled plan: the rules, and the kind of every slot they read.
    """

    rules: tuple[Rule, ...]
    slots: Mapping[str, SlotKind]

    def stage(self, stage: int) -> tuple[Rule, ...]:
        """
        The rules of *stage*.
        """
        return tuple(r for r in self.rules if r.stage == stage)

    def to_json(self) -> str:
        """
        A canonical JSON text of the program, for hashing and debugging.
        """
        data = {
            "rules": [
                {"id": r.id, "stage": r.stage, "condition": _node_data(r.condition)}
                for r in self.rules
            ],
            "slots": dict(self.slots),
        }
        return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)

    def digest(self) -> str:
        """
        A content hash: equal programs have equal digests.
        """
        return hashlib.sha256(self.to_json().encode()).hexdigest()


def _node_data(node: Node) -> dict[str, object]:
    """
    A node as plain data that names its class: And and Or have the same
    fields, so a content hash must say which one it is.
    """
    match node:
        case And(items) | Or(items):
            return {"node": type(node).__name__, "items": [_node_data(i) for i in items]}
        case Neg(item):
            return {"node": "Neg", "item": _node_data(item)}
        case Leaf(slot, op, value):
            return {"node": "Leaf", "slot": slot, "op": op, "value": value}
        case Const(value):
            return {"node": "Const", "value": value}
    raise TypeError(f"not an IR node: {node!r}")  # pragma: no cover


def compile_plan(plan: Plan) -> Program:
    """
    Compile *plan* (already validated) into a :class:`Program`.
    """
    slots: dict[str, SlotKind] = {}
    compiler = _Compiler(plan, slots)
    rules: list[Rule] = []
    for g in plan.grades:
        rules.append(Rule(f"g.{g.id}", 1, compiler.node(g.criteria)))
    specific = [c.condition for c in plan.categories if not c.other]
    for c in plan.categories:
        # "其他": none of the others holds; unknown while any is unknown.
        condition = Not(AnyOf(tuple(specific))) if c.other else c.condition
        rules.append(Rule(f"c.{c.id}", 1, compiler.node(condition)))
    for a in plan.actions:
        rules.append(Rule(f"a.{a.id}", 2, compiler.node(a.condition)))
        for i, routing in enumerate(a.routing):
            rules.append(Rule(routing_rule(a.id, i), 2, compiler.node(routing.condition)))
    return Program(tuple(rules), dict(sorted(slots.items())))


def routing_rule(action_id: str, index: int) -> str:
    """
    The rule id of routing *index* of action *action_id*.
    """
    return f"r.{action_id}.{index}"


class _Compiler:
    def __init__(self, plan: Plan, slots: dict[str, SlotKind]) -> None:
        self.plan = plan
        self.slots = slots
        self.facts = {f.id: f for f in plan.facts}
        self.ranks = {g.id: g.rank for g in plan.grades}

    def node(self, condition: Condition) -> Node:
        match condition:
            case AllOf(items):
                return And(tuple(self.node(i) for i in items))
            case AnyOf(items):
                return Or(tuple(self.node(i) for i in items))
            case Not(item):
                return Neg(self.node(item))
            case Always():
                return Const(value=True)
            case CategoryIs(cat):
                self.slots[f"c_{cat}"] = "category"
                return Leaf(f"c_{cat}", "eq", value=True)
            case EventSeen(event):
                self.slots[f"e_{event}"] = "category"
                return Leaf(f"e_{event}", "eq", value=True)
            case Compare(operand, op, value):
                slot, encoded = self.operand(operand, _constant(value))
                return Leaf(slot, op, encoded)
            case OneOf(operand, values):
                leaves = []
                for value in values:
                    slot, encoded = self.operand(operand, _constant(value))
                    leaves.append(Leaf(slot, "eq", encoded))
                return leaves[0] if len(leaves) == 1 else Or(tuple(leaves))
        raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover

    def operand(self, operand: object, value: Value) -> tuple[str, Value]:
        match operand:
            case MeasureRef(mid):
                self.slots[f"m_{mid}"] = "number"
                return f"m_{mid}", value
            case GradeRef():
                self.slots["grade"] = "number"
                return "grade", self.ranks[str(value)]
            case FactRef(fid):
                spec = self.facts[fid]
                slot = f"f_{fid}"
                if spec.type == "enum" and spec.ordered:
                    self.slots[slot] = "number"
                    return slot, spec.choices.index(str(value))
                self.slots[slot] = "number" if spec.type == "number" else "category"
                return slot, value
        raise TypeError(f"not an operand: {operand!r}")  # pragma: no cover


def _constant(value: object) -> Value:
    if isinstance(value, Param):
        # Engine compiles Plan.bound(), which has no parameters left.
        raise TypeError(f"unbound plan parameter {value!r}; compile plan.bound()")
    return value  # type: ignore[return-value]  # a Scalar, checked by the plan
