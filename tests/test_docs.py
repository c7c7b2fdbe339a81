"""
Examples in the docs print what the docs say they print.

A ```python block, or a ```sh block holding one ``.venv/bin/opinion-rules``
command, followed by a ```text block (with at most one line of prose between
them, e.g. "prints:") is a runnable example; it is run from the repository
root, with the wall clock pinned to the docs' date (tests/pinned_run.py), and
its output must equal the text block.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


EXAMPLE = re.compile(
    # A block's code never crosses a fence: a command with no output shown
    # is not joined to the next one's.
    r"```(python|sh)\n((?:(?!```).)*?)\n```\n(?:\n[^\n`]*\n)?\n```text\n(.*?)\n```",
    re.DOTALL,
)
CLI = ".venv/bin/opinion-rules "


#: Runs each example with the wall clock pinned, so no output depends on today.
PINNED = str(Path(__file__).with_name("pinned_run.py"))


def command(language: str, code: str) -> list[str] | None:
    if language == "python":
        return [sys.executable, PINNED, "-c", code]
    if code.startswith(CLI) and "\n" not in code:
        return [sys.executable, PINNED, *shlex.split(code.removeprefix(CLI))]
    return None  # other shell commands are not examples with output


def runnable_examples() -> list[tuple[str, list[str], str]]:
    found = []
    for path in sorted((ROOT / "docs").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        for number, match in enumerate(EXAMPLE.finditer(text), start=1):
            argv = command(match.group(1), match.group(2))
            if argv is not None:
                found.append((f"{path.relative_to(ROOT)}#{number}", argv, match.group(3)))
    return found


EXAMPLES = runnable_examples()


def test_docs_have_runnable_examples():
    """The how-to guides and the index show output that is checked here."""
    pages = {name.split("#")[0] for name, _, _ in EXAMPLES}

    assert str(Path("docs/index.md")) in pages
    assert str(Path("docs/how-to/feed-incidents.md")) in pages
    assert str(Path("docs/tutorial/evaluate-an-incident.md")) in pages


def test_every_public_module_has_an_api_reference_page():
    """Each public module pinned by test_public_api has a docstring page on the docs site."""
    from .test_public_api import PUBLIC

    pages = {
        path.stem: path.read_text(encoding="utf-8")
        for path in (ROOT / "docs" / "reference" / "python").glob("opinion_rules*.md")
    }

    assert sorted(PUBLIC) == sorted(pages)
    for module, text in pages.items():
        assert f"```{{public-module}} {module}\n```" in text


@pytest.mark.parametrize(
    ("argv", "output"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES]
)
def test_docs_example_prints_what_it_says(argv: list[str], output: str):
    """Each command shown in the docs exits 0 and prints exactly the output the page shows."""
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)

    assert 0 == result.returncode, result.stderr
    assert output.strip() == result.stdout.strip()
