"""
RFC 5545 recurrence rules (RRULE) as data: reading the text, the checks
that keep a rule computable, and the dateutil rule for a start.

A rule is read without its DTSTART: the start is the recurring duty's
clock start, in the plan's timezone (see
:mod:`opinion_rules.time._recurrence`).  Supported parts: ``FREQ``
(``MINUTELY`` to ``YEARLY``), ``INTERVAL``, ``COUNT``, ``UNTIL``, ``WKST``,
``BYMONTH``, ``BYMONTHDAY``, ``BYDAY``, ``BYHOUR``, ``BYMINUTE`` and one
``BYSECOND``.  Two readings differ from RFC 5545 on purpose: a time part
that is not given under a given coarser one is 0 (``BYHOUR=9`` is 09:00:00,
not 09 h with the start's minutes and seconds), and an occurrence at the
start itself is not owed.
"""

from __future__ import annotations

import calendar
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
from dateutil import rrule as du

from opinion_rules._limits import MOST_RULE_COUNT, MOST_RULE_INTERVAL


__all__ = ["FREQUENCIES", "RRule", "parse_rrule"]

#: The frequencies a rule may have, coarsest first (SECONDLY is refused:
#: nothing a plan owes repeats more often than once a minute).
FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY")
_FREQ = {
    "YEARLY": du.YEARLY,
    "MONTHLY": du.MONTHLY,
    "WEEKLY": du.WEEKLY,
    "DAILY": du.DAILY,
    "HOURLY": du.HOURLY,
    "MINUTELY": du.MINUTELY,
}
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_RANGES = {
    "BYMONTH": (1, 12, False),
    "BYMONTHDAY": (1, 31, True),
    "BYHOUR": (0, 23, False),
    "BYMINUTE": (0, 59, False),
    "BYSECOND": (0, 59, False),
}
_PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", *_RANGES)


@attrs.frozen
class RRule:
    """
    A parsed recurrence rule; *text* is the rule as written.
    """

    text: str
    freq: str
    interval: int = 1
    count: int | None = None
    until: date | datetime | None = None  # a date, a local datetime, or an aware UTC one
    wkst: int = 0
    bymonth: tuple[int, ...] = ()
    bymonthday: tuple[int, ...] = ()
    byday: tuple[tuple[int, int | None], ...] = ()  # (weekday 0=MO, ordinal or None)
    byhour: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    bysecond: tuple[int, ...] = ()

    @property
    def sub_daily(self) -> bool:
        """Whether the rule repeats within a day (HOURLY, MINUTELY)."""
        return self.freq in ("HOURLY", "MINUTELY")

    @property
    def has_time_parts(self) -> bool:
        """Whether the rule names times of day."""
        return bool(self.byhour or self.byminute or self.bysecond)

    @property
    def calendar_shaped(self) -> bool:
        """
        Whether occurrences follow months and years (their pattern does
        not repeat every few weeks).
        """
        return (
            self.freq in ("MONTHLY", "YEARLY")
            or bool(self.bymonth or self.bymonthday)
            or any(n is not None for _, n in self.byday)
        )

    def unit(self) -> timedelta:
        """One period of a week-shaped rule's frequency."""
        return {
            "WEEKLY": timedelta(weeks=1),
            "DAILY": timedelta(days=1),
            "HOURLY": timedelta(hours=1),
            "MINUTELY": timedelta(minutes=1),
        }[self.freq]

    def block(self) -> timedelta:
        """
        For a rule that is not calendar-shaped: the shortest span after
        which its pattern of wall-clock times repeats.
        """
        span = self.interval * self.unit()
        if self.byday:
            return _lcm(span, timedelta(weeks=1))
        if self.byhour and self.sub_daily:
            return _lcm(span, timedelta(days=1))
        if self.byminute and self.freq == "MINUTELY":
            return _lcm(span, timedelta(hours=1))
        return span

    def kwargs(self, dtstart: datetime) -> dict[str, Any]:
        """
        The dateutil arguments with every default made explicit from
        *dtstart* (the original start), so that the same arguments with a
        later, period-aligned start give the same occurrences from there.
        """
        freq = _FREQ[self.freq]
        out: dict[str, Any] = {"freq": freq, "interval": self.interval, "wkst": self.wkst}
        bymonth: tuple[int, ...] | None = self.bymonth or None
        bymonthday: tuple[int, ...] | None = self.bymonthday or None
        byday: tuple[Any, ...] | None = (
            tuple(du.weekday(d, n) for d, n in self.byday) if self.byday else None
        )
        if bymonthday is None and byday is None:
            if self.freq == "YEARLY":
                bymonth = bymonth or (dtstart.month,)
                bymonthday = (dtstart.day,)
            elif self.freq == "MONTHLY":
                bymonthday = (dtstart.day,)
            elif self.freq == "WEEKLY":
                byday = (du.weekday(dtstart.weekday()),)
        out.update(bymonth=bymonth, bymonthday=bymonthday, byweekday=byday)
        # Time parts: given ones; under a given coarser one, 0; else the start's.
        given = False
        for name, level, value in (
            ("byhour", du.HOURLY, dtstart.hour),
            ("byminute", du.MINUTELY, dtstart.minute),
            ("bysecond", du.SECONDLY, dtstart.second),
        ):
            parts: tuple[int, ...] = getattr(self, name)
            if parts:
                out[name], given = parts, True
            elif freq < level:
                out[name] = (0,) if given else (value,)
            else:
                out[name] = None
        return out

    def until_instant(self, tz: Any) -> datetime | None:
        """
        UNTIL as an instant: a date means through that local day; a local
        date-time is read in *tz*.
        """
        until = self.until
        if until is None:
            return None
        if isinstance(until, datetime):
            return until if until.tzinfo is not None else until.replace(tzinfo=tz)
        end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        return end - timedelta(microseconds=1)


