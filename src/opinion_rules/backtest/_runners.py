"""
Runners: where the chunks of a back-test are compared.  A runner takes the
job and a stream of chunks and yields one result per chunk, keeping only a
bounded number of chunks in flight, so memory stays bounded however long
the stream.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol, runtime_checkable

from opinion_rules.backtest._compare import compare_chunk
from opinion_rules.backtest._job import BacktestJob, Chunk, ChunkResult
from opinion_rules.exceptions import BacktestError


__all__ = ["LocalRunner", "Runner", "SerialRunner", "dask_runner"]


@runtime_checkable
class Runner(Protocol):
    """
    Compares the chunks of a back-test somewhere.

    **Protocol:** :meth:`run` yields one :class:`ChunkResult` per chunk
    (in any order: the caller orders them by ``Chunk.index``), each
    made by :func:`compare_chunk` on *job* and the chunk, and reads *chunks*
    lazily, holding a bounded number in flight.

    .. versionadded:: 0.6.0
    """

    def run(self, job: BacktestJob, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        """Compare every chunk; yield their results."""
        ...


class SerialRunner:
    """
    Compares the chunks one by one in this process.

    .. versionadded:: 0.6.0
    """

    def run(self, job: BacktestJob, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        """Compare every chunk here, in order."""
        for chunk in chunks:
            yield compare_chunk(job, chunk)

    def __repr__(self) -> str:
        return "SerialRunner()"


def _positive(name: str, value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise BacktestError(f"{name} must be a positive integer (got {value!r})")
    return value


class LocalRunner:
    """
    Compares the chunks in worker processes on this machine.

    Workers are started with ``spawn`` (the same on every platform, and
    safe in a program that runs threads); each builds the job's engines
    once.  Results come back in chunk order.

    Args:
        workers: How many processes (default: one per core).
        in_flight: How many chunks may be sent and not yet collected
            (default: twice *workers*); bounds the memory used.

    Raises:
        BacktestError: *workers* or *in_flight* is not a positive integer.

    .. versionadded:: 0.6.0
    """

    def __init__(self, workers: int | None = None, *, in_flight: int | None = None) -> None:
        self.workers: int = _positive("workers", workers) or os.cpu_count() or 1
        self.in_flight: int = _positive("in_flight", in_flight) or 2 * self.workers

    def run(self, job: BacktestJob, chunks: Iterable[Chunk]) -> Iterator[ChunkResult]:
        """Compare the chunks in worker processes; yield the results in chunk order."""
        context = multiprocessing.get_context("spawn")
        pending: deque[Future[ChunkResult]] = deque()
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            try:
                for chunk in chunks:
                    if len(pending) >= self.in_flight:
                        yield pending.popleft().result()
                    pending.append(pool.submit(compare_chunk, job, chunk))
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()

    def __repr__(self) -> str:
        return f"LocalRunner(workers={self.workers}, in_flight={self.in_flight})"


#: The module that holds the Dask runner; imported only when asked for, as
#: it needs the optional ``dask`` extra.
DASK_MODULE = "opinion_rules.backtest._dask_runner"


def dask_runner(scheduler: Any, **options: Any) -> Runner:
    """
    A runner on a Dask cluster: *scheduler* is its address
    (``tcp://host:8786``) or a ``dask.distributed.Client``; *options* go to
    the Dask runner.

    Raises:
        BacktestError: Dask is not installed (the ``dask`` extra), or the
            scheduler cannot be reached.

    .. versionadded:: 0.6.0
    """
    try:
        module = importlib.import_module(DASK_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == DASK_MODULE:
            raise BacktestError("this installation has no Dask runner") from None
        raise BacktestError(
            f"running on Dask needs the dask extra: pip install 'opinion-rules[dask]' "
            f"({exc.name} is not installed)"
        ) from None
    runner: Runner = module.DaskRunner(scheduler, **options)
    return runner
