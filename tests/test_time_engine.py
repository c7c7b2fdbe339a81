"""
Time semantics through the engine: extensions and caps, recurring duties,
lateness-triggered actions, anchors on grades and categories, report chains
with bounds, and the next instant a result changes.

Dates are in 2025, so the China calendar's Spring Festival schedule applies:
Sunday 2025-01-26 and Saturday 2025-02-08 are make-up working days and
2025-01-28..02-04 is the holiday.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules import deadlines, windows
from opinion_rules.calendars import ChinaCalendar
from opinion_rules.conditions import fact, measure
from opinion_rules.deadlines import (
    Extension,
    Offset,
    end_of_day,
    immediately,
    no_deadline,
    recurring,
)
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.windows import calendar_day, sustained

from . import strategies as s


TZ = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def end_of(month: int, day: int) -> datetime:
    """24:00 on the given 2025 day."""
    return at(month, day) + timedelta(days=1)


CLAUSE = o.Clause("T", "test sentence")


def plan_with(*actions: o.Action, **extra: object) -> o.Plan:
    fields: dict[str, object] = {
        "id": "time-test",
        "title": "time test",
        "issuer": "tests",
        "version": "1",
        "source": "tests",
        "grades": (
            o.Grade("minor", "一般", 1, fact("level") >= "minor", CLAUSE),
            o.Grade("major", "重大", 2, fact("level") >= "major", CLAUSE),
        ),
        "facts": (
            o.FactSpec("level", type="enum", choices=("minor", "major"), ordered=True),
            o.FactSpec("kind", type="enum", choices=("inquiry", "rumour")),
        ),
        "categories": (o.Category("inquiry", "询问类", fact("kind").eq("inquiry"), CLAUSE),),
        "roles": (o.Role("office", "办公室"),),
        "actions": actions,
        "calendar": ChinaCalendar(),
        "events": (
            o.EventSpec("case_claimed", "受理"),
            o.EventSpec("case_closed", "办结"),
            o.EventSpec("extension_requested", "申请延期"),
            o.EventSpec("subsided", "舆情平息"),
        ),
    }
    fields.update(extra)
    return o.Plan(**fields)  # type: ignore[arg-type]


def action(action_id: str, deadline: o.Deadline, **extra: object) -> o.Action:
    return o.Action(
        action_id,
        f"action {action_id}",
        owners=("office",),
        channel="notice",
        deadline=deadline,
        clause=CLAUSE,
        **extra,  # type: ignore[arg-type]
    )


def incident(*events: o.Event, discovered: datetime | None = None, **facts: str) -> o.Incident:
    return o.Incident(
        "INC",
        discovered_at=discovered or at(1, 24, 10),
        facts=facts,
        events=events,
    )


def done(action_id: str, when: datetime) -> o.Event:
    return o.Event(when, "action_done", action=action_id)


# -- extensions ---------------------------------------------------------------------

REPLY = action(
    "reply",
    deadlines.after(
        "case_claimed",
        working_days=5,
        extension=Extension(
            "extension_requested", by=Offset(working_days=5), cap=Offset(working_days=15)
        ),
    ),
)
CLAIMED = o.Event(at(1, 24, 10), "case_claimed")


def request(when: datetime) -> o.Event:
    return o.Event(when, "extension_requested", action="reply")


def test_working_day_deadline_crosses_the_spring_festival():
    """次日起5个工作日: claimed Friday 2025-01-24, due at the end of 2025-02-07."""
    result = o.Engine(plan_with(REPLY)).evaluate(incident(CLAIMED), at=at(1, 25))

    assert end_of(2, 7) == result.action("reply").due


@pytest.mark.parametrize(
    ("requests", "expected"),
    [
        pytest.param([at(2, 5, 9)], end_of(2, 13), id="one extension, counted from the due day"),
        pytest.param([at(2, 5, 9), at(2, 12, 9)], end_of(2, 20), id="two extensions reach the cap"),
        pytest.param(
            [at(2, 5, 9), at(2, 12, 9), at(2, 19, 9)], end_of(2, 20), id="never beyond the cap"
        ),
        pytest.param([at(2, 8, 9)], end_of(2, 7), id="a late request does not rescue it"),
        pytest.param([end_of(2, 7)], end_of(2, 13), id="a request at the due instant counts"),
    ],
)
def test_extensions_move_the_deadline_up_to_the_cap(requests, expected):
    """可延期5个工作日，最长不超过15个工作日: requests before the deadline extend it."""
    events = [CLAIMED, *(request(r) for r in requests)]
    result = o.Engine(plan_with(REPLY)).evaluate(incident(*events), at=at(2, 22))
    status = result.action("reply")

    assert expected == status.due
    assert (end_of(2, 7) if expected != end_of(2, 7) else None) == status.extended_from
    assert "overdue" == status.status


def test_a_request_for_another_action_does_not_extend_this_one():
    """An extension names its action; requests for other actions are ignored."""
    other = action("other", no_deadline("discovered"))
    events = [CLAIMED, o.Event(at(2, 5), "extension_requested", action="other")]
    result = o.Engine(plan_with(REPLY, other)).evaluate(incident(*events), at=at(2, 6))

    assert end_of(2, 7) == result.action("reply").due


# -- lateness-triggered actions -----------------------------------------------------

REMINDER = action("remind", deadlines.after("overdue:reply", days=1, start_next_day=True))
CRITICISE = action("criticise", immediately("overdue:reply+5wd"))


def test_reminder_is_due_the_day_after_the_deadline():
    """到期次日发出催办通知书: waiting until the reply is late, then due by the next day's end."""
    engine = o.Engine(plan_with(REPLY, REMINDER))

    before = engine.evaluate(incident(CLAIMED), at=end_of(2, 7))
    after = engine.evaluate(incident(CLAIMED), at=end_of(2, 7) + timedelta(seconds=1))

    assert "waiting" == before.action("remind").status
    assert end_of(2, 7) + timedelta(microseconds=1) == before.next_change
    assert "pending" == after.action("remind").status
    assert end_of(2, 7) == after.action("remind").anchor_at
    assert end_of(2, 8) == after.action("remind").due


