"""
The Dask runner: the chunks of a back-test compared on a Dask cluster
(``dask.distributed``, the optional ``dask`` extra).

Dask is imported only when a runner runs, so this module imports without
it; a missing Dask, an unreachable scheduler, a cluster without workers and
workers without (the same version of) opinion_rules are each a
:class:`~opinion_rules.exceptions.BacktestError` naming what to fix.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

from opinion_rules._version import __version__
from opinion_rules.backtest._compare import compare_chunk
from opinion_rules.backtest._job import BacktestJob, Chunk, ChunkResult
from opinion_rules.exceptions import BacktestError, OpinionRulesError


__all__ = ["DaskRunner"]

#: What to install for this runner.
EXTRA = "pip install 'opinion-rules[dask]'"
#: Seconds to wait for the scheduler to answer and for a first worker, by
#: default: enough for a cluster on a network, short enough for a typo.
TIMEOUT = 10.0


def _distributed() -> ModuleType:
    """``dask.distributed``, or a BacktestError naming the extra."""
    try:
        import distributed  # noqa: PLC0415 - the optional extra, only when running on Dask
    except ImportError as exc:
        raise BacktestError(
            f"running on Dask needs the dask extra: {EXTRA} ({exc.name or 'dask'} is not installed)"
        ) from None
    return distributed


def worker_version() -> str:
    """The opinion_rules version a worker runs (sent to every worker before a run)."""
    return __version__


async def _reach(distributed: ModuleType, address: str, seconds: float) -> None:
    """Open and close one connection to *address*, as a client would."""
    security = distributed.Security()
    # distributed's own timeout: it retries a refused connection until then.
    comm = await distributed.comm.connect(
        address, timeout=seconds, **security.get_connection_args("client")
    )
    await comm.close()


def _connect(distributed: ModuleType, address: str, timeout: float) -> Any:
    """A new client of the scheduler at *address*, or a BacktestError saying why not."""
    # The connection is tried first on its own: a Client whose constructor
    # fails leaves an object that prints a traceback when it is collected.
    try:
        asyncio.run(_reach(distributed, address, timeout))
    except (OSError, ValueError, TypeError) as exc:
        raise BacktestError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, ValueError) as exc:  # pragma: no cover - it answered a moment ago
        raise BacktestError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


def _check_workers(client: Any, where: str, timeout: float) -> int:
    """How many threads the cluster's workers run; a BacktestError if they cannot run the job."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError):
        raise BacktestError(
            f"the Dask cluster at {where} has no workers (waited {timeout:g} s)"
        ) from None
    try:
        versions: dict[str, str] = client.run(worker_version)
    except Exception as exc:  # noqa: BLE001 - whatever the worker raised, the fix is the same
        raise BacktestError(
            f"the Dask workers at {where} cannot run opinion_rules ({exc}); "
            f"install opinion-rules {__version__} on every worker"
        ) from None
    wrong = sorted(f"{worker} has {v}" for worker, v in versions.items() if v != __version__)
    if wrong:
        raise BacktestError(
            f"the Dask workers at {where} must run opinion-rules {__version__}, "
            "as this client does: " + "; ".join(wrong)
        )
    return sum(client.nthreads().values()) or 1


def _failure(distributed: ModuleType, exc: BaseException, where: str) -> BacktestError | None:
    """The BacktestError for a cluster failure, or None for an error of the comparison itself."""
    cluster_errors: tuple[type[BaseException], ...] = (
        distributed.KilledWorker,
        distributed.comm.CommClosedError,
        distributed.client.FuturesCancelledError,
        asyncio.CancelledError,
        OSError,
    )
    if isinstance(exc, cluster_errors):
        return BacktestError(f"the Dask cluster at {where} failed: {type(exc).__name__}: {exc}")
    return None


def _positive(name: str, value: object, *, integer: bool) -> None:
    """A BacktestError unless *value* is a positive number (an integer if *integer*)."""
    number = isinstance(value, int) or (isinstance(value, float) and not integer)
    if isinstance(value, bool) or not number or value <= 0:  # type: ignore[operator]
        kind = "integer" if integer else "number"
        raise BacktestError(f"{name} must be a positive {kind} (got {value!r})")


