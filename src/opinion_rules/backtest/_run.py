"""
The back-test: stream the cases in chunks through a runner, put the chunk
results back in source order, and sum them into a report.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import attrs

from opinion_rules.authoring._diff import PlanDiff
from opinion_rules.backtest._compare import prepared
from opinion_rules.backtest._job import (
    BacktestJob,
    Case,
    Chunk,
    ChunkResult,
    DifferingIncident,
    Instants,
    Skipped,
)
from opinion_rules.backtest._runners import Runner, SerialRunner
from opinion_rules.engine._registry import DEFAULT_BACKEND
from opinion_rules.exceptions import BacktestError
from opinion_rules.model._facts import Incident
from opinion_rules.model._plan import Plan


__all__ = ["BacktestReport", "ChangeGroup", "backtest", "chunked"]

#: How many skipped cases a report lists (all are counted).
SKIPPED_LISTED = 100
#: Cases per chunk by default.
CHUNK_SIZE = 200


@attrs.frozen
class ChangeGroup:
    """
    The differing incidents one set of plan changes accounts for.

    Args:
        changes: Indexes into the report's ``BacktestReport.diff``
            changes; empty for the incidents no change can be told for.
        count: How many (incident, instant) pairs.
        examples: The first few, in source order.

    .. versionadded:: 0.6.0
    """

    changes: tuple[int, ...]
    count: int
    examples: tuple[DifferingIncident, ...]


@attrs.frozen
class BacktestReport:
    """
    What a back-test found.

    Args:
        diff: The plan diff (:func:`~opinion_rules.authoring.diff_plans`).
        at: ``"closing"`` or the instants compared.
        cases: How many incidents (cases) were read.
        compared: How many (incident, instant) pairs were compared.
        differing: How many of them differ.
        groups: The differing pairs grouped by the changes responsible,
            largest group first.
        aspects: ``(aspect, item, count)``: how often each outcome differs
            (``("due", "larger_report", 12)``), most frequent first.
        grade_pairs: ``(old grade, new grade, count)`` over every
            comparison (``""`` for no grade), sorted.
        skipped: How many cases could not be compared.
        skipped_examples: The first 100 of them.
        runner: The runner's description.
        cpu_seconds: CPU time spent comparing, summed over workers.
        peak_memory: The largest peak resident memory of a worker (bytes).
        workers: The workers that compared chunks (``host:pid``), sorted.
        grades: ``(id, name)`` of both plans' grades, lowest first (for
            tables and charts).

    .. versionadded:: 0.6.0
    """

    diff: PlanDiff
    at: Instants
    cases: int
    compared: int
    differing: int
    groups: tuple[ChangeGroup, ...]
    aspects: tuple[tuple[str, str, int], ...]
    grade_pairs: tuple[tuple[str, str, int], ...]
    skipped: int
    skipped_examples: tuple[Skipped, ...]
    runner: str
    cpu_seconds: float
    peak_memory: int
    workers: tuple[str, ...]
    grades: tuple[tuple[str, str], ...] = ()

    def grade_shifts(self) -> dict[tuple[str, str], int]:
        """The comparisons by (old grade, new grade)."""
        return {(a, b): n for a, b, n in self.grade_pairs}

    def to_data(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "old": {"id": self.diff.old_id, "version": self.diff.old_version},
            "new": {"id": self.diff.new_id, "version": self.diff.new_version},
            "at": self.at if isinstance(self.at, str) else [t.isoformat() for t in self.at],
            "cases": self.cases,
            "compared": self.compared,
            "differing": self.differing,
            "skipped": self.skipped,
            "changes": [c.to_data() for c in self.diff.changes],
            "groups": [
                {
                    "changes": list(g.changes),
                    "count": g.count,
                    "examples": [e.to_data() for e in g.examples],
                }
                for g in self.groups
            ],
            "aspects": [list(a) for a in self.aspects],
            "grade_pairs": [list(p) for p in self.grade_pairs],
            "skipped_examples": [
                {"where": s.where, "message": s.message} for s in self.skipped_examples
            ],
        }


def chunked(cases: Iterable[Case], size: int = CHUNK_SIZE) -> Iterator[Chunk]:
    """
    The *cases* in chunks of *size*, read lazily, numbered from 0.

    .. versionadded:: 0.6.0
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise BacktestError(f"chunk size must be a positive integer (got {size!r})")
    iterator = iter(cases)
    for index in itertools.count():
        batch = tuple(itertools.islice(iterator, size))
        if not batch:
            return
        yield Chunk(index, batch)


def _cases(incidents: Iterable[Case | Incident | Mapping[str, Any]]) -> Iterator[Case]:
    for n, item in enumerate(incidents, 1):
        if isinstance(item, Case):
            yield item
        elif isinstance(item, Incident | Mapping):
            yield Case(f"incident {n}", item)
        else:
            raise BacktestError(
                f"incident {n}: expected a Case, an Incident or incident data "
                f"(got {type(item).__name__})"
            )


