"""
The case store: a durable, append-only log of incidents, each pinned to a
stored plan version, with as-of replay, an agenda across incidents, and the
calendar years the store's evaluations use; on SQLite or PostgreSQL.

Open one with :func:`open_store` (a path or a ``postgresql://`` URL).  The
reference is ``docs/reference/case-store.md``.
"""

from opinion_rules.store._agenda import AgendaItem
from opinion_rules.store._agenda_query import AGENDA_STATUSES, AgendaQuery, describe_time_left
from opinion_rules.store._casestore import CaseStore
from opinion_rules.store._open import open_store
from opinion_rules.store._postgres import PostgresStore
from opinion_rules.store._records import (
    Delivery,
    LogEntry,
    Receipt,
    ScheduleReceipt,
    StoredSchedule,
)
from opinion_rules.store._sqlite import SQLiteStore


__all__ = [
    "AGENDA_STATUSES",
    "AgendaItem",
    "AgendaQuery",
    "CaseStore",
    "Delivery",
    "LogEntry",
    "PostgresStore",
    "Receipt",
    "SQLiteStore",
    "ScheduleReceipt",
    "StoredSchedule",
    "describe_time_left",
    "open_store",
]
