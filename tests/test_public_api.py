"""
The public surface: a small top level, public submodules with their own
``__all__``, every name documented and shown at its public address, and the
names that left the top level still found there with a warning.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import re
import warnings
from types import ModuleType

import pytest

import opinion_rules
from opinion_rules import calendars
from opinion_rules import typing as public_typing
from opinion_rules.conditions import AllOf

from .conftest import ROOT


#: Every public module and its ``__all__``, pinned: a change to the public
#: surface changes this table (and the CHANGELOG, and docs/reference/api.md).
PUBLIC = {
    "opinion_rules": [
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
    ],
    "opinion_rules.authoring": [
        "Finding",
        "PlanChange",
        "PlanDiff",
        "diff_plans",
        "lint_plan",
        "render_plan",
    ],
    "opinion_rules.pictures": [
        "CJK_FONTS",
        "ActionMark",
        "ChainMark",
        "GradeLevel",
        "GradeStep",
        "MeasureTrace",
        "Threshold",
        "TimelinePicture",
        "cjk_font",
        "draw_timeline",
        "timeline_picture",
    ],
    "opinion_rules.calendars": [
        "ChinaCalendar",
        "DataCalendar",
        "Festival",
        "WorkingCalendar",
        "YearSchedule",
        "load_year_schedule",
    ],
    "opinion_rules.conditions": [
        "ActionState",
        "AllOf",
        "Always",
        "AnyOf",
        "Arithmetic",
        "Before",
        "Call",
        "CategoryIs",
        "Compare",
        "CompareValues",
        "EventSeen",
        "Not",
        "OneOf",
        "Param",
        "Within",
        "all_of",
        "any_of",
        "before",
        "call",
        "category",
        "done",
        "event_seen",
        "fact",
        "grade",
        "measure",
        "not_",
        "overdue",
        "param",
        "within",
    ],
    "opinion_rules.deadlines": [
        "Anchor",
        "Deadline",
        "Extension",
        "Offset",
        "Readings",
        "Recurrence",
        "after",
        "anchor_all",
        "anchor_any",
        "end_of_day",
        "immediately",
        "no_deadline",
        "promptly",
        "recurring",
        "until",
        "until_readings",
    ],
    "opinion_rules.engine": [
        "BACKENDS",
        "DEFAULT_BACKEND",
        "Backend",
        "BackendFactory",
        "Engine",
        "Session",
        "Tracking",
        "backend_names",
        "register_backend",
    ],
    "opinion_rules.exceptions": [
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
    ],
    "opinion_rules.incidents": ["NOT_APPLICABLE", "Judgement", "NotApplicable"],
    "opinion_rules.lifecycle": [
        "ASSERTED_GRADES",
        "GRADE_DRIVERS",
        "OWNER_DUTIES",
        "REGRADE_RULES",
        "ROUTING_MODES",
        "Assignment",
        "Closure",
        "Deescalation",
        "Escalation",
        "Grading",
        "Routing",
    ],
    "opinion_rules.planfile": [
        "LoadedPlan",
        "dump_plan",
        "incident_schema",
        "load_plan",
        "load_plan_with_places",
        "load_year_schedule",
        "plan_schema",
    ],
    "opinion_rules.results": [
        "STATUSES",
        "ActionStatus",
        "Assessment",
        "CategoryMatch",
        "ChainStatus",
        "GradeAssessment",
        "GradeReached",
        "JudgementMade",
        "Owner",
        "Undecided",
    ],
    "opinion_rules.store": [
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
    ],
    "opinion_rules.service": ["DEFAULT_MAX_BODY", "create_app", "new_token_file", "serve"],
    "opinion_rules.backtest": [
        "REPORT_FORMATS",
        "BacktestJob",
        "BacktestReport",
        "Case",
        "ChangeGroup",
        "Chunk",
        "ChunkResult",
        "DaskRunner",
        "Difference",
        "DifferingIncident",
        "Instants",
        "LocalRunner",
        "Runner",
        "SerialRunner",
        "Skipped",
        "backtest",
        "chunked",
        "closing_instant",
        "compare_chunk",
        "dask_runner",
        "read_folder",
        "read_jsonl",
        "read_store",
        "render_report",
        "source_kind",
    ],
    "opinion_rules.hookspecs": [
        "Aggregation",
        "Function",
        "Requirement",
        "SeriesAmount",
        "opinion_rules_action_changed",
        "opinion_rules_assessed",
        "opinion_rules_calendars",
        "opinion_rules_functions",
        "opinion_rules_lint",
        "opinion_rules_measures",
    ],
    "opinion_rules.plugins": ["ENTRY_POINT_GROUP", "Enabled", "PluginSet"],
    "opinion_rules.testing": [
        "assert_action",
        "done",
        "evaluate_at",
        "event",
        "incident",
        "learned",
        "reading",
    ],
    "opinion_rules.typing": [
        "Backend",
        "BackendFactory",
        "Condition",
        "Session",
        "WorkingCalendar",
        "WorkingHours",
    ],
    "opinion_rules.vocabulary": ["ASSERTIONS", "CHANNELS", "Term"],
    "opinion_rules.windows": [
        "Measure",
        "Window",
        "calendar_day",
        "cumulative",
        "rate",
        "rolling",
        "sustained",
    ],
}

#: The top level of 0.5.0: every one of these names is still found there.
TOP_LEVEL_0_5 = [
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

MOVED: dict[str, str] = opinion_rules._MOVED


def module(name: str) -> ModuleType:
    return importlib.import_module(name)


def isort_order(names: list[str]) -> list[str]:
    """Constants, then classes, then functions, each alphabetical (ruff's RUF022)."""
    return sorted(names, key=lambda n: (not n.isupper(), not n[:1].isupper(), n))


def documentable(obj: object) -> bool:
    return inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_public_all_is_pinned_sorted_and_importable(name: str):
    """Each public module's __all__ is the pinned list, in isort order, and every name in it exists."""
    public = module(name)

    assert PUBLIC[name] == public.__all__
    assert isort_order(public.__all__) == public.__all__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [] == [n for n in public.__all__ if not hasattr(public, n)]


def test_the_top_level_is_small():
    """The top level exports at most 40 names."""
    assert len(opinion_rules.__all__) <= 40


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_public_callable_is_documented(name: str):
    """Every public class, function and module has a docstring (constants excepted)."""
    public = module(name)
    undocumented = [
        n
        for n in public.__all__
        if documentable(obj := getattr(public, n)) and not inspect.getdoc(obj)
    ]

    assert public.__doc__
    assert [] == undocumented


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_classes_and_functions_show_a_public_module(name: str):
    """__module__ of every public class and function is a public module that exports it."""
    public = module(name)
    misplaced = [
        f"{n}: {obj.__module__}"
        for n in public.__all__
        if (inspect.isclass(obj := getattr(public, n)) or inspect.isfunction(obj))
        and n not in PUBLIC.get(obj.__module__, [])
    ]

    assert [] == misplaced


def test_a_plan_pickles_and_reprs_at_its_public_address(work_safety: opinion_rules.Plan):
    """A Plan survives a pickle round trip, and classes' reprs name their public module."""
    assert work_safety == pickle.loads(pickle.dumps(work_safety))  # noqa: S301 - our own bytes
    assert "<class 'opinion_rules.Plan'>" == repr(opinion_rules.Plan)
    assert "<class 'opinion_rules.conditions.AllOf'>" == repr(AllOf)


def test_typing_re_exports_the_protocols():
    """opinion_rules.typing holds the very protocol objects the other modules use."""
    assert calendars.WorkingCalendar is public_typing.WorkingCalendar


def test_no_name_of_0_5_is_lost():
    """Every 0.5.0 top-level name is either still in __all__ or in the table of moved names."""
    assert [] == sorted(set(TOP_LEVEL_0_5) - {*opinion_rules.__all__, *MOVED})
    assert set() == set(opinion_rules.__all__) & set(MOVED)


@pytest.mark.parametrize(("name", "home"), sorted(MOVED.items()))
def test_a_moved_name_warns_once_and_is_the_same_object(name: str, home: str):
    """An old top-level name gives one DeprecationWarning naming the new place, and the same object."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = getattr(opinion_rules, name)

    assert [DeprecationWarning] == [w.category for w in caught]
    assert f"import it from {home}" in str(caught[0].message)
    assert caught[0].filename == __file__  # the warning points at the caller
    assert getattr(module(home), name) is old
    assert name in PUBLIC[home]


def test_a_from_import_of_a_moved_name_warns():
    """`from opinion_rules import after` still works, with the warning."""
    with pytest.warns(
        DeprecationWarning, match=r"opinion_rules\.after .* opinion_rules\.deadlines"
    ):
        from opinion_rules import after

    from opinion_rules.deadlines import after as new

    assert new is after


def test_moved_names_are_not_listed():
    """dir(opinion_rules) lists no moved name, and an unknown name is an AttributeError."""
    assert set() == set(dir(opinion_rules)) & set(MOVED)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = opinion_rules.nothing_here  # type: ignore[attr-defined]


def test_the_changelog_lists_every_move():
    """CHANGELOG names each moved name with its new module."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"`opinion_rules\.(\w+)` → `(opinion_rules\.\w+)\.\1`", changelog))

    assert MOVED == listed


def test_the_api_page_lists_every_public_name():
    """docs/reference/api.md names every public module and every name in its __all__."""
    page = (ROOT / "docs" / "reference" / "api.md").read_text(encoding="utf-8")
    missing = [
        f"{name}.{n}"
        for name, names in PUBLIC.items()
        for n in names
        if f"`{n}`" not in page.split(f"## `{name}`", 1)[-1].split("\n## ", 1)[0]
    ]

    assert [] == missing


def test_package_is_typed():
    """The package ships the PEP 561 marker."""
    from importlib import resources

    assert resources.files("opinion_rules").joinpath("py.typed").is_file()
