"""
The values a back-test passes between processes: the job (two plans, the
instants, the backend), the cases (one incident each, with where it came
from), a chunk of cases, and what comparing a chunk found.

Every value here pickles, so a runner may send it to a worker process or a
cluster; the plans travel inside the job.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

import attrs

from opinion_rules.engine._registry import DEFAULT_BACKEND
from opinion_rules.model._facts import Incident
from opinion_rules.model._plan import Plan


__all__ = [
    "BacktestJob",
    "Case",
    "Chunk",
    "ChunkResult",
    "Difference",
    "DifferingIncident",
    "Instants",
    "Skipped",
]

#: When to compare: ``"closing"`` (each incident's last recorded instant) or
#: the instants listed.
Instants = Literal["closing"] | tuple[datetime, ...]

#: What a :class:`Difference` is about.
ASPECTS = ("grade", "grade_since", "categories", "action", "due", "status", "owners")


def _instants(value: object) -> Instants:
    if value == "closing":
        return "closing"
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"'at' must be 'closing' or instants (got {value!r})")
    found = tuple(value)
    if not found:
        raise ValueError("'at' must list at least one instant")
    for t in found:
        if not isinstance(t, datetime) or t.utcoffset() is None:
            raise ValueError(f"'at' must hold timezone-aware datetimes (got {t!r})")
    return tuple(sorted(set(found)))


def _tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(values)


def _plan(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Plan):
        raise TypeError(f"'{attribute.name}' must be a Plan (got {type(value).__name__})")


def _names(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"'plugins' must be a list of names, not the string {value!r}")
    found = tuple(value)
    for name in found:
        if not isinstance(name, str) or not name:
            raise TypeError(f"'plugins' must hold plug-in names (got {name!r})")
    return found


@attrs.frozen(eq=False)
class BacktestJob:
    """
    What a back-test compares: plan versions *old* and *new*, at *at*, with
    one backend and the plug-ins both plans need.  It pickles (the plans
    travel with it) so that every worker builds the same engines; each
    process builds them once per job (see ``key``).

    Args:
        old: The plan in force.
        new: The revision.
        at: ``"closing"`` (default: each incident at its last recorded
            instant, every observation and event seen) or the instants to
            compare at (timezone-aware; sorted, repeats dropped).
        backend: The engine backend (``python`` by default).
        plugins: Plug-in names (modules or entry points) both engines enable.
        examples: How many example incidents the report keeps per group.

    .. versionadded:: 0.6.0
    """

    old: Plan = attrs.field(validator=_plan)
    new: Plan = attrs.field(validator=_plan)
    at: Instants = attrs.field(default="closing", converter=_instants)
    backend: str = attrs.field(default=DEFAULT_BACKEND, validator=attrs.validators.instance_of(str))
    plugins: tuple[str, ...] = attrs.field(default=(), converter=_names)
    examples: int = attrs.field(default=5, validator=attrs.validators.ge(0))
    #: A digest of everything above: equal jobs have equal keys, and a
    #: worker's engines are cached under it.
    key: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        digest = hashlib.sha256(
            pickle.dumps(
                (self.old, self.new, self.at, self.backend, self.plugins, self.examples),
                protocol=5,
            )
        )
        object.__setattr__(self, "key", digest.hexdigest()[:32])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BacktestJob) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


def _case_incident(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Incident | Mapping | str | bytes):
        raise TypeError(
            f"'{attribute.name}' must be an Incident, incident data or JSON text "
            f"(got {type(value).__name__})"
        )


def _case_at(value: object) -> tuple[datetime, ...] | None:
    return None if value is None else _instants(value)  # type: ignore[return-value]


@attrs.frozen
class Case:
    """
    One incident to compare, as a source read it: an
    :class:`~opinion_rules.Incident`, its data in the interchange format, or
    that data as JSON text (parsed and checked where it is compared, so a
    bad incident is reported there with *where*).

    Args:
        where: Where it came from: the file (of a folder, or of JSON Lines,
            with *line*), ``store:incident-id``, ``incident 3``.
        incident: The incident.
        at: The instants to compare it at, when the source decided them
            (a store replays the log as of each listed instant, one case per
            instant); ``None`` means the job's ``BacktestJob.at``.
        line: For JSON Lines, the line of *where* the text is.
        problem: Why the source could not read the incident (it is then
            reported as skipped, with its location).
        again: This incident was given before, as known at another
            instant (a store's replay at listed instants); it is not
            counted again among the incidents read.

    .. versionadded:: 0.6.0
    """

    where: str = attrs.field(validator=attrs.validators.instance_of(str))
    incident: Incident | Mapping[str, Any] | str | bytes = attrs.field(validator=_case_incident)
    at: tuple[datetime, ...] | None = attrs.field(default=None, converter=_case_at)
    line: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    problem: str | None = None
    again: bool = False

    @property
    def location(self) -> str:
        """*where*, with the line for JSON Lines: ``past.jsonl:7``."""
        return self.where if self.line is None else f"{self.where}:{self.line}"


@attrs.frozen
class Chunk:
    """
    A run of consecutive cases, numbered from 0 in source order; the unit a
    runner sends to a worker.

    .. versionadded:: 0.6.0
    """

    index: int = attrs.field(validator=attrs.validators.ge(0))
    cases: tuple[Case, ...] = attrs.field(converter=_tuple)


@attrs.frozen
class Difference:
    """
    One way an incident's outcome differs between the versions at one
    instant.

    Args:
        aspect: ``grade`` (the grade's id), ``grade_since`` (when it was
            reached), ``categories`` (the ids matched, comma-separated),
            ``action`` (whether the action applies: ``present`` or
            ``absent``), ``due`` (its due instant, ISO 8601), ``status``
            or ``owners`` (the role ids, comma-separated).
        item: The action's id for the action aspects, else ``""``.
        old: The value under the old plan (``None``: none).
        new: The value under the new plan.

    .. versionadded:: 0.6.0
    """

    aspect: str = attrs.field(validator=attrs.validators.in_(ASPECTS))
    item: str
    old: str | None
    new: str | None

    def to_data(self) -> dict[str, Any]:
        """The difference as JSON-ready data."""
        return {"aspect": self.aspect, "item": self.item, "old": self.old, "new": self.new}


@attrs.frozen
class DifferingIncident:
    """
    An incident whose outcome differs at one instant, with what differs and
    the plan changes responsible.

    Args:
        incident_id: The incident's id.
        where: Where the source read it.
        at: The instant compared.
        old_grade: The grade's id under the old plan (``None``: no grade).
        new_grade: The grade's id under the new plan.
        differences: What differs, grade first, then actions in plan order.
        changes: The indexes, in the report's ``diff.changes``, of the
            changes the differing results read; empty when no change can be
            told.

    .. versionadded:: 0.6.0
    """

    incident_id: str
    where: str
    at: datetime
    old_grade: str | None
    new_grade: str | None
    differences: tuple[Difference, ...] = attrs.field(converter=_tuple)
    changes: tuple[int, ...] = attrs.field(converter=_tuple)

    def to_data(self) -> dict[str, Any]:
        """The incident as JSON-ready data (one line of the JSON Lines output)."""
        return {
            "incident": self.incident_id,
            "where": self.where,
            "at": self.at.isoformat(),
            "old_grade": self.old_grade,
            "new_grade": self.new_grade,
            "differences": [d.to_data() for d in self.differences],
            "changes": list(self.changes),
        }


@attrs.frozen
class Skipped:
    """
    A case that could not be compared: its incident is not valid, or does
    not fit a plan.  *where* locates it; *message* is the error's text.

    .. versionadded:: 0.6.0
    """

    where: str
    message: str


@attrs.frozen
class ChunkResult:
    """
    What comparing one chunk found: the chunk's index, how many incidents
    it held (cases given ``again`` are not counted) and how many
    (incident, instant) pairs were compared, the ones that differ, the
    cases skipped, and the grade pairs (old grade id, new grade id, ``""``
    for none) counted over every comparison.  The worker's
    CPU time for the chunk, its peak resident memory so far (bytes; 0 where
    the platform does not tell) and its name (``host:pid``) are for
    benchmarks.

    .. versionadded:: 0.6.0
    """

    index: int
    cases: int
    compared: int
    differing: tuple[DifferingIncident, ...] = attrs.field(converter=_tuple)
    skipped: tuple[Skipped, ...] = attrs.field(converter=_tuple)
    grade_pairs: tuple[tuple[str, str, int], ...] = attrs.field(converter=_tuple)
    cpu_seconds: float = 0.0
    peak_memory: int = 0
    worker: str = ""
