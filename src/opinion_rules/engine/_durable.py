"""
The ``durable`` backend: the IR compiled to a durable_rules ruleset (its JSON
form) and run through a guarded adapter.

durable_rules 2.0.28 has hazards this adapter makes impossible to hit; each
guard names the hazard it answers:

* **Background threads** (``Host._run`` starts dispatch and timer threads that
  race with ``delete_state``): :class:`_QuietHost` overrides ``_run`` and
  starts none; no rule uses timers.
* **1024 live sessions per ruleset, then poisoned; 32-bit session-id hash
  collisions**: only one session id (``"0"``) is ever used, and it is deleted
  at the end of every evaluation, so at most one session is ever live.
* **delete_state segfaults on a session that never ran an action**: every
  ruleset has a sentinel rule that matches every message, so each message
  runs an action; the adapter deletes a session only after a message ran.
* **A batch with one unmatched fact runs no actions**: messages are asserted
  one at a time, and the sentinel makes every message matched.
* **Action exceptions are swallowed into the state**: actions only append to
  a list; the returned state is still checked for ``exception`` and turned
  into :class:`~opinion_rules.exceptions.EngineError`.
* **Floats such as 1e-05 are rejected; datetimes are unsupported**: no float
  and no datetime ever reaches durable_rules.  Every slot value is encoded as
  a small integer that preserves exactly the comparisons the plan makes
  (see :class:`_SlotCodec`); instants stay on the Python side.
* **Ruleset names are global, and a name is registered only once**: a
  ruleset is registered once per process and never re-created, so its name
  must identify everything registered under it.  The name is the SHA-256 of
  the canonical JSON of the ruleset itself (every durable_rules test, the
  rule-name map, the stages and the passes), not ``Program.digest()``: that
  digest used to drop the node classes (now fixed), so a program and the same
  program with one ``And`` turned into an ``Or`` got one name, and whichever
  was evaluated second silently ran the other's rules.  Hashing what is
  actually registered keeps the name right whatever the IR's own hash does.
  Rulesets with equal JSON share one registration (each backend encodes with
  its own codec, and the ruleset only ever sees codes); a cache hit whose
  JSON differs is an :class:`~opinion_rules.exceptions.EngineError`.
* **Thread safety**: one process-wide lock serialises every call into
  durable_rules, because its engine state is process-global.
* **A fixed stack of 64 alpha nodes per message** (``MAX_STACK_SIZE`` in its
  ``events.c``; error 303 from ``assert_fact``): durable_rules walks the alpha
  network depth first, and every node it pops pushes *all* of its matching
  children, so the stack holds the pending siblings of every node on the
  current path.  Sibling fan-out is what fills it: tests shared by rules
  (such as the stage test) sit on one node, so 65 rules of one stage whose
  first tests differ overflow it whatever the message, as do 65 matching
  alternatives of one ``$or`` (``$or`` alternatives all hang from the same
  parent, however they nest); a chain of ``$and`` tests costs one entry
  whatever its length.  Guard: below its pass test every durable rule gets a
  path of its own through a tree of always-true tests (``b <= digit``, one
  level per base-8 digit of its index), so no node has more than 8
  always-matching children and no two rules share a node; each rule's own
  test is kept within a stack budget of 32 (see the next item), and the
  whole network is modelled at construction (:func:`_check_network`): an
  upper bound of the stack over every message must stay within 64, or the
  :class:`DurableBackend` is not built.
* **15 ``$and``/``$or`` groups per rule** (``MAX_SEQUENCE_EXPRESSIONS`` 32,
  two entries per group, counted over the whole rule, not the nesting depth;
  error 113 at registration), and the stack budget of one rule's test:
  :class:`_Fitter` compiles each condition to one test and, where the test
  would pass a budget (groups, stack, matching paths, slots, children of one
  node), cuts a subcondition out into a *derived slot*: its own pair of
  rules (true, false) runs in an earlier pass, and the later pass's message
  carries its value (1 true, 0 false, absent unknown), tested as ``{d: 1}``.
  Wide ``all``/``any`` lists are regrouped in chunks of 8 the same way.  So
  every valid plan compiles, however wide or deep its conditions; plans that
  need no cut (all the example plans) run one pass per stage, as before.
* **512 children on one alpha node never return** (the probe loop of its
  full 512-entry child table; at registration from 513), **129 ``$or`` exits
  on one node** (error 107), **257 rules ending on one node** (error 108):
  every durable rule has a node of its own and at most 64 children per node
  within its test; :func:`_check_network` checks all three.
* **Each matching path through ``$or`` alternatives runs the action again**
  (three matching alternatives: three actions, and ``and`` of ``or``\\ s
  multiplies them): the matching paths of one rule are bounded at 16, cut
  into derived slots past that; results are the same, only the time grows.
* **254 properties per message** (error 302): slots get short names
  (``v<i>``, derived ``d<i>``), a pass's message carries only the slots its
  rules test, and a pass tests at most 200 of them; more rules or slots in
  one layer are spread over several passes.
* **DeprecationWarning from ``datetime.utcfromtimestamp``** (Python 3.12+,
  in ``durable.engine`` on every action): under ``-W error`` or pytest's
  ``filterwarnings = error`` it became an exception inside the action and
  so an :class:`~opinion_rules.exceptions.EngineError`.  Every call into
  durable_rules (registration, and each evaluation's session, which holds
  the lock) runs under :func:`_durable_warnings_ignored`, which ignores
  ``DeprecationWarning`` attributed to durable_rules' own modules only.

Rules never join two messages: each rule tests a single fact.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import threading
import warnings
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import attrs

from opinion_rules.exceptions import BackendUnavailableError, EngineError
from opinion_rules.model._conditions import NEGATED

from ._ir import And, Const, Leaf, Neg, Node, Or, Program


__all__ = ["DurableBackend", "durable_available"]

try:  # durable_rules does not import on Python 3.13+.
    from durable import engine as _durable_engine
except ImportError as _exc:  # pragma: no cover - exercised on 3.13+
    _IMPORT_ERROR: ImportError | None = _exc
else:
    _IMPORT_ERROR = None


def durable_available() -> bool:
    """
    Tell whether durable_rules can be imported here.
    """
    return _IMPORT_ERROR is None


_SESSION_ID = "0"
_SENTINEL = "sentinel"
_OPS = {"gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte", "ne": "$neq"}

# durable_rules 2.0.28's own bounds, measured with this adapter's host.
#: Alpha nodes pending at once while one message walks the network (303).
STACK_SIZE = 64
#: ``$and``/``$or`` groups in one rule (113).
GROUPS_PER_RULE = 15
#: Hashed children of one alpha node: 512 make ``assert_fact`` loop forever.
CHILDREN_PER_NODE = 511
#: ``$or`` exits (forward nodes) linked from one alpha node (107).
FORWARDS_PER_NODE = 128
#: Rules ending on one alpha node (108).
RULES_PER_NODE = 256
#: Properties of one message, ``sid`` and ``id`` included (302).
PROPERTIES_PER_MESSAGE = 254
#: Rules in one ruleset (106).
RULES_PER_RULESET = 4096

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

# durable_rules keeps its engine state process-wide, so the guard is too.
_LOCK = threading.Lock()
_HOST: Any = None
_REGISTERED: dict[str, _Registered] = {}
_MESSAGE_IDS = itertools.count()


@contextmanager
def _durable_warnings_ignored() -> Iterator[None]:
    """
    Ignore DeprecationWarnings raised from durable_rules' own modules.

    durable_rules 2.0.28 calls ``datetime.utcfromtimestamp`` for every action,
    deprecated since Python 3.12; under ``-W error`` that warning would become
    an exception inside the action.  Only warnings attributed to a module
    named ``durable`` or ``durable.*`` are ignored, and only while the
    adapter registers a ruleset or holds a session (always under
    :data:`_LOCK`, so no two of these scopes interleave).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"durable(\.|$)")
        yield


