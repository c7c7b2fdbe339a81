"""
The case store's tables, described once; each dialect renders its DDL from
this description with its own spelling of the column types.

Times are stored twice: as ISO 8601 text with the offset they were given in
(for people and for exact round trips) and as integer microseconds since the
epoch, UTC (for ordering and indexes).
"""

from __future__ import annotations

from typing import Literal

import attrs


__all__ = [
    "OLDEST_SCHEMA_VERSION",
    "OUTBOX_TABLE",
    "SCHEMA_VERSION",
    "YEARS_TABLE",
    "ColumnTypes",
    "outbox_statements",
    "schema_statements",
    "years_statements",
]

#: The version of the table layout; stores with a newer one are refused.
#: Layout 2 is layout 1 plus the ``calendar_years`` table; a layout-1 store
#: is read as one without year schedules, and becomes layout 2 with its
#: first :meth:`CaseStore.add_schedule`.  Layout 3 is layout 2 plus the
#: ``notifications`` table (the listeners' outbox); an older store is read
#: as one with nothing to deliver, and gets the table with its first write
#: by a store with listeners (it becomes layout 3 when it also has the
#: ``calendar_years`` table, so a layout number always means all its tables).
SCHEMA_VERSION = 3
#: The oldest table layout this version reads (and upgrades when it writes
#: a year schedule).
OLDEST_SCHEMA_VERSION = 1
#: The table of year schedules (layout 2).
YEARS_TABLE = "calendar_years"
#: The listeners' outbox (layout 3).
OUTBOX_TABLE = "notifications"

#: The column types of the description: ``text``; ``int`` (small whole
#: numbers, e.g. a year); ``big`` (64-bit: microseconds, log positions);
#: ``serial`` (a 64-bit primary key the database assigns in increasing order).
ColumnType = Literal["text", "int", "big", "serial"]


@attrs.frozen
class ColumnTypes:
    """
    How one database spells the description's column types.

    Attributes:
        big: A 64-bit integer.
        serial: A 64-bit primary key the database assigns, increasing and
            never reused.
    """

    big: str
    serial: str

    def spell(self, kind: ColumnType) -> str:
        """
        The SQL type (and, for ``serial``, key clause) of *kind*.
        """
        match kind:
            case "text":
                return "TEXT"
            case "int":
                return "INTEGER"
            case "big":
                return self.big
            case "serial":
                return self.serial


@attrs.frozen
class _Column:
    name: str
    kind: ColumnType
    #: Column constraints after the type, e.g. ``NOT NULL``.
    constraints: str = ""


@attrs.frozen
class _Index:
    name: str
    columns: str


@attrs.frozen
class _Table:
    name: str
    columns: tuple[_Column, ...]
    #: Table constraints after the columns, e.g. ``UNIQUE (a, b)``.
    constraints: tuple[str, ...] = ()
    indexes: tuple[_Index, ...] = ()

    def statements(self, types: ColumnTypes) -> list[str]:
        lines = [
            f"{c.name} {types.spell(c.kind)}" + (f" {c.constraints}" if c.constraints else "")
            for c in self.columns
        ]
        lines += self.constraints
        body = ",\n".join(f"        {line}" for line in lines)
        return [
            f"CREATE TABLE IF NOT EXISTS {self.name} (\n{body}\n    )",
            *(
                f"CREATE INDEX IF NOT EXISTS {i.name} ON {self.name} ({i.columns})"
                for i in self.indexes
            ),
        ]


def _c(name: str, kind: ColumnType, constraints: str = "NOT NULL") -> _Column:
    return _Column(name, kind, constraints)


_INCIDENT_REF = "NOT NULL REFERENCES incidents (incident_id)"

