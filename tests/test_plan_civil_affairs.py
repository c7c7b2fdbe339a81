"""
The civil-affairs plan file (examples/plans/civil_affairs.yaml), tested
sentence by sentence.

Each test names the sentence of 民政局网络舆情应对和处置预案 it checks;
docs/explanation/civil-affairs-plan.md explains how the ambiguous ones were
read.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import opinion_rules

from .conftest import cst, done, event, learned


ROOT = Path(__file__).parents[1]
PLAN_FILE = ROOT / "examples/plans/civil_affairs.yaml"
INCIDENT_FILE = ROOT / "examples/incidents/civil_affairs_mass_incident.json"
SEED = ROOT.parent / "shared/seeds/001_f0e539b6d391d93b.txt"

DISCOVERED = cst(23, 9)

#: The lead actions of each level (四、分级响应), with their owners, lead first.
LEADS = {
    "especially_major": {
        "level1_request_county": ("group_leader",),
        "level1_lead": ("county_leaders", "leading_group"),
    },
    "major_or_larger": {
        "level2_report_city": ("leading_group",),
        "level2_lead": ("leading_group", "relevant_departments"),
    },
    "general": {
        "level3_lead": ("leading_group", "leading_group_office", "relevant_sections"),
    },
    "minor": {
        "level4_request": ("leading_group_office",),
        "level4_lead": ("leading_group_office", "relevant_sections"),
    },
}
ALL_LEADS = {action for leads in LEADS.values() for action in leads}


@pytest.fixture(scope="module")
def plan() -> opinion_rules.Plan:
    return opinion_rules.load_plan(PLAN_FILE)


def incident(*, events: list[dict[str, Any]] | None = None, **facts: Any) -> dict[str, Any]:
    """An incident discovered at 23日 09:00 with *facts* known from the start."""
    return {
        "id": "MZ-TEST",
        "discovered_at": DISCOVERED.isoformat(),
        "facts": facts,
        "events": events or [],
    }


def applying(result: opinion_rules.Assessment) -> set[str]:
    return {a.id for a in result.actions}


# -- the plan as a whole ---------------------------------------------------------


def test_every_element_cites_its_sentence(plan):
    """Every grade, category, principle and action quotes a clause; prose-only sentences are notes."""
    cited = [*plan.grades, *plan.categories, *plan.principles, *plan.actions]

    assert all(item.clause is not None and item.clause.text for item in cited)
    assert all(note.reason for note in plan.notes)
    assert {"三(一)", "五(一)1", "五(二)1"} <= {note.clause.ref for note in plan.notes}


@pytest.mark.skipif(not SEED.exists(), reason="the seed text is not checked out here")
def test_clauses_are_verbatim_from_the_seed(plan):
    """Each quoted clause (split at ……) occurs, in order, in the seed (page-break whitespace aside)."""

    def squash(text: str) -> str:
        return re.sub(r"\s+", "", text)

    text = squash(SEED.read_text(encoding="utf-8"))
    clauses = [item.clause for item in (*plan.grades, *plan.categories, *plan.principles)]
    clauses += [a.clause for a in plan.actions] + [n.clause for n in plan.notes]
    clauses += [f.clause for f in plan.facts if f.clause is not None]

    for clause in clauses:
        position = 0
        for piece in filter(None, map(squash, clause.text.split("……"))):
            found = text.find(piece, position)
            assert found >= 0, f"{clause.ref}: {piece!r} is not in the seed"
            position = found + len(piece)


def test_levels_are_ranked_as_numbered(plan):
    """Ⅳ 影响较小 < Ⅲ 一般 < Ⅱ 重大或较大 < Ⅰ 特别重大."""
    assert ["minor", "general", "major_or_larger", "especially_major"] == [
        g.id for g in plan.scale()
    ]
    assert ["四Ⅳ", "四Ⅲ", "四Ⅱ", "四Ⅰ"] == [g.clause.ref for g in plan.scale()]


# -- 四、分级响应: who leads each level ------------------------------------------------


@pytest.mark.parametrize(
    ("level", "grade"),
    [
        ("minor", "minor"),
        ("general", "general"),
        ("larger", "major_or_larger"),
        ("major", "major_or_larger"),
        ("especially_major", "especially_major"),
    ],
)
def test_each_level_selects_its_lead(engine, level, grade):
    """Ⅰ county leaders; Ⅱ the leading group with the relevant departments; Ⅲ the group via its office; Ⅳ the office."""
    result = engine.evaluate(incident(assessed_level=level), at=cst(23, 10))

    assert grade == result.grade.id
    leads = {a.id: tuple(o.id for o in a.owners) for a in result.actions if a.id in ALL_LEADS}
    assert LEADS[grade] == leads


def test_unassessed_incident_is_ungraded_and_owes_nothing(engine):
    """The plan gives no test for the levels: until one is stated, no level and no duty."""
    result = engine.evaluate(incident(), at=cst(23, 10))

    assert result.grade is None
    assert set() == applying(result)


def test_level_two_reports_to_the_city_propaganda_department(engine):
    """Ⅱ 「由应急领导小组领导上报市委宣传部」: the report runs from discovery, no time stated."""
    result = engine.evaluate(incident(assessed_level="larger"), at=cst(23, 10))

    report = result.action("level2_report_city")
    assert DISCOVERED == report.anchor_at
    assert "none" == report.deadline_kind
    assert "pending" == report.status


def test_level_one_and_four_lead_only_after_the_request(engine):
    """Ⅰ 「经……组长……请示,由县委、县政府主要领导共同领导」; Ⅳ 「经……办公室请示,由小组办公室……」."""
    for level, request, lead in (
        ("especially_major", "level1_request_county", "level1_lead"),
        ("minor", "level4_request", "level4_lead"),
    ):
        before = engine.evaluate(incident(assessed_level=level), at=cst(23, 10))
        after = engine.evaluate(
            incident(assessed_level=level, events=[done(request, cst(23, 9, 30))]),
            at=cst(23, 10),
        )

        assert "waiting" == before.action(lead).status
        assert "pending" == after.action(lead).status
        assert cst(23, 9, 30) == after.action(lead).anchor_at


def test_leading_continues_until_the_handling_ends(engine):
    """开展应急工作 is a continuing duty that ends with 应急处置结束 (case_closed), not with 平息."""
    events = [event("subsided", cst(25, 18)), event("case_closed", cst(26, 17))]
    case = incident(assessed_level="general", events=events)

    after_subsided = engine.evaluate(case, at=cst(26, 9)).action("level3_lead")
    after_closed = engine.evaluate(case, at=cst(26, 17)).action("level3_lead")

    assert "pending" == after_subsided.status
    assert "until" == after_subsided.deadline_kind
    assert "done" == after_closed.status
    assert cst(26, 17) == after_closed.done_at


def test_upgrade_adds_the_higher_lead_and_keeps_the_earlier(engine):
    """Judged 一般 first, then 重大: the Ⅱ lead applies from the upgrade; the Ⅲ lead stays."""
    upgraded = cst(23, 11, 40)
    case = incident(assessed_level="general", events=[learned("assessed_level", "major", upgraded)])

    before = engine.evaluate(case, at=cst(23, 11))
    after = engine.evaluate(case, at=cst(23, 12))

    assert "general" == before.grade.id
    assert "level2_lead" not in applying(before)
    assert "major_or_larger" == after.grade.id
    assert upgraded == after.action("level2_lead").applies_since
    assert "level3_lead" in applying(after)


# -- 二(三), 三(二)2: which levels consult whom ------------------------------------------


@pytest.mark.parametrize(
    ("level", "joint", "county"),
    [
        ("minor", False, False),
        ("general", False, False),
        ("larger", False, True),
        ("major", True, True),
        ("especially_major", True, True),
    ],
)
def test_consultations_by_level(engine, level, joint, county):
    """「针对重大网络舆情」 joint consultation (重大, 特别重大); 「如为特别重大……、重大或较大」 the county's measures (Ⅰ, Ⅱ)."""
    result = engine.evaluate(incident(assessed_level=level), at=cst(23, 10))

    assert joint == ("major_joint_consultation" in applying(result))
    assert county == ("hear_county_measures" in applying(result))
    assert county == ("final_measures" in applying(result))