class _SlotCodec:
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


# -- a model of durable_rules' alpha network ---------------------------------------


class _Alpha:
    """
    One alpha node as durable_rules' ``rete.c`` builds it: hashed children
    keyed by (property, operator, value), shared by every rule that reaches
    this node with the same test (``findAlpha``); forward nodes (the exit of
    an ``$or``) never shared; and the rules that end here.
    """

    __slots__ = ("forwards", "hashed", "rules")

    def __init__(self) -> None:
        self.hashed: dict[tuple[str, str, int], _Alpha] = {}
        self.forwards: list[_Alpha] = []
        self.rules = 0


def _link(test: Mapping[str, Any], parent: _Alpha) -> _Alpha:
    """
    Add *test* below *parent* the way ``createAlpha`` does; return its exit.
    """
    if "$and" in test:
        node = parent
        for item in test["$and"]:
            node = _link(item, node)
        return node
    if "$or" in test:
        forward = _Alpha()
        for item in test["$or"]:
            _link(item, parent).forwards.append(forward)
        return forward
    ((key, operand),) = test.items()
    if key.startswith("$"):
        ((prop, value),) = operand.items()
        op = key
    else:
        prop, op, value = key, "$eq", operand
    child = parent.hashed.get((prop, op, value))
    if child is None:
        child = parent.hashed[(prop, op, value)] = _Alpha()
    return child


