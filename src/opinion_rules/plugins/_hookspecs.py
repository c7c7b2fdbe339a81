"""
The hook specifications: what a plug-in may provide, and when it is told
about what happened.  The docstrings are the contract; pluggy checks every
implementation's signature against them when the plug-in is enabled.

Implement a hook with :data:`opinion_rules.hookimpl`::

    from opinion_rules import hookimpl
    from opinion_rules.hookspecs import Function

    @hookimpl
    def opinion_rules_functions():
        return [Function("heat_index", lambda clicks, reposts: clicks + 5 * reposts,
                         args=("number", "number"))]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pluggy

from opinion_rules.model._extending import Aggregation, Function
from opinion_rules.model._findings import Finding
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import ActionStatus, Assessment
from opinion_rules.time._calendars import WorkingCalendar


__all__ = [
    "PROJECT",
    "hookimpl",
    "hookspec",
    "opinion_rules_action_changed",
    "opinion_rules_aggregations",
    "opinion_rules_assessed",
    "opinion_rules_calendars",
    "opinion_rules_functions",
    "opinion_rules_lint",
]

#: The pluggy project name; the entry-point group is ``opinion_rules.plugins``.
PROJECT = "opinion_rules"

hookspec = pluggy.HookspecMarker(PROJECT)
#: The marker plug-ins put on their hook implementations.
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def opinion_rules_functions() -> Sequence[Function]:  # type: ignore[empty-body]
    """
    Return the named functions this plug-in lets conditions call, e.g.
    ``heat_index(clicks, reposts) > 80``.

    Each :class:`~opinion_rules.hookspecs.Function` declares its argument
    and result types, so ``check`` can type the calls.  A function must be
    pure (the same arguments always give the same result, nothing else is
    read), return a number or ``None`` (unknown), and never raise; an
    exception becomes a :class:`~opinion_rules.exceptions.PluginError` that
    names the plug-in, the hook and the function.  Two enabled plug-ins may
    not provide the same name.

    Called once, when the plug-in is enabled.

    .. versionadded:: 0.6.0
    """


@hookspec
def opinion_rules_aggregations() -> Sequence[Aggregation]:  # type: ignore[empty-body]
    """
    Return the named aggregations this plug-in lets measures use
    (``aggregate: negative_share``).

    Each :class:`~opinion_rules.hookspecs.Aggregation` combines the amounts
    of the series in a measure's window into one value.  Its value must
    depend only on those amounts: then it changes only where an observation
    enters or leaves the window, which keeps evaluation as of an instant and
    ``next_change`` exact.

    Called once, when the plug-in is enabled.

    .. versionadded:: 0.6.0
    """


@hookspec
def opinion_rules_calendars() -> Sequence[WorkingCalendar]:  # type: ignore[empty-body]
    """
    Return the working calendars this plug-in provides, usable by name in
    plan files (``calendar: guangxi``), e.g. the china calendar plus a
    province's own days off.

    Each object satisfies :class:`~opinion_rules.typing.WorkingCalendar`
    (``name``, ``hours``, ``is_working_day``); ``is_working_day`` raises
    :class:`~opinion_rules.exceptions.CalendarRangeError` for a year it does
    not cover, so duties that need that year are ``undecided``.

    Called once, when the plug-in is enabled.

    .. versionadded:: 0.6.0
    """


@hookspec
def opinion_rules_lint(plan: Plan) -> Iterable[Finding]:  # type: ignore[empty-body]
    """
    Return extra findings for ``check`` (:class:`~opinion_rules.authoring.Finding`,
    with this plug-in's own codes, e.g. ``guangxi-missing-clause``).

    .. versionadded:: 0.6.0
    """


@hookspec
def opinion_rules_assessed(
    incident_id: str, plan_key: str, assessment: Assessment, previous: Assessment | None
) -> None:
    """
    Be told that a write changed an incident's grade: called by the case
    store (and so ``track``) after the write is committed, with the new
    assessment and the one before the write (``None`` for a new incident).

    Evaluation never calls listeners: it stays a pure function.  A listener
    that raises or takes too long never loses or undoes the write; see
    docs/reference/plugins.md for delivery.

    .. versionadded:: 0.6.0
    """


@hookspec
def opinion_rules_action_changed(
    incident_id: str,
    plan_key: str,
    action: ActionStatus,
    previous: ActionStatus | None,
    assessment: Assessment,
) -> None:
    """
    Be told that a write changed an action's status (or due time): called
    by the case store after the write is committed, once per action that
    changed, with its status before (``None`` when it did not apply).

    .. versionadded:: 0.6.0
    """