# Layout 1: plans, incidents, their log, and the materialised agenda.
_LAYOUT_1 = (
    _Table("meta", (_c("key", "text", "PRIMARY KEY"), _c("value", "text"))),
    _Table(
        "plans",
        (
            _c("plan_key", "text", "PRIMARY KEY"),
            _c("plan_id", "text"),
            _c("version", "text"),
            _c("content", "text"),
        ),
    ),
    _Table(
        "incidents",
        (
            _c("incident_id", "text", "PRIMARY KEY"),
            _c("plan_key", "text", "NOT NULL REFERENCES plans (plan_key)"),
            _c("opened_at", "text"),
            _c("opened_us", "big"),
            _c("latest_at", "text"),
            _c("latest_us", "big"),
        ),
    ),
    _Table(
        "entries",
        (
            _c("seq", "serial", ""),
            _c("incident_id", "text", _INCIDENT_REF),
            _c("entry_id", "text"),
            _c("kind", "text", "NOT NULL CHECK (kind IN ('open', 'observation', 'event'))"),
            _c("item", "text"),
            _c("recorded_at", "text"),
            _c("recorded_us", "big"),
            _c("recorded_by", "text"),
        ),
        constraints=("UNIQUE (incident_id, entry_id)",),
        indexes=(
            _Index("entries_by_incident", "incident_id, seq"),
            _Index("entries_by_time", "recorded_us, seq"),
        ),
    ),
    _Table(
        "agenda_state",
        (
            _c("incident_id", "text", "PRIMARY KEY REFERENCES incidents (incident_id)"),
            _c("plan_key", "text"),
            _c("evaluated_at", "text"),
            _c("evaluated_us", "big"),
            _c("next_change_us", "big", ""),
            _c("last_seq", "big"),
        ),
        indexes=(
            _Index("agenda_state_by_next_change", "next_change_us"),
            _Index("agenda_state_by_evaluated", "evaluated_us"),
        ),
    ),
    _Table(
        "agenda_rows",
        (
            _c("incident_id", "text", _INCIDENT_REF),
            _c("action_id", "text"),
            _c("plan_key", "text"),
            _c("status", "text"),
            _c("due", "text", ""),
            _c("due_us", "big", ""),
            _c("title", "text"),
            _c("owners", "text"),
            _c("clause_ref", "text", ""),
            _c("reason", "text"),
        ),
        constraints=("PRIMARY KEY (incident_id, action_id)",),
        indexes=(_Index("agenda_rows_by_due", "status, due_us"),),
    ),
)
# Layout 2: the year schedules (calendar reference data, not incident facts),
# appended to; the latest recording of a year is the one in force.
_YEARS = _Table(
    YEARS_TABLE,
    (
        _c("seq", "serial", ""),
        _c("calendar", "text"),
        _c("year", "int"),
        _c("source", "text"),
        _c("content", "text"),
        _c("recorded_at", "text"),
        _c("recorded_us", "big"),
        _c("recorded_by", "text"),
    ),
    indexes=(_Index("calendar_years_by_year", "calendar, year, seq"),),
)

# Layout 3: the listeners' outbox.  A write by a store with listeners adds
# its notifications in its own transaction; they are delivered after the
# commit and marked delivered (never deleted: the latest one of an incident
# holds the assessment the next write is compared with).
_OUTBOX = _Table(
    OUTBOX_TABLE,
    (
        _c("seq", "serial", ""),
        _c("incident_id", "text", _INCIDENT_REF),
        _c("plan_key", "text"),
        _c("kind", "text", "NOT NULL CHECK (kind IN ('assessed', 'action_changed'))"),
        _c("payload", "text"),
        _c("recorded_at", "text"),
        _c("recorded_us", "big"),
        _c("delivered", "int"),
        _c("attempts", "int"),
        _c("last_error", "text", ""),
    ),
    indexes=(
        _Index("notifications_by_incident", "incident_id, seq"),
        _Index("notifications_pending", "delivered, seq"),
    ),
)


def schema_statements(types: ColumnTypes) -> list[str]:
    """
    The DDL statements (``IF NOT EXISTS``) that create every table of the
    current layout, spelled with *types*.
    """
    return [s for table in (*_LAYOUT_1, _YEARS, _OUTBOX) for s in table.statements(types)]


def outbox_statements(types: ColumnTypes) -> list[str]:
    """
    The DDL statements that add the ``notifications`` table (layout 3) to an
    older store, spelled with *types*.
    """
    return _OUTBOX.statements(types)


def years_statements(types: ColumnTypes) -> list[str]:
    """
    The DDL statements that add the ``calendar_years`` table (layout 2) to a
    layout-1 store, spelled with *types*.
    """
    return _YEARS.statements(types)
