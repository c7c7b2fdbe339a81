"""
A listener plug-in for the tests: every change the case store notifies is
one JSON line in the file named by ``$OPINION_RULES_TEST_JSONL``, written
once per notification id however often it is delivered (idempotent).

It is registered as the entry point ``test-jsonl`` (tests/test_store_listeners.py
writes the distribution's metadata) and enabled with ``--plugin test-jsonl``.
Two switches simulate failures, each once (a marker file records that it
happened):

* ``$OPINION_RULES_TEST_RAISE`` (a marker path): raise on the first call;
* ``$OPINION_RULES_TEST_CRASH`` (a marker path): write the line, then end
  the process at once, before the store can mark the notification
  delivered (a crash between commit and delivery).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from opinion_rules import hookimpl
from opinion_rules.results import ActionStatus, Assessment


__version__ = "1.0"


def _once(variable: str) -> bool:
    """
    Whether the failure *variable* names should happen now (the first time).
    """
    marker = os.environ.get(variable)
    if not marker or Path(marker).exists():
        return False
    Path(marker).write_text("done\n")
    return True


def _write(line: dict[str, Any]) -> None:
    if _once("OPINION_RULES_TEST_RAISE"):
        raise ConnectionError("the duty desk's webhook is down")
    path = Path(os.environ["OPINION_RULES_TEST_JSONL"])
    seen = set()
    if path.exists():
        seen = {json.loads(text)["id"] for text in path.read_text().splitlines()}
    if line["id"] not in seen:  # delivered again: already written
        with path.open("a") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
    if _once("OPINION_RULES_TEST_CRASH"):
        os._exit(9)


@hookimpl
def opinion_rules_assessed(
    notification_id: str, incident_id: str, assessment: Assessment, previous: Assessment | None
) -> None:
    """
    One line for a grade change.
    """
    _write(
        {
            "id": notification_id,
            "incident": incident_id,
            "grade": None if assessment.grade is None else assessment.grade.id,
            "previous": None if previous is None or previous.grade is None else previous.grade.id,
        }
    )


@hookimpl
def opinion_rules_action_changed(
    notification_id: str, incident_id: str, action: ActionStatus, previous: ActionStatus | None
) -> None:
    """
    One line for an action's status change.
    """
    _write(
        {
            "id": notification_id,
            "incident": incident_id,
            "action": action.id,
            "status": action.status,
            "due": None if action.due is None else action.due.isoformat(),
            "previous": None if previous is None else previous.status,
        }
    )
