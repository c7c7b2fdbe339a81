"""
Shared fixtures and hypothesis profiles.

Profiles: ``ci`` (derandomized, used when CI is set), ``dev`` (default) and
``fast``; choose one with HYPOTHESIS_PROFILE.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, settings

import opinion_rules
from opinion_rules.cli import _clock


# CI runs each property on 40 fixed examples (derandomized: the same ones on
# every run), which keeps the whole suite near five minutes on two cores;
# the dev profile (local runs) draws 100 new ones each time.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fast", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CST = timezone(timedelta(hours=8), "CST")


def _durable_importable() -> bool:
    from opinion_rules.engine._durable import durable_available

    return durable_available()


def cst(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """
    An instant in November 2026, China Standard Time.
    """
    return datetime(2026, 11, day, hour, minute, second, tzinfo=CST)


@pytest.fixture(scope="session")
def work_safety() -> opinion_rules.Plan:
    """
    The work-safety plan from examples/.
    """
    return opinion_rules.load_plan(EXAMPLES / "work_safety.py")


BACKEND_PARAMS = [
    pytest.param("python", id="python"),
    pytest.param(
        "durable",
        id="durable",
        marks=pytest.mark.skipif(
            not _durable_importable(), reason="durable_rules does not import here"
        ),
    ),
]


@pytest.fixture(scope="session", params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> str:
    """
    Each evaluation backend in turn.
    """
    return str(request.param)


# -- the wall clock ----------------------------------------------------------------------


class UnpinnedClockError(AssertionError):
    """A test reached the library's wall-clock read without pinning the clock."""


@pytest.fixture(scope="session", autouse=True)
def _clock_must_be_pinned():
    """
    Fail any test that makes the library read the wall clock (the command
    line's defaults: ``--at``, ``--recorded-at``, check's calendar horizon)
    without pinning it with ``time_machine``: such a test passes today and
    fails on a later day.  tests/test_no_wall_clock.py checks that test code
    itself never reads the clock.
    """
    real = _clock.now

    def guarded() -> datetime:
        if not time_machine.escape_hatch.is_travelling():
            raise UnpinnedClockError(
                "the test read the wall clock without pinning it; wrap it in "
                "time_machine.travel(...) or pass the instant explicitly"
            )
        return real()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_clock, "now", guarded)
        yield


# -- per-plan engines: a test module defines a module-scoped ``plan`` fixture --------


@pytest.fixture(scope="module")
def engines() -> dict[str, opinion_rules.Engine]:
    """Engines built so far in this module, by backend."""
    return {}


@pytest.fixture
def engine(
    plan: opinion_rules.Plan, engines: dict[str, opinion_rules.Engine], backend: str
) -> opinion_rules.Engine:
    """An engine for the module's plan on each backend in turn."""
    if backend not in engines:
        engines[backend] = opinion_rules.Engine(plan, backend=backend)
    return engines[backend]


@pytest.fixture(scope="module")
def python_engine(plan: opinion_rules.Plan) -> opinion_rules.Engine:
    """The python backend, for property tests with many examples."""
    return opinion_rules.Engine(plan, backend="python")


# -- incident event builders -----------------------------------------------------------


def done(action: str, at: datetime) -> dict[str, Any]:
    return {"at": at.isoformat(), "type": "action_done", "action": action}


def event(kind: str, at: datetime) -> dict[str, Any]:
    return {"at": at.isoformat(), "type": kind}


def learned(fact: str, value: Any, at: datetime) -> dict[str, Any]:
    return {"at": at.isoformat(), "type": "fact", "fact": fact, "value": value}
