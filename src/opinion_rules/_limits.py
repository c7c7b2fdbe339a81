"""
Bounds on input, in one place.

Every bound here stops work that would otherwise be unbounded (recursion,
arithmetic past the ends of :class:`datetime.datetime`, whole-file reads)
with a located library error instead of a Python exception.  Each one is far
beyond what a real plan or incident needs; ``docs/reference/limits.md``
lists them for users, and a test keeps that page and these values equal.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


__all__ = [
    "CONDITION_DEPTH",
    "EARLIEST_INSTANT",
    "EXTENDS_DEPTH",
    "INCIDENT_FILE_BYTES",
    "INCIDENT_JSON_DEPTH",
    "LARGEST_NUMBER",
    "LATEST_INSTANT",
    "LONGEST_PERIOD",
    "MISSED_LISTED",
    "MOST_PER_DAY",
    "MOST_RULE_COUNT",
    "MOST_RULE_INTERVAL",
    "MOST_WORKING_DAYS",
    "NUMBER_CHARACTERS",
    "PLAN_FILE_BYTES",
    "PLAN_FILE_DEPTH",
    "TIMEZONE_CHARACTERS",
    "duration_problem",
    "has_lone_surrogate",
    "instant_problem",
    "period_problem",
    "printable",
]

#: Instants are accepted from this one on (UTC); earlier is a typo, and
#: arithmetic near year 1 overflows.
EARLIEST_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
#: ... and up to, not including, this one.  With every period at most
#: :data:`LONGEST_PERIOD`, deadline arithmetic never leaves ``datetime``'s range.
LATEST_INSTANT = datetime(3000, 1, 1, tzinfo=UTC)
#: The longest period any deadline, tolerance, window, recurrence, extension
#: or agenda horizon may state: 100 years of 366 days.
LONGEST_PERIOD = timedelta(days=36_600)
#: The most working days one deadline may count (about 100 years).
MOST_WORKING_DAYS = 25_000
#: How deeply conditions may nest (parentheses, ``not``, ``all``/``any``).
CONDITION_DEPTH = 50
#: How deeply an incident's JSON may nest (the format itself needs 4).
INCIDENT_JSON_DEPTH = 64
#: How deeply a plan file's lists and mappings may nest (plans need about 8).
PLAN_FILE_DEPTH = 64
#: The largest plan file read, in bytes (the seed plans are under 40 kB).
PLAN_FILE_BYTES = 5_000_000
#: The longest number literal in a plan file, incident or condition.
NUMBER_CHARACTERS = 100
#: The longest IANA timezone name (the longest real one has 30 characters).
TIMEZONE_CHARACTERS = 64
#: How many plan files one ``extends`` chain may hold, the extending file
#: included (a county plan extending a city's, a province's and a nation's
#: needs 4).
EXTENDS_DEPTH = 16
#: The most completions a ``per_day`` recurrence may ask for in a day (one a
#: minute).
MOST_PER_DAY = 1_440
#: The most missed occurrences a recurring duty's status lists (all of them
#: are counted): a duty every minute missed for ten years lists the first.
MISSED_LISTED = 100
#: The largest COUNT and INTERVAL of a recurrence rule (RRULE).
MOST_RULE_COUNT = 100_000
MOST_RULE_INTERVAL = 1_000
#: The largest incident file read, in bytes (a year of five-minute readings
#: from a hundred sites is about 150 MB).
INCIDENT_FILE_BYTES = 500_000_000
#: The largest magnitude an observation or a fact may carry (a googol): far
#: above any real count, while sums stay finite and every number prints
#: (Python refuses to print integers of more than 4,300 digits).
LARGEST_NUMBER = 10**100


def instant_problem(value: datetime) -> str | None:
    """
    Why *value* (an aware datetime) is outside the accepted range, or ``None``.
    """
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. a tzinfo with an offset of a day or more
        utc = None
    if utc is None or not EARLIEST_INSTANT <= utc < LATEST_INSTANT:
        return (
            f"is outside the supported range: expected an instant from "
            f"{EARLIEST_INSTANT.year} up to {LATEST_INSTANT.year} (UTC)"
        )
    return None


def period_problem(value: timedelta) -> str | None:
    """
    Why the period *value* is too long, or ``None``.
    """
    if abs(value) > LONGEST_PERIOD:
        return f"is longer than the longest supported period ({LONGEST_PERIOD.days} days)"
    return None


def duration_problem(value: object) -> str | None:
    """
    Why *value* is not a duration from 0 to :data:`LONGEST_PERIOD`, or ``None``.
    """
    if not isinstance(value, timedelta):
        return "is not a timedelta"
    if value < timedelta(0):
        return "is negative"
    return period_problem(value)


def has_lone_surrogate(text: str) -> bool:
    """
    Whether *text* holds a lone UTF-16 surrogate (a JSON escape such as
    ``"\\ud800"``): not Unicode text, so no database or terminal can take it.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def printable(text: str) -> str:
    """
    *text* with lone surrogates escaped (``\\ud800``), so that a message
    naming a bad key or value can always be printed.
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
