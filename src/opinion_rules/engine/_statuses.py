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
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from opinion_rules.exceptions import CalendarRangeError
from opinion_rules.model._conditions import Compare, GradeRef, walk
from opinion_rules.model._deadlines import Deadline, due_time
from opinion_rules.model._facts import Event, Incident
from opinion_rules.model._items import Action
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import ActionStatus, ChainStatus, Owner, Status
from opinion_rules.time._arithmetic import (
    TICK,
    TimeRules,
    add_offset,
    add_offset_after_due,
    elapsed_after,
)
from opinion_rules.time._offsets import Offset


__all__ = ["StatusCalculator", "StatusInputs", "calendar_gap"]


@attrs.frozen
class StatusInputs:
    """
    What statuses are computed from: what the timeline knew at the
    evaluation instant (events, completions, and since when each grade,
    category and action condition held).
    """

    at: datetime
    incident: Incident
    events: Sequence[Event]  # at or before `at`, sorted by time
    first_event: Mapping[str, datetime]
    done_times: Mapping[str, Sequence[datetime]]  # sorted completions per action
    grade_since: Mapping[str, datetime]  # first instant the grade (or higher) held
    category_since: Mapping[str, datetime]
    applies: Mapping[str, tuple[datetime, str]]  # action id -> (since, reason)


class _NeedsCalendar(Exception):  # noqa: N818 - a signal inside this module, not an error
    """
    An anchor depends on a due time the calendar cannot compute.
    """

    def __init__(self, error: CalendarRangeError) -> None:
        super().__init__(str(error))
        self.error = error


