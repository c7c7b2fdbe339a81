"""
Types for extension authors: the protocols the library asks of the objects
you plug in, and the aliases they use.

- :class:`WorkingCalendar`: what the engine asks of a plan's calendar;
  :data:`WorkingHours` is its ``hours``, periods ``(start, end)`` within one
  day, in order; an end of ``time(0)`` is 24:00.
- :class:`Backend` and :class:`Session`: what a matching backend offers the
  evaluator; :data:`BackendFactory` builds one from a compiled program and is
  what :func:`opinion_rules.engine.register_backend` takes.
- :data:`Condition`: any condition node (see :mod:`opinion_rules.conditions`).
"""

from __future__ import annotations

from opinion_rules.engine import Backend, BackendFactory, Session
from opinion_rules.model._conditions import Condition
from opinion_rules.time._calendars import WorkingCalendar, WorkingHours


__all__ = ["Backend", "BackendFactory", "Condition", "Session", "WorkingCalendar", "WorkingHours"]
