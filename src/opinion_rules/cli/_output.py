"""
What the command line prints: one-line messages, JSON, text tables and the
assessment report shared by ``evaluate`` and ``track show``.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

import attrs

from opinion_rules._limits import printable
from opinion_rules.model._not_applicable import fact_json
from opinion_rules.model._results import ActionStatus, Assessment


__all__ = [
    "HOW_TO_ADD_A_YEAR",
    "Streams",
    "calendar_warnings",
    "one_line",
    "render_table",
    "table",
    "text_width",
    "warn",
    "write_json",
]

HOW_TO_ADD_A_YEAR = "docs/how-to/add-a-calendar-year.md"
# Missed recurrences listed by due time before "and N more".
_MISSED_SHOWN = 5


@attrs.frozen
class Streams:
    """
    Where a command reads and writes.
    """

    out: TextIO
    err: TextIO
    stdin: TextIO


def one_line(exc: Exception) -> str:
    """
    An error message on one line, printable whatever text it quotes.
    """
    return printable("; ".join(line.strip() for line in str(exc).splitlines() if line.strip()))


def warn(err: TextIO, text: str) -> None:
    """
    Print a warning line on *err*.
    """
    print(f"opinion-rules: warning: {text}", file=err)


def write_json(out: TextIO, data: object) -> None:
    """
    Print *data* as indented JSON, non-ASCII text as is.
    """
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def text_width(text: str) -> int:
    """
    Columns *text* takes in a terminal: wide characters (CJK) take two.
    """
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """
    The header and rows in left-aligned columns; the last column is not
    padded.
    """
    widths = [max(text_width(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell + " " * max(0, widths[i] - text_width(cell)) for i, cell in enumerate(row[:-1])
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """
    A text table (see :func:`_aligned`), or ``""`` when there are no rows.
    """
    return "\n".join(_aligned(header, rows)) + "\n" if rows else ""


def calendar_warnings(assessment: Assessment) -> list[str]:
    """
    One line per calendar year that left actions undecided, naming them.
    """
    gaps: dict[str, list[str]] = {}
    for u in assessment.undecided:
        for need in u.needs:
            if need.startswith("calendar:"):
                gaps.setdefault(u.reason.removeprefix("undecided: "), []).append(u.id)
    return [
        f"{why} (see {HOW_TO_ADD_A_YEAR}); undecided until then: {', '.join(ids)}"
        for why, ids in gaps.items()
    ]


def _short(value: datetime | None, assessment: Assessment) -> str:
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(assessment.timezone)).strftime("%Y-%m-%d %H:%M")


def _due_cell(action: ActionStatus, assessment: Assessment) -> str:
    if action.due is not None:
        return _short(action.due, assessment)
    if action.status == "undecided":
        return "undecided"
    if action.deadline_kind == "recurring" and action.done_at is not None:
        return "ended"
    if action.anchor_at is None:
        return "-"
    if action.deadline_kind == "until":
        return "continuing"
    return "no time set"


def render_table(assessment: Assessment) -> str:
    """
    Render an assessment as a readable text report.
    """
    lines = [
        f"plan      {assessment.plan_id} {assessment.plan_title} ({assessment.plan_version})",
        f"incident  {assessment.incident_id}, as of {assessment.at.isoformat()}",
    ]
    if not assessment.grade_scale:
        lines.append("grade     none: the plan sets duties only (no grade scale)")
    elif assessment.grade is None:
        lines.append("grade     ungraded: no grade's criteria have held")
    else:
        g = assessment.grade
        lines.append(
            f"grade     {g.name} ({g.id}, rank {g.rank}) since {_short(g.since, assessment)}"
        )
        lines.append(f"          because {g.reason}")
        if assessment.grade_driver != "computed":
            lines.append(f"          (the plan's grade is set by: {assessment.grade_driver})")
        if len(assessment.grade_history) > 1:
            steps = " -> ".join(
                f"{h.name} {_short(h.since, assessment)}" for h in assessment.grade_history
            )
            lines.append(f"history   {steps}")
    if assessment.categories:
        names = ", ".join(
            f"{c.name} ({c.id}"
            + ("" if c.until is None else f", withdrawn at {_short(c.until, assessment)}")
            + ")"
            for c in assessment.categories
        )
        lines.append(f"category  {names}")
    else:
        lines.append("category  none matched")
    for j in assessment.judgements:
        role = f" ({j.role})" if j.role else ""
        when = "given with the incident" if j.at is None else f"at {_short(j.at, assessment)}"
        value = json.dumps(fact_json(j.value), ensure_ascii=False)
        lines.append(f"judged    {j.name} ({j.fact}) = {value}, by {j.by}{role}, {when}")
    for u in assessment.undecided:
        if u.kind != "action" or any(n.startswith("calendar:") for n in u.needs):
            why = u.reason.removeprefix("undecided: ")
            lines.append(f"undecided {u.kind} {u.name}{f' ({u.id})' if u.id else ''}: {why}")
    if assessment.closed_at is not None:
        lines.append(f"closed    {_short(assessment.closed_at, assessment)}")
    lines.append("")
    rows = [
        (
            a.status,
            _due_cell(a, assessment),
            f"{a.id}: {a.title}",
            ", ".join(f"{o.id} ({o.duty})" if o.duty else o.id for o in a.owners)
            # Whom it is delivered to (报送对象), after the owners.
            + (f" -> {', '.join(r.id for r in a.recipients)}" if a.recipients else ""),
            a.clause.ref if a.clause else "-",
        )
        for a in assessment.actions
    ]
    # Unlike table(), the header stands even when no action applies.
    lines.extend(_aligned(("STATUS", "DUE", "ACTION", "OWNERS", "CLAUSE"), rows))
    if not rows and assessment.before_discovery:
        discovered = assessment.discovered_at
        assert discovered is not None  # noqa: S101 - before_discovery says so
        lines.append(
            f"(not yet discovered: the incident was discovered at "
            f"{discovered.astimezone(ZoneInfo(assessment.timezone)).isoformat()}, after the "
            "evaluation instant; nothing applies before then)"
        )
    elif not rows:
        lines.append("(no action applies)")
    lines.extend(_time_notes(assessment))
    return "\n".join(lines) + "\n"


def write_assessment(io: Streams, assessment: Assessment, *, as_json: bool) -> None:
    """
    Print *assessment* as ``evaluate`` and ``track show`` do: calendar
    warnings on stderr, then the JSON document or the table on stdout.
    """
    for line in calendar_warnings(assessment):
        warn(io.err, line)
    if as_json:
        write_json(io.out, assessment.to_dict())
    else:
        io.out.write(render_table(assessment))


def _time_notes(assessment: Assessment) -> list[str]:
    """
    Missed recurrences, extensions, report chains and the next change.
    """
    out = []
    for a in assessment.actions:
        if a.missed:
            shown = ", ".join(_short(m, assessment) for m in a.missed[:_MISSED_SHOWN])
            more = a.missed_count - _MISSED_SHOWN
            tail = f" and {more} more" if more > 0 else ""
            out.append(f"missed    {a.id}: {a.missed_count} occurrence(s) due {shown}{tail}")
        if a.overridden_by is not None:
            out.append(f"overridden {a.id}: by {a.overridden_by}")
        if a.cancelled_at is not None:
            out.append(f"cancelled {a.id}: at {_short(a.cancelled_at, assessment)}")
        if a.withdrawn_at is not None:
            out.append(
                f"withdrawn {a.id}: at {_short(a.withdrawn_at, assessment)}, "
                "its condition no longer holds"
            )
        if a.regrade is not None and a.regrade != "from_upgrade":
            out.append(f"regrade   {a.id}: clock {a.regrade} (plan's re-grading rule)")
        if a.extended_from is not None and a.due is not None:
            out.append(
                f"extended  {a.id}: from {_short(a.extended_from, assessment)} "
                f"to {_short(a.due if a.plan_due is None else a.plan_due, assessment)}"
            )
        if a.plan_due is not None and a.due is not None:
            out.append(
                f"promised  {a.id}: due {_short(a.due, assessment)}, "
                f"earlier than the plan's {_short(a.plan_due, assessment)}"
            )
    for c in assessment.chains:
        if c.due is not None:
            bound = f"whole chain due {_short(c.due, assessment)}"
        elif c.bound is not None:
            bound = f"whole chain within {c.bound} of its start"
        else:
            bound = "no whole-chain limit"
        out.append(f"chain     {c.id} ({' -> '.join(c.hops)}): {c.status}, {bound}")
    if assessment.next_change is not None:
        tz = ZoneInfo(assessment.timezone)
        # Full precision: a deadline passes one microsecond after its due
        # instant, which minutes would hide.
        out.append(f"next change {assessment.next_change.astimezone(tz).isoformat()}")
    return ["", *out] if out else []
