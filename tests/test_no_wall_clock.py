"""
Nothing reads the wall clock except the command line's one documented read.

A test that reads today's date passes today and fails on a later day; the
engine must never read it at all ("now" is a parameter).  Reads through the
library are caught at run time (tests/conftest.py); this test catches direct
reads in test code and in the library.
"""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

import pytest

from opinion_rules.cli import _clock

from .conftest import ROOT, UnpinnedClockError


CLOCK_READ = re.compile(
    r"\b(?:datetime\.(?:now|utcnow|today)|date\.today|time\.(?:time|time_ns|localtime|gmtime|"
    r"ctime|asctime|strftime)|(?<![\w.])(?:utcnow|localtime|gmtime))\s*\("
)
MARK = "# clock-ok"


def clock_reads(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if CLOCK_READ.search(line) and MARK not in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_tests_never_read_the_wall_clock():
    """Test code pins the clock with time_machine or passes instants explicitly."""
    assert [] == clock_reads(ROOT / "tests")


def test_the_library_reads_the_wall_clock_in_one_place():
    """Only opinion_rules.cli._clock reads the clock; the engine takes 'now' as a parameter."""
    reads = clock_reads(ROOT / "src")
    marked = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if MARK in line
    ]

    assert [] == reads
    assert ["src/opinion_rules/cli/_clock.py:23"] == marked


@pytest.mark.parametrize(
    "line",
    [
        "x = datetime.now(UTC)",  # clock-ok: a sample for the pattern
        "today = date.today()",  # clock-ok: a sample for the pattern
        "t = time.time()",  # clock-ok: a sample for the pattern
        "stamp = dt.datetime.utcnow()",  # clock-ok: a sample for the pattern
    ],
)
def test_the_scan_sees_a_clock_read(line, tmp_path):
    """The pattern is not vacuous: each common spelling of a clock read is found."""
    assert CLOCK_READ.search(line)


def test_an_unpinned_library_clock_read_fails_the_test():
    """The run-time guard trips when a test reaches the clock without time_machine."""
    with pytest.raises(UnpinnedClockError):
        _clock.now()


def test_a_pinned_library_clock_read_passes(time_machine):
    """Under time_machine the guarded clock answers with the pinned instant."""
    time_machine.move_to("2026-11-23T14:00:00+08:00", tick=False)

    assert "2026-11-23T06:00:00+00:00" == _clock.now().astimezone(UTC).isoformat()
