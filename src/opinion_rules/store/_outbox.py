"""
The listeners' outbox: a write by a store with listener plug-ins stores
what it changed (an incident's grade, an action's status or due time) as
notifications in its own transaction; after the commit they are delivered
to the listeners in order and marked delivered.

A listener that raises, or runs out of the store's time budget, never
undoes or fails the write: the notification stays pending, the failure is
logged (logger ``opinion_rules.store``) and kept in
:attr:`CaseStore.last_delivery`, and delivery resumes with it on the next
write or :meth:`CaseStore.deliver_pending`.  So every change is delivered
at least once, in the order it was committed, with a stable id a listener
can be idempotent by.  See docs/reference/plugins.md ("Listeners").
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from opinion_rules._problems import describe_value
from opinion_rules.exceptions import StoreError, StoreUnavailableError
from opinion_rules.model._results import Assessment
from opinion_rules.planfile._loaders import PluginsArg
from opinion_rules.plugins._manager import PluginSet
from opinion_rules.store._agenda import AgendaKeeper
from opinion_rules.store._codec import (
    action_from_data,
    action_to_data,
    assessment_from_data,
    assessment_to_data,
)
from opinion_rules.store._records import Delivery
from opinion_rules.store._schema import (
    OUTBOX_TABLE,
    SCHEMA_VERSION,
    YEARS_TABLE,
    outbox_statements,
)
from opinion_rules.store._values import canonical, to_us


__all__ = ["DEFAULT_LISTENER_TIMEOUT", "Outbox", "changes"]

#: How long one delivery may wait for the listeners, in seconds.
DEFAULT_LISTENER_TIMEOUT = 10.0
# The longest budget accepted (a day): longer is a mistake, not a budget.
_LONGEST_TIMEOUT = 86_400.0
# Pending notifications read per query while delivering.
_CHUNK = 200

logger = logging.getLogger("opinion_rules.store")

_HOOKS = {"assessed": "opinion_rules_assessed", "action_changed": "opinion_rules_action_changed"}


def changes(
    previous: Assessment | None, assessment: Assessment
) -> list[tuple[str, dict[str, Any]]]:
    """
    The notifications (kind, payload) for a write that took an incident
    from *previous* (``None``: it is new) to *assessment*: ``assessed`` when
    its grade changed (or it is new), then ``action_changed`` for each
    action, in plan order, that newly applies or whose status or due time
    changed.
    """
    data = assessment_to_data(assessment)
    out: list[tuple[str, dict[str, Any]]] = []
    grade = None if assessment.grade is None else assessment.grade.id
    if previous is None or grade != (None if previous.grade is None else previous.grade.id):
        out.append(
            (
                "assessed",
                {
                    "assessment": data,
                    "previous": None if previous is None else assessment_to_data(previous),
                },
            )
        )
    before = {} if previous is None else {a.id: a for a in previous.actions}
    for action in assessment.actions:
        old = before.get(action.id)
        if old is None or old.status != action.status or old.due != action.due:
            out.append(
                (
                    "action_changed",
                    {
                        "action": action.id,
                        "status": action.status,
                        "previous": None if old is None else action_to_data(old),
                        "assessment": data,
                    },
                )
            )
    return out


def _checked_timeout(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= _LONGEST_TIMEOUT
    ):
        raise StoreError(
            f"listener_timeout is {describe_value(value)}; expected a number of seconds "
            f"above 0 and at most {_LONGEST_TIMEOUT:g}"
        )
    return float(value)


class _Call(threading.Thread):
    """
    One notification's listener calls, on a daemon thread, so that a
    listener that never returns cannot hold up the write or the process's
    exit.
    """

    def __init__(self, plugins: PluginSet, hook: str, item: str, kwargs: dict[str, Any]) -> None:
        super().__init__(name=f"opinion_rules listener ({item})", daemon=True)
        self._plugins, self._hook, self._item, self._kwargs = plugins, hook, item, kwargs
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._plugins.call(self._hook, self._item, **self._kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported by the delivering thread
            self.error = exc


class Outbox(AgendaKeeper):
    """
    The case store's notifications to its listener plug-ins.
    """

    def __init__(
        self,
        name: str,
        *,
        create: bool,
        plugins: PluginsArg = None,
        listener_timeout: float = DEFAULT_LISTENER_TIMEOUT,
    ) -> None:
        # Set before the tables are checked: creating them commits a write.
        self._listener_timeout = _checked_timeout(listener_timeout)
        self._delivering = False
        self._outbox_table = False
        self._last_delivery: Delivery | None = None
        self._running: _Call | None = None
        super().__init__(name, create=create, plugins=plugins)

    # -- writing notifications, inside a write's transaction -------------------------

    def _notify(
        self,
        incident_id: str,
        key: str,
        assessment: Assessment,
        at: datetime,
        baseline: Callable[[], Assessment | None] | None,
    ) -> None:
        """
        Store the notifications of a write that evaluated *incident_id* to
        *assessment* at *at*, compared with the assessment of its last
        notified write; without one, with *baseline()* (``None``: a new
        incident), or, when *baseline* is ``None``, store nothing.
        Nothing is stored when no listener is enabled.
        """
        if not self._plugins.listens:
            return
        self._ensure_outbox()
        rows = self._fetch(
            f"SELECT payload FROM {OUTBOX_TABLE} WHERE incident_id = ? "  # noqa: S608 - a constant
            "ORDER BY seq DESC LIMIT 1",
            (incident_id,),
        )
        if rows:
            with self._reading(f"the last notification of incident {incident_id!r}"):
                previous: Assessment | None = assessment_from_data(
                    json.loads(str(rows[0][0]))["assessment"]
                )
        elif baseline is None:
            return
        else:
            previous = baseline()
        found = changes(previous, assessment)
        self._run_many(
            f"INSERT INTO {OUTBOX_TABLE} (incident_id, plan_key, kind, payload, recorded_at, "  # noqa: S608 - a constant
            "recorded_us, delivered, attempts) VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
            [
                (incident_id, key, kind, canonical(payload), at.isoformat(), to_us(at))
                for kind, payload in found
            ],
        )

    def _ensure_outbox(self) -> None:
        """
        Create the outbox table in a store written by an older version.
        """
        if self._outbox_table or self._has_table(OUTBOX_TABLE):
            self._outbox_table = True
            return
        self._before_schema()
        for statement in outbox_statements(self._COLUMN_TYPES):
            self._fetch(statement)
        if self._has_table(YEARS_TABLE):  # a layout-2 store now has every table of layout 3
            self._fetch(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
            )
        self._outbox_table = True

    def _forget_cached(self) -> None:
        self._outbox_table = False  # its creation may have been rolled back
        super()._forget_cached()

    # -- delivering, after the commit ------------------------------------------------

    @property
    def last_delivery(self) -> Delivery | None:
        """
        What the delivery after this store's latest write did (``None``
        before its first write with listeners): whether a listener failed
        or ran out of time, and how many notifications are pending.

        .. versionadded:: 0.6.0
        """
        return self._last_delivery

    def deliver_pending(self) -> Delivery:
        """
        Deliver the pending notifications to the enabled listeners, in
        order, within the store's ``listener_timeout``; mark each one every
        listener took as delivered.

        A write by a store with listeners does this after its commit; call
        it to retry after a listener failed, or after a crash between a
        write's commit and its delivery, without writing.

        Raises:
            StoreUnavailableError: the store is read-only (delivered
                notifications could not be marked).

        .. versionadded:: 0.6.0
        """
        if self._read_only is not None:
            raise StoreUnavailableError(
                self._name,
                f"cannot deliver notifications: {self._read_only}; expected a store this "
                "process may write (deliveries are marked in it)",
            )
        if not self._plugins.listens:
            pending = self._pending_count()
            return Delivery(
                0,
                pending,
                None,
                "no enabled plug-in implements a listener hook" if pending else None,
            )
        return self._deliver()

    def _after_commit(self) -> None:
        if self._delivering or not self._plugins.listens or self._read_only is not None:
            return
        try:
            self._last_delivery = self._deliver()
        except Exception as exc:  # the write is committed: report, never raise
            self._delivering = False
            self._last_delivery = Delivery(0, 0, None, f"{type(exc).__name__}: {exc}")
            logger.warning("%s: notifications not delivered: %s", self._name, exc, exc_info=exc)

    def _pending_count(self) -> int:
        with self._transaction(write=False):
            if not self._has_table(OUTBOX_TABLE):
                return 0
            rows = self._fetch(f"SELECT count(*) FROM {OUTBOX_TABLE} WHERE delivered = 0")  # noqa: S608 - a constant
        return int(rows[0][0])

    def _deliver(self) -> Delivery:
        self._delivering = True
        try:
            done: list[int] = []
            stopped: tuple[int, str] | None = None
            deadline = time.monotonic() + self._listener_timeout
            if self._running is not None and self._running.is_alive():
                stopped = (-1, f"a listener is still running ({self._running.name})")
            while stopped is None:
                rows = self._pending(done[-1] if done else 0)
                for seq, incident_id, key, kind, payload in rows:
                    stopped = self._deliver_one(
                        seq, incident_id, key, kind, payload, deadline - time.monotonic()
                    )
                    if stopped is not None:
                        break
                    done.append(seq)
                if len(rows) < _CHUNK:
                    break
            if done or (stopped is not None and stopped[0] >= 0):
                pending = self._mark(done, stopped)
            else:
                pending = self._pending_count()
        finally:
            self._delivering = False
        if stopped is None:
            return Delivery(len(done), pending)
        seq, reason = stopped
        logger.warning(
            "%s: %s; %d notification(s) pending, delivered again on the next write or by "
            "deliver_pending()",
            self._name,
            reason,
            pending,
        )
        return Delivery(len(done), pending, None if seq < 0 else str(seq), reason)

    def _pending(self, after: int) -> list[tuple[int, str, str, str, str]]:
        with self._transaction(write=False):
            if not self._has_table(OUTBOX_TABLE):
                return []
            rows = self._fetch(
                f"SELECT seq, incident_id, plan_key, kind, payload FROM {OUTBOX_TABLE} "  # noqa: S608 - constants
                f"WHERE delivered = 0 AND seq > ? ORDER BY seq LIMIT {_CHUNK}",
                (after,),
            )
        with self._reading("the pending notifications"):
            return [(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows]

    def _deliver_one(
        self, seq: int, incident_id: str, key: str, kind: str, payload: str, budget: float
    ) -> tuple[int, str] | None:
        """
        Call the listeners with notification *seq*; return why it was not
        delivered, or ``None``.
        """
        item = f"notification {seq}"
        try:
            kwargs = _arguments(seq, incident_id, key, kind, payload)
        except (ValueError, TypeError, KeyError) as exc:
            return seq, f"{item} cannot be read ({exc}): the store is damaged"
        if budget <= 0:
            return seq, f"{item} not delivered: out of time ({self._listener_timeout:g} s)"
        call = _Call(self._plugins, _HOOKS[kind], item, kwargs)
        call.start()
        call.join(budget)
        if call.is_alive():
            self._running = call
            return seq, (
                f"{item} not delivered: a listener did not return within the "
                f"listener_timeout of {self._listener_timeout:g} s"
            )
        if call.error is not None:
            return seq, f"{item} not delivered: {call.error}"
        return None

    def _mark(self, done: Sequence[int], stopped: tuple[int, str] | None) -> int:
        """
        Mark *done* delivered and count the failed attempt at *stopped*, in
        one transaction; return how many are pending then.
        """
        with self._transaction(write=True):
            if not self._has_table(OUTBOX_TABLE):
                return 0
            if done:
                self._run_many(
                    f"UPDATE {OUTBOX_TABLE} SET delivered = 1, attempts = attempts + 1 "  # noqa: S608 - a constant
                    "WHERE seq = ?",
                    [(seq,) for seq in done],
                )
            if stopped is not None and stopped[0] >= 0:
                self._fetch(
                    f"UPDATE {OUTBOX_TABLE} SET attempts = attempts + 1, last_error = ? "  # noqa: S608 - a constant
                    "WHERE seq = ?",
                    (stopped[1], stopped[0]),
                )
            rows = self._fetch(f"SELECT count(*) FROM {OUTBOX_TABLE} WHERE delivered = 0")  # noqa: S608 - a constant
        return int(rows[0][0])


def _arguments(seq: int, incident_id: str, key: str, kind: str, payload: str) -> dict[str, Any]:
    """
    The keyword arguments of a notification's hook, rebuilt from its row.
    """
    data = json.loads(payload)
    assessment = assessment_from_data(data["assessment"])
    common = {"notification_id": str(seq), "incident_id": incident_id, "plan_key": key}
    if kind == "assessed":
        previous = data["previous"]
        return {
            **common,
            "assessment": assessment,
            "previous": None if previous is None else assessment_from_data(previous),
        }
    if kind != "action_changed":
        raise ValueError(f"unknown notification kind {kind!r}")
    previous = data["previous"]
    return {
        **common,
        "action": assessment.action(str(data["action"])),
        "previous": None if previous is None else action_from_data(previous),
        "assessment": assessment,
    }
