"""
A listener that appends every change the case store notifies as one JSON
line, ready to feed a webhook or the duty desk's message queue.

It writes to the file named by ``$OPINION_RULES_GUANGXI_NOTICES`` (nothing
when unset) and is idempotent by notification id: a notification delivered
twice (the store delivers at least once) is written once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from opinion_rules import hookimpl
from opinion_rules.results import ActionStatus, Assessment


#: The environment variable naming the JSON-lines file.
NOTICES = "OPINION_RULES_GUANGXI_NOTICES"


def _write(line: dict[str, Any]) -> None:
    target = os.environ.get(NOTICES)
    if not target:
        return
    path = Path(target)
    if path.exists():
        seen = {json.loads(text)["id"] for text in path.read_text("utf-8").splitlines() if text}
        if line["id"] in seen:
            return  # told again after a failure or a crash: already written
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())


def _when(instant: Any) -> str | None:
    return None if instant is None else instant.isoformat()


@hookimpl
def opinion_rules_assessed(
    notification_id: str, incident_id: str, assessment: Assessment, previous: Assessment | None
) -> None:
    """One line when an incident's grade changed (or it was opened)."""
    _write(
        {
            "id": notification_id,
            "incident": incident_id,
            "kind": "grade",
            "grade": None if assessment.grade is None else assessment.grade.id,
            "previous": None if previous is None or previous.grade is None else previous.grade.id,
            "at": _when(assessment.at),
        }
    )


@hookimpl
def opinion_rules_action_changed(
    notification_id: str, incident_id: str, action: ActionStatus, previous: ActionStatus | None
) -> None:
    """One line when an action's status or due time changed (or it started to apply)."""
    _write(
        {
            "id": notification_id,
            "incident": incident_id,
            "kind": "action",
            "action": action.id,
            "status": action.status,
            "due": _when(action.due),
            "owners": [o.id for o in action.owners],
            "previous": None if previous is None else previous.status,
        }
    )
