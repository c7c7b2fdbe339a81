"""
Deadlines set by people within the plan's bounds (issue 13, point 6):
extension requests carrying the date asked for, extensions allowed only
under a condition or a number of times, caps counted like the deadline,
and promised due times (承诺时限) that bind when earlier.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules import deadlines
from opinion_rules.authoring import lint_plan
from opinion_rules.conditions import fact
from opinion_rules.deadlines import Extension, Offset
from opinion_rules.exceptions import FactError, PlanValidationError
from opinion_rules.model._deadlines import cap_offset
from opinion_rules.planfile import dump_plan
from opinion_rules.planfile._loaders import read_plan_text

from .test_time_engine import action, at, end_of, plan_with


TZ = ZoneInfo("Asia/Shanghai")
START = at(3, 3, 9)  # Monday 2025-03-03, discovery
LATER = at(4, 30)  # after every due time these tests set


def handle(
    extension: Extension | None = None, promise: str | None = None, **offset: object
) -> o.Action:
    """次日起7日内办结 (due at the end of 03-10), with *extension* and *promise*."""
    fields = {"days": 7, "start_next_day": True, **offset}
    return action(
        "handle",
        deadlines.after("discovered", extension=extension, promise=promise, **fields),  # type: ignore[arg-type]
    )


def plan(*actions: o.Action) -> o.Plan:
    return plan_with(
        *actions,
        facts=(
            o.FactSpec("level", type="enum", choices=("minor", "major"), ordered=True),
            o.FactSpec("kind", type="enum", choices=("inquiry", "rumour")),
            o.FactSpec("complex", type="bool"),
        ),
        events=(
            o.EventSpec("extension_requested", "申请延期"),
            o.EventSpec("promised", "承诺办结时限"),
            o.EventSpec("case_claimed", "受理"),
        ),
    )


def ask(
    when: datetime, due: date | datetime | None = None, kind: str = "extension_requested"
) -> o.Event:
    return o.Event(when, kind, action="handle", due=due)


def evaluate(
    p: o.Plan,
    *events: o.Event,
    when: datetime = LATER,
    backend: str = "python",
    **facts: object,
) -> o.ActionStatus:
    incident = o.Incident("INC", discovered_at=START, facts=facts, events=events)
    return o.Engine(p, backend=backend).evaluate(incident, at=when).action("handle")


ASKED = Extension("extension_requested", cap=Offset(days=15))


# -- the date asked for ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        pytest.param(date(2025, 3, 14), end_of(3, 14), id="a date: to the end of that day"),
        pytest.param(at(3, 14, 17), at(3, 14, 17), id="an instant: that instant"),
        pytest.param(date(2025, 3, 31), end_of(3, 18), id="beyond the cap: the cap"),
        pytest.param(date(2025, 3, 8), end_of(3, 10), id="earlier than the due: never shortens"),
    ],
)
def test_a_request_moves_the_due_time_to_the_earlier_of_the_date_asked_and_the_cap(
    asked, expected, backend
):
    """申请延期至X日: the new due time is min(asked, cap), never earlier than before."""
    status = evaluate(plan(handle(ASKED)), ask(at(3, 5, 10), asked), when=at(3, 6), backend=backend)

    assert expected == status.due
    assert (None if expected == end_of(3, 10) else end_of(3, 10)) == status.extended_from


def test_with_by_a_request_naming_a_date_is_held_to_by():
    """可延期3日: a request asking for more than 'by' gets 'by'; asking for less gets its date."""
    p = plan(handle(Extension("extension_requested", by=Offset(days=3), cap=Offset(days=15))))

    assert end_of(3, 13) == evaluate(p, ask(at(3, 5), date(2025, 3, 20))).due
    assert end_of(3, 12) == evaluate(p, ask(at(3, 5), date(2025, 3, 12))).due
    assert end_of(3, 13) == evaluate(p, ask(at(3, 5))).due


def test_times_limits_the_requests_granted():
    """可延期一次: the second request is not granted; one that moved nothing is not counted."""
    p = plan(handle(attrs.evolve(ASKED, times=1)))
    status = evaluate(
        p,
        ask(at(3, 4), date(2025, 3, 9)),  # earlier than the due: moves nothing
        ask(at(3, 5), date(2025, 3, 12)),
        ask(at(3, 6), date(2025, 3, 16)),
    )

    assert end_of(3, 12) == status.due


def test_a_request_after_the_due_time_in_force_rescues_nothing():
    """A request made after the deadline passed is ignored."""
    status = evaluate(
        plan(handle(ASKED)), ask(end_of(3, 10) + timedelta(seconds=1), date(2025, 3, 14))
    )

    assert (end_of(3, 10), "overdue") == (status.due, status.status)


# -- the cap, counted like the deadline ------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "cap"),
    [
        pytest.param(
            {"days": 7, "start_next_day": True}, Offset(days=15, start_next_day=True), id="次日起"
        ),
        pytest.param({"days": 7, "start_next_day": False}, Offset(days=15), id="elapsed days"),
        pytest.param(
            {"days": 7, "start_next_day": False, "extend_past_holiday": True},
            Offset(days=15, extend_past_holiday=True),
            id="past holidays",
        ),
    ],
)
def test_a_cap_in_days_is_counted_the_way_the_deadline_is(deadline, cap):
    """最长不超过15日 under 次日起7日内 runs from the next day to a day's end too."""
    p = plan(handle(Extension("extension_requested", cap=Offset(days=15)), **deadline))
    status = evaluate(p, ask(at(3, 4), date(2025, 12, 31)), when=at(3, 5))

    assert cap_offset(p.actions[0].deadline) == cap
    assert status.due is not None
    assert (
        status.due
        == o.Engine(plan(action("handle", deadlines.after("discovered", **attrs.asdict(cap)))))
        .evaluate(o.Incident("INC", discovered_at=START), at=at(3, 5))
        .action("handle")
        .due
    )


