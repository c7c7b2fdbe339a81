"""
JSON Schemas shipped with the package.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def incident_schema() -> dict[str, Any]:
    """
    Return the JSON Schema (draft 2020-12) of the incident interchange format.

    The schema checks the shape of an incident; names (metrics, facts,
    actions) are checked against the plan at evaluation time.

    .. versionadded:: 0.1.0
    """
    text = (
        resources.files("opinion_rules")
        .joinpath("schemas/incident.schema.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data
