"""
Evaluate one incident against one compiled plan at one instant.

The loop is the same for every backend; a backend only matches snapshots.

1. Keep only observations and events at or before *at*.
2. Collect the *change points*: every instant at or before *at* where a
   snapshot can differ from the one before (observations, the instants they
   leave a rolling window, events, discovery and posting).  Between change
   points every measure, fact and event flag is constant, so evaluating at
   the change points sees every state the incident was in.
3. At each change point, in order: match stage 1 (grades, categories); the
   grade is the highest grade whose criteria ever held; then match stage 2
   (actions) with that grade and the categories matched so far.
4. For each action whose condition has held: the clock starts at the later
   of its anchor event and the instant its condition first held; compute
   the due time and the status at *at*.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime

import attrs

from opinion_rules.engine._backend import Backend
from opinion_rules.engine._grade_history import grade_entry
from opinion_rules.engine._grading import Grader
from opinion_rules.engine._ir import (
    category_rule,
    extension_rule,
    grade_rule,
    slot_subject,
)
from opinion_rules.engine._prepared import Prepared
from opinion_rules.engine._status_inputs import StatusInputs, calendar_gap
from opinion_rules.engine._statuses import StatusCalculator
from opinion_rules.engine._timeline import Snapshot, Timeline, validate_evaluation_instant
from opinion_rules.engine._walk import FirstHeld, Unknown, Walk
from opinion_rules.model._facts import Event, Incident
from opinion_rules.model._judgements import Judgement
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import (
    ActionStatus,
    Assessment,
    CategoryMatch,
    JudgementMade,
    Undecided,
)


__all__ = ["assess", "evaluate"]


def evaluate(prepared: Prepared, backend: Backend, incident: Incident, at: datetime) -> Assessment:
    """
    Evaluate *incident* against the prepared plan as of *at*.
    """
    at = validate_evaluation_instant(at)
    prepared.check(incident)
    timeline = prepared.timeline(incident, at)
    walk = Walk(prepared.plan, prepared.program, timeline)
    with backend.session() as session:
        walk.run(session)
    return assess(prepared, timeline, walk)


def assess(prepared: Prepared, timeline: Timeline, walk: Walk) -> Assessment:
    """
    The assessment at ``timeline.at`` from a walk that has reached it.
    """
    plan, shape = prepared.plan, prepared.shape
    incident, at = timeline.incident, timeline.at
    first, unknown, grader = walk.first, walk.unknown, walk.grader
    snaps, results, grade_snaps = walk.snaps, walk.results, walk.grade_snaps

    def reason(rule_id: str, snap: Snapshot | None = None) -> str:
        _held_at, first_snap = first.since[rule_id]
        return prepared.reason(rule_id, first_snap if snap is None else snap)

    grade_history = tuple(
        grade_entry(plan, change, grade_snaps, reason) for change in grader.history
    )
    categories = tuple(
        CategoryMatch(
            c.id,
            c.name,
            first.since[rule_id][0],
            reason(rule_id),
            c.clause,
            until=first.until.get(rule_id),
        )
        for c, rule_id in shape.category_rules
        if rule_id in first.since
    )
    grade_since: dict[str, datetime] = {}
    for g in plan.grades:
        reached_at = [c.at for c in grader.history if c.rank >= g.rank]
        if reached_at:
            grade_since[g.id] = reached_at[0]
    inputs = StatusInputs(
        at=at,
        incident=incident,
        events=timeline.events,
        first_event=timeline.first_event,
        done_times=timeline.done_times,
        grade_since=grade_since,
        grade_changes=tuple((c.at, c.rank) for c in grader.history),
        category_since={
            c.id: first.since[category_rule(c.id)][0] for c in categories if c.until is None
        },
        applies={
            a.id: (first.since[rule_id][0], reason(rule_id))
            for a, rule_id in shape.action_rules
            if rule_id in first.since
        },
        fact_changes=walk.fact_changes,
        held_at_changes=walk.held_at_changes,
        withdrawn={
            a.id: when
            for a, rule_id in shape.action_rules
            if (when := first.until.get(rule_id)) is not None
        },
        respelled=frozenset(
            a.id for a, rule_id in shape.action_rules if rule_id in first.respelled
        ),
        allowed=walk.allowed,
    )
    calculator = StatusCalculator(plan, inputs)
    statuses = {
        action.id: status
        for action in plan.actions
        if (status := calculator.status(action)) is not None
    }
    final = snaps.get(2, {})
    prepared.router.route(statuses, results[2], final)
    _override(plan, statuses)
    _apply_cancellations(plan, statuses, walk.cancelled)
    chains = tuple(calculator.chain(i) for i in range(len(plan.chains)))
    # ``while`` rules can stop or start holding again: their measures stay watched.
    calculator.changes.extend(timeline.upcoming(first.latched()))
    calculator.changes.extend(walk.upcoming)
    return Assessment(
        plan_id=plan.id,
        plan_title=plan.title,
        plan_version=plan.version,
        incident_id=incident.id,
        at=at,
        timezone=plan.timezone,
        grade_scale=bool(plan.grades),
        grade=grade_history[-1] if grade_history else None,
        grade_history=grade_history,
        categories=categories,
        actions=tuple(statuses[a.id] for a in plan.actions if a.id in statuses),
        chains=chains,
        next_change=calculator.next_change(),
        undecided=(tuple(_undecided(prepared, grader, first, unknown, final)) if snaps else ())
        + tuple(
            Undecided(
                "action",
                action_id,
                statuses[action_id].title,
                (f"calendar:{error.calendar}:{error.day.year}",),
                f"undecided: {calendar_gap(error)}",
            )
            for action_id, (error, _earliest) in calculator.gaps.items()
            if statuses[action_id].status == "undecided"
        )
        + tuple(_unsure_extensions(prepared, calculator.unsure_extensions, unknown, final)),
        grade_driver=plan.grading.drive,
        closed_at=grader.closed_at,
        discovered_at=incident.discovered_at,
        judgements=tuple(_judgements(plan, incident, timeline.events)),
    )


def _apply_cancellations(
    plan: Plan,
    statuses: dict[str, ActionStatus],
    cancelled: Mapping[str, tuple[datetime, str]],
) -> None:
    for action_id, (when, why) in cancelled.items():
        status = statuses[action_id]
        if status.withdrawn_at is not None and status.withdrawn_at <= when:
            continue  # withdrawn first: no longer owed when the rule came
        if status.done_at is None or status.done_at > when:
            statuses[action_id] = attrs.evolve(
                status,
                status="cancelled",
                cancelled_at=when,
                reason=f"{status.reason}; cancelled by {why} at "
                f"{when.astimezone(plan.tz).isoformat()}",
            )


def _judgements(plan: Plan, incident: Incident, events: Sequence[Event]) -> Iterator[JudgementMade]:
    """
    Each judgement fact known by the evaluation instant (*events* are the
    ones up to it), with its latest value and who judged it.
    """
    latest: dict[str, Event] = {}
    for event in events:
        if event.type == "fact" and event.by is not None:
            latest[str(event.fact)] = event
    for spec in plan.facts:
        if not spec.judgement:
            continue
        judged = latest.get(spec.id)
        if judged is not None and judged.value is not None and judged.by is not None:
            yield JudgementMade(
                spec.id, spec.describe(), judged.value, judged.by, judged.role, judged.at
            )
            continue
        given = incident.facts.get(spec.id)
        if isinstance(given, Judgement):
            yield JudgementMade(spec.id, spec.describe(), given.value, given.by, given.role, None)


def _override(plan: Plan, statuses: dict[str, ActionStatus]) -> None:
    """
    An action that applies takes precedence over the open actions it
    overrides; both reasons say so.
    """
    for action in plan.actions:
        winner = statuses.get(action.id)
        if winner is None or not action.overrides or winner.status == "withdrawn":
            continue
        beaten = []
        for other_id in action.overrides:
            other = statuses.get(other_id)
            if other is None or other.done_at is not None:
                continue
            if other.status in ("cancelled", "withdrawn"):
                continue
            where = f", {action.clause.ref}" if action.clause else ""
            statuses[other_id] = attrs.evolve(
                other,
                status="overridden",
                overridden_by=action.id,
                reason=f"{other.reason}; overridden by {action.id} (plan precedence{where})",
            )
            beaten.append(other_id)
        if beaten:
            statuses[action.id] = attrs.evolve(
                winner, reason=f"{winner.reason}; takes precedence over {', '.join(beaten)}"
            )


def _needs(prepared: Prepared, unknown: Unknown, rule_id: str, final: Snapshot) -> list[str]:
    """
    The slots that kept *rule_id* unknown and are unknown still
    (:meth:`Unknown.needs`, with the rule's condition compiled once).
    """
    seen = unknown.span(rule_id)
    if seen is None or all(final.get(s) is not None for s in prepared.may_need[rule_id]):
        return []
    find = prepared.unknown[rule_id]
    first, last = seen
    slots = find(first) if first is last else find(first) | find(last)
    return sorted(s for s in slots if final.get(s) is None)


def _unsure_extensions(
    prepared: Prepared,
    action_ids: AbstractSet[str],
    unknown: Unknown,
    final: Snapshot,
) -> Iterator[Undecided]:
    """
    Actions with an extension request that was not granted while its
    condition was unknown, and what would decide it.
    """
    plan, labels = prepared.plan, prepared.labels
    for action in plan.actions:
        if action.id not in action_ids:
            continue
        rule_id = extension_rule(action.id)
        slots = _needs(prepared, unknown, rule_id, final)
        words = ", ".join(labels.name(s) for s in slots) or "what was unknown then"
        yield Undecided(
            "extension",
            action.id,
            action.title,
            tuple(slot_subject(s) for s in slots),
            f"undecided: an extension request waits on its condition; needs {words}",
        )


def _escalated_undecided(
    plan: Plan,
    grader: Grader,
    item: Callable[[str, str, str, str], Iterator[Undecided]],
    reported: set[str],
) -> Iterator[Undecided]:
    """
    Grades an escalation would have raised the incident to had an unknown
    criterion held: escalation counts levels from the grade in force at the
    event, so a grade at or below today's that is still unknown may decide
    a higher one (因处理不妥升一级 from 较大 instead of 一般).
    """
    levels = sorted(g.rank for g in plan.grades)
    by_rank = {g.rank: g for g in plan.grades}
    found: dict[str, list[tuple[str, Undecided]]] = {}
    for change in grader.history:
        if change.source != "escalated" or change.rule is None:
            continue
        steps = change.rule.steps  # type: ignore[union-attr]
        for g in plan.grades:
            if g.rank <= change.previous:
                continue
            target = by_rank[levels[min(levels.index(g.rank) + steps, len(levels) - 1)]]
            if target.rank > grader.rank and target.id not in reported:
                for u in item("grade", grade_rule(g.id), target.id, target.name):
                    found.setdefault(target.id, []).append((g.name, u))
    for entries in found.values():
        first = entries[0][1]
        needs = tuple(dict.fromkeys(n for _g, u in entries for n in u.needs))
        via = ", ".join(dict.fromkeys(g for g, _u in entries))
        yield attrs.evolve(
            first,
            needs=needs,
            reason=f"undecided: needs {', '.join(needs)} ({via}, then raised by escalation)",
        )


def _undecided(
    prepared: Prepared,
    grader: Grader,
    first: FirstHeld,
    unknown: Unknown,
    final: Snapshot,
) -> Iterator[Undecided]:
    """
    Grades above the current one, categories and actions that never held
    and were unknown on facts or measures that are still unknown: reaching
    them depends on what is not yet known.
    """
    plan, labels = prepared.plan, prepared.labels

    def item(kind: str, rule_id: str, item_id: str, name: str) -> Iterator[Undecided]:
        if rule_id in first.since:
            return
        slots = _needs(prepared, unknown, rule_id, final)
        if slots:
            words = ", ".join(labels.name(s) for s in slots)
            needs = tuple(slot_subject(s) for s in slots)
            yield Undecided(kind, item_id, name, needs, f"undecided: needs {words}")

    drive = plan.grading.drive
    if grader.closed_at is None:
        if drive == "asserted" and grader.assertion is None:
            who = ", ".join(plan.grading.asserted_by) or "a person"
            yield Undecided(
                "grade",
                "",
                "grade",
                ("grade_asserted",),
                f"undecided: needs a grade asserted by {who}",
            )
        if drive != "asserted":
            reported: set[str] = set()
            for g in plan.scale():
                if g.rank > grader.rank:
                    for u in item("grade", grade_rule(g.id), g.id, g.name):
                        reported.add(g.id)
                        yield u
            yield from _escalated_undecided(plan, grader, item, reported)
    shape = prepared.shape
    since = first.since
    for c, rule_id in shape.category_rules:
        if rule_id not in since:
            yield from item("category", rule_id, c.id, c.name)
    for a, rule_id in shape.action_rules:
        if rule_id not in since:
            yield from item("action", rule_id, a.id, a.title)
