"""
Throughput and latency of the HTTP service with concurrent clients.

Run from the repository root (needs the ``service`` extra)::

    .venv/bin/python benchmarks/bench_service.py [--clients 4] [--requests 200]

The script starts the real server (``opinion-rules serve --port 0``) on a
fresh SQLite store in a temporary folder, holding the work-safety plan,
with a token file of its own.  Then *clients* threads, each with its own
HTTP connection (httpx), send *requests* requests each, all at once, in
two phases:

``evaluate``
    ``POST /v1/evaluate`` of the bundled incident
    (``examples/incidents/work_safety_upgrade.json``) at its instant:
    nothing is stored.
``write``
    ``POST /v1/incidents/{id}/entries``: one observation per request, each
    client on an incident of its own (opened first, not timed), so every
    write appends to a log and re-evaluates the incident, as a monitoring
    feed does.

For each phase it prints the requests per second (wall time: the clients
wait on the network), the median and 99th percentile latency, and the
server's CPU time per request (read from ``/proc``, Linux only).  The CPU
ratio line compares the server's CPU per evaluation over HTTP with one
in-process ``Engine.evaluate`` of the same incident, measured in the same
run: what the service adds (JSON in and out, the token, the worker
thread, the HTTP stack).  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

import opinion_rules


ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "examples" / "plans" / "work_safety.yaml"
INCIDENT = ROOT / "examples" / "incidents" / "work_safety_upgrade.json"
AT = "2026-11-23T14:00:00+08:00"
START_TIMEOUT = 60.0


def server_cpu(pid: int) -> float | None:
    """The CPU seconds (user and system) process *pid* used so far; ``None`` off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def start_server(folder: Path, token: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``serve --port 0`` on a fresh store in *folder*; return it and its URL."""
    tokens = folder / "tokens"
    handle = os.open(tokens, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w") as file:
        file.write(f"{token} rw bench\n")
    out = folder / "serve.out"
    argv = [
        sys.executable, "-m", "opinion_rules", "serve",
        "--store", str(folder / "cases.db"), "--plans", str(PLAN), "--tokens", str(tokens),
        "--port", "0", "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with out.open("w") as stdout:
        process = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL, env=env)  # noqa: S603
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.startswith("listening on "):
                return process, line.removeprefix("listening on ")
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise SystemExit("the server did not start (is the service extra installed?)")


def run_phase(
    clients: list[httpx.Client], requests: int, send: Callable[[httpx.Client, int, int], None]
) -> tuple[float, list[float]]:
    """
    Each client sends *requests* requests with *send* at once; return the
    wall time of the phase and every request's latency.
    """
    latencies: list[list[float]] = [[] for _ in clients]
    go = threading.Barrier(len(clients) + 1)

    def work(index: int) -> None:
        go.wait()
        for n in range(requests):
            start = time.perf_counter()
            send(clients[index], index, n)
            latencies[index].append(time.perf_counter() - start)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    go.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, [x for per in latencies for x in per]


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def in_process_cpu(incident: dict[str, Any], runs: int) -> float:
    """The CPU seconds of one in-process evaluation of *incident* (the least of *runs*)."""
    engine = opinion_rules.Engine(opinion_rules.load_plan(PLAN))
    case = opinion_rules.Incident.from_dict(incident)
    at = datetime.fromisoformat(AT)
    engine.evaluate(case, at=at)  # warm-up
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        engine.evaluate(case, at=at)
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument(
        "--requests", type=int, default=200, help="requests per client and phase (default 200)"
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1:
        parser.error("--clients and --requests must be at least 1")
    incident = json.loads(INCIDENT.read_text(encoding="utf-8"))
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(Path(tmp), token)
        headers = {"Authorization": f"Bearer {token}"}
        clients = [
            httpx.Client(base_url=url, headers=headers, timeout=60) for _ in range(args.clients)
        ]
        try:
            print(f"server      {url} ({args.clients} clients, {args.requests} requests each)")
            print(f"python      {platform.python_version()} on {platform.machine()}")
            print()
            body = {"plan": "work-safety@2023-1", "incident": incident, "at": AT}

            def evaluate(client: httpx.Client, _index: int, _n: int) -> None:
                client.post("/v1/evaluate", json=body).raise_for_status()

            discovered = datetime.fromisoformat(AT) - timedelta(days=1)
            for index, client in enumerate(clients):
                opened = {
                    "id": f"BENCH-{index}",
                    "plan": "work-safety@2023-1",
                    "discovered_at": discovered.isoformat(),
                }
                client.post("/v1/incidents", json=opened).raise_for_status()

            def write(client: httpx.Client, index: int, n: int) -> None:
                at = discovered + timedelta(seconds=n + 1)
                entry = {
                    "id": f"r{n}",
                    "observation": {
                        "at": at.isoformat(), "metric": "clicks", "value": 10 * n,
                        "site": "bbs.example.cn", "channel": "forum",
                    },
                }  # fmt: skip
                client.post(f"/v1/incidents/BENCH-{index}/entries", json=entry).raise_for_status()

            figures = {}
            for name, send in (("evaluate", evaluate), ("write", write)):
                cpu_before = server_cpu(process.pid)
                wall, latencies = run_phase(clients, args.requests, send)
                cpu_after = server_cpu(process.pid)
                count = len(latencies)
                cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
                figures[name] = (
                    count / wall,
                    statistics.median(latencies),
                    p99(latencies),
                    cpu,
                    count,
                )
        finally:
            for client in clients:
                client.close()
            process.terminate()
            process.wait(timeout=30)

    print(f"{'phase':<10}{'requests/s':>12}{'median ms':>11}{'p99 ms':>9}{'server CPU ms/req':>19}")
    for name, (rate, median, tail, cpu, count) in figures.items():
        per = "n/a" if cpu is None else f"{cpu / count * 1000:.2f}"
        print(f"{name:<10}{rate:>12.1f}{median * 1000:>11.1f}{tail * 1000:>9.1f}{per:>19}")
    print()
    cpu = figures["evaluate"][3]
    local = in_process_cpu(incident, 20)
    if cpu is not None:
        per_request = cpu / figures["evaluate"][4]
        print(f"HTTP evaluate / in-process evaluate  {per_request / local:6.1f}x the CPU time")
    print(f"in-process evaluate: {local * 1000:.2f} ms CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