def calendar_gap(error: CalendarRangeError) -> str:
    """
    What an action whose due time needs a missing calendar year waits for.
    """
    return f"calendar {error.calendar!r} has no data for {error.day.year}; add the year's schedule"


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
        # For undecided actions: the calendar gap and the earliest possible due.
        self.gaps: dict[str, tuple[CalendarRangeError, datetime | None]] = {}

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
                status = self._undecided(done_at, self._day_start(exc))
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
        anchor = action.deadline.anchor
        known = self.known
        t: datetime | None
        match anchor.event:
            case "discovered":
                t = known.incident.discovered_at
            case "posted":
                t = known.incident.posted_at
            case "action_done":
                times = known.done_times.get(str(anchor.ref), ())
                t = times[0] if times else None
            case "grade_reached":
                t = known.grade_since.get(str(anchor.ref))
            case "category_assigned":
                t = known.category_since.get(str(anchor.ref))
            case "overdue":
                t = self._lapse(str(anchor.ref), anchor.late_by)
            case other:
                t = known.first_event.get(other)
        return t if t is not None and t <= self.at else None

    def _lapse(self, action_id: str, late_by: Offset | None) -> datetime | None:
        """
        When *action_id* became late enough, if it did and was not done by
        then; lapses still in the future are recorded as changes.

        Raises:
            _NeedsCalendar: when whether it lapsed by now depends on a due
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
                self._not_lapsed_before(exc, self._day_start(exc), other.done_at)
                return None
        if other.done_at is not None and other.done_at <= lapse:
            return None
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
        raise _NeedsCalendar(error)

    def _day_start(self, error: CalendarRangeError) -> datetime:
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
        applies = self.known.applies.get(action.id)
        if applies is None:
            return None
        applies_since, applies_reason = applies
        deadline = action.deadline
        anchor_event = str(deadline.anchor)
        gap: tuple[CalendarRangeError, datetime | None] | None = None
        try:
            anchor_at = self._anchor(action)
        except _NeedsCalendar as exc:
            anchor_at, gap = None, (exc.error, None)
        start, regrade = anchor_at, None
        if anchor_at is not None and applies_since > anchor_at:
            start, anchor_event, regrade = self._late_start(action, anchor_at, applies_since)
        due: datetime | None = None
        original: datetime | None = None
        missed: tuple[datetime, ...] = ()
        done_at: datetime | None
        status: Status
        if deadline.kind == "recurring":
            due, missed, done_at, status = self._recurring(action, start)
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
                    gap = (exc, self._day_start(exc))
                if due is not None and deadline.extension is not None:
                    try:
                        extended = self._extend(action, start, due)
                    except CalendarRangeError as exc:
                        # An extension never shortens: the base due is a floor.
                        gap, due = (exc, due), None
                    else:
                        if extended != due:
                            original, due = due, extended
            if deadline.kind == "until":
                done_at = None if start is None else self._ending(deadline.until, start)
            else:
                times = self.known.done_times.get(action.id, ())
                done_at = times[0] if times else None
            if gap is None:
                status = self._judge(start, due, done_at)
            else:
                status = self._undecided(done_at, gap[1])
                if status == "undecided":
                    self.gaps[action.id] = gap
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
            reason=f"applies: {applies_reason}; due: {self._words(action, due, original, gap)}",
            missed=missed,
            extended_from=original,
            regrade=regrade,
        )

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

    def _ending(self, event_type: str | None, start: datetime) -> datetime | None:
        for event in self.known.events:
            if event.type == event_type and event.at >= start:
                return event.at
        return None

    def _extend(self, action: Action, start: datetime, due: datetime) -> datetime:
        extension = action.deadline.extension
        assert extension is not None  # noqa: S101 - the caller checked
        cap = None if extension.cap is None else add_offset(extension.cap, start, self.rules)
        by = extension.by
        for event in self.known.events:
            if event.type != extension.event or event.action != action.id:
                continue
            if event.at < start or event.at > due:
                # Before the clock started, or too late to rescue the deadline.
                continue
            extended = add_offset_after_due(by, due, self.rules)
            if cap is not None:
                # Never beyond the cap, and never shorter than it already was.
                extended = min(extended, max(cap, due))
            due = max(due, extended)
        return due

    # -- recurring duties --

    def _recurring(
        self, action: Action, start: datetime | None
    ) -> tuple[datetime | None, tuple[datetime, ...], datetime | None, Status]:
        recurrence = action.deadline.recurrence
        assert recurrence is not None  # noqa: S101 - checked at construction
        if start is None:
            return None, (), None, "waiting"
        end = None if recurrence.until is None else self._ending(recurrence.until, start)
        done = self.known.done_times.get(action.id, ())
        needed = recurrence.per_day or 1
        missed: list[datetime] = []
        next_due: datetime | None = None
        for opens, due in self._periods(action, start):
            if end is not None and due > end:
                break  # the duty ended before this occurrence fell due
            # Completions in (opens, due]; the first period includes its start.
            first_period = opens == start
            lo = (bisect.bisect_left if first_period else bisect.bisect_right)(done, opens)
            satisfied = bisect.bisect_right(done, due) - lo >= needed
            if self.at > due:
                if not satisfied:
                    missed.append(due)
            elif not satisfied:
                next_due = due
                self.changes.append(due + TICK)
                break
        if end is not None:
            return None, tuple(missed), end, "done_late" if missed else "done"
        return next_due, tuple(missed), None, "overdue" if missed else "pending"

    def _periods(self, action: Action, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """
        Occurrence periods ``(opens, due]`` from *start*, without end; the
        caller stops.
        """
        recurrence = action.deadline.recurrence
        assert recurrence is not None  # noqa: S101 - checked at construction
        opens = start
        if recurrence.every is not None:
            k = 1
            while True:
                due = elapsed_after(start, k * recurrence.every)
                yield opens, due
                opens, k = due, k + 1
        local = start.astimezone(self.rules.tz).date()
        day = local if start < self.rules.end_of(local) else local + timedelta(days=1)
        while True:
            due = self.rules.end_of(day)
            yield opens, due
            opens, day = due, day + timedelta(days=1)

    # -- words --

    def _words(
        self,
        action: Action,
        due: datetime | None,
        original: datetime | None,
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
        if original is not None:
            words += f"; extended from {original.astimezone(rules.tz).isoformat()}"
        return words
