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