def test_especially_major_reports_to_the_party_group_and_local_government(engine):
    """二(三) 「对于特别重大网络舆情……及时向局党组和属地政府汇报」 — 特别重大 only."""
    top = engine.evaluate(incident(assessed_level="especially_major"), at=cst(23, 10))
    below = engine.evaluate(incident(assessed_level="major"), at=cst(23, 10))

    report = top.action("especially_major_report_party_and_government")
    assert ("consultation_group",) == tuple(o.id for o in report.owners)
    assert "promptly" == report.deadline_kind
    assert "especially_major_report_party_and_government" not in applying(below)


# -- 三(二)1 监测舆情; 五(一)2 24 小时不间断监控 -------------------------------------------


def test_first_report_is_due_at_discovery(engine):
    """「发现、收到上级通报舆情后,要第一时间上报」: immediately, from discovery."""
    on_time = engine.evaluate(
        incident(assessed_level="general", events=[done("report_to_leading_group", DISCOVERED)]),
        at=cst(23, 10),
    )
    late = engine.evaluate(
        incident(
            assessed_level="general",
            events=[done("report_to_leading_group", cst(23, 9, 5))],
        ),
        at=cst(23, 10),
    )

    assert DISCOVERED == on_time.action("report_to_leading_group").due
    assert "done" == on_time.action("report_to_leading_group").status
    assert "done_late" == late.action("report_to_leading_group").status


