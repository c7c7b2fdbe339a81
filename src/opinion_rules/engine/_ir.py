"""
The intermediate representation (IR) both backends execute.

A plan compiles to a :class:`Program`: a flat list of :class:`Rule` objects,
each a condition tree over *slots* of one snapshot.  A snapshot is a mapping
from slot name to value, taken at one instant; a missing slot is unknown.

Stage 1 rules (grades, categories) see measures, facts and events.  Stage 2
rules (actions and their owner routings) also see the grade reached so far
and the categories matched so far.  No rule ever joins two snapshots, so every backend can match one
snapshot at a time.

Slot names (spelled only by :func:`measure_slot` and its siblings below):

* ``m_<measure>``: a measure value (number).
* ``f_<fact>``: a fact value; ordered enum facts as their position.
* ``e_<type>``: whether an event type has been seen (bool).
* ``grade``: the rank of the grade reached so far, ``-1`` when ungraded.
* ``c_<category>``: whether the category has been matched (bool).
* ``s_<condition>``: whether a condition on actions and anchors holds (bool),
  one per distinct :class:`~opinion_rules.model._state_conditions.ActionState`,
  ``Before`` or ``Within`` leaf, e.g. ``s_done(reply)``; the shared loop
  computes it at each change point (:mod:`opinion_rules.engine._walk`).
* ``v_<n>``: a computed comparison (bool), one per distinct
  :class:`Computed` leaf: two values of the incident compared
  (``negative > 0.3 * comments``), or a fact that may be not applicable
  compared with a constant.  The shared loop computes it
  (:mod:`opinion_rules.engine._derived`); backends match it like any flag.

Rule ids (spelled only by :func:`grade_rule` and its siblings below):
``g.<grade>``, ``c.<category>``, ``a.<action>`` and ``r.<action>.<n>``.
Every other module builds and reads these names through this module's
functions, never by their spelling.
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
    Arithmetic,
    CategoryIs,
    Compare,
    CompareValues,
    Condition,
    EventSeen,
    FactRef,
    GradeRef,
    MeasureRef,
    Not,
    OneOf,
    Param,
    walk,
)
from opinion_rules.model._items import Action
from opinion_rules.model._plan import Plan
from opinion_rules.model._state_conditions import (
    STATE_TYPES,
    ActionState,
    Before,
    StateCondition,
    Within,
)
from opinion_rules.model._terms import Call


__all__ = [
    "GRADE_SLOT",
    "And",
    "ArithTerm",
    "CallTerm",
    "Computed",
    "Const",
    "ConstTerm",
    "Leaf",
    "Neg",
    "Node",
    "Or",
    "Program",
    "Rule",
    "SlotKind",
    "SlotSource",
    "SlotTerm",
    "ValueTerm",
    "action_rule",
    "category_rule",
    "category_slot",
    "compile_plan",
    "computed_slot",
    "event_slot",
    "extension_rule",
    "fact_slot",
    "grade_rule",
    "measure_slot",
    "routing_rule",
    "slot_source",
    "slot_subject",
    "state_conditions",
    "state_slot",
]

Value = int | float | str | bool
#: How a backend compares a slot's values: ordered numbers, or equal-or-not.
SlotKind = Literal["number", "category"]
#: What a slot holds the value of.
SlotSource = Literal["measure", "fact", "event", "category", "grade", "computed", "state"]

# -- the names of slots and rules -------------------------------------------------

#: The slot of the rank of the grade reached so far.
GRADE_SLOT = "grade"
_SLOT_PREFIXES: dict[str, SlotSource] = {
    "m_": "measure",
    "f_": "fact",
    "e_": "event",
    "c_": "category",
    "v_": "computed",
    "s_": "state",
}


def measure_slot(measure_id: str) -> str:
    """
    The slot of measure *measure_id*.
    """
    return f"m_{measure_id}"


def fact_slot(fact_id: str) -> str:
    """
    The slot of fact *fact_id*.
    """
    return f"f_{fact_id}"


def event_slot(event_type: str) -> str:
    """
    The slot telling whether an event of *event_type* has been seen.
    """
    return f"e_{event_type}"


def category_slot(category_id: str) -> str:
    """
    The slot telling whether category *category_id* has been matched.
    """
    return f"c_{category_id}"


def state_slot(condition: StateCondition) -> str:
    """
    The slot telling whether the state condition *condition* holds.
    """
    return f"s_{condition.key()}"


def state_conditions(plan: Plan) -> dict[str, StateCondition]:
    """
    Every state condition of *plan*'s actions, owner routings and extension
    conditions, by slot.
    """
    found: dict[str, StateCondition] = {}
    for a in plan.actions:
        for condition in (a.condition, *(r.condition for r in plan.routing_of(a)), *_when(a)):
            for node in walk(condition):
                if isinstance(node, STATE_TYPES):
                    found[state_slot(node)] = node
    return found


def _when(action: Action) -> tuple[Condition, ...]:
    extension = action.deadline.extension
    return () if extension is None or extension.when is None else (extension.when,)


def computed_slot(index: int) -> str:
    """
    The slot of the *index*-th distinct computed comparison of a program.
    """
    return f"v_{index}"


def slot_source(slot: str) -> SlotSource:
    """
    What *slot* holds the value of.
    """
    if slot == GRADE_SLOT:
        return "grade"
    source = _SLOT_PREFIXES.get(slot[:2])
    if source is None:
        raise ValueError(f"not a slot name: {slot!r}")
    return source


def slot_subject(slot: str) -> str:
    """
    The id *slot* is about: the measure, fact or category id, or the event
    type; ``grade`` for :data:`GRADE_SLOT`.
    """
    return slot if slot_source(slot) == "grade" else slot[2:]


def grade_rule(grade_id: str) -> str:
    """
    The rule id of the criteria of grade *grade_id*.
    """
    return f"g.{grade_id}"


def category_rule(category_id: str) -> str:
    """
    The rule id of the condition of category *category_id*.
    """
    return f"c.{category_id}"


def action_rule(action_id: str) -> str:
    """
    The rule id of the condition of action *action_id*.
    """
    return f"a.{action_id}"


def extension_rule(action_id: str) -> str:
    """
    The rule id of the condition under which action *action_id*'s deadline
    may be extended.
    """
    return f"x.{action_id}"


def routing_rule(action_id: str, index: int) -> str:
    """
    The rule id of owner routing *index* of action *action_id*.
    """
    return f"r.{action_id}.{index}"


# -- the program ------------------------------------------------------------------


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


@attrs.frozen
class SlotTerm:
    """
    The value of a slot in a computed comparison.
    """

    slot: str


@attrs.frozen
class ConstTerm:
    """
    A constant in a computed comparison (ordered enum values as positions).
    """

    value: Value


@attrs.frozen
class ArithTerm:
    """
    ``left op right``; *op* is ``add``, ``sub``, ``mul`` or ``div``.
    """

    op: str
    left: ValueTerm
    right: ValueTerm


@attrs.frozen
class CallTerm:
    """
    A plug-in function applied to terms; the shared loop computes it.
    """

    function: str
    args: tuple[ValueTerm, ...]


ValueTerm = SlotTerm | ConstTerm | ArithTerm | CallTerm


@attrs.frozen
class Computed(Leaf):
    """
    A leaf over a computed slot: ``slot == True``, where the slot holds
    whether ``left relation right`` holds (missing while unknown).

    Backends see only the leaf (slot, ``eq``, ``True``); the definition tells
    the shared loop how to compute the slot, and reasons what it compared.
    """

    left: ValueTerm
    relation: str
    right: ValueTerm


Node = Leaf | And | Or | Neg | Const


@attrs.frozen
class Rule:
    """
    One named condition; its id comes from :func:`grade_rule`,
    :func:`category_rule`, :func:`action_rule` or :func:`routing_rule`.
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
    #: Derived from the plan once, for every evaluation (not part of the
    #: program's identity): the state conditions by slot, and the measures
    #: each rule reads (to know which windows a rule not yet held watches).
    states: Mapping[str, StateCondition] = attrs.field(factory=dict, eq=False)
    reads: Mapping[str, frozenset[str]] = attrs.field(factory=dict, eq=False)
    #: The computed leaves of the rules, by slot (first one for each slot).
    computed: Mapping[str, Computed] = attrs.field(factory=dict, eq=False)

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
        case Computed(slot, op, value, left, relation, right):
            return {
                "node": "Computed",
                "slot": slot,
                "op": op,
                "value": value,
                "compare": [_term_data(left), relation, _term_data(right)],
            }
        case Leaf(slot, op, value):
            return {"node": "Leaf", "slot": slot, "op": op, "value": value}
        case Const(value):
            return {"node": "Const", "value": value}
    raise TypeError(f"not an IR node: {node!r}")  # pragma: no cover


