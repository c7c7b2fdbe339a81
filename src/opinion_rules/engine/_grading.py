"""
The grade an incident has at each change point: computed from the criteria,
asserted by a person, or the higher of the two (the plan's ``grading.drive``),
raised by steps by the plan's escalation rules, lowered only by its
de-escalation rules and frozen by its closure.

The evaluation loop calls :meth:`Grader.step` once per change point, in time
order, with the stage-1 results there; the grader keeps the history.  At one
instant the order is: criteria and assertions, then each escalation event
(in the order recorded), then de-escalation rules, then closure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from opinion_rules.engine._ir import grade_rule, measure_slot
from opinion_rules.model._facts import Event
from opinion_rules.model._lifecycle import Deescalation, Escalation
from opinion_rules.model._plan import Plan


@attrs.frozen
class Change:
    """
    One change of the driving grade.
    """

    rank: int
    at: datetime
    source: str  # computed | asserted | escalated | deescalated
    event: Event | None = None  # the assertion, or the escalating event
    rule: Deescalation | Escalation | None = None  # the rule that moved it
    previous: int = -1  # for escalated: the rank it was raised from


class Scale:
    """
    What a grader reads of its plan, worked out once per engine.
    """

    def __init__(self, plan: Plan) -> None:
        self.ranks: Mapping[str, int] = {g.id: g.rank for g in plan.grades}
        #: The scale's levels, lowest first: escalation steps count positions.
        self.levels = sorted(self.ranks.values())
        self.rules: Mapping[str, str] = {g.id: grade_rule(g.id) for g in plan.grades}
        #: (grade id, rank, rule) for each grade.
        self.grades = tuple((g_id, rank, self.rules[g_id]) for g_id, rank in self.ranks.items())
        #: Observation instants count only for de-escalation by a measure.
        self.counts_readings = any(r.event is None for r in plan.grading.deescalation)
        self.metric: Mapping[str, str] = {m.id: m.metric for m in plan.measures}


class Grader:
    """
    Follow the driving grade through the change points.
    """

    def __init__(
        self,
        plan: Plan,
        events: Sequence[Event],
        observed: Mapping[str, Iterable[datetime]],
        scale: Scale,
    ) -> None:
        self.plan = plan
        self.grading = plan.grading
        self.ranks = scale.ranks
        self._levels = scale.levels
        self._rules = scale.rules
        self._grades = scale.grades
        self._metric = scale.metric
        # Events by instant: step() runs at every change point.
        self._events: dict[datetime, list[Event]] = {}
        for event in events:
            self._events.setdefault(event.at, []).append(event)
        self._counts_readings = scale.counts_readings
        self._observed: dict[str, set[datetime]] = (
            {metric: set(times) for metric, times in observed.items()}
            if self._counts_readings
            else {}
        )
        self.computed = -1
        self.asserted = -1
        self.assertion: Event | None = None
        self.rank = -1
        # The grade the latest escalation raised the incident to: a floor
        # that only a de-escalation lowers.
        self.escalated = -1
        self._escalation: Change | None = None
        self.history: list[Change] = []
        self.closed_at: datetime | None = None
        # Grades whose criteria held when a de-escalation lowered the grade:
        # they count again only once their criteria stop holding and hold anew.
        self._blocked: set[str] = set()
        self._streak = {rule.id: 0 for rule in self.grading.deescalation}
        # (instant, rule) for each de-escalation or closure that cancels duties.
        self.cancellations: list[tuple[datetime, str]] = []

    def extend(self, events: Iterable[Event], observed: Iterable[tuple[str, datetime]]) -> None:
        """
        Take *events* and observation instants (metric, instant) later than
        every change point stepped to so far.
        """
        for event in events:
            self._events.setdefault(event.at, []).append(event)
        if not self._counts_readings:
            return
        for metric, at in observed:
            self._observed.setdefault(metric, set()).add(at)

    def quiet(self, t: datetime) -> bool:
        """
        Whether :meth:`step` at *t* with the results of the previous step
        would change nothing: no event at *t*, and no de-escalation counting
        readings (or the incident closed).  The grade then moves only when
        a result does: criteria that held were counted, a lowered grade was
        settled at once.
        """
        return self.closed_at is not None or (t not in self._events and not self._counts_readings)

    def step(
        self, t: datetime, results: Mapping[str, bool | None], snapshot: Mapping[str, object]
    ) -> None:
        """
        Advance to change point *t*, where the stage-1 rules gave *results*
        on *snapshot*.
        """
        if self.closed_at is not None:
            return
        now = self._events.get(t, ())
        blocked = self._blocked
        computed = self.computed
        for g_id, rank, grade in self._grades:
            if results.get(grade) is not True:
                blocked.discard(g_id)
            elif g_id not in blocked and rank > self.computed:
                self.computed = rank
        for event in now:
            if event.type == "grade_asserted":
                rank = self.ranks[str(event.grade)]
                if self.grading.asserted_grade == "latest" or rank > self.asserted:
                    self.asserted = rank
                    self.assertion = event
        if now or self.computed != computed:
            # Otherwise the driving grade is the one the last step left.
            self._move(t)
        for event in now:
            for step in self.grading.escalation:
                if step.event == event.type:
                    self._escalate(step, event, t)
        for rule in self.grading.deescalation:
            if self._triggered(rule, t, now, snapshot) and self.rank > self.ranks[rule.to]:
                self._deescalate(rule, t, results)
        closure = self.grading.closure
        if closure is not None and any(e.type == closure.event for e in now):
            self.closed_at = t
            if closure.cancel_started:
                self.cancellations.append((t, f"closure on {closure.event}"))

    def _driving(self) -> int:
        return max(self._base(), self.escalated)

    def _base(self) -> int:
        match self.grading.drive:
            case "asserted":
                return self.asserted
            case "higher":
                return max(self.computed, self.asserted)
            case _:
                return self.computed

    def _move(self, t: datetime) -> None:
        rank = self._driving()
        if rank == self.rank:
            return
        if rank > self.rank:
            # Consecutive low readings count from the latest rise.
            self._streak = dict.fromkeys(self._streak, 0)
        self.rank = rank
        if rank > self._base() and self._escalation is not None:
            # A lower assertion came; the escalated grade holds.
            held = attrs.evolve(self._escalation, rank=rank, at=t, previous=self.history[-1].rank)
            self.history.append(held)
        elif self.grading.drive != "computed" and rank == self.asserted:
            self.history.append(Change(rank, t, "asserted", event=self.assertion))
        else:
            self.history.append(Change(rank, t, "computed"))

    def _escalate(self, step: Escalation, event: Event, t: datetime) -> None:
        """
        Raise the grade by *step*'s levels from the current one, capped at
        the top; an ungraded incident is one level below the lowest grade.
        """
        levels = self._levels
        if not levels:
            return
        position = levels.index(self.rank) if self.rank in levels else -1
        rank = levels[min(position + step.steps, len(levels) - 1)]
        if rank <= self.rank:
            return
        self._streak = dict.fromkeys(self._streak, 0)
        change = Change(rank, t, "escalated", event=event, rule=step, previous=self.rank)
        self.escalated = self.rank = rank
        self._escalation = change
        self.history.append(change)

    def _triggered(
        self,
        rule: Deescalation,
        t: datetime,
        now: Sequence[Event],
        snapshot: Mapping[str, object],
    ) -> bool:
        if rule.event is not None:
            return any(e.type == rule.event for e in now)
        measure = str(rule.measure)
        if t not in self._observed.get(self._metric[measure], ()):
            return False
        value = snapshot.get(measure_slot(measure))
        below = isinstance(value, int | float) and value < (rule.below or 0)
        self._streak[rule.id] = self._streak[rule.id] + 1 if below else 0
        return self._streak[rule.id] >= rule.consecutive

    def _deescalate(
        self, rule: Deescalation, t: datetime, results: Mapping[str, bool | None]
    ) -> None:
        target = self.ranks[rule.to]
        self._blocked = {g for g in self.ranks if results.get(self._rules[g]) is True}
        self.computed = min(self.computed, target)
        self.asserted = min(self.asserted, target)
        self.escalated = min(self.escalated, target)
        self._streak = dict.fromkeys(self._streak, 0)
        self.rank = target
        self.history.append(Change(target, t, "deescalated", rule=rule))
        if rule.cancel_started:
            self.cancellations.append((t, f"de-escalation {rule.id}"))


__all__ = ["Change", "Grader", "Scale"]