def test_an_end_of_day_deadline_counts_its_cap_in_days_to_a_day_end():
    """当日内, 最长不超过3日: the cap ends at the end of the third day after."""
    p = plan(
        action(
            "handle",
            deadlines.end_of_day(
                "discovered", extension=Extension("extension_requested", cap=Offset(days=3))
            ),
        )
    )

    assert end_of(3, 6) == evaluate(p, ask(at(3, 3, 10), date(2025, 3, 30))).due


def test_cap_from_due_counts_the_cap_beyond_the_original_due_time():
    """延长的期限最长不超过5个工作日: the cap runs from the due time before any extension."""
    extension = Extension("extension_requested", cap=Offset(working_days=5), cap_from="due")
    p = plan(action("handle", deadlines.after("discovered", working_days=5, extension=extension)))
    # 5 working days from Monday 03-03: Monday 03-10; 5 more: Monday 03-17.
    assert end_of(3, 17) == evaluate(p, ask(at(3, 4), date(2025, 4, 30))).due


# -- extensions allowed under a condition -------------------------------------------------------


CONDITIONAL = attrs.evolve(ASKED, when=fact("complex").eq(True))


def test_a_request_is_granted_once_its_condition_holds_before_the_due_time(backend):
    """情况复杂的，可延期: unknown at the request, known true later (before the due): granted."""
    known = o.Event(at(3, 7), "fact", fact="complex", value=True)
    status = evaluate(
        plan(handle(CONDITIONAL)), ask(at(3, 5), date(2025, 3, 14)), known, backend=backend
    )

    assert end_of(3, 14) == status.due


@pytest.mark.parametrize(
    ("facts", "events", "unsure"),
    [
        pytest.param({"complex": False}, [], False, id="known false"),
        pytest.param(
            {}, [o.Event(at(3, 12), "fact", fact="complex", value=True)], False, id="true too late"
        ),
        pytest.param({}, [], True, id="unknown throughout"),
    ],
)
def test_a_request_whose_condition_does_not_hold_by_the_due_time_is_not_granted(
    facts, events, unsure, backend
):
    """Not granted unless the condition held between the request and the due time."""
    p = plan(handle(CONDITIONAL))
    incident = o.Incident(
        "INC", discovered_at=START, facts=facts, events=(ask(at(3, 5), date(2025, 3, 14)), *events)
    )
    result = o.Engine(p, backend=backend).evaluate(incident, at=at(3, 13))

    assert (end_of(3, 10), "overdue") == (
        result.action("handle").due,
        result.action("handle").status,
    )
    extension_items = [u for u in result.undecided if u.kind == "extension"]
    assert ([("handle", ("complex",))] if unsure else []) == [
        (u.id, u.needs) for u in extension_items
    ]


