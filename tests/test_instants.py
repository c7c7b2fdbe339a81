"""
Reading instants fast: the standard library's reading of the common ISO
8601 shape equals dateutil's isoparse, and every other text is left to
isoparse, so acceptance and messages are unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from dateutil.parser import isoparse
from hypothesis import given
from hypothesis import strategies as st

from opinion_rules._instants import parse_iso


def _read(reader, text: str) -> tuple[str, object]:
    try:
        value = reader(text)
    except (ValueError, OverflowError) as exc:
        return ("error", str(exc))
    return ("value", (value, value.isoformat(), value.utcoffset()))


offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(
    min_value=datetime(1900, 1, 2),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2999, 12, 30),  # noqa: DTZ001
    timezones=offsets,
)


@given(
    instants, st.sampled_from(["seconds", "milliseconds", "microseconds", "auto"]), st.booleans()
)
def test_the_common_shape_reads_as_isoparse_reads_it(instant, spec, zulu):
    """Generated instants in the interchange shape: the same value, text and offset."""
    text = instant.isoformat(timespec=spec)
    if zulu:
        text = instant.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")

    assert _read(isoparse, text) == _read(parse_iso, text)


@given(st.text(alphabet="0123456789-+:TZ. ", max_size=32))
def test_any_other_text_is_read_or_refused_as_isoparse_does(text):
    """Texts near the shape (and far from it) are read or refused exactly as before."""
    assert _read(isoparse, text) == _read(parse_iso, text)
