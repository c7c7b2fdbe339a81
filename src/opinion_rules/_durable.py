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
  rule-name map and the stages), not ``Program.digest()``: that digest used
  to drop the node classes (now fixed), so a program and the same program
  with one ``And`` turned into an ``Or`` got one name, and whichever was
  evaluated second silently ran the other's rules.  Hashing what is actually
  registered keeps the name right whatever the IR's own hash does.  Rulesets with equal
  JSON share one registration (each backend encodes with its own codec, and
  the ruleset only ever sees codes); a cache hit whose JSON differs is an
  :class:`~opinion_rules.exceptions.EngineError`.
* **Thread safety**: one process-wide lock serialises every call into
  durable_rules, because its engine state is process-global.

Rules never join two messages: each rule tests a single fact.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import attrs

from ._conditions import NEGATED
from ._ir import And, Const, Leaf, Neg, Node, Or, Program
from .exceptions import BackendUnavailableError, EngineError


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

# durable_rules keeps its engine state process-wide, so the guard is too.
_LOCK = threading.Lock()
_HOST: Any = None
_REGISTERED: dict[str, _Registered] = {}
_MESSAGE_IDS = itertools.count()


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

    def message(self, snapshot: Mapping[str, object]) -> dict[str, int]:
        return {
            slot: self.encode(slot, value)
            for slot, value in snapshot.items()
            if value is not None and slot in self._kinds
        }


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


def _test(node: Node, codec: _SlotCodec, *, truth: bool) -> dict[str, Any]:
    """
    Compile *node* to a durable_rules test that matches exactly when the
    node is true (*truth*) or exactly when it is false (``not truth``).

    Unknown slots are absent from the message, and durable_rules matches no
    comparison on an absent field, so a node that is unknown matches neither
    test: three-valued logic without a third value.  ``$neq`` also gets an
    explicit presence guard, so that this does not rest on the engine alone
    for the one negative operator.
    """
    match node:
        case Leaf(slot, op, value):
            if not truth:
                op = NEGATED[op]
            code = codec.encode(slot, value)
            if op == "eq":
                return {slot: code}
            if op == "ne":
                # Defensive: codes are never negative, so $gte 0 requires the
                # field to be there.  durable_rules 2.0.28 did not match $neq
                # on an absent field in any of our tests; the mismatches once
                # blamed on it most likely came from the ruleset-name
                # collision described in the module docstring.
                return {"$and": [{"$neq": {slot: code}}, {"$gte": {slot: 0}}]}
            return {_OPS[op]: {slot: code}}
        case And(items) | Or(items):
            conjunction = isinstance(node, And) == truth
            tests = [_test(i, codec, truth=truth) for i in items]
            if len(tests) == 1:
                return tests[0]
            return {"$and" if conjunction else "$or": tests}
        case Neg(item):
            return _test(item, codec, truth=not truth)
        case Const(value):
            # Every message carries o=1, so {"o": 0} never matches.
            return {"o": 1 if value == truth else 0}
    raise TypeError(f"not an IR node: {node!r}")  # pragma: no cover


@attrs.define
class _Registered:
    """
    A ruleset registered with the process-wide host.
    """

    name: str
    names: dict[str, tuple[str, bool]]
    stages: dict[int, tuple[str, ...]]
    fired: list[str]
    content: str  # the canonical JSON the name hashes


