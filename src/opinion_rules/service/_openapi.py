"""
The service's OpenAPI 3.1 document, written from the library's own JSON
schemas: the incident interchange format (``schemas/incident.schema.json``)
describes the incidents sent to ``/v1/evaluate`` and the observations and
events of entries, so the document and the validation cannot disagree.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from opinion_rules._version import __version__
from opinion_rules.planfile._schemas import incident_schema


__all__ = ["openapi_document"]

_INCIDENT = "#/components/schemas/Incident"
_CODES = {
    400: "The body is not JSON (located body:LINE:COLUMN).",
    401: "No bearer token, or not one of the service's tokens.",
    403: "A read-only token on a write.",
    404: "No such incident, plan or endpoint.",
    409: "An id already used with other content, or a write that lost a race on the log's clock.",
    413: "The body is larger than the service's limit.",
    415: "The content type is not application/json.",
    422: "Well-formed but invalid: the library's located problems.",
    501: "The calendar feed needs the icalendar package, which is not installed.",
    503: "The case store cannot be reached.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _rewritten(node: Any) -> Any:
    """
    *node* with its ``#/$defs/...`` references pointing into the document.
    """
    if isinstance(node, dict):
        return {
            k: (
                v.replace("#/$defs/", f"{_INCIDENT}/$defs/")
                if k == "$ref" and isinstance(v, str)
                else _rewritten(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewritten(v) for v in node]
    return node


def _schemas() -> dict[str, Any]:
    incident = _rewritten(incident_schema())
    for key in ("$schema", "$id"):
        incident.pop(key, None)
    instant = {"type": "string", "format": "date-time", "description": "ISO 8601 with offset"}
    loose = {"type": "object", "additionalProperties": True}
    return {
        "Incident": incident,
        "Entry": {
            "type": "object",
            "description": "One log entry: the sender's id and one observation or one event.",
            "additionalProperties": False,
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "observation": {"$ref": f"{_INCIDENT}/properties/observations/items"},
                "event": {"$ref": f"{_INCIDENT}/properties/events/items"},
            },
            "oneOf": [{"required": ["observation"]}, {"required": ["event"]}],
        },
        "EvaluateRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["plan", "incident"],
            "properties": {
                "plan": {"type": "string", "description": "A plan key, or the id of a plan held"},
                "incident": _ref("Incident"),
                "at": {**instant, "description": "The instant (default: now)"},
            },
        },
        "OpenRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "plan", "discovered_at"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "plan": {"type": "string", "description": "A plan key, or the id of a plan held"},
                "discovered_at": instant,
                "posted_at": instant,
                "facts": {"$ref": f"{_INCIDENT}/properties/facts"},
                "entry_id": {"type": "string", "minLength": 1, "default": "open"},
            },
        },
        "Assessment": {
            **loose,
            "description": "What 'opinion-rules evaluate --json' prints "
            "(docs/reference/cli.md, docs/reference/api.md: Assessment.to_dict).",
        },
        "Receipt": {
            **loose,
            "description": "A write's receipt, as 'track record --json' prints it.",
            "required": ["incident_id", "entry_id", "seq", "kind", "recorded_at", "recorded_by"],
            "properties": {"duplicate": {"type": "boolean"}, "seq": {"type": "integer"}},
        },
        "LogEntry": {**loose, "description": "A log entry, as 'track timeline --json' prints it."},
        "Agenda": {
            "type": "object",
            "required": ["at", "horizon_minutes", "items"],
            "properties": {
                "at": instant,
                "horizon_minutes": {"type": "integer"},
                "items": {
                    "type": "array",
                    "items": {**loose, "description": "AgendaItem.to_dict"},
                },
            },
        },
        "Plans": {
            "type": "object",
            "required": ["plans"],
            "properties": {
                "plans": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["key", "id", "version", "title", "timezone", "file"],
                        "properties": {
                            name: {"type": "string"}
                            for name in ("key", "id", "version", "title", "timezone", "file")
                        },
                    },
                }
            },
        },
        "Problem": {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "message": {"type": "string"},
                **{n: {"type": ["string", "null"]} for n in ("expected", "got", "file")},
                **{n: {"type": ["integer", "null"]} for n in ("line", "column")},
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["type", "message", "problems"],
                    "properties": {
                        "type": {"type": "string"},
                        "message": {"type": "string"},
                        "problems": {"type": "array", "items": _ref("Problem")},
                    },
                }
            },
        },
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(
    summary: str, ok: dict[int, tuple[dict[str, Any], str]], codes: tuple[int, ...], **more: Any
) -> dict[str, Any]:
    responses = {str(code): _json(schema, text) for code, (schema, text) in ok.items()}
    for code in (401, *codes):
        responses[str(code)] = _json(_ref("Error"), _CODES[code])
    return {"summary": summary, "responses": responses, **more}


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
            "description": description}  # fmt: skip


_INCIDENT_ID = {"name": "incident_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


@functools.cache
def _document() -> dict[str, Any]:
    reads = (404, 422, 503)
    writes = (400, 403, 404, 409, 413, 415, 422, 503)
    entries = {"oneOf": [_ref("Entry"), {"type": "array", "items": _ref("Entry")}]}
    receipts = {"type": "array", "items": _ref("Receipt")}
    agenda_parameters = [
        _query("at", "the instant (default: now)"),
        _query("horizon", "how far ahead: 90m, 24h (default), 3d, 1w2d"),
        _query("status", "only these statuses, comma-separated"),
        _query("owner", "only items with one of these owner roles (id or name)"),
        _query("grade", "only incidents with one of these grades (id or name)"),
        _query("plan", "only these plans: an id (any version) or id@version"),
        _query("due_within", "only pending items due within this duration"),
        _query("no_time", "true (default) or false: pending items without a time"),
    ]
    feed = _operation(
        "The agenda's items with a due time as an iCalendar feed",
        {},
        (422, 501, 503),
        parameters=agenda_parameters,
    )
    feed["responses"]["200"] = {
        "description": "One event per (incident, action), with a stable UID.",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "opinion-rules",
            "version": __version__,
            "description": "Evaluate incidents against response plans, keep them in a case "
            "store, and ask what is owed (docs/reference/http-api.md).",
        },
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
        "paths": {
            "/v1/health": {
                "get": _operation(
                    "The service and its store answer",
                    {200: ({"type": "object"}, "status ok, version, plans stored")},
                    (503,),
                )
            },
            "/v1/openapi.json": {
                "get": _operation("This document", {200: ({"type": "object"}, "OpenAPI 3.1")}, ())
            },
            "/v1/plans": {
                "get": _operation("The plans the service holds", {200: (_ref("Plans"), "")}, ())
            },
            "/v1/evaluate": {
                "post": _operation(
                    "Evaluate an incident against a plan held, at an instant; stores nothing",
                    {200: (_ref("Assessment"), "the assessment")},
                    (400, 404, 413, 415, 422, 503),
                    requestBody=_body(_ref("EvaluateRequest")),
                )
            },
            "/v1/incidents": {
                "post": _operation(
                    "Open an incident pinned to a plan held",
                    {
                        201: (_ref("Receipt"), "opened"),
                        200: (_ref("Receipt"), "already open with the same content"),
                    },
                    writes,
                    requestBody=_body(_ref("OpenRequest")),
                )
            },
            "/v1/incidents/{incident_id}": {
                "get": _operation(
                    "The incident replayed and assessed as of an instant",
                    {200: (_ref("Assessment"), "the assessment")},
                    reads,
                    parameters=[
                        _INCIDENT_ID,
                        _query("at", "the instant (default: now)"),
                        _query("known_at", "replay what was recorded by then (default: at)"),
                    ],
                )
            },
            "/v1/incidents/{incident_id}/entries": {
                "post": _operation(
                    "Append entries to the incident's log, all or nothing",
                    {
                        201: (receipts, "at least one entry written"),
                        200: (receipts, "every entry was already recorded"),
                    },
                    writes,
                    parameters=[_INCIDENT_ID],
                    requestBody=_body(entries),
                )
            },
            "/v1/incidents/{incident_id}/timeline": {
                "get": _operation(
                    "The incident's log, in order",
                    {200: ({"type": "array", "items": _ref("LogEntry")}, "")},
                    reads,
                    parameters=[_INCIDENT_ID],
                )
            },
            "/v1/audit": {
                "get": _operation(
                    "Who recorded what, and when",
                    {200: ({"type": "array", "items": _ref("LogEntry")}, "")},
                    reads,
                    parameters=[
                        _query("incident", "only this incident"),
                        _query("since", "recorded at or after this instant"),
                        _query("until", "recorded at or before this instant"),
                    ],
                )
            },
            "/v1/agenda": {
                "get": _operation(
                    "What is owed across incidents",
                    {200: (_ref("Agenda"), "")},
                    (422, 503),
                    parameters=agenda_parameters,
                )
            },
            "/v1/agenda.ics": {"get": feed},
        },
    }


def openapi_document() -> dict[str, Any]:
    """
    The OpenAPI 3.1 document of the service (a copy: callers may change it).
    """
    return copy.deepcopy(_document())
