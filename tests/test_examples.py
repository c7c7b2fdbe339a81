"""
The README's commands and the bundled examples keep working.
"""

from __future__ import annotations

import re
import subprocess
import sys

from .conftest import EXAMPLES, ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)\n```", text, flags=re.DOTALL)


def test_readme_has_the_two_commands():
    """The README shows one command for the main job and one for the tests; CI runs the latter."""
    main_job, tests, *_more = readme_commands()

    assert "opinion-rules evaluate examples/plans/work_safety.yaml" in main_job
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_builds_and_serves_the_docs_site_as_ci_builds_it():
    """The README's docs command installs the docs extra and runs .ci/run's strict site build."""
    (command,) = [c for c in readme_commands() if "'.[docs]'" in c]
    build = command.split(" && ")[2]

    assert ".venv/bin/python -m sphinx -W --keep-going -n -q -b html docs docs/_build/html" == build
    assert f".venv/bin/pip install -q -e '.[docs]' && {build}" in (ROOT / ".ci" / "run").read_text(
        encoding="utf-8"
    )
    assert command.endswith(" && .venv/bin/python -m http.server -d docs/_build/html")


def test_readme_main_job_runs():
    """The evaluate part of the README's main-job command prints the assessment."""
    main_job = readme_commands()[0]
    evaluate = main_job.split("&& .venv/bin/opinion-rules ", 1)[1].split()
    result = subprocess.run(
        [sys.executable, "-m", "opinion_rules", *evaluate],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert 0 == result.returncode, result.stderr
    assert "重大网络舆情" in result.stdout


def test_readme_python_snippet_runs():
    """The README's Python example runs as shown."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.findall(r"```python\n(.*?)\n```", text, flags=re.DOTALL)[0]
    result = subprocess.run(
        [sys.executable, "-c", snippet], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert 0 == result.returncode, result.stderr
    assert "major_notify_units" not in result.stdout  # titles are printed, not ids
    assert "同时通报相关单位" in result.stdout


def test_every_example_plan_loads():
    """Every example plan module builds a valid plan."""
    import opinion_rules

    for path in EXAMPLES.glob("*.py"):
        assert isinstance(opinion_rules.load_plan(path), opinion_rules.Plan)
