"""
Evaluation: the IR, backends behind a protocol and a registry, grading,
obligations and statuses, explanation, the incident check, Engine.

The public names here are :class:`Engine`, :class:`Tracking` (an
evaluation advanced as an incident grows), the backend registry
(:func:`register_backend`, :func:`backend_names`, :data:`BACKENDS`,
:data:`DEFAULT_BACKEND`) and the protocols a backend meets
(:class:`Backend`, :class:`Session`).  Importing this package does not load
durable_rules; the ``durable`` backend imports it when first built.
"""

from opinion_rules.engine._backend import Backend, BackendFactory, Session
from opinion_rules.engine._engine import Engine
from opinion_rules.engine._registry import (
    BACKENDS,
    DEFAULT_BACKEND,
    backend_names,
    register_backend,
)
from opinion_rules.engine._tracking import Tracking


__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Backend",
    "BackendFactory",
    "Engine",
    "Session",
    "Tracking",
    "backend_names",
    "register_backend",
]
