"""
The case store: a durable, append-only log of incidents, with as-of replay
and a materialised agenda.

An incident is opened pinned to one stored plan version; everything learned
about it afterwards is appended to its log as *entries*, each one item of
the incident interchange format (an observation or an event) with the
caller's entry id, who recorded it and when.  The incident at any instant is
rebuilt by replaying the entries recorded up to then, so "what did we know
at T, and what did the plan require then?" always has an exact answer.

The store also keeps calendar reference data: years of the China calendar
from the State Council's notice (:meth:`CaseStore.add_schedule`), applied
to every evaluation it makes with a plan that follows that calendar.

The two backends (:class:`~opinion_rules.SQLiteStore`,
:class:`~opinion_rules.PostgresStore`) only supply connections, transactions
and DDL; every rule lives here.  The reference is
``docs/reference/case-store.md``; the reasons are in
``docs/explanation/case-store.md``.
"""

from __future__ import annotations

import abc
import contextlib
import difflib
import functools
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType, TracebackType
from typing import Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo

import attrs

from opinion_rules._limits import (
    INCIDENT_JSON_DEPTH,
    LONGEST_PERIOD,
    NUMBER_CHARACTERS,
    has_lone_surrogate,
    instant_problem,
    period_problem,
    printable,
)
from opinion_rules._suggest import expected_names
from opinion_rules.engine._engine import Engine
from opinion_rules.exceptions import (
    DuplicateEntryError,
    FactError,
    IncidentConflictError,
    OpinionRulesError,
    OutOfOrderError,
    PlanConflictError,
    PlanError,
    Problem,
    RecordFormatError,
    StoreError,
    StoreUnavailableError,
    UnknownIncidentError,
    UnknownPlanError,
)
from opinion_rules.exceptions import describe_value as describe
from opinion_rules.model._facts import Incident
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import ActionStatus, Assessment, Owner
from opinion_rules.planfile._planfile import dump_plan, read_plan_text
from opinion_rules.planfile._schedules import read_year_schedule, schedule_to_data
from opinion_rules.time._calendars import ChinaCalendar, YearSchedule


__all__ = [
    "AgendaItem",
    "CaseStore",
    "LogEntry",
    "Receipt",
    "ScheduleReceipt",
    "StoredSchedule",
    "open_store",
]

EntryKind = Literal["open", "observation", "event"]
#: The kinds of log entries: the opening, then observations and events.
ENTRY_KINDS: tuple[EntryKind, ...] = ("open", "observation", "event")
#: What a client entry may hold: exactly one of these keys besides ``id``.
ITEM_KINDS: tuple[str, ...] = ("observation", "event")
#: The statuses the materialised agenda keeps a row for.
MATERIALISED: tuple[str, ...] = ("waiting", "pending", "overdue", "undecided")
#: The version of the table layout; stores with a newer one are refused.
#: Layout 2 is layout 1 plus the ``calendar_years`` table; a layout-1 store
#: is read as one without year schedules, and becomes layout 2 with its
#: first :meth:`CaseStore.add_schedule`.
SCHEMA_VERSION = 2
#: The oldest table layout this version reads (and upgrades when it writes
#: a year schedule).
OLDEST_SCHEMA_VERSION = 1
#: The table of year schedules (layout 2).
YEARS_TABLE = "calendar_years"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ITEM_PATH = re.compile(r"^(observations|events)\[(\d+)\](.*)$", re.DOTALL)
_INSTANT = "a timezone-aware datetime, e.g. 2026-11-23T09:00:00+08:00"
_SURROGATE = "holds a lone surrogate (e.g. from the JSON escape \\ud800), which is not Unicode text"
_TEXT = "text that can be stored and printed"
_JSON_DATA = "strings, numbers, booleans, null, objects with string keys, arrays"
_LONGEST_NUMBER = 10**NUMBER_CHARACTERS
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# How many problems of one batch are reported, and entries named in the
# subject: enough to fix the sender, one screen rather than megabytes.
_MOST_PROBLEMS = 50
_MOST_ENTRIES = 10
# How many ids one ``IN (...)`` list carries; SQLite's default limit on
# bound parameters is 32,766, PostgreSQL's 65,535.
_CHUNK = 500
# The year schedules' state before it was first read in this session (any
# value a table's max(seq) never takes).
_UNREAD = -1
_YEAR_COLUMNS = "seq, calendar, year, content, recorded_at, recorded_by"


# -- value objects ----------------------------------------------------------------


@attrs.frozen
class Receipt:
    """
    What the store acknowledges for one written entry.

    Attributes:
        incident_id: The incident.
        entry_id: The client's entry id.
        seq: The entry's position in the store's log (increasing, unique
            across incidents).
        kind: ``open``, ``observation`` or ``event``.
        recorded_at: When the entry was recorded (the stored value: for a
            duplicate, the first recording's).
        recorded_by: Who recorded it (likewise the first recording's).
        duplicate: ``True`` when the same entry was already stored and
            nothing was written (an idempotent retry).

    .. versionadded:: 0.4.0
    """

    incident_id: str
    entry_id: str
    seq: int
    kind: EntryKind
    recorded_at: datetime
    recorded_by: str
    duplicate: bool = False

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data.

        .. versionadded:: 0.4.0
        """
        return {
            "incident": self.incident_id,
            "entry": self.entry_id,
            "seq": self.seq,
            "kind": self.kind,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "duplicate": self.duplicate,
        }


def _frozen_item(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class LogEntry:
    """
    One entry of an incident's append-only log.

    Attributes:
        seq: Position in the store's log.
        incident_id: The incident.
        entry_id: The client's entry id.
        kind: ``open``, ``observation`` or ``event``.
        recorded_at: When it was recorded, with the offset it was given in.
        recorded_by: Who recorded it.
        item: For ``observation`` and ``event``: the item exactly as sent,
            in the incident interchange format.  For ``open``: ``plan`` (the
            plan key), ``discovered_at``, ``posted_at`` (if given) and
            ``facts``.

    .. versionadded:: 0.4.0
    """

    seq: int
    incident_id: str
    entry_id: str
    kind: EntryKind
    recorded_at: datetime
    recorded_by: str
    item: Mapping[str, Any] = attrs.field(converter=_frozen_item)

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data.

        .. versionadded:: 0.4.0
        """
        return {
            "seq": self.seq,
            "incident": self.incident_id,
            "entry": self.entry_id,
            "kind": self.kind,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "item": dict(self.item),
        }


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

    .. versionadded:: 0.4.0
    .. versionchanged:: 0.5.0 status ``undecided``.
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

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data.

        .. versionadded:: 0.4.0
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
        }


@attrs.frozen
class ScheduleReceipt:
    """
    What the store acknowledges for one year schedule.

    Attributes:
        calendar: ``china`` (the calendar the notice schedules).
        year: The year.
        seq: The recording's position in the store's list of schedules
            (increasing, unique).
        source: The notice, as the schedule names it.
        recorded_at: When it was recorded (for a duplicate, the stored
            recording's).
        recorded_by: Who recorded it (likewise).
        duplicate: ``True`` when the year is already stored with the same
            content and nothing was written.
        replaces: The ``seq`` of the schedule for the same year that this
            one corrects, or ``None``.
        reevaluated: The incidents whose agenda rows were re-evaluated in
            the same transaction (those with ``undecided`` rows).
        stale: How many more incidents were marked for re-evaluation by the
            next :meth:`CaseStore.agenda`: those that still owe something
            (every one when the year already had data: a correction, a year
            the ``chinesecalendar`` package covers, or the first schedule of
            a store written by an older version).

    .. versionadded:: 0.5.0
    """

    calendar: str
    year: int
    seq: int
    source: str
    recorded_at: datetime
    recorded_by: str
    duplicate: bool = False
    replaces: int | None = None
    reevaluated: tuple[str, ...] = ()
    stale: int = 0

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data.

        .. versionadded:: 0.5.0
        """
        return {
            "calendar": self.calendar,
            "year": self.year,
            "seq": self.seq,
            "source": self.source,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "duplicate": self.duplicate,
            "replaces": self.replaces,
            "reevaluated": list(self.reevaluated),
            "stale": self.stale,
        }


@attrs.frozen
class StoredSchedule:
    """
    One recorded version of a year schedule, for the audit.

    Attributes:
        seq: Its position in the store's list of schedules.
        calendar: ``china``.
        schedule: The schedule.
        recorded_at, recorded_by: When and by whom it was recorded.
        in_force: Whether it is the latest recording for its year, the one
            every evaluation uses.

    .. versionadded:: 0.5.0
    """

    seq: int
    calendar: str
    schedule: YearSchedule
    recorded_at: datetime
    recorded_by: str
    in_force: bool

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data: the schedule in the year-file format.

        .. versionadded:: 0.5.0
        """
        return {
            "seq": self.seq,
            "calendar": self.calendar,
            "year": self.schedule.year,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "in_force": self.in_force,
            "schedule": schedule_to_data(self.schedule),
        }


