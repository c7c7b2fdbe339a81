"""
The example plug-in package (examples/plugins/opinion-rules-guangxi) as a
host installs it: found through its entry point only when named, its own
tests green, its example plan refused without it and evaluated alike on
both backends with it, and its scenario file passing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

import opinion_rules as o
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.plugins import PluginSet

from .conftest import EXAMPLES
from .plugin_fixtures import install_entry_point


PACKAGE = EXAMPLES / "plugins" / "opinion-rules-guangxi"
EXAMPLE = PACKAGE / "example"
AT = datetime.fromisoformat("2026-04-16T12:00:00+08:00")


@pytest.fixture(name="installed")
def fixture_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The package as pip would install it: its source and its entry point on sys.path."""
    install_entry_point(
        tmp_path, "opinion-rules-guangxi", "1.0.0", "guangxi", "opinion_rules_guangxi"
    )
    monkeypatch.syspath_prepend(str(PACKAGE / "src"))
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_the_example_plan_is_refused_without_the_plugin_at_its_lines():
    """Without --plugin guangxi the plan names what is missing, where, and how to enable it."""
    with pytest.raises(PlanValidationError) as caught:
        o.load_plan(EXAMPLE / "plan.yaml")

    assert [(7, "requires[0]"), (8, "calendar")] == sorted(
        (p.line, p.path) for p in caught.value.problems
    )
    assert "--plugin guangxi" in str(caught.value)


def test_the_example_plan_evaluates_alike_on_both_backends(installed, backend):
    """Enabled by its entry-point name, the plug-in grades by its heat index on either backend."""
    plugins = PluginSet(["guangxi"])
    plan = o.load_plan(EXAMPLE / "plan.yaml", plugins=plugins)
    incident = o.load_incident(EXAMPLE / "incident.json")

    python = o.Engine(plan, plugins=plugins).evaluate(incident, at=AT).to_dict()
    other = o.Engine(plan, plugins=plugins, backend=backend).evaluate(incident, at=AT).to_dict()

    assert python == other
    assert ("general", ["concentrated"], "1.0.0") == (
        python["grade"]["id"],
        [c["id"] for c in python["categories"]],
        plugins.version_of("guangxi"),
    )


def test_the_packages_own_tests_pass(installed):
    """pytest on the package's tests, with the package importable, passes."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PACKAGE / "src"), str(installed)])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PACKAGE / "tests")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )

    assert 0 == done.returncode, done.stdout + done.stderr


def test_the_example_scenario_passes(installed):
    """opinion-rules test on the example's scenario file, which enables the plug-in by name."""
    from opinion_rules.cli._main import main

    code = main(["test", str(EXAMPLE / "gx-demo.scenario.yaml")])

    assert 0 == code


def _installed() -> bool:
    from importlib import metadata

    return any(ep.name == "guangxi" for ep in metadata.entry_points(group="opinion_rules.plugins"))


@pytest.mark.skipif(
    not _installed() and os.environ.get("CI") != "true",
    reason="the example plug-in package is not installed (the README's test command installs it)",
)
def test_every_example_scenario_passes_with_the_example_plugin_installed():
    """opinion-rules test on every examples/**/*.scenario.yaml passes, plug-in scenarios included."""
    from opinion_rules.cli._main import main

    files = sorted(str(p) for p in EXAMPLES.rglob("*.scenario.yaml"))

    assert any("plugins" in f for f in files)
    assert 0 == main(["test", *files])
