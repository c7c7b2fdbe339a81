"""
Every error and warning opinion_rules raises.

The tree::

    OpinionRulesError(Exception)          catch this to catch everything we raise
    ├── PlanError                         the plan is wrong (the author's fix)
    │   ├── PlanLoadError                 the plan could not be read or imported
    │   └── PlanValidationError           one or more problems; ``.problems``
    ├── FactError(OpinionRulesError, ValueError)
    │                                     the incident facts are wrong (the
    │                                     caller's fix); ``.problems``
    ├── CalendarRangeError(OpinionRulesError, LookupError)
    │                                     a working calendar does not cover a
    │                                     day the evaluation needs
    ├── ScenarioError                     a scenario file is wrong (the plan
    │                                     author's fix); ``.problems``
    ├── PluginError                       a plug-in could not be loaded, broke
    │                                     its contract or raised
    ├── BackendUnavailableError           the requested backend cannot run here
    ├── EngineError                       a backend failed (never the user's
    │                                     fault); ``__cause__`` kept
    ├── ServiceError                      the HTTP service cannot start: its
    │                                     token file or plans folder is wrong,
    │                                     or its extra is not installed
    ├── BacktestError                     a back-test cannot run: its source
    │                                     cannot be read, or its runner is
    │                                     unavailable (extra, scheduler)
    └── StoreError                        the case store refused a write or a
        │                                 query; nothing was written
        ├── StoreUnavailableError         the database cannot be opened or
        │   │                             reached, or its driver is missing
        │   └── StoreNotFoundError        there is no store there (and it
        │                                 may not be created)
        ├── UnknownIncidentError(StoreError, LookupError)
        │                                 no such incident (at that time)
        ├── UnknownPlanError(StoreError, LookupError)
        │                                 no such plan version in the store
        ├── ConflictError                 an id already used with other content
        │   ├── PlanConflictError         a stored plan version, changed
        │   ├── IncidentConflictError     an opened incident, reopened otherwise
        │   └── DuplicateEntryError       an entry id, reused for other content
        ├── OutOfOrderError(StoreError, ValueError)
        │                                 recorded_at went back, or an item is
        │                                 from after its recorded_at
        └── RecordFormatError(StoreError, ValueError)
                                          an entry is not JSON or not an entry;
                                          ``.problems``

Every error that describes bad input keeps the individual problems as
:class:`Problem` objects (``path``, ``message``, ``expected``, ``got``), and
renders one line per problem.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from opinion_rules._problems import Problem


__all__ = [
    "BackendUnavailableError",
    "BacktestError",
    "CalendarRangeError",
    "ConflictError",
    "DuplicateEntryError",
    "EngineError",
    "FactError",
    "IncidentConflictError",
    "OpinionRulesError",
    "OutOfOrderError",
    "PlanConflictError",
    "PlanError",
    "PlanLoadError",
    "PlanValidationError",
    "PluginError",
    "Problem",
    "RecordFormatError",
    "ScenarioError",
    "ServiceError",
    "StoreError",
    "StoreNotFoundError",
    "StoreUnavailableError",
    "UnknownIncidentError",
    "UnknownPlanError",
]


class OpinionRulesError(Exception):
    """
    Root of every exception opinion_rules raises.

    .. versionadded:: 0.1.0
    """


class _ProblemsMixin(Exception):  # noqa: N818 - a base, never raised itself
    """
    The shared constructor and rendering of errors that carry a tuple of
    problems: ``subject`` and ``problems``, one line per problem.
    """

    def __init__(self, subject: str, problems: Iterable[Problem]) -> None:
        self.subject = subject
        self.problems = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            problem = self.problems[0]
            # A located problem already starts with its file.
            return str(problem) if problem.line is not None else f"{self.subject}: {problem}"
        lines = [f"{self.subject}: {len(self.problems)} problems"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


class PlanError(OpinionRulesError):
    """
    The plan is wrong; the plan author has to fix it.

    .. versionadded:: 0.1.0
    """


class PlanLoadError(PlanError):
    """
    A plan could not be read, imported or found.

    Attributes:
        source: The file path or ``module:attribute`` that was asked for.
        reason: Why it could not be loaded.
        line, column: Where in the file (1-based), for a syntax error.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0 *line* and *column*.
    """

    def __init__(
        self, source: str, reason: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        self.column = column
        where = source if line is None else f"{source}:{line}:{column or 1}"
        super().__init__(f"{where}: {reason}")


class PlanValidationError(_ProblemsMixin, PlanError):
    """
    A plan object was built with one or more problems.

    All problems found are reported at once.

    Attributes:
        subject: What was being validated, e.g. ``plan 'work-safety'``.
        problems: Every problem found.

    .. versionadded:: 0.1.0
    """


class FactError(_ProblemsMixin, OpinionRulesError, ValueError):
    """
    The incident facts are wrong; the caller has to fix them.

    Raised for naive datetimes, negative counts, unknown metrics, facts or
    action ids, and missing required fields.  Nothing is coerced silently.

    Attributes:
        subject: What was being read, e.g. ``incident 'INC-1'``.
        problems: Every problem found.

    .. versionadded:: 0.1.0
    """


class ScenarioError(_ProblemsMixin, OpinionRulesError):
    """
    A scenario file (``*.scenario.yaml``) cannot be run: it cannot be read,
    does not follow the scenario format, or expects grades, categories or
    actions its plan does not have.  Every problem is located as
    ``file:line:column``.

    A check that does not hold is not an error: it is a failed check.

    Attributes:
        subject: The scenario file.
        problems: Every problem found.

    .. versionadded:: 0.6.0
    """


class CalendarRangeError(OpinionRulesError, LookupError):
    """
    A working calendar was asked about a day it has no data for.

    Deadlines in working days need the real holiday schedule of every year
    they cross; the library never guesses one.  Supply a calendar that covers
    the year (a newer ``chinesecalendar``, or a
    :class:`~opinion_rules.calendars.DataCalendar`).

    Attributes:
        calendar: The calendar's name.
        day: The day asked about.
        years: ``(first, last)`` years the calendar covers, if known.

    .. versionadded:: 0.3.0
    """

    def __init__(
        self,
        calendar: str,
        day: date,
        years: tuple[int, int] | None,
        detail: str | None = None,
    ) -> None:
        self.calendar = calendar
        self.day = day
        self.years = years
        if detail is None:
            covered = "" if years is None else f" (it covers {years[0]}-{years[1]})"
            detail = (
                f"has no data for {day.year}{covered}; expected a calendar covering {day}: "
                "upgrade chinesecalendar or give the plan a data calendar for that year"
            )
        super().__init__(f"calendar {calendar!r} {detail}")


class BackendUnavailableError(OpinionRulesError):
    """
    The requested evaluation backend cannot run in this interpreter.

    For example, ``durable`` on Python 3.13+, where durable_rules does not
    import.

    Attributes:
        backend: The backend name that was asked for.

    .. versionadded:: 0.1.0
    """

    def __init__(self, backend: str, reason: str) -> None:
        self.backend = backend
        super().__init__(f"backend {backend!r} is unavailable: {reason}")


class EngineError(OpinionRulesError):
    """
    An evaluation backend failed.

    This is never the caller's fault; the original exception is kept as
    ``__cause__``.

    .. versionadded:: 0.1.0
    """


class PluginError(OpinionRulesError):
    """
    A plug-in could not be found or loaded, broke its contract, or raised.

    Attributes:
        plugin: The plug-in's name.
        hook: The hook (``opinion_rules_functions`` …) or ``load``.
        item: The plan item or name it was working on, if any.
        reason: What went wrong.

    The plug-in's own exception, if any, is kept as ``__cause__``.

    .. versionadded:: 0.6.0
    """

    def __init__(self, plugin: str, hook: str, reason: str, item: str | None = None) -> None:
        self.plugin = plugin
        self.hook = hook
        self.item = item
        self.reason = reason
        about = "" if item is None else f" ({item})"
        super().__init__(f"plug-in {plugin!r}, {hook}{about}: {reason}")


class ServiceError(OpinionRulesError):
    """
    The HTTP service (``opinion-rules serve``,
    :func:`opinion_rules.service.create_app`) cannot start: its token file
    or its plans folder is wrong, or the ``service`` extra is not installed
    (``pip install 'opinion-rules[service]'``).  A plan file that is wrong
    is a :class:`PlanError`, as everywhere.

    Attributes:
        subject: The file, folder or package concerned.
        reason: What is wrong, in one sentence (each problem, for a file).
        problems: The problems found in a token file, located
            ``file:line:column``; empty otherwise.

    .. versionadded:: 0.6.0
    """

    def __init__(self, subject: str, reason: str, problems: Iterable[Problem] = ()) -> None:
        self.subject = subject
        self.reason = reason
        self.problems = tuple(problems)
        super().__init__(f"{subject}: {reason}" if not self.problems else reason)


class BacktestError(OpinionRulesError):
    """
    A back-test (:func:`opinion_rules.backtest.backtest`, ``opinion-rules
    backtest``) cannot run: its incident source cannot be read (a missing
    file or folder, a store that cannot be opened is a :class:`StoreError`),
    its options are wrong, or its runner is unavailable (the ``dask`` extra
    is not installed, the Dask scheduler cannot be reached).  One bad
    incident does not stop a back-test: it is reported and skipped.

    .. versionadded:: 0.6.0
    """


# -- case store ------------------------------------------------------------------
# The errors of the durable incident log (opinion_rules._store).  Every write
# is one transaction, so each of these means: nothing was written.


class StoreError(OpinionRulesError):
    """
    The case store refused an operation, or could not carry it out.

    Every write is one transaction: when a store method raises, nothing it
    was asked to write has been written.

    .. versionadded:: 0.4.0
    """


class StoreUnavailableError(StoreError):
    """
    The store's database cannot be opened or reached, or its driver is not
    installed (``pip install 'opinion-rules[postgres]'`` for PostgreSQL).

    Attributes:
        store: The path, or the URL without its password.
        reason: Why, in one sentence.

    .. versionadded:: 0.4.0
    """

    def __init__(self, store: str, reason: str) -> None:
        self.store = store
        self.reason = reason
        super().__init__(f"case store {store}: {reason}")


class StoreNotFoundError(StoreUnavailableError):
    """
    There is no case store where one was asked for, and it may not be
    created there: an SQLite file that does not exist, or a PostgreSQL
    database without the store's tables, opened with ``create=False``.

    Attributes:
        store: The path, or the URL without its password.
        reason: What is missing, in one sentence.

    .. versionadded:: 0.5.0
    """


class UnknownIncidentError(StoreError, LookupError):
    """
    No incident with this id is in the store, or none was known yet at the
    instant asked about.

    Attributes:
        incident_id: The id asked for.
        known_at: The instant asked about, for an as-of query.
        opened_at: When the incident was opened (recorded), if it exists but
            was opened after *known_at*.
        expected: What would have been found, e.g. a close incident id.

    .. versionadded:: 0.4.0
    """

    def __init__(
        self,
        incident_id: str,
        *,
        known_at: datetime | None = None,
        opened_at: datetime | None = None,
        expected: str | None = None,
    ) -> None:
        self.incident_id = incident_id
        self.known_at = known_at
        self.opened_at = opened_at
        self.expected = expected
        if opened_at is not None and known_at is not None:
            text = (
                f"incident {incident_id!r} was not known yet at {known_at.isoformat()}: "
                f"it was opened (recorded) at {opened_at.isoformat()}; "
                "expected an instant at or after that"
            )
        else:
            text = f"incident {incident_id!r} is not in the store"
            text += f"; expected {expected}" if expected else "; open it first"
        super().__init__(text)


class UnknownPlanError(StoreError, LookupError):
    """
    No plan version with this key is in the store.

    Attributes:
        plan_key: The key asked for, e.g. ``work-safety@2023-1``.
        expected: The stored keys, with the closest one.

    .. versionadded:: 0.4.0
    """

    def __init__(self, plan_key: str, expected: str) -> None:
        self.plan_key = plan_key
        self.expected = expected
        super().__init__(
            f"plan {plan_key!r} is not in the store (add it first); expected {expected}"
        )


class ConflictError(StoreError):
    """
    An id the store already holds was sent again with different content.

    Ids in the store never change meaning: sending the same content again is
    an idempotent no-op; different content needs a new id (or, for a plan, a
    new version).

    .. versionadded:: 0.4.0
    """


class PlanConflictError(ConflictError):
    """
    A plan version is already stored with different content.

    Attributes:
        plan_key: ``<plan id>@<version>``.

    .. versionadded:: 0.4.0
    """

    def __init__(self, plan_key: str) -> None:
        self.plan_key = plan_key
        super().__init__(
            f"plan {plan_key!r} is already stored with different content; expected the same "
            "plan, or a new version: a stored plan version never changes, because incidents "
            "are pinned to it"
        )


class IncidentConflictError(ConflictError):
    """
    An incident is already open, and the new opening differs from the first.

    Attributes:
        incident_id: The incident.
        field: What differs: ``entry_id``, ``plan``, ``discovered_at``,
            ``posted_at`` or ``facts``.
        stored: The stored value, rendered.
        got: The value sent, rendered.

    .. versionadded:: 0.4.0
    """

    def __init__(self, incident_id: str, field: str, stored: str, got: str) -> None:
        self.incident_id = incident_id
        self.field = field
        self.stored = stored
        self.got = got
        super().__init__(
            f"incident {incident_id!r} is already open with {field} {stored}; expected the "
            f"same {field} to repeat the opening, or a new incident id (got {got})"
        )


class DuplicateEntryError(ConflictError):
    """
    An entry id is already used in the incident's log for different content.

    Attributes:
        incident_id: The incident.
        entry_id: The client's entry id.
        where: Where the entry was in the batch, e.g. ``batch[2]`` or
            ``stdin:3``.
        seq: The log sequence number of the stored entry, or ``None`` when
            the clash is inside the batch itself.
        stored: The stored (or earlier) entry, as JSON.
        got: The entry sent, as JSON.

    .. versionadded:: 0.4.0
    """

    def __init__(
        self,
        incident_id: str,
        entry_id: str,
        where: str,
        seq: int | None,
        stored: str,
        got: str,
    ) -> None:
        self.incident_id = incident_id
        self.entry_id = entry_id
        self.where = where
        self.seq = seq
        self.stored = stored
        self.got = got
        first = "earlier in the same batch" if seq is None else f"already recorded (seq {seq})"
        super().__init__(
            f"incident {incident_id!r}: {where}: entry {entry_id!r} is {first} with different "
            f"content; expected the same content (an idempotent retry) or a new entry id "
            f"(stored {_clip(stored)}, got {_clip(got)})"
        )


class OutOfOrderError(StoreError, ValueError):
    """
    A write would make the log's clock go back, or records an item from
    after its own recording time.

    Two rules keep as-of replay exact: *recorded_at* is never earlier than
    the incident's latest *recorded_at*, and an item's own instant is never
    later than its *recorded_at* (no facts from the future).

    Attributes:
        incident_id: The incident.
        field: ``recorded_at`` (the first rule) or the item's field, e.g.
            ``event.at`` or ``discovered_at`` (the second).
        got: The offending instant.
        bound: The instant it may not precede (``recorded_at``) or exceed.
        entry_id, where: The entry and its place in the batch, if one.

    .. versionadded:: 0.4.0
    """

    def __init__(
        self,
        incident_id: str,
        field: str,
        got: datetime,
        bound: datetime,
        *,
        entry_id: str | None = None,
        where: str | None = None,
    ) -> None:
        self.incident_id = incident_id
        self.field = field
        self.got = got
        self.bound = bound
        self.entry_id = entry_id
        self.where = where
        place = "".join(
            [f": {where}" if where else "", f": entry {entry_id!r}" if entry_id else ""]
        )
        if field == "recorded_at":
            text = (
                f"recorded_at {got.isoformat()} is earlier than the incident's latest "
                f"recorded_at {bound.isoformat()}; expected an instant at or after it "
                "(the log's clock never goes back)"
            )
        else:
            text = (
                f"{field} {got.isoformat()} is later than recorded_at {bound.isoformat()}; "
                "expected an instant at or before recorded_at (no facts from the future)"
            )
        super().__init__(f"incident {incident_id!r}{place}: {text}")


class RecordFormatError(_ProblemsMixin, StoreError, ValueError):
    """
    An entry is not JSON, or not an entry: ``{"id": ..., "observation": {...}}``
    or ``{"id": ..., "event": {...}}``.

    Attributes:
        subject: Where, e.g. ``stdin:3:14`` or ``incident 'INC-1'``.
        problems: Every problem found, each with its path.

    .. versionadded:: 0.4.0
    """


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
