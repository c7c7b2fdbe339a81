"""
Judgements known when an incident arrives: a judgement fact's value given
with the incident's initial facts, with who made it and in which role
("经县委网信办研判，可能造成重大影响").

The rule for fact values (:func:`scalar_problem`) lives here too, so that
initial facts, judgements and ``fact`` events share it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from opinion_rules._limits import LARGEST_NUMBER, has_lone_surrogate, printable
from opinion_rules._problems import describe_value
from opinion_rules._validators import non_empty_text, optional_identifier
from opinion_rules.exceptions import Problem
from opinion_rules.model._not_applicable import (
    FactValue,
    NotApplicable,
    fact_from_json,
    fact_json,
)


__all__ = ["JUDGEMENT_KEYS", "Judgement", "read_judgement", "scalar_problem"]

#: The keys of a judgement given as an initial fact.
JUDGEMENT_KEYS = ("value", "by", "role")

SURROGATE = "holds a lone surrogate (e.g. from the JSON escape \\ud800), which is not Unicode text"
TOO_LARGE = "is larger than the largest supported number (10**100)"
SCALAR = "a string, number or boolean"


def scalar_problem(value: object) -> str | None:
    """
    Why *value* cannot be a fact value, or ``None``.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "is not finite"
    if isinstance(value, str) and has_lone_surrogate(value):
        return SURROGATE
    if not isinstance(value, int | float | str | bool):
        return "is not a scalar"
    if not isinstance(value, bool | str) and abs(value) > LARGEST_NUMBER:
        return TOO_LARGE
    return None


def _is_value(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    problem = None if isinstance(value, NotApplicable) else scalar_problem(value)
    if problem is not None:
        raise ValueError(f"'{attribute.name}' {problem} (got {describe_value(value)})")


@attrs.frozen
class Judgement:
    """
    The value of a judgement fact given with the incident, and who judged.

    A plan marks some facts as judgements (``FactSpec.judgement``): they
    must come from a named body.  An incident that arrives with the body's
    judgement already made gives it among its initial ``facts`` as a
    ``Judgement``; it counts from the start, like any initial fact.  In the
    interchange format it is ``{"value": ..., "by": ..., "role": ...}``.

    Args:
        value: The fact's value.
        by: Who made the judgement (a person or unit).
        role: The plan role *by* judged in; required when the fact names
            the roles that may judge it (``FactSpec.judged_by``).

    .. versionadded:: 0.6.0
    """

    value: FactValue = attrs.field(validator=_is_value)
    by: str = attrs.field(validator=non_empty_text)
    role: str | None = attrs.field(default=None, validator=optional_identifier)

    def to_dict(self) -> dict[str, Any]:
        """
        The judgement in the interchange format.
        """
        out: dict[str, Any] = {"value": fact_json(self.value), "by": self.by}
        if self.role is not None:
            out["role"] = self.role
        return out


def read_judgement(data: Mapping[Any, Any], path: str) -> tuple[Judgement | None, list[Problem]]:
    """
    The judgement *data* (a parsed JSON object) describes, or the problems
    with it, located under *path*.
    """
    problems = [
        Problem(
            f"{path}.{printable(str(key))}",
            "is not a known field",
            f"one of {list(JUDGEMENT_KEYS)}",
        )
        for key in data
        if key not in JUDGEMENT_KEYS
    ]
    value = fact_from_json(data.get("value"))
    if "value" not in data:
        problems.append(Problem(f"{path}.value", "is missing", "the fact's value"))
    elif not isinstance(value, NotApplicable) and (problem := scalar_problem(value)) is not None:
        problems.append(Problem(f"{path}.value", problem, SCALAR, describe_value(value)))
    by, role = data.get("by"), data.get("role")
    if not isinstance(by, str) or not by.strip() or has_lone_surrogate(by):
        got = None if "by" not in data else describe_value(by)
        problems.append(
            Problem(
                f"{path}.by",
                "is missing" if got is None else "is not a non-empty string",
                "who made the judgement (a person or unit)",
                got,
            )
        )
    if role is not None and not (
        isinstance(role, str)
        and role.isascii()
        and role[:1].isalpha()
        and all(c.isalnum() or c == "_" for c in role)
    ):
        problems.append(
            Problem(
                f"{path}.role",
                "is not an identifier",
                "a role id of the plan",
                describe_value(role),
            )
        )
    if problems:
        return None, problems
    return Judgement(value, by, role), []  # type: ignore[arg-type]  # checked above
