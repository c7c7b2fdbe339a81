"""
The year schedules: recording China's official holidays in the store (with
corrections and their history), and bringing the materialised agenda up to
date when a schedule changes what the plans require.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from opinion_rules._problems import describe_value
from opinion_rules.exceptions import PlanError, Problem, RecordFormatError, StoreError
from opinion_rules.model._facts import Incident
from opinion_rules.planfile._schedules import read_year_schedule, schedule_to_data
from opinion_rules.store._connection import IN_LIST_SIZE
from opinion_rules.store._log import incident_data
from opinion_rules.store._outbox import Outbox
from opinion_rules.store._plans import YEAR_COLUMNS
from opinion_rules.store._records import ScheduleReceipt, StoredSchedule
from opinion_rules.store._schema import (
    SCHEMA_VERSION,
    YEARS_TABLE,
    outbox_statements,
    years_statements,
)
from opinion_rules.store._values import (
    canonical,
    checked_instant,
    checked_text,
    json_problem,
    to_us,
)
from opinion_rules.time._calendars import ChinaCalendar, YearSchedule


__all__ = ["ScheduleKeeper"]


def _reaches_covered_years(schedule: YearSchedule) -> bool:
    """
    Whether *schedule* changes days that already had data: its year is
    one the installed ``chinesecalendar`` package covers, or it schedules
    days of another year (元旦 starting in the last week of the year
    before).
    """
    first, last = ChinaCalendar().years
    days = (*schedule.days_off, *schedule.workdays)
    return first <= schedule.year <= last or any(d.year != schedule.year for d in days)


class ScheduleKeeper(Outbox):
    """
    The case store's year schedules.
    """

    def add_schedule(
        self, schedule: YearSchedule, *, recorded_at: datetime, recorded_by: str
    ) -> ScheduleReceipt:
        """
        Store a year of China's official holidays, transcribed from the State
        Council's notice (``docs/how-to/add-a-calendar-year.md``), for every
        evaluation the store makes with a plan that uses the China calendar.

        A plan's own schedule for the year wins: the stored one only fills
        years its calendar does not schedule.  The same schedule again is a
        no-op (``duplicate=True``, the stored recording's receipt).  A
        different schedule for a stored year is a correction: it is recorded
        too, the latest recording is the one in force, and every recording
        stays in :meth:`schedule_history`.

        In the same transaction the materialised agenda is brought up to
        date: every incident with an ``undecided`` row is re-evaluated at the
        instant its rows were evaluated at, and the other incidents pinned to
        a plan that takes the schedule and still owing something are marked
        stale, so that the next :meth:`agenda` re-evaluates them.  When the
        year already had data (a correction, a year the ``chinesecalendar``
        package covers, days in another year, or the first schedule of a
        store written by an older version), every incident pinned to such a
        plan is marked stale.  The log is never touched.

        Args:
            schedule: The year, e.g. from
                :func:`~opinion_rules.calendars.load_year_schedule`.
            recorded_at: When this is recorded (for the audit only: the
                schedule applies to every instant of its year).
            recorded_by: Who records it.

        Raises:
            RecordFormatError: *recorded_by*, or the schedule's source or
                festival names, are not text the store can keep.
            FactError: *recorded_at* is naive or out of range.
            StoreUnavailableError: the store cannot be written.

        .. versionadded:: 0.5.0
        """
        if not isinstance(schedule, YearSchedule):
            raise TypeError(f"add_schedule needs a YearSchedule (got {describe_value(schedule)})")
        subject = f"the {schedule.year} schedule"
        checked_text(subject, "recorded_by", recorded_by)
        checked_text(subject, "source", schedule.source)
        recorded_at = checked_instant(subject, "recorded_at", recorded_at)
        data = schedule_to_data(schedule)
        problem = json_problem(data, "schedule")
        if problem is not None:
            raise RecordFormatError(subject, [problem])
        content = canonical(data)
        try:
            same = read_year_schedule(content, "json", subject) == schedule
        except PlanError:
            same = False
        if not same:
            raise StoreError(
                f"{subject} cannot be stored: its year-file text does not read back as the same "
                "schedule; expected a schedule that schedule_to_data can write in full"
            )
        with self._transaction(write=True):
            self._calendar_lock(exclusive=True)
            upgraded = not self._has_table(YEARS_TABLE)
            if upgraded:  # a layout-1 store: layout 2 adds the table
                # Layout 3's tables too, so that the layout number means them all.
                for statement in (
                    *years_statements(self._COLUMN_TYPES),
                    *outbox_statements(self._COLUMN_TYPES),
                ):
                    self._fetch(statement)
                self._fetch(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                    (str(SCHEMA_VERSION),),
                )
            rows = self._fetch(
                f"SELECT {YEAR_COLUMNS} FROM {YEARS_TABLE} WHERE calendar = 'china' AND "  # noqa: S608 - constants
                "year = ? ORDER BY seq DESC LIMIT 1",
                (schedule.year,),
            )
            latest = None if not rows else self._stored_year(rows[0])
            if latest is not None and latest.schedule == schedule:
                return ScheduleReceipt(
                    latest.calendar,
                    schedule.year,
                    latest.seq,
                    latest.schedule.source,
                    latest.recorded_at,
                    latest.recorded_by,
                    duplicate=True,
                )
            seq = int(
                self._fetch(
                    f"INSERT INTO {YEARS_TABLE} (calendar, year, source, content, recorded_at, "  # noqa: S608 - constants
                    "recorded_us, recorded_by) VALUES ('china', ?, ?, ?, ?, ?, ?) RETURNING seq",
                    (
                        schedule.year,
                        schedule.source,
                        content,
                        recorded_at.isoformat(),
                        to_us(recorded_at),
                        recorded_by,
                    ),
                )[0][0]
            )
            self._sync_years()
            keys = self._calendar_keys(schedule.year)
            had_data = upgraded or latest is not None or _reaches_covered_years(schedule)
            marked = self._mark_stale(keys, every=had_data)
            reevaluated = self._reevaluate_undecided(keys)
        return ScheduleReceipt(
            "china",
            schedule.year,
            seq,
            schedule.source,
            recorded_at,
            recorded_by,
            replaces=None if latest is None else latest.seq,
            reevaluated=tuple(reevaluated),
            stale=len(marked - set(reevaluated)),
        )

    def schedules(self) -> list[YearSchedule]:
        """
        The year schedules in force (the latest recording of each year),
        sorted by year; none for a store that never had one.

        .. versionadded:: 0.5.0
        """
        with self._transaction(write=False):
            self._sync_years()
            return list(self._years)

    def schedule_history(self, year: int | None = None) -> list[StoredSchedule]:
        """
        Every recording of a year schedule (or of *year*), in recording
        order, each saying whether it is in force.

        .. versionadded:: 0.5.0
        """
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            raise RecordFormatError(
                "schedule_history",
                [
                    Problem(
                        "year", "is not a whole number", "a year such as 2027", describe_value(year)
                    )
                ],
            )
        sql = f"SELECT {YEAR_COLUMNS} FROM {YEARS_TABLE}"  # noqa: S608 - constants
        with self._transaction(write=False):
            if not self._has_table(YEARS_TABLE):
                return []
            if year is None:
                rows = self._fetch(sql + " ORDER BY seq")
            else:
                rows = self._fetch(sql + " WHERE year = ? ORDER BY seq", (year,))
            stored = [self._stored_year(r) for r in rows]
        latest = {(s.calendar, s.schedule.year): s.seq for s in stored}
        return [
            attrs.evolve(s, in_force=latest[(s.calendar, s.schedule.year)] == s.seq) for s in stored
        ]

    def _calendar_keys(self, year: int) -> list[str]:
        """
        The stored plan versions that take a stored schedule for *year*:
        those with the China calendar and no schedule of their own for it.
        """
        keys = sorted(str(r[0]) for r in self._fetch("SELECT plan_key FROM plans"))
        out = []
        for key in keys:
            calendar = self._stored_plan(key).calendar
            if isinstance(calendar, ChinaCalendar) and year not in {
                s.year for s in calendar.schedules
            }:
                out.append(key)
        return out

    def _mark_stale(self, keys: Sequence[str], *, every: bool) -> set[str]:
        """
        Make the agenda rows of the incidents pinned to *keys* stale at every
        instant (their next change is when they were evaluated), so that the
        next agenda re-evaluates them; return those incidents.  Unless
        *every*, only incidents that still have rows: an incident that owes
        nothing cannot be changed by a year that had no data before (an
        evaluation that reached into it left an action undecided or waiting,
        and those have rows).
        """
        live = (
            ""
            if every
            else " AND EXISTS (SELECT 1 FROM agenda_rows r WHERE r.incident_id = "
            "agenda_state.incident_id)"
        )
        marked: set[str] = set()
        for start in range(0, len(keys), IN_LIST_SIZE):
            chunk = keys[start : start + IN_LIST_SIZE]
            marks = ", ".join("?" for _ in chunk)
            rows = self._fetch(
                "UPDATE agenda_state SET next_change_us = evaluated_us WHERE plan_key IN "  # noqa: S608 - only placeholders and a constant clause
                f"({marks}){live} RETURNING incident_id",
                chunk,
            )
            marked.update(str(r[0]) for r in rows)
        return marked

    def _reevaluate_undecided(self, keys: Sequence[str]) -> list[str]:
        """
        Re-evaluate, with the schedules now in force, every incident pinned
        to *keys* that has an ``undecided`` agenda row, at the instant its
        rows were evaluated at and with the log as it was then; store the new
        rows.  Returns those incidents.
        """
        rows = self._fetch(
            "SELECT DISTINCT s.incident_id, s.plan_key, s.evaluated_at, s.evaluated_us, "
            "s.last_seq FROM agenda_rows r JOIN agenda_state s ON s.incident_id = r.incident_id "
            "WHERE r.status = 'undecided' ORDER BY s.incident_id"
        )
        wanted = set(keys)
        done: list[str] = []
        for row in rows:
            with self._reading("the agenda's state"):
                incident_id, key = str(row[0]), str(row[1])
                evaluated_at, evaluated_us = datetime.fromisoformat(str(row[2])), int(row[3])
                last_seq = int(row[4])
            if key not in wanted:
                continue
            log = self._log(incident_id, evaluated_us)
            incident = Incident.from_dict(incident_data(incident_id, log), source="stored incident")
            assessment = self._engine(key).evaluate(incident, at=evaluated_at)
            self._materialise(incident_id, key, assessment, evaluated_at, last_seq)
            # Listeners hear of it as of a write (none without an earlier notification).
            self._notify(incident_id, key, assessment, evaluated_at, None)
            done.append(incident_id)
        return done