class DaskRunner:
    """
    Compares the chunks of a back-test on a Dask cluster: each chunk is one
    task running :func:`~opinion_rules.backtest.compare_chunk`, on whichever
    worker is free.  The job (both plans) is sent to every worker once;
    each worker builds its engines once.

    Results come back as chunks finish (in any order, like every runner's;
    :func:`~opinion_rules.backtest.backtest` puts them back in order), and
    only *in_flight* chunks are sent and not yet collected, so the client's
    memory stays bounded however many incidents there are.

    The workers need opinion_rules installed, the same version as the
    client (checked before the first chunk is sent), and the plug-ins the
    plans name.

    Args:
        scheduler: The scheduler's address (``tcp://10.0.0.5:8786``), or a
            connected ``dask.distributed.Client``.  A runner made from an
            address opens its own client for each run and closes it after;
            a client passed in is used as it is and left open.
        in_flight: How many chunks may be on the cluster at once (default:
            twice the workers' threads, at least 2).
        timeout: Seconds to wait for the scheduler to answer and for a
            first worker (default 10).

    Raises:
        BacktestError: *scheduler*, *in_flight* or *timeout* is not valid;
            when running, Dask is not installed (the ``dask`` extra), the
            scheduler cannot be reached (its address in the message), the
            cluster has no workers, the workers lack opinion_rules or run
            another version, or the cluster fails (a worker lost).

    .. versionadded:: 0.6.0
    """

    def __init__(
        self, scheduler: Any, *, in_flight: int | None = None, timeout: float | None = None
    ) -> None:
        if isinstance(scheduler, str):
            if not scheduler.strip():
                raise BacktestError("the Dask scheduler's address is empty")
        elif not callable(getattr(scheduler, "submit", None)):
            raise BacktestError(
                "the Dask scheduler must be an address such as 'tcp://host:8786' or a "
                f"dask.distributed.Client (got {type(scheduler).__name__})"
            )
        if in_flight is not None:
            _positive("in_flight", in_flight, integer=True)
        if timeout is None:
            timeout = TIMEOUT
        _positive("timeout", timeout, integer=False)
        self.scheduler: Any = scheduler
        self.in_flight: int | None = in_flight
        self.timeout: float = float(timeout)

    @property
    def address(self) -> str:
        """The scheduler's address, for messages."""
        if isinstance(self.scheduler, str):
            return self.scheduler
        found = getattr(getattr(self.scheduler, "scheduler", None), "address", None)
        return found if isinstance(found, str) else "(a client)"

    def run(self, job: BacktestJob, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        """Compare every chunk on the cluster; yield the results as they finish."""
        distributed = _distributed()
        owned = isinstance(self.scheduler, str)
        where = self.address
        client = _connect(distributed, where, self.timeout) if owned else self.scheduler
        try:
            threads = _check_workers(client, where, self.timeout)
            yield from self._run(distributed, client, where, job, chunks, threads)
        finally:
            if owned:
                client.close()

    def _run(
        self,
        distributed: ModuleType,
        client: Any,
        where: str,
        job: BacktestJob,
        chunks: Iterable[Chunk],
        threads: int,
    ) -> Iterator[ChunkResult]:
        limit = self.in_flight or max(2, 2 * threads)
        # Keys unique to this run: a shared cluster may run other back-tests
        # of the same job at the same time.
        run = f"opinion-rules-backtest-{job.key[:12]}-{uuid.uuid4().hex[:12]}"
        shared = client.scatter(job, broadcast=True, hash=False)
        pending = distributed.as_completed(loop=client.loop)
        inputs: dict[Any, Any] = {}
        source = iter(chunks)

        def send(count: int) -> None:
            for chunk in itertools.islice(source, count):
                # The chunk goes to a worker as data, and the task names it:
                # a task's arguments travel inside the scheduler's messages,
                # and the scheduler keeps the last 1,000 it sent each worker
                # (under 1 MB each), which with incidents inside is up to a
                # gigabyte per worker.
                data = client.scatter(chunk, hash=False)
                key = f"{run}-{chunk.index}"
                task = client.submit(compare_chunk, shared, data, key=key, pure=False)
                inputs[task] = data
                pending.add(task)

        try:
            send(limit)
            for future in pending:
                try:
                    result: ChunkResult = future.result()
                except OpinionRulesError:
                    raise
                except BaseException as exc:
                    failure = _failure(distributed, exc, where)
                    if failure is None:
                        raise
                    raise failure from exc
                inputs.pop(future).release()
                future.release()
                yield result
                send(1)
        finally:
            for future in pending.futures:
                future.cancel()
            for data in inputs.values():
                data.release()
            shared.release()

    def __repr__(self) -> str:
        return f"DaskRunner({self.address!r}, in_flight={self.in_flight}, timeout={self.timeout:g})"
