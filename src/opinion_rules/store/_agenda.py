"""
The agenda: what is owed across incidents, kept as materialised rows per
incident (derived data, refreshed when it goes stale) and equal to
evaluating each incident afresh.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from opinion_rules._limits import LONGEST_PERIOD, duration_problem
from opinion_rules._problems import describe_value
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.model._facts import Incident
from opinion_rules.model._results import ActionStatus, Assessment, Owner
from opinion_rules.store._connection import IN_LIST_SIZE
from opinion_rules.store._log import LogReader, incident_data
from opinion_rules.store._values import canonical, checked_instant, to_us


__all__ = ["MATERIALISED", "AgendaItem", "AgendaKeeper", "agenda_of", "agenda_wants"]

#: The statuses the materialised agenda keeps a row for.
MATERIALISED: tuple[str, ...] = ("waiting", "pending", "overdue", "undecided")
#: How many stale incidents the agenda replays at a time (read, evaluate,
#: store, drop): bounds its memory whatever the number that went stale.
_REFRESH_CHUNK = 500
_STALE_SQL = "SELECT incident_id, plan_key, evaluated_us, last_seq FROM agenda_state WHERE "
_AGENDA_SQL = (
    "SELECT incident_id, plan_key, action_id, title, owners, status, due, clause_ref, reason "
    "FROM agenda_rows WHERE "
)


@attrs.frozen
class AgendaItem:
    """
    One action on the agenda: owed now or soon, for one incident.

    Attributes:
        incident_id: The incident.
        plan_key: The plan version the incident is pinned to, e.g.
            ``work-safety@2023-1``.
        action_id, title: The action.
        owners: The owner roles (ids and names), lead first.
        status: ``overdue``, ``pending`` or ``undecided`` (the due time
            needs a calendar year neither the plan, the installed
            ``chinesecalendar`` package nor the store has:
            :meth:`CaseStore.add_schedule`).
        due: The due instant in the plan's timezone; ``None`` when the plan
            gives no time, or the action is undecided.
        clause_ref: The clause reference, e.g. ``五(一)3``.
        reason: Why it applies and how its due time is set.
        grade_id, grade_name: The incident's grade when the item was
            evaluated (the grade ``assess`` gives), or ``None`` when it has
            none (ungraded, or a plan of duties only).
        timezone: The plan's timezone (an IANA name, e.g.
            ``Asia/Shanghai``), in which *due* is given and people read it;
            ``None`` only for items built by hand without one.

    .. versionadded:: 0.4.0
    .. versionchanged:: 0.5.0 status ``undecided``.
    .. versionchanged:: 0.6.0 *grade_id*, *grade_name*, *timezone*.
    """

    incident_id: str
    plan_key: str
    action_id: str
    title: str
    owners: tuple[Owner, ...]
    status: str
    due: datetime | None
    clause_ref: str | None
    reason: str
    grade_id: str | None = None
    grade_name: str | None = None
    timezone: str | None = None

    def time_left(self, at: datetime) -> timedelta | None:
        """
        How long from *at* until the item is due: negative when it is
        overdue (its lateness), ``None`` when it has no due time.
        :func:`describe_time_left` puts it in words.

        .. versionadded:: 0.6.0
        """
        return None if self.due is None else self.due - at

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data.

        .. versionadded:: 0.4.0
        .. versionchanged:: 0.6.0 keys ``grade`` (``{"id", "name"}`` or
           ``null``) and ``timezone``.
        """
        return {
            "incident": self.incident_id,
            "plan": self.plan_key,
            "action": self.action_id,
            "title": self.title,
            "owners": [{"id": o.id, "name": o.name} for o in self.owners],
            "status": self.status,
            "due": None if self.due is None else self.due.isoformat(),
            "clause": self.clause_ref,
            "reason": self.reason,
            "grade": None
            if self.grade_id is None
            else {"id": self.grade_id, "name": self.grade_name},
            "timezone": self.timezone,
        }


def agenda_wants(status: str, due: datetime | None, until: datetime) -> bool:
    """
    Whether an action with *status* and *due* belongs on an agenda looking
    ahead to *until*: overdue, undecided (owed, its due time unknown until
    the calendar has the year), or pending and due by *until* or with no due
    time.
    """
    return status in ("overdue", "undecided") or (
        status == "pending" and (due is None or due <= until)
    )


def _sort_key(item: AgendaItem) -> tuple[bool, int, str, str]:
    due = 0 if item.due is None else to_us(item.due)
    return (item.due is None, due, item.incident_id, item.action_id)


def _extras(assessment: Assessment) -> dict[str, object]:
    """
    The incident-wide part of an agenda row's ``owners`` column: the grade
    and the timezone (kept with the owners, so that the agenda reads them
    without a replay and without a change of the table layout; rows stored
    before 0.6.0 hold the bare owners list: see ``_Cell``).
    """
    grade = assessment.grade
    return {
        "grade": None if grade is None else [grade.id, grade.name],
        "timezone": assessment.timezone,
    }


