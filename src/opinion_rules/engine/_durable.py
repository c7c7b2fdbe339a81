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
* **The host's Python action dispatch costs about 19 µs per fired rule**
  (for every action it decodes the session state, builds a closure, encodes
  the state again and posts it back with ``update_state``), **and swallows
  action exceptions into the state**: no action is ever run.  A session
  makes the host's own calls into the C engine (``assert_fact``, then
  ``start_action_for_state`` and ``complete_and_start_action`` until no
  action is left, then ``retract_fact``), reads each fired rule's name from
  the action the engine starts, and completes it unrun; any error code the
  engine returns is an :class:`~opinion_rules.exceptions.EngineError`, as is
  an action left pending after the retraction.  The session state never
  changes, so it is never posted back.
* **Floats such as 1e-05 are rejected; datetimes are unsupported**: no float
  and no datetime ever reaches durable_rules.  Every slot value is encoded as
  a small integer that preserves exactly the comparisons the plan makes
  (see :class:`~opinion_rules.engine._durable_compile.SlotCodec`); instants stay on the Python side.
* **Ruleset names are global, and a name is registered only once**: a
  ruleset is registered once and never re-created while an engine uses it,
  so its name must identify everything registered under it.  The name is the SHA-256 of
  the canonical JSON of the ruleset itself (every durable_rules test, the
  rule-name map, the stages and the passes), not ``Program.digest()``: that
  digest used to drop the node classes (now fixed), so a program and the same
  program with one ``And`` turned into an ``Or`` got one name, and whichever
  was evaluated second silently ran the other's rules.  Hashing what is
  actually registered keeps the name right whatever the IR's own hash does.
  Rulesets with equal JSON share one registration (each backend encodes with
  its own codec, and the ruleset only ever sees codes); a cache hit whose
  JSON differs is an :class:`~opinion_rules.exceptions.EngineError`.
* **The host never frees a ruleset**: ``Host`` keeps every registered
  ruleset, and the C engine its memory, for the life of the process, so a
  long-running process that makes engines for ever-new plans would grow
  without bound.  Each registration counts the backends
  using it; a weakref finalizer on each backend queues its release, and the
  next registration of a new ruleset first evicts every ruleset no backend
  uses any more (removed from the host, freed with ``delete_ruleset``).  The
  finalizer only queues a name: it may run at any allocation, in any thread,
  even while this adapter holds the lock.  So the table holds at most the
  rulesets of the backends alive at the last registration, plus one.
* **Loading the C extension at import**: durable_rules is imported when the
  first :class:`DurableBackend` is made or :func:`durable_available` is
  asked, never by ``import opinion_rules``.
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
  whole network is modelled at construction
  (:func:`~opinion_rules.engine._durable_network.check_network`): an upper
  bound of the stack over every message must stay within 64, or the
  :class:`DurableBackend` is not built.
* **15 ``$and``/``$or`` groups per rule** (``MAX_SEQUENCE_EXPRESSIONS`` 32,
  two entries per group, counted over the whole rule, not the nesting depth;
  error 113 at registration), and the stack budget of one rule's test:
  ``_durable_compile._Fitter`` compiles each condition to one test and, where the test
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
  within its test; :func:`~opinion_rules.engine._durable_network.check_network` checks all three.
* **Each matching path through ``$or`` alternatives runs the action again**
  (three matching alternatives: three actions, and ``and`` of ``or``\\ s
  multiplies them): the matching paths of one rule are bounded at 16, cut
  into derived slots past that; results are the same, only the time grows.
* **254 properties per message** (error 302): slots get short names
  (``v<i>``, derived ``d<i>``), a pass's message carries only the slots its
  rules test, and a pass tests at most 200 of them; more rules or slots in
  one layer are spread over several passes.
* **DeprecationWarning from ``datetime.utcfromtimestamp``** (Python 3.12+,
  in ``durable.engine`` on every action the host runs): under ``-W error``
  or pytest's ``filterwarnings = error`` it became an exception inside the
  action and so an :class:`~opinion_rules.exceptions.EngineError`.  The
  host runs no action any more (above), but every call into
  durable_rules (registration, and each evaluation's session, which holds
  the lock) runs under :func:`_durable_warnings_ignored`, which ignores
  ``DeprecationWarning`` attributed to durable_rules' own modules only.

Rules never join two messages: each rule tests a single fact.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import threading
import warnings
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import attrs

from opinion_rules.engine._durable_compile import SENTINEL, Pass, SlotCodec, ruleset_json
from opinion_rules.engine._durable_network import check_network
from opinion_rules.engine._ir import Program
from opinion_rules.exceptions import BackendUnavailableError, EngineError


__all__ = ["DurableBackend", "DurableSession", "durable_available"]

_SESSION_ID = "0"

# durable_rules keeps its engine state process-wide, so the guard is too.
_LOCK = threading.Lock()
_HOST: Any = None
_REGISTERED: dict[str, _Registered] = {}
_MESSAGE_IDS = itertools.count()
#: Names of registrations a collected backend used, released under the lock.
_RELEASED: collections.deque[str] = collections.deque()