_HOLDS = {
    "$eq": lambda a, b: a == b,
    "$neq": lambda a, b: a != b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def _most_matching(node: _Alpha, weight: Mapping[int, int]) -> int:
    """
    The largest total *weight* of the children of *node* that one message
    can push at once: every forward node, plus, for each property, the
    hashed children that one value of it satisfies.  Every value is an
    integer, so the values next to the tested ones cover every case.
    """
    by_property: dict[str, list[tuple[str, int, int]]] = {}
    for (prop, op, value), child in node.hashed.items():
        by_property.setdefault(prop, []).append((op, value, weight[id(child)]))
    total = sum(weight[id(f)] for f in node.forwards)
    for tests in by_property.values():
        candidates = {v + d for _op, v, _w in tests for d in (-1, 0, 1)}
        total += max(sum(w for op, v, w in tests if _HOLDS[op](c, v)) for c in candidates)
    return total


@attrs.frozen
class _Bounds:
    """
    Upper bounds for every message on one alpha network (see :func:`_bounds`).
    """

    stack: int
    paths: int
    children: int
    forwards: int
    rules: int


def _bounds(root: _Alpha) -> _Bounds:
    """
    Bound durable_rules' walk of the network below *root* over every message.

    ``handleAlpha`` pops a node and pushes every child that matches; the
    last child pushed is walked first.  With ``k`` children pushed, the walk
    below a child pushed ``i``-th starts with ``i - 1`` siblings still
    pending, so the stack below a node is at most ``max(k, k - 1 + the most
    any child needs)``.  ``paths`` is the number of times a rule's action
    can be reached (each ``$or`` alternative that matches reaches it again).
    """
    order: list[_Alpha] = []
    seen: set[int] = set()
    pending = [(root, False)]
    while pending:  # children before parents, without recursion
        node, expanded = pending.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        pending.append((node, True))
        pending.extend((c, False) for c in (*node.hashed.values(), *node.forwards))
    stack: dict[int, int] = {}
    paths: dict[int, int] = {}
    ones: dict[int, int] = {}
    children = forwards = rules = 0
    for node in order:
        kids = (*node.hashed.values(), *node.forwards)
        for kid in kids:
            ones[id(kid)] = 1
        pushed = _most_matching(node, ones) if kids else 0
        deepest = max((stack[id(k)] for k in kids), default=0)
        stack[id(node)] = max(pushed, pushed - 1 + deepest) if kids else 0
        paths[id(node)] = node.rules + (_most_matching(node, paths) if kids else 0)
        children = max(children, len(node.hashed))
        forwards = max(forwards, len(node.forwards))
        rules = max(rules, node.rules)
    return _Bounds(stack[id(root)], paths[id(root)], children, forwards, rules)


def _groups(test: Mapping[str, Any]) -> int:
    """
    The ``$and``/``$or`` groups in *test*, the count durable_rules limits.
    """
    for key in ("$and", "$or"):
        if key in test:
            return 1 + sum(_groups(item) for item in test[key])
    return 0


def _properties(test: Mapping[str, Any]) -> set[str]:
    for key in ("$and", "$or"):
        if key in test:
            return set().union(*(_properties(item) for item in test[key]))
    ((key, operand),) = test.items()
    return set(operand) if key.startswith("$") else {key}


def _wrapped_groups(test: Mapping[str, Any]) -> int:
    # A rule is {"$and": [pass test, path tests, *test]}: a top-level $and
    # of the test joins that group, anything else adds one.
    return _groups(test) + (0 if "$and" in test else 1)


def _problem(test: Mapping[str, Any]) -> str | None:
    """
    Which budget *test* would break as one durable rule's test, if any.
    """
    if _wrapped_groups(test) > GROUPS_PER_RULE:
        return "groups"
    if len(_properties(test)) > RULE_SLOTS:
        return "slots"
    parent = _Alpha()
    _link(test, parent).rules += 1
    if max(len(parent.hashed), len(parent.forwards)) > RULE_CHILDREN:
        return "children"  # checked first: the bounds are quadratic in it
    bounds = _bounds(parent)
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

    def __init__(self, codec: _SlotCodec, properties: Mapping[str, str]) -> None:
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
class _Pass:
    """
    One message per snapshot: the rules of one stage and layer (or a part
    of them), under the pass test ``s == code``.
    """

    code: int
    ruleset: int  # index of the durable_rules ruleset that holds its rules
    slots: tuple[tuple[str, str], ...]  # (slot, property) pairs the message carries
    derived: tuple[str, ...]  # derived properties the message carries
    rules: tuple[str, ...]


def _compile(
    program: Program, codec: _SlotCodec
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
) -> dict[int, list[tuple[_Pass, list[_Compiled]]]]:
    """
    Spread each layer over passes of at most :data:`RULES_PER_PASS` rules
    and :data:`PASS_SLOTS` slots, and the passes over rulesets of at most
    :data:`RULES_PER_RULESET` rules, the sentinel included.
    """
    slot_of = {prop: slot for slot, prop in properties.items()}
    codes = itertools.count(1)
    sizes: list[int] = []  # rules per ruleset so far
    out: dict[int, list[tuple[_Pass, list[_Compiled]]]] = {}
    for stage, stage_layers in layers.items():
        out[stage] = []
        for rules in stage_layers:
            parts: list[tuple[set[str], list[_Compiled]]] = []
            for c in rules:
                props = _properties(c.fit.test) - {"o"}
                if parts:
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
                spec = _Pass(next(codes), ruleset, slots, derived, tuple(c.name for c in members))
                out[stage].append((spec, members))
    return out


def _digits(index: int, count: int) -> list[int]:
    """
    *index* in base :data:`BRANCH`, with as many digits as *count* needs (at least one).
    """
    width = 1
    while BRANCH**width < count:
        width += 1
    return [index // BRANCH**k % BRANCH for k in reversed(range(width))]


def _ruleset_json(
    program: Program, codec: _SlotCodec
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str, bool]], dict[int, tuple[_Pass, ...]]]:
    """
    The durable_rules rulesets for *program* (one, unless it needs more than
    :data:`RULES_PER_RULESET` rules), the rule-name map and each stage's passes.
    """
    layers, properties = _compile(program, codec)
    rulesets: list[dict[str, Any]] = []
    names: dict[str, tuple[str, str, bool]] = {}
    passes: dict[int, tuple[_Pass, ...]] = {}
    for stage, stage_passes in _passes(layers, properties).items():
        passes[stage] = tuple(spec for spec, _ in stage_passes)
        for spec, members in stage_passes:
            while spec.ruleset >= len(rulesets):
                rulesets.append({_SENTINEL: {"all": [{"m": {"o": 1}}]}})
            rules = rulesets[spec.ruleset]
            for index, c in enumerate(members):
                path = [{"$lte": {"b": d}} for d in _digits(index, len(members))]
                test = c.fit.test
                own = test.get("$and", [test])
                rules[c.name] = {"all": [{"m": {"$and": [{"s": spec.code}, *path, *own]}}]}
                names[c.name] = c.target
    if not rulesets:  # a program without rules still gets its sentinel
        rulesets.append({_SENTINEL: {"all": [{"m": {"o": 1}}]}})
    return rulesets, names, passes


