"""
The code base stays ruff- and mypy-clean (both are in the test extra).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


def tool(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def test_ruff_is_clean():
    """ruff reports nothing on src, tests, examples and benchmarks."""
    result = subprocess.run(
        [tool("ruff"), "check", "src", "tests", "examples", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert 0 == result.returncode, result.stdout


def test_mypy_strict_is_clean():
    """mypy --strict reports nothing on the package."""
    result = subprocess.run([tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)

    assert 0 == result.returncode, result.stdout
