"""
What an engine derives from its plan once, for every evaluation: the rules
by id, the words for slots, the incident check, the routing table, each
rule's condition compiled to say which unknown slots keep it unknown, and
the layout of snapshots and walks (:class:`~opinion_rules.engine._shape.Shape`).

Per evaluation, only the walk and the result objects are built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from opinion_rules.engine._derived import term_slots, unknown_operands
from opinion_rules.engine._explain import Labels, explain
from opinion_rules.engine._incident_check import IncidentCheck
from opinion_rules.engine._interpret import Snapshot, compile_node
from opinion_rules.engine._ir import (
    And,
    Computed,
    Leaf,
    Neg,
    Node,
    Or,
    Program,
    Rule,
    grade_rule,
    measure_slot,
)
from opinion_rules.engine._matcher import StageMatcher, slots_read
from opinion_rules.engine._owners import Router
from opinion_rules.engine._plugin_values import PluginValues
from opinion_rules.engine._shape import Shape
from opinion_rules.engine._timeline import Timeline
from opinion_rules.model._content import event_types
from opinion_rules.model._facts import Incident
from opinion_rules.model._plan import Plan


__all__ = ["Prepared", "UnknownFinder", "compile_unknown", "read_slots"]

#: The unknown slots that keep a condition unknown on a snapshot.
UnknownFinder = Callable[[Snapshot], set[str]]


class Prepared:
    """
    One bound plan and its compiled program, with everything evaluations
    read from them and nothing else.  Immutable once made.
    """

    def __init__(self, plan: Plan, program: Program, values: PluginValues | None = None) -> None:
        self.plan = plan
        self.program = program
        self.values = values
        self.rules: dict[str, Rule] = {r.id: r for r in program.rules}
        self.labels = Labels(plan, None if values is None else values.functions)
        self.known_events = frozenset(event_types(plan))
        self.check = IncidentCheck(plan, self.known_events)
        self.unknown: dict[str, UnknownFinder] = {
            r.id: compile_unknown(r.condition) for r in program.rules
        }
        #: For each rule, every slot the unknown finder can name: if all are
        #: known at the end, nothing the rule waited on is still unknown.
        self.may_need: dict[str, frozenset[str]] = {
            r.id: frozenset(read_slots(r.condition)) for r in program.rules
        }
        self.router = Router(plan, self.labels, self.unknown_of)
        self.grade_rules = tuple(grade_rule(g.id) for g in plan.grades)
        self.shape = Shape(plan, program)
        # Reasons are worded from the values of the slots a rule reads alone:
        # remembered by those values (a bounded memo; the wording is pure).
        self._reads: dict[str, tuple[str, ...]] = {
            r.id: tuple(sorted(set(slots_read(r.condition)) | set(read_slots(r.condition))))
            for r in program.rules
        }
        self._reasons: dict[tuple[object, ...], str] = {}
        # The grade alone reads the slots of the grade rules and the measures
        # of de-escalation rules.
        grade_rules = [self.rules[r] for r in self.grade_rules if r in self.rules]
        slots: set[str] = set()
        for rule in grade_rules:
            slots.update(slots_read(rule.condition), read_slots(rule.condition))
        lowering = [str(r.measure) for r in plan.grading.deescalation if r.measure is not None]
        slots.update(measure_slot(m) for m in lowering)
        #: The layout of the grade-only walk (see :mod:`~opinion_rules.engine._grade_only`).
        self.grade_shape = self.shape.narrowed(slots)
        #: The grade rules alone, compiled, for the ``python`` backend's grade-only walk.
        self.grade_matcher = StageMatcher(grade_rules)

    def reason(self, rule_id: str, snapshot: Snapshot) -> str:
        """
        :func:`~opinion_rules.engine._explain.explain` of rule *rule_id* on
        *snapshot*, remembered by the values of the slots the rule reads
        (each with its type: ``1``, ``1.0`` and ``True`` read differently).
        """
        condition = self.rules[rule_id].condition
        try:
            key = (rule_id, *[(type(v), v) for v in map(snapshot.get, self._reads[rule_id])])
            text = self._reasons.get(key)
        except TypeError:  # a value that cannot be a key
            return explain(condition, snapshot, self.labels)
        if text is None:
            text = explain(condition, snapshot, self.labels)
            if len(self._reasons) >= _REASONS_KEPT:
                self._reasons.clear()
            self._reasons[key] = text
        return text

    def timeline(self, incident: Incident, at: datetime) -> Timeline:
        """
        A timeline of *incident* up to *at* that shares this plan's layout.
        """
        return Timeline(self.plan, self.program, incident, at, self.values, self.shape)

    def unknown_of(self, rule_id: str, snapshot: Snapshot) -> set[str]:
        """
        The unknown slots that keep rule *rule_id* unknown on *snapshot*.
        """
        return self.unknown[rule_id](snapshot)


#: How many reasons an engine remembers before it starts afresh.
_REASONS_KEPT = 4096


def read_slots(node: Node) -> Iterator[str]:
    """
    Every slot *node* reads, the operands of computed comparisons included.
    """
    match node:
        case Computed(_slot, _op, _value, left, _relation, right):
            yield from term_slots(left)
            yield from term_slots(right)
        case Leaf(slot):
            yield slot
        case And(items) | Or(items):
            for item in items:
                yield from read_slots(item)
        case Neg(item):
            yield from read_slots(item)


def compile_unknown(node: Node) -> UnknownFinder:
    """
    :func:`~opinion_rules.engine._interpret.unknown_slots` for *node*,
    compiled once: the unknown slots that keep *node* unknown on a snapshot
    (none if it is true or false there).
    """
    check = compile_node(node)
    match node:
        case Computed():
            leaf = node

            def computed(snapshot: Snapshot) -> set[str]:
                return set() if check(snapshot) is not None else unknown_operands(leaf, snapshot)

            return computed
        case Leaf(slot):

            def one(snapshot: Snapshot) -> set[str]:
                return set() if check(snapshot) is not None else {slot}

            return one
        case And(items) | Or(items):
            finders = tuple(compile_unknown(i) for i in items)

            def union(snapshot: Snapshot) -> set[str]:
                if check(snapshot) is not None:
                    return set()
                return set().union(*(find(snapshot) for find in finders))

            return union
        case Neg(item):
            inner = compile_unknown(item)

            def neg(snapshot: Snapshot) -> set[str]:
                return set() if check(snapshot) is not None else inner(snapshot)

            return neg
    return lambda _snapshot: set()
