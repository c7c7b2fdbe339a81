"""
The national working calendar plus the region's own days off.
"""

from __future__ import annotations

from datetime import date

from opinion_rules.calendars import ChinaCalendar
from opinion_rules.exceptions import CalendarRangeError


#: 壮族三月三: the third and fourth days of the third lunar month.  The
#: region's yearly notice fixes the days (and any make-up working days);
#: these follow the lunar dates, as an example.  Years not listed are not
#: covered: a duty that needs one is undecided, never guessed.
LOCAL_DAYS_OFF: dict[int, tuple[date, ...]] = {
    2025: (date(2025, 3, 31), date(2025, 4, 1)),
    2026: (date(2026, 4, 19), date(2026, 4, 20)),
}


class GuangxiCalendar:
    """
    A working day is one the national calendar has, except the region's
    days off.
    """

    name = "guangxi"
    hours = ()

    def __init__(self) -> None:
        self._china = ChinaCalendar()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GuangxiCalendar)

    def __hash__(self) -> int:
        return hash(self.name)

    def is_working_day(self, day: date) -> bool:
        """
        Whether *day* is a working day in the region.

        Raises:
            CalendarRangeError: for a year the region's days are not known.
        """
        local = LOCAL_DAYS_OFF.get(day.year)
        if local is None:
            years = (min(LOCAL_DAYS_OFF), max(LOCAL_DAYS_OFF))
            raise CalendarRangeError(self.name, day, years)
        if day in local:
            return False
        return self._china.is_working_day(day)