def test_monitoring_lasts_until_the_incident_subsides(engine):
    """「时刻监测舆情发展动向,直至舆情平息为止」."""
    subsided = cst(25, 18)
    case = incident(assessed_level="minor", events=[event("subsided", subsided)])

    during = engine.evaluate(case, at=cst(25, 17, 59)).action("monitor_until_subsided")
    after = engine.evaluate(case, at=subsided).action("monitor_until_subsided")

    assert ("pending", None) == (during.status, during.due)
    assert "until" == during.deadline_kind
    assert ("done", subsided) == (after.status, after.done_at)


def test_mass_incident_monitoring_runs_from_the_mass_incident_to_subsiding(engine):
    """五(一)2 「当发生群体性突发事件时……24 小时不间断监控」: pending from the event until 平息, then done."""
    mass = cst(23, 11, 30)
    subsided = cst(25, 18)
    case = incident(
        assessed_level="general",
        events=[learned("mass_incident", True, mass), event("subsided", subsided)],
    )

    before = engine.evaluate(case, at=cst(23, 11))
    during = engine.evaluate(case, at=cst(24, 3)).action("mass_incident_monitoring")
    after = engine.evaluate(case, at=cst(25, 18, 1)).action("mass_incident_monitoring")

    assert "mass_incident_monitoring" not in applying(before)
    assert ("pending", None, "condition_met", mass) == (
        during.status,
        during.due,
        during.anchor_event,
        during.anchor_at,
    )
    assert ("leading_group_office", "monitoring_group") == tuple(o.id for o in during.owners)
    assert "monitoring" == during.channel
    assert ("done", subsided) == (after.status, after.done_at)


def test_no_mass_incident_no_round_the_clock_monitoring(engine):
    """Known false, or unknown: the 24-hour duty does not apply."""
    no = engine.evaluate(incident(assessed_level="major", mass_incident=False), at=cst(23, 10))
    unknown = engine.evaluate(incident(assessed_level="major"), at=cst(23, 10))

    assert "mass_incident_monitoring" not in applying(no)
    assert "mass_incident_monitoring" not in applying(unknown)


@given(minutes=st.integers(min_value=0, max_value=4 * 24 * 60))
def test_mass_incident_monitoring_status_property(python_engine, minutes):
    """At any instant after discovery: pending strictly before 平息, done from it on."""
    subsided = cst(25, 18)
    at = DISCOVERED + timedelta(minutes=minutes)
    case = incident(mass_incident=True, events=[event("subsided", subsided)])

    monitoring = python_engine.evaluate(case, at=at).action("mass_incident_monitoring")

    assert ("pending" if at < subsided else "done") == monitoring.status


def test_worsening_is_reported_from_when_it_is_seen(engine):
    """「发现舆情恶化、影响面扩大等不良发展趋势时要及时上报」."""
    case = incident(assessed_level="general", events=[event("worsening", cst(23, 11, 30))])

    result = engine.evaluate(case, at=cst(23, 12))

    assert cst(23, 11, 30) == result.action("report_worsening").anchor_at
    assert "report_worsening" not in applying(engine.evaluate(case, at=cst(23, 11)))


# -- 三(二)2-5: 会商 → 通稿 → 回复 → 跟踪引导 ------------------------------------------------


def test_the_workflow_is_a_chain(engine):
    """上报 → 应对会 → 通稿 → 同意 → 正面回复: each step waits for the one before."""
    chain = [
        "report_to_leading_group",
        "consult_meeting",
        "draft_press_release",
        "approve_press_release",
        "media_reply",
    ]
    for i in range(1, len(chain)):
        events = [done(step, cst(23, 9 + j)) for j, step in enumerate(chain[:i])]
        result = engine.evaluate(incident(assessed_level="general", events=events), at=cst(23, 18))

        assert "waiting" not in {result.action(step).status for step in chain[: i + 1]}
        assert all("waiting" == result.action(step).status for step in chain[i + 1 :])


