"""
The table of plan-file field kinds, and the layout of a plan file in them.

:data:`FIELD_KINDS` lists every kind of value a plan file holds; each entry
(a :class:`~._reader.FieldKind`) is the only description of its kind: the
reader, the writer and the JSON Schema generator all use it.  A new kind is
one entry: a ``FieldKind(name, read, write, schema)`` defined beside the
kinds like it, listed here, and named in the layout where files hold it.

The layout says which key holds which kind: :data:`SECTIONS` (the lists of
items, by model class) and :data:`PLAN_SCALARS` (the plan's own values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from opinion_rules.model._extending import Requirement
from opinion_rules.model._items import (
    Action,
    Category,
    EventSpec,
    FactSpec,
    Grade,
    Note,
    Parameter,
    Principle,
    ReportChain,
    Role,
    Term,
)
from opinion_rules.model._lifecycle import Assignment, Routing
from opinion_rules.model._windows import Measure
from opinion_rules.planfile._calendar_fields import CALENDAR
from opinion_rules.planfile._deadline_fields import (
    CAP_FROM_KIND,
    DEADLINE,
    EXTENSION,
    READINGS,
    WINDOW,
)
from opinion_rules.planfile._lifecycle_fields import (
    APPLIES,
    CLOSURE,
    DEESCALATION,
    ESCALATION,
    GRADING,
    OWNERS,
    PLAN_ROUTING_FIELDS,
    ROUTING,
    ROUTING_MODE,
    plan_routing_arguments,
    plan_routing_to_data,
)
from opinion_rules.planfile._reader import FieldKind, Spec, write_fields
from opinion_rules.planfile._recurrence_fields import COUNTS, DATES, RULE
from opinion_rules.planfile._simple_fields import (
    BOOL,
    CLAUSE,
    CLOCK,
    CONDITION,
    DAY_END,
    DURATION,
    INT,
    LABELS,
    NUMBER,
    OFFSET,
    OPTIONAL_TEXT,
    POSITIVE_INT,
    TEXT,
    TEXTS,
)


__all__ = [
    "FIELD_KINDS",
    "PLAN_OPTIONAL",
    "PLAN_REQUIRED",
    "PLAN_SCALARS",
    "SECTIONS",
    "Section",
    "kinds_in_use",
]

#: Every kind of plan-file value, by name.
FIELD_KINDS: Mapping[str, FieldKind] = {
    kind.name: kind
    for kind in (
        TEXT,
        OPTIONAL_TEXT,
        INT,
        POSITIVE_INT,
        NUMBER,
        BOOL,
        TEXTS,
        LABELS,
        CLAUSE,
        CONDITION,
        DURATION,
        OFFSET,
        CLOCK,
        DAY_END,
        WINDOW,
        DEADLINE,
        EXTENSION,
        CAP_FROM_KIND,
        READINGS,
        RULE,
        DATES,
        COUNTS,
        CALENDAR,
        OWNERS,
        ROUTING,
        ROUTING_MODE,
        APPLIES,
        GRADING,
        ESCALATION,
        DEESCALATION,
        CLOSURE,
    )
}


@attrs.frozen
class Section:
    """
    A list section of a plan file: its items are *model* instances whose
    keys are read by *fields*; *adapt* turns the keys read into the model's
    arguments, and *write* writes one item back (both only where the file
    and the model differ).
    """

    model: Callable[..., Any]
    fields: Spec
    adapt: Callable[[dict[str, Any]], dict[str, Any]] = lambda kwargs: kwargs
    write: Callable[[Any], dict[str, Any]] | None = None

    def to_data(self, item: Any) -> dict[str, Any]:
        return self.write(item) if self.write is not None else write_fields(item, self.fields)


def _action_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    # A file lists owners with their duties; the model keeps the role ids
    # and the stated duties apart.
    owners = kwargs.get("owners")
    if owners is not None:
        kwargs["owners"] = tuple(a.role for a in owners)
        kwargs["assignments"] = tuple(a for a in owners if a.said)
    return kwargs


def _action_to_data(action: Action) -> dict[str, Any]:
    out = write_fields(attrs.evolve(action, assignments=(), routing=()), _ACTION_FIELDS)
    stated = {a.role: a for a in action.assignments}
    out["owners"] = OWNERS.write(stated.get(o, Assignment(o)) for o in action.owners)
    if action.routing:
        out["routing"] = ROUTING.write(action.routing)
    return out


_ACTION_FIELDS: Spec = {
    "id": (TEXT, True),
    "title": (TEXT, True),
    "owners": (OWNERS, True),
    "channel": (TEXT, True),
    "condition": (CONDITION, False),
    "deadline": (DEADLINE, True),
    "clause": (CLAUSE, False),
    "stage": (OPTIONAL_TEXT, False),
    "routing": (ROUTING, False),
    "overrides": (TEXTS, False),
    "family": (OPTIONAL_TEXT, False),
    "routing_mode": (ROUTING_MODE, False),
    "recipients": (TEXTS, False),
    "applies": (APPLIES, False),
}
_LABEL = (OPTIONAL_TEXT, False)
_CLAUSE = (CLAUSE, False)

#: The list sections of a plan file, in the order they are read and written.
SECTIONS: Mapping[str, Section] = {
    # The plug-ins the plan relies on, first: a reader sees them before what uses them.
    "requires": Section(Requirement, {"plugin": (TEXT, True), "version": (TEXT, False)}),
    "parameters": Section(
        Parameter,
        {
            "id": (TEXT, True),
            "label": (TEXT, True),
            "value": (NUMBER, False),
            "unit": (OPTIONAL_TEXT, False),
            "clause": _CLAUSE,
        },
    ),
    "roles": Section(Role, {"id": (TEXT, True), "name": (TEXT, True), "name_en": _LABEL}),
    "measures": Section(
        Measure,
        {
            "id": (TEXT, True),
            "metric": (TEXT, True),
            "window": (WINDOW, True),
            "aggregate": (TEXT, False),
            "channels": (TEXTS, False),
            "label": _LABEL,
            "site_above": (NUMBER, False),
            "over": (TEXT, False),
        },
    ),
    "facts": Section(
        FactSpec,
        {
            "id": (TEXT, True),
            "type": (TEXT, False),
            "choices": (TEXTS, False),
            "choice_labels": (LABELS, False),
            "ordered": (BOOL, False),
            "label": _LABEL,
            "clause": _CLAUSE,
            "judgement": (BOOL, False),
            "may_be_not_applicable": (BOOL, False),
            "judged_by": (TEXTS, False),
        },
    ),
    "grades": Section(
        Grade,
        {
            "id": (TEXT, True),
            "name": (TEXT, True),
            "name_en": _LABEL,
            "rank": (INT, True),
            "criteria": (CONDITION, True),
            "clause": _CLAUSE,
        },
    ),
    "categories": Section(
        Category,
        {
            "id": (TEXT, True),
            "name": (TEXT, True),
            "name_en": _LABEL,
            "condition": (CONDITION, False),
            "clause": _CLAUSE,
            "other": (BOOL, False),
            "applies": (APPLIES, False),
        },
    ),
    "principles": Section(
        Principle,
        {"id": (TEXT, True), "name": (TEXT, True), "text": (TEXT, True), "clause": _CLAUSE},
    ),
    "actions": Section(Action, _ACTION_FIELDS, _action_arguments, _action_to_data),
    "notes": Section(Note, {"clause": (CLAUSE, True), "reason": (TEXT, True)}),
    "events": Section(EventSpec, {"id": (TEXT, True), "label": _LABEL, "clause": _CLAUSE}),
    "chains": Section(
        ReportChain,
        {
            "id": (TEXT, True),
            "title": (TEXT, True),
            "hops": (TEXTS, True),
            "bound": (OFFSET, False),
            "clause": _CLAUSE,
        },
    ),
    # The plan's own words: channels, action kinds (stages) and owner duties.
    **{
        key: Section(
            Term, {"id": (TEXT, True), "name": (TEXT, True), "name_en": _LABEL, "clause": _CLAUSE}
        )
        for key in ("channels", "stages", "duties")
    },
    # Owner routings written once, named by id in actions' routing.
    "routings": Section(Routing, PLAN_ROUTING_FIELDS, plan_routing_arguments, plan_routing_to_data),
}

#: The plan's own values, besides ``metrics`` and ``local`` (lists of ids).
PLAN_SCALARS: Mapping[str, FieldKind] = {
    "id": TEXT,
    "title": TEXT,
    "issuer": TEXT,
    "version": TEXT,
    "source": TEXT,
    "timezone": TEXT,
    "immediate_tolerance": DURATION,
    "prompt_tolerance": DURATION,
    "calendar": CALENDAR,
    "day_end": DAY_END,
    "grading": GRADING,
    "routing_mode": ROUTING_MODE,
    "base": TEXT,
}
PLAN_REQUIRED = ("id", "title", "issuer", "version", "source", "roles", "actions")
PLAN_OPTIONAL = tuple(
    k for k in (*PLAN_SCALARS, "metrics", "local", *SECTIONS) if k not in PLAN_REQUIRED
)


def kinds_in_use() -> Iterator[FieldKind]:
    """
    Every kind the layout reaches, through the keys of mapping kinds too
    (each once).
    """
    seen: set[int] = set()
    pending = [*PLAN_SCALARS.values(), TEXTS]
    pending += [kind for section in SECTIONS.values() for kind, _ in section.fields.values()]
    while pending:
        kind = pending.pop(0)
        if id(kind) in seen:
            continue
        seen.add(id(kind))
        yield kind
        pending += [sub for sub, _ in kind.fields.values()]
