"""
A lint finding: what ``check`` reports beyond the structural errors, from
the built-in checks and from plug-ins.
"""

from __future__ import annotations

import attrs


__all__ = ["Finding"]


@attrs.frozen
class Finding:
    """
    One lint result.

    Attributes:
        severity: ``error`` or ``warning``.
        code: A stable short name, e.g. ``grade-gap``.
        path: Where in the plan, e.g. ``grades[1].criteria``.
        message: What was found, with an example input where it helps.

    .. versionadded:: 0.2.0
    """

    severity: str
    code: str
    path: str
    message: str