def test_reply_is_due_the_moment_the_release_is_approved(engine):
    """「在舆情发生后第一时间内根据通稿……正面回复」 and 「同时网络评论员……」: immediately after 同意."""
    approved = cst(23, 14, 30)
    events = [done("approve_press_release", approved), done("media_reply", approved)]
    events.append(done("commentator_articles", cst(23, 15, 10)))

    result = engine.evaluate(incident(assessed_level="general", events=events), at=cst(23, 16))

    assert (approved, "done") == (
        result.action("media_reply").due,
        result.action("media_reply").status,
    )
    assert "press_release" == result.action("media_reply").channel
    assert "done_late" == result.action("commentator_articles").status
    assert ("network_commentators",) == tuple(
        o.id for o in result.action("commentator_articles").owners
    )


def test_press_release_approval_lists_all_three_possible_approvers(engine):
    """「通稿经县委县政府、县委宣传部或局网络舆情应急领导小组同意」: any of the three; no routing invented."""
    result = engine.evaluate(
        incident(assessed_level="major", events=[done("draft_press_release", cst(23, 10))]),
        at=cst(23, 11),
    )

    approval = result.action("approve_press_release")
    assert ("county_authorities", "county_propaganda", "leading_group") == tuple(
        o.id for o in approval.owners
    )


def test_tracking_after_the_reply_ends_when_the_incident_subsides(engine):
    """「对舆情回复后……时刻留意舆情发展动向……直至舆情缓退、平息」."""
    events = [done("media_reply", cst(23, 15)), event("subsided", cst(25, 18))]
    case = incident(assessed_level="general", events=events)

    before_reply = engine.evaluate(incident(assessed_level="general"), at=cst(23, 14)).action(
        "track_after_reply"
    )
    during = engine.evaluate(case, at=cst(24, 9)).action("track_after_reply")
    after = engine.evaluate(case, at=cst(25, 18)).action("track_after_reply")

    assert "waiting" == before_reply.status
    assert (cst(23, 15), "pending") == (during.anchor_at, during.status)
    assert "done" == after.status


def test_doubts_are_guided_then_escalated(engine):
    """「发现……质疑的跟帖后,要及时……引导」; 「不能正确引导……要及时上报」 then the group's reply plan."""
    doubted = [event("reply_doubted", cst(24, 10))]
    stuck = [*doubted, event("cannot_guide", cst(24, 11))]

    only_doubts = engine.evaluate(
        incident(assessed_level="general", events=doubted), at=cst(24, 12)
    )
    escalated = engine.evaluate(
        incident(
            assessed_level="general", events=[*stuck, done("escalate_doubts", cst(24, 11, 5))]
        ),
        at=cst(24, 12),
    )

    assert "guide_doubts" in applying(only_doubts)
    assert not {"escalate_doubts", "doubt_reply_plan"} & applying(only_doubts)
    assert "pending" == escalated.action("doubt_reply_plan").status
    assert ("leading_group",) == tuple(o.id for o in escalated.action("doubt_reply_plan").owners)


# -- 五 工作机制 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "applies"),
    [
        ({"threatens_stability": True}, True),
        ({"false_report": True, "assessed_level": "major"}, True),
        ({"false_report": True, "assessed_level": "larger"}, False),
        ({"false_report": True}, False),
        ({"threatens_stability": False, "false_report": False}, False),
    ],
)
def test_feedback_to_the_party_group(engine, facts, applies):
    """五(一)1 「不利于社会稳定的负面舆情或重大的虚假舆情,及时反馈到局党组」; 重大 is the level word."""
    result = engine.evaluate(incident(**facts), at=cst(23, 10))

    assert applies == ("feedback_party_group" in applying(result))


def test_categories_select_their_responses(engine):
    """五(三)1 虚假不实报道 → 局党组及相关股室 contact the media; 五(三)2 突发事件 → 第一时间发出官方声音."""
    false = engine.evaluate(incident(false_report=True), at=cst(23, 10))
    sudden = engine.evaluate(incident(from_sudden_event=True), at=cst(23, 10))

    assert ["false_report"] == [c.id for c in false.categories]
    assert ("party_group", "relevant_sections") == tuple(
        o.id for o in false.action("contact_media_false_report").owners
    )
    assert {
        "sudden_collect_analyse",
        "sudden_consult_sections",
        "sudden_media_contact",
        "sudden_official_voice",
    } <= applying(sudden)
    assert DISCOVERED == sudden.action("sudden_official_voice").due