def _lcm(a: timedelta, b: timedelta) -> timedelta:
    sa, sb = int(a.total_seconds()), int(b.total_seconds())
    return timedelta(seconds=sa * sb // math.gcd(sa, sb))


def parse_rrule(text: str) -> RRule:
    """
    Read an RRULE value (``FREQ=MONTHLY;BYMONTHDAY=1``; an ``RRULE:``
    prefix is allowed).

    Raises:
        ValueError: naming the part that is wrong.
    """
    if not isinstance(text, str):
        raise TypeError(f"a recurrence rule is text (got {text!r})")
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts: dict[str, str] = {}
    for item in body.split(";"):
        name, eq, value = item.partition("=")
        name = name.strip().upper()
        if not eq or not value.strip():
            raise ValueError(f"rule part {item!r} is not NAME=VALUE")
        if name == "DTSTART":
            raise ValueError("a rule has no DTSTART: it starts with the duty's clock")
        if name not in _PARTS:
            raise ValueError(f"rule part {name!r} is not supported; supported: {list(_PARTS)}")
        if name in parts:
            raise ValueError(f"rule part {name!r} is given twice")
        parts[name] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq not in _FREQ:
        raise ValueError(f"FREQ must be one of {list(FREQUENCIES)} (got {freq!r})")
    fields: dict[str, Any] = {"text": text, "freq": freq}
    fields["interval"] = _number(parts, "INTERVAL", 1, MOST_RULE_INTERVAL)
    if "COUNT" in parts:
        fields["count"] = _number(parts, "COUNT", 1, MOST_RULE_COUNT)
    if "UNTIL" in parts:
        if "COUNT" in parts:
            raise ValueError("a rule has COUNT or UNTIL, not both (RFC 5545)")
        fields["until"] = _until(parts["UNTIL"])
    if "WKST" in parts:
        fields["wkst"] = _weekday(parts["WKST"], "WKST")
    for name, (low, high, signed) in _RANGES.items():
        if name in parts:
            fields[name.lower()] = _numbers(parts[name], name, low, high, signed)
    if "BYDAY" in parts:
        fields["byday"] = tuple(_byday(v) for v in parts["BYDAY"].split(","))
    rule = RRule(**fields)
    _check(rule)
    return rule


def _number(parts: dict[str, str], name: str, default: int, most: int) -> int:
    value = parts.get(name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise ValueError(f"{name} must be a whole number from 1 to {most} (got {value!r})")
    return int(value)


def _numbers(value: str, name: str, low: int, high: int, signed: bool) -> tuple[int, ...]:
    out = []
    for item in value.split(","):
        digits = item[1:] if signed and item[:1] in "+-" else item
        n = int(item) if digits.isdigit() else None
        if n is None or not (low <= abs(n) <= high if signed else low <= n <= high):
            span = f"±{low}..{high}" if signed else f"{low}..{high}"
            raise ValueError(f"{name} values are whole numbers in {span} (got {item!r})")
        out.append(n)
    if len(set(out)) != len(out):
        raise ValueError(f"{name} repeats a value")
    return tuple(out)


def _weekday(value: str, name: str) -> int:
    if value not in _DAYS:
        raise ValueError(f"{name} must be one of {list(_DAYS)} (got {value!r})")
    return _DAYS.index(value)


def _byday(item: str) -> tuple[int, int | None]:
    day, ordinal = item[-2:], item[:-2]
    weekday = _weekday(day, "BYDAY")
    if not ordinal:
        return weekday, None
    digits = ordinal[1:] if ordinal[0] in "+-" else ordinal
    if not digits.isdigit() or not 1 <= abs(int(ordinal)) <= 53:
        raise ValueError(f"BYDAY ordinal must be ±1..53 (got {item!r})")
    return weekday, int(ordinal)


def _until(value: str) -> date | datetime:
    try:
        if len(value) == 8:
            return datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007 - a date
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return datetime.strptime(value, "%Y%m%dT%H%M%S")  # noqa: DTZ007 - local wall clock
    except ValueError:
        raise ValueError(
            f"UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS (local) or YYYYMMDDTHHMMSSZ (got {value!r})"
        ) from None


def _check(rule: RRule) -> None:
    """
    RFC 5545's restrictions, and what keeps every rule computable: no rule
    that can never fire, none that fires more than once a minute.
    """
    if len(rule.bysecond) > 1:
        raise ValueError("BYSECOND has one value: nothing is owed more often than once a minute")
    if any(n is not None for _, n in rule.byday) and rule.freq not in ("MONTHLY", "YEARLY"):
        raise ValueError("BYDAY with a number (1MO, -1FR) needs FREQ=MONTHLY or YEARLY")
    if rule.bymonthday and rule.freq == "WEEKLY":
        raise ValueError("BYMONTHDAY is not allowed with FREQ=WEEKLY (RFC 5545)")
    dated = bool(rule.bymonth or rule.bymonthday or rule.byday)
    if rule.freq == "MINUTELY" and (dated or rule.byhour) and 60 % rule.interval:
        raise ValueError(
            "with BYHOUR, BYDAY, BYMONTH or BYMONTHDAY, a MINUTELY INTERVAL must divide 60"
        )
    if rule.freq == "HOURLY" and dated and 24 % rule.interval:
        raise ValueError("with BYDAY, BYMONTH or BYMONTHDAY, an HOURLY INTERVAL must divide 24")
    if rule.freq == "DAILY" and rule.byday and rule.interval % 7 == 0:
        raise ValueError("with BYDAY, a DAILY INTERVAL must not be a multiple of 7")
    if dated and not _some_day(rule):
        raise ValueError(f"rule {rule.text!r} has no day that matches: it never fires")


def _some_day(rule: RRule) -> bool:
    """
    Whether some day of the 400-year Gregorian cycle (which repeats
    weekdays too) matches the rule's BYMONTH, BYMONTHDAY and BYDAY.
    """
    months = rule.bymonth or tuple(range(1, 13))
    by_year = rule.freq == "YEARLY" and not rule.bymonth
    for year in range(2000, 2400):
        year_days = 366 if calendar.isleap(year) else 365
        for month in months:
            length = calendar.monthrange(year, month)[1]
            for day in range(1, length + 1):
                d = date(year, month, day)
                if rule.bymonthday and not any(
                    md == day or length + md + 1 == day for md in rule.bymonthday
                ):
                    continue
                if rule.byday and not any(
                    _weekday_matches(d, wd, n, by_year, length, year_days) for wd, n in rule.byday
                ):
                    continue
                return True
    return False


def _weekday_matches(
    d: date, weekday: int, n: int | None, by_year: bool, month_days: int, year_days: int
) -> bool:
    if d.weekday() != weekday:
        return False
    if n is None:
        return True
    index, length = (d.timetuple().tm_yday, year_days) if by_year else (d.day, month_days)
    nth = (index - 1) // 7 + 1
    nth_last = -((length - index) // 7 + 1)
    return n in (nth, nth_last)