# -- helpers shared by every backend ------------------------------------------------


def plan_key(plan: Plan) -> str:
    """
    The key a plan version is stored under: ``<id>@<version>``.
    """
    return f"{plan.id}@{plan.version}"


def with_years(plan: Plan, years: Sequence[YearSchedule]) -> Plan:
    """
    *plan* as the store evaluates it: its China calendar (if it has one)
    with the store's year schedules for the years it does not schedule
    itself.  A plan's own schedules are never replaced.
    """
    calendar = plan.calendar
    if not isinstance(calendar, ChinaCalendar) or not years:
        return plan
    own = {s.year for s in calendar.schedules}
    return plan.with_schedules(*(s for s in years if s.year not in own))


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


def to_us(at: datetime) -> int:
    """
    *at* as whole microseconds since 1970-01-01 UTC: exact, and ordered the
    same way in every backend.
    """
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def canonical(value: object) -> str:
    """
    The canonical JSON text of *value*: sorted keys, no spaces, no NaN.

    Two entries have the same content exactly when their canonical texts are
    equal.
    """
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


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


def _instant(subject: str, name: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise FactError(subject, [Problem(name, "is not a datetime", _INSTANT, describe(value))])
    if value.tzinfo is None or value.utcoffset() is None:
        raise FactError(subject, [Problem(name, "is naive", _INSTANT, value.isoformat())])
    problem = instant_problem(value)
    if problem is not None:
        raise FactError(subject, [Problem(name, problem, got=value.isoformat())])
    return value


def _text_problem(value: object) -> str | None:
    """
    Why *value* cannot be an id or a name in the store, or ``None``: NUL is
    refused by PostgreSQL, and a newline or another control character in an
    id or a name would break the command line's one-line output.
    """
    if not isinstance(value, str) or not value.strip():
        return "is not a non-empty string"
    if has_lone_surrogate(value):
        return _SURROGATE
    control = _CONTROL.search(value)
    if control is not None:
        return f"holds a control character ({control[0]!r})"
    return None


def _text(subject: str, name: str, value: object) -> str:
    """
    *value*, an id or a name the store can keep: non-empty Unicode text
    without control characters.
    """
    problem = _text_problem(value)
    if problem is not None:
        raise RecordFormatError(subject, [Problem(name, problem, _TEXT, describe(value))])
    assert isinstance(value, str)  # noqa: S101 - checked above
    return value


def _json_problem(value: object, path: str, depth: int = 0) -> Problem | None:
    """
    The first reason *value* is not JSON data the store can keep, at its
    path: nesting deeper than :data:`INCIDENT_JSON_DEPTH`, a key that is
    not a string, a lone surrogate in any key or string, a number that is
    not finite, or a value of another type.  The recursion stops at the
    depth bound, so it never meets Python's recursion limit.
    """
    if isinstance(value, str):
        return None if not has_lone_surrogate(value) else Problem(path, _SURROGATE, _TEXT)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if abs(value) < _LONGEST_NUMBER:
            return None
        return Problem(path, f"is a number of more than {NUMBER_CHARACTERS} digits", _JSON_DATA)
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return Problem(path, "is not a finite number", "a JSON number", repr(value))
    if not isinstance(value, Mapping | list | tuple):
        return Problem(path, "is not JSON data", _JSON_DATA, describe(value))
    if depth >= INCIDENT_JSON_DEPTH:
        return Problem(path, f"nests deeper than {INCIDENT_JSON_DEPTH} levels", _JSON_DATA)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return Problem(path, "has a key that is not a string", _JSON_DATA, describe(key))
            inner = f"{path}.{printable(key)}"
            if has_lone_surrogate(key):
                return Problem(inner, f"(the key) {_SURROGATE}", _TEXT)
            problem = _json_problem(item, inner, depth + 1)
            if problem is not None:
                return problem
        return None
    for index, item in enumerate(value):
        problem = _json_problem(item, f"{path}[{index}]", depth + 1)
        if problem is not None:
            return problem
    return None


def _sort_key(item: AgendaItem) -> tuple[bool, int, str, str]:
    due = 0 if item.due is None else to_us(item.due)
    return (item.due is None, due, item.incident_id, item.action_id)


@attrs.frozen
class _New:
    """
    One entry of a batch being recorded, after its envelope was checked.
    """

    index: int
    where: str
    entry_id: str
    kind: str
    item: Mapping[str, Any]
    content: str


@attrs.frozen
class _Stored:
    """
    One entry as read back from the log.
    """

    seq: int
    entry_id: str
    kind: EntryKind
    content: str
    recorded_at: datetime
    recorded_us: int
    recorded_by: str
    #: *content*, parsed.
    item: dict[str, Any]

    def receipt(self, incident_id: str, *, duplicate: bool) -> Receipt:
        return Receipt(
            incident_id,
            self.entry_id,
            self.seq,
            self.kind,
            self.recorded_at,
            self.recorded_by,
            duplicate,
        )


def _stored(row: Sequence[Any]) -> _Stored:
    """
    One row of the log (the columns of ``_ENTRY_COLUMNS``), checked.

    Raises:
        ValueError, TypeError: the row is not what opinion_rules writes.
    """
    seq, entry_id, kind, content, recorded_at, recorded_us, recorded_by = row
    if not (
        isinstance(seq, int)
        and isinstance(entry_id, str)
        and kind in ENTRY_KINDS
        and isinstance(content, str)
        and isinstance(recorded_at, str)
        and isinstance(recorded_us, int)
        and isinstance(recorded_by, str)
    ):
        raise TypeError("a column holds a value of another type than opinion_rules writes")
    try:
        item = json.loads(content)
    except RecursionError:
        raise ValueError("its item nests too deeply to read") from None
    if not isinstance(item, dict):
        raise TypeError(f"its item is {describe(item)}, not a JSON object")
    if kind == "open" and not (
        isinstance(item.get("discovered_at"), str) and isinstance(item.get("facts"), dict)
    ):
        raise ValueError("the opening has no discovered_at or no facts")
    at = datetime.fromisoformat(recorded_at)
    if at.utcoffset() is None:
        raise ValueError(f"recorded_at {recorded_at!r} has no UTC offset")
    return _Stored(seq, entry_id, kind, content, at, recorded_us, recorded_by, item)


_ENTRY_COLUMNS = "seq, entry_id, kind, item, recorded_at, recorded_us, recorded_by"
_STALE_SQL = "SELECT incident_id, plan_key, evaluated_us, last_seq FROM agenda_state WHERE "
_AGENDA_SQL = (
    "SELECT incident_id, plan_key, action_id, title, owners, status, due, clause_ref, reason "
    "FROM agenda_rows WHERE "
)


def _incident_data(incident_id: str, log: Iterable[_Stored]) -> dict[str, Any]:
    """
    The incident, in the interchange format, that the log entries describe.
    """
    data: dict[str, Any] = {"id": incident_id, "observations": [], "events": []}
    for entry in log:
        item = entry.item
        if entry.kind == "open":
            data["discovered_at"] = item["discovered_at"]
            if "posted_at" in item:
                data["posted_at"] = item["posted_at"]
            data["facts"] = item["facts"]
        else:
            data[f"{entry.kind}s"].append(item)
    return data


# -- the store ----------------------------------------------------------------------


class CaseStore(abc.ABC):
    """
    A durable, append-only log of incidents, each pinned to a stored plan
    version, with as-of replay and an agenda across incidents.

    Every write is one transaction: a method that raises has written
    nothing.  Writes are idempotent per client id: sending the same entry
    again returns the first receipt (with ``duplicate=True``) and writes
    nothing; sending other content under a used id is an error.  The store
    never reads a clock: every instant is a parameter.

    Use :func:`open_store`, :class:`~opinion_rules.SQLiteStore` or
    :class:`~opinion_rules.PostgresStore`; a store object holds one database
    connection and is not meant to be shared between threads.  Close it with
    :meth:`close`, or use it as a context manager.

    .. versionadded:: 0.4.0
    """

    #: Appended to the incident lookup of a write to lock the incident's row
    #: until commit (``" FOR UPDATE"`` in PostgreSQL; SQLite's ``BEGIN
    #: IMMEDIATE`` already holds the database's write lock).
    _LOCK: ClassVar[str] = ""
    #: Appended to the agenda refresh's lookup of a state row: skip rows a
    #: writer holds (PostgreSQL); refreshed rows are derived data, and the
    #: writer stores newer ones anyway.
    _SKIP_LOCKED: ClassVar[str] = ""

    #: Why this connection cannot write (e.g. a read-only file), or ``None``;
    #: set by a backend before it calls ``CaseStore.__init__``.
    _read_only: str | None = None

    def __init__(self, name: str, *, create: bool) -> None:
        """
        Check the tables; create them if there are none and *create* is true.

        Opening a store that has its tables reads and never writes, so that a
        read-only store can be read.
        """
        self._name = name
        self._depth = 0
        # Stored plan versions never change; the engines also depend on the
        # stored year schedules, and are rebuilt when those change.
        self._plans: dict[str, Plan] = {}
        self._engines: dict[str, Engine] = {}
        self._years_table = False
        self._years_token: int | None = _UNREAD
        self._years: tuple[YearSchedule, ...] = ()
        with self._transaction(write=False):
            found = self._has_tables()
            if found:
                self._check_version()
        if found:
            return
        if not create:
            raise self._missing()
        with self._transaction(write=True):
            self._before_schema()
            if self._has_tables():  # another process created them meanwhile
                self._check_version()
                return
            for statement in self._schema():
                self._fetch(statement)
            self._fetch(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    # -- what a backend provides ------------------------------------------------------

    @abc.abstractmethod
    def _begin(self, *, write: bool) -> None:
        """
        Start a transaction: a write transaction holds the write lock.
        """

    @abc.abstractmethod
    def _commit(self) -> None:
        """
        Commit the transaction.
        """

    @abc.abstractmethod
    def _rollback(self) -> None:
        """
        Roll the transaction back.
        """

    @abc.abstractmethod
    def _fetch(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """
        Run one statement (``?`` placeholders); return its rows, if any.
        """

    @abc.abstractmethod
    def _run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """
        Run one statement once per row of parameters.
        """

    @abc.abstractmethod
    def _schema(self) -> list[str]:
        """
        The DDL statements that create the tables (``IF NOT EXISTS``).
        """

    @abc.abstractmethod
    def _close(self) -> None:
        """
        Close the connection.
        """

    def _before_schema(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """
        Serialise schema creation between processes where DDL needs it.
        """

    @abc.abstractmethod
    def _has_tables(self) -> bool:
        """
        Whether the store's ``meta`` table exists (a catalog lookup that
        never fails for a missing table).
        """

    @abc.abstractmethod
    def _has_table(self, name: str) -> bool:
        """
        Whether the table *name* exists (a catalog lookup that never fails
        for a missing table).
        """

    @abc.abstractmethod
    def _years_schema(self) -> list[str]:
        """
        The DDL statements that add the ``calendar_years`` table (layout 2)
        to a layout-1 store.
        """

    def _calendar_lock(self, *, exclusive: bool) -> None:  # noqa: B027 - optional, empty by default
        """
        Serialise a change of the year schedules (*exclusive*) against the
        writers that evaluate with them (shared), where the database's own
        write lock does not (PostgreSQL); held until the transaction ends.
        """

    @abc.abstractmethod
    def _missing(self) -> StoreError:
        """
        The error for a store without tables that may not be created here.
        """

    # -- lifecycle ------------------------------------------------------------------

    @property
    def name(self) -> str:
        """
        The store's path, or its URL without the password.
        """
        return self._name

    def close(self) -> None:
        """
        Close the database connection.  Closing twice is harmless.

        .. versionadded:: 0.4.0
        """
        self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name}>"

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """
        Group writes into one transaction, e.g. to import many incidents.

        Inside the block each write is still all-or-nothing (a savepoint);
        the block commits when it ends, and writes nothing if it raises.
        Prefer single writes otherwise: a long transaction holds the write
        lock (SQLite) or the incidents' row locks (PostgreSQL) until it ends.

        .. versionadded:: 0.4.0
        """
        with self._transaction(write=True):
            yield

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[None]:
        if self._depth:
            # Nested in bulk(): a savepoint keeps this call all-or-nothing.
            name = f"opinion_rules_{self._depth}"
            self._fetch(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._forget_years()
                self._fetch(f"ROLLBACK TO SAVEPOINT {name}")
                self._fetch(f"RELEASE SAVEPOINT {name}")
                raise
            else:
                self._fetch(f"RELEASE SAVEPOINT {name}")
            finally:
                self._depth -= 1
            return
        if write and self._read_only is not None:
            raise StoreUnavailableError(
                self._name,
                f"cannot write: {self._read_only}; expected a store this process may write",
            )
        self._begin(write=write)
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._forget_years()  # it may hold a schedule that was rolled back
            # A failed rollback must not hide why the transaction failed.
            with contextlib.suppress(StoreError):
                self._rollback()
            raise
        self._depth = 0
        self._commit()

    def _check_version(self) -> None:
        layouts = " or ".join(map(str, range(OLDEST_SCHEMA_VERSION, SCHEMA_VERSION + 1)))
        rows = self._fetch("SELECT value FROM meta WHERE key = 'schema_version'")
        if not rows:
            raise StoreUnavailableError(
                self._name,
                "its meta table has no schema_version; expected the table layout number "
                f"({layouts}): the store is damaged",
            )
        text = rows[0][0]
        if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,9}", text):
            raise StoreUnavailableError(
                self._name,
                f"its schema_version is {describe(text)}, not a table layout number; expected "
                f"{layouts}: the store is damaged",
            )
        if int(text) > SCHEMA_VERSION:
            raise StoreUnavailableError(
                self._name,
                f"it has table layout {int(text)}, newer than this opinion_rules understands "
                f"({SCHEMA_VERSION}); expected an upgrade of opinion_rules",
            )
        if int(text) < OLDEST_SCHEMA_VERSION:
            raise StoreUnavailableError(
                self._name,
                f"its schema_version is {int(text)}, which no opinion_rules wrote; expected "
                f"{layouts}: the store is damaged",
            )

    @contextlib.contextmanager
    def _reading(self, what: str) -> Iterator[None]:
        """
        Turn a failure to decode stored data into a :class:`StoreUnavailableError`
        naming the store and *what* was read: the database holds something
        opinion_rules does not write (a damaged or tampered store).
        """
        try:
            yield
        except OpinionRulesError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
            raise StoreUnavailableError(
                self._name,
                f"{what} cannot be read: {printable(str(exc))}; expected data as opinion_rules "
                "writes it: the store is damaged",
            ) from exc

    def _entry(self, row: Sequence[Any]) -> _Stored:
        with self._reading(f"log entry seq {printable(repr(row[0]))}"):
            return _stored(row)

    # -- plans ----------------------------------------------------------------------

    def add_plan(self, plan: Plan) -> str:
        """
        Store a plan version; return its key, ``<plan id>@<version>``.

        The plan is stored as text (its plan-file JSON) and never changes:
        adding an equal plan under the same key is a no-op, and a different
        one is refused.

        Raises:
            PlanConflictError: the key is stored with a different plan.
            PlanValidationError: the plan cannot be evaluated (a required
                parameter has no value).

        .. versionadded:: 0.4.0
        """
        if not isinstance(plan, Plan):
            raise TypeError(f"add_plan needs a Plan (got {describe(plan)})")
        key = plan_key(plan)
        engine = Engine(plan)  # refuses a plan that could not be evaluated
        text = dump_plan(plan, "json")
        if read_plan_text(text, "json", f"plan {key!r}") != plan:
            raise StoreError(
                f"plan {key!r} cannot be stored: its plan-file text does not read back as "
                "the same plan; expected a plan that dump_plan can write in full"
            )
        with self._transaction(write=True):
            # Another session may add the same version at the same time: the
            # insert then does nothing, and the stored text is compared.
            if not self._fetch(
                "INSERT INTO plans (plan_key, plan_id, version, content) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (plan_key) DO NOTHING RETURNING plan_key",
                (key, plan.id, plan.version, text),
            ):
                stored = str(
                    self._fetch("SELECT content FROM plans WHERE plan_key = ?", (key,))[0][0]
                )
                if stored != text and read_plan_text(stored, "json", key) != plan:
                    raise PlanConflictError(key)
        del engine  # built only to check; _engine() caches what was committed
        return key

    def plan(self, key: str) -> Plan:
        """
        The stored plan version *key*.

        Raises:
            UnknownPlanError: no such key.

        .. versionadded:: 0.4.0
        """
        _text("plan", "key", key)
        with self._transaction(write=False):
            return self._stored_plan(key)

    def plans(self) -> list[str]:
        """
        The keys of every stored plan version, sorted.

        .. versionadded:: 0.4.0
        """
        with self._transaction(write=False):
            rows = self._fetch("SELECT plan_key FROM plans ORDER BY plan_key")
        return [str(r[0]) for r in rows]

    def _stored_plan(self, key: str) -> Plan:
        """
        The stored plan version *key*, as stored (without the store's year
        schedules).
        """
        cached = self._plans.get(key)
        if cached is not None:
            return cached
        rows = self._fetch("SELECT content FROM plans WHERE plan_key = ?", (key,))
        if not rows:
            known = [str(r[0]) for r in self._fetch("SELECT plan_key FROM plans")]
            raise UnknownPlanError(key, expected_names(key, known))
        try:
            plan = read_plan_text(str(rows[0][0]), "json", f"stored plan {key!r}")
        except PlanError as exc:
            raise self._damaged_plan(key, exc) from exc
        self._plans[key] = plan
        return plan

    def _damaged_plan(self, key: str, exc: PlanError) -> StoreUnavailableError:
        return StoreUnavailableError(
            self._name,
            f"stored plan {key!r} cannot be read: {exc}; expected a plan as opinion_rules "
            "stores it: the store is damaged, or was written by another version",
        )

    def _engine(self, key: str) -> Engine:
        """
        The engine that evaluates incidents pinned to *key*: the stored plan
        with the store's year schedules (as of the last :meth:`_sync_years`)
        for the years its own calendar does not schedule.
        """
        engine = self._engines.get(key)
        if engine is None:
            plan = self._stored_plan(key)
            try:
                engine = Engine(with_years(plan, self._years))
            except PlanError as exc:
                raise self._damaged_plan(key, exc) from exc
            self._engines[key] = engine
        return engine

    # -- calendar years -----------------------------------------------------------

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
                :func:`~opinion_rules.load_year_schedule`.
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
            raise TypeError(f"add_schedule needs a YearSchedule (got {describe(schedule)})")
        subject = f"the {schedule.year} schedule"
        _text(subject, "recorded_by", recorded_by)
        _text(subject, "source", schedule.source)
        recorded_at = _instant(subject, "recorded_at", recorded_at)
        data = schedule_to_data(schedule)
        problem = _json_problem(data, "schedule")
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
                for statement in self._years_schema():
                    self._fetch(statement)
                self._fetch(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                    (str(SCHEMA_VERSION),),
                )
            rows = self._fetch(
                f"SELECT {_YEAR_COLUMNS} FROM {YEARS_TABLE} WHERE calendar = 'china' AND "  # noqa: S608 - constants
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
                [Problem("year", "is not a whole number", "a year such as 2027", describe(year))],
            )
        sql = f"SELECT {_YEAR_COLUMNS} FROM {YEARS_TABLE}"  # noqa: S608 - constants
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

    def _stored_year(self, row: Sequence[Any]) -> StoredSchedule:
        """
        One row of ``calendar_years`` (the columns of ``_YEAR_COLUMNS``),
        checked.
        """
        where = f"stored year schedule seq {printable(repr(row[0]))}"
        with self._reading(where):
            seq, calendar, year, content, recorded_at, recorded_by = row
            if not (
                isinstance(seq, int)
                and calendar == "china"
                and isinstance(year, int)
                and isinstance(content, str)
                and isinstance(recorded_by, str)
            ):
                raise TypeError("a column holds a value of another type than opinion_rules writes")
            at = datetime.fromisoformat(str(recorded_at))
            if at.utcoffset() is None:
                raise ValueError(f"recorded_at {recorded_at!r} has no UTC offset")
        try:
            schedule = read_year_schedule(content, "json", where)
        except PlanError as exc:
            raise StoreUnavailableError(
                self._name,
                f"{where} cannot be read: {printable(str(exc))}; expected a schedule as "
                "opinion_rules stores it: the store is damaged",
            ) from exc
        if schedule.year != year:
            raise StoreUnavailableError(
                self._name,
                f"{where} cannot be read: it is filed under {year} but schedules "
                f"{schedule.year}; expected data as opinion_rules writes it: the store is damaged",
            )
        return StoredSchedule(seq, calendar, schedule, at, recorded_by, in_force=True)

    def _years_now(self) -> int | None:
        """
        The state of the stored year schedules: the last recording's seq, or
        ``None`` when there are none (or no table: a layout-1 store).
        """
        if not self._years_table:
            if not self._has_table(YEARS_TABLE):
                return None
            self._years_table = True
        rows = self._fetch(f"SELECT max(seq) FROM {YEARS_TABLE}")  # noqa: S608 - a constant
        with self._reading("the calendar years"):
            return None if not rows or rows[0][0] is None else int(rows[0][0])

    def _sync_years(self) -> int | None:
        """
        Read the year schedules in force if they changed since they were
        last read (another process may have added one); inside a
        transaction.  Returns their state, for :meth:`_refresh` to compare.
        """
        token = self._years_now()
        if token != self._years_token:
            years: tuple[YearSchedule, ...] = ()
            if token is not None:
                rows = self._fetch(
                    f"SELECT {_YEAR_COLUMNS} FROM {YEARS_TABLE} WHERE calendar = 'china' AND "  # noqa: S608 - constants
                    f"seq IN (SELECT max(seq) FROM {YEARS_TABLE} GROUP BY calendar, year) "
                    "ORDER BY year"
                )
                years = tuple(self._stored_year(r).schedule for r in rows)
            self._years, self._years_token = years, token
            self._engines.clear()
        return token

    def _forget_years(self) -> None:
        """
        Drop what was read about the year schedules (after a rollback: the
        session may have read a schedule that was never committed).
        """
        self._years_table, self._years_token, self._years = False, _UNREAD, ()
        self._engines.clear()

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
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
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
            incident = Incident.from_dict(
                _incident_data(incident_id, log), source="stored incident"
            )
            assessment = self._engine(key).evaluate(incident, at=evaluated_at)
            self._materialise(incident_id, key, assessment, evaluated_at, last_seq)
            done.append(incident_id)
        return done

    # -- writes ---------------------------------------------------------------------

    def open_incident(
        self,
        incident_id: str,
        plan_key: str,
        *,
        discovered_at: datetime,
        posted_at: datetime | None = None,
        facts: Mapping[str, Any] | None = None,
        entry_id: str,
        recorded_at: datetime,
        recorded_by: str,
    ) -> Receipt:
        """
        Open an incident pinned to the stored plan version *plan_key*.

        The incident and its opening entry are written in one transaction,
        and the incident is evaluated at *recorded_at* for the agenda.
        Opening it again with the same *entry_id* and the same content
        returns the first receipt (``duplicate=True``) and writes nothing.

        Args:
            incident_id: The caller's incident id.
            plan_key: A key returned by :meth:`add_plan`.
            discovered_at, posted_at, facts: As in the incident interchange
                format.
            entry_id: The client's id for the opening entry.
            recorded_at: When this is recorded; *discovered_at* and
                *posted_at* may not be later.
            recorded_by: Who records it.

        Raises:
            UnknownPlanError: *plan_key* is not stored.
            IncidentConflictError: the incident is open with other content.
            OutOfOrderError: *discovered_at* or *posted_at* is later than
                *recorded_at*.
            FactError: the header is malformed or does not fit the plan.
            RecordFormatError: *facts* is not JSON data, or an id or
                *recorded_by* is empty.

        .. versionadded:: 0.4.0
        """
        subject = f"incident {incident_id!r}"
        _text("open_incident", "incident_id", incident_id)
        _text(subject, "plan_key", plan_key)
        _text(subject, "entry_id", entry_id)
        _text(subject, "recorded_by", recorded_by)
        recorded_at = _instant(subject, "recorded_at", recorded_at)
        discovered_at = _instant(subject, "discovered_at", discovered_at)
        if posted_at is not None:
            posted_at = _instant(subject, "posted_at", posted_at)
        if facts is not None and not isinstance(facts, Mapping):
            raise RecordFormatError(
                subject,
                [Problem("facts", "is not a mapping", "an object of name: value", describe(facts))],
            )
        problem = None if facts is None else _json_problem(facts, "facts")
        if problem is not None:
            raise RecordFormatError(subject, [problem])
        item: dict[str, Any] = {"plan": plan_key, "discovered_at": discovered_at.isoformat()}
        if posted_at is not None:
            item["posted_at"] = posted_at.isoformat()
        item["facts"] = dict(facts or {})
        try:
            content = canonical(item)
        except (TypeError, ValueError) as exc:
            raise RecordFormatError(
                subject,
                [Problem("facts", f"is not JSON data: {exc}", "strings, numbers, booleans")],
            ) from None
        with self._transaction(write=True):
            self._calendar_lock(exclusive=False)
            opened = self._opening(incident_id)
            if opened is not None:
                return self._reopen(incident_id, opened, entry_id, content)
            self._sync_years()
            engine = self._engine(plan_key)
            for name, value in (("discovered_at", discovered_at), ("posted_at", posted_at)):
                if value is not None and value > recorded_at:
                    raise OutOfOrderError(incident_id, name, value, recorded_at, entry_id=entry_id)
            header = _incident_data(
                incident_id,
                [_Stored(0, entry_id, "open", content, recorded_at, 0, "", json.loads(content))],
            )
            where = f"incident {incident_id!r} (plan {plan_key!r}), entry {entry_id!r}"
            try:
                incident = Incident.from_dict(header, source="incident")
            except FactError as exc:
                raise FactError(where, exc.problems) from None
            assessment = _evaluate(engine, incident, recorded_at, where)
            recorded_us = to_us(recorded_at)
            inserted = self._fetch(
                "INSERT INTO incidents (incident_id, plan_key, opened_at, opened_us, latest_at, "
                "latest_us) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id) DO NOTHING "
                "RETURNING incident_id",
                (
                    incident_id,
                    plan_key,
                    recorded_at.isoformat(),
                    recorded_us,
                    recorded_at.isoformat(),
                    recorded_us,
                ),
            )
            if not inserted:  # another session opened it since we looked
                opened = self._opening(incident_id)
                assert opened is not None  # noqa: S101 - the insert just clashed with it
                return self._reopen(incident_id, opened, entry_id, content)
            seq = self._append(incident_id, entry_id, "open", content, recorded_at, recorded_by)
            self._materialise(incident_id, plan_key, assessment, recorded_at, seq)
        return Receipt(incident_id, entry_id, seq, "open", recorded_at, recorded_by)

    def _opening(self, incident_id: str) -> _Stored | None:
        rows = self._fetch(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE incident_id = ? AND kind = 'open'",  # noqa: S608 - constant columns
            (incident_id,),
        )
        return None if not rows else self._entry(rows[0])

    def _reopen(self, incident_id: str, opened: _Stored, entry_id: str, content: str) -> Receipt:
        if opened.entry_id != entry_id:
            raise IncidentConflictError(
                incident_id, "entry_id", repr(opened.entry_id), repr(entry_id)
            )
        if opened.content != content:
            stored, got = opened.item, json.loads(content)
            for name in ("plan", "discovered_at", "posted_at", "facts"):
                if stored.get(name) != got.get(name):
                    raise IncidentConflictError(
                        incident_id, name, canonical(stored.get(name)), canonical(got.get(name))
                    )
        return opened.receipt(incident_id, duplicate=True)

    def record(
        self,
        incident_id: str,
        entries: Iterable[Mapping[str, Any]],
        *,
        recorded_at: datetime,
        recorded_by: str,
        sources: Sequence[str] | None = None,
    ) -> list[Receipt]:
        """
        Append a batch of entries to an incident's log, all or nothing.

        An entry is ``{"id": "<entry id>", "observation": {...}}`` or
        ``{"id": "<entry id>", "event": {...}}``, where the inner object is
        one item of the incident interchange format.  The batch is checked by
        rebuilding the incident with it and evaluating it with the pinned
        plan at *recorded_at*: an item the format or the plan refuses is an
        error, and nothing is written.

        Entry ids are unique per incident.  An entry sent again with the same
        content is not written twice: its receipt is the first one, with
        ``duplicate=True``.

        Args:
            incident_id: The incident.
            entries: The batch, in order.
            recorded_at: When the batch is recorded: not earlier than the
                incident's latest recording, and not earlier than any
                item's own instant.
            recorded_by: Who records it.
            sources: How to name each entry's place in error messages, e.g.
                ``stdin:3``; default ``batch[0]``, ``batch[1]``, ...

        Returns:
            One receipt per entry, in batch order.

        Raises:
            UnknownIncidentError: the incident was never opened.
            RecordFormatError: an entry is not an entry (naming each
                problem's place and path).
            DuplicateEntryError: an entry id is used for other content.
            OutOfOrderError: *recorded_at* is earlier than the incident's
                latest recording, or an item's instant is later than it.
            FactError: an item is malformed or does not fit the plan; the
                subject names the entry, each problem its place and path.

        .. versionadded:: 0.4.0
        """
        subject = f"incident {incident_id!r}"
        _text("record", "incident_id", incident_id)
        _text(subject, "recorded_by", recorded_by)
        recorded_at = _instant(subject, "recorded_at", recorded_at)
        if isinstance(entries, str | bytes | Mapping) or not isinstance(entries, Iterable):
            got = "one entry" if isinstance(entries, Mapping) else describe(entries)
            raise RecordFormatError(
                subject, [Problem("entries", "is not a list of entries", "a list of entries", got)]
            )
        batch = list(entries)
        if sources is not None and (
            isinstance(sources, str)
            or len(sources) != len(batch)
            or any(_text_problem(place) for place in sources)
        ):
            raise RecordFormatError(
                subject,
                [
                    Problem(
                        "sources",
                        f"does not name one place (text) for each of the {len(batch)} entries",
                        "one name per entry, e.g. stdin:3",
                        describe(sources),
                    )
                ],
            )
        places = (
            list(sources) if sources is not None else [f"batch[{i}]" for i in range(len(batch))]
        )
        parsed = _parse_batch(subject, batch, places)
        with self._transaction(write=True):
            # The calendar's lock before the incident's: add_schedule takes it
            # exclusively, so no write evaluates with schedules it replaces.
            self._calendar_lock(exclusive=False)
            head = self._fetch(
                "SELECT plan_key, latest_at, latest_us FROM incidents WHERE incident_id = ?"  # noqa: S608 - a constant lock clause
                + self._LOCK,
                (incident_id,),
            )
            if not head:
                raise UnknownIncidentError(incident_id, expected=self._close_ids(incident_id))
            with self._reading(f"incident {incident_id!r}"):
                key, latest_at, latest_us = str(head[0][0]), str(head[0][1]), int(head[0][2])
                latest = datetime.fromisoformat(latest_at)
            log = self._log(incident_id)
            receipts, new = _classify(incident_id, log, parsed)
            if not new:
                return [r for r in receipts if isinstance(r, Receipt)]
            if to_us(recorded_at) < latest_us:
                raise OutOfOrderError(incident_id, "recorded_at", recorded_at, latest)
            self._sync_years()
            engine = self._engine(key)
            incident, instants = _with_batch(incident_id, key, log, new)
            for entry, at in zip(new, instants, strict=True):
                if at > recorded_at:
                    raise OutOfOrderError(
                        incident_id,
                        f"{entry.kind}.at",
                        at,
                        recorded_at,
                        entry_id=entry.entry_id,
                        where=entry.where,
                    )
            try:
                assessment = engine.evaluate(incident, at=recorded_at)
            except FactError as exc:
                raise _relocate(exc, incident_id, key, _positions(log, new)) from None
            seqs: dict[str, int] = {}
            for entry in new:
                seqs[entry.entry_id] = self._append(
                    incident_id, entry.entry_id, entry.kind, entry.content, recorded_at, recorded_by
                )
            self._fetch(
                "UPDATE incidents SET latest_at = ?, latest_us = ? WHERE incident_id = ?",
                (recorded_at.isoformat(), to_us(recorded_at), incident_id),
            )
            self._materialise(incident_id, key, assessment, recorded_at, max(seqs.values()))
        out: list[Receipt] = []
        written: set[str] = set()
        for r in receipts:
            if isinstance(r, Receipt):
                out.append(r)
                continue
            kind: EntryKind = "observation" if r.kind == "observation" else "event"
            out.append(
                Receipt(
                    incident_id,
                    r.entry_id,
                    seqs[r.entry_id],
                    kind,
                    recorded_at,
                    recorded_by,
                    duplicate=r.entry_id in written,
                )
            )
            written.add(r.entry_id)
        return out

    def _append(
        self,
        incident_id: str,
        entry_id: str,
        kind: str,
        content: str,
        recorded_at: datetime,
        recorded_by: str,
    ) -> int:
        rows = self._fetch(
            "INSERT INTO entries (incident_id, entry_id, kind, item, recorded_at, recorded_us, "
            "recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            (
                incident_id,
                entry_id,
                kind,
                content,
                recorded_at.isoformat(),
                to_us(recorded_at),
                recorded_by,
            ),
        )
        return int(rows[0][0])

    def _log(self, incident_id: str, known_us: int | None = None) -> list[_Stored]:
        sql = f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE incident_id = ?"  # noqa: S608 - constant columns
        params: tuple[object, ...] = (incident_id,)
        if known_us is not None:
            sql += " AND recorded_us <= ?"
            params = (incident_id, known_us)
        return [self._entry(row) for row in self._fetch(sql + " ORDER BY seq", params)]

    def _close_ids(self, incident_id: str) -> str | None:
        # Only a few neighbours in id order: a store may hold 100,000 ids.
        rows = self._fetch(
            "SELECT incident_id FROM incidents WHERE incident_id >= ? ORDER BY incident_id LIMIT 3",
            (incident_id[:-1],),
        )
        rows += self._fetch(
            "SELECT incident_id FROM incidents WHERE incident_id < ? ORDER BY incident_id DESC "
            "LIMIT 3",
            (incident_id,),
        )
        close = difflib.get_close_matches(incident_id, sorted({str(r[0]) for r in rows}), n=1)
        if close:
            return f"an opened incident; did you mean {close[0]!r}?"
        return "an incident opened first (open_incident, or opinion-rules track open)"

    # -- the agenda's materialised rows ----------------------------------------------------

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
        self._run_many(
            "INSERT INTO agenda_rows (incident_id, action_id, plan_key, status, due, due_us, "
            "title, owners, clause_ref, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_row(incident_id, key, a, assessment.timezone) for a in assessment.actions
             if a.status in MATERIALISED],
        )  # fmt: skip

    # -- reads ----------------------------------------------------------------------

    def incident(self, incident_id: str, *, known_at: datetime | None = None) -> Incident:
        """
        The incident rebuilt from its log: every entry, or only those
        recorded at or before *known_at*.

        Raises:
            UnknownIncidentError: never opened, or opened after *known_at*.

        .. versionadded:: 0.4.0
        """
        return self._replay(incident_id, known_at)[1]

    def _replay(self, incident_id: str, known_at: datetime | None) -> tuple[str, Incident]:
        _text("incident", "incident_id", incident_id)
        known_us = None
        if known_at is not None:
            known_at = _instant(f"incident {incident_id!r}", "known_at", known_at)
            known_us = to_us(known_at)
        with self._transaction(write=False):
            head = self._fetch(
                "SELECT plan_key, opened_at, opened_us FROM incidents WHERE incident_id = ?",
                (incident_id,),
            )
            if not head:
                raise UnknownIncidentError(incident_id, expected=self._close_ids(incident_id))
            with self._reading(f"incident {incident_id!r}"):
                key, opened_at, opened_us = str(head[0][0]), str(head[0][1]), int(head[0][2])
                opened = datetime.fromisoformat(opened_at)
            if known_at is not None and known_us is not None and opened_us > known_us:
                raise UnknownIncidentError(incident_id, known_at=known_at, opened_at=opened)
            log = self._log(incident_id, known_us)
        return key, Incident.from_dict(_incident_data(incident_id, log), source="stored incident")

    def assess(
        self, incident_id: str, at: datetime, *, known_at: datetime | None = None
    ) -> Assessment:
        """
        Evaluate the incident with its pinned plan at *at*, replaying the
        entries recorded at or before *known_at* (default: *at*).

        With the default, the result is exactly what the plan required at
        *at* given what had been recorded by then; a later *known_at* looks
        at *at* with hindsight.

        Raises:
            UnknownIncidentError: never opened, or opened after *known_at*.

        .. versionadded:: 0.4.0
        """
        _text("assess", "incident_id", incident_id)
        at = _instant(f"incident {incident_id!r}", "at", at)
        if known_at is not None:
            known_at = _instant(f"incident {incident_id!r}", "known_at", known_at)
        key, incident = self._replay(incident_id, at if known_at is None else known_at)
        with self._transaction(write=False):
            self._sync_years()
            engine = self._engine(key)
        return engine.evaluate(incident, at=at)

    def plan_key_of(self, incident_id: str) -> str:
        """
        The key of the plan version the incident is pinned to.

        Raises:
            UnknownIncidentError: never opened.

        .. versionadded:: 0.4.0
        """
        _text("plan_key_of", "incident_id", incident_id)
        with self._transaction(write=False):
            rows = self._fetch(
                "SELECT plan_key FROM incidents WHERE incident_id = ?", (incident_id,)
            )
            if not rows:
                raise UnknownIncidentError(incident_id, expected=self._close_ids(incident_id))
        return str(rows[0][0])

    def timeline(self, incident_id: str) -> list[LogEntry]:
        """
        The incident's log, in order: the opening, then every entry.

        Raises:
            UnknownIncidentError: never opened.

        .. versionadded:: 0.4.0
        """
        _text("timeline", "incident_id", incident_id)
        with self._transaction(write=False):
            if not self._fetch("SELECT 1 FROM incidents WHERE incident_id = ?", (incident_id,)):
                raise UnknownIncidentError(incident_id, expected=self._close_ids(incident_id))
            log = self._log(incident_id)
        return [_log_entry(incident_id, e) for e in log]

    def audit(
        self,
        incident_id: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LogEntry]:
        """
        Who recorded what, and when: log entries across incidents (or of
        one), recorded between *since* and *until* (both included), ordered
        by recording time, then log order.

        Raises:
            UnknownIncidentError: *incident_id* was never opened.

        .. versionadded:: 0.4.0
        """
        where: list[str] = []
        params: list[object] = []
        if incident_id is not None:
            _text("audit", "incident_id", incident_id)
            where.append("incident_id = ?")
            params.append(incident_id)
        if since is not None:
            where.append("recorded_us >= ?")
            params.append(to_us(_instant("audit", "since", since)))
        if until is not None:
            where.append("recorded_us <= ?")
            params.append(to_us(_instant("audit", "until", until)))
        # Only constant conditions are joined; every value is a parameter.
        sql = f"SELECT incident_id, {_ENTRY_COLUMNS} FROM entries"  # noqa: S608
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._transaction(write=False):
            if incident_id is not None and not self._fetch(
                "SELECT 1 FROM incidents WHERE incident_id = ?", (incident_id,)
            ):
                raise UnknownIncidentError(incident_id, expected=self._close_ids(incident_id))
            rows = self._fetch(sql + " ORDER BY recorded_us, seq", params)
        return [_log_entry(str(r[0]), self._entry(r[1:])) for r in rows]

    def incident_ids(self) -> list[str]:
        """
        Every incident's id, sorted.

        .. versionadded:: 0.4.0
        """
        with self._transaction(write=False):
            rows = self._fetch("SELECT incident_id FROM incidents ORDER BY incident_id")
        return [str(r[0]) for r in rows]

    # -- the agenda -----------------------------------------------------------------

    def agenda(self, at: datetime, horizon: timedelta = timedelta(hours=24)) -> list[AgendaItem]:
        """
        What is owed across all incidents at *at*: every overdue action,
        every undecided one (its due time needs a calendar year nobody has
        given yet: :meth:`add_schedule`), and every pending one due by *at* +
        *horizon* or with no due time.

        The result equals evaluating each incident known at *at* with its
        plan at *at* and keeping those actions, but it reads materialised
        rows: only incidents whose rows are stale at *at* (their next change
        has come, or they were evaluated after *at*) are replayed.  When *at*
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
        at = _instant("agenda", "at", at)
        expected = f"a timedelta from 0 to {LONGEST_PERIOD.days} days"
        problem = (
            "is not a timedelta"
            if not isinstance(horizon, timedelta)
            else "is negative"
            if horizon < timedelta(0)
            else period_problem(horizon)
        )
        if problem is not None:
            raise FactError("agenda", [Problem("horizon", problem, expected, describe(horizon))])
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
            with self._reading("the agenda's state"):
                stale = {str(r[0]): (str(r[1]), int(r[2]), int(r[3])) for r in rows}
            materialised = self._agenda_rows(to_us(until))
            logs = self._logs(sorted(stale), at_us)
            years = self._sync_years()
            engines = {key: self._engine(key) for key in {key for key, _, _ in stale.values()}}
        items = [item for item in materialised if item.incident_id not in stale]
        refreshed: list[tuple[str, str, Assessment, int]] = []
        for incident_id, (key, evaluated_us, last_seq) in sorted(stale.items()):
            log = logs.get(incident_id)
            if not log:  # opened after `at`: not known then
                continue
            incident = Incident.from_dict(
                _incident_data(incident_id, log), source="stored incident"
            )
            assessment = engines[key].evaluate(incident, at=at)
            items.extend(agenda_of(incident_id, key, assessment, until))
            if at_us >= evaluated_us:
                refreshed.append((incident_id, key, assessment, last_seq))
        if refreshed and self._read_only is None:  # a read-only store is read, not refreshed
            self._refresh(refreshed, at, years)
        items.sort(key=_sort_key)
        return items

    def _agenda_rows(self, until_us: int) -> list[AgendaItem]:
        # Four index range scans on (status, due_us), not one OR, so that
        # each is answered from the index whatever the query planner thinks.
        rows = [
            *self._fetch(_AGENDA_SQL + "status = 'overdue'"),
            *self._fetch(_AGENDA_SQL + "status = 'undecided'"),
            *self._fetch(_AGENDA_SQL + "status = 'pending' AND due_us <= ?", (until_us,)),
            *self._fetch(_AGENDA_SQL + "status = 'pending' AND due_us IS NULL"),
        ]
        with self._reading("an agenda row"):
            return [
                AgendaItem(
                    str(r[0]),
                    str(r[1]),
                    str(r[2]),
                    str(r[3]),
                    _owners(str(r[4])),
                    str(r[5]),
                    None if r[6] is None else datetime.fromisoformat(r[6]),
                    None if r[7] is None else str(r[7]),
                    str(r[8]),
                )
                for r in rows
            ]

    def _logs(self, incident_ids: Sequence[str], known_us: int) -> dict[str, list[_Stored]]:
        out: dict[str, list[_Stored]] = {}
        for start in range(0, len(incident_ids), _CHUNK):
            chunk = incident_ids[start : start + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for row in self._fetch(
                f"SELECT incident_id, {_ENTRY_COLUMNS} FROM entries WHERE incident_id IN "  # noqa: S608 - only placeholders
                f"({marks}) AND recorded_us <= ? ORDER BY seq",
                [*chunk, known_us],
            ):
                out.setdefault(str(row[0]), []).append(self._entry(row[1:]))
        return out

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


# -- pieces of record() ---------------------------------------------------------------


def _classify(
    incident_id: str, log: list[_Stored], parsed: list[_New]
) -> tuple[list[Receipt | _New], list[_New]]:
    """
    Sort a batch into repeats of stored entries (their first receipts),
    repeats within the batch, and new entries; refuse a reused id.

    Returns:
        One receipt or new entry per batch entry, and the new entries.
    """
    by_id = {e.entry_id: e for e in log}
    receipts: list[Receipt | _New] = []
    new: list[_New] = []
    first: dict[str, _New] = {}
    for entry in parsed:
        stored = by_id.get(entry.entry_id)
        earlier = first.get(entry.entry_id)
        if stored is not None and (stored.kind, stored.content) == (entry.kind, entry.content):
            receipts.append(stored.receipt(incident_id, duplicate=True))
        elif stored is not None:
            raise DuplicateEntryError(
                incident_id,
                entry.entry_id,
                entry.where,
                stored.seq,
                canonical({"id": stored.entry_id, stored.kind: stored.item}),
                canonical({"id": entry.entry_id, entry.kind: entry.item}),
            )
        elif earlier is not None and (earlier.kind, earlier.content) == (entry.kind, entry.content):
            receipts.append(earlier)
        elif earlier is not None:
            raise DuplicateEntryError(
                incident_id,
                entry.entry_id,
                entry.where,
                None,
                canonical({"id": earlier.entry_id, earlier.kind: earlier.item}),
                canonical({"id": entry.entry_id, entry.kind: entry.item}),
            )
        else:
            first[entry.entry_id] = entry
            new.append(entry)
            receipts.append(entry)
    return receipts, new


def _parse_batch(subject: str, batch: list[Any], places: list[str]) -> list[_New]:
    """
    Check every entry's envelope; report every problem at once.
    """
    problems: list[Problem] = []
    out: list[_New] = []
    expected = 'an object {"id": ..., "observation": {...}} or {"id": ..., "event": {...}}'
    for index, (entry, where) in enumerate(zip(batch, places, strict=True)):
        if not isinstance(entry, Mapping):
            problems.append(Problem(where, "is not an entry", expected, describe(entry)))
            continue
        before = len(problems)
        entry_id = entry.get("id")
        id_problem = _text_problem(entry_id)
        if id_problem is not None:
            got = "nothing" if "id" not in entry else describe(entry_id)
            problems.append(Problem(f"{where}.id", id_problem, "the client's entry id", got))
        kinds = [k for k in ITEM_KINDS if k in entry]
        others = sorted(str(k) for k in entry if k != "id" and k not in ITEM_KINDS)
        if others:
            problems.append(
                Problem(
                    f"{where}.{printable(others[0])}",
                    "is not a known field",
                    "'id' and 'observation' or 'event'",
                )
            )
        if len(kinds) != 1:
            problems.append(
                Problem(
                    where,
                    "has both 'observation' and 'event'"
                    if kinds
                    else "has no 'observation' or 'event'",
                    "exactly one of them",
                )
            )
        else:
            item = entry[kinds[0]]
            if not isinstance(item, Mapping):
                problems.append(
                    Problem(
                        f"{where}.{kinds[0]}", "is not an object", "a JSON object", describe(item)
                    )
                )
        if len(problems) > before:
            continue
        kind = kinds[0]
        item = dict(entry[kind])
        problem = _json_problem(item, f"{where}.{kind}")
        if problem is not None:
            problems.append(problem)
            continue
        try:
            content = canonical(item)
        except (TypeError, ValueError, RecursionError) as exc:
            problems.append(
                Problem(
                    f"{where}.{kind}",
                    f"is not JSON data: {exc}",
                    "strings, numbers, booleans, objects, arrays",
                )
            )
            continue
        assert isinstance(entry_id, str)  # noqa: S101 - checked above
        out.append(_New(index, where, entry_id, kind, item, content))
    if len(problems) > _MOST_PROBLEMS:  # a whole file of non-entries: one screen, not 40 MB
        subject = f"{subject} (the first {_MOST_PROBLEMS} of {len(problems)} problems)"
        del problems[_MOST_PROBLEMS:]
    if problems:
        raise RecordFormatError(subject, problems)
    return out


Positions = dict[tuple[str, int], tuple[str, str, str]]


def _with_batch(
    incident_id: str, key: str, log: list[_Stored], new: list[_New]
) -> tuple[Incident, list[datetime]]:
    """
    The incident with the logged entries and then the batch, and the parsed
    instant of each new item.  Problems are re-addressed to the entries.
    """
    data = _incident_data(incident_id, log)
    landed: list[tuple[str, int]] = []
    for entry in new:
        section = f"{entry.kind}s"
        landed.append((section, len(data[section])))
        data[section].append(entry.item)
    try:
        incident = Incident.from_dict(data, source="incident")
    except FactError as exc:
        raise _relocate(exc, incident_id, key, _positions(log, new)) from None
    return incident, [
        (incident.observations if section == "observations" else incident.events)[i].at
        for section, i in landed
    ]


def _positions(log: list[_Stored], new: list[_New]) -> Positions:
    positions: Positions = {}
    counts = {"observations": 0, "events": 0}
    for where, entry_id, kind in [
        *((f"log seq {e.seq}", e.entry_id, e.kind) for e in log if e.kind != "open"),
        *((e.where, e.entry_id, e.kind) for e in new),
    ]:
        section = f"{kind}s"
        positions[(section, counts[section])] = (where, entry_id, kind)
        counts[section] += 1
    return positions


def _relocate(exc: FactError, incident_id: str, key: str, positions: Positions) -> FactError:
    """
    Re-address a :class:`FactError` about the rebuilt incident to the entries
    its problems are about: ``events[7].type`` becomes ``stdin:3 event.type``
    under a subject naming the entry.
    """
    problems = []
    entries: list[str] = []
    for problem in exc.problems:
        match = _ITEM_PATH.match(problem.path)
        place = None if match is None else positions.get((match[1], int(match[2])))
        if match is None or place is None:
            problems.append(problem)
            continue
        where, entry_id, kind = place
        if entry_id not in entries:
            entries.append(entry_id)
        problems.append(attrs.evolve(problem, path=f"{where} {kind}{match[3]}"))
    subject = f"incident {incident_id!r} (plan {key!r})"
    if len(entries) == 1:
        subject += f", entry {entries[0]!r}"
    elif entries:
        subject += ", entries " + ", ".join(repr(e) for e in entries[:_MOST_ENTRIES])
        if len(entries) > _MOST_ENTRIES:
            subject += f" and {len(entries) - _MOST_ENTRIES} more"
    if len(problems) > _MOST_PROBLEMS:
        subject += f" (the first {_MOST_PROBLEMS} of {len(problems)} problems)"
        del problems[_MOST_PROBLEMS:]
    return FactError(subject, problems)


def _evaluate(engine: Engine, incident: Incident, at: datetime, subject: str) -> Assessment:
    try:
        return engine.evaluate(incident, at=at)
    except FactError as exc:
        raise FactError(subject, exc.problems) from None


def _row(incident_id: str, key: str, action: ActionStatus, timezone: str) -> tuple[object, ...]:
    due = action.due
    return (
        incident_id,
        action.id,
        key,
        action.status,
        None if due is None else due.astimezone(ZoneInfo(timezone)).isoformat(),
        None if due is None else to_us(due),
        action.title,
        canonical([[o.id, o.name] for o in action.owners]),
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
        )
        for a in assessment.actions
        if agenda_wants(a.status, a.due, until)
    ]


@functools.lru_cache(maxsize=1024)
def _owners(text: str) -> tuple[Owner, ...]:
    # A plan has few owner lists; agenda rows repeat them thousands of times.
    return tuple(Owner(i, n) for i, n in json.loads(text))


def _log_entry(incident_id: str, entry: _Stored) -> LogEntry:
    return LogEntry(
        entry.seq,
        incident_id,
        entry.entry_id,
        entry.kind,
        entry.recorded_at,
        entry.recorded_by,
        entry.item,
    )


def open_store(target: str | os.PathLike[str], *, create: bool = True) -> CaseStore:
    """
    Open the case store at *target*: a ``postgresql://`` (or
    ``postgres://``) URL opens a :class:`~opinion_rules.PostgresStore`,
    anything else is the path of a :class:`~opinion_rules.SQLiteStore` file.

    Args:
        target: The path or URL.
        create: Whether a missing store may be created: an SQLite file that
            does not exist, or PostgreSQL tables that do not exist yet.  With
            ``create=False`` a missing store is :class:`StoreNotFoundError`,
            so that a mistyped path is not taken for a new, empty store.

    Raises:
        StoreNotFoundError: the store does not exist and *create* is false.
        StoreUnavailableError: the database cannot be opened or reached, is
            not a case store, or psycopg is missing for a PostgreSQL URL.

    .. versionadded:: 0.4.0
    .. versionchanged:: 0.5.0 *create*; an existing empty file is refused.
    """
    if not isinstance(target, str | os.PathLike):
        raise StoreUnavailableError(
            describe(target), "is not a path or a postgresql:// URL; expected one of them"
        )
    text = os.fspath(target)
    if isinstance(text, str) and text.startswith(("postgresql://", "postgres://")):
        from ._postgres import PostgresStore  # noqa: PLC0415 - psycopg only when asked

        return PostgresStore(text, create=create)
    from ._sqlite import SQLiteStore  # noqa: PLC0415 - the backends import this module

    return SQLiteStore(text, create=create)
