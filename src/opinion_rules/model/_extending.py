"""
What plug-ins provide and plans require, as data: named functions usable
in conditions, named aggregations for measures, and a plan's requirement
on a plug-in.

The hooks that return them are in :mod:`opinion_rules.plugins._hookspecs`;
the plug-ins a host enables are a :class:`~opinion_rules.plugins._manager.PluginSet`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import attrs
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion

from opinion_rules._validators import is_identifier, non_empty_text


__all__ = [
    "BUILTIN_AGGREGATES",
    "VALUE_TYPES",
    "Aggregation",
    "Function",
    "Requirement",
    "SeriesAmount",
    "ValueType",
]

ValueType = Literal["number"]
#: The types a function's arguments and result may have.  Conditions compare
#: numbers, so numbers are what a function takes and gives.
VALUE_TYPES: tuple[ValueType, ...] = ("number",)
#: The aggregates every measure may use without a plug-in.
BUILTIN_AGGREGATES = ("sum", "max", "distinct_sites")


def _is_callable(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise TypeError(f"'{attribute.name}' must be callable (got {value!r})")


def _value_types(values: Sequence[str]) -> tuple[ValueType, ...]:
    return tuple(values)  # type: ignore[arg-type]


def _are_value_types(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    for item in value:  # type: ignore[attr-defined]
        if item not in VALUE_TYPES:
            raise ValueError(
                f"'{attribute.name}' must list value types {list(VALUE_TYPES)} (got {item!r})"
            )


@attrs.frozen
class Function:
    """
    A named pure function usable in conditions, e.g. ``heat_index(clicks,
    reposts) > 80``.

    Args:
        name: The name conditions call it by (an identifier).
        func: Called with one number per argument; returns a number, or
            ``None`` when the value is unknown.  It must be pure: the same
            arguments always give the same result, and it reads nothing
            else (evaluation at an instant sees only what was known then).
        args: The type of each argument, in order (``"number"``).
        result: The type of the result (``"number"``).
        doc: One line for ``render`` and the docs.

    .. versionadded:: 0.6.0
    """

    name: str = attrs.field(validator=is_identifier)
    func: Callable[..., int | float | None] = attrs.field(validator=_is_callable)
    args: tuple[ValueType, ...] = attrs.field(
        default=("number",), converter=_value_types, validator=_are_value_types
    )
    result: ValueType = "number"
    doc: str = ""

    def __attrs_post_init__(self) -> None:
        if self.result not in VALUE_TYPES:
            raise ValueError(f"'result' must be one of {list(VALUE_TYPES)} (got {self.result!r})")


@attrs.frozen
class SeriesAmount:
    """
    One observed series in a measure's window, as a plug-in aggregation
    sees it: its site, channel and post, and its amount in the window (the
    growth of a cumulative series, the sum of an incremental one).

    .. versionadded:: 0.6.0
    """

    site: str | None
    channel: str | None
    post: str | None
    amount: int | float


@attrs.frozen
class Aggregation:
    """
    A named way to combine the series of a measure's window into one value,
    e.g. a share of negative posts or a vendor's index.

    Args:
        name: The name a measure's ``aggregate`` uses (an identifier, not
            one of the built-in ``sum``, ``max``, ``distinct_sites``).
        compute: Called with the :class:`SeriesAmount` of every series of the
            measure's metric and channels observed by the instant (amounts
            over the measure's window); returns a number, or ``None`` when the
            value is unknown.

            **Contract:** the value depends only on those amounts.  Then it
            can change only where an observation enters or leaves the window,
            which the engine already visits, so evaluation as of any instant
            and ``next_change`` stay exact.
        doc: One line for ``render`` and the docs.

    .. versionadded:: 0.6.0
    """

    name: str = attrs.field(validator=is_identifier)
    compute: Callable[[Sequence[SeriesAmount]], int | float | None] = attrs.field(
        validator=_is_callable
    )
    doc: str = ""

    def __attrs_post_init__(self) -> None:
        if self.name in BUILTIN_AGGREGATES:
            raise ValueError(f"{self.name!r} is a built-in aggregate; choose another name")


@attrs.frozen
class Requirement:
    """
    A plug-in a plan needs: ``requires: [{plugin: guangxi-rules, version:
    ">=1.0"}]``.

    Args:
        plugin: The plug-in's name (its entry-point name in the group
            ``opinion_rules.plugins``).
        version: A version specifier (PEP 440), e.g. ``>=1.0,<2``; empty:
            any version.

    .. versionadded:: 0.6.0
    """

    plugin: str = attrs.field(validator=non_empty_text)
    version: str = attrs.field(default="")

    @version.validator
    def _check_version(self, _attribute: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str):
            raise TypeError(f"'version' must be a version specifier (got {value!r})")
        try:
            SpecifierSet(value)
        except InvalidSpecifier:
            raise ValueError(
                f"'version' is not a version specifier (got {value!r}); "
                "write e.g. '>=1.0' or '>=1.2,<2'"
            ) from None

    def allows(self, version: str) -> bool:
        """
        Whether *version* meets :attr:`version` (any version when empty; a
        plug-in that states no version meets only an empty requirement).
        """
        if not self.version:
            return True
        try:
            return SpecifierSet(self.version).contains(version, prereleases=True)
        except InvalidVersion:
            return False
