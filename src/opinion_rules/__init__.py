"""
opinion_rules: executable, testable rules from written response plans for
online public-opinion incidents (网络舆情应急处置预案).

The core story::

    engine = opinion_rules.Engine(plan)
    result = engine.evaluate(incident, at=datetime(2026, 11, 23, 12, tzinfo=CST))
    for action in result.due():
        print(action.owners, action.title, action.due, action.clause)
"""

from __future__ import annotations

from . import exceptions
from ._version import __version__
from .authoring._lint import Finding, lint_plan
from .authoring._render import render_plan
from .engine._engine import BACKENDS, DEFAULT_BACKEND, Engine
from .exceptions import (
    BackendUnavailableError,
    CalendarRangeError,
    ConflictError,
    DuplicateEntryError,
    EngineError,
    FactError,
    IncidentConflictError,
    OpinionRulesError,
    OutOfOrderError,
    PlanConflictError,
    PlanError,
    PlanLoadError,
    PlanValidationError,
    Problem,
    RecordFormatError,
    StoreError,
    StoreNotFoundError,
    StoreUnavailableError,
    UnknownIncidentError,
    UnknownPlanError,
)
from .model._clauses import Clause
from .model._conditions import (
    AllOf,
    Always,
    AnyOf,
    CategoryIs,
    Compare,
    EventSeen,
    Not,
    OneOf,
    Param,
    all_of,
    any_of,
    category,
    event_seen,
    fact,
    grade,
    measure,
    not_,
    param,
)
from .model._deadlines import (
    Anchor,
    Deadline,
    Extension,
    Recurrence,
    after,
    end_of_day,
    immediately,
    no_deadline,
    promptly,
    recurring,
    until,
)
from .model._facts import ASSERTIONS, Event, Incident, Observation
from .model._incident_files import load_incident
from .model._items import (
    CHANNELS,
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
from .model._lifecycle import (
    GRADE_DRIVERS,
    OWNER_DUTIES,
    REGRADE_RULES,
    Assignment,
    Closure,
    Deescalation,
    Grading,
    Routing,
)
from .model._plan import Plan
from .model._results import (
    STATUSES,
    ActionStatus,
    Assessment,
    CategoryMatch,
    ChainStatus,
    GradeReached,
    Owner,
    Undecided,
)
from .model._windows import Measure, Window, calendar_day, cumulative, rolling, sustained
from .planfile._loaders import load_plan
from .planfile._planfile import dump_plan
from .planfile._schedules import load_year_schedule
from .planfile._schemas import incident_schema, plan_schema
from .store._casestore import (
    AgendaItem,
    CaseStore,
    LogEntry,
    Receipt,
    ScheduleReceipt,
    StoredSchedule,
    open_store,
)
from .store._postgres import PostgresStore
from .store._sqlite import SQLiteStore
from .time._calendars import ChinaCalendar, DataCalendar, Festival, WorkingCalendar, YearSchedule
from .time._offsets import Offset


__all__ = [
    "ASSERTIONS",
    "BACKENDS",
    "CHANNELS",
    "DEFAULT_BACKEND",
    "GRADE_DRIVERS",
    "OWNER_DUTIES",
    "REGRADE_RULES",
    "STATUSES",
    "Action",
    "ActionStatus",
    "AgendaItem",
    "AllOf",
    "Always",
    "Anchor",
    "AnyOf",
    "Assessment",
    "Assignment",
    "BackendUnavailableError",
    "CalendarRangeError",
    "CaseStore",
    "Category",
    "CategoryIs",
    "CategoryMatch",
    "ChainStatus",
    "ChinaCalendar",
    "Clause",
    "Closure",
    "Compare",
    "ConflictError",
    "DataCalendar",
    "Deadline",
    "Deescalation",
    "DuplicateEntryError",
    "Engine",
    "EngineError",
    "Event",
    "EventSeen",
    "EventSpec",
    "Extension",
    "FactError",
    "FactSpec",
    "Festival",
    "Finding",
    "Grade",
    "GradeReached",
    "Grading",
    "Incident",
    "IncidentConflictError",
    "LogEntry",
    "Measure",
    "Not",
    "Note",
    "Observation",
    "Offset",
    "OneOf",
    "OpinionRulesError",
    "OutOfOrderError",
    "Owner",
    "Param",
    "Parameter",
    "Plan",
    "PlanConflictError",
    "PlanError",
    "PlanLoadError",
    "PlanValidationError",
    "PostgresStore",
    "Principle",
    "Problem",
    "Receipt",
    "RecordFormatError",
    "Recurrence",
    "ReportChain",
    "Role",
    "Routing",
    "SQLiteStore",
    "ScheduleReceipt",
    "StoreError",
    "StoreNotFoundError",
    "StoreUnavailableError",
    "StoredSchedule",
    "Undecided",
    "UnknownIncidentError",
    "UnknownPlanError",
    "Window",
    "WorkingCalendar",
    "YearSchedule",
    "__version__",
    "after",
    "all_of",
    "any_of",
    "calendar_day",
    "category",
    "cumulative",
    "dump_plan",
    "end_of_day",
    "event_seen",
    "exceptions",
    "fact",
    "grade",
    "immediately",
    "incident_schema",
    "lint_plan",
    "load_incident",
    "load_plan",
    "load_year_schedule",
    "measure",
    "no_deadline",
    "not_",
    "open_store",
    "param",
    "plan_schema",
    "promptly",
    "recurring",
    "render_plan",
    "rolling",
    "sustained",
    "until",
]
