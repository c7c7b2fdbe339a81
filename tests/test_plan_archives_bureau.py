"""
The archives-bureau plan file (examples/plans/archives_bureau.yaml), tested
sentence by sentence.

Each test names the sentence of 市档案局(馆)突发重大网络舆情应急处置预案 it
checks; docs/explanation/archives-bureau-plan.md explains how the ambiguous
ones were read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules

from .conftest import CST, cst, done, event


PLAN_FILE = Path(__file__).parents[1] / "examples/plans/archives_bureau.yaml"
INCIDENT_FILE = Path(__file__).parents[1] / "examples/incidents/archives_inquiry.json"
SEED = Path(__file__).parents[2] / "shared/seeds/000_375a4e5818a17de0.txt"

#: Any local instant over two years (st.datetimes bounds are naive by design).
LOCAL_INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(CST),
)

#: Actions every incident owes, whatever its category (处置(二), (四), (五)).
COMMON = {
    "report_to_section",
    "report_leader_in_charge",
    "report_principal_leader",
    "activate_plan",
    "form_task_force",
    "draw_up_measures",
    "public_reply_3h",
    "follow_up_reports",
    "track_dynamically",
    "summarise",
    "summary_report",
}


@pytest.fixture(scope="module")
def plan() -> opinion_rules.Plan:
    return opinion_rules.load_plan(PLAN_FILE)


def incident(
    discovered: datetime,
    *,
    events: list[dict[str, Any]] | None = None,
    **facts: Any,
) -> dict[str, Any]:
    """An incident discovered at *discovered* with *facts* known from the start."""
    return {
        "id": "DA-TEST",
        "discovered_at": discovered.isoformat(),
        "facts": facts,
        "events": events or [],
    }


def applying(result: opinion_rules.Assessment) -> set[str]:
    return {a.id for a in result.actions}


# -- the plan as a whole ---------------------------------------------------------


def test_one_grade_that_every_incident_in_scope_has(plan, engine):
    """适用范围: the plan has no scale; its single grade holds for every incident it is applied to."""
    result = engine.evaluate(incident(cst(23, 9)), at=cst(23, 9))

    assert ["any"] == [g.id for g in plan.grades]
    assert "适用范围" == plan.grades[0].clause.ref
    assert "any" == result.grade.id


def test_every_element_cites_its_sentence(plan):
    """Every grade, category, principle and action quotes a clause; prose-only sentences are notes."""
    cited = [*plan.grades, *plan.categories, *plan.principles, *plan.actions]

    assert all(item.clause is not None and item.clause.text for item in cited)
    assert len(plan.notes) >= 5
    assert all(note.reason for note in plan.notes)


@pytest.mark.skipif(not SEED.exists(), reason="the seed text is not checked out here")
def test_clauses_are_verbatim_from_the_seed(plan):
    """Each quoted clause (split at ……) occurs, in order, in plan 2 of the seed."""
    seed = SEED.read_text(encoding="utf-8")
    text = seed[seed.index("2023年网络舆情处置预案2") : seed.index("2023年网络舆情处置预案3")]
    clauses = [item.clause for item in (*plan.grades, *plan.categories, *plan.principles)]
    clauses += [a.clause for a in plan.actions] + [n.clause for n in plan.notes]
    clauses += [f.clause for f in plan.facts if f.clause is not None]

    for clause in clauses:
        position = 0
        for piece in filter(None, clause.text.split("……")):
            found = text.find(piece, position)
            assert found >= 0, f"{clause.ref}: {piece!r} is not in the seed"
            position = found + len(piece)


# -- 处置(二) 快速反应: 于发现后三小时内……跟帖 ------------------------------------------


@pytest.mark.parametrize(
    ("done_after", "expected"),
    [
        (timedelta(hours=2, minutes=59), "done"),
        (timedelta(hours=3), "done"),
        (timedelta(hours=3, seconds=1), "done_late"),
    ],
)
def test_public_reply_within_three_hours(engine, done_after, expected):
    """「于发现后三小时内……跟帖」: done at exactly 3 h is on time, 1 s later is late."""
    start = cst(23, 9)
    case = incident(start, events=[done("public_reply_3h", start + done_after)])

    reply = engine.evaluate(case, at=cst(23, 18)).action("public_reply_3h")

    assert cst(23, 12) == reply.due
    assert "offset" == reply.deadline_kind
    assert "web_post" == reply.channel
    assert expected == reply.status


def test_open_public_reply_is_pending_at_three_hours_and_overdue_after(engine):
    """At the due instant an open reply is still pending; one second later it is overdue."""
    case = incident(cst(23, 9))

    assert "pending" == engine.evaluate(case, at=cst(23, 12)).action("public_reply_3h").status
    assert "overdue" == engine.evaluate(case, at=cst(23, 12, 0, 1)).action("public_reply_3h").status


@given(
    discovered=LOCAL_INSTANTS,
    seconds=st.integers(min_value=0, max_value=6 * 3600),
)
def test_three_hour_boundary_property(python_engine, discovered, seconds):
    """For any discovery and any reply time: on time exactly when the reply is at most 3 h later."""
    discovered = discovered.replace(microsecond=0)
    replied = discovered + timedelta(seconds=seconds)
    case = incident(discovered, events=[done("public_reply_3h", replied)])

    reply = python_engine.evaluate(case, at=replied).action("public_reply_3h")

    assert discovered + timedelta(hours=3) == reply.due
    assert ("done" if seconds <= 3 * 3600 else "done_late") == reply.status


# -- 处置(二): the report chain -----------------------------------------------------


def test_report_chain_goes_to_the_section_then_to_both_leaders(plan, engine):
    """「及时将情况报告市局科教编研科,由市局科教编研科报告分管领导、主要领导」."""
    start = cst(23, 9)
    before = engine.evaluate(incident(start), at=cst(23, 9, 30))
    after = engine.evaluate(
        incident(start, events=[done("report_to_section", cst(23, 9, 20))]), at=cst(23, 9, 30)
    )

    first = before.action("report_to_section")
    assert ["unit"] == [o.id for o in first.owners]
    assert "市局科教编研科" in first.title
    assert ("pending", "promptly", None) == (first.status, first.deadline_kind, first.due)
    for hop, leader in (
        ("report_leader_in_charge", "分管领导"),
        ("report_principal_leader", "主要领导"),
    ):
        assert leader in plan.action(hop).title
        assert ["research_section"] == [o.id for o in after.action(hop).owners]
        assert "waiting" == before.action(hop).status
        assert "pending" == after.action(hop).status
        assert cst(23, 9, 20) == after.action(hop).anchor_at


def test_plan_is_activated_immediately_and_the_task_force_follows(engine):
    """「同时立即启动应急预案,组建专门工作组」: 立即 has no slack; the next step waits for it."""
    start = cst(23, 9)
    on_time = engine.evaluate(
        incident(start, events=[done("activate_plan", start)]), at=cst(23, 9, 5)
    )
    late = engine.evaluate(
        incident(start, events=[done("activate_plan", cst(23, 9, 1))]), at=cst(23, 9, 5)
    )
    not_yet = engine.evaluate(incident(start), at=cst(23, 9, 5))

    assert ("done", start) == (
        on_time.action("activate_plan").status,
        on_time.action("activate_plan").due,
    )
    assert "done_late" == late.action("activate_plan").status
    assert "overdue" == not_yet.action("activate_plan").status
    assert "waiting" == not_yet.action("form_task_force").status
    assert "pending" == on_time.action("form_task_force").status


def test_follow_up_reports_continue_until_the_incident_subsides(engine):
    """「在应急处置过程中,要及时续报有关情况」: a continuing duty ended by `subsided`."""
    case = incident(cst(23, 9), events=[event("subsided", cst(25, 10))])

    during = engine.evaluate(case, at=cst(24, 9)).action("follow_up_reports")
    ended = engine.evaluate(case, at=cst(25, 11)).action("follow_up_reports")

    assert ("pending", "until") == (during.status, during.deadline_kind)
    assert ("done", cst(25, 10)) == (ended.status, ended.done_at)


# -- 处置(三)1: 当即 / 当日内 / 办结之日内 -------------------------------------------


def test_reply_at_once_when_it_can_be_answered_at_once(engine):
    """「能当即回复的要当即回复」: due at discovery itself."""
    start = cst(23, 9)
    at_once = engine.evaluate(
        incident(
            start,
            content_nature="inquiry",
            needs_processing=False,
            events=[done("inquiry_reply_now", start)],
        ),
        at=cst(23, 10),
    )
    a_minute_later = engine.evaluate(
        incident(
            start,
            content_nature="inquiry",
            needs_processing=False,
            events=[done("inquiry_reply_now", cst(23, 9, 1))],
        ),
        at=cst(23, 10),
    )

    reply = at_once.action("inquiry_reply_now")
    assert ("immediately", start, "done") == (reply.deadline_kind, reply.due, reply.status)
    assert "done_late" == a_minute_later.action("inquiry_reply_now").status
    assert not {"inquiry_reply_opinion", "inquiry_reply_result"} & applying(at_once)


@pytest.mark.parametrize(
    ("discovered", "due"),
    [
        (cst(23, 9), cst(24, 0)),
        (cst(23, 23, 50), cst(24, 0)),
        (cst(23, 0, 0), cst(24, 0)),
        (datetime(2026, 11, 22, 16, 30, tzinfo=UTC), cst(24, 0)),  # 23日 00:30 local
    ],
    ids=["morning", "23:50", "midnight", "given-in-utc"],
)
def test_processing_opinion_due_at_the_end_of_the_discovery_day(engine, discovered, due):
    """「要在发现当日内回复处理意见」: 24:00 local time on the (local) day of discovery."""
    case = incident(discovered, content_nature="inquiry", needs_processing=True)

    opinion = engine.evaluate(case, at=discovered).action("inquiry_reply_opinion")

    assert ("end_of_day", due) == (opinion.deadline_kind, opinion.due)
    assert not {"inquiry_reply_now"} & applying(engine.evaluate(case, at=discovered))


def test_discovery_at_2350_leaves_ten_minutes(engine):
    """Discovered at 23:50: the opinion is on time until 24:00 and late one second after."""
    start = cst(23, 23, 50)

    def status(replied: datetime) -> str:
        case = incident(
            start,
            content_nature="doubt",
            needs_processing=True,
            events=[done("inquiry_reply_opinion", replied)],
        )
        return engine.evaluate(case, at=cst(24, 1)).action("inquiry_reply_opinion").status

    assert "done" == status(cst(23, 23, 59, 59))
    assert "done" == status(cst(24, 0))
    assert "done_late" == status(cst(24, 0, 0, 1))


@given(discovered=LOCAL_INSTANTS)
def test_end_of_discovery_day_property(python_engine, discovered):
    """The opinion is due at the next local midnight: later than discovery, at most 24 h after it."""
    discovered = discovered.replace(microsecond=0)
    case = incident(discovered, content_nature="demand", needs_processing=True)

    due = python_engine.evaluate(case, at=discovered).action("inquiry_reply_opinion").due

    assert (0, 0, 0) == (due.hour, due.minute, due.second)
    assert discovered < due <= discovered + timedelta(days=1)
    assert discovered.date() + timedelta(days=1) == due.astimezone(CST).date()


def test_result_waits_for_case_closed_then_is_due_at_the_end_of_that_day(engine):
    """「并在办结之日内回复处理结果」: waiting until 办结 (case_closed), then due 24:00 that day."""
    start = cst(23, 9)
    open_case = incident(start, content_nature="inquiry", needs_processing=True)
    closed = incident(
        start,
        content_nature="inquiry",
        needs_processing=True,
        events=[event("case_closed", cst(25, 16))],
    )

    waiting = engine.evaluate(open_case, at=cst(25, 12)).action("inquiry_reply_result")
    pending = engine.evaluate(closed, at=cst(25, 17)).action("inquiry_reply_result")
    overdue = engine.evaluate(closed, at=cst(26, 0, 0, 1)).action("inquiry_reply_result")

    assert ("waiting", None, None) == (waiting.status, waiting.due, waiting.anchor_at)
    assert ("pending", cst(26, 0), cst(25, 16)) == (pending.status, pending.due, pending.anchor_at)
    assert "overdue" == overdue.status


def test_case_closed_just_before_midnight_is_due_a_second_later(engine):
    """Closed at 23:59:59: the result must go out within the same local day."""
    case = incident(
        cst(23, 9),
        content_nature="inquiry",
        needs_processing=True,
        events=[
            event("case_closed", cst(25, 23, 59, 59)),
            done("inquiry_reply_result", cst(26, 0, 0, 1)),
        ],
    )

    result = engine.evaluate(case, at=cst(26, 1)).action("inquiry_reply_result")

    assert (cst(26, 0), "done_late") == (result.due, result.status)


def test_without_knowing_whether_processing_is_needed_no_reply_clock_is_chosen(engine):
    """Unknown needs_processing selects neither 当即 nor 当日内; the 3-hour reply still applies."""
    result = engine.evaluate(incident(cst(23, 9), content_nature="inquiry"), at=cst(23, 10))

    assert {"inquiry_handle", "public_reply_3h"} <= applying(result)
    assert not {"inquiry_reply_now", "inquiry_reply_opinion", "inquiry_reply_result"} & applying(
        result
    )


def test_inquiry_draft_is_approved_by_the_county_bureau_head(engine):
    """「安排相关职能科(股)室……提出答复意见,经各县(区)局负责人审定后统一回复」."""
    case = incident(
        cst(23, 9),
        content_nature="inquiry",
        events=[done("inquiry_handle", cst(23, 10))],
    )

    result = engine.evaluate(case, at=cst(23, 11))

    assert ["functional_sections", "unit"] == [o.id for o in result.action("inquiry_handle").owners]
    approve = result.action("inquiry_approve")
    assert ["county_bureau_head"] == [o.id for o in approve.owners]
    assert ("pending", cst(23, 10)) == (approve.status, approve.anchor_at)


# -- 处置(三) each category selects its actions -------------------------------------

CATEGORY_ACTIONS = {
    "inquiry": {"inquiry_handle", "inquiry_approve"},
    "malicious_spread": {"spread_inform"},
    "fabrication": {"fabrication_clarify", "fabrication_refer"},
    "constructive": {"constructive_adopt", "constructive_reply"},
}


@pytest.mark.parametrize(
    ("nature", "category"),
    [
        ("inquiry", "inquiry"),
        ("doubt", "inquiry"),
        ("demand", "inquiry"),
        ("malicious_spread", "malicious_spread"),
        ("fabrication", "fabrication"),
        ("defamation", "fabrication"),
        ("incitement", "fabrication"),
        ("online_crime", "fabrication"),
        ("constructive", "constructive"),
        ("other", None),
    ],
)
def test_content_nature_selects_category_and_actions(engine, nature, category):
    """处置(三)1-4: each kind brings its own actions and no other kind's."""
    result = engine.evaluate(incident(cst(23, 9), content_nature=nature), at=cst(23, 10))

    expected = CATEGORY_ACTIONS.get(category, set())
    assert ([category] if category else []) == [c.id for c in result.categories]
    assert COMMON | expected == applying(result)