def _check_network(rules: Mapping[str, Any], passes: Iterable[_Pass]) -> None:
    """
    Model the alpha network durable_rules builds from the ruleset *rules*
    and refuse it unless every bound of durable_rules holds for every
    message of its *passes*.
    """
    root = _Alpha()
    for name, rule in rules.items():
        (message_test,) = rule["all"]
        (test,) = message_test.values()
        if _groups(test) > GROUPS_PER_RULE:
            raise EngineError(
                f"durable rule {name} has more than {GROUPS_PER_RULE} $and/$or groups"
            )
        _link(test, root).rules += 1
    bounds = _bounds(root)
    problems = [
        f"{what} {value} > {bound}"
        for what, value, bound in [
            ("rules", len(rules), RULES_PER_RULESET),
            ("stack", bounds.stack, STACK_SIZE),
            ("children of one node", bounds.children, CHILDREN_PER_NODE),
            ("$or exits on one node", bounds.forwards, FORWARDS_PER_NODE),
            ("rules on one node", bounds.rules, RULES_PER_NODE),
            *(
                ("message properties", len(p.slots) + len(p.derived) + 5, PROPERTIES_PER_MESSAGE)
                for p in passes
            ),
        ]
        if value > bound
    ]
    if problems:
        raise EngineError(
            "the compiled ruleset would exceed durable_rules' bounds: " + "; ".join(problems)
        )