def _term_data(term: ValueTerm) -> object:
    match term:
        case SlotTerm(slot):
            return {"slot": slot}
        case ConstTerm(value):
            return {"const": value}
        case ArithTerm(op, left, right):
            return {"op": op, "left": _term_data(left), "right": _term_data(right)}
        case CallTerm(function, args):
            return {"call": function, "args": [_term_data(a) for a in args]}
    raise TypeError(f"not a term: {term!r}")  # pragma: no cover


def compile_plan(plan: Plan) -> Program:
    """
    Compile *plan* (already validated) into a :class:`Program`.
    """
    slots: dict[str, SlotKind] = {}
    compiler = _Compiler(plan, slots)
    rules: list[Rule] = []
    for g in plan.grades:
        rules.append(Rule(grade_rule(g.id), 1, compiler.node(g.criteria)))
    specific = [c.condition for c in plan.categories if not c.other]
    for c in plan.categories:
        # "其他": none of the others holds; unknown while any is unknown.
        condition = Not(AnyOf(tuple(specific))) if c.other else c.condition
        rules.append(Rule(category_rule(c.id), 1, compiler.node(condition)))
    for a in plan.actions:
        rules.append(Rule(action_rule(a.id), 2, compiler.node(a.condition)))
        # A plan routing an action names is compiled as the action's own.
        for i, routing in enumerate(plan.routing_of(a)):
            rules.append(Rule(routing_rule(a.id, i), 2, compiler.node(routing.condition)))
        for when in _when(a):
            rules.append(Rule(extension_rule(a.id), 2, compiler.node(when)))
    states = {slot: c for slot, c in state_conditions(plan).items() if slot in slots}
    computed: dict[str, Computed] = {}
    for rule in rules:  # the order computed_leaves (in _derived) finds them in
        stack: list[Node] = [rule.condition]
        while stack:
            node = stack.pop()
            if isinstance(node, Computed):
                computed.setdefault(node.slot, node)
            elif isinstance(node, And | Or):
                stack.extend(node.items)
            elif isinstance(node, Neg):
                stack.append(node.item)
    return Program(tuple(rules), dict(sorted(slots.items())), states, _reads(plan), computed)