def test_unknown_nature_selects_no_category(engine):
    """Without content_nature no category is guessed; only the common duties apply."""
    result = engine.evaluate(incident(cst(23, 9)), at=cst(23, 10))

    assert () == result.categories
    assert COMMON == applying(result)


def test_changed_nature_keeps_the_first_category(engine):
    """A fact event changing the nature adds a category; the first one's duties stay."""
    case = incident(
        cst(23, 9),
        content_nature="inquiry",
        events=[
            {
                "at": cst(23, 11).isoformat(),
                "type": "fact",
                "fact": "content_nature",
                "value": "fabrication",
            }
        ],
    )

    result = engine.evaluate(case, at=cst(23, 12))

    assert ["inquiry", "fabrication"] == [c.id for c in result.categories]
    assert cst(23, 11) == result.action("fabrication_refer").applies_since
    assert "inquiry_handle" in applying(result)


def test_referral_after_spreading_continues_despite_the_facts(engine):
    """处置(三)2: 商请执纪执法部门 only with serious harm and spreading that goes on after telling."""
    start = cst(23, 9)
    told = done("spread_inform", cst(23, 10))
    continued = event("spread_continued", cst(23, 15))

    def refer(events: list[dict[str, Any]], **facts: Any) -> opinion_rules.ActionStatus | None:
        case = incident(start, content_nature="malicious_spread", events=events, **facts)
        result = engine.evaluate(case, at=cst(23, 16))
        return next((a for a in result.actions if a.id == "spread_refer"), None)

    assert refer([told, continued]) is None  # harm unknown: not applied
    assert refer([told, continued], serious_harm=False) is None
    assert refer([told], serious_harm=True) is None  # not shown to continue
    waiting = refer([continued], serious_harm=True)
    assert waiting is not None
    assert "waiting" == waiting.status  # the facts were not told yet
    applied = refer([told, continued], serious_harm=True)
    assert applied is not None
    assert ("pending", "legal", ["unit"]) == (
        applied.status,
        applied.channel,
        [o.id for o in applied.owners],
    )
    assert cst(23, 15) == applied.applies_since


