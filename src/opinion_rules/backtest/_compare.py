"""
Comparing one chunk of incidents under both plan versions: the pure
function every runner calls (in this process, a worker process or a Dask
worker), and what it needs built once per process for a job.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from types import ModuleType

from opinion_rules._reading import InputError, load_json
from opinion_rules.authoring._diff import PlanChange, PlanDiff, diff_plans
from opinion_rules.backtest._job import (
    BacktestJob,
    Case,
    Chunk,
    ChunkResult,
    Difference,
    DifferingIncident,
    Skipped,
)
from opinion_rules.engine._engine import Engine
from opinion_rules.exceptions import FactError, OpinionRulesError, Problem
from opinion_rules.model._facts import Incident
from opinion_rules.model._results import Assessment


resource: ModuleType | None
try:
    import resource
except ImportError:  # pragma: no cover - Windows has no resource module
    resource = None


__all__ = ["closing_instant", "compare_chunk", "prepared"]

#: Fields that change a plan's words, never an outcome.
_WORDING = frozenset(
    {"clause", "title", "name", "name_en", "label", "notes", "issuer", "version", "source"}
)
#: Fields of an action that set who does it.
_WHO = frozenset({"owners", "recipients", "assignments", "routing", "routing_mode"})
#: Fields that set whether it applies ("": the action was added or removed).
_WHETHER = frozenset({"", "condition", "applies"})
#: Fields that set when it is due and its status.
_WHEN = frozenset({"", "condition", "applies", "deadline", "overrides", "family"})
#: Sections whose every change may move a grade or a category.
_FEEDS = frozenset({"grading", "measures", "parameters", "facts", "events"})
#: Sections whose every change may move an action's owners.
_ROUTING = frozenset({"duties", "routings", "stages", "chains"})
#: How many jobs a process keeps engines for.
_KEPT = 4


class Prepared:
    """The engines for a job's two plans and their diff, built once per process."""

    def __init__(self, job: BacktestJob) -> None:
        self.old = Engine(job.old, backend=job.backend, plugins=job.plugins)
        self.new = Engine(job.new, backend=job.backend, plugins=job.plugins)
        self.diff: PlanDiff = diff_plans(job.old, job.new)
        self.effective = [
            (i, c) for i, c in enumerate(self.diff.changes) if c.field not in _WORDING
        ]


# A per-process cache, keyed by the job's digest: a worker that compares many
# chunks of one job builds its engines once.  Bounded; nothing else is global.
_PREPARED: dict[str, Prepared] = {}


def prepared(job: BacktestJob) -> Prepared:
    """The engines and diff for *job*, built on first use in this process."""
    found = _PREPARED.get(job.key)
    if found is None:
        found = Prepared(job)
        while len(_PREPARED) >= _KEPT:
            _PREPARED.pop(next(iter(_PREPARED)))
        _PREPARED[job.key] = found
    return found


def compare_chunk(job: BacktestJob, chunk: Chunk) -> ChunkResult:
    """
    Compare every case of *chunk* under *job*'s two plans: a pure function
    of its arguments (the engines are built once per process and job), safe
    to run in any process.  A case whose incident is invalid, or does not
    fit a plan, is skipped and reported with its location.

    .. versionadded:: 0.6.0
    """
    started = time.process_time()
    ready = prepared(job)
    compared = 0
    differing: list[DifferingIncident] = []
    skipped: list[Skipped] = []
    pairs: Counter[tuple[str, str]] = Counter()
    for case in chunk.cases:
        try:
            incident = _incident(case)
            instants = case.at or job.at
            if instants == "closing":
                instants = (closing_instant(incident),)
            found = []
            for at in instants:
                old = ready.old.evaluate(incident, at=at)
                new = ready.new.evaluate(incident, at=at)
                found.append((at, old, new))
        except OpinionRulesError as exc:
            skipped.append(_skipped(case, exc))
            continue
        for at, old, new in found:
            compared += 1
            pairs[_grade_id(old) or "", _grade_id(new) or ""] += 1
            differences = tuple(_differences(old, new))
            if differences:
                differing.append(
                    DifferingIncident(
                        incident.id,
                        case.location,
                        at,
                        _grade_id(old),
                        _grade_id(new),
                        differences,
                        _responsible(ready, old, new, differences),
                    )
                )
    return ChunkResult(
        chunk.index,
        sum(not case.again for case in chunk.cases),
        compared,
        differing,
        skipped,
        sorted((a, b, n) for (a, b), n in pairs.items()),
        cpu_seconds=time.process_time() - started,
        peak_memory=_peak_memory(),
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )


def closing_instant(incident: Incident) -> datetime:
    """
    The incident's last recorded instant: its latest observation or event,
    or its discovery when nothing came after.

    .. versionadded:: 0.6.0
    """
    latest = incident.discovered_at
    for observation in incident.observations:
        latest = max(latest, observation.at)
    for event in incident.events:
        latest = max(latest, event.at)
    return latest


