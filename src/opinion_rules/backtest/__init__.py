"""
Back-testing a plan revision on past incidents: evaluate every incident
under both versions and report the ones whose outcome differs (grade,
categories, actions, due times, statuses, owners), grouped by the plan
change responsible (``opinion-rules backtest``).

The job runs on a :class:`Runner`: :class:`SerialRunner` in this process,
:class:`LocalRunner` in worker processes (one per core), or a Dask cluster
(:func:`dask_runner`, the ``dask`` extra).  Incidents stream from a source
(:func:`read_jsonl`, :func:`read_folder`, :func:`read_store`) in chunks;
each chunk is compared by the pure function :func:`compare_chunk`, so
memory stays bounded however many incidents there are.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.backtest._compare import closing_instant, compare_chunk
from opinion_rules.backtest._dask_runner import DaskRunner
from opinion_rules.backtest._job import (
    BacktestJob,
    Case,
    Chunk,
    ChunkResult,
    Difference,
    DifferingIncident,
    Instants,
    Skipped,
)
from opinion_rules.backtest._render import REPORT_FORMATS, render_report
from opinion_rules.backtest._run import BacktestReport, ChangeGroup, backtest, chunked
from opinion_rules.backtest._runners import LocalRunner, Runner, SerialRunner, dask_runner
from opinion_rules.backtest._sources import read_folder, read_jsonl, read_store, source_kind


__all__ = [
    "REPORT_FORMATS",
    "BacktestJob",
    "BacktestReport",
    "Case",
    "ChangeGroup",
    "Chunk",
    "ChunkResult",
    "DaskRunner",
    "Difference",
    "DifferingIncident",
    "Instants",
    "LocalRunner",
    "Runner",
    "SerialRunner",
    "Skipped",
    "backtest",
    "chunked",
    "closing_instant",
    "compare_chunk",
    "dask_runner",
    "read_folder",
    "read_jsonl",
    "read_store",
    "render_report",
    "source_kind",
]

publish(__name__, globals(), __all__)
