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
from ._calendars import ChinaCalendar, DataCalendar, WorkingCalendar
from ._conditions import (
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
from ._deadlines import (
    Anchor,
    Deadline,
    Extension,
    Offset,
    Recurrence,
    after,
    end_of_day,
    immediately,
    no_deadline,
    promptly,
    recurring,
    until,
)
from ._engine import BACKENDS, DEFAULT_BACKEND, Engine
from ._facts import Event, Incident, Observation, load_incident
from ._lint import Finding, lint_plan
from ._loaders import load_plan
from ._plan import (
    CHANNELS,
    Action,
    Category,
    Clause,
    EventSpec,
    FactSpec,
    Grade,
    Note,
    Parameter,
    Plan,
    Principle,
    ReportChain,
    Role,
)
from ._planfile import dump_plan
from ._render import render_plan
from ._results import (
    STATUSES,
    ActionStatus,
    Assessment,
    CategoryMatch,
    ChainStatus,
    GradeReached,
    Owner,
)
from ._schemas import incident_schema, plan_schema
from ._version import __version__
from ._windows import Measure, Window, calendar_day, cumulative, rolling, sustained
from .exceptions import (
    BackendUnavailableError,
    CalendarRangeError,
    EngineError,
    FactError,
    OpinionRulesError,
    PlanError,
    PlanLoadError,
    PlanValidationError,
    Problem,
)


__all__ = [
    "BACKENDS",
    "CHANNELS",
    "DEFAULT_BACKEND",
    "STATUSES",
    "Action",
    "ActionStatus",
    "AllOf",
    "Always",
    "Anchor",
    "AnyOf",
    "Assessment",
    "BackendUnavailableError",
    "CalendarRangeError",
    "Category",
    "CategoryIs",
    "CategoryMatch",
    "ChainStatus",
    "ChinaCalendar",
    "Clause",
    "Compare",
    "DataCalendar",
    "Deadline",
    "Engine",
    "EngineError",
    "Event",
    "EventSeen",
    "EventSpec",
    "Extension",
    "FactError",
    "FactSpec",
    "Finding",
    "Grade",
    "GradeReached",
    "Incident",
    "Measure",
    "Not",
    "Note",
    "Observation",
    "Offset",
    "OneOf",
    "OpinionRulesError",
    "Owner",
    "Param",
    "Parameter",
    "Plan",
    "PlanError",
    "PlanLoadError",
    "PlanValidationError",
    "Principle",
    "Problem",
    "Recurrence",
    "ReportChain",
    "Role",
    "Window",
    "WorkingCalendar",
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
    "measure",
    "no_deadline",
    "not_",
    "param",
    "plan_schema",
    "promptly",
    "recurring",
    "render_plan",
    "rolling",
    "sustained",
    "until",
]
