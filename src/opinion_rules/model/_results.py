"""
What an evaluation returns: the grade, its history, the handling categories
and every applicable action with its status, each citing its clause.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

import attrs

from opinion_rules.model._clauses import Clause
from opinion_rules.model._not_applicable import FactValue, fact_json


__all__ = [
    "ActionStatus",
    "Assessment",
    "CategoryMatch",
    "ChainStatus",
    "GradeAssessment",
    "GradeReached",
    "JudgementMade",
    "Owner",
    "Undecided",
]

Status = Literal[
    "waiting",
    "pending",
    "overdue",
    "done",
    "done_late",
    "overridden",
    "cancelled",
    "undecided",
    "withdrawn",
]
#: Every action status, in the order a duty moves through them; then two
#: that end a duty without it being done: another action took precedence
#: (``overridden``) or a de-escalation or closure rule cancelled it; and
#: ``undecided``: the duty applies, but its due time needs a year the
#: working calendar does not cover, so whether it is pending, overdue or
#: done late cannot be told; and ``withdrawn``: an ``applies: while`` duty
#: whose condition no longer holds, not done before then.
STATUSES: tuple[Status, ...] = get_args(Status)


@attrs.frozen
class GradeReached:
    """
    A grade the incident reached, and since when.

    Attributes:
        id, name, rank: The grade.
        since: The instant the incident took this grade.
        reason: Why, e.g. which criteria held then, with values
            (``clicks in 1 d = 1200 > 1000``), who asserted it, or which
            de-escalation rule lowered it.
        clause: The sentence defining the grade (or the rule that set it).
        source: ``computed`` (the criteria), ``asserted`` (a person),
            ``escalated`` (an escalation rule's event) or ``deescalated``
            (a de-escalation rule).
        assertion: For ``asserted``: ``provisional`` or ``confirmed``.
        by: For ``asserted``: who asserted it (and in which role); for
            ``escalated``: who recorded the event, if it says.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.4.0 *source*, *assertion*, *by*; entries may go
       down as well as up.
    """

    id: str
    name: str
    rank: int
    since: datetime
    reason: str
    clause: Clause | None
    source: str = "computed"
    assertion: str | None = None
    by: str | None = None


@attrs.frozen
class GradeAssessment:
    """
    The grade of one incident against one plan at one instant, and nothing
    else: what :meth:`Engine.grade <opinion_rules.Engine.grade>` returns for
    callers that need only the level (no actions, statuses, routing or
    categories).

    Its *grade*, *grade_history* and *closed_at* equal those of the
    :class:`Assessment` that :meth:`Engine.evaluate
    <opinion_rules.Engine.evaluate>` returns for the same incident and
    instant, reasons included.

    Attributes:
        plan_id: Which plan.
        incident_id: Which incident.
        at: The evaluation instant; only facts known at or before it count.
        timezone: The plan's timezone.
        grade: The grade in force at *at*, or ``None`` if ungraded.
        grade_history: Each change of the grade, in order.
        grade_driver: The plan's grading drive (``computed``, ``asserted``
            or ``higher``).
        closed_at: When the plan's closure event closed the incident.
        grade_scale: Whether the plan has grades at all.

    .. versionadded:: 0.6.0
    """

    plan_id: str
    incident_id: str
    at: datetime
    timezone: str
    grade: GradeReached | None
    grade_history: tuple[GradeReached, ...]
    grade_driver: str = "computed"
    closed_at: datetime | None = None
    grade_scale: bool = True

    @property
    def since(self) -> datetime | None:
        """
        Since when the incident has had its grade; ``None`` if ungraded.
        """
        return None if self.grade is None else self.grade.since


@attrs.frozen
class JudgementMade:
    """
    A judgement fact known at the evaluation instant, with its provenance.

    Attributes:
        fact, name: The fact's id and label.
        value: Its value at the evaluation instant.
        by: Who made the judgement.
        role: The plan role they judged in, if given.
        at: When the ``fact`` event recorded it; ``None`` when it was given
            with the incident (known at discovery).

    .. versionadded:: 0.6.0
    """

    fact: str
    name: str
    value: FactValue
    by: str
    role: str | None
    at: datetime | None


@attrs.frozen
class Undecided:
    """
    A grade, category or action that depends on something not yet known:
    unknown is not false, so it is neither reached nor ruled out.

    Attributes:
        kind: ``grade``, ``category``, ``action``, or ``extension``: an
            action's extension request not granted while the condition it
            is granted under was unknown.
        id, name: Which one (for a missing grade assertion: ``id`` is ``""``).
        needs: The facts or measures (ids) whose values would decide it,
            ``grade_asserted`` when the plan's grade is set by a person and
            nobody has yet, or ``calendar:<name>:<year>`` when an applicable
            action's due time needs a year its working calendar does not
            cover (the action's status is then ``undecided``).
        reason: One line, e.g. ``undecided: needs 有必要组织新闻发布会`` or
            ``undecided: calendar 'china' has no data for 2027; add the
            year's schedule``.

    .. versionadded:: 0.4.0
    .. versionchanged:: 0.5.0 calendar gaps.
    .. versionchanged:: 0.6.0 kind ``extension``.
    """

    kind: str
    id: str
    name: str
    needs: tuple[str, ...]
    reason: str


@attrs.frozen
class CategoryMatch:
    """
    A handling category the incident was put in, and since when.

    *since* is the start of its latest spell; *until* is ``None`` while it
    applies, or, for an ``applies: while`` category whose condition no
    longer holds, the instant it stopped applying.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.6.0 *until*.
    """

    id: str
    name: str
    since: datetime
    reason: str
    clause: Clause | None
    until: datetime | None = None


@attrs.frozen
class Owner:
    """
    A role responsible for an action, and what it does there: ``primary``
    (第一责任主体), ``lead`` (牵头), ``support`` (配合), ``coordinate``
    (组织协调) or ``""``.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.4.0 *duty*.
    """

    id: str
    name: str
    duty: str = ""


@attrs.frozen
class ActionStatus:
    """
    One applicable action at the evaluation instant.

    Attributes:
        id, title, owners, channel: From the plan.
        anchor_event: What the clock runs from: the deadline's anchor, or
            ``condition_met`` when the action's condition first held after
            the anchor (an upgrade starts the new grade's duties then).
        anchor_at: When that happened; ``None`` while it has not.
        due: The due instant; ``None`` while waiting, or when the plan gives
            no time (see *deadline_kind*).
        deadline_kind: ``offset``, ``immediately``, ``promptly``,
            ``end_of_day``, ``none``, ``until`` or ``recurring``.
        status: ``waiting``, ``pending``, ``overdue``, ``done``,
            ``done_late``, ``overridden`` (another action took precedence,
            see *overridden_by*), ``cancelled`` (see *cancelled_at*) or
            ``undecided`` (the due time needs a year the working calendar
            does not cover; *due* is ``None`` and *reason* says which year
            and the earliest the due time can be) or ``withdrawn`` (an
            ``applies: while`` duty whose condition no longer holds and
            that was not done before; see *withdrawn_at*).
        done_at: When it was done (or, for ``until`` duties, ended).
        applies_since: When the action's condition first held (for an
            ``applies: while`` duty: when its latest spell started).
        withdrawn_at: For an ``applies: while`` duty whose condition no
            longer holds: the instant it stopped applying.
        clause: The sentence it comes from.
        reason: One line: why it applies and how its due time is set.
        missed: For recurring duties: the due instants of occurrences that
            passed without enough completions, in order; the first 100
            (``MISSED_LISTED``) of them.
        missed_count: How many occurrences were missed in all (at least
            ``len(missed)``).
        extended_from: The due instant before extensions, if any moved it.
        plan_due: When a promise (承诺时限) set an earlier due instant: the
            plan's own (after extensions), the bound the promise stays within.
        regrade: When an upgrade started the duty after its anchor: the
            plan's re-grading rule that set its clock (``from_upgrade``,
            ``retroactive`` or ``keep_elapsed``).
        overridden_by: The action that took precedence, if overridden.
        cancelled_at: When a de-escalation or closure rule cancelled it.
        recipients: The roles the action is delivered to (报送对象: 主要领导,
            市局), distinct from its owners; empty when the plan names none.

    For a ``recurring`` duty *due* is the next occurrence owed and
    *done_at* the instant the duty ended.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.3.0 *missed*, *extended_from*.
    .. versionchanged:: 0.4.0 *regrade*, *overridden_by*, *cancelled_at*.
    .. versionchanged:: 0.5.0 status ``undecided``.
    .. versionchanged:: 0.6.0 *missed_count*; *missed* lists the first 100.
    .. versionchanged:: 0.6.0 status ``withdrawn``, *withdrawn_at*.
    .. versionchanged:: 0.6.0 *plan_due*.
    """

    id: str
    title: str
    owners: tuple[Owner, ...]
    channel: str
    anchor_event: str
    anchor_at: datetime | None
    due: datetime | None
    deadline_kind: str
    status: Status
    done_at: datetime | None
    applies_since: datetime
    clause: Clause | None
    reason: str
    missed: tuple[datetime, ...] = ()
    extended_from: datetime | None = None
    regrade: str | None = None
    overridden_by: str | None = None
    cancelled_at: datetime | None = None
    recipients: tuple[Owner, ...] = ()
    missed_count: int = attrs.field(
        default=attrs.Factory(lambda self: len(self.missed), takes_self=True)
    )
    withdrawn_at: datetime | None = None
    plan_due: datetime | None = None


@attrs.frozen
class ChainStatus:
    """
    A report chain at the evaluation instant.

    Attributes:
        id, title, hops, clause: From the plan.
        started_at: When the first hop's clock started; ``None`` while it
            has not (or the first hop does not apply).
        bound: The whole chain's limit in words, if the plan states one.
        due: *started_at* + the bound.
        done_at: When the last hop was done.
        status: As for actions, judged against the bound.

    .. versionadded:: 0.3.0
    """

    id: str
    title: str
    hops: tuple[str, ...]
    started_at: datetime | None
    bound: str | None
    due: datetime | None
    done_at: datetime | None
    status: Status
    clause: Clause | None


@attrs.frozen
class Assessment:
    """
    The result of evaluating one incident against one plan at one instant.

    Attributes:
        plan_id, plan_title, plan_version: Which plan.
        incident_id: Which incident.
        at: The evaluation instant; only facts known at or before it count.
        timezone: The plan's timezone; :meth:`to_dict` renders times in it.
        grade: The highest grade reached so far, or ``None`` if ungraded.
        grade_history: Each upgrade, in order.
        categories: Handling categories matched so far.
        actions: Every action whose condition has held, in plan order.
        chains: Every report chain, with its whole-chain bound.
        next_change: The earliest instant after *at* at which this result
            would change with no new facts (a deadline passing, a recurrence
            falling due, an observation leaving a window a pending rule
            watches); ``None`` if nothing is scheduled.  A scheduler can
            sleep until then.  Deadlines pass one microsecond after their
            due instant, since an action done at the instant is on time.
        undecided: Grades above the current one, categories and actions
            that depend on facts not yet known (see :class:`Undecided`).
        grade_driver: The plan's grading drive (``computed``, ``asserted``
            or ``higher``), so readers know what *grade* is.
        closed_at: When the plan's closure event closed the incident.
        discovered_at: When the incident was discovered; an evaluation
            instant before it sees nothing yet.
        judgements: Every judgement fact known at *at*, with who made it
            (see :class:`JudgementMade`), in the plan's order.
        grade_scale: Whether the plan has grades; a plan of duties only
            (值班, 回复时限) has none, and *grade* is always ``None``.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.3.0 *chains*, *next_change*.
    .. versionchanged:: 0.4.0 *undecided*, *grade_driver*, *closed_at*.
    .. versionchanged:: 0.5.0 *discovered_at*.
    .. versionchanged:: 0.6.0 *judgements*.
    .. versionchanged:: 0.6.0 *grade_scale*.
    """

    plan_id: str
    plan_title: str
    plan_version: str
    incident_id: str
    at: datetime
    timezone: str
    grade: GradeReached | None
    grade_history: tuple[GradeReached, ...]
    categories: tuple[CategoryMatch, ...]
    actions: tuple[ActionStatus, ...]
    chains: tuple[ChainStatus, ...] = ()
    next_change: datetime | None = None
    undecided: tuple[Undecided, ...] = ()
    grade_driver: str = "computed"
    closed_at: datetime | None = None
    discovered_at: datetime | None = None
    judgements: tuple[JudgementMade, ...] = ()
    grade_scale: bool = True

    @property
    def before_discovery(self) -> bool:
        """
        Whether the evaluation instant is before the incident's discovery
        (so nothing can apply yet).

        .. versionadded:: 0.5.0
        """
        return self.discovered_at is not None and self.at < self.discovered_at

    def grade_needs(self) -> tuple[str, ...]:
        """
        The facts or measures whose values would change the grade: what the
        undecided grades above the current one need.

        .. versionadded:: 0.4.0
        """
        needs = {n for u in self.undecided if u.kind == "grade" for n in u.needs}
        return tuple(sorted(needs))

    def action(self, action_id: str) -> ActionStatus:
        """
        Return the status of action *action_id*.

        Raises:
            KeyError: if the action does not apply (or does not exist).
        """
        for item in self.actions:
            if item.id == action_id:
                return item
        raise KeyError(action_id)

    def due(self) -> tuple[ActionStatus, ...]:
        """
        The actions still to be done: ``pending`` or ``overdue``.
        """
        return tuple(a for a in self.actions if a.status in ("pending", "overdue"))

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data; times are ISO 8601 in the plan's timezone.

        .. versionadded:: 0.1.0
        """
        tz = ZoneInfo(self.timezone)

        def when(value: datetime | None) -> str | None:
            return None if value is None else value.astimezone(tz).isoformat()

        def clause(value: Clause | None) -> dict[str, str] | None:
            return None if value is None else {"ref": value.ref, "text": value.text}

        def grade(value: GradeReached) -> dict[str, Any]:
            return {
                "id": value.id,
                "name": value.name,
                "rank": value.rank,
                "since": when(value.since),
                "reason": value.reason,
                "clause": clause(value.clause),
                "source": value.source,
                "assertion": value.assertion,
                "by": value.by,
            }

        out: dict[str, Any] = {
            "plan": {"id": self.plan_id, "title": self.plan_title, "version": self.plan_version},
            "incident": {"id": self.incident_id, "discovered_at": when(self.discovered_at)},
            "at": when(self.at),
            "grade": None if self.grade is None else grade(self.grade),
            "grade_history": [grade(g) for g in self.grade_history],
            "categories": [
                {
                    "id": c.id,
                    "name": c.name,
                    "since": when(c.since),
                    "until": when(c.until),
                    "reason": c.reason,
                    "clause": clause(c.clause),
                }
                for c in self.categories
            ],
            "actions": [
                {
                    "id": a.id,
                    "title": a.title,
                    "owners": [{"id": o.id, "name": o.name, "duty": o.duty} for o in a.owners],
                    "channel": a.channel,
                    "anchor": {"event": a.anchor_event, "at": when(a.anchor_at)},
                    "due": when(a.due),
                    "deadline_kind": a.deadline_kind,
                    "status": a.status,
                    "done_at": when(a.done_at),
                    "applies_since": when(a.applies_since),
                    "clause": clause(a.clause),
                    "reason": a.reason,
                    "missed": [when(m) for m in a.missed],
                    "missed_count": a.missed_count,
                    "extended_from": when(a.extended_from),
                    "plan_due": when(a.plan_due),
                    "regrade": a.regrade,
                    "overridden_by": a.overridden_by,
                    "cancelled_at": when(a.cancelled_at),
                    "withdrawn_at": when(a.withdrawn_at),
                    "recipients": [{"id": r.id, "name": r.name} for r in a.recipients],
                }
                for a in self.actions
            ],
            "chains": [
                {
                    "id": c.id,
                    "title": c.title,
                    "hops": list(c.hops),
                    "started_at": when(c.started_at),
                    "bound": c.bound,
                    "due": when(c.due),
                    "done_at": when(c.done_at),
                    "status": c.status,
                    "clause": clause(c.clause),
                }
                for c in self.chains
            ],
            "next_change": when(self.next_change),
            "grade_driver": self.grade_driver,
            "undecided": [
                {
                    "kind": u.kind,
                    "id": u.id,
                    "name": u.name,
                    "needs": list(u.needs),
                    "reason": u.reason,
                }
                for u in self.undecided
            ],
            "grade_needs": list(self.grade_needs()),
            "closed_at": when(self.closed_at),
        }
        if self.judgements:  # 0.6.0: only when a judgement is known
            out["judgements"] = [
                {
                    "fact": j.fact,
                    "name": j.name,
                    "value": fact_json(j.value),
                    "by": j.by,
                    "role": j.role,
                    "at": when(j.at),
                }
                for j in self.judgements
            ]
        return out