def test_press_conference_only_when_needed(engine):
    """五(三)3 「必要时及时组织新闻发布会,由局党组上报县委、县政府指定专人对外发布」."""
    needed = engine.evaluate(
        incident(
            press_conference_needed=True,
            events=[done("press_conference_request", cst(23, 10))],
        ),
        at=cst(23, 11),
    )
    not_needed = engine.evaluate(incident(press_conference_needed=False), at=cst(23, 11))

    conference = needed.action("press_conference")
    assert ("pending", "press_conference") == (conference.status, conference.channel)
    assert "designated_spokesperson" == conference.owners[0].id
    assert not {"press_conference_request", "press_conference"} & applying(not_needed)


# -- 六 后期处置 --------------------------------------------------------------------------------


def test_summary_and_accountability_follow_the_end_of_handling(engine):
    """六2 「网络舆情应急处置结束后……全面总结和评估……责任考评」: waiting until case_closed, then owed."""
    subsided, closed = cst(25, 18), cst(26, 17)
    case = incident(
        assessed_level="general", events=[event("subsided", subsided), event("case_closed", closed)]
    )
    review = ("summary_evaluation", "accountability_review", "aftermath_watch_trends")

    during = engine.evaluate(case, at=cst(24, 9))
    after_subsided = engine.evaluate(case, at=cst(26, 9))
    after_closed = engine.evaluate(case, at=closed)

    for action in review:
        assert ("waiting", None) == (
            during.action(action).status,
            during.action(action).anchor_at,
        )
        assert "waiting" == after_subsided.action(action).status
        assert ("pending", closed) == (
            after_closed.action(action).status,
            after_closed.action(action).anchor_at,
        )
    assert "done" == after_subsided.action("monitor_until_subsided").status
    assert ("leading_group", "relevant_sections") == tuple(
        o.id for o in after_closed.action("summary_evaluation").owners
    )


def test_responsibility_is_pursued_only_for_serious_negligence(engine):
    """「追究因工作不力、玩忽职守造成严重后果的……责任」."""
    closed = [event("case_closed", cst(26, 17))]

    negligent = engine.evaluate(
        incident(assessed_level="general", negligence_serious=True, events=closed), at=cst(27, 9)
    )
    clean = engine.evaluate(
        incident(assessed_level="general", negligence_serious=False, events=closed), at=cst(27, 9)
    )

    assert "pending" == negligent.action("pursue_responsibility").status
    assert "pursue_responsibility" not in applying(clean)


def test_work_plans_are_revised_after_the_summary(engine):
    """「针对……成功经验以及暴露出来的问题,进一步修改完善有关工作方案」 follows the summary."""
    events = [event("case_closed", cst(26, 17))]
    before = engine.evaluate(incident(assessed_level="general", events=events), at=cst(27, 9))
    events.append(done("summary_evaluation", cst(30, 16)))
    after = engine.evaluate(incident(assessed_level="general", events=events), at=cst(30, 17))

    assert "waiting" == before.action("improve_work_plans").status
    assert ("pending", cst(30, 16)) == (
        after.action("improve_work_plans").status,
        after.action("improve_work_plans").anchor_at,
    )


# -- the example incident ------------------------------------------------------------------------


def test_example_incident_walk_through(engine):
    """MZ-2026-031: judged 一般, a gathering at 11:30 makes it 重大; it subsides on the 25th, closes on the 26th."""
    case = opinion_rules.load_incident(INCIDENT_FILE)

    mid = engine.evaluate(case, at=cst(25, 12))
    end = engine.evaluate(case, at=cst(30, 17))

    assert ["general", "major_or_larger"] == [g.id for g in mid.grade_history]
    assert cst(23, 11, 40) == mid.grade.since
    assert "pending" == mid.action("mass_incident_monitoring").status
    assert "waiting" == mid.action("summary_evaluation").status
    assert {"level2_lead", "level3_lead"} <= applying(mid)
    assert "done" == end.action("mass_incident_monitoring").status
    assert "done" == end.action("summary_evaluation").status
    assert "pending" == end.action("improve_work_plans").status
    assert "pending" == end.action("accountability_review").status
