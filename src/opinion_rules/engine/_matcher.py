"""
Compiled, incremental matching for the ``python`` backend.

Each rule's condition is turned into Python source once per backend, with
the three-valued (Kleene) logic of
:func:`~opinion_rules.engine._interpret.compile_node` written out: a leaf
reads its slot and compares it in place, an ``And``/``Or``/``Neg`` is one
flat function that decides its items in order and stops exactly where
:func:`~opinion_rules.engine._interpret.compile_node` stops.  Results are
identical, ``None`` (unknown) included; ``compile_node`` stays the reference
semantics (``tests/test_matcher.py`` holds the two equal on random nodes and
snapshots).

A :class:`StageMatch` then re-runs only the rules that read a slot whose
value changed since the stage's previous snapshot, and reports which
results changed, so the walk records only those.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

from opinion_rules.engine._ir import And, Const, Leaf, Neg, Node, Or, Rule


__all__ = ["StageMatch", "StageMatcher", "generate"]

Snapshot = Mapping[str, object]
Tri = bool | None
Check = Callable[[Snapshot], Tri]

#: The only operator text that reaches generated source: a fixed table.
_SYMBOLS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "==", "ne": "!="}
#: Marks a slot no snapshot has given a value yet.
_UNSEEN = object()


class _Source:
    """
    The Python source of a set of conditions, one function per composite
    node, built without ever pasting user text.

    Safety: rule ids never reach the source (functions are named ``_f<n>``);
    slot names and constants enter only as :func:`repr` of an exact ``str``,
    ``int``, ``bool`` or finite ``float``, checked to read back as the same
    value of the same type; any other constant is bound in the namespace as
    ``_k<n>`` and only that generated name is written.  Operators come from
    :data:`_SYMBOLS`.  So no slot name or constant, however hostile (quotes,
    newlines, backslashes, any unicode), can end a string literal or add code.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, object] = {"__builtins__": {}}
        self._functions = 0

    def literal(self, value: object) -> str:
        """
        Source text for the constant *value*.
        """
        if type(value) in (str, int, bool) or (type(value) is float and math.isfinite(value)):
            try:
                text = repr(value)
                back = ast.literal_eval(text)
            except ValueError:  # an int past Python's digit limit: bound below
                pass
            else:
                if type(back) is type(value) and back == value:
                    return text
        name = f"_k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def function(self, node: Node) -> str:
        """
        Write a function computing *node* of a snapshot ``s``; return its name.
        """
        name = f"_f{self._functions}"
        self._functions += 1
        body: list[str] = ["g = s.get"]
        match node:
            case Leaf() | Const():
                body += [*self._item(node), "return r"]
            case And(items) | Or(items):
                # compile_node: the first item that is false (And) or true
                # (Or) decides; else unknown if any item was unknown.
                stop = "False" if isinstance(node, And) else "True"
                body.append("u = False")
                for item in items:
                    body += self._item(item)
                    body += [
                        f"if r is {stop}:",
                        f"    return {stop}",
                        "if r is None:",
                        "    u = True",
                    ]
                body.append(f"return None if u else {'True' if stop == 'False' else 'False'}")
            case Neg(item):
                body += [*self._item(item), "return None if r is None else not r"]
            case _:
                raise TypeError(f"not an IR node: {node!r}")
        self.lines.append(f"def {name}(s):")
        self.lines += [f"    {line}" for line in body]
        return name

    def _item(self, node: Node) -> list[str]:
        """
        Lines that set ``r`` to *node*'s value.
        """
        match node:
            case Leaf(slot, op, value):
                if type(slot) is not str or op not in _SYMBOLS:
                    raise TypeError(f"not a leaf over a slot: {node!r}")
                return [
                    f"v = g({self.literal(slot)})",
                    f"r = None if v is None else v {_SYMBOLS[op]} {self.literal(value)}",
                ]
            case Const(value):
                return [f"r = {self.literal(value)}"]
        return [f"r = {self.function(node)}(s)"]

    def compile(self) -> dict[str, object]:
        """
        Compile the source written so far; return the namespace it defined.
        """
        code = compile("\n".join(self.lines) + "\n", "<opinion_rules matcher>", "exec")
        exec(code, self.namespace)  # noqa: S102 - source built above from repr()s only
        return self.namespace


