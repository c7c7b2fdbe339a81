"""
The field kinds of an incident's lifecycle: owners with their duties,
routing, and the plan's grading (with de-escalation and closure).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opinion_rules.model._items import APPLIES as APPLY_MODES
from opinion_rules.model._lifecycle import (
    ASSERTED_GRADES,
    GRADE_DRIVERS,
    OWNER_DUTIES,
    REGRADE_RULES,
    ROUTING_MODES,
    Assignment,
    Closure,
    Deescalation,
    Escalation,
    Grading,
    Routing,
)
from opinion_rules.planfile._expr import to_text
from opinion_rules.planfile._located import Node
from opinion_rules.planfile._reader import (
    IDENTIFIER_PATTERN,
    FieldKind,
    Reader,
    Spec,
    got,
    list_kind,
    object_kind,
    object_schema,
    write_fields,
)
from opinion_rules.planfile._simple_fields import (
    BOOL,
    CLAUSE,
    CONDITION,
    NUMBER,
    POSITIVE_INT,
    TEXT,
    TEXTS,
    read_text,
)


__all__ = [
    "APPLIES",
    "CLOSURE",
    "DEESCALATION",
    "ESCALATION",
    "GRADING",
    "OWNERS",
    "PLAN_ROUTING_FIELDS",
    "ROUTING",
    "ROUTING_MODE",
    "plan_routing_arguments",
    "plan_routing_to_data",
]

_OWNER_FORM = (
    "role ids, or mappings {role: <role id>, duty: primary|lead|support|coordinate} "
    "or {role: <role id>, plan_duty: <a duty the plan declares>}"
)
_OWNER_FIELDS: Spec = {"role": (TEXT, True), "duty": (TEXT, False), "plan_duty": (TEXT, False)}


def _read_owners(reader: Reader, node: Node, path: str) -> tuple[Assignment, ...] | None:
    """
    ``[role, {role: r, duty: lead}, ...]``.
    """
    if not isinstance(node.value, list) or not node.value:
        reader.problem(node, path, "expected a non-empty list of owners", _OWNER_FORM, got(node))
        return None
    out: list[Assignment | None] = []
    for i, item in enumerate(node.value):
        where = f"{path}[{i}]"
        if isinstance(item.value, str):
            out.append(reader.build(Assignment, item, where, role=item.value))
            continue
        fields = reader.fields(item, where, _OWNER_FIELDS)
        out.append(None if fields is None else reader.build(Assignment, item, where, **fields))
    return None if None in out else tuple(a for a in out if a is not None)


def _owners_to_data(owners: Iterable[Assignment | str]) -> list[Any]:
    """
    Role ids, with ``{role, duty}`` for an owner whose duty is stated.
    """
    return [_owner(o) if isinstance(o, Assignment) and o.said else _role(o) for o in owners]


def _owner(o: Assignment) -> dict[str, str]:
    return (
        {"role": o.role, "duty": o.duty} if o.duty else {"role": o.role, "plan_duty": o.plan_duty}
    )


def _role(owner: Assignment | str) -> str:
    return owner.role if isinstance(owner, Assignment) else owner


_OWNER = {
    "anyOf": [
        {"type": "string", "pattern": IDENTIFIER_PATTERN},
        {
            "type": "object",
            "properties": {
                "role": {"type": "string", "pattern": IDENTIFIER_PATTERN},
                "duty": {"enum": list(OWNER_DUTIES)},
                # A duty the plan declares in 'duties' (0.6.0).
                "plan_duty": {"type": "string", "pattern": IDENTIFIER_PATTERN},
            },
            "required": ["role"],
            "additionalProperties": False,
        },
    ]
}
OWNERS = FieldKind(
    "owners",
    _read_owners,
    _owners_to_data,
    {"type": "array", "items": _OWNER, "minItems": 1},
    fields=_OWNER_FIELDS,
)


def _read_routing(reader: Reader, node: Node, path: str) -> tuple[Routing | str, ...] | None:
    """
    Routings of an action: mappings, or the ids of the plan's routings.
    """
    out: list[Routing | str | None] = []
    for i, item in enumerate(reader.items(node, path)):
        where = f"{path}[{i}]"
        if isinstance(item.value, str):
            out.append(read_text(reader, item, where))
            continue
        fields = reader.fields(item, where, _ROUTING_FIELDS)
        if fields is None:
            out.append(None)
            continue
        fields["condition"] = fields.pop("when")
        out.append(reader.build(Routing, item, where, **fields))
    return None if None in out else tuple(r for r in out if r is not None)


def _routing_to_data(routing: Iterable[Routing | str]) -> list[Any]:
    return [r if isinstance(r, str) else plan_routing_to_data(r) for r in routing]


def plan_routing_to_data(r: Routing) -> dict[str, Any]:
    """
    One routing as a mapping: 'when' is the model's 'condition'.
    """
    return {
        **({"id": r.id} if r.id else {}),
        "when": to_text(r.condition),
        "owners": OWNERS.write(r.owners),
        **({"clause": CLAUSE.write(r.clause)} if r.clause else {}),
    }


# The file says 'when' for the model's 'condition'.
_ROUTING_FIELDS: Spec = {
    "id": (TEXT, False),
    "when": (CONDITION, True),
    "owners": (OWNERS, True),
    "clause": (CLAUSE, False),
}
ROUTING = FieldKind(
    "routing",
    _read_routing,
    _routing_to_data,
    {
        "type": "array",
        "items": {
            "anyOf": [
                object_schema(_ROUTING_FIELDS),
                {"type": "string", "pattern": IDENTIFIER_PATTERN},
            ]
        },
    },
    fields=_ROUTING_FIELDS,
)

#: ``first_match`` or ``additive`` (an action's ``""`` is not written).
ROUTING_MODE = FieldKind(
    "routing_mode", read_text, lambda mode: mode, {"enum": list(ROUTING_MODES)}
)

#: How long an action or category applies: ``latched`` or ``while``.
APPLIES = FieldKind("applies", read_text, lambda mode: mode, {"enum": list(APPLY_MODES)})

#: The keys of an item of the plan's ``routings``: as an action's, with an id.
PLAN_ROUTING_FIELDS: Spec = {**_ROUTING_FIELDS, "id": (TEXT, True)}


def plan_routing_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """
    The file's 'when' is the model's 'condition'.
    """
    if "when" in kwargs:  # absent when 'modify' changes other fields
        kwargs["condition"] = kwargs.pop("when")
    return kwargs


_DEESCALATION_FIELDS: Spec = {
    "id": (TEXT, True),
    "to": (TEXT, True),
    "event": (TEXT, False),
    "measure": (TEXT, False),
    "below": (NUMBER, False),
    "consecutive": (POSITIVE_INT, False),
    "cancel_started": (BOOL, False),
    "clause": (CLAUSE, False),
}
DEESCALATION = list_kind("deescalation", Deescalation, _DEESCALATION_FIELDS)


_ESCALATION_FIELDS: Spec = {
    "id": (TEXT, True),
    "event": (TEXT, True),
    "steps": (POSITIVE_INT, False),
    "clause": (CLAUSE, False),
}
ESCALATION = list_kind("escalation", Escalation, _ESCALATION_FIELDS)


_CLOSURE_FIELDS: Spec = {
    "event": (TEXT, True),
    "cancel_started": (BOOL, False),
    "clause": (CLAUSE, False),
}
CLOSURE = object_kind("closure", Closure, _CLOSURE_FIELDS)


def _read_grading(reader: Reader, node: Node, path: str) -> Grading | None:
    fields = reader.fields(node, path, _GRADING_FIELDS)
    if fields is None:
        return None
    grading: Grading | None = reader.build(Grading, node, path, **fields)
    return grading


_GRADING_FIELDS: Spec = {
    "drive": (TEXT, False),
    "asserted_by": (TEXTS, False),
    "asserted_grade": (TEXT, False),
    "regrade": (TEXT, False),
    "escalation": (ESCALATION, False),
    "deescalation": (DEESCALATION, False),
    "closure": (CLOSURE, False),
    "clause": (CLAUSE, False),
}
_GRADING_SCHEMA = object_schema(_GRADING_FIELDS)
_GRADING_SCHEMA["properties"]["drive"] = {"enum": list(GRADE_DRIVERS)}
_GRADING_SCHEMA["properties"]["regrade"] = {"enum": list(REGRADE_RULES)}
_GRADING_SCHEMA["properties"]["asserted_grade"] = {"enum": list(ASSERTED_GRADES)}
GRADING = FieldKind(
    "grading",
    _read_grading,
    lambda grading: write_fields(grading, _GRADING_FIELDS),
    _GRADING_SCHEMA,
    fields=_GRADING_FIELDS,
)