# durable_rules is imported on first use (see the module docstring); a test
# sets _IMPORT_ERROR to act out an interpreter where it does not import.
_IMPORT_LOCK = threading.Lock()
_IMPORT_ERROR: ImportError | None = None
_MODULES: tuple[Any, Any] | None = None  # durable.engine, durable_rules_engine


def _import_durable() -> tuple[Any, Any] | None:
    """
    ``durable.engine`` and its C extension, imported on the first call;
    ``None`` if they do not import here.
    """
    global _IMPORT_ERROR, _MODULES  # noqa: PLW0603 - imported once per process, on first use
    with _IMPORT_LOCK:
        if _MODULES is None and _IMPORT_ERROR is None:
            try:  # durable_rules does not import on Python 3.13+.
                import durable_rules_engine  # noqa: PLC0415 - the C extension, loaded on first use
                from durable import engine  # noqa: PLC0415 - loaded on first use
            except ImportError as exc:  # pragma: no cover - exercised on 3.13+
                _IMPORT_ERROR = exc
            else:
                _MODULES = (engine, durable_rules_engine)
        return None if _IMPORT_ERROR is not None else _MODULES


def durable_available() -> bool:
    """
    Tell whether durable_rules can be imported here (importing it if not yet done).
    """
    return _import_durable() is not None


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


@attrs.define
class _Registered:
    """
    A ruleset registered with the process-wide host.
    """

    name: str
    rulesets: tuple[str, ...]  # the durable_rules ruleset names, by index
    handles: tuple[int, ...]  # their handles in the C engine, by index
    names: dict[str, tuple[str, str, bool]]
    stages: dict[int, tuple[str, ...]]
    passes: dict[int, tuple[Pass, ...]]
    content: str  # the canonical JSON the name hashes
    users: int = 0  # live backends, less the releases not yet processed


def _quiet_host() -> Any:
    global _HOST  # noqa: PLW0603 - one host per process, like the engine itself
    if _HOST is None:
        modules = _import_durable()
        if modules is None:  # pragma: no cover - DurableBackend checked first
            raise BackendUnavailableError("durable", "durable_rules does not import here")

        class _QuietHost(modules[0].Host):  # type: ignore[misc]
            def _run(self) -> None:
                # No dispatch or timer threads: they race with delete_state,
                # and nothing here uses timers or queued actions.
                return

        _HOST = _QuietHost()
    return _HOST


def _evict_released() -> None:
    """
    Apply the queued releases; unregister and free every ruleset no backend
    uses any more.  Call with :data:`_LOCK` held.
    """
    while _RELEASED:
        registered = _REGISTERED[_RELEASED.popleft()]
        registered.users -= 1
        if registered.users > 0:
            continue
        del _REGISTERED[registered.name]
        host = _quiet_host()
        modules = _import_durable()
        assert modules is not None  # noqa: S101 - something was registered, so it imported
        for ruleset_name in registered.rulesets:
            ruleset = host._ruleset_directory.pop(ruleset_name)  # noqa: SLF001 - Host has no API to remove one
            host._ruleset_list.remove(ruleset)  # noqa: SLF001
            try:
                with _durable_warnings_ignored():
                    modules[1].delete_ruleset(ruleset._handle)  # noqa: SLF001
            except Exception as exc:
                raise EngineError(
                    f"durable_rules could not delete ruleset {ruleset_name}: {exc}"
                ) from exc


