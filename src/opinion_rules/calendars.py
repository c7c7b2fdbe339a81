"""
Working calendars: which days are working days, and the working hours.

:class:`ChinaCalendar` follows the State Council's holiday notices (the
chinesecalendar package, plus :class:`YearSchedule` years read with
:func:`load_year_schedule` for years it does not cover yet);
:class:`DataCalendar` is a calendar given as data.  Any object with the
:class:`WorkingCalendar` protocol's methods can serve.  See
docs/how-to/add-a-calendar-year.md.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.planfile._schedules import load_year_schedule
from opinion_rules.time._calendars import (
    ChinaCalendar,
    DataCalendar,
    Festival,
    WorkingCalendar,
    YearSchedule,
)


__all__ = [
    "ChinaCalendar",
    "DataCalendar",
    "Festival",
    "WorkingCalendar",
    "YearSchedule",
    "load_year_schedule",
]

publish(__name__, globals(), __all__)
