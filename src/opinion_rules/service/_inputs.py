"""
Reading what a request sends: its JSON body (bounded, located), the fields
of a body object, and query parameters.

Bad input is the library's own errors: a body that is not JSON is a
:class:`~opinion_rules.exceptions.RecordFormatError` located
``body:LINE:COLUMN`` (answered 400); a body object with missing, unknown or
mistyped fields is one listing every problem (422); instants and durations
are read as the command line reads them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from opinion_rules._instants import parse_duration, parse_instant
from opinion_rules._reading import InputError, load_json
from opinion_rules._suggest import expected_names
from opinion_rules.exceptions import FactError, Problem, RecordFormatError
from opinion_rules.service._errors import HTTPProblem


__all__ = ["Field", "QueryParams", "body_object", "parse_body"]

#: A body field: its name, JSON type (``str`` or ``dict``) and whether required.
Field = tuple[str, type, bool]
_TYPES: dict[type, str] = {str: "a string", dict: "an object"}


def parse_body(raw: bytes, expected: str) -> Any:
    """
    The JSON document in *raw*.

    Raises:
        HTTPProblem: 400: not UTF-8, not JSON (located ``body:LINE:COLUMN``),
            or nested too deeply or holding too long a number.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(
            RecordFormatError("body", [Problem("", f"is not UTF-8 text: {exc.reason}", expected)])
        ) from None
    try:
        return load_json(text)
    except json.JSONDecodeError as exc:
        problem = Problem(
            "", f"not valid JSON: {exc.msg}", expected, file="body", line=exc.lineno,
            column=exc.colno,
        )  # fmt: skip
        raise _malformed(RecordFormatError("body", [problem])) from None
    except InputError as exc:
        problem = Problem(
            "", exc.message, exc.expected or expected, exc.got, file="body", line=exc.line,
            column=exc.column,
        )  # fmt: skip
        raise _malformed(RecordFormatError("body", [problem])) from None


def _malformed(exc: RecordFormatError) -> HTTPProblem:
    return HTTPProblem(400, str(exc), exc.problems, type(exc).__name__)


def body_object(data: object, fields: Sequence[Field]) -> dict[str, Any]:
    """
    *data* checked to be an object with *fields*: every required one, none
    unknown, each of its type.

    Raises:
        RecordFormatError: naming every problem by its path (``$.plan``).
    """
    if not isinstance(data, dict):
        names = ", ".join(name for name, _, _ in fields)
        raise RecordFormatError(
            "body", [Problem("$", "is not a JSON object", f"an object with {names}", _kind(data))]
        )
    known = {name: (kind, required) for name, kind, required in fields}
    problems = [
        Problem(f"$.{name}", "is not a field of this request", expected_names(name, known))
        for name in data
        if name not in known
    ]
    for name, (kind, required) in known.items():
        if name not in data:
            if required:
                problems.append(Problem(f"$.{name}", "is missing", _TYPES[kind]))
        elif not isinstance(data[name], kind):
            problems.append(
                Problem(f"$.{name}", "has the wrong type", _TYPES[kind], _kind(data[name]))
            )
    if problems:
        raise RecordFormatError("body", problems)
    return data


def _kind(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


class QueryParams:
    """
    A request's query parameters, each given at most once, read with the
    library's readers; :meth:`done` refuses any not read.
    """

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._values: dict[str, str] = {}
        self._problems: list[Problem] = []
        self._read: set[str] = set()
        for name, value in items:
            if name in self._values:
                self._problems.append(Problem(name, "is given more than once", "one value"))
            self._values[name] = value

    def text(self, name: str) -> str | None:
        """
        The parameter *name*, or ``None``.
        """
        self._read.add(name)
        return self._values.get(name)

    def instant(self, name: str) -> datetime | None:
        """
        The instant *name* (ISO 8601 with offset), or ``None``.

        Raises:
            FactError: it is not such an instant.
        """
        return parse_instant(name, self.text(name))

    def duration(self, name: str, default: str) -> timedelta:
        """
        The duration *name* (``24h``, ``3d``, ``1d12h``), or *default*.

        Raises:
            FactError: it is not such a duration.
        """
        return parse_duration(name, self.text(name) or default)

    def done(self) -> None:
        """
        Raises:
            FactError: a parameter was given twice, or is not one this
                request reads.
        """
        problems = list(self._problems)
        problems += [
            Problem(
                name,
                "is not a parameter of this request",
                expected_names(name, self._read) if self._read else "no parameters",
            )
            for name in self._values
            if name not in self._read
        ]
        if problems:
            raise FactError("query", problems)

    @classmethod
    def of(cls, query: Mapping[str, str] | Sequence[tuple[str, str]]) -> QueryParams:
        """
        The parameters *query* holds (pairs, or a mapping).
        """
        return cls(list(query.items()) if isinstance(query, Mapping) else list(query))
