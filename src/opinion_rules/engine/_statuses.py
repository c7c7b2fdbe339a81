"""
Action and chain statuses at the evaluation instant.

Given when each action's condition first held, work out for every
applicable action when its clock started, when it falls due (with
extensions, recurrences and lateness anchors), whether it was done, and the
next instant at which any of that would change with no new facts.

Nothing here reads a clock: the evaluation instant is ``StatusCalculator.at``.
"""

from __future__ import annotations

import bisect
from datetime import datetime

import attrs

from opinion_rules.engine._due_settling import Settled, settle_due
from opinion_rules.engine._occurrences import recurring_status
from opinion_rules.engine._readings import run_end
from opinion_rules.engine._status_inputs import NeedsCalendar, StatusInputs, calendar_gap
from opinion_rules.exceptions import CalendarRangeError
from opinion_rules.model._conditions import Compare, GradeRef, walk
from opinion_rules.model._deadlines import Anchor, Deadline, due_time
from opinion_rules.model._items import Action
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import ActionStatus, ChainStatus, Owner, Status
from opinion_rules.time._arithmetic import (
    TICK,
    TimeRules,
    add_offset,
    add_offset_after_due,
)
from opinion_rules.time._offsets import Offset


__all__ = ["StatusCalculator"]


class StatusCalculator:
    """
    Compute action and chain statuses on demand, memoised: an ``overdue:<b>`` anchor
    needs *b*'s due time first.  The plan forbids waiting cycles.

    A due time that needs a year the working calendar does not cover makes
    that action ``undecided`` (never a guess, never a failed evaluation);
    every other action is computed as usual.  Such a due time is known to
    lie at or after the start of the first uncovered day the arithmetic
    reached, which still decides some questions exactly (a duty done before
    then was done on time).
    """

    def __init__(self, plan: Plan, known: StatusInputs) -> None:
        self.plan = plan
        self.rules: TimeRules = plan.time_rules
        self.known = known
        self.at = known.at
        self.roles = {r.id: r.name for r in plan.roles}
        self.changes: list[datetime] = []
        self._memo: dict[str, ActionStatus | None] = {}
        self._missed_counts: dict[str, int] = {}
        # For undecided actions: the calendar gap and the earliest possible due.
        self.gaps: dict[str, tuple[CalendarRangeError, datetime | None]] = {}
        # Instants after which an undecided action may be overdue (for state slots).
        self.unsettled: list[datetime] = []
        #: Actions with an extension request not granted while its condition was unknown.
        self.unsure_extensions: set[str] = set()

    # -- public --

    def status(self, action: Action) -> ActionStatus | None:
        """
        The status of *action*, or ``None`` if its condition never held.
        """
        if action.id not in self._memo:
            self._memo[action.id] = self._compute(action)
        return self._memo[action.id]

    def chain(self, index: int) -> ChainStatus:
        """
        The status of the plan's report chain number *index*.
        """
        chain = self.plan.chains[index]
        hops = [self.status(self.plan.action(h)) for h in chain.hops]
        first, last = hops[0], hops[-1]
        # Each hop's status already runs from the previous hop's completion.
        start = None if first is None else first.anchor_at
        bound_due = None
        done_at = None if last is None else last.done_at
        status: Status | None = None
        if start is not None and chain.bound is not None:
            try:
                bound_due = add_offset(chain.bound, start, self.rules)
            except CalendarRangeError as exc:
                status = self._undecided(done_at, self.day_start(exc))
        if status is None:
            status = self._judge(start, bound_due, done_at)
        return ChainStatus(
            id=chain.id,
            title=chain.title,
            hops=chain.hops,
            started_at=start,
            bound=None if chain.bound is None else chain.bound.describe(),
            due=bound_due,
            done_at=done_at,
            status=status,
            clause=chain.clause,
        )

    def next_change(self) -> datetime | None:
        """
        The earliest recorded instant after the evaluation instant at which
        a status would change with no new facts.
        """
        later = [t for t in self.changes if t > self.at]
        return min(later, default=None)

    # -- anchors --

    def _anchor(self, action: Action) -> datetime | None:
        return self.anchor_instant(action.deadline.anchor)

    def anchor_instant(self, anchor: Anchor) -> datetime | None:
        """
        When *anchor* first happened, if it did by the evaluation instant.

        Raises:
            NeedsCalendar: when that depends on a due time the calendar
                cannot compute.
        """
        if anchor.over is not None:
            return self._several(anchor)
        return self._instant(anchor.event, anchor.ref, anchor.late_by)

    def _instant(self, event: str, ref: str | None, late_by: Offset | None) -> datetime | None:
        known = self.known
        t: datetime | None
        match event:
            case "discovered":
                t = known.incident.discovered_at
            case "posted":
                t = known.incident.posted_at
            case "action_done":
                times = known.done_times.get(str(ref), ())
                t = times[0] if times else None
            case "grade_reached":
                t = known.grade_since.get(str(ref))
            case "category_assigned":
                t = known.category_since.get(str(ref))
            case "overdue":
                t = self._lapse(str(ref), late_by)
            case "changed":
                changes = known.fact_changes.get(str(ref), ())
                t = changes[0] if changes else None
            case other:
                t = known.first_event.get(other)
        return t if t is not None and t <= self.at else None

    def _several(self, anchor: Anchor) -> datetime | None:
        """
        ``any``: the first of the actions' instants; ``all``: the last, once
        every one has happened.  An instant the calendar cannot place is
        undecided unless the others settle the answer without it.
        """
        happened: list[datetime] = []
        gaps: list[NeedsCalendar] = []
        for ref in anchor.refs:
            try:
                t = self._instant(anchor.event, ref, anchor.late_by)
            except NeedsCalendar as exc:
                gaps.append(exc)
                continue
            if t is not None:
                happened.append(t)
            elif anchor.over == "all":
                return None  # one has not happened: neither has the anchor
        if anchor.over == "any":
            first = min(happened, default=None)
            if gaps and (
                first is None or any(g.earliest is None or g.earliest < first for g in gaps)
            ):
                raise gaps[0]
            return first
        if gaps:
            raise gaps[0]
        return max(happened)

    def _lapse(self, action_id: str, late_by: Offset | None) -> datetime | None:
        """
        When *action_id* became late enough, if it did and was not done by
        then; lapses still in the future are recorded as changes.

        Raises:
            NeedsCalendar: when whether it lapsed by now depends on a due
                time the calendar cannot compute.
        """
        other = self.status(self.plan.action(action_id))
        if other is None:
            return None
        if other.status == "undecided":
            error, earliest = self.gaps[action_id]
            self._not_lapsed_before(error, earliest, other.done_at)
            return None
        if other.due is None:
            return None
        lapse = other.due
        if late_by is not None:
            try:
                lapse = add_offset_after_due(late_by, other.due, self.rules)
            except CalendarRangeError as exc:
                self._not_lapsed_before(exc, self.day_start(exc), other.done_at)
                return None
        if other.done_at is not None and other.done_at <= lapse:
            return None
        if other.withdrawn_at is not None and other.withdrawn_at <= lapse:
            return None  # withdrawn before it was late: it never lapses
        if self.at <= lapse:
            # "Late" means strictly after the lapse instant.
            self.changes.append(lapse + TICK)
            return None
        return lapse

    def _not_lapsed_before(
        self, error: CalendarRangeError, earliest: datetime | None, done_at: datetime | None
    ) -> None:
        """
        A lapse the calendar cannot place, but known to come at or after
        *earliest*: nothing lapsed yet if the evaluation instant or the
        completion is no later than that; otherwise undecided.
        """
        if done_at is not None and earliest is not None and done_at <= earliest:
            return
        if earliest is not None and self.at <= earliest:
            # Not lapsed yet; from just after *earliest* it may have.
            self.changes.append(earliest + TICK)
            return
        raise NeedsCalendar(error, earliest)

    def day_start(self, error: CalendarRangeError) -> datetime:
        """
        The start of the uncovered day the arithmetic reached: calendar walks
        go forward day by day, so the due time is no earlier.
        """
        return datetime.combine(error.day, datetime.min.time(), tzinfo=self.rules.tz)

    def _undecided(self, done_at: datetime | None, earliest: datetime | None) -> Status:
        if done_at is not None and earliest is not None and done_at <= earliest:
            return "done"  # done before the earliest possible due: on time
        return "undecided"

    # -- one action --

    def _compute(self, action: Action) -> ActionStatus | None:
        withdrawn_at = self.known.withdrawn.get(action.id)
        if withdrawn_at is None:
            return self._compute_applying(action)
        # Withdrawn: what it was when it stopped applying; nothing changes later.
        changes, unsettled = len(self.changes), len(self.unsettled)
        status = self._compute_applying(action)
        del self.changes[changes:], self.unsettled[unsettled:]
        if status is None:
            return None
        when = withdrawn_at.astimezone(self.rules.tz).isoformat()
        if status.done_at is not None and status.done_at <= withdrawn_at:
            return attrs.evolve(status, withdrawn_at=withdrawn_at)
        self.gaps.pop(action.id, None)
        return attrs.evolve(
            status,
            status="withdrawn",
            done_at=None,
            withdrawn_at=withdrawn_at,
            reason=f"{status.reason}; withdrawn at {when}: its condition no longer holds",
        )

    def _compute_applying(self, action: Action) -> ActionStatus | None:
        applies = self.known.applies.get(action.id)
        if applies is None:
            return None
        applies_since, applies_reason = applies
        deadline = action.deadline
        anchor_event = str(deadline.anchor)
        gap: tuple[CalendarRangeError, datetime | None] | None = None
        try:
            anchor_at = self._anchor(action)
        except NeedsCalendar as exc:
            anchor_at, gap = None, (exc.error, None)
        start, regrade = anchor_at, None
        if anchor_at is not None and applies_since > anchor_at:
            start, anchor_event, regrade = self._late_start(action, anchor_at, applies_since)
        due: datetime | None = None
        settled: Settled | None = None
        missed: tuple[datetime, ...] = ()
        done_at: datetime | None
        status: Status
        if deadline.kind == "recurring":
            due, missed, done_at, status = self._recurring(action, start)
        elif deadline.anchor.event == "changed":
            # Each change opens its own occurrence; the clock runs from it.
            anchor_event, regrade = str(deadline.anchor), None
            start, due, missed, done_at, status, gap = self._per_change(action)
        else:
            if start is not None:
                try:
                    due = due_time(
                        deadline,
                        start,
                        self.rules,
                        start_is_due=anchor_event.startswith("overdue:"),
                    )
                except CalendarRangeError as exc:
                    gap = (exc, self.day_start(exc))
                settled, gap = self._settle(action, start, due, gap)
                due = due if settled is None else settled.due
            if deadline.kind == "until":
                done_at = None if start is None else self._duty_end(deadline, start)
            else:
                done_at = self._first_done(action, applies_since)
            if gap is None:
                status = self._judge(start, due, done_at)
            else:
                status = self._undecided(done_at, gap[1])
                if status == "undecided":
                    self.gaps[action.id] = gap
                    if gap[1] is not None and self.at <= gap[1]:
                        self.unsettled.append(gap[1] + TICK)
        return ActionStatus(
            id=action.id,
            title=action.title,
            owners=tuple(Owner(o, self.roles[o]) for o in action.owners),
            channel=action.channel,
            anchor_event=anchor_event,
            anchor_at=start,
            due=due,
            deadline_kind=deadline.kind,
            status=status,
            done_at=done_at,
            applies_since=applies_since,
            clause=action.clause,
            reason=f"applies: {applies_reason}; due: {self._words(action, due, settled, gap)}",
            missed=missed,
            # Recurring duties count more missed occurrences than they list.
            missed_count=self._missed_counts.get(action.id, len(missed)),
            extended_from=None if settled is None else settled.extended_from,
            plan_due=None if settled is None else settled.limit,
            regrade=regrade,
        )

    def _first_done(self, action: Action, applies_since: datetime) -> datetime | None:
        """
        The first completion of *action*; for an ``applies: while`` duty in
        a later spell, the first in that spell (a new spell is a new duty).
        """
        times = self.known.done_times.get(action.id, ())
        if action.id in self.known.respelled:
            times = times[bisect.bisect_left(times, applies_since) :]
        return times[0] if times else None

    def _per_change(
        self, action: Action
    ) -> tuple[
        datetime | None,
        datetime | None,
        tuple[datetime, ...],
        datetime | None,
        Status,
        tuple[CalendarRangeError, datetime | None] | None,
    ]:
        """
        A duty owed once per change of a fact (``changed:<fact>``): each
        change at which the action's condition held opens an occurrence, due
        by the deadline from that change and met by the first completion at
        or after it.  Returns the clock start, due, missed dues, completion,
        status and calendar gap: the earliest open occurrence's start and
        due, or the latest's when all are met; a due passed before its
        completion is listed as missed and never disappears.
        """
        opened = [c for c in self.known.held_at_changes.get(action.id, ()) if c <= self.at]
        if not opened:
            return None, None, (), None, "waiting", None
        done = self.known.done_times.get(action.id, ())
        missed: list[datetime] = []
        open_: list[tuple[datetime, datetime | None]] = []
        gap: tuple[CalendarRangeError, datetime | None] | None = None
        last: tuple[datetime, datetime | None, datetime | None] = (opened[-1], None, None)
        for change in opened:
            try:
                due = due_time(action.deadline, change, self.rules)
            except CalendarRangeError as exc:
                due, gap = None, (exc, self.day_start(exc))
            k = bisect.bisect_left(done, change)
            completed = done[k] if k < len(done) else None
            if due is not None and (completed is None or completed > due) and self.at > due:
                missed.append(due)
            if completed is None:
                open_.append((change, due))
            last = (change, due, completed)
        if gap is not None:
            _error, earliest = gap
            met = all(
                (done[k] if (k := bisect.bisect_left(done, c)) < len(done) else None) is not None
                and done[k] <= earliest  # type: ignore[operator]
                for c in opened
            )
            status: Status = "done" if met and not missed else "undecided"
            if status == "undecided":
                self.gaps[action.id] = gap
            return last[0], None, tuple(missed), last[2] if met else None, status, gap
        if open_:
            start, due = open_[0]
            late = any(d is not None and self.at > d for _c, d in open_)
            if not late and due is not None:
                self.changes.append(due + TICK)
            for _c, d in open_[1:]:
                if d is not None and self.at <= d:
                    self.changes.append(d + TICK)
            return start, due, tuple(missed), None, "overdue" if late else "pending", None
        start, due, completed = last
        return start, due, tuple(missed), completed, "done_late" if missed else "done", None

    def _late_start(
        self, action: Action, anchor_at: datetime, applies_since: datetime
    ) -> tuple[datetime, str, str | None]:
        """
        Where the clock runs from when the condition first held after the
        anchor: from then, unless an upgrade did it and the plan's
        re-grading rule says otherwise.
        """
        if not any(
            isinstance(n, Compare) and isinstance(n.operand, GradeRef)
            for n in walk(action.condition)
        ):
            return applies_since, "condition_met", None
        rule = self.plan.grading.regrade
        if rule == "retroactive":
            return anchor_at, str(action.deadline.anchor), rule
        if rule == "keep_elapsed" and action.family:
            applies = self.known.applies
            starts = [
                applies[a.id][0]
                for a in self.plan.actions
                if a.family == action.family and a.id in applies
            ]
            family_start = max(anchor_at, min(starts))
            if family_start < applies_since:
                return family_start, f"family_started:{action.family}", rule
        return applies_since, "condition_met", rule

    def _judge(
        self, start: datetime | None, due: datetime | None, done_at: datetime | None
    ) -> Status:
        if done_at is not None:
            return "done" if due is None or done_at <= due else "done_late"
        if start is None:
            return "waiting"
        if due is not None and self.at > due:
            return "overdue"
        if due is not None:
            self.changes.append(due + TICK)
        return "pending"

    def _duty_end(self, deadline: Deadline, start: datetime) -> datetime | None:
        ending = deadline.until_readings
        if ending is None:
            return self._ending(deadline.until, start)
        return run_end(self.plan, self.known.incident, self.at, ending, start)

    def _ending(self, event_type: str | None, start: datetime) -> datetime | None:
        for event in self.known.events:
            if event.type == event_type and event.at >= start:
                return event.at
        return None

    def _settle(
        self,
        action: Action,
        start: datetime,
        due: datetime | None,
        gap: tuple[CalendarRangeError, datetime | None] | None,
    ) -> tuple[Settled | None, tuple[CalendarRangeError, datetime | None] | None]:
        """
        The due time as extension requests and promises left it (see
        :mod:`opinion_rules.engine._due_settling`); a period the calendar
        cannot count leaves it undecided, no earlier than the plan's own
        unless a promise may have moved it.
        """
        deadline = action.deadline
        if gap is not None or (deadline.extension is None and deadline.promise is None):
            return None, gap
        try:
            settled = settle_due(
                deadline,
                action.id,
                start,
                due,
                self.rules,
                self.known.events,
                self.known.allowed.get(action.id, ()),
            )
        except CalendarRangeError as exc:
            return Settled(None), (exc, due if deadline.promise is None else None)
        if settled.unknown_requests:
            self.unsure_extensions.add(action.id)
        return settled, None

    # -- recurring duties --

    def _recurring(
        self, action: Action, start: datetime | None
    ) -> tuple[datetime | None, tuple[datetime, ...], datetime | None, Status]:
        """
        Due, missed (the first listed; all counted in ``_missed_counts``),
        done_at and status of a recurring duty (see
        :mod:`opinion_rules.engine._occurrences`).
        """
        recurrence = action.deadline.recurrence
        assert recurrence is not None  # noqa: S101 - checked at construction
        if start is None:
            return None, (), None, "waiting"
        end = None if recurrence.until is None else self._ending(recurrence.until, start)
        result = recurring_status(
            recurrence,
            start,
            self.at,
            self.known.done_times.get(action.id, ()),
            end,
            self.rules,
            {g.id: g.rank for g in self.plan.grades},
            self.known.grade_changes,
        )
        if result.change is not None:
            self.changes.append(result.change)
        self._missed_counts[action.id] = result.missed_count
        return result.due, result.missed, result.done_at, result.status

    # -- words --

    def _words(
        self,
        action: Action,
        due: datetime | None,
        settled: Settled | None,
        gap: tuple[CalendarRangeError, datetime | None] | None,
    ) -> str:
        deadline: Deadline = action.deadline
        words = deadline.describe()
        rules = self.rules
        if gap is not None:
            error, earliest = gap
            floor = "" if earliest is None else f", not before {earliest.isoformat()}"
            return f"{words} (undecided: {calendar_gap(error)}{floor})"
        match deadline.kind:
            case "immediately":
                words = f"{words} (立即; tolerance {rules.immediate_tolerance})"
            case "promptly" | "none" if settled is not None and settled.promised:
                pass
            case "promptly":
                if rules.prompt_tolerance is None:
                    words = f"{words} (及时: the plan sets no time, so no due time)"
                else:
                    words = f"{words} (及时; organisation-set time {rules.prompt_tolerance})"
            case "none":
                words = f"{words} (the plan states no time)"
            case "until":
                words = f"{words} (continuing duty)"
            case "recurring":
                words = f"{words} (recurring duty)"
            case _ if due is None:
                words = f"{words} (anchor not yet reached)"
        if settled is not None and settled.extended_from is not None:
            words += f"; extended from {settled.extended_from.astimezone(rules.tz).isoformat()}"
        if settled is not None and settled.promised:
            limit = "" if settled.limit is None else f", the plan's {_iso(settled.limit, rules)}"
            words += f"; promised {_iso(due, rules)}{limit}"
        if settled is not None and settled.unknown_requests:
            words += "; an extension request waits on its condition, which is unknown"
        return words


def _iso(instant: datetime | None, rules: TimeRules) -> str:
    return "" if instant is None else instant.astimezone(rules.tz).isoformat()
