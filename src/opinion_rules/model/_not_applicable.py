"""
Facts that are known not to apply: a ranking that is "未上榜" is known, has
no number, and never satisfies a comparison.  That is different from an
unknown fact (no value yet), which keeps conditions over it unknown.

In the JSON interchange format a not-applicable value is written
``{"not_applicable": true}``; ``null`` keeps meaning nothing (unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


__all__ = ["NOT_APPLICABLE", "FactValue", "NotApplicable", "fact_from_json", "fact_json"]


@attrs.frozen(repr=False)
class NotApplicable:
    """
    The value of a fact known not to apply (a ranking that is "未上榜"), as
    opposed to unknown.  Use the one instance :data:`NOT_APPLICABLE`.

    Only facts whose :class:`~opinion_rules.FactSpec` sets
    ``may_be_not_applicable`` take it.  Every comparison over it is false
    (known), so ``not`` of one is true; it is never a number.  In the JSON
    interchange format it is ``{"not_applicable": true}``.

    .. versionadded:: 0.6.0
    """

    def __repr__(self) -> str:
        return "NOT_APPLICABLE"

    def __str__(self) -> str:
        return "not applicable"

    def to_json(self) -> dict[str, bool]:
        """
        The interchange form, ``{"not_applicable": true}``.
        """
        return {"not_applicable": True}


#: The value of a fact known not to apply (see :class:`NotApplicable`).
NOT_APPLICABLE = NotApplicable()

#: A fact's value: a scalar, or :data:`NOT_APPLICABLE`.
FactValue = int | float | str | bool | NotApplicable


def fact_from_json(value: object) -> Any:
    """
    A fact value read from JSON: ``{"not_applicable": true}`` is
    :data:`NOT_APPLICABLE`; anything else is returned unchanged.
    """
    if isinstance(value, Mapping) and len(value) == 1 and value.get("not_applicable") is True:
        return NOT_APPLICABLE
    return value


def fact_json(value: object) -> object:
    """
    A fact value in its JSON form (the inverse of :func:`fact_from_json`).
    """
    return value.to_json() if isinstance(value, NotApplicable) else value
