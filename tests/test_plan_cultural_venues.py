"""
The cultural-venues plan file (examples/plans/cultural_venues.yaml), tested
sentence by sentence.

Each test names the sentence of the 文化场馆疫情防控工作指引 (seed 000,
plan 1) it checks; docs/explanation/cultural-venues-plan.md explains how the
ambiguous ones were read and which sentences are prose only.

The guideline leaves the fever threshold blank ("体温超过℃").  The tests
supply 37.3 ℃ as an organisation's choice, to exercise the rule; the plan
file itself has no value.
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
from opinion_rules.exceptions import PlanValidationError

from .conftest import cst, done, learned


ROOT = Path(__file__).parents[1]
PLAN_FILE = ROOT / "examples/plans/cultural_venues.yaml"
INCIDENT_FILE = ROOT / "examples/incidents/cultural_venue_case.json"
SEED = ROOT.parent / "shared/seeds/000_375a4e5818a17de0.txt"

#: An organisation's value for the blank threshold, for these tests only.
THRESHOLD = 37.3
DISCOVERED = cst(27, 10)
AT = cst(27, 11)
LIMIT_75_TYPES = ["lecture", "exhibition", "enclosed_space"]


@pytest.fixture(scope="module")
def raw_plan() -> opinion_rules.Plan:
    """The plan as the file gives it: the threshold has no value."""
    return opinion_rules.load_plan(PLAN_FILE)


@pytest.fixture(scope="module")
def plan(raw_plan: opinion_rules.Plan) -> opinion_rules.Plan:
    return raw_plan.with_parameters(fever_threshold=THRESHOLD)


def incident(*, events: list[dict[str, Any]] | None = None, **facts: Any) -> dict[str, Any]:
    """A situation reported at 27日 10:00 with *facts* known from the start."""
    return {
        "id": "WG-TEST",
        "discovered_at": DISCOVERED.isoformat(),
        "facts": facts,
        "events": events or [],
    }


def applying(result: opinion_rules.Assessment) -> set[str]:
    return {a.id for a in result.actions}


# -- the plan as a whole -----------------------------------------------------------------


def test_every_element_cites_its_sentence_and_prose_is_listed(raw_plan):
    """Every grade, category, principle and action quotes a clause; every prose-only sentence is a note with a reason."""
    cited = [*raw_plan.grades, *raw_plan.categories, *raw_plan.principles, *raw_plan.actions]

    assert all(item.clause is not None and item.clause.text for item in cited)
    assert all(note.reason for note in raw_plan.notes)
    refs = {note.clause.ref for note in raw_plan.notes}
    assert {"二(一)", "二(二)", "二(三)", "二(四)", "二(五)", "二(八)", "三(五)", "五"} <= refs


@pytest.mark.skipif(not SEED.exists(), reason="the seed text is not checked out here")
def test_clauses_are_verbatim_from_the_seed(raw_plan):
    """Each quoted clause (split at ……) occurs, in order, in plan 1 of the seed."""

    def squash(text: str) -> str:
        return re.sub(r"\s+", "", text)

    seed = SEED.read_text(encoding="utf-8")
    text = squash(
        seed[seed.index("2023年网络舆情处置预案1") : seed.index("2023年网络舆情处置预案2")]
    )
    clauses = [item.clause for item in (*raw_plan.grades, *raw_plan.categories)]
    clauses += [p.clause for p in raw_plan.principles] + [a.clause for a in raw_plan.actions]
    clauses += [n.clause for n in raw_plan.notes] + [p.clause for p in raw_plan.parameters]
    clauses += [f.clause for f in raw_plan.facts if f.clause is not None]

    for clause in clauses:
        position = 0
        for piece in filter(None, map(squash, clause.text.split("……"))):
            found = text.find(piece, position)
            assert found >= 0, f"{clause.ref}: {piece!r} is not in the seed"
            position = found + len(piece)


# -- the blank threshold: 「体温异常(体温超过℃)」 ---------------------------------------------


def test_engine_refuses_the_plan_while_the_threshold_is_blank(raw_plan, backend):
    """The text gives no number, so the plan cannot run until the organisation supplies one."""
    (parameter,) = raw_plan.parameters
    assert ("fever_threshold", None, "℃") == (parameter.id, parameter.value, parameter.unit)
    assert "体温超过℃" in parameter.clause.text

    with pytest.raises(PlanValidationError, match="fever_threshold"):
        opinion_rules.Engine(raw_plan, backend=backend)


def test_engine_runs_once_the_threshold_is_supplied(raw_plan, backend):
    """plan.with_parameters(fever_threshold=...) makes the plan runnable; the value drives the rule."""
    strict = opinion_rules.Engine(raw_plan.with_parameters(fever_threshold=37.0), backend=backend)
    lenient = opinion_rules.Engine(raw_plan.with_parameters(fever_threshold=37.5), backend=backend)
    case = incident(body_temperature=37.2)

    assert "refuse_entry_abnormal" in applying(strict.evaluate(case, at=AT))
    assert "refuse_entry_abnormal" not in applying(lenient.evaluate(case, at=AT))


@pytest.mark.parametrize(
    ("temperature", "symptoms", "refused"),
    [
        (THRESHOLD, None, False),
        (THRESHOLD + 0.1, None, True),
        (36.5, True, True),
        (36.5, False, False),
        (None, True, True),
    ],
)
def test_entry_refused_above_the_threshold_or_with_symptoms(engine, temperature, symptoms, refused):
    """「对体温异常(体温超过℃)或有明显呼吸道症状的,应拒绝其进入」: 超过 is strict."""
    facts = {"body_temperature": temperature, "respiratory_symptoms": symptoms}
    result = engine.evaluate(incident(**{k: v for k, v in facts.items() if v is not None}), at=AT)

    assert refused == ("refuse_entry_abnormal" in applying(result))
    assert refused == ("handle_abnormal_per_guideline" in applying(result))


# -- 三(四) capacity ------------------------------------------------------------------------


@pytest.mark.parametrize("activity", LIMIT_75_TYPES)
@pytest.mark.parametrize(("ratio", "breach"), [(0.5, False), (0.75, False), (0.7500001, True)])
def test_seventy_five_percent_limit(engine, activity, ratio, breach):
    """「讲座、展览及封闭空间等……严格控制参加人数承载量75%」: 75% complies, above it does not."""
    result = engine.evaluate(incident(activity_type=activity, occupancy_ratio=ratio), at=AT)

    assert ["limit_75"] == [c.id for c in result.categories]
    assert breach == ("hold_to_75_percent" in applying(result))


@given(ratio=st.floats(min_value=0, max_value=1.5, allow_nan=False))
def test_seventy_five_percent_boundary_property(python_engine, ratio):
    """For any ratio: the 75% duty applies exactly when the ratio is above 0.75."""
    result = python_engine.evaluate(incident(activity_type="lecture", occupancy_ratio=ratio), at=AT)

    assert (ratio > 0.75) == ("hold_to_75_percent" in applying(result))


def test_seventy_five_percent_limit_is_only_for_the_named_kinds(engine):
    """Other activities are not under the 75% rule ("等" is not extended)."""
    result = engine.evaluate(incident(activity_type="other", occupancy_ratio=0.9), at=AT)

    assert [] == [c.id for c in result.categories]
    assert "hold_to_75_percent" not in applying(result)


@pytest.mark.parametrize(("ratio", "breach"), [(0.5, False), (0.5000001, True), (0.7, True)])
def test_fifty_percent_limit_for_large_mass_events(engine, ratio, breach):
    """「大型群众性活动……控制在举办场所最大容纳人数的50%以内」: 以内 includes 50%."""
    result = engine.evaluate(incident(large_mass_event=True, occupancy_ratio=ratio), at=AT)

    assert breach == ("hold_to_50_percent" in applying(result))
    assert "hold_to_75_percent" not in applying(result)


def test_large_exhibition_is_held_to_both_limits(engine):
    """A large mass event that is also an exhibition: at 60% the 50% limit is breached, the 75% one is not."""
    result = engine.evaluate(
        incident(activity_type="exhibition", large_mass_event=True, occupancy_ratio=0.6), at=AT
    )

    assert {"limit_75", "limit_50"} == {c.id for c in result.categories}
    assert "hold_to_50_percent" in applying(result)
    assert "hold_to_75_percent" not in applying(result)


def test_unknown_ratio_is_no_breach(engine):
    """Without a head count nothing is assumed."""
    result = engine.evaluate(incident(activity_type="lecture", large_mass_event=True), at=AT)

    assert not {"hold_to_75_percent", "hold_to_50_percent"} & applying(result)


@pytest.mark.parametrize(("attendance", "needs_plan"), [(49, False), (50, False), (51, True)])
def test_events_over_fifty_need_a_filed_plan(engine, attendance, needs_plan):
    """「活动人数超50人的,要制定并报备疫情防控方案」: 超 = more than; 50 needs none."""
    result = engine.evaluate(incident(event_attendance=attendance), at=AT)

    assert needs_plan == ("file_event_plan" in applying(result))
    if needs_plan:
        filing = result.action("file_event_plan")
        assert ("written_report", "none", "pending") == (
            filing.channel,
            filing.deadline_kind,
            filing.status,
        )


@given(attendance=st.integers(min_value=0, max_value=10_000))
def test_fifty_person_boundary_property(python_engine, attendance):
    """For any head count: a plan is owed exactly when it exceeds 50."""
    result = python_engine.evaluate(incident(event_attendance=attendance), at=AT)

    assert (attendance > 50) == ("file_event_plan" in applying(result))


# -- 二(十一) and 四: closures, cases, reporting ------------------------------------------------

CASE_ACTIONS = ("case_suspend_opening", "case_closed_management", "case_mass_testing")


def test_every_situation_is_at_least_normal(engine):
    """The standing controls of 常态化 opening apply to every situation."""
    result = engine.evaluate(incident(), at=AT)

    assert "normal" == result.grade.id
    assert set() == applying(result)


def test_area_outbreak_restricts_or_suspends(engine):
    """「所在区域发生疫情后,要严格控制或暂停相关场馆开放」 — but no forced closure without a case."""
    result = engine.evaluate(incident(area_outbreak=True), at=AT)

    assert "area_outbreak" == result.grade.id
    assert "restrict_or_suspend" in applying(result)
    assert not set(CASE_ACTIONS) & applying(result)


def test_a_case_closes_the_venue_immediately(engine):
    """「出现病例的场馆须立即暂停开放、封闭管理并开展全员核酸检测」: all three due the moment the case is known."""
    found = cst(29, 9, 30)
    case = incident(events=[learned("case_found", True, found)])

    before = engine.evaluate(case, at=cst(29, 9))
    at_once = engine.evaluate(case, at=found)
    later = engine.evaluate(case, at=found + timedelta(seconds=1))

    assert "normal" == before.grade.id
    assert not set(CASE_ACTIONS) & applying(before)
    assert ("case_in_venue", found) == (at_once.grade.id, at_once.grade.since)
    for action in CASE_ACTIONS:
        assert (found, "immediately", "pending") == (
            at_once.action(action).due,
            at_once.action(action).deadline_kind,
            at_once.action(action).status,
        )
        assert "overdue" == later.action(action).status
    assert "restrict_or_suspend" in applying(at_once)


def test_suspension_done_at_the_instant_is_on_time(engine):
    """Done at the due instant is on time; a minute later is late (no tolerance is set for 立即)."""
    found = cst(29, 9, 30)
    events = [
        learned("case_found", True, found),
        done("case_suspend_opening", found),
        done("case_closed_management", found + timedelta(minutes=1)),
    ]

    result = engine.evaluate(incident(events=events), at=cst(29, 12))

    assert "done" == result.action("case_suspend_opening").status
    assert "done_late" == result.action("case_closed_management").status


@pytest.mark.parametrize(
    ("facts", "reports"),
    [
        ({"case_found": True}, True),
        ({"suspected_case": True}, True),
        ({"area_outbreak": True}, False),
        ({"case_found": False, "suspected_case": False}, False),
    ],
)
def test_found_epidemic_is_reported_to_both_authorities(engine, facts, reports):
    """四(一) 「发现疫情应当及时向属地卫生健康行政部门、文化和旅游行政部门报告」: two reports, 及时."""
    result = engine.evaluate(incident(**facts), at=AT)

    for action in ("report_health_authority", "report_culture_authority"):
        assert reports == (action in applying(result))
        if reports:
            assert ("promptly", None) == (
                result.action(action).deadline_kind,
                result.action(action).due,
            )


def test_suspected_case_starts_the_emergency_plan_and_closes_temporarily(engine):
    """四(二) 「如出现疑似疫情,应当立即启动应急预案……并暂时关闭场所」; not the case-only measures."""
    result = engine.evaluate(incident(suspected_case=True), at=AT)

    assert "normal" == result.grade.id
    assert DISCOVERED == result.action("activate_emergency_plan").due
    assert {
        "delimit_control_zone",
        "lockdown_and_isolation",
        "assist_follow_up",
        "temporarily_close",
    } <= applying(result)
    assert ("venue", "health_authority") == tuple(
        o.id for o in result.action("delimit_control_zone").owners
    )
    assert not set(CASE_ACTIONS) & applying(result)


# -- entry and staff -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "refused"),
    [
        ({"booking_verified": True, "health_code_verified": True}, False),
        ({"booking_verified": False, "health_code_verified": True}, True),
        ({"booking_verified": True, "health_code_verified": False}, True),
        ({"booking_verified": True}, False),
    ],
)
def test_no_booking_or_health_code_no_entry(engine, facts, refused):
    """「没有预约及验证"健康码",不得进入」: either failing refuses; an unknown check decides nothing."""
    result = engine.evaluate(incident(**facts), at=AT)

    assert refused == ("refuse_entry_unverified" in applying(result))


def test_uncooperative_visitors_are_refused(engine):
    """二(九) 「对不配合或干扰防疫工作的,禁止进入场馆」."""
    result = engine.evaluate(incident(uncooperative=True), at=AT)

    assert "in_person" == result.action("refuse_entry_uncooperative").channel


def test_staff_report_symptoms(engine):
    """二(六) 「出现发热、呼吸道症状时,要及时报告」: the staff member reports, 及时."""
    result = engine.evaluate(incident(staff_symptoms=True), at=AT)

    report = result.action("staff_report_symptoms")
    assert (("venue_staff",), "promptly") == (
        tuple(o.id for o in report.owners),
        report.deadline_kind,
    )


@pytest.mark.parametrize(
    ("facts", "closed"),
    [
        ({"meets_opening_conditions": False}, True),
        ({"meets_opening_conditions": True, "crowd_prone_item": True}, True),
        ({"meets_opening_conditions": True, "crowd_prone_item": False}, False),
    ],
)
def test_unready_venues_and_crowd_prone_items_stay_closed(engine, facts, closed):
    """二(七) 「对不符合开放条件的场馆以及容易形成人员聚集和密切接触的项目,应暂不开放」."""
    result = engine.evaluate(incident(**facts), at=AT)

    assert closed == ("keep_closed" in applying(result))


# -- the example incident ---------------------------------------------------------------------


def test_example_incident_walk_through(engine):
    """WG-2026-118: a 120-person lecture, crowded at 82%, a feverish visitor, then a confirmed case."""
    case = opinion_rules.load_incident(INCIDENT_FILE)

    crowded = engine.evaluate(case, at=cst(28, 14, 30))
    after_case = engine.evaluate(case, at=cst(29, 12))

    assert "done" == crowded.action("file_event_plan").status
    assert ("pending", cst(28, 14, 20)) == (
        crowded.action("hold_to_75_percent").status,
        crowded.action("hold_to_75_percent").anchor_at,
    )
    assert "case_in_venue" == after_case.grade.id
    assert "done" == after_case.action("case_suspend_opening").status
    assert "done_late" == after_case.action("case_mass_testing").status
    assert "done" == after_case.action("report_health_authority").status
    assert "pending" == after_case.action("temporarily_close").status
