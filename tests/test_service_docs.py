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
import sys
import time
from pathlib import Path

import httpx
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


def test_the_readme_serve_command_serves_with_the_token_it_prints(tmp_path: Path):
    """The README's serve command (its paths in a scratch folder, any free port) answers with its token."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (command,) = [c for c in re.findall(r"```sh\n(.*?)\n```", text, re.DOTALL) if " serve " in c]
    args = command.split("&& .venv/bin/opinion-rules ", 1)[1]
    args = args.replace("/tmp/", f"{tmp_path}/").replace("--port 8080", "--port 0")  # noqa: S108
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = tmp_path / "serve.out"
    with out.open("w") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "opinion_rules", *args.split()],
            cwd=ROOT,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(x.startswith("listening") for x in lines):
            assert process.poll() is None, out.read_text(encoding="utf-8")
            time.sleep(0.05)
            lines = out.read_text(encoding="utf-8").splitlines()
        token = lines[0].rsplit(": ", 1)[1]
        url = lines[1].removeprefix("listening on ")
        health = httpx.get(f"{url}/v1/health", headers={"Authorization": f"Bearer {token}"})
    finally:
        process.terminate()
        process.wait(timeout=30)

    assert lines[0].startswith(f"created {tmp_path}/opinion-desk.tokens with a read-write token")
    assert (200, "ok", 1) == (health.status_code, health.json()["status"], health.json()["plans"])
