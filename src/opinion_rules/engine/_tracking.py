"""
An evaluation carried forward: an incident's assessment at one instant,
advanced to a later instant as the incident grows, at the cost of what is
new rather than of the whole incident.

Evaluation at T sees only what is known at T, and the walk over the change
points never looks ahead: its state after the last change point up to T
depends on nothing later.  So when the incident grows only by items later
than T (and the instant moves forward), the walk goes on from where it
stopped and gives what a fresh walk gives.  Anything else (an item at or
before T, another header, an earlier instant) is evaluated afresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from opinion_rules.engine._backend import Backend
from opinion_rules.engine._evaluate import assess
from opinion_rules.engine._prepared import Prepared
from opinion_rules.engine._timeline import validate_evaluation_instant
from opinion_rules.engine._walk import Walk
from opinion_rules.model._facts import Event, Incident, Observation
from opinion_rules.model._results import Assessment


__all__ = ["Tracking"]

#: Items not yet seen: their place in the incident (for ties), the item.
_Unseen = list[tuple[int, Observation | Event]]


class Tracking:
    """
    An incident's evaluation that can be advanced as the incident grows.

    Made by :meth:`Engine.track <opinion_rules.engine.Engine.track>`.
    :meth:`advance` gives exactly what :meth:`Engine.evaluate
    <opinion_rules.engine.Engine.evaluate>` gives for the same incident and
    instant.  It resumes the last evaluation when the new incident is the
    last one with items appended, every item not seen yet is later than
    the last evaluation instant, and the instant does not go back; then it
    costs what the new items cost.  Otherwise it evaluates afresh.

    A tracking is not thread-safe: advance it from one thread at a time.

    .. versionadded:: 0.6.0
    """

    def __init__(
        self, engine: object, prepared: Prepared, backend: Backend, incident: Incident, at: datetime
    ) -> None:
        self._engine = engine
        self._prepared = prepared
        self._backend = backend
        at = validate_evaluation_instant(at)
        prepared.check(incident)
        self._start(incident, at)

    def _start(self, incident: Incident, at: datetime) -> None:
        self._walk: Walk | None = None  # until the walk below is complete
        prepared = self._prepared
        timeline = prepared.timeline(incident, at)
        walk = Walk(prepared.plan, prepared.program, timeline)
        with self._backend.session() as session:
            walk.run(session)
        self._assessment = assess(prepared, timeline, walk)
        self._incident, self._at, self._walk = incident, at, walk
        self._unseen: _Unseen = [
            *((i, o) for i, o in enumerate(incident.observations) if o.at > at),
            *((i, e) for i, e in enumerate(incident.events) if e.at > at),
        ]

    @property
    def engine(self) -> object:
        """
        The engine that made this tracking.
        """
        return self._engine

    @property
    def incident(self) -> Incident:
        """
        The incident as last evaluated.
        """
        return self._incident

    @property
    def at(self) -> datetime:
        """
        The instant of the last evaluation.
        """
        return self._at

    @property
    def assessment(self) -> Assessment:
        """
        The last evaluation's assessment.
        """
        return self._assessment

    def advance(self, incident: Incident | Mapping[str, Any], *, at: datetime) -> Assessment:
        """
        Evaluate *incident* at *at*, resuming the last evaluation where it can.

        It resumes when *incident* is the last one with items added, all
        later than the last evaluation instant.  Telling that compares the
        last incident's items with the first items of *incident*: items that
        are the same objects compare at once (append to the incident you
        have, e.g. ``attrs.evolve(incident, observations=(*incident.observations,
        new))``); equal copies, as from :meth:`Incident.from_dict
        <opinion_rules.Incident.from_dict>`, are compared field by field.

        Args:
            incident: An :class:`Incident`, or a mapping in the JSON
                interchange format.
            at: The evaluation instant; must be timezone-aware.

        Raises:
            FactError: as :meth:`Engine.evaluate
                <opinion_rules.engine.Engine.evaluate>`; the tracking is then
                as it was.
            EngineError: if the backend fails; the next advance evaluates afresh.
        """
        if not isinstance(incident, Incident):
            incident = Incident.from_dict(incident)
        at = validate_evaluation_instant(at)
        grown = self._grown(incident, at)
        prepared = self._prepared
        if grown is None or not prepared.check.fits(*_split(grown[0] + grown[1])):
            prepared.check(incident)  # raises what a fresh evaluation raises
            self._start(incident, at)
            return self._assessment
        visible, unseen = grown
        walk = self._walk
        assert walk is not None  # noqa: S101 - _grown() returns None without a walk
        observations, events = _split(visible)
        self._walk = None  # until the advance below is complete
        with self._backend.session() as session:
            walk.advance(session, incident, observations, events, at)
        self._assessment = assess(prepared, walk.timeline, walk)
        self._incident, self._at, self._walk, self._unseen = incident, at, walk, unseen
        return self._assessment

    def _grown(self, incident: Incident, at: datetime) -> tuple[_Unseen, _Unseen] | None:
        """
        The items to walk on to *at* and those still later, in the order a
        fresh evaluation takes them; ``None`` when the walk cannot resume.
        """
        old, last = self._incident, self._at
        if self._walk is None or at < last:
            return None
        if incident is not old and (
            (incident.id, incident.discovered_at, incident.posted_at)
            != (old.id, old.discovered_at, old.posted_at)
            or (incident.facts is not old.facts and incident.facts != old.facts)
        ):
            return None
        n_obs, n_events = len(old.observations), len(old.events)
        if (
            incident.observations[:n_obs] != old.observations
            or incident.events[:n_events] != old.events
        ):
            return None
        added: _Unseen = [
            *((n_obs + i, o) for i, o in enumerate(incident.observations[n_obs:])),
            *((n_events + i, e) for i, e in enumerate(incident.events[n_events:])),
        ]
        if any(item.at <= last for _i, item in added):
            return None
        pending = self._unseen + added
        visible = sorted(
            ((i, item) for i, item in pending if item.at <= at), key=lambda p: (p[1].at, p[0])
        )
        return visible, [(i, item) for i, item in pending if item.at > at]


def _split(items: _Unseen) -> tuple[list[Observation], list[Event]]:
    observations = [item for _i, item in items if isinstance(item, Observation)]
    events = [item for _i, item in items if isinstance(item, Event)]
    return observations, events
