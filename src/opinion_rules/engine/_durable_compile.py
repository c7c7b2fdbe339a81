"""
The IR compiled to durable_rules rulesets (their JSON form), within every
bound of durable_rules' C engine.

Slot values become small integer codes (:class:`SlotCodec`); each rule's
condition, negations pushed to the leaves, becomes one durable_rules test
per truth value; :class:`_Fitter` cuts subconditions out into derived slots
where a test would pass a budget; rules are placed in layers, passes and
rulesets (:func:`ruleset_json`).  The hazards each step answers are listed
in :mod:`opinion_rules.engine._durable`.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Hashable, Iterator, Mapping
from typing import Any

import attrs

from opinion_rules.engine._durable_network import (
    GROUPS_PER_RULE,
    RULES_PER_RULESET,
    Alpha,
    count_groups,
    link,
    network_bounds,
    tested_properties,
)
from opinion_rules.engine._ir import And, Const, Leaf, Neg, Node, Or, Program, measure_slot
from opinion_rules.exceptions import EngineError
from opinion_rules.model._conditions import NEGATED


__all__ = ["SENTINEL", "Pass", "SlotCodec", "ruleset_json"]

#: The rule that matches every message, so that every message runs an action.
SENTINEL = "sentinel"
_OPS = {"gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte", "ne": "$neq"}

# This adapter's budgets, each well inside those bounds.
#: Children of one node of the always-true tree that gives every rule a path.
BRANCH = 8
#: Durable rules in one pass: with the sentinel, one ruleset's worth; at
#: most 4 base-8 digits of path, 28 stack entries.
RULES_PER_PASS = RULES_PER_RULESET - 1
#: The stack one rule's own test may need, below its path.
RULE_STACK = 32
#: Matching paths to one rule's action (each runs the action once).
RULE_PATHS = 16
#: Slots one rule may test.
RULE_SLOTS = 64
#: Children of one node within one rule's test.
RULE_CHILDREN = 64
#: Slots one pass's message may carry (plus sid, id, o, s and b).
PASS_SLOTS = 200
#: ``all``/``any`` lists too wide for one rule are regrouped in chunks of this size.
CHUNK = 8


class SlotCodec:
    """
    Encode slot values as small integers that keep the plan's comparisons.

    For a number slot with plan constants ``c0 < c1 < ... < ck``, a value
    ``v`` encodes as ``2 * (number of constants below v) + (1 if v is a
    constant)``; constant ``cj`` encodes as ``2j + 1``.  Then ``v op cj``
    holds exactly when ``code(v) op code(cj)`` does, for every ``op``.

    For a category slot (text, bool, unordered enum), a value encodes as its
    1-based position among the plan's constants, or 0 if the plan never
    names it; only ``eq`` and ``ne`` are used on such slots.
    """

    def __init__(self, program: Program) -> None:
        constants: dict[str, list[object]] = {slot: [] for slot in program.slots}
        for rule in program.rules:
            for leaf in _leaves(rule.condition):
                if not any(_same(leaf.value, c) for c in constants[leaf.slot]):
                    constants[leaf.slot].append(leaf.value)
        self._kinds = dict(program.slots)
        self._numbers: dict[str, list[Any]] = {
            slot: sorted(values)  # number slots hold numbers only
            for slot, values in constants.items()
            if self._kinds[slot] == "number"
        }
        self._categories = {
            slot: values for slot, values in constants.items() if self._kinds[slot] == "category"
        }

    def encode(self, slot: str, value: object) -> int:
        if slot in self._numbers:
            bounds = self._numbers[slot]
            below = bisect.bisect_left(bounds, value)
            exact = below < len(bounds) and bounds[below] == value
            return 2 * below + int(exact)
        for position, constant in enumerate(self._categories[slot], start=1):
            if _same(value, constant):
                return position
        return 0


def _same(a: object, b: object) -> bool:
    # True == 1 in Python; a bool slot must not match the number 1.
    return type(a) is type(b) and a == b


def _leaves(node: Node) -> Iterator[Leaf]:
    match node:
        case Leaf():
            yield node
        case And(items) | Or(items):
            for item in items:
                yield from _leaves(item)
        case Neg(item):
            yield from _leaves(item)
        case _:
            pass


def _nnf(node: Node, truth: bool) -> Node:
    """
    A node without ``Neg`` that is true exactly when *node* is *truth*.

    Negation is pushed down to the leaves (``gt`` becomes ``le``, ``And``
    becomes ``Or``), and an ``And`` in an ``And`` (an ``Or`` in an ``Or``)
    is flattened into it: Kleene logic keeps both steps exact, unknowns
    included.
    """
    match node:
        case Leaf(slot, op, value):
            return node if truth else Leaf(slot, NEGATED[op], value)
        case Const(value):
            return Const(value == truth)
        case Neg(item):
            return _nnf(item, not truth)
        case And(items) | Or(items):
            conjunction = isinstance(node, And) == truth
            kind = And if conjunction else Or
            flat: list[Node] = []
            for item in items:
                part = _nnf(item, truth)
                flat.extend(part.items if isinstance(part, kind) else (part,))
            if not flat:
                return Const(conjunction)  # all() of nothing is true, any() false
            return flat[0] if len(flat) == 1 else kind(tuple(flat))
    raise TypeError(f"not an IR node: {node!r}")  # pragma: no cover


def _wrapped_groups(test: Mapping[str, Any]) -> int:
    # A rule is {"$and": [pass test, path tests, *test]}: a top-level $and
    # of the test joins that group, anything else adds one.
    return count_groups(test) + (0 if "$and" in test else 1)


def _problem(test: Mapping[str, Any]) -> str | None:
    """
    Which budget *test* would break as one durable rule's test, if any.
    """
    if _wrapped_groups(test) > GROUPS_PER_RULE:
        return "groups"
    if len(tested_properties(test)) > RULE_SLOTS:
        return "slots"
    parent = Alpha()
    link(test, parent).rules += 1
    if max(len(parent.hashed), len(parent.forwards)) > RULE_CHILDREN:
        return "children"  # checked first: the bounds are quadratic in it
    bounds = network_bounds(parent)
    if bounds.children > RULE_CHILDREN or bounds.forwards > RULE_CHILDREN:
        return "children"
    if bounds.stack > RULE_STACK:
        return "stack"
    if bounds.paths > RULE_PATHS:
        return "paths"
    return None


def _size(test: Mapping[str, Any]) -> int:
    for key in ("$and", "$or"):
        if key in test:
            return 1 + sum(_size(item) for item in test[key])
    return 1


@attrs.frozen
class _Fit:
    """
    A durable_rules test, and the derived slots (their properties) it reads.
    """

    test: dict[str, Any]
    refs: frozenset[str]


def _typed(node: Node) -> Hashable:
    """
    A key for *node* that tells ``True`` from ``1`` (IR nodes compare equal).
    """
    match node:
        case Leaf(slot, op, value):
            return ("leaf", slot, op, type(value).__name__, value)
        case Const(value):
            return ("const", value)
        case Neg(item):
            return ("not", _typed(item))
        case And(items) | Or(items):
            return (type(node).__name__, tuple(_typed(i) for i in items))
    raise TypeError(f"not an IR node: {node!r}")  # pragma: no cover


class _Fitter:
    """
    Compile conditions (without ``Neg``) of one stage into durable_rules
    tests that keep within every budget, cutting subconditions out into
    derived slots where needed (see the module docstring).
    """

    def __init__(self, codec: SlotCodec, properties: Mapping[str, str]) -> None:
        self._codec = codec
        self._properties = properties
        self._derived: dict[Hashable, str] = {}
        #: Each derived slot's property and the node it holds the value of.
        self.derived: dict[str, Node] = {}
        self._memo: dict[Hashable, _Fit] = {}

    def ref(self, node: Node) -> _Fit:
        """
        A test that *node* is true, read from its derived slot.
        """
        key = _typed(node)
        prop = self._derived.get(key)
        if prop is None:
            prop = self._derived[key] = f"d{len(self._derived)}"
            self.derived[prop] = node
        return _Fit({prop: 1}, frozenset([prop]))

    def fit(self, node: Node) -> _Fit:
        """
        A test for *node* (without ``Neg``) within every budget.
        """
        key = _typed(node)
        fitted = self._memo.get(key)
        if fitted is None:
            fitted = self._memo[key] = self._fit(node)
        return fitted

    def _fit(self, node: Node) -> _Fit:
        match node:
            case Leaf(slot, op, value):
                prop = self._properties[slot]
                code = self._codec.encode(slot, value)
                if op == "eq":
                    return _Fit({prop: code}, frozenset())
                if op == "ne":
                    # Defensive: codes are never negative, so $gte 0 requires
                    # the field to be there.  durable_rules only ever tests a
                    # hashed node for a property the message has (it looks the
                    # children up by the message's property names), so $neq
                    # never matches an absent field; the guard keeps three-
                    # valued logic from resting on that.  In an $and it joins
                    # the chain and costs no group.
                    test = {"$and": [{"$neq": {prop: code}}, {"$gte": {prop: 0}}]}
                    return _Fit(test, frozenset())
                return _Fit({_OPS[op]: {prop: code}}, frozenset())
            case Const(value):
                # Every message carries o=1, so {"o": 0} never matches.
                return _Fit({"o": 1 if value else 0}, frozenset())
            case And(items) | Or(items):
                return self._fit_group(node, list(items))
        raise TypeError(f"not a condition without Neg: {node!r}")  # pragma: no cover

    def _fit_group(self, node: And | Or, items: list[Node]) -> _Fit:
        key = "$and" if isinstance(node, And) else "$or"
        parts = [self.fit(item) for item in items]
        cut = [False] * len(items)
        while True:
            members: list[dict[str, Any]] = []
            for part in parts:  # an $and in an $and joins it, as does an $or in an $or
                members.extend(part.test.get(key, (part.test,)))
            test = members[0] if len(members) == 1 else {key: members}
            problem = _problem(test)
            if problem is None:
                return _Fit(test, frozenset().union(*(p.refs for p in parts)))
            wide = key == "$or" and problem in ("children", "stack", "paths")
            cuttable = [i for i, item in enumerate(items) if not cut[i] and _is_group(item)]
            if cuttable and not (wide and len(items) > CHUNK):
                # Cut out the heaviest subcondition.
                heaviest = max(cuttable, key=lambda i: (_size(parts[i].test), -i))
                parts[heaviest] = self.ref(items[heaviest])
                cut[heaviest] = True
                continue
            if len(items) <= CHUNK:  # pragma: no cover - CHUNK leaves always fit
                raise EngineError(f"cannot compile a condition for durable_rules: {problem}")
            # Too many members: regroup them in chunks, each its own derived slot.
            kind = type(node)
            regrouped: list[Node] = []
            for start in range(0, len(items), CHUNK):
                chunk = items[start : start + CHUNK]
                regrouped.append(chunk[0] if len(chunk) == 1 else kind(tuple(chunk)))
            items = regrouped
            parts = [self.ref(i) if _is_group(i) else self.fit(i) for i in items]
            cut = [_is_group(i) for i in items]


def _is_group(node: Node) -> bool:
    return isinstance(node, And | Or)


# -- the ruleset --------------------------------------------------------------------


@attrs.frozen
class _Compiled:
    """
    One durable rule before it is placed in a pass.
    """

    name: str
    target: tuple[str, str, bool]  # ("rule", rule id, truth) or ("derived", property, truth)
    fit: _Fit


@attrs.frozen
class Pass:
    """
    One message per snapshot: the rules of one stage and layer (or a part
    of them), under the pass test ``s == code``.
    """

    code: int
    ruleset: int  # index of the durable_rules ruleset that holds its rules
    slots: tuple[tuple[str, str], ...]  # (slot, property) pairs the message carries
    derived: tuple[str, ...]  # derived properties the message carries
    rules: tuple[str, ...]

    @property
    def message_properties(self) -> int:
        """
        The properties of this pass's message: its slots, plus sid, id, o, s and b.
        """
        return len(self.slots) + len(self.derived) + 5


def _compile(
    program: Program, codec: SlotCodec
) -> tuple[dict[int, list[list[_Compiled]]], Mapping[str, str]]:
    """
    Compile *program* into durable rules, grouped by stage and layer.

    Layer 0 reads only the snapshot; a rule that reads derived slots runs
    one layer after the last of them.
    """
    properties = {slot: f"v{i}" for i, slot in enumerate(program.slots)}
    names = (f"r{i}" for i in itertools.count())
    layers: dict[int, list[list[_Compiled]]] = {}
    for stage in (1, 2):
        fitter = _Fitter(codec, properties)
        stage_rules = [
            _Compiled(
                next(names), ("rule", rule.id, truth), fitter.fit(_nnf(rule.condition, truth))
            )
            for rule in program.stage(stage)
            for truth in (True, False)
        ]
        # Each derived slot read gets its pair of rules (true, false).
        pairs: dict[str, tuple[_Compiled, _Compiled]] = {}
        queue = sorted({ref for c in stage_rules for ref in c.fit.refs}, key=_number)
        while queue:
            prop = queue.pop(0)
            if prop in pairs:
                continue
            node = fitter.derived[prop]
            true = _Compiled(next(names), ("derived", prop, True), fitter.fit(node))
            false = _Compiled(next(names), ("derived", prop, False), fitter.fit(_nnf(node, False)))
            pairs[prop] = (true, false)
            queue.extend(sorted(true.fit.refs | false.fit.refs, key=_number))
        layers[stage] = _layers(pairs, stage_rules)
    return layers, properties


def _layers(
    pairs: Mapping[str, tuple[_Compiled, _Compiled]], rules: list[_Compiled]
) -> list[list[_Compiled]]:
    """
    The rules of one stage (derived pairs first) by layer: a rule runs one
    layer after the last derived slot it reads.
    """
    slot_layer: dict[str, int] = {}

    def layer(refs: frozenset[str]) -> int:
        # A derived node is smaller than every node that reads it, so this
        # recursion ends.
        return 1 + max((derived_layer(r) for r in refs), default=-1)

    def derived_layer(prop: str) -> int:
        if prop not in slot_layer:
            slot_layer[prop] = max(layer(c.fit.refs) for c in pairs[prop])
        return slot_layer[prop]

    by_layer: dict[int, list[_Compiled]] = {}
    for c in [*(c for pair in pairs.values() for c in pair), *rules]:
        by_layer.setdefault(layer(c.fit.refs), []).append(c)
    return [by_layer[k] for k in sorted(by_layer)]


def _number(prop: str) -> int:
    return int(prop[1:])


def _passes(
    layers: Mapping[int, list[list[_Compiled]]], properties: Mapping[str, str]
) -> dict[int, list[tuple[Pass, list[_Compiled]]]]:
    """
    Spread each layer over passes of at most :data:`RULES_PER_PASS` rules
    and :data:`PASS_SLOTS` slots, and the passes over rulesets of at most
    :data:`RULES_PER_RULESET` rules, the sentinel included.
    """
    slot_of = {prop: slot for slot, prop in properties.items()}
    codes = itertools.count(1)
    sizes: list[int] = []  # rules per ruleset so far
    out: dict[int, list[tuple[Pass, list[_Compiled]]]] = {}
    for stage, stage_layers in layers.items():
        out[stage] = []
        for rules in stage_layers:
            # Rules that read a measure go in passes of their own: measures
            # change at almost every change point, the other slots (facts,
            # events, categories, the grade) seldom, and a pass whose slots
            # did not change is not asserted again.
            parts: list[tuple[set[str], list[_Compiled]]] = []
            for hot in (True, False):
                start = len(parts)
                for c in rules:
                    props = tested_properties(c.fit.test) - {"o"}
                    if _reads_measure(props, slot_of) is not hot:
                        continue
                    if len(parts) > start:
                        used, members = parts[-1]
                        if len(members) < RULES_PER_PASS and len(used | props) <= PASS_SLOTS:
                            used |= props
                            members.append(c)
                            continue
                    parts.append((set(props), [c]))
            for used, members in parts:
                # The first ruleset with room for the pass (first fit).
                ruleset = next(
                    (i for i, n in enumerate(sizes) if n + len(members) <= RULES_PER_PASS),
                    len(sizes),
                )
                if ruleset == len(sizes):
                    sizes.append(0)
                sizes[ruleset] += len(members)
                slots = tuple(sorted((slot_of[p], p) for p in used if p in slot_of))
                derived = tuple(sorted(p for p in used if p not in slot_of))
                spec = Pass(next(codes), ruleset, slots, derived, tuple(c.name for c in members))
                out[stage].append((spec, members))
    return out


_MEASURE = measure_slot("")


def _reads_measure(props: set[str], slot_of: Mapping[str, str]) -> bool:
    return any(slot_of.get(p, "").startswith(_MEASURE) for p in props)


def _digits(index: int, count: int) -> list[int]:
    """
    *index* in base :data:`BRANCH`, with as many digits as *count* needs (at least one).
    """
    width = 1
    while BRANCH**width < count:
        width += 1
    return [index // BRANCH**k % BRANCH for k in reversed(range(width))]


def ruleset_json(
    program: Program, codec: SlotCodec
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str, bool]], dict[int, tuple[Pass, ...]]]:
    """
    The durable_rules rulesets for *program* (one, unless it needs more than
    :data:`RULES_PER_RULESET` rules), the rule-name map and each stage's passes.
    """
    layers, properties = _compile(program, codec)
    rulesets: list[dict[str, Any]] = []
    names: dict[str, tuple[str, str, bool]] = {}
    passes: dict[int, tuple[Pass, ...]] = {}
    for stage, stage_passes in _passes(layers, properties).items():
        passes[stage] = tuple(spec for spec, _ in stage_passes)
        for spec, members in stage_passes:
            while spec.ruleset >= len(rulesets):
                rulesets.append({SENTINEL: {"all": [{"m": {"o": 1}}]}})
            rules = rulesets[spec.ruleset]
            for index, c in enumerate(members):
                path = [{"$lte": {"b": d}} for d in _digits(index, len(members))]
                test = c.fit.test
                own = test.get("$and", [test])
                rules[c.name] = {"all": [{"m": {"$and": [{"s": spec.code}, *path, *own]}}]}
                names[c.name] = c.target
    if not rulesets:  # a program without rules still gets its sentinel
        rulesets.append({SENTINEL: {"all": [{"m": {"o": 1}}]}})
    return rulesets, names, passes
