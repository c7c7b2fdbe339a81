"""
The backend registry: backend names to the factories that build them.

The registry is a module-level mapping filled at import with the two
built-in backends.  That is acceptable global state because it maps names to
*code* (factories), as Python's codec registry does: it holds no plan, no
engine and no default that changes results, only what a name means, and a
registered name can never be re-bound, so nothing registered later changes
what an existing name builds.  Engines look their backend up once, when they
are made.  Registering the ``durable`` factory does not import durable_rules:
:class:`~opinion_rules.engine._durable.DurableBackend` imports it when first
built.
"""

from __future__ import annotations

import threading
from typing import Literal

from opinion_rules.engine._backend import Backend, BackendFactory
from opinion_rules.engine._durable import DurableBackend
from opinion_rules.engine._ir import Program
from opinion_rules.engine._python import PythonBackend
from opinion_rules.exceptions import BackendUnavailableError


__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "backend_names",
    "make_backend",
    "register_backend",
]

BackendName = Literal["python", "durable"]
#: The built-in backends, always registered (``durable`` may still be
#: unavailable in an interpreter where durable_rules does not import).
BACKENDS: tuple[BackendName, ...] = ("python", "durable")
#: The default backend: the faster one that passes the differential suite
#: (see docs/explanation/engines.md for the measurements).
DEFAULT_BACKEND: BackendName = "python"

_FACTORIES: dict[str, BackendFactory] = {"python": PythonBackend, "durable": DurableBackend}
_LOCK = threading.Lock()


def register_backend(name: str, factory: BackendFactory) -> None:
    """
    Make *factory* the backend called *name*: ``Engine(plan, backend=name)``
    then calls ``factory(program)`` and uses what it returns, which must
    meet the :class:`~opinion_rules.engine.Backend` protocol.

    Raises:
        ValueError: if *name* is empty or already registered (names are
            never re-bound, the built-ins included).

    .. versionadded:: 0.6.0
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a backend name must be a non-empty string (got {name!r})")
    if not callable(factory):
        raise TypeError(f"backend {name!r}: the factory must be callable (got {factory!r})")
    with _LOCK:
        if name in _FACTORIES:
            raise ValueError(f"backend {name!r} is already registered")
        _FACTORIES[name] = factory


def backend_names() -> tuple[str, ...]:
    """
    The names of every registered backend: the built-ins, then the others
    in the order they were registered.
    """
    with _LOCK:
        return tuple(_FACTORIES)


def make_backend(name: str, program: Program) -> Backend:
    """
    Build backend *name* for *program*.

    Raises:
        BackendUnavailableError: if *name* is not registered, or the backend
            cannot run here.
    """
    with _LOCK:
        factory = _FACTORIES.get(name)
    if factory is None:
        raise BackendUnavailableError(
            name, f"unknown backend; expected one of {list(backend_names())}"
        )
    return factory(program)
