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
    "opinion_rules_assessed",
    "opinion_rules_calendars",
    "opinion_rules_functions",
    "opinion_rules_lint",
    "opinion_rules_measures",
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
def opinion_rules_measures() -> Sequence[Aggregation]:  # type: ignore[empty-body]
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
    notification_id: str,
    incident_id: str,
    plan_key: str,
    assessment: Assessment,
    previous: Assessment | None,
) -> None:
    """
    Be told that a write changed an incident's grade (or opened it).

    Called by the case store (and so ``track``) after the write is
    committed, never by evaluation (which stays a pure function).  The
    store keeps the notification in its outbox in the write's transaction
    and delivers it afterwards, at least once: a listener that raises or
    takes longer than the store's ``listener_timeout`` never loses or undoes
    the write; the notification stays pending and is delivered again with
    the same *notification_id* on the next write or
    :meth:`~opinion_rules.store.CaseStore.deliver_pending`.  Make the
    listener idempotent by *notification_id* (see docs/reference/plugins.md,
    "Listeners").

    Args:
        notification_id: The notification's id in the store, e.g. ``"42"``;
            ids increase in the order the changes were committed.
        incident_id: The incident.
        plan_key: The plan version it is pinned to, e.g. ``work-safety@2023-1``.
        assessment: The incident as evaluated at the write's instant.
        previous: The incident as evaluated at the write before that was
            notified about; ``None`` when the write opened the incident.

    .. versionadded:: 0.6.0
    """


@hookspec
def opinion_rules_action_changed(
    notification_id: str,
    incident_id: str,
    plan_key: str,
    action: ActionStatus,
    previous: ActionStatus | None,
    assessment: Assessment,
) -> None:
    """
    Be told that a write changed an action's status or due time, or made
    it apply: called once per such action, after the write is committed,
    delivered as :func:`opinion_rules_assessed` is (at least once, in
    order, idempotent by *notification_id*).

    Args:
        notification_id: The notification's id in the store.
        incident_id, plan_key: The incident and its plan version.
        action: The action's status after the write.
        previous: Its status at the write before that was notified about;
            ``None`` when it did not apply then.
        assessment: The whole incident after the write.

    .. versionadded:: 0.6.0
    """
