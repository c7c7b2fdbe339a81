"""
Errors as the service answers them: a status code and a JSON body with the
library's own message and problems.

The body is always ``{"error": {"type": ..., "message": ..., "problems":
[...]}}``: ``type`` is the library's exception class (or ``HTTPError`` for
what is wrong with the request itself: no token, wrong content type, a body
too large), ``message`` its one-line text, and ``problems`` its
:class:`~opinion_rules.exceptions.Problem` objects as JSON (empty when it
has none).
"""

from __future__ import annotations

from typing import Any

import attrs

from opinion_rules._limits import printable
from opinion_rules.exceptions import (
    ConflictError,
    EngineError,
    OpinionRulesError,
    OutOfOrderError,
    Problem,
    StoreUnavailableError,
    UnknownIncidentError,
    UnknownPlanError,
)


__all__ = ["HTTPProblem", "error_body", "problem_json", "status_of"]


@attrs.frozen
class HTTPProblem(Exception):  # noqa: N818 - an answer, not a library error
    """
    What is wrong with a request itself (its token, content type or size,
    its JSON), answered with *status*; never escapes the service.
    """

    status: int
    message: str
    problems: tuple[Problem, ...] = ()
    type: str = "HTTPError"
    headers: tuple[tuple[str, str], ...] = ()


def status_of(exc: OpinionRulesError) -> int:
    """
    The HTTP status for a library error: 404 unknown incident or plan, 409
    a conflicting id or a write that lost a race on the log's clock, 422
    any other bad input, 503 the store is unreachable, 500 a backend
    failure (a bug).
    """
    if isinstance(exc, UnknownIncidentError | UnknownPlanError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, OutOfOrderError):
        # recorded_at is stamped by the service: only another writer's later
        # commit can make it go back; an item from the future is bad input.
        return 409 if exc.field == "recorded_at" else 422
    if isinstance(exc, StoreUnavailableError):
        return 503
    if isinstance(exc, EngineError):
        return 500
    # FactError, RecordFormatError, PlanError, CalendarRangeError, PluginError ...
    return 422


def problem_json(problem: Problem) -> dict[str, Any]:
    """
    A problem as JSON: every field, ``null`` when not set.
    """
    return {
        "path": problem.path,
        "message": problem.message,
        "expected": problem.expected,
        "got": problem.got,
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
    }


def error_body(exc: OpinionRulesError | HTTPProblem) -> dict[str, Any]:
    """
    The JSON body answering *exc*.
    """
    if isinstance(exc, HTTPProblem):
        kind, message, problems = exc.type, exc.message, exc.problems
    else:
        kind = type(exc).__name__
        message = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        problems = tuple(getattr(exc, "problems", ()))
    return {
        "error": {
            "type": kind,
            "message": printable(message),
            "problems": [problem_json(p) for p in problems],
        }
    }