def _row(
    incident_id: str, key: str, action: ActionStatus, timezone: str, extras: dict[str, object]
) -> tuple[object, ...]:
    due = action.due
    return (
        incident_id,
        action.id,
        key,
        action.status,
        None if due is None else due.astimezone(ZoneInfo(timezone)).isoformat(),
        None if due is None else to_us(due),
        action.title,
        canonical({**extras, "owners": [[o.id, o.name] for o in action.owners]}),
        None if action.clause is None else action.clause.ref,
        action.reason,
    )


def agenda_of(
    incident_id: str, key: str, assessment: Assessment, until: datetime
) -> list[AgendaItem]:
    """
    The agenda items of one assessment, looking ahead to *until*: the
    reference the materialised agenda must equal.
    """
    tz = ZoneInfo(assessment.timezone)
    grade = assessment.grade
    return [
        AgendaItem(
            incident_id,
            key,
            a.id,
            a.title,
            a.owners,
            a.status,
            None if a.due is None else a.due.astimezone(tz),
            None if a.clause is None else a.clause.ref,
            a.reason,
            None if grade is None else grade.id,
            None if grade is None else grade.name,
            assessment.timezone,
        )
        for a in assessment.actions
        if agenda_wants(a.status, a.due, until)
    ]


#: What an agenda row's ``owners`` column holds: the owners, the grade (id
#: and name) and the timezone; ``None`` for the latter two in a row stored
#: before 0.6.0, whose incident the agenda then re-evaluates.
_Cell = tuple[tuple[Owner, ...], tuple[str, str] | None, str | None]


@functools.lru_cache(maxsize=1024)
def _owners(text: str) -> _Cell:
    # A plan has few owner lists; agenda rows repeat them thousands of times.
    data = json.loads(text)
    if isinstance(data, list):  # stored before 0.6.0: owners only
        return tuple(Owner(i, n) for i, n in data), None, None
    grade = data["grade"]
    owners = tuple(Owner(i, n) for i, n in data["owners"])
    return owners, None if grade is None else (str(grade[0]), str(grade[1])), str(data["timezone"])


