"""
Reading incident files: a bounded, regular UTF-8 file, parsed as JSON with
errors located by line and column, then read by
:meth:`~opinion_rules.Incident.from_dict`.
"""

from __future__ import annotations

import json
from pathlib import Path

from opinion_rules._limits import INCIDENT_FILE_BYTES
from opinion_rules._reading import InputError, load_json, read_limited
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.model._facts import Incident


__all__ = ["load_incident", "parse_incident_json"]


def load_incident(path: str | Path) -> Incident:
    """
    Read an incident from a JSON file in the interchange format.

    Raises:
        FactError: if the file cannot be read, is not JSON (with line and
            column), or does not follow the format.

    .. versionadded:: 0.1.0
    """
    path = Path(path)
    text = _read_incident_file(path)
    return Incident.from_dict(parse_incident_json(text, str(path)), source=str(path))


def parse_incident_json(text: str, source: str) -> object:
    """
    Parse JSON *text* within the bounds of :func:`._reading.load_json`.

    Raises:
        FactError: located as ``source:line:column``.
    """
    expected = "a JSON object in the incident format"
    try:
        return load_json(text)
    except json.JSONDecodeError as exc:
        problem = Problem("", f"not valid JSON: {exc.msg}", expected)
        raise FactError(f"{source}:{exc.lineno}:{exc.colno}", [problem]) from None
    except InputError as exc:
        raise _located(source, exc, expected) from None


def _read_incident_file(path: Path) -> str:
    """
    The file's text: a regular file (never a FIFO that would block) of at
    most :data:`INCIDENT_FILE_BYTES`, in UTF-8.
    """
    try:
        return read_limited(path, INCIDENT_FILE_BYTES, "incident file")
    except InputError as exc:
        raise _located(str(path), exc, None) from None


def _located(source: str, problem: InputError, expected: str | None) -> FactError:
    where = source if problem.line is None else f"{source}:{problem.line}:{problem.column}"
    return FactError(
        where, [Problem("", problem.message, problem.expected or expected, problem.got)]
    )
