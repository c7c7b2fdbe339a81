"""
A model of the alpha network durable_rules 2.0.28 builds from a ruleset,
and the bounds of its C engine.

durable_rules fails on some rulesets only when a message arrives (a full
stack is error 303 from ``assert_fact``; 512 children on one node never
return), so the adapter never gives it a ruleset this model has not checked:
:func:`check_network` builds the network the way ``rete.c`` does and bounds
every message's walk of it (see the hazards in
:mod:`opinion_rules.engine._durable`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from opinion_rules.exceptions import EngineError


__all__ = [
    "CHILDREN_PER_NODE",
    "FORWARDS_PER_NODE",
    "GROUPS_PER_RULE",
    "PROPERTIES_PER_MESSAGE",
    "RULES_PER_NODE",
    "RULES_PER_RULESET",
    "STACK_SIZE",
    "Alpha",
    "Bounds",
    "check_network",
    "count_groups",
    "link",
    "network_bounds",
    "tested_properties",
]

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


class Alpha:
    """
    One alpha node as durable_rules' ``rete.c`` builds it: hashed children
    keyed by (property, operator, value), shared by every rule that reaches
    this node with the same test (``findAlpha``); forward nodes (the exit of
    an ``$or``) never shared; and the rules that end here.
    """

    __slots__ = ("forwards", "hashed", "rules")

    def __init__(self) -> None:
        self.hashed: dict[tuple[str, str, int], Alpha] = {}
        self.forwards: list[Alpha] = []
        self.rules = 0


def link(test: Mapping[str, Any], parent: Alpha) -> Alpha:
    """
    Add *test* below *parent* the way ``createAlpha`` does; return its exit.
    """
    if "$and" in test:
        node = parent
        for item in test["$and"]:
            node = link(item, node)
        return node
    if "$or" in test:
        forward = Alpha()
        for item in test["$or"]:
            link(item, parent).forwards.append(forward)
        return forward
    ((key, operand),) = test.items()
    if key.startswith("$"):
        ((prop, value),) = operand.items()
        op = key
    else:
        prop, op, value = key, "$eq", operand
    child = parent.hashed.get((prop, op, value))
    if child is None:
        child = parent.hashed[(prop, op, value)] = Alpha()
    return child


_HOLDS = {
    "$eq": lambda a, b: a == b,
    "$neq": lambda a, b: a != b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def _most_matching(node: Alpha, weight: Mapping[int, int]) -> int:
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
class Bounds:
    """
    Upper bounds for every message on one alpha network (see :func:`network_bounds`).
    """

    stack: int
    paths: int
    children: int
    forwards: int
    rules: int


def network_bounds(root: Alpha) -> Bounds:
    """
    Bound durable_rules' walk of the network below *root* over every message.

    ``handleAlpha`` pops a node and pushes every child that matches; the
    last child pushed is walked first.  With ``k`` children pushed, the walk
    below a child pushed ``i``-th starts with ``i - 1`` siblings still
    pending, so the stack below a node is at most ``max(k, k - 1 + the most
    any child needs)``.  ``paths`` is the number of times a rule's action
    can be reached (each ``$or`` alternative that matches reaches it again).
    """
    order: list[Alpha] = []
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
    return Bounds(stack[id(root)], paths[id(root)], children, forwards, rules)


def count_groups(test: Mapping[str, Any]) -> int:
    """
    The ``$and``/``$or`` groups in *test*, the count durable_rules limits.
    """
    for key in ("$and", "$or"):
        if key in test:
            return 1 + sum(count_groups(item) for item in test[key])
    return 0


def tested_properties(test: Mapping[str, Any]) -> set[str]:
    """
    The message properties *test* reads.
    """
    for key in ("$and", "$or"):
        if key in test:
            return set().union(*(tested_properties(item) for item in test[key]))
    ((key, operand),) = test.items()
    return set(operand) if key.startswith("$") else {key}


def check_network(rules: Mapping[str, Any], message_properties: Iterable[int]) -> None:
    """
    Model the alpha network durable_rules builds from the ruleset *rules*
    and refuse it unless every bound of durable_rules holds for every
    message, messages carrying *message_properties* properties each (one
    count per pass, ``sid`` and ``id`` included).
    """
    root = Alpha()
    for name, rule in rules.items():
        (message_test,) = rule["all"]
        (test,) = message_test.values()
        if count_groups(test) > GROUPS_PER_RULE:
            raise EngineError(
                f"durable rule {name} has more than {GROUPS_PER_RULE} $and/$or groups"
            )
        link(test, root).rules += 1
    limits = network_bounds(root)
    problems = [
        f"{what} {value} > {bound}"
        for what, value, bound in [
            ("rules", len(rules), RULES_PER_RULESET),
            ("stack", limits.stack, STACK_SIZE),
            ("children of one node", limits.children, CHILDREN_PER_NODE),
            ("$or exits on one node", limits.forwards, FORWARDS_PER_NODE),
            ("rules on one node", limits.rules, RULES_PER_NODE),
            *(
                ("message properties", count, PROPERTIES_PER_MESSAGE)
                for count in message_properties
            ),
        ]
        if value > bound
    ]
    if problems:
        raise EngineError(
            "the compiled ruleset would exceed durable_rules' bounds: " + "; ".join(problems)
        )