class AgendaKeeper(LogReader):
    """
    The case store's agenda and its materialised rows.
    """

    def _materialise(
        self,
        incident_id: str,
        key: str,
        assessment: Assessment,
        evaluated_at: datetime,
        last_seq: int,
    ) -> None:
        """
        Store *assessment*'s waiting, pending and overdue actions and when it
        goes stale (its ``next_change``); derived data, never the log.
        """
        # The state row first: every writer of an incident's rows takes its
        # lock before touching them, so concurrent writers queue, not deadlock.
        nxt = assessment.next_change
        self._fetch(
            "INSERT INTO agenda_state (incident_id, plan_key, evaluated_at, evaluated_us, "
            "next_change_us, last_seq) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id) DO "
            "UPDATE SET evaluated_at = excluded.evaluated_at, evaluated_us = "
            "excluded.evaluated_us, next_change_us = excluded.next_change_us, last_seq = "
            "excluded.last_seq",
            (
                incident_id,
                key,
                evaluated_at.isoformat(),
                to_us(evaluated_at),
                None if nxt is None else to_us(nxt),
                last_seq,
            ),
        )
        self._fetch("DELETE FROM agenda_rows WHERE incident_id = ?", (incident_id,))
        extras = _extras(assessment)
        self._run_many(
            "INSERT INTO agenda_rows (incident_id, action_id, plan_key, status, due, due_us, "
            "title, owners, clause_ref, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_row(incident_id, key, a, assessment.timezone, extras) for a in assessment.actions
             if a.status in MATERIALISED],
        )  # fmt: skip

    def agenda(self, at: datetime, horizon: timedelta = timedelta(hours=24)) -> list[AgendaItem]:
        """
        What is owed across all incidents at *at*: every overdue action,
        every undecided one (its due time needs a calendar year nobody has
        given yet: :meth:`add_schedule`), and every pending one due by *at* +
        *horizon* or with no due time.

        The result equals evaluating each incident known at *at* with its
        plan at *at* and keeping those actions, but it reads materialised
        rows: only incidents whose rows are stale at *at* (their next change
        has come, or they were evaluated after *at*) are replayed, a chunk
        at a time (each chunk's logs read, evaluated, its rows stored and
        dropped before the next), so memory stays bounded however many went
        stale.  When *at*
        is not before their evaluation, the refreshed rows are stored
        (derived data only; the log is never touched), unless the store is
        read-only.

        Raises:
            FactError: *at* is naive or out of range, or *horizon* is not a
                timedelta from zero to 100 years.

        Returns:
            Items sorted by due time (``None`` last), incident id and action
            id.

        .. versionadded:: 0.4.0
        .. versionchanged:: 0.5.0 undecided actions.
        """
        at = checked_instant("agenda", "at", at)
        expected = f"a timedelta from 0 to {LONGEST_PERIOD.days} days"
        problem = duration_problem(horizon)
        if problem is not None:
            raise FactError(
                "agenda", [Problem("horizon", problem, expected, describe_value(horizon))]
            )
        at_us = to_us(at)
        until = at + horizon
        with self._transaction(write=False):
            rows = [
                r
                for query in (
                    _STALE_SQL + "next_change_us <= ?",
                    _STALE_SQL + "evaluated_us > ?",
                )
                for r in self._fetch(query, (at_us,))
            ]
            materialised, legacy = self._agenda_rows(to_us(until))
            # Rows stored before 0.6.0 lack the grade and timezone: their
            # incidents are replayed as if stale (and stored anew).
            rows += self._states(sorted(legacy))
            with self._reading("the agenda's state"):
                stale = {str(r[0]): (str(r[1]), int(r[2]), int(r[3])) for r in rows}
            years = self._sync_years()
            engines = {key: self._engine(key) for key in {key for key, _, _ in stale.values()}}
        items = [item for item in materialised if item.incident_id not in stale]
        # Stale incidents are replayed in chunks (read, evaluate, store, drop),
        # so memory stays bounded however many went stale.
        ids = sorted(stale)
        for start in range(0, len(ids), _REFRESH_CHUNK):
            chunk = ids[start : start + _REFRESH_CHUNK]
            with self._transaction(write=False):
                logs = self._logs(chunk, at_us)
            refreshed: list[tuple[str, str, Assessment, int]] = []
            for incident_id in chunk:
                key, evaluated_us, last_seq = stale[incident_id]
                log = logs.pop(incident_id, None)
                if not log:  # opened after `at`: not known then
                    continue
                incident = Incident.from_dict(
                    incident_data(incident_id, log), source="stored incident"
                )
                assessment = engines[key].evaluate(incident, at=at)
                items.extend(agenda_of(incident_id, key, assessment, until))
                if at_us >= evaluated_us:
                    refreshed.append((incident_id, key, assessment, last_seq))
            if refreshed and self._read_only is None:  # a read-only store is read, not refreshed
                self._refresh(refreshed, at, years)
        items.sort(key=_sort_key)
        return items

    def _states(self, incident_ids: list[str]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(incident_ids), IN_LIST_SIZE):
            chunk = incident_ids[start : start + IN_LIST_SIZE]
            marks = ", ".join("?" for _ in chunk)
            rows += self._fetch(_STALE_SQL + f"incident_id IN ({marks})", chunk)
        return rows

    def _agenda_rows(self, until_us: int) -> tuple[list[AgendaItem], set[str]]:
        # Four index range scans on (status, due_us), not one OR, so that
        # each is answered from the index whatever the query planner thinks.
        rows = [
            *self._fetch(_AGENDA_SQL + "status = 'overdue'"),
            *self._fetch(_AGENDA_SQL + "status = 'undecided'"),
            *self._fetch(_AGENDA_SQL + "status = 'pending' AND due_us <= ?", (until_us,)),
            *self._fetch(_AGENDA_SQL + "status = 'pending' AND due_us IS NULL"),
        ]
        items: list[AgendaItem] = []
        legacy: set[str] = set()
        with self._reading("an agenda row"):
            for r in rows:
                owners, grade, timezone = _owners(str(r[4]))
                if timezone is None:
                    legacy.add(str(r[0]))
                    continue
                items.append(
                    AgendaItem(
                        str(r[0]),
                        str(r[1]),
                        str(r[2]),
                        str(r[3]),
                        owners,
                        str(r[5]),
                        None if r[6] is None else datetime.fromisoformat(r[6]),
                        None if r[7] is None else str(r[7]),
                        str(r[8]),
                        None if grade is None else grade[0],
                        None if grade is None else grade[1],
                        timezone,
                    )
                )
        return items, legacy

    def _refresh(
        self, refreshed: list[tuple[str, str, Assessment, int]], at: datetime, years: int | None
    ) -> None:
        with self._transaction(write=True):
            self._calendar_lock(exclusive=False)
            if self._years_now() != years:
                # A year schedule was added since the rows were evaluated:
                # add_schedule brought the stored rows up to date, and these
                # assessments must not replace them.
                return
            for incident_id, key, assessment, last_seq in refreshed:
                # Only if no write came in since the rows were read: a newer
                # materialisation must not be replaced by an older one.
                if self._fetch(
                    "SELECT incident_id FROM agenda_state WHERE incident_id = ? AND "  # noqa: S608 - a constant lock clause
                    "last_seq = ? AND evaluated_us <= ?" + self._SKIP_LOCKED,
                    (incident_id, last_seq, to_us(at)),
                ):
                    self._materialise(incident_id, key, assessment, at, last_seq)
