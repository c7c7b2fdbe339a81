"""
Lint checks of the plan's own words: declared channels, action kinds
(stages) and owner duties that no item uses, action kinds used but not
declared (once the plan declares any), owner duties neither built in
nor declared, and enum choices without a label for documents.

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
    yield from _unlabelled_choices(plan)
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


def _unlabelled_choices(plan: Plan) -> Iterator[Raw]:
    """
    Enum choices without a label: the rendered plan would show their ids
    (``舆情内容性质为suggestion``).
    """
    for i, fact in enumerate(plan.facts):
        labelled = {c for c, _ in fact.choice_labels}
        missing = [c for c in fact.choices if c not in labelled]
        if missing:
            yield (
                "warning",
                "unlabelled-choice",
                f"facts[{i}].choice_labels",
                (
                    f"fact {fact.id!r} has choices without a label ({', '.join(missing)}); "
                    "render shows their ids; give each one in choice_labels"
                ),
            )