def test_criticism_applies_after_five_more_working_days():
    """超过办理时限5个工作日…通报批评: the trigger is the end of the 5th working day after the deadline."""
    engine = o.Engine(plan_with(REPLY, CRITICISE))

    result = engine.evaluate(incident(CLAIMED), at=at(2, 20))

    # Working days after 2025-02-07: 02-08 (make-up), 02-10, 02-11, 02-12, 02-13.
    lapse = end_of(2, 13)
    assert lapse == result.action("criticise").anchor_at
    assert lapse == result.action("criticise").due
    assert "overdue" == result.action("criticise").status


def test_a_late_reply_before_the_lapse_cancels_the_criticism():
    """Replying late but within the 5 working days means no criticism."""
    engine = o.Engine(plan_with(REPLY, CRITICISE))
    events = [CLAIMED, done("reply", at(2, 10, 9))]

    status = engine.evaluate(incident(*events), at=at(3, 1)).action("criticise")

    assert "waiting" == status.status
    assert "done_late" == engine.evaluate(incident(*events), at=at(3, 1)).action("reply").status


def test_lateness_triggers_chain():
    """A reminder that is itself overdue can trigger the next step."""
    escalate = action("escalate", immediately("overdue:remind"))
    engine = o.Engine(plan_with(REPLY, REMINDER, escalate))

    result = engine.evaluate(incident(CLAIMED), at=at(2, 10))

    assert end_of(2, 8) == result.action("escalate").anchor_at
    assert "overdue" == result.action("escalate").status


# -- recurring duties ---------------------------------------------------------------


def test_daily_follow_up_lists_missed_days_and_the_next_due():
    """每日至少续报1次: each local day needs a report; missed days are listed."""
    follow_up = action("follow_up", recurring("discovered", per_day=1, until="subsided"))
    engine = o.Engine(plan_with(follow_up))
    events = [done("follow_up", at(1, 24, 18)), done("follow_up", at(1, 26, 9))]

    result = engine.evaluate(incident(*events), at=at(1, 27, 12))
    status = result.action("follow_up")

    assert (end_of(1, 25),) == status.missed
    assert end_of(1, 27) == status.due
    assert "overdue" == status.status
    assert end_of(1, 27) + timedelta(microseconds=1) == result.next_change


