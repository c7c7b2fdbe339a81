"""
The pytest plugin (entry point ``opinion_rules`` in the ``pytest11`` group):
pytest collects every ``*.scenario.yaml`` file it is pointed at, with one
test item per check, failing with the same diff lines as ``opinion-rules
test``.

A scenario file that cannot be run (bad scenario, plan or incident) is a
collection error carrying the located message.  ``--opinion-rules-backend``
picks the evaluation backend (default ``python``).  ``-p no:opinion_rules``
turns the plugin off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opinion_rules.authoring._scenario_checks import PlanCache, prepare, run_check
from opinion_rules.authoring._scenarios import SCENARIO_SUFFIX, Check, Scenario, read_scenario
from opinion_rules.engine._engine import BACKENDS, DEFAULT_BACKEND, Engine
from opinion_rules.exceptions import EngineError, OpinionRulesError


__all__ = ["pytest_addoption", "pytest_collect_file"]

_CACHE = pytest.StashKey[PlanCache]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """
    Add ``--opinion-rules-backend``.
    """
    parser.getgroup("opinion_rules", "opinion_rules scenario files").addoption(
        "--opinion-rules-backend",
        choices=BACKENDS,
        default=DEFAULT_BACKEND,
        help="evaluation backend for *.scenario.yaml files (default: %(default)s)",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    """
    Collect *file_path* if it is a scenario file.
    """
    if file_path.name.endswith(SCENARIO_SUFFIX):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class CheckFailedError(AssertionError):
    """
    A check whose expectations do not all hold; the message is the diff.
    """


class ScenarioFile(pytest.File):
    """
    One scenario file: its checks are its items.
    """

    def collect(self) -> Iterator[ScenarioCheck]:
        config = self.config
        if _CACHE not in config.stash:  # one cache per run: each plan is loaded once
            config.stash[_CACHE] = PlanCache(config.getoption("opinion_rules_backend"))
        try:
            scenario = read_scenario(self._source())
            engine = prepare(scenario, config.stash[_CACHE])
        except EngineError:
            raise
        except OpinionRulesError as exc:
            raise self.CollectError(str(exc)) from None
        seen: dict[str, int] = {}
        for check in scenario.checks:
            name = check.name or f"at {check.at.isoformat()}"
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name} #{seen[name]}"
            yield ScenarioCheck.from_parent(
                self, name=name, scenario=scenario, check=check, engine=engine
            )

    def _source(self) -> str:
        # Relative to where pytest runs, as `opinion-rules test` names files.
        try:
            return str(self.path.relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)


class ScenarioCheck(pytest.Item):
    """
    One check of a scenario file.
    """

    def __init__(self, *, scenario: Scenario, check: Check, engine: Engine, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.check = check
        self.engine = engine

    def runtest(self) -> None:
        mismatches = run_check(self.scenario, self.check, self.engine)
        if mismatches:
            raise CheckFailedError("\n".join(str(m) for m in mismatches))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        if isinstance(excinfo.value, CheckFailedError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.check.line - 1, f"{self.scenario.source}::{self.name}"
