"""
Working calendars: which days are working days, and the working hours.

Working-day deadlines ("5个工作日内"), "非工作日顺延" and the clock policies
that pause or shift outside working time all ask a calendar.  A calendar
covers a range of years and raises :class:`CalendarRangeError` for any day
outside it: a deadline computed from a guessed holiday schedule is wrong in
exactly the weeks that matter (Spring Festival, National Day).

Two calendars ship:

* :class:`ChinaCalendar`: official holidays and make-up working days (调休)
  from the ``chinesecalendar`` package, which tracks the State Council's
  yearly notice; see ``docs/explanation/time-semantics.md`` for the choice.
  A year the package does not cover yet is added from the notice itself as
  a :class:`YearSchedule` (``docs/how-to/add-a-calendar-year.md``).
* :class:`DataCalendar`: holidays, make-up days and working hours a plan
  author supplies as data (a local calendar, or a year the package does not
  cover yet).

Any object with ``name``, ``hours`` and ``is_working_day`` is a calendar
(:class:`WorkingCalendar`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, time, timedelta
from typing import Any, Protocol, runtime_checkable

import attrs

from opinion_rules.exceptions import CalendarRangeError


__all__ = [
    "FESTIVALS",
    "ChinaCalendar",
    "DataCalendar",
    "Festival",
    "WorkingCalendar",
    "WorkingHours",
    "YearSchedule",
]

#: Working hours: periods ``(start, end)`` within one day, in order; an end
#: of ``time(0)`` is 24:00, the end of the day.
WorkingHours = tuple[tuple[time, time], ...]

_DAY = timedelta(days=1)


def _since_midnight(value: time, *, end: bool = False) -> timedelta:
    """
    *value* as time since the day's midnight; an *end* of 00:00 is 24:00.
    """
    since = timedelta(
        hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
    )
    return _DAY if end and since == timedelta(0) else since


@runtime_checkable
class WorkingCalendar(Protocol):
    """
    What the engine asks of a calendar.

    Attributes:
        name: Shown in results and errors, e.g. ``china``.
        hours: The working hours of every working day, periods ``(start,
            end)`` of naive times in order; empty if the calendar states
            none (then only day-based rules can use it).  An end of
            ``time(0)`` is 24:00, the end of the day (值班时间 08:00-24:00 is
            ``(time(8), time(0))``; ``(time(0), time(0))`` is the whole
            day); such a period is the day's last.

    .. versionadded:: 0.3.0
    .. versionchanged:: 0.6.0 an end of ``time(0)`` is 24:00.
    """

    @property
    def name(self) -> str: ...

    @property
    def hours(self) -> WorkingHours: ...

    def is_working_day(self, day: date) -> bool:
        """
        Tell whether *day* is a working day.

        Raises:
            CalendarRangeError: if the calendar does not cover *day*'s year.
        """
        ...


def _check_hours(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple):
        raise TypeError(f"'{attribute.name}' must be a tuple of (start, end) times")
    previous_end: timedelta | None = None
    previous_shown = ""
    for period in value:
        if (
            not isinstance(period, tuple)
            or len(period) != 2
            or not all(isinstance(t, time) and t.tzinfo is None for t in period)
        ):
            raise TypeError(
                f"'{attribute.name}' periods must be (start, end) pairs of naive times "
                f"(got {period!r})"
            )
        start, end = period
        begins, ends = _since_midnight(start), _since_midnight(end, end=True)
        shown = _clock(end, end=True)
        if not begins < ends:
            raise ValueError(
                f"'{attribute.name}': a period must end after it starts (got {start}-{shown})"
            )
        if previous_end is not None and begins < previous_end:
            raise ValueError(
                f"'{attribute.name}': periods must be in order and not overlap ({start} "
                f"starts before the previous period ends at {previous_shown})"
            )
        previous_end, previous_shown = ends, shown


def _hours(value: Iterable[Iterable[time]]) -> WorkingHours:
    return tuple((p[0], p[1]) if isinstance(p, tuple) else tuple(p) for p in value)  # type: ignore[misc]


def _china_years() -> tuple[int, int]:
    from chinese_calendar.constants import holidays  # noqa: PLC0415 - loaded on first use

    return min(holidays).year, max(holidays).year


#: The seven statutory festivals every yearly notice schedules, in its order.
FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
#: Festivals on a fixed solar date, which their days off must include.
_FIXED_DAYS = {"元旦": (1, 1), "劳动节": (5, 1), "国庆节": (10, 1)}
#: The longest run of days off one notice item has given is 9 (春节 2026);
#: a longer one is a typo in the data.
_LONGEST_BREAK = 15
#: 元旦's days off may start in the last days of the year before
#: (2023's notice: 2022-12-31 to 2023-01-02).
_NEW_YEAR_SPILL = 7


def _check_festival_names(
    _inst: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]
) -> None:
    if not value:
        raise ValueError(f"'{attribute.name}' needs at least one festival")
    for name in value:
        if name not in FESTIVALS:
            raise ValueError(
                f"'{attribute.name}': {name!r} is not a statutory festival; expected one of "
                f"{list(FESTIVALS)}"
            )


@attrs.frozen
class Festival:
    """
    One item of a yearly holiday notice: ``春节：2月15日至23日放假调休，共9天。
    2月14日（周六）、2月28日（周六）上班。``

    Args:
        names: The festival, or festivals when the notice joins them
            (``国庆节、中秋节``), from :data:`FESTIVALS`.
        days_off: The first and last day off, inclusive, weekends included.
        workdays: Make-up working days (调休): weekend days that become
            working days.

    .. versionadded:: 0.5.0
    """

    names: tuple[str, ...] = attrs.field(converter=tuple, validator=_check_festival_names)
    days_off: tuple[date, date] = attrs.field(converter=tuple)
    workdays: tuple[date, ...] = attrs.field(default=(), converter=tuple)

    def __attrs_post_init__(self) -> None:
        first, last = _two_dates(self.days_off)
        if first > last:
            raise ValueError(f"'days_off' ends ({last}) before it starts ({first})")
        if (last - first).days + 1 > _LONGEST_BREAK:
            raise ValueError(
                f"'days_off' runs {(last - first).days + 1} days ({first} to {last}); no "
                f"notice gives more than {_LONGEST_BREAK}: check the dates"
            )
        for day in self.workdays:
            if type(day) is not date:
                raise TypeError(f"'workdays' must hold dates (got {day!r})")
            if day.weekday() < 5:
                raise ValueError(
                    f"make-up working day {day} is a {day.strftime('%A')}; a make-up working "
                    "day (调休上班) is a Saturday or Sunday"
                )
            if first <= day <= last:
                raise ValueError(f"make-up working day {day} lies inside the days off")

    def each_day_off(self) -> Iterator[date]:
        """
        Every day off, in order.
        """
        day, last = self.days_off
        while day <= last:
            yield day
            day += timedelta(days=1)


def _two_dates(value: tuple[Any, ...]) -> tuple[date, date]:
    if len(value) != 2 or any(type(d) is not date for d in value):
        raise TypeError(f"'days_off' must be (first day, last day), two dates (got {value!r})")
    return value[0], value[1]


@attrs.frozen
class YearSchedule:
    """
    One year of China's official holiday schedule, as the State Council's
    notice (国务院办公厅关于XXXX年部分节假日安排的通知) gives it, for
    :class:`ChinaCalendar` before the ``chinesecalendar`` package has it.

    A schedule is complete or refused: every one of the seven statutory
    festivals is scheduled exactly once, days off do not overlap, make-up
    working days are weekend days outside the days off, and every day lies
    in *year* (元旦's days off may start in the last week of the year
    before, as in 2023's notice).

    Args:
        year: The year the notice schedules.
        source: The notice, e.g. ``国务院办公厅关于2027年部分节假日安排的通知
            (国办发明电〔2026〕N号)``, so every deadline computed from the
            data can be traced to it.
        festivals: One :class:`Festival` per notice item.

    .. versionadded:: 0.5.0
    """

    year: int = attrs.field()
    source: str = attrs.field()
    festivals: tuple[Festival, ...] = attrs.field(converter=tuple)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise TypeError(f"'year' must be a whole number (got {self.year!r})")
        if not 1900 <= self.year <= 2999:
            raise ValueError(f"'year' must be a year such as 2027 (got {self.year})")
        if not isinstance(self.source, str) or not self.source.strip():
            raise ValueError(
                "'source' must name the notice the schedule comes from (got an empty value)"
            )
        named = [n for f in self.festivals for n in f.names]
        missing = [n for n in FESTIVALS if n not in named]
        twice = sorted({n for n in named if named.count(n) > 1})
        if missing:
            raise ValueError(
                f"the {self.year} schedule is incomplete: no days off for {missing}; expected "
                f"all of {list(FESTIVALS)}, as every notice schedules them"
            )
        if twice:
            raise ValueError(f"festivals scheduled twice: {twice}")
        earliest = date(self.year, 1, 1)
        seen: dict[date, str] = {}
        for festival in self.festivals:
            label = "、".join(festival.names)
            lowest = earliest - timedelta(days=_NEW_YEAR_SPILL if "元旦" in festival.names else 0)
            for day in (*festival.each_day_off(), *festival.workdays):
                if not lowest <= day <= date(self.year, 12, 31):
                    raise ValueError(
                        f"{label}: {day} is outside {self.year}; a schedule holds the days of "
                        "its own year (元旦 may start in the last week of the year before)"
                    )
                if day in seen:
                    raise ValueError(f"{day} is scheduled twice: for {seen[day]} and {label}")
                seen[day] = label
            for name in festival.names:
                fixed = _FIXED_DAYS.get(name)
                first, last = festival.days_off
                if fixed is not None and not first <= date(self.year, *fixed) <= last:
                    raise ValueError(
                        f"{name}'s days off ({first} to {last}) do not include "
                        f"{date(self.year, *fixed)}"
                    )

    @property
    def days_off(self) -> frozenset[date]:
        """
        Every scheduled day off (weekends inside a break included).
        """
        return frozenset(d for f in self.festivals for d in f.each_day_off())

    @property
    def workdays(self) -> frozenset[date]:
        """
        Every make-up working day.
        """
        return frozenset(d for f in self.festivals for d in f.workdays)

    def decides(self, day: date) -> bool:
        """
        Whether this schedule says what *day* is.
        """
        return day.year == self.year or day in self.days_off or day in self.workdays

    def is_working_day(self, day: date) -> bool:
        """
        Whether *day* is a working day by this schedule; only for days it
        :meth:`decides`.
        """
        if day in self.workdays:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5


def _schedules(value: Iterable[YearSchedule]) -> tuple[YearSchedule, ...]:
    out = tuple(value)
    for item in out:
        if not isinstance(item, YearSchedule):
            raise TypeError(f"'schedules' must hold YearSchedule objects (got {item!r})")
    years = [s.year for s in out]
    twice = sorted({y for y in years if years.count(y) > 1})
    if twice:
        raise ValueError(f"'schedules' gives a schedule twice for {twice}")
    return tuple(sorted(out, key=lambda s: s.year))


@attrs.frozen
class ChinaCalendar:
    """
    China's official working days: weekends and statutory holidays off,
    make-up working days (调休) on, from the ``chinesecalendar`` package and
    any yearly schedules added to it.

    Args:
        hours: Working hours, e.g. ``((time(9), time(12)), (time(13, 30),
            time(17, 30)))``; an end of ``time(0)`` is 24:00 (``((time(8),
            time(0)),)`` for 08:00-24:00).  The package knows days, not
            office hours, so there is no default: clock policies that need
            hours refuse a calendar without them.
        schedules: Yearly schedules transcribed from the State Council's notice
            (:class:`YearSchedule`), for years the installed package does
            not cover yet; a schedule for a year the package covers replaces
            the package's data for that year.

    Raises:
        CalendarRangeError: from :meth:`is_working_day` for a year neither
            the installed package nor *schedules* covers (the State Council
            publishes each year's schedule late in the year before).

    .. versionadded:: 0.3.0
    .. versionchanged:: 0.5.0 *schedules*.
    .. versionchanged:: 0.6.0 working hours may end at 24:00.
    """

    hours: WorkingHours = attrs.field(default=(), converter=_hours, validator=_check_hours)
    schedules: tuple[YearSchedule, ...] = attrs.field(default=(), converter=_schedules)

    @property
    def name(self) -> str:
        return "china"

    @property
    def years(self) -> tuple[int, int]:
        """
        The first and last year covered without a gap: the installed
        package's years, then any added schedules that follow on.
        """
        first, last = _china_years()
        added = {s.year for s in self.schedules}
        while last + 1 in added:
            last += 1
        return first, last

    def with_schedules(self, *schedules: YearSchedule) -> ChinaCalendar:
        """
        This calendar with *schedules* added (a later one for the same year
        replaces an earlier one).

        .. versionadded:: 0.5.0
        """
        by_year = {s.year: s for s in (*self.schedules, *schedules)}
        return attrs.evolve(self, schedules=tuple(by_year.values()))

    def is_working_day(self, day: date) -> bool:
        for schedule in self.schedules:
            if schedule.decides(day):
                return schedule.is_working_day(day)
        first, last = _china_years()
        if not first <= day.year <= last:
            raise CalendarRangeError(self.name, day, self.years)
        import chinese_calendar  # noqa: PLC0415 - loaded on first use

        return bool(chinese_calendar.is_workday(day))


def _dates(values: object) -> frozenset[date]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise TypeError(f"expected a collection of dates, not the string {values!r}")
    return frozenset(values)


def _check_dates(_inst: object, attribute: attrs.Attribute[Any], value: frozenset[Any]) -> None:
    for day in value:
        if type(day) is not date:
            raise TypeError(f"'{attribute.name}' must hold dates (got {day!r})")


def _check_weekend(_inst: object, attribute: attrs.Attribute[Any], value: tuple[int, ...]) -> None:
    if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in value):
        raise ValueError(
            f"'{attribute.name}' holds weekday numbers 0 (Monday) to 6 (Sunday) (got {value!r})"
        )


@attrs.frozen
class DataCalendar:
    """
    A calendar given as data by the plan author.

    Args:
        name: Shown in results and errors.
        first_year, last_year: The years the data covers; any other year is
            an error, never a guess.
        holidays: Days off that would otherwise be working days.
        workdays: Make-up working days (调休) that would otherwise be off.
        weekend: Weekday numbers that are off, Monday = 0; default
            Saturday and Sunday.
        hours: Working hours of every working day, as for
            :class:`ChinaCalendar` (an end of ``time(0)`` is 24:00).

    .. versionadded:: 0.3.0
    """

    name: str = attrs.field()
    first_year: int = attrs.field()
    last_year: int = attrs.field()
    holidays: frozenset[date] = attrs.field(
        default=frozenset(), converter=_dates, validator=_check_dates
    )
    workdays: frozenset[date] = attrs.field(
        default=frozenset(), converter=_dates, validator=_check_dates
    )
    weekend: tuple[int, ...] = attrs.field(
        default=(5, 6), converter=tuple, validator=_check_weekend
    )
    hours: WorkingHours = attrs.field(default=(), converter=_hours, validator=_check_hours)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"'name' must be non-empty text (got {self.name!r})")
        for which in ("first_year", "last_year"):
            year = getattr(self, which)
            if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
                raise ValueError(f"'{which}' must be a year such as 2026 (got {year!r})")
        if self.first_year > self.last_year:
            raise ValueError(
                f"'first_year' {self.first_year} is after 'last_year' {self.last_year}"
            )
        both = self.holidays & self.workdays
        if both:
            raise ValueError(
                f"days listed both as holidays and as workdays: {sorted(map(str, both))}"
            )
        outside = sorted(
            str(d)
            for d in self.holidays | self.workdays
            if not self.first_year <= d.year <= self.last_year
        )
        if outside:
            raise ValueError(
                f"days outside the covered years {self.first_year}-{self.last_year}: {outside}"
            )

    @property
    def years(self) -> tuple[int, int]:
        """
        The first and last year the data covers.
        """
        return self.first_year, self.last_year

    def is_working_day(self, day: date) -> bool:
        if not self.first_year <= day.year <= self.last_year:
            raise CalendarRangeError(self.name, day, (self.first_year, self.last_year))
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend


def _clock(value: time, *, end: bool = False) -> str:
    if end and value == time(0):
        return "24:00"
    return str(value)


def format_hours(hours: WorkingHours) -> list[str]:
    """
    Working periods as written in plan files and documents: ``09:00-12:00``;
    an end of ``time(0)`` is ``24:00``.
    """
    return [
        f"{start.strftime('%H:%M')}-{'24:00' if end == time(0) else end.strftime('%H:%M')}"
        for start, end in hours
    ]