# -- promised due times ------------------------------------------------------------------------


def test_an_earlier_promise_binds_and_a_later_one_does_not():
    """承诺时限早于规定期限的，按承诺时限: the plan's due stays the bound."""
    p = plan(handle(promise="promised"))

    earlier = evaluate(p, ask(at(3, 4), date(2025, 3, 6), "promised"))
    later = evaluate(p, ask(at(3, 4), date(2025, 3, 20), "promised"))

    assert (end_of(3, 6), end_of(3, 10)) == (earlier.due, earlier.plan_due)
    assert (end_of(3, 10), None) == (later.due, later.plan_due)


def test_the_latest_promise_made_in_time_binds():
    """A new promise before the promised time replaces it; one after it passed does not."""
    p = plan(handle(promise="promised"))
    status = evaluate(
        p,
        ask(at(3, 4), date(2025, 3, 5), "promised"),
        ask(at(3, 5, 12), date(2025, 3, 7), "promised"),
        ask(at(3, 8, 12), date(2025, 3, 9), "promised"),  # after 03-07 passed
    )

    assert (end_of(3, 7), "overdue") == (status.due, status.status)


def test_a_promise_sets_the_due_time_of_a_duty_the_plan_gives_none():
    """及时办理, 承诺时限: a 'none' deadline is due by the promise."""
    p = plan(action("handle", deadlines.no_deadline("discovered", promise="promised")))
    status = evaluate(p, ask(at(3, 4), at(3, 6, 18), "promised"), when=at(3, 5))

    assert (at(3, 6, 18), None, "pending") == (status.due, status.plan_due, status.status)


def test_a_promise_binds_within_an_extended_due_time():
    """Extensions move the plan's bound; a promise then sets an earlier due inside it."""
    p = plan(handle(ASKED, promise="promised"))
    status = evaluate(
        p, ask(at(3, 4), date(2025, 3, 16)), ask(at(3, 5), date(2025, 3, 12), "promised")
    )

    assert (end_of(3, 12), end_of(3, 16), end_of(3, 10)) == (
        status.due,
        status.plan_due,
        status.extended_from,
    )


# -- the semantics as properties ---------------------------------------------------------------


REQUESTS = st.lists(st.tuples(st.integers(0, 20 * 24), st.integers(0, 40)), max_size=5)


@given(REQUESTS, st.one_of(st.none(), st.integers(1, 3)))
def test_extensions_never_shorten_and_never_pass_the_cap(requests, times):
    """Whatever is asked, the due time is between the plan's and max(plan's, cap)."""
    extension = Extension("extension_requested", cap=Offset(days=15), times=times)
    events = sorted(
        (
            ask(START + timedelta(hours=h), (START + timedelta(hours=h)).date() + timedelta(days=d))
            for h, d in requests
        ),
        key=lambda e: e.at,
    )
    status = evaluate(plan(handle(extension)), *events)

    assert end_of(3, 10) <= status.due <= end_of(3, 18)
    granted_dates = {end_of(e.due.month, e.due.day) for e in events}  # type: ignore[union-attr]
    assert status.due in {end_of(3, 10), end_of(3, 18)} | granted_dates


