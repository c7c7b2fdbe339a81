"""
Every error and warning opinion_rules raises.

The tree::

    OpinionRulesError(Exception)          catch this to catch everything we raise
    ├── PlanError                         the plan is wrong (the author's fix)
    │   ├── PlanLoadError                 the plan could not be read or imported
    │   └── PlanValidationError           one or more problems; ``.problems``
    ├── FactError(OpinionRulesError, ValueError)
    │                                     the incident facts are wrong (the
    │                                     caller's fix); ``.problems``
    ├── CalendarRangeError(OpinionRulesError, LookupError)
    │                                     a working calendar does not cover a
    │                                     day the evaluation needs
    ├── BackendUnavailableError           the requested backend cannot run here
    └── EngineError                       a backend failed (never the user's
                                          fault); ``__cause__`` kept

Every error that describes bad input keeps the individual problems as
:class:`Problem` objects (``path``, ``message``, ``expected``, ``got``), and
renders one line per problem.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs


__all__ = [
    "BackendUnavailableError",
    "CalendarRangeError",
    "EngineError",
    "FactError",
    "OpinionRulesError",
    "PlanError",
    "PlanLoadError",
    "PlanValidationError",
    "Problem",
]


@attrs.frozen
class Problem:
    """
    One thing wrong with a plan or an incident.

    Args:
        path: Where the problem is, e.g. ``grades[1].criteria`` or
            ``observations[3].at``.
        message: What is wrong, in one sentence.
        expected: What was expected instead, if that can be said.
        got: A short rendering of the offending value, if any.
        file, line, column: Where in a plan file the problem is (1-based),
            when it comes from one; rendered as ``file:line:column:``.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0 *file*, *line* and *column*.
    """

    path: str
    message: str
    expected: str | None = None
    got: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.line is not None:
            text = f"{self.file or '<string>'}:{self.line}:{self.column or 1}: {text}"
        if self.expected is not None:
            text += f"; expected {self.expected}"
        if self.got is not None:
            text += f" (got {self.got})"
        return text


def describe(value: object) -> str:
    """
    Render *value* for an error message: its repr and its type.
    """
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text}, a {type(value).__name__}"


class OpinionRulesError(Exception):
    """
    Root of every exception opinion_rules raises.

    .. versionadded:: 0.1.0
    """


class _ProblemsMixin:
    """
    Shared rendering for errors that carry a tuple of problems.
    """

    subject: str
    problems: tuple[Problem, ...]

    def _render(self) -> str:
        if len(self.problems) == 1:
            problem = self.problems[0]
            # A located problem already starts with its file.
            return str(problem) if problem.line is not None else f"{self.subject}: {problem}"
        lines = [f"{self.subject}: {len(self.problems)} problems"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


class PlanError(OpinionRulesError):
    """
    The plan is wrong; the plan author has to fix it.

    .. versionadded:: 0.1.0
    """


class PlanLoadError(PlanError):
    """
    A plan could not be read, imported or found.

    Attributes:
        source: The file path or ``module:attribute`` that was asked for.
        reason: Why it could not be loaded.
        line, column: Where in the file (1-based), for a syntax error.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0 *line* and *column*.
    """

    def __init__(
        self, source: str, reason: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        self.column = column
        where = source if line is None else f"{source}:{line}:{column or 1}"
        super().__init__(f"{where}: {reason}")


class PlanValidationError(_ProblemsMixin, PlanError):
    """
    A plan object was built with one or more problems.

    All problems found are reported at once.

    Attributes:
        subject: What was being validated, e.g. ``plan 'work-safety'``.
        problems: Every problem found.

    .. versionadded:: 0.1.0
    """

    def __init__(self, subject: str, problems: Iterable[Problem]) -> None:
        self.subject = subject
        self.problems = tuple(problems)
        super().__init__(self._render())


class FactError(_ProblemsMixin, OpinionRulesError, ValueError):
    """
    The incident facts are wrong; the caller has to fix them.

    Raised for naive datetimes, negative counts, unknown metrics, facts or
    action ids, and missing required fields.  Nothing is coerced silently.

    Attributes:
        subject: What was being read, e.g. ``incident 'INC-1'``.
        problems: Every problem found.

    .. versionadded:: 0.1.0
    """

    def __init__(self, subject: str, problems: Iterable[Problem]) -> None:
        self.subject = subject
        self.problems = tuple(problems)
        super().__init__(self._render())


class CalendarRangeError(OpinionRulesError, LookupError):
    """
    A working calendar was asked about a day it has no data for.

    Deadlines in working days need the real holiday schedule of every year
    they cross; the library never guesses one.  Supply a calendar that covers
    the year (a newer ``chinesecalendar``, or a
    :class:`~opinion_rules.DataCalendar`).

    Attributes:
        calendar: The calendar's name.
        day: The day asked about.
        years: ``(first, last)`` years the calendar covers, if known.

    .. versionadded:: 0.3.0
    """

    def __init__(
        self,
        calendar: str,
        day: date,
        years: tuple[int, int] | None,
        detail: str | None = None,
    ) -> None:
        self.calendar = calendar
        self.day = day
        self.years = years
        if detail is None:
            covered = "" if years is None else f" (it covers {years[0]}-{years[1]})"
            detail = (
                f"has no data for {day.year}{covered}; expected a calendar covering {day}: "
                "upgrade chinesecalendar or give the plan a data calendar for that year"
            )
        super().__init__(f"calendar {calendar!r} {detail}")


class BackendUnavailableError(OpinionRulesError):
    """
    The requested evaluation backend cannot run in this interpreter.

    For example, ``durable`` on Python 3.13+, where durable_rules does not
    import.

    Attributes:
        backend: The backend name that was asked for.

    .. versionadded:: 0.1.0
    """

    def __init__(self, backend: str, reason: str) -> None:
        self.backend = backend
        super().__init__(f"backend {backend!r} is unavailable: {reason}")


class EngineError(OpinionRulesError):
    """
    An evaluation backend failed.

    This is never the caller's fault; the original exception is kept as
    ``__cause__``.

    .. versionadded:: 0.1.0
    """
