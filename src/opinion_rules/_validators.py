"""
attrs validators shared by the plan and fact models.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import attrs

from ._limits import has_lone_surrogate, instant_problem


_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


def is_identifier(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """
    Require an ASCII identifier: a letter, then letters, digits or ``_``.

    Identifiers become field names in compiled rules, so they are kept to a
    character set every backend accepts.
    """
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise ValueError(
            f"'{attribute.name}' must be an identifier (a letter, then "
            f"letters, digits or '_') (got {value!r})"
        )


def optional_identifier(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """
    ``None``, or an identifier (see :func:`is_identifier`).
    """
    if value is not None:
        is_identifier(_inst, attribute, value)


def is_slug(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """
    Require a slug: letters, digits, ``.``, ``_`` or ``-``.
    """
    if not isinstance(value, str) or not _SLUG.match(value):
        raise ValueError(
            f"'{attribute.name}' must be letters, digits, '.', '_' or '-' (got {value!r})"
        )


def non_empty_text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """
    Require a non-blank string.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'{attribute.name}' must be non-empty text (got {value!r})")
    if has_lone_surrogate(value):
        raise ValueError(
            f"'{attribute.name}' holds a lone surrogate (e.g. from a JSON escape such as "
            "\\ud800), which is not Unicode text; expected text that can be stored and printed"
        )


def optional_token(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """
    Allow ``None`` or an identifier-like text: non-blank, without whitespace
    (e.g. a post's id ``weibo:4987654321`` or its address).
    """
    if value is None:
        return
    non_empty_text(_inst, attribute, value)
    if any(c.isspace() for c in str(value)):
        raise ValueError(f"'{attribute.name}' must contain no whitespace (got {value!r})")


def is_aware(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """
    Require a timezone-aware datetime.
    """
    if value is None:
        return
    if not isinstance(value, datetime):
        raise TypeError(
            f"'{attribute.name}' must be a datetime (got {value!r}, a {type(value).__name__})"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"'{attribute.name}' must be timezone-aware (got naive {value})")
    problem = instant_problem(value)
    if problem is not None:
        raise ValueError(f"'{attribute.name}' {problem} (got {value.isoformat()})")


def non_negative_duration(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """
    Require a timedelta that is zero or positive.
    """
    if value is None:
        return
    if not isinstance(value, timedelta):
        raise TypeError(f"'{attribute.name}' must be a timedelta (got {value!r})")
    if value < timedelta(0):
        raise ValueError(f"'{attribute.name}' must not be negative (got {value})")


def positive_duration(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """
    Require a timedelta longer than zero.
    """
    if not isinstance(value, timedelta):
        raise TypeError(f"'{attribute.name}' must be a timedelta (got {value!r})")
    if value <= timedelta(0):
        raise ValueError(f"'{attribute.name}' must be longer than zero (got {value})")
