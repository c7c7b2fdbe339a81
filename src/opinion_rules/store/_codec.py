"""
Assessments as JSON data and back, exactly: the listeners' outbox keeps the
assessment of each notified write, so that a notification delivered after a
restart carries the very objects the write computed.

This is not :meth:`Assessment.to_dict` (the reader's rendering, in the
plan's timezone, with derived fields): every field of every value class is
kept, instants with their UTC offsets, and decoding builds (and so
validates) the value classes again.  It is driven by the classes' field
types, so a field added to a result class is kept without a change here.
"""

from __future__ import annotations

import functools
import types
import typing
from datetime import datetime
from typing import Any

import attrs

from opinion_rules.model import _clauses, _not_applicable, _results
from opinion_rules.model._not_applicable import NotApplicable, fact_from_json, fact_json
from opinion_rules.model._results import ActionStatus, Assessment


__all__ = ["action_from_data", "action_to_data", "assessment_from_data", "assessment_to_data"]


def _encode(value: object) -> object:
    if isinstance(value, NotApplicable):
        return fact_json(value)
    cls: Any = type(value)
    if attrs.has(cls):
        return {f.name: _encode(getattr(value, f.name)) for f in attrs.fields(cls)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


# The names the result classes' annotations use (their __module__ is the
# public module, which does not import them all).
_NAMES = {**vars(_clauses), **vars(_not_applicable), **vars(_results)}


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, globalns=_NAMES)


def _decode(kind: Any, data: object) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if data is None and type(None) in options:
            return None
        if NotApplicable in options:  # a fact value: a scalar or not applicable
            return fact_from_json(data)
        (only,) = [o for o in options if o is not type(None)]
        return _decode(only, data)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        if not isinstance(data, list):
            raise TypeError(f"expected a list, got {type(data).__name__}")
        return tuple(_decode(item, v) for v in data)
    if origin is typing.Literal:
        if data not in typing.get_args(kind):
            raise ValueError(f"{data!r} is not one of {typing.get_args(kind)}")
        return data
    if kind is datetime:
        if not isinstance(data, str):
            raise TypeError(f"expected an instant, got {type(data).__name__}")
        return datetime.fromisoformat(data)
    if isinstance(kind, type) and attrs.has(kind):
        if not isinstance(data, dict):
            raise TypeError(f"expected an object for {kind.__name__}, got {type(data).__name__}")
        hints = _field_types(kind)
        return kind(**{f.name: _decode(hints[f.name], data[f.name]) for f in attrs.fields(kind)})
    if kind in (str, int, bool) and not isinstance(data, kind):
        raise TypeError(f"expected a {kind.__name__}, got {type(data).__name__}")
    return data


def assessment_to_data(assessment: Assessment) -> dict[str, Any]:
    """
    *assessment* as JSON data, every field kept.
    """
    data = _encode(assessment)
    assert isinstance(data, dict)  # noqa: S101 - an attrs instance encodes to a dict
    return data


def assessment_from_data(data: object) -> Assessment:
    """
    The assessment :func:`assessment_to_data` made *data* from.

    Raises:
        TypeError, ValueError, KeyError: *data* is not such data.
    """
    result: Assessment = _decode(Assessment, data)
    return result


def action_to_data(action: ActionStatus) -> dict[str, Any]:
    """
    *action* as JSON data, every field kept.
    """
    data = _encode(action)
    assert isinstance(data, dict)  # noqa: S101 - an attrs instance encodes to a dict
    return data


def action_from_data(data: object) -> ActionStatus:
    """
    The action status :func:`action_to_data` made *data* from.
    """
    result: ActionStatus = _decode(ActionStatus, data)
    return result
