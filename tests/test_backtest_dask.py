"""
Back-testing on a Dask cluster: 10,000 generated incidents give the same
differing incidents on a 2-worker LocalCluster as in local worker processes,
and exactly the ones an independent count from the revision's changed
thresholds predicts; the Dask runner's errors.

The cluster (two worker processes, one thread each) is started once for the
module.  Without Dask installed the cluster tests skip, except under
``CI=true``, where that is a failure: the ``test`` extra installs Dask.
"""

from __future__ import annotations

import importlib.util
import io
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules
from opinion_rules.backtest import (
    BacktestJob,
    Case,
    Chunk,
    DaskRunner,
    LocalRunner,
    _dask_runner,
    backtest,
    chunked,
    dask_runner,
)
from opinion_rules.cli._main import main
from opinion_rules.exceptions import BacktestError

from .conftest import EXAMPLES, ROOT


def _generator() -> ModuleType:
    """benchmarks/work_safety_incidents.py, the incidents the benchmark back-tests."""
    spec = importlib.util.spec_from_file_location(
        "work_safety_incidents", ROOT / "benchmarks" / "work_safety_incidents.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATED = _generator()
OLD_PATH = EXAMPLES / "plans" / "work_safety.yaml"
NEW_PATH = EXAMPLES / "revisions" / "work_safety_2025.yaml"
PAST = EXAMPLES / "revisions" / "past-incidents.jsonl"
SEED = 2026
COUNT = 10_000
#: (rank, clicks in 1 day >, reposts >) of each grade above 一般 under the
#: revision, highest first: 较大 at more than 80 reposts (100 before).
NEW_THRESHOLDS = ((3, 50_000, 500), (2, 10_000, 300), (1, 1_000, 80))
LARGER = 1


def differs_by_the_text(data: dict[str, Any]) -> bool:
    """
    Whether the revision changes this generated incident's outcome, from the
    data and the changed thresholds alone.

    The revision moves 较大 from more than 100 reposts to more than 80 and
    gives its report (larger_report) a due time, discovery + 2 h, where the
    old text had none (及时).  So an incident's outcome changes exactly when,
    under the revision, it is 较大 at some instant up to closing: from then
    on larger_report applies with a due time it never had (a 较大 duty stays
    after an upgrade).  An incident that never stops at 较大 (always below
    it, or straight from below to 重大) has the same grades at the same
    instants under both versions, as no other threshold moved.  Every
    generated incident happens within a day of posting, so the rolling-day
    click count is the sum of the latest snapshot of each site.
    """
    latest: dict[tuple[str, str], int] = {}
    reached = -1
    instants = sorted({o["at"] for o in data["observations"]}, key=datetime.fromisoformat)
    for at in instants:
        for o in data["observations"]:
            if o["at"] == at:
                latest[o["metric"], o["site"]] = o["value"]
        reposts = sum(v for (metric, _), v in latest.items() if metric == "reposts")
        clicks = [v for (metric, _), v in latest.items() if metric == "clicks"]
        for rank, click_bound, repost_bound in NEW_THRESHOLDS:
            if (len(clicks) >= 2 and sum(clicks) > click_bound) or reposts > repost_bound:
                reached = max(reached, rank)
                break
        if reached == LARGER:
            return True
    return False


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A client of a LocalCluster of 2 worker processes (1 thread each), for the module."""
    try:
        import distributed
    except ImportError as exc:
        reason = f"Dask is not installed ({exc}); pip install 'opinion-rules[dask]'"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Dask for the back-testing tests: {reason}")
        pytest.skip(reason)
    # The dashboard on any free port: another cluster may hold 8787, and the
    # warning Dask gives then is an error here.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def plans() -> tuple[opinion_rules.Plan, opinion_rules.Plan]:
    """The work-safety plan and its 2025 revision."""
    return (
        opinion_rules.load_plan(OLD_PATH),
        opinion_rules.load_plan(NEW_PATH),
    )


def test_10000_incidents_differ_alike_locally_and_on_dask_as_the_thresholds_say(
    client: Any, plans: tuple[opinion_rules.Plan, opinion_rules.Plan]
):
    """10,000 generated incidents: the same differing incidents locally and on Dask, as predicted."""
    old, new = plans
    local: list[dict[str, Any]] = []
    on_dask: list[dict[str, Any]] = []

    local_report = backtest(
        old,
        new,
        GENERATED.incidents(SEED, COUNT),
        runner=LocalRunner(2),
        on_differing=lambda d: local.append(d.to_data()),
    )
    dask_report = backtest(
        old,
        new,
        GENERATED.incidents(SEED, COUNT),
        runner=DaskRunner(client),
        on_differing=lambda d: on_dask.append(d.to_data()),
    )

    expected = {
        data["id"] for data in GENERATED.incidents(SEED, COUNT) if differs_by_the_text(data)
    }
    assert local == on_dask
    assert expected == {d["incident"] for d in on_dask}
    assert (COUNT, COUNT, len(expected)) == (
        dask_report.compared,
        local_report.compared,
        dask_report.differing,
    )
    assert 2 == len(dask_report.workers)


def test_a_run_from_the_scheduler_address_opens_and_closes_its_own_client(
    client: Any, plans: tuple[opinion_rules.Plan, opinion_rules.Plan]
):
    """dask_runner(address) runs on the cluster, and the report equals a serial run's."""
    old, new = plans
    address = client.scheduler.address
    runner = dask_runner(address, in_flight=3)

    report = backtest(old, new, GENERATED.incidents(SEED, 300), runner=runner, chunk_size=50)

    serial = backtest(old, new, GENERATED.incidents(SEED, 300))
    assert (serial.differing, serial.groups, serial.grade_pairs) == (
        report.differing,
        report.groups,
        report.grade_pairs,
    )
    assert f"DaskRunner({address!r}, in_flight=3, timeout=10)" == report.runner


def test_the_runner_reads_chunks_only_as_results_come_back(
    client: Any, plans: tuple[opinion_rules.Plan, opinion_rules.Plan]
):
    """With in_flight=2, a chunk is read from the source only when a result has come back."""
    pulled: list[int] = []

    def chunks() -> Iterator[Chunk]:
        cases = (Case(d["id"], d) for d in GENERATED.incidents(SEED, 24))
        for chunk in chunked(cases, 4):
            pulled.append(chunk.index)
            yield chunk

    results = DaskRunner(client, in_flight=2).run(BacktestJob(*plans), chunks())
    first = next(results)
    read_before_the_first = len(pulled)
    rest = list(results)

    assert 2 == read_before_the_first
    assert list(range(6)) == sorted(r.index for r in [first, *rest])
    assert 24 == sum(r.cases for r in [first, *rest])


def backtest_cli(*args: str) -> tuple[int, str, str]:
    """Run ``opinion-rules backtest`` on the bundled revision and past incidents, in-process."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["backtest", "--old", str(OLD_PATH), "--new", str(NEW_PATH), "--incidents", str(PAST)]
    code = main([*argv, *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_cli_on_dask_writes_what_a_local_run_writes(client: Any, tmp_path: Path):
    """backtest --dask ADDRESS gives the same report and JSON Lines as --workers 1."""
    local = backtest_cli("--workers", "1", "--out", str(tmp_path / "local"))
    on_dask = backtest_cli("--dask", client.scheduler.address, "--out", str(tmp_path / "dask"))

    assert (0, "") == (on_dask[0], on_dask[2])
    assert local[1].replace("local", "dask") == on_dask[1]
    for name in ("differing.jsonl", "report.md"):
        assert (tmp_path / "local" / name).read_text(encoding="utf-8") == (
            tmp_path / "dask" / name
        ).read_text(encoding="utf-8")


def test_the_cli_names_an_unreachable_scheduler_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
):
    """backtest --dask with no scheduler there is exit 2 and one line naming the address."""
    pytest.importorskip("distributed")
    monkeypatch.setattr(_dask_runner, "TIMEOUT", 0.5)

    code, out, err = backtest_cli("--dask", "tcp://127.0.0.1:9")

    assert (2, "") == (code, out)
    assert err.startswith(
        "opinion-rules: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9: "
    )
    assert 1 == len(err.splitlines())


def test_workers_with_another_version_are_refused_before_any_chunk(
    client: Any,
    plans: tuple[opinion_rules.Plan, opinion_rules.Plan],
    monkeypatch: pytest.MonkeyPatch,
):
    """A client whose opinion_rules version differs from the workers' names both, and runs nothing."""
    monkeypatch.setattr(_dask_runner, "__version__", "0.0.1")
    old, new = plans

    with pytest.raises(BacktestError) as raised:
        backtest(old, new, GENERATED.incidents(SEED, 10), runner=DaskRunner(client))

    message = str(raised.value)
    assert message.startswith(
        f"the Dask workers at {client.scheduler.address} must run opinion-rules 0.0.1, "
        "as this client does: "
    )
    assert f"has {opinion_rules.__version__}" in message


def test_an_unreachable_scheduler_is_named(plans: tuple[opinion_rules.Plan, opinion_rules.Plan]):
    """A scheduler that does not answer is a BacktestError with its address, after the timeout."""
    pytest.importorskip("distributed")
    old, new = plans
    runner = DaskRunner("tcp://127.0.0.1:9", timeout=0.5)

    with pytest.raises(BacktestError) as raised:
        backtest(old, new, GENERATED.incidents(SEED, 10), runner=runner)

    assert str(raised.value).startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9: ")


def test_without_dask_the_error_names_the_extra(
    plans: tuple[opinion_rules.Plan, opinion_rules.Plan], monkeypatch: pytest.MonkeyPatch
):
    """Running on Dask without Dask installed says which extra to install."""
    monkeypatch.setitem(sys.modules, "distributed", None)
    old, new = plans

    with pytest.raises(BacktestError) as raised:
        backtest(old, new, GENERATED.incidents(SEED, 10), runner=DaskRunner("tcp://127.0.0.1:9"))

    assert str(raised.value) == (
        "running on Dask needs the dask extra: pip install 'opinion-rules[dask]' "
        "(distributed is not installed)"
    )


def test_a_lost_worker_is_a_backtest_error_and_a_bug_is_not():
    """A cluster failure becomes a BacktestError naming the cluster; any other error is left as it is."""
    distributed = pytest.importorskip("distributed")
    worker = SimpleNamespace(address="tcp://10.0.0.7:40123")  # the scheduler's WorkerState
    lost = distributed.KilledWorker("opinion-rules-backtest-1", worker, 3)

    failure = _dask_runner._failure(distributed, lost, "tcp://10.0.0.5:8786")

    assert failure is not None
    assert str(failure).startswith("the Dask cluster at tcp://10.0.0.5:8786 failed: KilledWorker: ")
    assert _dask_runner._failure(distributed, ZeroDivisionError(), "tcp://10.0.0.5:8786") is None


@pytest.mark.parametrize(
    ("scheduler", "options", "message"),
    [
        ("  ", {}, "the Dask scheduler's address is empty"),
        (
            8786,
            {},
            (
                "the Dask scheduler must be an address such as 'tcp://host:8786' or a "
                "dask.distributed.Client (got int)"
            ),
        ),
        ("tcp://h:1", {"in_flight": 0}, "in_flight must be a positive integer (got 0)"),
        ("tcp://h:1", {"in_flight": 2.5}, "in_flight must be a positive integer (got 2.5)"),
        ("tcp://h:1", {"timeout": -1}, "timeout must be a positive number (got -1)"),
        ("tcp://h:1", {"timeout": True}, "timeout must be a positive number (got True)"),
    ],
)
def test_bad_runner_options_are_refused_at_once(
    scheduler: object, options: dict[str, Any], message: str
):
    """A wrong scheduler, in_flight or timeout is a BacktestError when the runner is made."""
    with pytest.raises(BacktestError) as raised:
        DaskRunner(scheduler, **options)

    assert message == str(raised.value)


@given(
    seed=st.integers(min_value=0, max_value=2**31),
    start=st.integers(min_value=0, max_value=10**6),
    count=st.integers(min_value=0, max_value=5),
)
def test_generated_incidents_depend_only_on_seed_and_number(seed: int, start: int, count: int):
    """Any range of generated incidents equals the incidents made one by one, and all are valid."""
    made = list(GENERATED.incidents(seed, count, start))

    assert [GENERATED.incident(seed, n) for n in range(start, start + count)] == made
    for data in made:
        opinion_rules.Incident.from_dict(data)