def generate(nodes: Sequence[Node]) -> tuple[tuple[Check, ...], str]:
    """
    Compile *nodes* to functions of a snapshot, with the meaning
    :func:`~opinion_rules.engine._interpret.compile_node` gives them;
    return them and the generated source.
    """
    source = _Source()
    names = [source.function(node) for node in nodes]
    namespace = source.compile()
    checks: tuple[Check, ...] = tuple(namespace[n] for n in names)  # type: ignore[misc]
    return checks, "\n".join(source.lines)


def slots_read(node: Node) -> set[str]:
    """
    The slots *node* reads.
    """
    match node:
        case Leaf(slot):
            return {slot}
        case And(items) | Or(items):
            return set().union(*(slots_read(i) for i in items))
        case Neg(item):
            return slots_read(item)
    return set()


class StageMatcher:
    """
    The rules of one stage, compiled; shared by every session of a backend
    (it holds no per-evaluation state).
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        rules = tuple(rules)
        self.ids = tuple(r.id for r in rules)
        self.checks, self.source = generate([r.condition for r in rules])
        readers: dict[str, list[int]] = {}
        for index, rule in enumerate(rules):
            for slot in sorted(slots_read(rule.condition)):
                readers.setdefault(slot, []).append(index)
        #: Each slot any rule reads, with the positions of the rules reading it.
        self.readers = tuple((slot, tuple(rs)) for slot, rs in readers.items())

    def match(self, snapshot: Snapshot) -> dict[str, Tri]:
        """
        Every rule on *snapshot*, from scratch.
        """
        return {
            rule_id: check(snapshot) for rule_id, check in zip(self.ids, self.checks, strict=True)
        }


class StageMatch:
    """
    One evaluation's matching of one stage: remembers the values of the
    slots its rules read and their results, and re-runs only the rules that
    read a slot that changed.

    A value counts as unchanged only if it is the same object, or of the same
    type and equal: ``1 == 1.0 == True`` in Python, and a slot going from
    ``1`` to ``True`` must be re-matched.  A missing slot and ``None`` are
    both unknown, so they are the same value here.
    """

    def __init__(self, matcher: StageMatcher) -> None:
        self._matcher = matcher
        self._values: dict[str, object] = {}
        self._results: dict[str, Tri] | None = None
        #: The results that changed at the last :meth:`match` (all of them at the first).
        self.changes: Mapping[str, Tri] = {}

    def match(self, snapshot: Snapshot) -> Mapping[str, Tri]:
        """
        Every rule of the stage on *snapshot*: the same as
        :meth:`StageMatcher.match`, computed from the previous call's.
        """
        matcher, values, results = self._matcher, self._values, self._results
        get = snapshot.get
        if results is None:
            # The first snapshot: every rule, even those that read no slot.
            for slot, _readers in matcher.readers:
                values[slot] = get(slot)
            self._results = self.changes = matcher.match(snapshot)
            return self._results
        dirty: list[tuple[int, ...]] = []
        for slot, readers in matcher.readers:
            value = get(slot)
            before = values[slot]
            if value is not before and (value != before or type(value) is not type(before)):
                values[slot] = value
                dirty.append(readers)
        changes: dict[str, Tri] = {}
        if dirty:
            ids, checks = matcher.ids, matcher.checks
            for index in dirty[0] if len(dirty) == 1 else sorted(set().union(*dirty)):
                result = checks[index](snapshot)
                if result is not results[ids[index]]:
                    changes[ids[index]] = result
        if changes:
            # A new dict: the one returned before is never changed.
            results = self._results = {**results, **changes}
        self.changes = changes
        return results
