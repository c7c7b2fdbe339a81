"""
The HTTP service as its users run it: ``opinion-rules serve`` in its own
process on 127.0.0.1 (``--port 0``), with the wall clock pinned to the docs'
instant (tests/pinned_run.py) and the plans' timezone, talked to over HTTP.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import ROOT


PINNED = str(Path(__file__).with_name("pinned_run.py"))
#: A read-write and a read-only token, as an operator writes them.
RW = "0123456789abcdef0123456789abcdef"
RO = "fedcba9876543210fedcba9876543210"
TOKENS = f"# token  access  name\n{RW}  rw  desk\n{RO}  ro  dashboard\n"
#: The exit status of a server stopped by SIGTERM: uvicorn shuts down
#: gracefully, then ends the process by the signal (as a shell sees it).
STOPPED = -signal.SIGTERM
# How long a server may take to say it listens (imports, plans, store).
_START = 60.0


def token_file(folder: Path, text: str = TOKENS) -> Path:
    """A token file only its owner can read."""
    path = folder / "tokens"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def plans_folder(folder: Path) -> Path:
    """A plans folder holding the work-safety plan."""
    plans = folder / "plans"
    plans.mkdir(exist_ok=True)
    shutil.copy(ROOT / "examples" / "plans" / "work_safety.yaml", plans)
    return plans


class Server:
    """One ``opinion-rules serve`` process and its output files."""

    def __init__(self, folder: Path, store: str, *extra: str, tokens: str = TOKENS) -> None:
        self.folder = folder
        self.out = folder / f"serve-{time.monotonic_ns()}.out"
        self.err = self.out.with_suffix(".err")
        argv = [
            sys.executable,
            PINNED,
            "serve",
            "--store",
            store,
            "--plans",
            str(plans_folder(folder)),
            "--tokens",
            str(token_file(folder, tokens)),
            "--port",
            "0",
            "--log-level",
            "warning",
            *extra,
        ]
        # The source first; a PYTHONPATH already set (a test's plug-ins) after it.
        path = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONPATH": path, "TZ": "Asia/Shanghai"}
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        self.url = self._wait_for_url()

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + _START
        while time.monotonic() < deadline:
            for line in self.out.read_text(encoding="utf-8").splitlines():
                if line.startswith("listening on "):
                    return line.removeprefix("listening on ")
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"the server did not start: {self.err.read_text(encoding='utf-8')}")

    def client(self, token: str | None = RW) -> httpx.Client:
        """A client of this server, sending *token* (none if ``None``)."""
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; return the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode
