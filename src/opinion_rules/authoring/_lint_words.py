"""
Lint checks of the plan's own words: declared channels, action kinds
(stages) and owner duties that no item uses, action kinds used but not
declared (once the plan declares any), and owner duties neither built in
nor declared.

Each check yields ``(severity, code, path, message)``; :mod:`._lint` makes
them findings.
"""

from __future__ import annotations

from collections.abc import Iterator

from opinion_rules.model._plan import Plan


__all__ = ["word_findings"]

Raw = tuple[str, str, str, str]


def word_findings(plan: Plan) -> Iterator[Raw]:
    """
    The findings about the plan's vocabularies.
    """
    used_channels = {a.channel for a in plan.actions}
    used_stages = {a.stage for a in plan.actions if a.stage}
    used_duties = {
        owner.plan_duty
        for a in plan.actions
        for owner in (*a.assignments, *(o for r in plan.routing_of(a) for o in r.owners))
        if owner.plan_duty
    }
    for section, word, used in (
        ("channels", "channel", used_channels),
        ("stages", "stage", used_stages),
        ("duties", "duty", used_duties),
    ):
        for i, term in enumerate(getattr(plan, section)):
            if term.id not in used:
                yield (
                    "warning",
                    "unused-term",
                    f"{section}[{i}]",
                    (
                        f"{word} {term.id!r} ({term.name}) is declared "
                        "but no action uses it; a misspelt id in an action, or a leftover"
                    ),
                )
    named = {r for a in plan.actions for r in a.routing if isinstance(r, str)}
    for i, routing in enumerate(plan.routings):
        if routing.id not in named:
            yield (
                "warning",
                "unused-routing",
                f"routings[{i}]",
                (
                    f"routing {routing.id!r} is written once for actions to share, but no action "
                    "names it in its routing"
                ),
            )
    if plan.stages:
        declared = {t.id for t in plan.stages}
        for i, action in enumerate(plan.actions):
            if action.stage and action.stage not in declared:
                yield (
                    "warning",
                    "undeclared-stage",
                    f"actions[{i}].stage",
                    (
                        f"action {action.id!r} names stage {action.stage!r}, which the plan's "
                        f"stages do not declare ({', '.join(sorted(declared))}); render shows "
                        "no label for it"
                    ),
                )
