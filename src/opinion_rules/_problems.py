"""
One thing wrong with a plan or an incident, and values rendered for
messages; the errors that list problems carry :class:`Problem` (public in
:mod:`opinion_rules.exceptions`).
"""

from __future__ import annotations

import attrs


__all__ = ["Problem", "describe_value"]


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
        refers_to: The id of the plan item the problem says is not defined,
            when it says that (not rendered; for tools: the plan-file reader
            drops such a problem when the item is in the file but failed to
            build, since its own problem is already reported).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0 *file*, *line* and *column*.
    .. versionchanged:: 0.6.0 *refers_to*.
    """

    path: str
    message: str
    expected: str | None = None
    got: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    refers_to: str | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.line is not None:
            text = f"{self.file or '<string>'}:{self.line}:{self.column or 1}: {text}"
        if self.expected is not None:
            text += f"; expected {self.expected}"
        if self.got is not None:
            text += f" (got {self.got})"
        return text


def describe_value(value: object) -> str:
    """
    Render *value* for an error message: its repr and its type.
    """
    try:
        text = repr(value)
    except RecursionError:  # a structure nested deeper than repr goes
        text = f"a {type(value).__name__} nested too deeply to show"
    except ValueError:  # an integer of more than 4,300 digits
        text = f"a {type(value).__name__} too long to show"
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text}, a {type(value).__name__}"
