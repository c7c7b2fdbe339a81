"""
Who owns each applicable action at the evaluation instant: the action's own
owners, changed by its routings (the first that holds, or every one that
holds, by the routing mode), and to whom it is delivered.

Everything that depends only on the plan (each action's owners and
recipients, its routings' owners, rule names and words) is worked out once,
when the :class:`Router` is made; :meth:`Router.route` only reads the rule
results and builds the statuses that change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from opinion_rules.engine._explain import Labels
from opinion_rules.engine._ir import routing_rule
from opinion_rules.engine._timeline import Snapshot
from opinion_rules.model._lifecycle import Routing
from opinion_rules.model._plan import Plan
from opinion_rules.model._results import ActionStatus, Owner


__all__ = ["Router"]

#: The unknown slots that keep a rule (by id) unknown on a snapshot.
UnknownOf = Callable[[str, Snapshot], set[str]]


@attrs.frozen
class _Way:
    """
    One routing of one action: its rule, the owners it names, its words.
    """

    rule: str
    owners: tuple[Owner, ...]
    name: str  # ``2 (三(一))`` or ``by_scope (三(一))``
    note: str  # ``; owners by routing 2 (三(一))``


@attrs.frozen
class _Routes:
    """
    One action's owners, recipients and routings, from the plan.
    """

    owners: tuple[Owner, ...]
    recipients: tuple[Owner, ...]
    additive: bool
    ways: tuple[_Way, ...]


class Router:
    """
    Route the statuses of one plan's actions.
    """

    def __init__(self, plan: Plan, labels: Labels, unknown_of: UnknownOf) -> None:
        self._labels = labels
        self._unknown_of = unknown_of
        roles = {r.id: r.name for r in plan.roles}
        self._routes: dict[str, _Routes] = {}
        for action in plan.actions:
            ways = []
            for i, routing in enumerate(plan.routing_of(action)):
                where = f" ({routing.clause.ref})" if routing.clause else ""
                ways.append(
                    _Way(
                        routing_rule(action.id, i),
                        tuple(Owner(o.role, roles[o.role], o.said) for o in routing.owners),
                        _name(routing, i),
                        f"; owners by routing {i + 1}{where}",
                    )
                )
            self._routes[action.id] = _Routes(
                tuple(Owner(o, roles[o], action.duty_of(o)) for o in action.owners),
                tuple(Owner(r, roles[r]) for r in action.recipients),
                plan.routing_mode_of(action) == "additive",
                tuple(ways),
            )

    def route(
        self,
        statuses: dict[str, ActionStatus],
        results: Mapping[str, bool | None],
        snapshot: Snapshot,
    ) -> None:
        """
        Set each status's owners from its routings at the evaluation
        instant, and its recipients.
        """
        for action_id, status in statuses.items():
            routes = self._routes[action_id]
            owners, note = routes.owners, ""
            if routes.ways:
                owners, note = self._routed(routes, results, snapshot)
            if owners != status.owners or routes.recipients != status.recipients or note:
                statuses[action_id] = attrs.evolve(
                    status, owners=owners, recipients=routes.recipients, reason=status.reason + note
                )

    def _routed(
        self, routes: _Routes, results: Mapping[str, bool | None], snapshot: Snapshot
    ) -> tuple[tuple[Owner, ...], str]:
        owners, note = routes.owners, ""
        held = [results.get(way.rule) for way in routes.ways]
        if routes.additive:
            added = [way for way, h in zip(routes.ways, held, strict=True) if h is True]
            for way in added:
                owners += tuple(o for o in way.owners if o not in owners)
            if added:
                note = "; owners added by routing " + ", ".join(way.name for way in added)
            unknown = [way for way, h in zip(routes.ways, held, strict=True) if h is None]
            if unknown:
                need = "; ".join(
                    f"{way.name} needs {self._needs(way, snapshot)}" for way in unknown
                )
                note += f"; owner routing undecided: {need}"
            return owners, note
        for way, h in zip(routes.ways, held, strict=True):
            if h is True:
                return way.owners, way.note
            if h is None:
                return owners, f"; owner routing undecided: needs {self._needs(way, snapshot)}"
        return owners, note

    def _needs(self, way: _Way, snapshot: Snapshot) -> str:
        slots = self._unknown_of(way.rule, snapshot)
        return ", ".join(self._labels.name(s) for s in sorted(slots))


def _name(routing: Routing, i: int) -> str:
    """
    ``2 (三(一))`` or ``by_scope (三(一))``: a routing by its id or position.
    """
    where = f" ({routing.clause.ref})" if routing.clause else ""
    return f"{routing.id or i + 1}{where}"
