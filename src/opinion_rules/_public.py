"""
Give public names their public address.

The library's classes and functions are written in private modules
(``opinion_rules.model._conditions``) and reached through public ones
(``opinion_rules.conditions``).  :func:`publish` sets each one's
``__module__`` to the public module, so reprs, tracebacks, documentation and
pickles name the place users import from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import FunctionType


__all__ = ["is_private", "publish"]


def is_private(module: str) -> bool:
    """
    Tell whether *module* is private: some part of its dotted name starts with ``_``.
    """
    return any(part.startswith("_") for part in module.split("."))


def publish(module: str, namespace: Mapping[str, object], names: Iterable[str]) -> None:
    """
    Set ``__module__`` to *module* on the classes and functions *names* of *namespace*.

    Only names still showing a private module change: the first public module
    to publish a name is its address (a name reachable from two public
    modules keeps the first).  Constants and objects of other packages are
    left alone.
    """
    for name in names:
        obj = namespace[name]
        if (
            isinstance(obj, type | FunctionType)
            and _ours(obj.__module__)
            and is_private(obj.__module__)
        ):
            obj.__module__ = module


def _ours(module: str) -> bool:
    return module == "opinion_rules" or module.startswith("opinion_rules.")