def backtest(
    old: Plan,
    new: Plan,
    incidents: Iterable[Case | Incident | Mapping[str, Any]],
    *,
    at: Instants | Iterable[datetime] = "closing",
    runner: Runner | None = None,
    backend: str = DEFAULT_BACKEND,
    plugins: Iterable[str] = (),
    chunk_size: int = CHUNK_SIZE,
    examples: int = 5,
    on_differing: Callable[[DifferingIncident], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> BacktestReport:
    """
    Evaluate every incident under plan versions *old* and *new* and report
    the ones whose outcome differs, grouped by the plan changes responsible.

    *incidents* is read lazily, in chunks of *chunk_size*: a generator of a
    million incidents is never held in memory.  Each is compared at its
    closing instant (its last recorded instant) by default, or at each
    instant of *at*.  An incident that is invalid or does not fit a plan
    is skipped and counted (see ``BacktestReport.skipped``).

    Args:
        old: The plan in force.
        new: The revision.
        incidents: :class:`Case` values (see the sources
            :func:`read_jsonl`, :func:`read_folder` and :func:`read_store`),
            incidents, or incident data.
        at: ``"closing"`` or timezone-aware instants.
        runner: Where to compare (default: :class:`SerialRunner`; see
            :class:`LocalRunner` for worker processes).
        backend: The engine backend.
        plugins: Plug-in names both engines enable.
        chunk_size: Cases per chunk sent to a worker.
        examples: Example incidents kept per group.
        on_differing: Called with every differing incident, in source
            order (e.g. to write JSON Lines); the report keeps only counts
            and examples.
        progress: Called after each chunk with the number of cases done.

    Raises:
        BacktestError: the options are wrong, or the runner cannot run.
        PlanError: a plan cannot be used (e.g. a plug-in is missing).
        BackendUnavailableError: *backend* cannot run here.

    .. versionadded:: 0.6.0
    """
    try:
        job = BacktestJob(
            old,
            new,
            at=at,
            backend=backend,
            plugins=plugins,
            examples=examples,
        )
    except (TypeError, ValueError) as exc:
        raise BacktestError(str(exc)) from None
    runner = SerialRunner() if runner is None else runner
    # Built here first, so that a plan the engine refuses (a plug-in missing,
    # a backend unavailable) fails before any worker starts.
    summary = _Summary(job, prepared(job).diff, repr(runner))
    results = runner.run(job, chunked(_cases(incidents), chunk_size))
    for result in _in_order(results):
        summary.add(result, on_differing)
        if progress is not None:
            progress(summary.cases)
    return summary.report()


def _in_order(results: Iterable[ChunkResult]) -> Iterator[ChunkResult]:
    """The results in chunk order, however the runner returned them."""
    waiting: list[tuple[int, int, ChunkResult]] = []
    expected = 0
    for n, result in enumerate(results):
        heapq.heappush(waiting, (result.index, n, result))
        while waiting and waiting[0][0] == expected:
            yield heapq.heappop(waiting)[2]
            expected += 1
    while waiting:  # a runner that skipped an index: keep the rest in order
        yield heapq.heappop(waiting)[2]


class _Summary:
    def __init__(self, job: BacktestJob, diff: PlanDiff, runner: str) -> None:
        self.job = job
        self.diff = diff
        self.runner = runner
        self.cases = 0
        self.compared = 0
        self.differing = 0
        self.groups: dict[tuple[int, ...], list[Any]] = {}
        self.aspects: Counter[tuple[str, str]] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.skipped = 0
        self.skipped_examples: list[Skipped] = []
        self.cpu = 0.0
        self.memory = 0
        self.workers: set[str] = set()

    def add(
        self, result: ChunkResult, on_differing: Callable[[DifferingIncident], None] | None
    ) -> None:
        self.cases += result.cases
        self.compared += result.compared
        self.differing += len(result.differing)
        for a, b, n in result.grade_pairs:
            self.pairs[a, b] += n
        for row in result.differing:
            group = self.groups.setdefault(row.changes, [0, []])
            group[0] += 1
            if len(group[1]) < self.job.examples:
                group[1].append(row)
            for d in row.differences:
                self.aspects[d.aspect, d.item] += 1
            if on_differing is not None:
                on_differing(row)
        self.skipped += len(result.skipped)
        room = SKIPPED_LISTED - len(self.skipped_examples)
        self.skipped_examples.extend(result.skipped[: max(room, 0)])
        self.cpu += result.cpu_seconds
        self.memory = max(self.memory, result.peak_memory)
        if result.worker:
            self.workers.add(result.worker)

    def report(self) -> BacktestReport:
        groups = sorted(
            (ChangeGroup(k, v[0], tuple(v[1])) for k, v in self.groups.items()),
            key=lambda g: (-g.count, not g.changes, g.changes),
        )
        aspects = sorted(
            ((a, i, n) for (a, i), n in self.aspects.items()), key=lambda t: (-t[2], t[0], t[1])
        )
        return BacktestReport(
            diff=self.diff,
            at=self.job.at,
            cases=self.cases,
            compared=self.compared,
            differing=self.differing,
            groups=tuple(groups),
            aspects=tuple(aspects),
            grade_pairs=tuple(sorted((a, b, n) for (a, b), n in self.pairs.items())),
            skipped=self.skipped,
            skipped_examples=tuple(self.skipped_examples),
            runner=self.runner,
            cpu_seconds=self.cpu,
            peak_memory=self.memory,
            workers=tuple(sorted(self.workers)),
            grades=_grades(self.job),
        )


def _grades(job: BacktestJob) -> tuple[tuple[str, str], ...]:
    found: dict[str, tuple[int, str]] = {}
    for plan in (job.old, job.new):
        for grade in plan.grades:
            found[grade.id] = (grade.rank, grade.name)
    return tuple((g, name) for g, (_, name) in sorted(found.items(), key=lambda i: i[1][0]))