@given(REQUESTS)
def test_a_promise_is_never_later_than_the_plans_due_time(promises):
    """A promise only ever binds earlier than the plan's own due time."""
    events = sorted(
        (
            ask(
                START + timedelta(hours=h),
                (START + timedelta(hours=h)).date() + timedelta(days=d),
                "promised",
            )
            for h, d in promises
        ),
        key=lambda e: e.at,
    )
    status = evaluate(plan(handle(promise="promised")), *events)

    assert status.due is not None
    assert status.due <= end_of(3, 10)
    assert (status.plan_due is None) == (status.due == end_of(3, 10))


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "message"),
    [
        pytest.param(
            o.Event(at(3, 4), "case_claimed", action="handle", due=date(2025, 3, 9)),
            "only an action's extension requests and promises take 'due'",
            id="due on another event",
        ),
        pytest.param(
            ask(at(3, 4), None, "promised"),
            "a promise does not say the due time promised",
            id="promise without due",
        ),
        pytest.param(
            ask(at(3, 4), None),
            "this plan's extension requests name the date asked for",
            id="dated request without due",
        ),
        pytest.param(
            ask(at(3, 4), date(2025, 3, 3)),
            "the due time asked for or promised is before the event itself",
            id="due before the event",
        ),
    ],
)
def test_misplaced_or_missing_due_times_are_located_errors(event, message):
    """An incident's 'due' is checked against the plan, with the event's path."""
    p = plan(handle(ASKED, promise="promised"))
    with pytest.raises(FactError) as caught:
        evaluate(p, event)

    assert [("events[0].due", True)] == [
        (problem.path, problem.message.startswith(message)) for problem in caught.value.problems
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"type": "action_done", "action": "a"}, "'due' is not allowed on", id="done"),
        pytest.param({"type": "promised"}, "needs 'action'", id="no action"),
        pytest.param(
            {"type": "promised", "action": "a", "due": datetime(2025, 3, 4)},  # noqa: DTZ001 - naive on purpose
            "must be timezone-aware",
            id="naive",
        ),
    ],
)
def test_events_refuse_a_due_they_cannot_carry(kwargs, message):
    """Event(due=...) needs an action, a custom event type and an aware instant or a date."""
    fields = {"due": date(2025, 3, 4), **kwargs}
    with pytest.raises((TypeError, ValueError), match=message):
        o.Event(at(3, 3), **fields)  # type: ignore[arg-type]


def test_incident_json_reads_and_writes_due_as_a_date_or_an_instant():
    """'due' is 'YYYY-MM-DD' or an ISO instant in the interchange format, and round-trips."""
    data = {
        "id": "I",
        "discovered_at": "2025-03-03T09:00:00+08:00",
        "events": [
            {
                "at": "2025-03-04T09:00:00+08:00",
                "type": "promised",
                "action": "handle",
                "due": "2025-03-06",
            },
            {
                "at": "2025-03-04T10:00:00+08:00",
                "type": "promised",
                "action": "handle",
                "due": "2025-03-06T18:00:00+08:00",
            },
        ],
    }
    incident = o.Incident.from_dict(data)

    assert [date(2025, 3, 6), datetime(2025, 3, 6, 18, tzinfo=TZ)] == [
        e.due for e in incident.events
    ]
    assert data["events"] == incident.to_dict()["events"]


@pytest.mark.parametrize(
    ("due", "message"),
    [
        pytest.param("2025-02-30", "is not a date", id="no such day"),
        pytest.param("2025-03-06T18:00:00", "has no UTC offset", id="naive"),
        pytest.param(20250306, "is not a datetime string", id="a number"),
    ],
)
def test_bad_due_in_incident_json_is_a_located_error(due, message):
    """A malformed 'due' names its path and the forms expected."""
    data = {
        "id": "I",
        "discovered_at": "2025-03-03T09:00:00+08:00",
        "events": [
            {"at": "2025-03-04T09:00:00+08:00", "type": "promised", "action": "h", "due": due}
        ],
    }
    with pytest.raises(FactError) as caught:
        o.Incident.from_dict(data)

    assert [("events[0].due", True)] == [
        (p.path, p.message.startswith(message)) for p in caught.value.problems
    ]


# -- plan files ---------------------------------------------------------------------------------


