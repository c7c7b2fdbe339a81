"""
The threads that talk to the case store.

A store object holds one database connection and is not shared between
threads, so each worker thread opens its own store and runs the jobs it
takes from one shared queue with it: requests are answered concurrently,
and the store (SQLite's locking, PostgreSQL's transactions) keeps
concurrent writes safe as it does for several ``track`` processes.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import attrs

from opinion_rules.engine._engine import Engine
from opinion_rules.store._casestore import CaseStore
from opinion_rules.time._calendars import YearSchedule


__all__ = ["Worker", "Workers"]

_T = TypeVar("_T")
_STOP = None


@attrs.define
class Worker:
    """
    What a job is given: the worker's store, and its engines for stateless
    evaluations, by plan key with the year schedules each was built with
    (an engine is built once per plan, thread and state of the store's years).
    """

    store: CaseStore
    engines: dict[str, tuple[tuple[YearSchedule, ...], Engine]] = attrs.field(factory=dict)


_Job = tuple[Callable[[Worker], Any], Future[Any]]


class Workers:
    """
    *count* threads, each with the store *open_store* returns.
    """

    def __init__(self, open_store: Callable[[], CaseStore], count: int) -> None:
        self._open = open_store
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._threads = [
            threading.Thread(
                target=self._serve, args=(n,), name=f"opinion-rules store {n}", daemon=True
            )
            for n in range(count)
        ]
        self._ready: list[Future[None]] = [Future() for _ in self._threads]

    def start(self) -> None:
        """
        Start the threads and wait until each has opened its store.

        Raises:
            OpinionRulesError: a store could not be opened.
        """
        try:
            for thread, ready in zip(self._threads, self._ready, strict=True):
                thread.start()
                ready.result()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """
        Let the threads finish the jobs queued, close their stores and end.
        """
        for _ in self._threads:
            self._jobs.put(_STOP)
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    async def run(self, job: Callable[[Worker], _T]) -> _T:
        """
        Run *job* on a worker thread; return what it returns (or raise what
        it raises).
        """
        future: Future[_T] = Future()
        self._jobs.put((job, future))
        return await asyncio.wrap_future(future)

    def _serve(self, index: int) -> None:
        try:
            store = self._open()
        except BaseException as exc:  # noqa: BLE001 - handed to start()
            self._ready[index].set_exception(exc)
            return
        self._ready[index].set_result(None)
        worker = Worker(store)
        try:
            while (item := self._jobs.get()) is not _STOP:
                job, future = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(job(worker))
                except BaseException as exc:  # noqa: BLE001 - handed to the request
                    future.set_exception(exc)
        finally:
            store.close()
