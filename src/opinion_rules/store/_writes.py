"""
The case store's writes to the incident log: opening an incident, and
recording batches of entries, each checked by evaluating the incident with
it and materialising the agenda in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from opinion_rules._problems import describe_value
from opinion_rules.engine._engine import Engine
from opinion_rules.engine._tracking import Tracking
from opinion_rules.exceptions import (
    FactError,
    IncidentConflictError,
    OutOfOrderError,
    Problem,
    RecordFormatError,
    UnknownIncidentError,
)
from opinion_rules.model._facts import Incident, SeriesLedger
from opinion_rules.model._judgements import Judgement
from opinion_rules.model._not_applicable import fact_json
from opinion_rules.model._results import Assessment
from opinion_rules.planfile._loaders import PluginsArg
from opinion_rules.store._batches import (
    NewEntry,
    batch_positions,
    classify_batch,
    parse_batch,
    relocate,
    with_batch,
)
from opinion_rules.store._log import StoredEntry, incident_data
from opinion_rules.store._outbox import DEFAULT_LISTENER_TIMEOUT, Outbox
from opinion_rules.store._records import EntryKind, Receipt
from opinion_rules.store._tracked import Tracked, TrackedIncidents, grown
from opinion_rules.store._values import (
    canonical,
    checked_instant,
    checked_text,
    json_problem,
    text_problem,
    to_us,
)


__all__ = ["IncidentWriter"]


def _evaluate(engine: Engine, incident: Incident, at: datetime, subject: str) -> Assessment:
    try:
        return engine.evaluate(incident, at=at)
    except FactError as exc:
        raise FactError(subject, exc.problems) from None


class IncidentWriter(Outbox):
    """
    The case store's writes to the incident log.
    """

    def __init__(
        self,
        name: str,
        *,
        create: bool,
        plugins: PluginsArg = None,
        listener_timeout: float = DEFAULT_LISTENER_TIMEOUT,
    ) -> None:
        # Set first: the tables' check may already write.
        self._tracked = TrackedIncidents()
        super().__init__(name, create=create, plugins=plugins, listener_timeout=listener_timeout)

    def _forget_cached(self) -> None:
        self._tracked.clear()  # a rolled-back transaction may have read into it
        super()._forget_cached()

    def _known_log(self, incident_id: str, key: str) -> Tracked:
        """
        The incident's log as it is now, read from the database only past
        what this store object already knows of it.
        """
        tracked = self._tracked.get(incident_id)
        if tracked is not None and tracked.key == key and tracked.incident is not None:
            more = self._log(incident_id, after_seq=tracked.last_seq)
            if not more:
                return tracked
            grown_to = grown(tracked, incident_id, [(e.kind, e.item) for e in more])
            if grown_to is not None:
                tracked.log.extend(more)
                tracked.by_id.update((e.entry_id, e) for e in more)
                tracked.incident = grown_to
                return tracked
        tracked = Tracked.of(incident_id, key, self._log(incident_id))
        if tracked.incident is not None:
            self._tracked.put(incident_id, tracked)
        return tracked

    def _keep(
        self,
        incident_id: str,
        tracked: Tracked,
        new: Sequence[NewEntry],
        seqs: Mapping[str, int],
        incident: Incident,
        tracking: Tracking,
        recorded_at: datetime,
        recorded_by: str,
        *,
        grew: bool,
    ) -> None:
        """
        Remember a committed write: its entries as a read would give them
        back, the incident and its evaluation.
        """
        stored_at = datetime.fromisoformat(recorded_at.isoformat())
        added = [
            StoredEntry(
                seqs[e.entry_id],
                e.entry_id,
                e.kind,  # type: ignore[arg-type]  # an item kind, checked by parse_batch
                e.content,
                stored_at,
                to_us(recorded_at),
                recorded_by,
                json.loads(e.content),
            )
            for e in new
        ]
        if grew:  # the ledger has recorded the new observations
            tracked.log.extend(added)
            tracked.by_id.update((e.entry_id, e) for e in added)
            tracked.incident, tracked.tracking = incident, tracking
            self._tracked.put(incident_id, tracked)
            return
        log = [*tracked.log, *added]
        ledger = SeriesLedger(incident.posted_at)
        for _ in ledger.problems(incident.observations):
            pass  # it passed the same check when it was built
        kept = Tracked(tracked.key, log, {e.entry_id: e for e in log}, incident, ledger, tracking)
        self._tracked.put(incident_id, kept)

    def open_incident(
        self,
        incident_id: str,
        plan_key: str,
        *,
        discovered_at: datetime,
        posted_at: datetime | None = None,
        facts: Mapping[str, Any] | None = None,
        entry_id: str,
        recorded_at: datetime,
        recorded_by: str,
    ) -> Receipt:
        """
        Open an incident pinned to the stored plan version *plan_key*.

        The incident and its opening entry are written in one transaction,
        and the incident is evaluated at *recorded_at* for the agenda.
        Opening it again with the same *entry_id* and the same content
        returns the first receipt (``duplicate=True``) and writes nothing.

        Args:
            incident_id: The caller's incident id.
            plan_key: A key returned by :meth:`add_plan`.
            discovered_at, posted_at, facts: As in the incident interchange
                format; a judgement known at discovery is given with who
                made it (``{"value": ..., "by": ..., "role": ...}`` or a
                :class:`~opinion_rules.incidents.Judgement`).
            entry_id: The client's id for the opening entry.
            recorded_at: When this is recorded; *discovered_at* and
                *posted_at* may not be later.
            recorded_by: Who records it.

        Raises:
            UnknownPlanError: *plan_key* is not stored.
            IncidentConflictError: the incident is open with other content.
            OutOfOrderError: *discovered_at* or *posted_at* is later than
                *recorded_at*.
            FactError: the header is malformed or does not fit the plan.
            RecordFormatError: *facts* is not JSON data, or an id or
                *recorded_by* is empty.

        .. versionadded:: 0.4.0
        """
        subject = f"incident {incident_id!r}"
        checked_text("open_incident", "incident_id", incident_id)
        checked_text(subject, "plan_key", plan_key)
        checked_text(subject, "entry_id", entry_id)
        checked_text(subject, "recorded_by", recorded_by)
        recorded_at = checked_instant(subject, "recorded_at", recorded_at)
        discovered_at = checked_instant(subject, "discovered_at", discovered_at)
        if posted_at is not None:
            posted_at = checked_instant(subject, "posted_at", posted_at)
        if facts is not None and not isinstance(facts, Mapping):
            raise RecordFormatError(
                subject,
                [
                    Problem(
                        "facts",
                        "is not a mapping",
                        "an object of name: value",
                        describe_value(facts),
                    )
                ],
            )
        if facts is not None:
            # Judgements (and not-applicable values) given as Python objects
            # are kept in their interchange form.
            facts = {
                k: v.to_dict() if isinstance(v, Judgement) else fact_json(v)
                for k, v in facts.items()
            }
        problem = None if facts is None else json_problem(facts, "facts")
        if problem is not None:
            raise RecordFormatError(subject, [problem])
        item: dict[str, Any] = {"plan": plan_key, "discovered_at": discovered_at.isoformat()}
        if posted_at is not None:
            item["posted_at"] = posted_at.isoformat()
        item["facts"] = dict(facts or {})
        try:
            content = canonical(item)
        except (TypeError, ValueError) as exc:
            raise RecordFormatError(
                subject,
                [Problem("facts", f"is not JSON data: {exc}", "strings, numbers, booleans")],
            ) from None
        with self._transaction(write=True):
            self._calendar_lock(exclusive=False)
            opened = self._opening(incident_id)
            if opened is not None:
                return self._reopen(incident_id, opened, entry_id, content)
            self._sync_years()
            engine = self._engine(plan_key)
            for name, value in (("discovered_at", discovered_at), ("posted_at", posted_at)):
                if value is not None and value > recorded_at:
                    raise OutOfOrderError(incident_id, name, value, recorded_at, entry_id=entry_id)
            header = incident_data(
                incident_id,
                [
                    StoredEntry(
                        0, entry_id, "open", content, recorded_at, 0, "", json.loads(content)
                    )
                ],
            )
            where = f"incident {incident_id!r} (plan {plan_key!r}), entry {entry_id!r}"
            try:
                incident = Incident.from_dict(header, source="incident")
            except FactError as exc:
                raise FactError(where, exc.problems) from None
            assessment = _evaluate(engine, incident, recorded_at, where)
            recorded_us = to_us(recorded_at)
            inserted = self._fetch(
                "INSERT INTO incidents (incident_id, plan_key, opened_at, opened_us, latest_at, "
                "latest_us) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id) DO NOTHING "
                "RETURNING incident_id",
                (
                    incident_id,
                    plan_key,
                    recorded_at.isoformat(),
                    recorded_us,
                    recorded_at.isoformat(),
                    recorded_us,
                ),
            )
            if not inserted:  # another session opened it since we looked
                opened = self._opening(incident_id)
                assert opened is not None  # noqa: S101 - the insert just clashed with it
                return self._reopen(incident_id, opened, entry_id, content)
            seq = self._append(incident_id, entry_id, "open", content, recorded_at, recorded_by)
            self._materialise(incident_id, plan_key, assessment, recorded_at, seq)
            self._notify(incident_id, plan_key, assessment, recorded_at, lambda: None)
        return Receipt(incident_id, entry_id, seq, "open", recorded_at, recorded_by)

    def _reopen(
        self, incident_id: str, opened: StoredEntry, entry_id: str, content: str
    ) -> Receipt:
        if opened.entry_id != entry_id:
            raise IncidentConflictError(
                incident_id, "entry_id", repr(opened.entry_id), repr(entry_id)
            )
        if opened.content != content:
            stored, got = opened.item, json.loads(content)
            for name in ("plan", "discovered_at", "posted_at", "facts"):
                if stored.get(name) != got.get(name):
                    raise IncidentConflictError(
                        incident_id, name, canonical(stored.get(name)), canonical(got.get(name))
                    )
        return opened.receipt(incident_id, duplicate=True)

    def record(
        self,
        incident_id: str,
        entries: Iterable[Mapping[str, Any]],
        *,
        recorded_at: datetime,
        recorded_by: str,
        sources: Sequence[str] | None = None,
    ) -> list[Receipt]:
        """
        Append a batch of entries to an incident's log, all or nothing.

        An entry is ``{"id": "<entry id>", "observation": {...}}`` or
        ``{"id": "<entry id>", "event": {...}}``, where the inner object is
        one item of the incident interchange format.  The batch is checked by
        rebuilding the incident with it and evaluating it with the pinned
        plan at *recorded_at*: an item the format or the plan refuses is an
        error, and nothing is written.

        Entry ids are unique per incident.  An entry sent again with the same
        content is not written twice: its receipt is the first one, with
        ``duplicate=True``.

        Args:
            incident_id: The incident.
            entries: The batch, in order.
            recorded_at: When the batch is recorded: not earlier than the
                incident's latest recording, and not earlier than any
                item's own instant.
            recorded_by: Who records it.
            sources: How to name each entry's place in error messages, e.g.
                ``stdin:3``; default ``batch[0]``, ``batch[1]``, ...

        Returns:
            One receipt per entry, in batch order.

        Raises:
            UnknownIncidentError: the incident was never opened.
            RecordFormatError: an entry is not an entry (naming each
                problem's place and path).
            DuplicateEntryError: an entry id is used for other content.
            OutOfOrderError: *recorded_at* is earlier than the incident's
                latest recording, or an item's instant is later than it.
            FactError: an item is malformed or does not fit the plan; the
                subject names the entry, each problem its place and path.

        .. versionadded:: 0.4.0
        """
        subject = f"incident {incident_id!r}"
        checked_text("record", "incident_id", incident_id)
        checked_text(subject, "recorded_by", recorded_by)
        recorded_at = checked_instant(subject, "recorded_at", recorded_at)
        if isinstance(entries, str | bytes | Mapping) or not isinstance(entries, Iterable):
            got = "one entry" if isinstance(entries, Mapping) else describe_value(entries)
            raise RecordFormatError(
                subject, [Problem("entries", "is not a list of entries", "a list of entries", got)]
            )
        batch = list(entries)
        if sources is not None and (
            isinstance(sources, str)
            or len(sources) != len(batch)
            or any(text_problem(place) for place in sources)
        ):
            raise RecordFormatError(
                subject,
                [
                    Problem(
                        "sources",
                        f"does not name one place (text) for each of the {len(batch)} entries",
                        "one name per entry, e.g. stdin:3",
                        describe_value(sources),
                    )
                ],
            )
        places = (
            list(sources) if sources is not None else [f"batch[{i}]" for i in range(len(batch))]
        )
        parsed = parse_batch(subject, batch, places)
        try:
            receipts, seqs = self._write_batch(incident_id, parsed, recorded_at, recorded_by)
        except BaseException:
            # What this write grew or advanced is not in the database.
            self._tracked.forget(incident_id)
            raise
        out: list[Receipt] = []
        written: set[str] = set()
        for r in receipts:
            if isinstance(r, Receipt):
                out.append(r)
                continue
            kind: EntryKind = "observation" if r.kind == "observation" else "event"
            out.append(
                Receipt(
                    incident_id,
                    r.entry_id,
                    seqs[r.entry_id],
                    kind,
                    recorded_at,
                    recorded_by,
                    duplicate=r.entry_id in written,
                )
            )
            written.add(r.entry_id)
        return out

    def _write_batch(
        self,
        incident_id: str,
        parsed: list[NewEntry],
        recorded_at: datetime,
        recorded_by: str,
    ) -> tuple[list[Receipt | NewEntry], dict[str, int]]:
        """
        Write the new entries of *parsed* in one transaction; then remember
        the incident grown by them.
        """
        with self._transaction(write=True):
            # The calendar's lock before the incident's: add_schedule takes it
            # exclusively, so no write evaluates with schedules it replaces.
            self._calendar_lock(exclusive=False)
            head = self._fetch(
                "SELECT plan_key, latest_at, latest_us FROM incidents WHERE incident_id = ?"  # noqa: S608 - a constant lock clause
                + self._LOCK,
                (incident_id,),
            )
            if not head:
                raise UnknownIncidentError(incident_id, expected=self._close_ids(incident_id))
            with self._reading(f"incident {incident_id!r}"):
                key, latest_at, latest_us = str(head[0][0]), str(head[0][1]), int(head[0][2])
                latest = datetime.fromisoformat(latest_at)
            tracked = self._known_log(incident_id, key)
            log = tracked.log
            receipts, new = classify_batch(incident_id, tracked.by_id, parsed)
            if not new:
                return receipts, {}
            if to_us(recorded_at) < latest_us:
                raise OutOfOrderError(incident_id, "recorded_at", recorded_at, latest)
            self._sync_years()
            engine = self._engine(key)
            grown_to = grown(tracked, incident_id, [(e.kind, e.item) for e in new])
            if grown_to is None:
                self._tracked.forget(incident_id)  # its ledger is spent
                incident, instants = with_batch(incident_id, key, log, new)
            else:
                incident = grown_to
                instants = _new_instants(incident, new)
            for entry, at in zip(new, instants, strict=True):
                if at > recorded_at:
                    raise OutOfOrderError(
                        incident_id,
                        f"{entry.kind}.at",
                        at,
                        recorded_at,
                        entry_id=entry.entry_id,
                        where=entry.where,
                    )
            tracking = tracked.tracking
            try:
                if tracking is None or tracking.engine is not engine:
                    tracking = engine.track(incident, at=recorded_at)
                else:
                    tracking.advance(incident, at=recorded_at)
            except FactError as exc:
                self._tracked.forget(incident_id)
                raise relocate(exc, incident_id, key, batch_positions(log, new)) from None
            assessment = tracking.assessment
            seqs: dict[str, int] = {}
            for entry in new:
                seqs[entry.entry_id] = self._append(
                    incident_id,
                    entry.entry_id,
                    entry.kind,
                    entry.content,
                    recorded_at,
                    recorded_by,
                )
            self._fetch(
                "UPDATE incidents SET latest_at = ?, latest_us = ? WHERE incident_id = ?",
                (recorded_at.isoformat(), to_us(recorded_at), incident_id),
            )
            self._materialise(incident_id, key, assessment, recorded_at, max(seqs.values()))

            def before() -> Assessment:
                # An incident no notified write evaluated yet (opened by an
                # older version, or only written without listeners): compare
                # with its previous write, replayed.
                known = Incident.from_dict(
                    incident_data(incident_id, log), source="stored incident"
                )
                return engine.evaluate(known, at=latest)

            self._notify(incident_id, key, assessment, recorded_at, before)
        self._keep(
            incident_id,
            tracked,
            new,
            seqs,
            incident,
            tracking,
            recorded_at,
            recorded_by,
            grew=grown_to is not None,
        )
        return receipts, seqs

    def _append(
        self,
        incident_id: str,
        entry_id: str,
        kind: str,
        content: str,
        recorded_at: datetime,
        recorded_by: str,
    ) -> int:
        rows = self._fetch(
            "INSERT INTO entries (incident_id, entry_id, kind, item, recorded_at, recorded_us, "
            "recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            (
                incident_id,
                entry_id,
                kind,
                content,
                recorded_at.isoformat(),
                to_us(recorded_at),
                recorded_by,
            ),
        )
        return int(rows[0][0])


def _new_instants(incident: Incident, new: Sequence[NewEntry]) -> list[datetime]:
    """
    The instant of each new entry's item: the last ones of their sections.
    """
    counts = {"observation": 0, "event": 0}
    for entry in new:
        counts[entry.kind] += 1
    observations = iter(incident.observations[len(incident.observations) - counts["observation"] :])
    events = iter(incident.events[len(incident.events) - counts["event"] :])
    return [next(observations).at if e.kind == "observation" else next(events).at for e in new]
