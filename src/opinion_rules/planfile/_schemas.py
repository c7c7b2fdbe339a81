"""
JSON Schemas shipped with the package.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


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