# -- 处置(四), 处置(五) ---------------------------------------------------------------


def test_summary_and_written_report_follow_the_end_of_the_incident(engine, plan):
    """「在网络舆情被消除或趋于平稳后……及时进行总结……将应对处置工作书面报告报送市局科教编研科」."""
    case = incident(
        cst(23, 9),
        events=[event("subsided", cst(26, 10)), done("summarise", cst(27, 15))],
    )

    before = engine.evaluate(case, at=cst(25, 9))
    after = engine.evaluate(case, at=cst(27, 16))

    assert "waiting" == before.action("summarise").status
    assert "done" == after.action("summarise").status
    report = after.action("summary_report")
    assert ("pending", "written_report", cst(27, 15)) == (
        report.status,
        report.channel,
        report.anchor_at,
    )
    assert "市局科教编研科" in plan.action("summary_report").title
    assert ("pending", None) == (
        after.action("track_dynamically").status,
        after.action("track_dynamically").due,
    )


# -- the example incident ---------------------------------------------------------


def test_example_incident_walk_through(engine):
    """examples/incidents/archives_inquiry.json: every duty done, the plan activated late."""
    case = opinion_rules.load_incident(INCIDENT_FILE)

    morning = engine.evaluate(case, at=cst(23, 10))
    final = engine.evaluate(case, at=cst(30, 12))

    assert ["inquiry"] == [c.id for c in morning.categories]
    assert "pending" == morning.action("public_reply_3h").status
    assert "waiting" == morning.action("inquiry_reply_result").status
    statuses = {a.id: a.status for a in final.actions}
    assert "done_late" == statuses.pop("activate_plan")
    assert "pending" == statuses.pop("track_dynamically")
    assert {"done"} == set(statuses.values())
    assert cst(26, 0) == final.action("inquiry_reply_result").due
