"""
A calendar a plug-in provides, as a plan file names it: it answers like the
plug-in's calendar and is written back by name, so a dumped plan keeps
relying on the plug-in (whose data may be updated) instead of a copy.
"""

from __future__ import annotations

from datetime import date

import attrs

from opinion_rules.time._calendars import WorkingCalendar, WorkingHours


__all__ = ["ProvidedCalendar"]


@attrs.frozen
class ProvidedCalendar:
    """
    The calendar *calendar* that plug-in *plugin* provides under its name.
    """

    calendar: WorkingCalendar
    plugin: str = attrs.field(eq=False)

    @property
    def name(self) -> str:
        return self.calendar.name

    @property
    def hours(self) -> WorkingHours:
        return self.calendar.hours

    def is_working_day(self, day: date) -> bool:
        """Ask the plug-in's calendar."""
        return self.calendar.is_working_day(day)