def test_recurring_duty_ends_with_its_until_event():
    """直至平息: occurrences due after the ending event are not owed."""
    follow_up = action(
        "follow_up", recurring("discovered", every=timedelta(hours=2), until="subsided")
    )
    engine = o.Engine(plan_with(follow_up))
    events = [
        done("follow_up", at(1, 24, 11)),
        done("follow_up", at(1, 24, 13, 30)),
        o.Event(at(1, 24, 15), "subsided"),
    ]

    status = engine.evaluate(incident(*events), at=at(1, 25)).action("follow_up")

    assert () == status.missed
    assert "done" == status.status
    assert at(1, 24, 15) == status.done_at
    assert status.due is None


def test_every_n_hours_counts_each_period_once():
    """每2小时续报: two reports in one period do not cover the next."""
    follow_up = action("follow_up", recurring("discovered", every=timedelta(hours=2)))
    engine = o.Engine(plan_with(follow_up))
    events = [done("follow_up", at(1, 24, 10, 30)), done("follow_up", at(1, 24, 11, 30))]

    status = engine.evaluate(incident(*events), at=at(1, 24, 15)).action("follow_up")

    assert (at(1, 24, 14),) == status.missed
    assert at(1, 24, 16) == status.due


# -- anchors on grades and categories -------------------------------------------------


def test_grade_reached_anchor_runs_from_the_upgrade():
    """'达到重大后3小时内' runs from the instant the incident became major."""
    report = action("report", deadlines.after("grade_reached:major", hours=3))
    engine = o.Engine(plan_with(report))
    upgrade = o.Event(at(1, 24, 12), "fact", fact="level", value="major")

    status = engine.evaluate(incident(upgrade, level="minor"), at=at(1, 24, 13)).action("report")

    assert at(1, 24, 12) == status.anchor_at
    assert at(1, 24, 15) == status.due


def test_category_assigned_anchor():
    """A duty of a handling category runs from when the category was assigned."""
    reply = action("reply", end_of_day("category_assigned:inquiry"))
    engine = o.Engine(plan_with(reply))
    assigned = o.Event(at(1, 24, 16), "fact", fact="kind", value="inquiry")

    status = engine.evaluate(incident(assigned), at=at(1, 24, 17)).action("reply")

    assert at(1, 24, 16) == status.anchor_at
    assert end_of(1, 24) == status.due


def test_day_end_at_close_of_business():
    """当日内 with close of business 17:30; a case discovered after it falls to the next day."""
    reply = action("reply", end_of_day("discovered"))
    plan = plan_with(reply, day_end=time(17, 30))

    early = o.Engine(plan).evaluate(incident(discovered=at(1, 24, 9)), at=at(1, 24, 10))
    late = o.Engine(plan).evaluate(incident(discovered=at(1, 24, 18)), at=at(1, 24, 19))

    assert at(1, 24, 17, 30) == early.action("reply").due
    assert at(1, 25, 17, 30) == late.action("reply").due


# -- report chains ------------------------------------------------------------------


def chain_plan(bound: Offset | None) -> o.Plan:
    return plan_with(
        action("phone", immediately("discovered")),
        action("written", deadlines.after("action_done:phone", hours=2)),
        action("leader", deadlines.after("action_done:written", hours=2)),
        chains=(o.ReportChain("up", "逐级上报", ("phone", "written", "leader"), bound, CLAUSE),),
    )


def test_each_hop_runs_from_the_previous_completion_and_the_bound_is_checked():
    """Each hop is on time, but the whole chain misses its 3-hour bound."""
    events = [
        done("phone", at(1, 24, 10, 30)),
        done("written", at(1, 24, 12, 20)),
        done("leader", at(1, 24, 14, 10)),
    ]
    result = o.Engine(chain_plan(Offset(hours=3))).evaluate(incident(*events), at=at(1, 25))

    assert at(1, 24, 14, 20) == result.action("leader").due
    assert "done" == result.action("leader").status
    chain = result.chains[0]
    assert at(1, 24, 10) == chain.started_at
    assert at(1, 24, 13) == chain.due
    assert "done_late" == chain.status


