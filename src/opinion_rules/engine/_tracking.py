"""
An evaluation carried forward: an incident's assessment at one instant,
advanced to a later instant as the incident grows, at the cost of what is
new rather than of the whole incident.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from opinion_rules.model._facts import Incident
from opinion_rules.model._results import Assessment


if TYPE_CHECKING:
    from opinion_rules.engine._engine import Engine


__all__ = ["Tracking"]


class Tracking:
    """
    An incident's evaluation that can be advanced.

    Made by :meth:`Engine.track <opinion_rules.engine.Engine.track>`.
    :meth:`advance` gives exactly what :meth:`Engine.evaluate
    <opinion_rules.engine.Engine.evaluate>` gives for the same incident and
    instant.

    .. versionadded:: 0.6.0
    """

    def __init__(self, engine: Engine, incident: Incident, at: datetime) -> None:
        self._engine = engine
        self._incident = incident
        self._at = at
        self._assessment = engine.evaluate(incident, at=at)

    @property
    def engine(self) -> Engine:
        """
        The engine evaluating.
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

    def advance(self, incident: Incident, *, at: datetime) -> Assessment:
        """
        Evaluate *incident* at *at*, resuming the last evaluation.

        Raises:
            FactError: as :meth:`Engine.evaluate
                <opinion_rules.engine.Engine.evaluate>`; the tracking is then
                as it was.
        """
        assessment = self._engine.evaluate(incident, at=at)
        self._incident, self._at, self._assessment = incident, at, assessment
        return assessment
