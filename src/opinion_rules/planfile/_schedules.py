"""
Year schedule files: one year of China's official holidays, transcribed
from the State Council's notice, in YAML, TOML or JSON::

    year: 2027
    source: 国务院办公厅关于2027年部分节假日安排的通知 (国办发明电〔2026〕N号)
    festivals:
      - {name: 元旦, days_off: 2027-01-01}
      - {name: 春节, days_off: [2027-02-06, 2027-02-13], workdays: [2027-01-31]}
      - {name: [国庆节, 中秋节], days_off: [2027-10-01, 2027-10-07], workdays: [2027-09-26]}

(with made-up dates).  ``days_off`` is one day or ``[first, last]``;
``workdays`` lists the make-up working days.  (Not ``off``/``on``: YAML
reads those words as false and true.)  The file is read like a plan file,
with the same bounds and every problem located as ``file:line:column``, and
checked like :class:`~opinion_rules.calendars.YearSchedule`: complete or refused.
``docs/how-to/add-a-calendar-year.md`` is the routine.
"""

from __future__ import annotations

import os
from pathlib import Path

from opinion_rules.exceptions import PlanLoadError, PlanValidationError
from opinion_rules.planfile._calendar_fields import read_year_schedule_node, schedule_to_data
from opinion_rules.planfile._located import FileSyntaxError, Node, parse_document
from opinion_rules.planfile._reader import Reader
from opinion_rules.planfile._sources import SUFFIXES, Load, read_plan_bytes
from opinion_rules.time._calendars import YearSchedule


__all__ = ["load_year_schedule", "read_year_schedule", "schedule_to_data"]


def load_year_schedule(path: str | os.PathLike[str]) -> YearSchedule:
    """
    Read a year schedule file; the suffix chooses the format.

    Raises:
        PlanLoadError: the file cannot be read or is not valid YAML, TOML
            or JSON (located).
        PlanValidationError: listing every problem, each located.

    .. versionadded:: 0.5.0
    """
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise PlanLoadError(
            str(path), f"unknown year schedule suffix; expected one of {list(SUFFIXES)}"
        )
    text = read_plan_bytes(path, str(path), noun="year schedule file")
    return read_year_schedule(text, fmt, str(path))


def read_year_schedule(text: str, fmt: str, source: str = "<string>") -> YearSchedule:
    """
    Read a year schedule from *text* in format *fmt* (``yaml``, ``toml``,
    ``json``); *source* names it in messages.

    .. versionadded:: 0.5.0
    """
    try:
        root = parse_document(text, fmt)
    except FileSyntaxError as exc:
        raise PlanLoadError(source, exc.message, line=exc.line, column=exc.column) from None
    return _checked(root, source)


def _checked(root: Node, source: str) -> YearSchedule:
    # A schedule names no other file, so its reader is allowed none.
    reader = Reader(source, Path(source).parent, Load(allowed=(), chain=()))
    schedule = read_year_schedule_node(reader, root, "")
    if reader.problems or schedule is None:
        raise PlanValidationError(source, reader.problems)
    return schedule