def _incident(case: Case) -> Incident:
    where = case.location
    if case.problem is not None:
        raise FactError(where, [Problem("", case.problem, "an incident")])
    data = case.incident
    if isinstance(data, Incident):
        return data
    if isinstance(data, str | bytes):
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            data = load_json(text)
        except UnicodeDecodeError as exc:
            problem = Problem("", f"not UTF-8 text ({exc.reason})", "UTF-8 JSON")
            raise FactError(where, [problem]) from None
        except json.JSONDecodeError as exc:
            at = f"{exc.colno}" if case.line is not None else f"{exc.lineno}:{exc.colno}"
            problem = Problem("", f"not valid JSON: {exc.msg}", "a JSON object")
            raise FactError(f"{where}:{at}", [problem]) from None
        except InputError as exc:
            problem = Problem("", exc.message, exc.expected or "a JSON object", exc.got)
            raise FactError(where, [problem]) from None
    return Incident.from_dict(data, source=where)


def _skipped(case: Case, exc: OpinionRulesError) -> Skipped:
    """The case, located as exactly as the error locates it (``file:line:column``)."""
    where, text = case.location, str(exc)
    subject = getattr(exc, "subject", None)
    if isinstance(subject, str) and re.fullmatch(re.escape(where) + r"(:\d+)+", subject):
        where = subject
    return Skipped(where, text if text.startswith(where) else f"{case.location}: {text}")


def _grade_id(result: Assessment) -> str | None:
    return None if result.grade is None else result.grade.id


def _categories(result: Assessment) -> str:
    return ",".join(sorted(c.id for c in result.categories if c.until is None))


def _owners(owners: Iterable[object]) -> str:
    return ",".join(getattr(o, "id", "") for o in owners)


def _differences(old: Assessment, new: Assessment) -> Iterator[Difference]:
    old_grade, new_grade = _grade_id(old), _grade_id(new)
    if old_grade != new_grade:
        yield Difference("grade", "", old_grade, new_grade)
    elif old.grade is not None and new.grade is not None and old.grade.since != new.grade.since:
        yield Difference(
            "grade_since", "", old.grade.since.isoformat(), new.grade.since.isoformat()
        )
    if _categories(old) != _categories(new):
        yield Difference("categories", "", _categories(old) or None, _categories(new) or None)
    old_actions = {a.id: a for a in old.actions}
    new_actions = {a.id: a for a in new.actions}
    for action_id in [*old_actions, *(a for a in new_actions if a not in old_actions)]:
        before, after = old_actions.get(action_id), new_actions.get(action_id)
        if before is None or after is None:
            yield Difference(
                "action",
                action_id,
                "absent" if before is None else "present",
                "absent" if after is None else "present",
            )
            continue
        if before.due != after.due:
            yield Difference("due", action_id, _iso(before.due), _iso(after.due))
        if before.status != after.status:
            yield Difference("status", action_id, before.status, after.status)
        who_before = _owners((*before.owners, *before.recipients))
        who_after = _owners((*after.owners, *after.recipients))
        if who_before != who_after:
            yield Difference("owners", action_id, who_before, who_after)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _responsible(
    ready: Prepared, old: Assessment, new: Assessment, differences: tuple[Difference, ...]
) -> tuple[int, ...]:
    """
    The changes the differing results read: a grade reads its own criteria
    and what feeds them; an action reads its own fields.  An action that
    differs without a change of its own differs because the grade or the
    categories did.
    """
    grades = {g for g in (_grade_id(old), _grade_id(new)) if g is not None}
    categories = set(_categories(old).split(",")) ^ set(_categories(new).split(","))
    grading = _matching(ready.effective, lambda c: _reads_grade(c, grades))
    sorting = _matching(ready.effective, lambda c: _reads_category(c, categories - {""}))
    found: set[int] = set()
    for d in differences:
        if d.aspect in ("grade", "grade_since"):
            found |= grading
        elif d.aspect == "categories":
            found |= sorting
        else:
            own = {i for i, c in ready.effective if _reads_action(c, d)}
            if own:
                found |= own
            else:
                found |= _upstream(differences, grading, sorting)
    return tuple(sorted(found))


def _upstream(
    differences: tuple[Difference, ...], grading: set[int], sorting: set[int]
) -> set[int]:
    aspects = {d.aspect for d in differences}
    out: set[int] = set()
    if aspects & {"grade", "grade_since"}:
        out |= grading
    if "categories" in aspects:
        out |= sorting
    return out


def _matching(
    changes: list[tuple[int, PlanChange]], test: Callable[[PlanChange], bool]
) -> set[int]:
    return {i for i, c in changes if test(c)}


def _reads_grade(change: PlanChange, grades: set[str]) -> bool:
    return change.section in _FEEDS or (change.section == "grades" and change.item in grades)


def _reads_category(change: PlanChange, categories: set[str]) -> bool:
    return change.section in _FEEDS or (
        change.section == "categories" and change.item in categories
    )


def _reads_action(change: PlanChange, difference: Difference) -> bool:
    if difference.aspect == "owners":
        if change.section in _ROUTING or change.section == "roles":
            return True
        fields = _WHO
    elif difference.aspect == "action":
        fields = _WHETHER
    else:
        fields = _WHEN
    return change.section == "actions" and change.item == difference.item and change.field in fields


def _peak_memory() -> int:
    if resource is None:  # pragma: no cover - Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