def _ruleset_json(
    program: Program, codec: _SlotCodec
) -> tuple[dict[str, Any], dict[str, tuple[str, bool]]]:
    rules: dict[str, Any] = {
        _SENTINEL: {"all": [{"m": {"o": 1}}]},
    }
    names: dict[str, tuple[str, bool]] = {}
    for index, rule in enumerate(program.rules):
        for truth in (True, False):
            name = f"r{index}{'t' if truth else 'f'}"
            names[name] = (rule.id, truth)
            test = _test(rule.condition, codec, truth=truth)
            rules[name] = {"all": [{"m": {"$and": [{"s": rule.stage}, test]}}]}
    return rules, names


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
        definition, names = _ruleset_json(program, self._codec)
        stages = {stage: tuple(r.id for r in program.stage(stage)) for stage in (1, 2)}
        # The name is the hash of everything registered under it: a cached
        # ruleset must never answer for a different program.
        content = json.dumps(
            {"rules": definition, "names": names, "stages": stages},
            sort_keys=True,
            ensure_ascii=False,
        )
        self._ruleset_name = f"opinion_rules_{hashlib.sha256(content.encode()).hexdigest()[:40]}"
        with _LOCK:
            registered = _REGISTERED.get(self._ruleset_name)
            if registered is None:
                registered = self._register(definition, names, stages, content)
                _REGISTERED[self._ruleset_name] = registered
        if registered.content != content:  # pragma: no cover - a SHA-256 collision
            raise EngineError(f"two different rulesets hash to {self._ruleset_name}")
        self._registered = registered

    def _register(
        self,
        definition: dict[str, Any],
        names: dict[str, tuple[str, bool]],
        stages: dict[int, tuple[str, ...]],
        content: str,
    ) -> _Registered:
        registered = _Registered(self._ruleset_name, names, stages, [], content)

        def record(rule_name: str) -> Any:
            def action(_closure: object) -> None:
                registered.fired.append(rule_name)

            return action

        for rule_name, rule in definition.items():
            rule["run"] = record(rule_name)
        try:
            _quiet_host().register_rulesets({self._ruleset_name: definition})
        except Exception as exc:
            raise EngineError(
                f"durable_rules rejected the compiled ruleset {self._ruleset_name}: {exc}"
            ) from exc
        return registered

    @contextmanager
    def session(self) -> Iterator[DurableSession]:
        """
        Hold the durable_rules lock for one evaluation, then delete its state.
        """
        with _LOCK:
            session = DurableSession(self._registered, self._codec)
            try:
                yield session
            finally:
                if session.ran_action:
                    try:
                        _quiet_host().delete_state(self._ruleset_name, _SESSION_ID)
                    except Exception as exc:
                        raise EngineError(
                            f"durable_rules could not delete session state: {exc}"
                        ) from exc


class DurableSession:
    def __init__(self, registered: _Registered, codec: _SlotCodec) -> None:
        self._registered = registered
        self._codec = codec
        self.ran_action = False

    def match(self, stage: int, snapshot: Mapping[str, object]) -> dict[str, bool | None]:
        """
        Assert one snapshot as a fact, collect the rules it fired, retract it.
        """
        registered = self._registered
        message: dict[str, Any] = self._codec.message(snapshot)
        message.update(sid=_SESSION_ID, id=next(_MESSAGE_IDS), o=1, s=stage)
        registered.fired = []
        host = _quiet_host()
        try:
            state = host.assert_fact(registered.name, message)
        except Exception as exc:
            raise EngineError(f"durable_rules failed to match a snapshot: {exc}") from exc
        fired = registered.fired
        if _SENTINEL in fired:
            self.ran_action = True
        if isinstance(state, dict) and "exception" in state:
            raise EngineError(f"a durable_rules action raised: {state['exception']}")
        if _SENTINEL not in fired:
            raise EngineError(
                "durable_rules ran no action for a snapshot (sentinel rule did not fire)"
            )
        try:
            host.retract_fact(registered.name, message)
        except Exception as exc:
            raise EngineError(f"durable_rules failed to retract a snapshot: {exc}") from exc
        results: dict[str, bool | None] = dict.fromkeys(registered.stages[stage])
        for rule_name in fired:
            if rule_name == _SENTINEL:
                continue
            rule_id, truth = registered.names[rule_name]
            if results.get(rule_id, truth) is (not truth):
                raise EngineError(f"durable_rules matched rule {rule_id!r} as both true and false")
            results[rule_id] = truth
        return results