def _reads(plan: Plan) -> dict[str, frozenset[str]]:
    """
    The measures each rule's condition reads, by rule id.
    """
    conditions = {
        **{grade_rule(g.id): g.criteria for g in plan.grades},
        **{category_rule(c.id): c.condition for c in plan.categories},
        **{action_rule(a.id): a.condition for a in plan.actions},
        **{extension_rule(a.id): w for a in plan.actions for w in _when(a)},
    }
    out = {}
    for rule_id, condition in conditions.items():
        measures: set[str] = set()
        for node in walk(condition):
            if isinstance(node, Compare | OneOf) and isinstance(node.operand, MeasureRef):
                measures.add(node.operand.id)
            elif isinstance(node, CompareValues):
                measures.update(r.id for r in node.refs() if isinstance(r, MeasureRef))
        out[rule_id] = frozenset(measures)
    return out


class _Compiler:
    def __init__(self, plan: Plan, slots: dict[str, SlotKind]) -> None:
        self.plan = plan
        self.slots = slots
        self.facts = {f.id: f for f in plan.facts}
        self.ranks = {g.id: g.rank for g in plan.grades}
        self.computed: dict[tuple[ValueTerm, str, ValueTerm], str] = {}

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
                slot = category_slot(cat)
                self.slots[slot] = "category"
                return Leaf(slot, "eq", value=True)
            case EventSeen(event):
                slot = event_slot(event)
                self.slots[slot] = "category"
                return Leaf(slot, "eq", value=True)
            case ActionState() | Before() | Within():
                slot = state_slot(condition)
                self.slots[slot] = "category"
                return Leaf(slot, "eq", value=True)
            case CompareValues(left, op, right):
                return self.compute(self.term(left), op, self.term(right))
            case Compare(operand, op, value):
                slot, encoded = self.operand(operand, _constant(value))
                return self.leaf(operand, slot, op, encoded)
            case OneOf(operand, values):
                leaves = []
                for value in values:
                    slot, encoded = self.operand(operand, _constant(value))
                    leaves.append(self.leaf(operand, slot, "eq", encoded))
                return leaves[0] if len(leaves) == 1 else Or(tuple(leaves))
        raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover

    def leaf(self, operand: object, slot: str, op: str, value: Value) -> Leaf:
        """
        ``slot op value``; computed when the operand is a fact that may be
        not applicable (a plain leaf cannot say "false, whatever the op").
        """
        if isinstance(operand, FactRef) and self.facts[operand.id].may_be_not_applicable:
            return self.compute(SlotTerm(slot), op, ConstTerm(value))
        return Leaf(slot, op, value)

    def compute(self, left: ValueTerm, relation: str, right: ValueTerm) -> Computed:
        key = (left, relation, right)
        slot = self.computed.get(key)
        if slot is None:
            slot = self.computed[key] = computed_slot(len(self.computed))
        self.slots[slot] = "category"
        return Computed(slot, "eq", True, left, relation, right)

    def term(self, term: object) -> ValueTerm:
        match term:
            case Arithmetic(op, left, right):
                return ArithTerm(op, self.term(left), self.term(right))
            case Call(function, args):
                return CallTerm(function, tuple(self.term(a) for a in args))
            case MeasureRef() | FactRef():
                slot, _ = self.operand(term, 0)
                return SlotTerm(slot)
            case int() | float():
                return ConstTerm(term)
        raise TypeError(f"not a bound term: {term!r}")  # pragma: no cover

    def operand(self, operand: object, value: Value) -> tuple[str, Value]:
        match operand:
            case MeasureRef(mid):
                slot = measure_slot(mid)
                self.slots[slot] = "number"
                return slot, value
            case GradeRef():
                self.slots[GRADE_SLOT] = "number"
                return GRADE_SLOT, self.ranks[str(value)]
            case FactRef(fid):
                spec = self.facts[fid]
                slot = fact_slot(fid)
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