def test_extension_and_promise_keys_round_trip_through_plan_files():
    """when, times, cap_from, a 'by'-less extension and promise read and write back."""
    extension = Extension(
        "extension_requested",
        cap=Offset(working_days=10),
        cap_from="due",
        times=2,
        when=fact("complex").eq(True),
    )
    p = plan(
        action(
            "handle",
            deadlines.after("discovered", working_days=5, extension=extension, promise="promised"),
        )
    )
    text = dump_plan(p, "yaml")

    assert p == read_plan_text(text, "yaml", "plan.yaml")
    assert "cap_from: due" in text
    assert "promise: promised" in text


@pytest.mark.parametrize(
    ("extension", "where"),
    [
        pytest.param("{event: extension_requested, cap_from: end}", "cap_from", id="cap_from"),
        pytest.param("{event: extension_requested, times: 0}", "times", id="times"),
        pytest.param("{event: extension_requested, when: 'complex =='}", "when", id="when"),
        pytest.param(
            "{event: extension_requested, when: 'unknown_fact == true'}", "when", id="name"
        ),
    ],
)
def test_bad_extension_keys_are_located(extension, where):
    """A wrong extension key points at its line in the plan file."""
    text = dump_plan(plan(handle(ASKED)), "yaml").replace(
        "extension: {event: extension_requested, cap: 15d}",
        f"extension: {extension}",
    )
    assert f"extension: {extension}" in text
    with pytest.raises(PlanValidationError) as caught:
        read_plan_text(text, "yaml", "plan.yaml")

    assert any("deadline.extension" in p.path for p in caught.value.problems)
    assert any(where in p.path or where in p.message for p in caught.value.problems)


# -- lint --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "codes"),
    [
        pytest.param(
            Extension("extension_requested", cap=Offset(days=5)),
            ["extension-cap-never-extends"],
            id="cap below the deadline",
        ),
        pytest.param(
            Extension("extension_requested", cap=Offset(days=5), cap_from="due"),
            [],
            id="the same cap past the due time",
        ),
        pytest.param(Extension("extension_requested"), ["extension-unbounded"], id="unbounded"),
        pytest.param(ASKED, [], id="a cap beyond the deadline"),
    ],
)
def test_lint_reports_extensions_that_cannot_extend_or_are_unbounded(extension, codes):
    """check warns when the cap never passes the deadline, or nothing bounds a request."""
    findings = lint_plan(plan(handle(extension)))

    assert codes == [f.code for f in findings if f.code.startswith("extension-")]


# -- the case store ----------------------------------------------------------------------------


def test_the_case_store_keeps_the_date_asked_for_and_the_promise(tmp_path):
    """A request's and a promise's 'due' survive the store's log and move the due time."""
    phrases = Path(__file__).parent.parent / "docs" / "how-to" / "phrases"
    p = o.load_plan(phrases / "6-set-by-people.yaml")
    opened_at = datetime(2026, 3, 2, 9, tzinfo=TZ)
    with o.open_store(str(tmp_path / "cases.db"), create=True) as store:
        key = store.add_plan(p)
        store.open_incident(
            "WZ",
            key,
            discovered_at=opened_at,
            entry_id="open",
            recorded_at=opened_at,
            recorded_by="desk",
        )
        store.record(
            "WZ",
            [
                {
                    "id": "ask",
                    "event": {
                        "at": "2026-03-04T10:00:00+08:00",
                        "type": "extension_requested",
                        "action": "handle",
                        "due": "2026-03-16",
                    },
                },
                {
                    "id": "judged",
                    "event": {
                        "at": "2026-03-05T15:00:00+08:00",
                        "type": "fact",
                        "fact": "complex",
                        "value": True,
                    },
                },
                {
                    "id": "promise",
                    "event": {
                        "at": "2026-03-06T11:00:00+08:00",
                        "type": "promised",
                        "action": "handle",
                        "due": "2026-03-12T18:00:00+08:00",
                    },
                },
            ],
            recorded_at=datetime(2026, 3, 6, 12, tzinfo=TZ),
            recorded_by="desk",
        )
        status = store.assess("WZ", at=datetime(2026, 3, 7, tzinfo=TZ)).action("handle")

    assert (datetime(2026, 3, 12, 18, tzinfo=TZ), datetime(2026, 3, 17, tzinfo=TZ)) == (
        status.due,
        status.plan_due,
    )
