"""
What the case store evaluates with: the stored plan versions, and the year
schedules in force that fill the years a plan's China calendar does not
schedule itself; the engines built from the two, cached per session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from opinion_rules._limits import printable
from opinion_rules._problems import describe_value
from opinion_rules._suggest import expected_names
from opinion_rules.engine._engine import Engine
from opinion_rules.exceptions import (
    PlanConflictError,
    PlanError,
    PlanValidationError,
    StoreError,
    StoreUnavailableError,
    UnknownPlanError,
)
from opinion_rules.model._plan import Plan
from opinion_rules.planfile._loaders import PluginsArg, read_plan_text
from opinion_rules.planfile._schedules import read_year_schedule
from opinion_rules.planfile._writer import dump_plan
from opinion_rules.plugins._manager import PluginSet, plugin_set
from opinion_rules.store._connection import StoreConnection
from opinion_rules.store._records import StoredSchedule
from opinion_rules.store._schema import YEARS_TABLE
from opinion_rules.store._values import checked_text
from opinion_rules.time._calendars import ChinaCalendar, YearSchedule


__all__ = ["YEAR_COLUMNS", "PlanShelf", "plan_key", "with_years"]

# The year schedules' state before it was first read in this session (any
# value a table's max(seq) never takes).
_UNREAD = -1
#: The columns of ``calendar_years`` that ``_stored_year`` reads, in order.
YEAR_COLUMNS = "seq, calendar, year, content, recorded_at, recorded_by"


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


class PlanShelf(StoreConnection):
    """
    The case store's plan versions and year schedules in force.
    """

    def __init__(self, name: str, *, create: bool, plugins: PluginsArg = None) -> None:
        # The plug-ins every plan is read and every engine built with.
        self._plugins = plugin_set(plugins)
        # Stored plan versions never change; the engines also depend on the
        # stored year schedules, and are rebuilt when those change.
        self._plans: dict[str, Plan] = {}
        self._engines: dict[str, Engine] = {}
        self._years_table = False
        self._years_token: int | None = _UNREAD
        self._years: tuple[YearSchedule, ...] = ()
        super().__init__(name, create=create)

    @property
    def plugins(self) -> PluginSet:
        """
        The enabled plug-ins: stored plans are read and evaluated with them,
        and its listeners are told about every write's changes.

        .. versionadded:: 0.6.0
        """
        return self._plugins

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
            raise TypeError(f"add_plan needs a Plan (got {describe_value(plan)})")
        key = plan_key(plan)
        # Refuses a plan that could not be evaluated, or needs plug-ins not enabled.
        engine = Engine(plan, plugins=self._plugins)
        text = dump_plan(plan, "json")
        if read_plan_text(text, "json", f"plan {key!r}", plugins=self._plugins) != plan:
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
                if (
                    stored != text
                    and read_plan_text(stored, "json", key, plugins=self._plugins) != plan
                ):
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
        checked_text("plan", "key", key)
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
            plan = read_plan_text(
                str(rows[0][0]), "json", f"stored plan {key!r}", plugins=self._plugins
            )
        except PlanValidationError as exc:
            if any(p.path.startswith("requires") or "plug-in" in p.message for p in exc.problems):
                raise  # a plug-in the plan requires is not enabled: say which, and how
            raise self._damaged_plan(key, exc) from exc
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
                engine = Engine(with_years(plan, self._years), plugins=self._plugins)
            except PlanError as exc:
                raise self._damaged_plan(key, exc) from exc
            self._engines[key] = engine
        return engine

    def _stored_year(self, row: Sequence[Any]) -> StoredSchedule:
        """
        One row of ``calendar_years`` (the columns of ``YEAR_COLUMNS``),
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
                    f"SELECT {YEAR_COLUMNS} FROM {YEARS_TABLE} WHERE calendar = 'china' AND "  # noqa: S608 - constants
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

    def _forget_cached(self) -> None:
        self._forget_years()