class DurableBackend:
    """
    Match snapshots with durable_rules, behind the guards listed above.
    """

    name = "durable"

    def __init__(self, program: Program) -> None:
        if not durable_available():
            raise BackendUnavailableError(
                "durable", "durable_rules does not import in this interpreter"
            )
        self._codec = SlotCodec(program)
        definitions, names, passes = ruleset_json(program, self._codec)
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
                    check_network(
                        definition,
                        (
                            p.message_properties
                            for ps in passes.values()
                            for p in ps
                            if p.ruleset == index
                        ),
                    )
                # The table grows only here, so evicting here bounds it.
                _evict_released()
                registered = self._register(definitions, names, stages, passes, content)
                _REGISTERED[self._ruleset_name] = registered
            if registered.content != content:  # pragma: no cover - a SHA-256 collision
                raise EngineError(f"two different rulesets hash to {self._ruleset_name}")
            registered.users += 1
        self._registered = registered
        # Only queues the name: a finalizer may run while _LOCK is held.
        weakref.finalize(self, _RELEASED.append, self._ruleset_name)

    def _register(
        self,
        definitions: list[dict[str, Any]],
        names: dict[str, tuple[str, str, bool]],
        stages: dict[int, tuple[str, ...]],
        passes: dict[int, tuple[Pass, ...]],
        content: str,
    ) -> _Registered:
        # One ruleset keeps its plain name; more get a suffix each.
        rulesets = tuple(
            self._ruleset_name if len(definitions) == 1 else f"{self._ruleset_name}_{i}"
            for i in range(len(definitions))
        )
        handles: list[int] = []
        host = _quiet_host()
        for ruleset, definition in zip(rulesets, definitions, strict=True):
            for rule in definition.values():
                # The host wants an action per rule; the session reads the
                # fired rules' names itself and never runs one (see _fire).
                rule["run"] = _never_run
            try:
                with _durable_warnings_ignored():
                    host.register_rulesets({ruleset: definition})
            except Exception as exc:
                raise EngineError(
                    f"durable_rules rejected the compiled ruleset {ruleset}: {exc}"
                ) from exc
            handles.append(host.get_ruleset(ruleset)._handle)  # noqa: SLF001 - the C engine's handle
        return _Registered(
            self._ruleset_name, rulesets, tuple(handles), names, stages, passes, content
        )

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
    """
    One evaluation's matching, under the lock the backend's session holds.
    """

    def __init__(self, registered: _Registered, codec: SlotCodec) -> None:
        self._registered = registered
        self._codec = codec
        modules = _import_durable()
        assert modules is not None  # noqa: S101 - a backend exists, so it imported
        self._engine = modules[1]
        #: The rulesets in which a message ran an action (their state is deleted).
        self.ran_action: set[str] = set()
        #: Each pass's last message (without its ids) and the rules it fired.
        self._posted: dict[tuple[int, int], tuple[dict[str, int], list[str]]] = {}
        #: How many messages this session asserted.
        self.asserted = 0

    def match(self, stage: int, snapshot: Mapping[str, object]) -> dict[str, bool | None]:
        """
        Assert one message per pass of *stage* whose slots changed since
        that pass's previous message, collect the rules each fired.

        durable_rules has no way to change one property of a fact: a fact is
        one immutable message, retracted and asserted whole.  So what is
        posted incrementally is the pass, not the slot: a pass whose message
        (the encoded slots and derived values it carries) equals its previous
        one is not asserted again, and its previous firings are reused.  That
        is exact, because each rule tests one message and every message is
        retracted before the next: what a message fires depends on it alone.
        """
        registered = self._registered
        results: dict[str, bool | None] = dict.fromkeys(registered.stages[stage])
        derived: dict[str, int] = {}
        encode = self._codec.encode
        for index, spec in enumerate(registered.passes[stage]):
            message: dict[str, int] = {}
            for slot, prop in spec.slots:
                value = snapshot.get(slot)
                if value is not None:
                    message[prop] = encode(slot, value)
            for prop in spec.derived:
                if prop in derived:
                    message[prop] = derived[prop]
            posted = self._posted.get((stage, index))
            if posted is not None and posted[0] == message:
                fired = posted[1]
            else:
                full: dict[str, Any] = dict(message)
                full.update(sid=_SESSION_ID, id=next(_MESSAGE_IDS), o=1, s=spec.code, b=0)
                fired = self._fire(spec.ruleset, full)
                self._posted[(stage, index)] = (message, fired)
            for rule_name in fired:
                named = registered.names.get(rule_name)
                if named is None:
                    raise EngineError(f"durable_rules fired an unknown rule {rule_name!r}")
                kind, target, truth = named
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

    def _fire(self, index: int, message: Mapping[str, object]) -> list[str]:
        """
        Assert *message* as a fact in ruleset *index*, collect the rules it
        fired, retract it.

        This is the host's own sequence of calls into the C engine (assert,
        then start and complete each action, then retract), without the
        host's Python action dispatch: that decodes the session state,
        builds a closure, encodes the state again and posts it back
        (``update_state``) for every action, about 19 µs each, while no
        action here does anything but name its rule.  Each action is
        completed unrun; its rule is read from the name the engine gives
        it.
        """
        registered = self._registered
        engine = self._engine
        handle = registered.handles[index]
        text = json.dumps(message)
        self.asserted += 1
        fired: list[str] = []
        try:
            outcome, state = engine.assert_fact(handle, text)
            if outcome == 0:  # else not handled (1), already seen (2), deferred (3)
                started = engine.start_action_for_state(handle, state)
                if started is not None:
                    self.ran_action.add(registered.rulesets[index])
                    action = started[1]
                    while action is not None:
                        fired.append(action)
                        action = engine.complete_and_start_action(handle, state)
                retracted, state = engine.retract_fact(handle, text)
                pending = engine.start_action_for_state(handle, state)
        except Exception as exc:
            raise EngineError(f"durable_rules failed to match a snapshot: {exc}") from exc
        if outcome != 0:
            raise EngineError(f"durable_rules did not take a snapshot (outcome {outcome})")
        if retracted != 0 or pending is not None:
            raise EngineError("durable_rules did not retract a snapshot cleanly")
        fired = [_rule_name(action) for action in fired]
        if SENTINEL not in fired:
            raise EngineError(
                "durable_rules ran no action for a snapshot (sentinel rule did not fire)"
            )
        return [name for name in fired if name != SENTINEL]


def _never_run(_closure: object) -> None:  # pragma: no cover - never called
    raise AssertionError("the durable adapter completes actions without running them")


def _rule_name(action: str) -> str:
    """
    The rule that *action* (``{"<rule>": {"m": {...}}}``, as durable_rules
    serialises a started action) belongs to.
    """
    if not action.startswith('{"'):
        raise EngineError(f"durable_rules started an action of unexpected form: {action[:80]}")
    return action[2 : action.index('"', 2)]
