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

:class:`CaseStore` is assembled from one class per concern, each building on
the ones below it::

    StoreConnection   _connection  connection, tables, transactions
    PlanShelf         _plans       plan versions, year schedules in force
    LogReader         _log         replay, timeline, audit
    AgendaKeeper      _agenda      the materialised agenda
    Outbox            _outbox      the listeners' notifications, delivered after commit
    IncidentWriter    _writes      open_incident, record
    ScheduleKeeper    _schedules   add_schedule, schedule history

The two backends (:class:`~opinion_rules.store.SQLiteStore`,
:class:`~opinion_rules.store.PostgresStore`) only supply connections, transactions
and the spelling of column types; every rule lives in these classes.  The
reference is ``docs/reference/case-store.md``; the reasons are in
``docs/explanation/case-store.md``.
"""

from __future__ import annotations

from opinion_rules.store._schedules import ScheduleKeeper
from opinion_rules.store._writes import IncidentWriter


__all__ = ["CaseStore"]


class CaseStore(IncidentWriter, ScheduleKeeper):
    """
    A durable, append-only log of incidents, each pinned to a stored plan
    version, with as-of replay and an agenda across incidents.

    Every write is one transaction: a method that raises has written
    nothing.  Writes are idempotent per client id: sending the same entry
    again returns the first receipt (with ``duplicate=True``) and writes
    nothing; sending other content under a used id is an error.  The store
    never reads a clock: every instant is a parameter.

    Use :func:`open_store`, :class:`~opinion_rules.store.SQLiteStore` or
    :class:`~opinion_rules.store.PostgresStore`; a store object holds one database
    connection and is not meant to be shared between threads.  Close it with
    :meth:`close`, or use it as a context manager.

    .. versionadded:: 0.4.0
    """
