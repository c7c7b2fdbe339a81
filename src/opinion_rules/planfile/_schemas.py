"""
JSON Schemas: the ones shipped with the package, and the generator of the
plan file schema from the table of field kinds (:mod:`._fields`), which the
shipped ``schemas/plan.schema.json`` is, written out.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

from opinion_rules._limits import TIMEZONE_CHARACTERS
from opinion_rules.model._plan import ID_SECTIONS
from opinion_rules.planfile._fields import (
    FIELD_KINDS,
    PLAN_REQUIRED,
    PLAN_SCALARS,
    SECTIONS,
)
from opinion_rules.planfile._reader import IDENTIFIER_PATTERN, object_schema
from opinion_rules.planfile._simple_fields import TEXTS


__all__ = ["build_plan_schema", "incident_schema", "plan_schema"]


def _shipped(name: str) -> dict[str, Any]:
    text = resources.files("opinion_rules").joinpath(f"schemas/{name}").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def plan_schema() -> dict[str, Any]:
    """
    Return the JSON Schema (draft 2020-12) of plan files, for editors.

    The schema checks the shape; conditions, cross-references and the
    logical checks are done by ``load_plan`` and ``opinion-rules check``.

    .. versionadded:: 0.2.0
    """
    return _shipped("plan.schema.json")


def incident_schema() -> dict[str, Any]:
    """
    Return the JSON Schema (draft 2020-12) of the incident interchange format.

    The schema checks the shape of an incident; names (metrics, facts,
    actions) are checked against the plan at evaluation time.

    .. versionadded:: 0.1.0
    """
    return _shipped("incident.schema.json")


def build_plan_schema() -> dict[str, Any]:
    """
    The JSON Schema (draft 2020-12) of plan files, built from the same field
    kinds the reader uses; ``schemas/plan.schema.json`` is this, written out.
    """
    properties: dict[str, Any] = {k: kind.schema for k, kind in PLAN_SCALARS.items()}
    properties["id"] = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"}
    properties["metrics"] = {
        "type": "array",
        "items": {"type": "string", "pattern": IDENTIFIER_PATTERN},
    }
    for key, section in SECTIONS.items():
        properties[key] = {"type": "array", "items": object_schema(section.fields)}
    properties["local"] = TEXTS.schema
    properties["timezone"] = {"type": "string", "minLength": 1, "maxLength": TIMEZONE_CHARACTERS}
    properties["extends"] = {
        "type": "string",
        "minLength": 1,
        "pattern": "\\.([yY][aA]?[mM][lL]|[tT][oO][mM][lL]|[jJ][sS][oO][nN])$",
        "description": "Path of the plan file this one adapts, relative to this file's folder "
        "and inside it (or inside a folder the host allows); with it, no key is required and "
        "items replace the base's by id.",
    }
    properties["modify"] = {
        "type": "object",
        "description": "With extends: fields of the base's items to change, each item named by "
        "its id; the id must be the base's.",
        "properties": {
            key: {
                "type": "array",
                "items": {
                    **object_schema(SECTIONS[key].fields),
                    "required": ["id"],
                    "minProperties": 2,
                },
            }
            for key in ID_SECTIONS
        },
        "additionalProperties": False,
    }
    properties["remove"] = {
        "type": "object",
        "properties": dict.fromkeys(ID_SECTIONS, TEXTS.schema),
        "additionalProperties": False,
    }
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://opinion-rules.example/schemas/plan.schema.json",
        "title": "opinion_rules plan file",
        "description": "A response plan as data; see docs/reference/plan-file-format.md.",
        "type": "object",
        "properties": properties,
        "anyOf": [{"required": list(PLAN_REQUIRED)}, {"required": ["extends"]}],
        "additionalProperties": False,
        "$defs": {
            kind.name: kind.definition
            for kind in FIELD_KINDS.values()
            if kind.definition is not None
        },
    }
    # The kinds share their fragments: the caller gets a copy of its own.
    return copy.deepcopy(schema)
