"""
docs/reference/limits.md lists every bound of opinion_rules._limits with its value.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from opinion_rules import _limits

from .conftest import ROOT


PAGE = (ROOT / "docs" / "reference" / "limits.md").read_text(encoding="utf-8")
BOUNDS = [name for name in _limits.__all__ if name.isupper()]


def shown(value: object) -> str:
    """How the page writes a bound."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, timedelta):
        return f"{value.days:,} days"
    if value == 10**100:
        return "10**100"
    return f"{value:,}"


@pytest.mark.parametrize("name", BOUNDS)
def test_every_bound_is_on_the_page_with_its_value(name):
    """Every bound in _limits appears on the limits page with its current value."""
    assert shown(getattr(_limits, name)) in PAGE


def test_every_bound_is_exported_so_the_page_test_sees_it():
    """A bound added to _limits but left out of its __all__ would escape the test above."""
    defined = sorted(
        name
        for name, value in vars(_limits).items()
        if name.isupper() and isinstance(value, int | timedelta | datetime) and name != "UTC"
    )

    assert defined == sorted(BOUNDS)
    assert len(BOUNDS) >= 14
