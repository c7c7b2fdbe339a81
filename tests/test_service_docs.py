"""
The curl examples of docs/how-to/serve-http.md, run in order against a real
server (its clock pinned to the docs' instant, in the plans' timezone) with
the page's own token file and token: each prints what the page shows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT
from .service_fixtures import Server
from .test_docs import EXAMPLE


PAGE = ROOT / "docs" / "how-to" / "serve-http.md"


def page_parts() -> tuple[str, str, list[tuple[str, str]]]:
    """The page's token file, its TOKEN, and its curl examples with their output."""
    text = PAGE.read_text(encoding="utf-8")
    tokens = re.search(r"```text\n(# TOKEN.*?)```", text, re.DOTALL)
    token = re.search(r"^export TOKEN=(\S+)$", text, re.MULTILINE)
    assert tokens is not None
    assert token is not None
    examples = [
        (m.group(2), m.group(3))
        for m in EXAMPLE.finditer(text)
        if m.group(1) == "sh" and m.group(2).startswith("curl ")
    ]
    return tokens.group(1), token.group(1), examples


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_examples_print_what_the_page_shows(tmp_path: Path):
    """Every curl example of the integrators' how-to, in order, prints the output shown under it."""
    tokens, token, examples = page_parts()
    server = Server(tmp_path, str(tmp_path / "cases.db"), tokens=tokens)
    env = {**os.environ, "URL": server.url, "TOKEN": token}
    bash = shutil.which("bash") or "/bin/bash"
    try:
        differences = []
        for code, shown in examples:
            result = subprocess.run(
                [bash, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
            if shown.strip() != result.stdout.strip():
                differences.append(
                    f"$ {code}\n--- shown\n{shown}\n--- got\n{result.stdout}{result.stderr}"
                )
    finally:
        server.stop()

    assert len(examples) >= 12
    assert [] == differences, "\n\n".join(differences)