@attrs.define
class _Registered:
    """
    A ruleset registered with the process-wide host.
    """

    name: str
    rulesets: tuple[str, ...]  # the durable_rules ruleset names, by index
    names: dict[str, tuple[str, str, bool]]
    stages: dict[int, tuple[str, ...]]
    passes: dict[int, tuple[_Pass, ...]]
    fired: list[str]
    content: str  # the canonical JSON the name hashes


def _quiet_host() -> Any:
    global _HOST  # noqa: PLW0603 - one host per process, like the engine itself
    if _HOST is None:

        class _QuietHost(_durable_engine.Host):  # type: ignore[misc]
            def _run(self) -> None:
                # No dispatch or timer threads: they race with delete_state,
                # and nothing here uses timers or queued actions.
                return

        _HOST = _QuietHost()
    return _HOST


class DurableBackend:
    """
    Match snapshots with durable_rules, behind the guards listed above.
    """

    name = "durable"

    def __init__(self, program: Program) -> None:
        if _IMPORT_ERROR is not None:
            raise BackendUnavailableError(
                "durable", f"durable_rules cannot be imported ({_IMPORT_ERROR})"
            )
        self._codec = _SlotCodec(program)
        definitions, names, passes = _ruleset_json(program, self._codec)
        stages = {stage: tuple(r.id for r in program.stage(stage)) for stage in (1, 2)}
        # The name is the hash of everything registered under it: a cached
        # ruleset must never answer for a different program.
        content = json.dumps(
            {
                "rules": definitions,
                "names": names,
                "stages": stages,
                "passes": {s: [attrs.asdict(p) for p in ps] for s, ps in passes.items()},
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        self._ruleset_name = f"opinion_rules_{hashlib.sha256(content.encode()).hexdigest()[:40]}"
        with _LOCK:
            registered = _REGISTERED.get(self._ruleset_name)
            if registered is None:
                for index, definition in enumerate(definitions):
                    _check_network(
                        definition,
                        (p for ps in passes.values() for p in ps if p.ruleset == index),
                    )
                registered = self._register(definitions, names, stages, passes, content)
                _REGISTERED[self._ruleset_name] = registered
        if registered.content != content:  # pragma: no cover - a SHA-256 collision
            raise EngineError(f"two different rulesets hash to {self._ruleset_name}")
        self._registered = registered

    def _register(
        self,
        definitions: list[dict[str, Any]],
        names: dict[str, tuple[str, str, bool]],
        stages: dict[int, tuple[str, ...]],
        passes: dict[int, tuple[_Pass, ...]],
        content: str,
    ) -> _Registered:
        # One ruleset keeps its plain name; more get a suffix each.
        rulesets = tuple(
            self._ruleset_name if len(definitions) == 1 else f"{self._ruleset_name}_{i}"
            for i in range(len(definitions))
        )
        registered = _Registered(self._ruleset_name, rulesets, names, stages, passes, [], content)

        def record(rule_name: str) -> Any:
            def action(_closure: object) -> None:
                registered.fired.append(rule_name)

            return action

        for ruleset, definition in zip(rulesets, definitions, strict=True):
            for rule_name, rule in definition.items():
                rule["run"] = record(rule_name)
            try:
                with _durable_warnings_ignored():
                    _quiet_host().register_rulesets({ruleset: definition})
            except Exception as exc:
                raise EngineError(
                    f"durable_rules rejected the compiled ruleset {ruleset}: {exc}"
                ) from exc
        return registered

    @property
    def passes(self) -> Mapping[int, int]:
        """
        How many messages each stage asserts per snapshot.
        """
        return {stage: len(ps) for stage, ps in self._registered.passes.items()}

    @contextmanager
    def session(self) -> Iterator[DurableSession]:
        """
        Hold the durable_rules lock for one evaluation, then delete its state.
        """
        # One warning filter for the whole evaluation: every call into
        # durable_rules happens inside it (and under the lock).
        with _LOCK, _durable_warnings_ignored():
            session = DurableSession(self._registered, self._codec)
            try:
                yield session
            finally:
                for ruleset in sorted(session.ran_action):
                    try:
                        _quiet_host().delete_state(ruleset, _SESSION_ID)
                    except Exception as exc:
                        raise EngineError(
                            f"durable_rules could not delete session state: {exc}"
                        ) from exc


class DurableSession:
    def __init__(self, registered: _Registered, codec: _SlotCodec) -> None:
        self._registered = registered
        self._codec = codec
        #: The rulesets in which a message ran an action (their state is deleted).
        self.ran_action: set[str] = set()

    def match(self, stage: int, snapshot: Mapping[str, object]) -> dict[str, bool | None]:
        """
        Assert one message per pass of *stage*, collect the rules each fired.
        """
        registered = self._registered
        results: dict[str, bool | None] = dict.fromkeys(registered.stages[stage])
        derived: dict[str, int] = {}
        encode = self._codec.encode
        for spec in registered.passes[stage]:
            message: dict[str, Any] = {}
            for slot, prop in spec.slots:
                value = snapshot.get(slot)
                if value is not None:
                    message[prop] = encode(slot, value)
            for prop in spec.derived:
                if prop in derived:
                    message[prop] = derived[prop]
            message.update(sid=_SESSION_ID, id=next(_MESSAGE_IDS), o=1, s=spec.code, b=0)
            for rule_name in self._fire(registered.rulesets[spec.ruleset], message):
                kind, target, truth = registered.names[rule_name]
                if kind == "rule":
                    if results.get(target, truth) is (not truth):
                        raise EngineError(
                            f"durable_rules matched rule {target!r} as both true and false"
                        )
                    results[target] = truth
                else:
                    if derived.get(target, int(truth)) != int(truth):
                        raise EngineError(
                            f"durable_rules matched derived slot {target} as both true and false"
                        )
                    derived[target] = int(truth)
        return results

    def _fire(self, ruleset: str, message: dict[str, Any]) -> Iterable[str]:
        """
        Assert *message* as a fact, retract it, and return the rules it fired.
        """
        registered = self._registered
        registered.fired = []
        host = _quiet_host()
        try:
            state = host.assert_fact(ruleset, message)
        except Exception as exc:
            raise EngineError(f"durable_rules failed to match a snapshot: {exc}") from exc
        fired = registered.fired
        if _SENTINEL in fired:
            self.ran_action.add(ruleset)
        if isinstance(state, dict) and "exception" in state:
            raise EngineError(f"a durable_rules action raised: {state['exception']}")
        if _SENTINEL not in fired:
            raise EngineError(
                "durable_rules ran no action for a snapshot (sentinel rule did not fire)"
            )
        try:
            host.retract_fact(ruleset, message)
        except Exception as exc:
            raise EngineError(f"durable_rules failed to retract a snapshot: {exc}") from exc
        return [name for name in fired if name != _SENTINEL]
