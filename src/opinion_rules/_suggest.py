"""
"Did you mean" suggestions for unknown names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def expected_names(name: str, known: Iterable[str]) -> str:
    """
    Describe what was expected instead of *name*: the closest known name if
    there is one, then the full list.
    """
    known = sorted(known)
    if not known:
        return "nothing: the plan declares none"
    close = difflib.get_close_matches(name, known, n=1)
    listing = ", ".join(repr(k) for k in known)
    if close:
        return f"one of {listing}; did you mean {close[0]!r}?"
    return f"one of {listing}"


#: Lists of names in messages stop after this many, and say how many in all.
NAMES_SHOWN = 30


def one_of(names: Iterable[str], *, ordered: bool = True) -> str:
    """
    ``one of [...]``, listing at most :data:`NAMES_SHOWN` names.
    """
    listed = sorted(names) if ordered else list(names)
    if len(listed) <= NAMES_SHOWN:
        return f"one of {listed}"
    return f"one of {listed[:NAMES_SHOWN]} … ({len(listed)} in all)"


def expected_names_capped(name: str, known: Iterable[str]) -> str:
    """
    :func:`expected_names`, with at most ``NAMES_SHOWN`` names listed.
    """
    names = list(known)
    if len(names) <= NAMES_SHOWN:
        return expected_names(name, names)
    names.sort()
    close = [n for n in names if n.lower() == name.lower()] or [
        n for n in names if n.startswith(name[:3])
    ][:1]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(repr(n) for n in names[:NAMES_SHOWN])
    return f"one of {shown}, … ({len(names)} in all){hint}"
