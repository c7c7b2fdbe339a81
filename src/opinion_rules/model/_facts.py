"""
Incident facts: the value objects of the JSON interchange format, and
reading them from parsed JSON (incident files are read by
:mod:`opinion_rules.model._incident_files`).

The format is a stable contract with other agency systems; it is documented
in ``docs/reference/incident-format.md`` and shipped as a JSON Schema
(``opinion_rules/schemas/incident.schema.json``).  Parsing is strict: bad
input raises :class:`~opinion_rules.exceptions.FactError` naming every field
that is wrong and the form that was expected; nothing is coerced.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Literal

import attrs

from opinion_rules._limits import LARGEST_NUMBER, printable
from opinion_rules._problems import describe_value
from opinion_rules._validators import (
    is_aware,
    is_identifier,
    non_empty_text,
    optional_identifier,
    optional_token,
)
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.model._json_collect import TOO_LARGE, Collector, is_identifier_text
from opinion_rules.model._judgements import Judgement, read_judgement, scalar_problem
from opinion_rules.model._not_applicable import FactValue, NotApplicable, fact_from_json, fact_json


__all__ = ["Event", "Incident", "Observation", "SeriesLedger", "extended_incident"]

Scalar = int | float | str | bool
ObservationKind = Literal["total", "increment"]
Assertion = Literal["provisional", "confirmed"]
#: How firmly a person set a grade: 初步认定 or 确认.
ASSERTIONS: tuple[Assertion, ...] = ("provisional", "confirmed")


def _is_count(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"'{attribute.name}' must be a number (got {describe_value(value)})")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"'{attribute.name}' must be finite (got {value!r})")
    if value < 0:
        raise ValueError(f"'{attribute.name}' must not be negative (got {value!r})")
    if value > LARGEST_NUMBER:
        raise ValueError(f"'{attribute.name}' {TOO_LARGE} (got {describe_value(value)})")


def _optional_text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        non_empty_text(_inst, attribute, value)


def _optional_assertion(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in ASSERTIONS:
        raise ValueError(f"'{attribute.name}' must be one of {list(ASSERTIONS)} (got {value!r})")


def _optional_due(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None or (type(value) is date):
        return
    if not isinstance(value, datetime):
        raise TypeError(
            f"'{attribute.name}' must be a date or an aware datetime (got {describe_value(value)})"
        )
    is_aware(_inst, attribute, value)


def _is_kind(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in ("total", "increment"):
        raise ValueError(f"'{attribute.name}' must be 'total' or 'increment' (got {value!r})")


@attrs.frozen
class Observation:
    """
    One reading from a monitoring system.

    Args:
        at: When the reading was taken (timezone-aware).
        metric: What was counted, e.g. ``clicks``; the plan declares which.
        value: The count: a cumulative snapshot (``total``) or the growth
            since the previous reading of the same series (``increment``).
        site: The website, e.g. ``weibo.com``; part of the series identity.
        channel: The kind of outlet, e.g. ``weibo`` or ``blog``.
        kind: ``total`` (default) or ``increment``.
        post: The post (or thread) counted, e.g. ``weibo:4987654321``;
            part of the series identity ("单条帖文…").

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.6.0 *post*.
    """

    at: datetime = attrs.field(validator=is_aware)
    metric: str = attrs.field(validator=is_identifier)
    value: int | float = attrs.field(validator=_is_count)
    site: str | None = attrs.field(default=None, validator=_optional_text)
    channel: str | None = attrs.field(default=None, validator=_optional_text)
    kind: ObservationKind = attrs.field(default="total", validator=_is_kind)
    post: str | None = attrs.field(default=None, validator=optional_token)


@attrs.frozen
class Event:
    """
    Something that happened to the incident at an instant.

    Args:
        at: When (timezone-aware).
        type: ``action_done`` (needs *action*), ``fact`` (needs *fact* and
            *value*: the fact became known at *at*; for a judgement fact
            also *by*), ``grade_asserted`` (needs *grade* and *assertion*:
            a person set the grade), or any other event type the plan uses,
            e.g. ``subsided``, ``case_closed``, ``worsening``.
        action: For ``action_done``: the action id.  Other events may name
            the action they concern, e.g. an extension request (延期申请).
        fact: For ``fact``: the fact id.
        value: For ``fact``: its value, or :data:`~opinion_rules.NOT_APPLICABLE`
            for a fact the plan lets be not applicable.
        grade: For ``grade_asserted``: the grade id.
        assertion: For ``grade_asserted``: ``provisional`` (初步认定) or
            ``confirmed`` (确认).
        by: Who recorded, judged or asserted it (a person or unit), for
            provenance and the audit trail.
        role: The plan role *by* acted in, e.g. ``opinion_office``.
        note: Free text kept with the event.
        due: For a request or a promise about an action's due time (the
            plan's ``extension`` or ``promise`` event): the due time asked
            for or promised, an aware instant or a date (that whole day, to
            the plan's day end): "申请延期至3月10日", "承诺3日内办结".  Needs
            *action*.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.4.0 *grade*, *assertion*, *by*, *role*, *note*.
    .. versionchanged:: 0.6.0 *due*.
    """

    at: datetime = attrs.field(validator=is_aware)
    type: str = attrs.field(validator=is_identifier)
    action: str | None = None
    fact: str | None = None
    value: FactValue | None = None
    grade: str | None = attrs.field(default=None, validator=optional_identifier)
    assertion: Assertion | None = attrs.field(default=None, validator=_optional_assertion)
    by: str | None = attrs.field(default=None, validator=_optional_text)
    role: str | None = attrs.field(default=None, validator=optional_identifier)
    note: str | None = attrs.field(default=None, validator=_optional_text)
    due: date | datetime | None = attrs.field(default=None, validator=_optional_due)

    def __attrs_post_init__(self) -> None:
        if self.due is not None:
            if self.type in ("action_done", "fact", "grade_asserted"):
                raise ValueError(
                    f"'due' is not allowed on {self.type!r} events; it goes on the plan's "
                    "extension request or promise events"
                )
            if self.action is None:
                raise ValueError("an event with 'due' needs 'action' (the action it concerns)")
        if self.type == "action_done" and self.action is None:
            raise ValueError("an 'action_done' event needs 'action'")
        if self.type == "fact" and self.action is not None:
            raise ValueError("a 'fact' event takes no 'action'")
        if self.type == "grade_asserted":
            if self.grade is None or self.assertion is None:
                raise ValueError("a 'grade_asserted' event needs 'grade' and 'assertion'")
        elif self.grade is not None or self.assertion is not None:
            raise ValueError(
                "'grade' and 'assertion' are only allowed on 'grade_asserted' events "
                f"(got type {self.type!r})"
            )
        if self.type == "fact":
            if self.fact is None or self.value is None:
                raise ValueError("a 'fact' event needs 'fact' and 'value'")
        elif self.fact is not None or self.value is not None:
            raise ValueError(
                f"'fact' and 'value' are only allowed on 'fact' events (got type {self.type!r})"
            )


def _freeze_facts(
    value: Mapping[str, FactValue | Judgement],
) -> Mapping[str, FactValue | Judgement]:
    return MappingProxyType(dict(value))


def _check_facts(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"'{attribute.name}' must be a mapping of fact ids to values")
    for key, item in value.items():
        if not isinstance(key, str) or not is_identifier_text(key):
            raise ValueError(f"'{attribute.name}': {key!r} is not a fact id (an identifier)")
        problem = None if isinstance(item, Judgement | NotApplicable) else _scalar_problem(item)
        if problem is not None:
            raise ValueError(f"'{attribute.name}.{key}' {problem} (got {describe_value(item)})")


def _tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(values)


@attrs.frozen(hash=False)
class Incident:
    """
    Everything known about one incident, each piece with its instant.

    Args:
        id: The caller's identifier.
        discovered_at: When the incident was discovered (发现).
        posted_at: When the statement was first posted, if known.
        facts: Facts known from the start, keyed by the plan's fact ids; a
            judgement fact known from the start is a :class:`~opinion_rules.incidents.Judgement`
            (its value with who judged).
        observations: Monitoring readings.
        events: Things that happened: actions done, subsided, closed...

    Raises:
        FactError: for inconsistent data (see the interchange format docs).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.6.0 *facts* may hold judgements.
    """

    id: str = attrs.field(validator=non_empty_text)
    discovered_at: datetime = attrs.field(validator=is_aware)
    posted_at: datetime | None = attrs.field(default=None, validator=is_aware)
    facts: Mapping[str, FactValue | Judgement] = attrs.field(
        factory=dict, converter=_freeze_facts, validator=_check_facts
    )
    observations: tuple[Observation, ...] = attrs.field(default=(), converter=_tuple)
    events: tuple[Event, ...] = attrs.field(default=(), converter=_tuple)

    def __attrs_post_init__(self) -> None:
        problems = list(_consistency_problems(self))
        if problems:
            raise FactError(f"incident {self.id!r}", problems)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The frozen facts (a mapping proxy) do not pickle; the pickle holds
        # them as a dict, and unpickling validates the incident again.
        return (
            Incident,
            (
                self.id,
                self.discovered_at,
                self.posted_at,
                dict(self.facts),
                self.observations,
                self.events,
            ),
        )

    @classmethod
    def from_dict(cls, data: object, *, source: str = "incident") -> Incident:
        """
        Build an incident from the JSON interchange format.

        Raises:
            FactError: naming every field that is missing or malformed.

        .. versionadded:: 0.1.0
        """
        return _parse_incident(data, source)

    def fact_values(self) -> dict[str, FactValue]:
        """
        The initial facts' values, judgements unwrapped.

        .. versionadded:: 0.6.0
        """
        return {k: v.value if isinstance(v, Judgement) else v for k, v in self.facts.items()}

    def to_dict(self) -> dict[str, Any]:
        """
        Render the incident in the JSON interchange format.

        .. versionadded:: 0.1.0
        """
        out: dict[str, Any] = {
            "id": self.id,
            "discovered_at": self.discovered_at.isoformat(),
        }
        if self.posted_at is not None:
            out["posted_at"] = self.posted_at.isoformat()
        out["facts"] = {
            k: v.to_dict() if isinstance(v, Judgement) else fact_json(v)
            for k, v in self.facts.items()
        }
        out["observations"] = [
            {
                key: value
                for key, value in (
                    ("at", o.at.isoformat()),
                    ("metric", o.metric),
                    ("value", o.value),
                    ("site", o.site),
                    ("channel", o.channel),
                    ("kind", o.kind),
                    ("post", o.post),
                )
                if value is not None
            }
            for o in self.observations
        ]
        out["events"] = [
            {
                key: value
                for key, value in (
                    ("at", e.at.isoformat()),
                    ("type", e.type),
                    ("action", e.action),
                    ("fact", e.fact),
                    ("value", fact_json(e.value)),
                    ("grade", e.grade),
                    ("assertion", e.assertion),
                    ("by", e.by),
                    ("role", e.role),
                    ("note", e.note),
                    ("due", None if e.due is None else e.due.isoformat()),
                )
                if value is not None
            }
            for e in self.events
        ]
        return out


def _consistency_problems(incident: Incident) -> Iterator[Problem]:
    return SeriesLedger(incident.posted_at).problems(incident.observations)


class SeriesLedger:
    """
    What earlier observations fixed: each series' kind and each total
    reading's value, to check later observations against.

    The problems of an observation depend only on those before it, so an
    incident can be checked in parts: :meth:`problems` over the first part,
    then over the rest (numbered from *start*), finds exactly the problems a
    check of the whole finds.
    """

    def __init__(self, posted_at: datetime | None) -> None:
        self.posted_at = posted_at
        self._kinds: dict[_Key, str] = {}
        self._totals: dict[tuple[str, str | None, str | None, str | None, datetime], float] = {}

    def problems(self, observations: Iterable[Observation], start: int = 0) -> Iterator[Problem]:
        """
        Check *observations* (the incident's from index *start* on) and
        record them.
        """
        posted_at, kinds, totals = self.posted_at, self._kinds, self._totals
        for i, obs in enumerate(observations, start):
            key = (obs.metric, obs.site, obs.channel, obs.post)
            where = f"observations[{i}]"
            if posted_at is not None and obs.at < posted_at:
                yield Problem(
                    f"{where}.at",
                    "observation is earlier than posted_at",
                    f"an instant at or after {posted_at.isoformat()}",
                    obs.at.isoformat(),
                )
            known = kinds.setdefault(key, obs.kind)
            if known != obs.kind:
                yield Problem(
                    f"{where}.kind",
                    f"series {_series_name(key)} mixes 'total' and 'increment' observations",
                    f"{known!r} like the earlier ones",
                    repr(obs.kind),
                )
            if obs.kind == "total":
                seen = totals.setdefault((*key, obs.at), obs.value)
                if seen != obs.value:
                    yield Problem(
                        f"{where}.value",
                        f"series {_series_name(key)} has two different totals at "
                        f"{obs.at.isoformat()}",
                        f"{seen!r} or no second reading",
                        repr(obs.value),
                    )


def extended_incident(
    incident: Incident,
    ledger: SeriesLedger,
    observations: Iterable[Observation] = (),
    events: Iterable[Event] = (),
) -> Incident:
    """
    *incident* with *observations* and *events* appended, checked in the
    time the new items take: *ledger* has recorded *incident*'s
    observations and records the new ones.

    Raises:
        FactError: the problems a check of the whole extended incident
            finds (they can only be about the new observations); *ledger*
            is then spent (it recorded part of the items).
    """
    added = tuple(observations)
    problems = list(ledger.problems(added, len(incident.observations)))
    if problems:
        raise FactError(f"incident {incident.id!r}", problems)
    # Built without __init__: its whole-incident check costs time in the
    # number of observations, and the ledger has just made exactly that
    # check for the new part (the old part passed it when it was built).
    out: Incident = object.__new__(Incident)
    for name, value in (
        ("id", incident.id),
        ("discovered_at", incident.discovered_at),
        ("posted_at", incident.posted_at),
        ("facts", incident.facts),
        ("observations", incident.observations + added),
        ("events", incident.events + tuple(events)),
    ):
        object.__setattr__(out, name, value)
    return out


_Key = tuple[str, str | None, str | None, str | None]


def _series_name(key: _Key) -> str:
    metric, site, channel, post = key
    named = "" if post is None else f", post={post!r}"
    return f"({metric}, site={site!r}, channel={channel!r}{named})"


# -- parsing ----------------------------------------------------------------


_scalar_problem = scalar_problem


_INCIDENT_KEYS = ("id", "discovered_at", "posted_at", "facts", "observations", "events")
_OBSERVATION_KEYS = ("at", "metric", "value", "site", "channel", "kind", "post")
_EVENT_KEYS = (
    "at",
    "type",
    "action",
    "fact",
    "value",
    "grade",
    "assertion",
    "by",
    "role",
    "note",
    "due",
)


def _parse_incident(data: object, source: str) -> Incident:
    c = Collector()
    if not isinstance(data, Mapping):
        raise FactError(
            source, [Problem("", "the incident must be a JSON object", got=describe_value(data))]
        )
    c.keys(data, _INCIDENT_KEYS, "")
    incident_id = c.text(data, "id", "", required=True)
    discovered = c.time(data, "discovered_at", "", required=True)
    posted = c.time(data, "posted_at", "", required=False)
    facts = _parse_facts(c, data.get("facts", {}))
    observations = list(_parse_observations(c, data.get("observations", [])))
    events = list(_parse_events(c, data.get("events", [])))
    subject = f"{source} {incident_id!r}" if incident_id else source
    if c.problems:
        raise FactError(subject, c.problems)
    assert incident_id is not None  # noqa: S101 - no problems means it parsed
    assert discovered is not None  # noqa: S101
    return Incident(incident_id, discovered, posted, facts, observations, events)


def _parse_facts(c: Collector, facts: object) -> dict[str, FactValue | Judgement]:
    if not isinstance(facts, Mapping):
        c.add("facts", "is not an object", "an object of name: value", describe_value(facts))
        return {}
    out: dict[str, FactValue | Judgement] = {}
    for key, given in facts.items():
        value = fact_from_json(given)
        problem = None if isinstance(value, NotApplicable) else _scalar_problem(value)
        if not is_identifier_text(str(key)):
            c.add(
                f"facts.{printable(str(key))}",
                "is not an identifier",
                "a letter, then letters, digits or '_'",
            )
        elif isinstance(value, Mapping):
            judgement, problems = read_judgement(value, f"facts.{key}")
            c.problems.extend(problems)
            if judgement is not None:
                out[key] = judgement
        elif problem is not None:
            c.add(f"facts.{key}", problem, _SCALAR_OR_JUDGEMENT, describe_value(value))
        else:
            out[key] = value
    return out


_SCALAR_OR_JUDGEMENT = (
    'a string, number or boolean, {"not_applicable": true}, or a judgement {value, by, role}'
)


_SCALAR = 'a string, number or boolean, or {"not_applicable": true}'


def _parse_observations(c: Collector, items: object) -> Iterator[Observation]:
    if not isinstance(items, list):
        c.add("observations", "is not a list", "a JSON array", describe_value(items))
        return
    for i, item in enumerate(items):
        path = f"observations[{i}]."
        if not isinstance(item, Mapping):
            c.add(f"observations[{i}]", "is not an object", "a JSON object", describe_value(item))
            continue
        before = len(c.problems)
        c.keys(item, _OBSERVATION_KEYS, path)
        at = c.time(item, "at", path, required=True)
        metric = c.text(item, "metric", path, required=True, identifier=True)
        site = c.text(item, "site", path, required=False)
        channel = c.text(item, "channel", path, required=False)
        post = c.text(item, "post", path, required=False)
        if post is not None and any(ch.isspace() for ch in post):
            c.add(f"{path}post", "contains whitespace", "an id such as 'weibo:4987654321'")
        value = c.number(item, path)
        kind = item.get("kind", "total")
        if kind not in ("total", "increment"):
            c.add(
                f"{path}kind", "is not a known kind", "'total' or 'increment'", describe_value(kind)
            )
        if len(c.problems) == before:
            assert at is not None  # noqa: S101 - no new problems means it parsed
            assert metric is not None  # noqa: S101
            yield Observation(at, metric, value, site, channel, kind, post)  # type: ignore[arg-type]  # checked above


def _parse_events(c: Collector, items: object) -> Iterator[Event]:
    if not isinstance(items, list):
        c.add("events", "is not a list", "a JSON array", describe_value(items))
        return
    for i, item in enumerate(items):
        path = f"events[{i}]."
        if not isinstance(item, Mapping):
            c.add(f"events[{i}]", "is not an object", "a JSON object", describe_value(item))
            continue
        before = len(c.problems)
        c.keys(item, _EVENT_KEYS, path)
        at = c.time(item, "at", path, required=True)
        event_type = c.text(item, "type", path, required=True, identifier=True)
        action = c.text(item, "action", path, required=event_type == "action_done", identifier=True)
        fact = c.text(item, "fact", path, required=event_type == "fact", identifier=True)
        value = fact_from_json(item.get("value"))
        if event_type == "fact":
            problem = None if isinstance(value, NotApplicable) else _scalar_problem(value)
            if "value" not in item:
                c.add(f"{path}value", "is missing", "the fact's value")
            elif problem is not None:
                c.add(f"{path}value", problem, _SCALAR, describe_value(value))
        elif "value" in item:
            c.add(f"{path}value", "is only allowed on 'fact' events")
        if event_type == "fact" and "action" in item:
            c.add(f"{path}action", "is not allowed on 'fact' events")
        if event_type not in (None, "fact") and "fact" in item:
            c.add(f"{path}fact", "is only allowed on 'fact' events")
        asserted = event_type == "grade_asserted"
        grade = c.text(item, "grade", path, required=asserted, identifier=True)
        assertion = item.get("assertion")
        if asserted and assertion not in ASSERTIONS:
            c.add(
                f"{path}assertion",
                "is missing" if assertion is None else "is not a known assertion",
                f"one of {list(ASSERTIONS)}",
                None if assertion is None else describe_value(assertion),
            )
        for key in ("grade", "assertion"):
            if not asserted and event_type is not None and key in item:
                c.add(f"{path}{key}", "is only allowed on 'grade_asserted' events")
        by = c.text(item, "by", path, required=False)
        role = c.text(item, "role", path, required=False, identifier=True)
        note = c.text(item, "note", path, required=False)
        due = c.day_or_time(item, "due", path)
        if due is not None:
            if event_type in ("action_done", "fact", "grade_asserted"):
                c.add(f"{path}due", f"is not allowed on {event_type!r} events")
            elif action is None:
                c.add(f"{path}action", "is missing", "the action whose due time 'due' concerns")
        if len(c.problems) == before:
            assert at is not None  # noqa: S101 - no new problems means it parsed
            assert event_type is not None  # noqa: S101
            yield Event(at, event_type, action, fact, value, grade, assertion, by, role, note, due)