def test_hops_must_follow_each_other():
    """A chain whose hop is not anchored on the previous hop's completion is refused."""
    with pytest.raises(PlanValidationError, match="does not run from the previous hop"):
        plan_with(
            action("phone", immediately("discovered")),
            action("written", deadlines.after("discovered", hours=2)),
            chains=(o.ReportChain("up", "逐级上报", ("phone", "written")),),
        )


# -- plan checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actions", "extra", "message"),
    [
        pytest.param(
            (action("a", deadlines.after("discovered", working_days=2)),),
            {"calendar": None},
            "needs a working calendar",
            id="working days without a calendar",
        ),
        pytest.param(
            (action("a", deadlines.after("discovered", hours=2, clock="pause")),),
            {},
            "needs working hours",
            id="pause clock without hours",
        ),
        pytest.param(
            (action("a", deadlines.after("case_claimd", hours=2)),),
            {},
            "event 'case_claimd' is not declared",
            id="misspelt anchor event",
        ),
        pytest.param(
            (
                action("a", no_deadline("action_done:b")),
                action("b", no_deadline("overdue:a")),
            ),
            {},
            "wait on each other in a cycle",
            id="waiting cycle",
        ),
        pytest.param(
            (action("a", deadlines.after("grade_reached:huge", hours=1)),),
            {},
            "grade 'huge' is not defined",
            id="unknown grade anchor",
        ),
    ],
)
def test_plans_with_time_mistakes_are_refused(actions, extra, message):
    """Deadlines that cannot be computed, or wait for nothing, are plan errors."""
    with pytest.raises(PlanValidationError, match=message):
        plan_with(*actions, **extra)


def test_a_year_the_calendar_does_not_cover_is_undecided_never_guessed():
    """Working days into an uncovered year: the action is undecided, with the year named."""
    last = ChinaCalendar().years[1]
    reply = action("reply", deadlines.after("discovered", working_days=5))
    engine = o.Engine(plan_with(reply))
    late_december = datetime(last, 12, 29, 10, tzinfo=TZ)

    result = engine.evaluate(incident(discovered=late_december), at=late_december)

    assert ("undecided", None) == (result.action("reply").status, result.action("reply").due)
    assert f"has no data for {last + 1}" in result.action("reply").reason
    assert [(f"calendar:china:{last + 1}",)] == [
        u.needs for u in result.undecided if u.kind == "action"
    ]


# -- next change --------------------------------------------------------------------


def without_instant(result: o.Assessment) -> o.Assessment:
    return attrs.evolve(result, at=datetime(2000, 1, 1, tzinfo=TZ))


@given(data=st.data())
def test_nothing_changes_before_next_change(data):
    """Between T and next_change (with no new facts) every evaluation gives the same result."""
    plan = data.draw(s.plans())
    incident_ = data.draw(s.incidents(plan))
    when = data.draw(s.instants(3200))
    engine = o.Engine(plan)
    result = engine.evaluate(incident_, at=when)
    facts_after = [
        t
        for t in [
            *(ob.at for ob in incident_.observations),
            *(e.at for e in incident_.events),
            incident_.discovered_at,
            *([incident_.posted_at] if incident_.posted_at else []),
        ]
        if t > when
    ]
    horizon = min(
        [*facts_after, *([result.next_change] if result.next_change else [])], default=None
    )
    if horizon is None:
        later = when + timedelta(days=data.draw(st.integers(1, 30)))
    else:
        span = int((horizon - when) / timedelta(microseconds=1))
        if span <= 1:
            return
        later = when + timedelta(microseconds=data.draw(st.integers(0, span - 1)))

    assert without_instant(result) == without_instant(engine.evaluate(incident_, at=later))


@given(data=st.data())
def test_next_change_is_after_the_instant(data):
    """next_change is strictly later than the evaluation instant."""
    plan = data.draw(s.plans())
    incident_ = data.draw(s.incidents(plan))
    when = data.draw(s.instants(3200))

    result = o.Engine(plan).evaluate(incident_, at=when)

    assert result.next_change is None or result.next_change > when


# -- windows by phrase ----------------------------------------------------------------


def window_plan(window: o.Window, threshold: int) -> o.Plan:
    return plan_with(
        action("report", immediately("grade_reached:major")),
        metrics=("clicks",),
        measures=(o.Measure("clicks_w", "clicks", window),),
        facts=(),
        categories=(),
        grades=(o.Grade("major", "重大", 2, measure("clicks_w") > threshold, CLAUSE),),
    )


