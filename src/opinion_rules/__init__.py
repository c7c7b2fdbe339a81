"""
opinion_rules: executable, testable rules from written response plans for
online public-opinion incidents (网络舆情应急处置预案).

The core story::

    engine = opinion_rules.Engine(plan)
    result = engine.evaluate(incident, at=datetime(2026, 11, 23, 12, tzinfo=CST))
    for action in result.due():
        print(action.owners, action.title, action.due, action.clause)

The top level holds the names most programs need: the plan model, the
engine, plan and incident files, results, the case store and the errors
caught most.  Everything else lives in a public submodule with its own
``__all__``: :mod:`opinion_rules.conditions`, :mod:`~opinion_rules.deadlines`,
:mod:`~opinion_rules.windows`, :mod:`~opinion_rules.calendars`,
:mod:`~opinion_rules.incidents`, :mod:`~opinion_rules.lifecycle`,
:mod:`~opinion_rules.results`,
:mod:`~opinion_rules.vocabulary`, :mod:`~opinion_rules.engine`,
:mod:`~opinion_rules.planfile`, :mod:`~opinion_rules.authoring`,
:mod:`~opinion_rules.store`, :mod:`~opinion_rules.plugins`,
:mod:`~opinion_rules.hookspecs`, :mod:`~opinion_rules.testing`,
:mod:`~opinion_rules.exceptions` and :mod:`~opinion_rules.typing`
(docs/reference/api.md lists them all).
"""

from __future__ import annotations

import warnings
from typing import Any

from opinion_rules import (
    _public,
    authoring,
    calendars,
    conditions,
    deadlines,
    engine,
    exceptions,
    hookspecs,
    incidents,
    lifecycle,
    planfile,
    plugins,
    results,
    store,
    testing,
    typing,
    vocabulary,
    windows,
)
from opinion_rules._version import __version__
from opinion_rules.authoring import lint_plan, render_plan
from opinion_rules.deadlines import Deadline
from opinion_rules.engine import Engine
from opinion_rules.exceptions import (
    EngineError,
    FactError,
    OpinionRulesError,
    PlanError,
    StoreError,
)
from opinion_rules.model._clauses import Clause
from opinion_rules.model._facts import Event, Incident, Observation
from opinion_rules.model._incident_files import load_incident
from opinion_rules.model._items import (
    Action,
    Category,
    EventSpec,
    FactSpec,
    Grade,
    Note,
    Parameter,
    Principle,
    ReportChain,
    Role,
)
from opinion_rules.model._plan import Plan
from opinion_rules.planfile import dump_plan, load_plan
from opinion_rules.plugins._hookspecs import hookimpl
from opinion_rules.results import ActionStatus, Assessment
from opinion_rules.store import CaseStore, open_store
from opinion_rules.windows import Measure, Window


__all__ = [
    "Action",
    "ActionStatus",
    "Assessment",
    "CaseStore",
    "Category",
    "Clause",
    "Deadline",
    "Engine",
    "EngineError",
    "Event",
    "EventSpec",
    "FactError",
    "FactSpec",
    "Grade",
    "Incident",
    "Measure",
    "Note",
    "Observation",
    "OpinionRulesError",
    "Parameter",
    "Plan",
    "PlanError",
    "Principle",
    "ReportChain",
    "Role",
    "StoreError",
    "Window",
    "__version__",
    "dump_plan",
    "exceptions",
    "hookimpl",
    "lint_plan",
    "load_incident",
    "load_plan",
    "open_store",
    "render_plan",
]

#: Where each name that left the top level in 0.6.0 lives now.  The old
#: spelling keeps working, with a DeprecationWarning, until 0.7.0.
_MOVED: dict[str, str] = {
    **dict.fromkeys(
        [
            *("AllOf", "Always", "AnyOf", "CategoryIs", "Compare", "EventSeen", "Not", "OneOf"),
            *("Param", "all_of", "any_of", "category", "event_seen", "fact", "grade", "measure"),
            *("not_", "param"),
        ],
        "opinion_rules.conditions",
    ),
    **dict.fromkeys(
        [
            *("Anchor", "Extension", "Offset", "Recurrence", "after", "end_of_day"),
            *("immediately", "no_deadline", "promptly", "recurring", "until"),
        ],
        "opinion_rules.deadlines",
    ),
    **dict.fromkeys(
        ["calendar_day", "cumulative", "rolling", "sustained"], "opinion_rules.windows"
    ),
    **dict.fromkeys(
        [
            *("ChinaCalendar", "DataCalendar", "Festival", "WorkingCalendar", "YearSchedule"),
            "load_year_schedule",
        ],
        "opinion_rules.calendars",
    ),
    **dict.fromkeys(
        [
            *("GRADE_DRIVERS", "OWNER_DUTIES", "REGRADE_RULES", "Assignment", "Closure"),
            *("Deescalation", "Grading", "Routing"),
        ],
        "opinion_rules.lifecycle",
    ),
    **dict.fromkeys(
        ["STATUSES", "CategoryMatch", "ChainStatus", "GradeReached", "Owner", "Undecided"],
        "opinion_rules.results",
    ),
    **dict.fromkeys(["ASSERTIONS", "CHANNELS"], "opinion_rules.vocabulary"),
    **dict.fromkeys(["BACKENDS", "DEFAULT_BACKEND"], "opinion_rules.engine"),
    **dict.fromkeys(["incident_schema", "plan_schema"], "opinion_rules.planfile"),
    "Finding": "opinion_rules.authoring",
    **dict.fromkeys(
        [
            *("AgendaItem", "LogEntry", "PostgresStore", "Receipt", "SQLiteStore"),
            *("ScheduleReceipt", "StoredSchedule"),
        ],
        "opinion_rules.store",
    ),
    **dict.fromkeys(
        [
            *("BackendUnavailableError", "CalendarRangeError", "ConflictError"),
            *("DuplicateEntryError", "IncidentConflictError", "OutOfOrderError"),
            *("PlanConflictError", "PlanLoadError", "PlanValidationError", "Problem"),
            *("RecordFormatError", "StoreNotFoundError", "StoreUnavailableError"),
            *("UnknownIncidentError", "UnknownPlanError"),
        ],
        "opinion_rules.exceptions",
    ),
}


#: The public submodules, loaded with the package.
_SUBMODULES = {
    module.__name__: module
    for module in (
        authoring,
        calendars,
        conditions,
        deadlines,
        engine,
        exceptions,
        hookspecs,
        incidents,
        lifecycle,
        planfile,
        plugins,
        results,
        store,
        testing,
        typing,
        vocabulary,
        windows,
    )
}


def __getattr__(name: str) -> Any:
    # Old top-level names: found, with a warning naming the new place.
    home = _MOVED.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"opinion_rules.{name} is deprecated: import it from {home} "
        "(the top-level name goes in 0.7.0)",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(_SUBMODULES[home], name)


# Submodules first: a name both here and in a submodule shows the submodule,
# where its neighbours are documented.
for _module in _SUBMODULES.values():
    _public.publish(_module.__name__, vars(_module), _module.__all__)
_public.publish(__name__, globals(), __all__)
del _module


def __dir__() -> list[str]:
    # The public names and submodules, not this module's own imports.
    return sorted({*__all__, *(name.rsplit(".", 1)[1] for name in _SUBMODULES)})
