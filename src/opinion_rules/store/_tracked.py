"""
Incidents a store object wrote lately, kept between its writes so that the
next write of one reads, parses and checks only what is new.

The log is append-only, so what a store object read of an incident's log
stays true: a later write reads only the entries after the last one it
knows (some may come from other writers), rebuilds the incident by
appending them, and resumes the incident's evaluation from where the last
one stopped (:class:`~opinion_rules.engine.Tracking`).  Anything
unexpected (an item that does not parse, an instant before the last
evaluation, another engine) takes the full way, which gives the same
results and the same errors.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from opinion_rules.engine._tracking import Tracking
from opinion_rules.exceptions import FactError
from opinion_rules.model._facts import Incident, SeriesLedger, extended_incident
from opinion_rules.store._log import StoredEntry, incident_data


__all__ = ["MOST_TRACKED", "Tracked", "TrackedIncidents", "grown"]

#: How many incidents a store object keeps: a duty desk's busy ones.
MOST_TRACKED = 64


@attrs.define
class Tracked:
    """
    One incident as a store object last wrote or read it: its log, the
    incident that log describes, and its evaluation (if any) to resume.
    """

    key: str
    log: list[StoredEntry]
    by_id: dict[str, StoredEntry]
    #: ``None`` when the stored log does not make an incident: every write
    #: then takes the full way, which reports why.
    incident: Incident | None
    ledger: SeriesLedger
    tracking: Tracking | None = None

    @property
    def last_seq(self) -> int:
        """
        The seq of the last log entry known.
        """
        return self.log[-1].seq

    @classmethod
    def of(cls, incident_id: str, key: str, log: list[StoredEntry]) -> Tracked:
        """
        Build from a whole log (its opening first).
        """
        by_id = {e.entry_id: e for e in log}
        try:
            incident = Incident.from_dict(incident_data(incident_id, log), source="stored incident")
        except FactError:
            return cls(key, list(log), by_id, None, SeriesLedger(None))
        ledger = SeriesLedger(incident.posted_at)
        for _ in ledger.problems(incident.observations):
            pass  # it passed the same check when it was built
        return cls(key, list(log), by_id, incident, ledger)


class TrackedIncidents:
    """
    The incidents a store object keeps, the least recently used dropped first.
    """

    def __init__(self, most: int | None = None) -> None:
        self._most = MOST_TRACKED if most is None else most
        self._items: OrderedDict[str, Tracked] = OrderedDict()

    def get(self, incident_id: str) -> Tracked | None:
        found = self._items.get(incident_id)
        if found is not None:
            self._items.move_to_end(incident_id)
        return found

    def put(self, incident_id: str, tracked: Tracked) -> None:
        self._items[incident_id] = tracked
        self._items.move_to_end(incident_id)
        while len(self._items) > self._most:
            self._items.popitem(last=False)

    def forget(self, incident_id: str) -> None:
        self._items.pop(incident_id, None)

    def clear(self) -> None:
        self._items.clear()


def grown(
    tracked: Tracked, incident_id: str, items: Iterable[tuple[str, Mapping[str, Any]]]
) -> Incident | None:
    """
    *tracked*'s incident with *items* (``("observation" | "event", item)``)
    appended, or ``None`` when one of them has a problem: the caller then
    rebuilds the whole incident, which reports it as it always did.
    *tracked*'s ledger records the new observations; a ``None`` spends it.
    """
    base = tracked.incident
    if base is None:
        return None
    data: dict[str, Any] = {
        "id": incident_id,
        "discovered_at": base.discovered_at.isoformat(),
        "observations": [],
        "events": [],
    }
    if base.posted_at is not None:
        data["posted_at"] = base.posted_at.isoformat()
    for kind, item in items:
        data[f"{kind}s"].append(item)
    try:
        part = Incident.from_dict(data, source="incident")
        return extended_incident(base, tracked.ledger, part.observations, part.events)
    except FactError:
        return None
