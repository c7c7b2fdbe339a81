"""
The plan sentence a model element comes from.
"""

from __future__ import annotations

from typing import Any

import attrs

from opinion_rules._validators import non_empty_text


__all__ = ["Clause", "optional_clause"]


@attrs.frozen
class Clause:
    """
    The plan sentence a model element comes from.

    Args:
        ref: Where it is in the plan, e.g. ``五(一)3``.
        text: The sentence, quoted verbatim.

    .. versionadded:: 0.1.0
    """

    ref: str = attrs.field(validator=non_empty_text)
    text: str = attrs.field(validator=non_empty_text)

    def __str__(self) -> str:
        return f"{self.ref} {self.text}"


def optional_clause(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Clause):
        raise TypeError(
            f"'{attribute.name}' must be a Clause (got {value!r}, a {type(value).__name__})"
        )
