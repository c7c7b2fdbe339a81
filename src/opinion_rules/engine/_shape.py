"""
What a walk and its timeline read of a plan, worked out once per engine:
the slots a snapshot fills and where each value comes from, the measures
over each metric, and the rules a walk follows by action and category.

An evaluation of a small incident is mostly this bookkeeping when it is
redone per call; the engine builds one :class:`Shape` and every timeline
and walk of it shares it (read only).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping

from opinion_rules.engine._grading import Scale
from opinion_rules.engine._ir import (
    Computed,
    Program,
    action_rule,
    category_rule,
    extension_rule,
    fact_slot,
    measure_slot,
    slot_source,
    slot_subject,
)
from opinion_rules.model._plan import Plan
from opinion_rules.model._windows import Measure


__all__ = ["Shape"]


class Shape:
    """
    The plan-only layout of snapshots and walks for one plan and program.
    """

    def __init__(self, plan: Plan, program: Program) -> None:
        slots = program.slots
        #: The measures the program reads, each with its slot.
        self.measures: tuple[tuple[Measure, str], ...] = tuple(
            (m, s) for m in plan.measures if (s := measure_slot(m.id)) in slots
        )
        #: The facts the program reads: (fact id, slot, index of each choice
        #: for an ordered enum, whose slot holds the choice's position).
        self.facts: tuple[tuple[str, str, Mapping[str, int] | None], ...] = tuple(
            (
                f.id,
                s,
                {c: i for i, c in enumerate(f.choices)} if f.type == "enum" and f.ordered else None,
            )
            for f in plan.facts
            if (s := fact_slot(f.id)) in slots
        )
        #: The event flags the program reads: (slot, event type).
        self.events: tuple[tuple[str, str], ...] = tuple(
            (s, slot_subject(s)) for s in slots if slot_source(s) == "event"
        )
        #: What a grader reads of the plan.
        self.scale = Scale(plan)
        #: The computed comparisons the program reads, by slot.
        self.computed: Mapping[str, Computed] = program.computed
        #: Every measure of the plan over each metric (read or not: a reading
        #: brings change points for each).
        over: dict[str, list[Measure]] = {}
        for measure in plan.measures:
            over.setdefault(measure.metric, []).append(measure)
        self.over: Mapping[str, tuple[Measure, ...]] = {k: tuple(v) for k, v in over.items()}
        #: The measures whose change points a walk visits (every one of the plan's).
        self.pointed: tuple[Measure, ...] = tuple(plan.measures)
        #: The metrics a timeline indexes (``None``: every metric observed).
        self.indexed: frozenset[str] | None = None
        #: Rules of ``while`` actions and categories: they can stop holding.
        self.while_rules = frozenset(
            [action_rule(a.id) for a in plan.actions if a.applies == "while"]
            + [category_rule(c.id) for c in plan.categories if c.applies == "while"]
        )
        #: Actions owed once per change of a fact: the fact each follows.
        self.per_change: Mapping[str, str] = {
            a.id: str(a.deadline.anchor.ref)
            for a in plan.actions
            if a.deadline.anchor.event == "changed"
        }
        #: Actions whose extension has a condition, with that condition's rule.
        self.extensions: tuple[tuple[str, str], ...] = tuple(
            (a.id, extension_rule(a.id))
            for a in plan.actions
            if a.deadline.extension is not None and a.deadline.extension.when is not None
        )
        #: Stage 2 reads whether each category matched so far: its slot, its rule.
        self.categories: tuple[tuple[str, str], ...] = tuple(
            (slot, category_rule(slot_subject(slot)))
            for slot in slots
            if slot_source(slot) == "category"
        )
        #: Each action with its rule, and each category with its rule, in plan order.
        self.action_rules = tuple((a, action_rule(a.id)) for a in plan.actions)
        self.category_rules = tuple((c, category_rule(c.id)) for c in plan.categories)

    def narrowed(self, slots: Collection[str]) -> Shape:
        """
        This layout with only the measure, fact, event and computed slots of
        *slots*.  The change points stay those of every measure: a walk of
        the narrowed layout visits the instants a full walk visits.
        """
        narrow = copy.copy(self)
        narrow.measures = tuple((m, s) for m, s in self.measures if s in slots)
        narrow.facts = tuple(f for f in self.facts if f[1] in slots)
        narrow.events = tuple(e for e in self.events if e[0] in slots)
        narrow.computed = {s: leaf for s, leaf in self.computed.items() if s in slots}
        narrow.indexed = frozenset(m.metric for m in self.pointed)
        return narrow
