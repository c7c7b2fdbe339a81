"""
Who owns each applicable action at the evaluation instant: the action's own
owners, changed by its routings (the first that holds, or every one that
holds, by the routing mode), and to whom it is delivered.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from opinion_rules.engine._explain import Labels
from opinion_rules.engine._interpret import unknown_slots
from opinion_rules.engine._ir import Rule, routing_rule
from opinion_rules.engine._timeline import Snapshot
from opinion_rules.model._lifecycle import Routing
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import ActionStatus, Owner


__all__ = ["route"]


def route(
    plan: Plan,
    statuses: dict[str, ActionStatus],
    results: Mapping[str, bool | None],
    snapshot: Snapshot,
    rules: Mapping[str, Rule],
    labels: Labels,
) -> None:
    """
    Set each status's owners from its routings at the evaluation instant,
    and its recipients.
    """
    roles = {r.id: r.name for r in plan.roles}

    def needs(action_id: str, i: int) -> str:
        rule = rules[routing_rule(action_id, i)]
        return ", ".join(labels.name(s) for s in sorted(unknown_slots(rule.condition, snapshot)))

    def owners_of(routing: Routing) -> tuple[Owner, ...]:
        return tuple(Owner(o.role, roles[o.role], o.said) for o in routing.owners)

    for action_id, status in statuses.items():
        action = plan.action(action_id)
        owners = tuple(Owner(o, roles[o], action.duty_of(o)) for o in action.owners)
        routings = plan.routing_of(action)
        held = [results.get(routing_rule(action.id, i)) for i in range(len(routings))]
        note = ""
        if plan.routing_mode_of(action) == "additive":
            added = [i for i, h in enumerate(held) if h is True]
            for i in added:
                owners += tuple(o for o in owners_of(routings[i]) if o not in owners)
            if added:
                note = "; owners added by routing " + ", ".join(
                    _name(routings[i], i) for i in added
                )
            unknown = [i for i, h in enumerate(held) if h is None]
            if unknown:
                need = "; ".join(
                    f"{_name(routings[i], i)} needs {needs(action.id, i)}" for i in unknown
                )
                note += f"; owner routing undecided: {need}"
        else:
            for i, h in enumerate(held):
                if h is True:
                    owners = owners_of(routings[i])
                    where = f" ({routings[i].clause.ref})" if routings[i].clause else ""
                    note = f"; owners by routing {i + 1}{where}"
                    break
                if h is None:
                    note = f"; owner routing undecided: needs {needs(action.id, i)}"
                    break
        recipients = tuple(Owner(r, roles[r]) for r in action.recipients)
        statuses[action_id] = attrs.evolve(
            status, owners=owners, recipients=recipients, reason=status.reason + note
        )


def _name(routing: Routing, i: int) -> str:
    """
    ``2 (三(一))`` or ``by_scope (三(一))``: a routing by its id or position.
    """
    where = f" ({routing.clause.ref})" if routing.clause else ""
    return f"{routing.id or i + 1}{where}"