def clicks(*readings: tuple[datetime, int]) -> o.Incident:
    return o.Incident(
        "W",
        discovered_at=readings[0][0],
        observations=[
            o.Observation(t, "clicks", v, "site", None, "increment") for t, v in readings
        ],
    )


def test_single_day_counts_the_calendar_day_not_the_last_24_hours():
    """单日点击超过1000: 600 before midnight and 600 after are two days of 600, not 1200."""
    readings = clicks((at(3, 3, 22), 600), (at(3, 4, 1), 600))
    day = o.Engine(window_plan(calendar_day(), 1000)).evaluate(readings, at=at(3, 4, 2))
    rolling = o.Engine(window_plan(windows.rolling(days=1), 1000)).evaluate(
        readings, at=at(3, 4, 2)
    )

    assert day.grade is None
    assert rolling.grade is not None


@pytest.mark.parametrize(
    ("days_over", "graded"),
    [
        pytest.param(7, True, id="every one of 7 days over"),
        pytest.param(6, False, id="a day under breaks the run"),
    ],
)
def test_sustained_needs_every_day_over_the_threshold(days_over, graded):
    """持续7天每日超过100: one day at or under 100 in the seven keeps the grade away."""
    readings = [(at(3, 1 + d, 12), 150 if d < days_over else 100) for d in range(7)]
    # Days are 03-01..03-07; the low day (if any) is the last one.
    result = o.Engine(window_plan(sustained(days=7), 100)).evaluate(
        clicks(*readings), at=at(3, 7, 23)
    )

    assert graded == (result.grade is not None)
    if graded:
        assert at(3, 7, 12) == result.grade.since


def test_extension_requests_arrive_in_the_json_format():
    """An incident file can carry an extension request that names its action."""
    data = {
        "id": "INC",
        "discovered_at": "2025-01-24T10:00:00+08:00",
        "events": [
            {"at": "2025-01-24T10:00:00+08:00", "type": "case_claimed"},
            {"at": "2025-02-05T09:00:00+08:00", "type": "extension_requested", "action": "reply"},
        ],
    }
    incident_ = o.Incident.from_dict(data)

    assert incident_ == o.Incident.from_dict(incident_.to_dict())
    assert (
        end_of(2, 13) == o.Engine(plan_with(REPLY)).evaluate(data, at=at(2, 6)).action("reply").due
    )


def test_fact_events_still_take_no_action():
    """'action' on a fact event is refused: a fact is not about an action."""
    data = {
        "id": "INC",
        "discovered_at": "2025-01-24T10:00:00+08:00",
        "events": [
            {
                "at": "2025-01-24T10:00:00+08:00",
                "type": "fact",
                "fact": "level",
                "value": "major",
                "action": "reply",
            }
        ],
    }
    with pytest.raises(o.FactError, match=r"events\[0\]\.action: is not allowed on 'fact' events"):
        o.Incident.from_dict(data)


def test_text_report_lists_chains_missed_occurrences_and_the_next_change():
    """The CLI report shows a waiting chain's bound, a capped list of misses and next_change."""
    from opinion_rules.cli._output import render_table

    follow_up = action("follow_up", recurring("discovered", every=timedelta(hours=1)))
    plan = plan_with(
        follow_up,
        action("phone", immediately("case_claimed")),
        action("written", deadlines.after("action_done:phone", hours=2)),
        chains=(o.ReportChain("up", "逐级上报", ("phone", "written"), Offset(hours=3), CLAUSE),),
    )
    result = o.Engine(plan).evaluate(incident(), at=at(1, 24, 18, 30))

    report = render_table(result)

    assert (
        "missed    follow_up: 8 occurrence(s) due 2025-01-24 11:00, 2025-01-24 12:00, "
        "2025-01-24 13:00, 2025-01-24 14:00, 2025-01-24 15:00 and 3 more"
    ) in report
    assert (
        "chain     up (phone -> written): waiting, whole chain within 3小时 of its start" in report
    )
    assert "next change 2025-01-24T19:00:00.000001+08:00" in report
