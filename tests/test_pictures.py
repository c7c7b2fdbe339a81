"""
Incident timelines as pictures: the data (``timeline_picture``) checked
against the assessment, the drawing (labels, determinism, sizes, the CJK
font and its fallback), and ``opinion-rules timeline`` / ``track timeline
--out`` with their errors.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules
from opinion_rules.cli._main import main
from opinion_rules.exceptions import FactError
from opinion_rules.pictures import (
    MeasureTrace,
    TimelinePicture,
    _draw,
    cjk_font,
    draw_timeline,
    timeline_picture,
)

from .conftest import EXAMPLES, ROOT, cst


PLAN = str(EXAMPLES / "plans" / "work_safety.yaml")
INCIDENT = str(EXAMPLES / "incidents" / "work_safety_upgrade.json")
AT = "2026-11-23T14:00:00+08:00"


@pytest.fixture(scope="module")
def engine() -> opinion_rules.Engine:
    return opinion_rules.Engine(opinion_rules.load_plan(PLAN))


@pytest.fixture(scope="module")
def incident() -> opinion_rules.Incident:
    return opinion_rules.load_incident(INCIDENT)


@pytest.fixture(scope="module")
def picture(engine: opinion_rules.Engine, incident: opinion_rules.Incident) -> TimelinePicture:
    return timeline_picture(engine, incident, at=cst(23, 14))


@pytest.fixture(scope="module")
def svg(picture: TimelinePicture, tmp_path_factory: pytest.TempPathFactory) -> str:
    if cjk_font() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "CI needs a CJK font for the timeline pictures: apt-get install fonts-wqy-microhei (or fonts-noto-cjk)"
            )
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    out = tmp_path_factory.mktemp("pictures") / "ws.svg"
    draw_timeline(picture, out)
    return out.read_text(encoding="utf-8")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# -- the data ----------------------------------------------------------------------------


def test_the_grade_steps_are_the_grade_history(
    engine: opinion_rules.Engine, incident: opinion_rules.Incident, picture: TimelinePicture
):
    """The picture's grade steps are the assessment's grade history, with the clause refs."""
    assessment = engine.evaluate(incident, at=cst(23, 14))

    assert [
        (g.since, g.id, g.rank, g.clause.ref if g.clause else None)
        for g in assessment.grade_history
    ] == [(s.at, s.grade_id, s.rank, s.clause_ref) for s in picture.grades]
    assert ["二(三)1", "二(三)2", "二(三)3"] == [s.clause_ref for s in picture.grades]


def test_every_action_instant_is_on_the_picture(
    engine: opinion_rules.Engine, incident: opinion_rules.Incident, picture: TimelinePicture
):
    """Every action's anchor, due and done instants and status are the assessment's, inside the axis."""
    assessment = engine.evaluate(incident, at=cst(23, 14))
    expected = [(a.id, a.status, a.anchor_at, a.due, a.done_at) for a in assessment.actions]
    instants = [t for a in picture.actions for t in (a.anchor_at, a.due, a.done_at) if t]

    assert expected == [(a.id, a.status, a.anchor_at, a.due, a.done_at) for a in picture.actions]
    assert all(picture.start <= t <= picture.end for t in instants)
    assert {"major_activate_plan", "major_notify_units"} == {
        a.id for a in picture.actions if a.late
    }


def test_the_measures_are_those_the_grades_read_with_their_thresholds(picture: TimelinePicture):
    """Each measure the grades read is a step line ending at the instant, with every grade's bound."""
    clicks = picture.measures[0]

    assert ["clicks_1d", "sites_1d", "reposts"] == [m.id for m in picture.measures]
    assert [(cst(23, 9), 700), (cst(23, 10), 1300), (cst(23, 13), 10300), (cst(23, 14), 10300)] == [
        p for p in clicks.points if p[1] is not None
    ]
    assert [("larger", ">", 1000), ("major", ">", 10000), ("especially_major", ">", 50000)] == [
        (t.grade_id, t.symbol, t.value) for t in clicks.thresholds
    ]


def test_a_chain_shows_when_each_hop_was_done(picture: TimelinePicture):
    """A report chain lists its hops with the instant each was done."""
    chain = picture.chains[0]

    assert ("larger_report", "larger_characterise", "larger_approval") == chain.hops
    assert (cst(23, 10, 20), None, None) == chain.hop_done
    assert "五(一)2" == chain.clause_ref


clicks_readings = st.lists(
    st.tuples(st.integers(0, 36 * 60), st.integers(0, 20_000), st.sampled_from(["a.cn", "b.cn"])),
    max_size=8,
)


@settings(max_examples=20)
@given(readings=clicks_readings, cut=st.integers(0, 36 * 60))
def test_a_later_instant_does_not_rewrite_a_measure_s_past(
    engine: opinion_rules.Engine, readings: list[tuple[int, int, str]], cut: int
):
    """A measure's steps up to an earlier instant are those the later picture has up to then."""
    start = cst(23, 8)
    observations = [
        {
            "at": (start + timedelta(minutes=m)).isoformat(),
            "metric": "clicks",
            "value": v,
            "site": s,
            "kind": "increment",
        }
        for m, v, s in readings
    ]
    incident = opinion_rules.Incident.from_dict(
        {"id": "P-1", "discovered_at": start.isoformat(), "observations": observations}
    )
    early, late = start + timedelta(minutes=cut), start + timedelta(hours=36)
    before = timeline_picture(engine, incident, at=early)
    after = timeline_picture(engine, incident, at=late)

    for mine, theirs in zip(before.measures, after.measures, strict=True):
        assert list(mine.points[:-1]) == [p for p in theirs.points if p[0] < early]
        assert early == mine.points[-1][0]
    assert [s for s in after.grades if s.at <= early] == list(before.grades)


def test_an_assessment_of_another_instant_is_refused(
    engine: opinion_rules.Engine, incident: opinion_rules.Incident
):
    """An assessment given for another instant is a FactError naming the field."""
    other = engine.evaluate(incident, at=cst(23, 13))

    with pytest.raises(FactError, match=r"assessment\.at: is not the picture's"):
        timeline_picture(engine, incident, at=cst(23, 14), assessment=other)


def test_a_naive_instant_is_refused(engine: opinion_rules.Engine, incident: opinion_rules.Incident):
    """A naive evaluation instant is a FactError."""
    with pytest.raises(FactError, match="is naive"):
        timeline_picture(engine, incident, at=datetime(2026, 11, 23, 14))  # noqa: DTZ001 - the case


def test_invalid_picture_data_cannot_exist(picture: TimelinePicture):
    """The value classes refuse an instant outside the axis and points out of order."""
    with pytest.raises(ValueError, match="'start' <= 'at' <= 'end'"):
        attrs.evolve(picture, end=picture.at - timedelta(hours=1))
    with pytest.raises(ValueError, match="in time order"):
        MeasureTrace("m", "m", [(cst(23, 10), 1), (cst(23, 9), 2)], [])


# -- the drawing -------------------------------------------------------------------------


def test_the_svg_shows_the_plan_s_words(svg: str):
    """With a CJK font, the SVG carries the grade names, clause refs, thresholds and action ids."""
    for text in (
        "重大网络舆情 [二(三)3]",
        "较大网络舆情 &gt; 1000",
        "跟贴点击次数(1天内)",
        "立即电话报告人事司(宣教办) [五(一)3]",
    ):
        assert f"<!-- {text}" in svg, text
    ids = set(re.findall(r'id="((?:action|grade-step|chain|threshold)-[^"]+)"', svg))
    assert {
        "action-major_notify_units-due",
        "grade-step-2-major",
        "chain-larger_chain-hop-0",
    } <= ids
    assert "<dc:date>" not in svg


def test_without_a_cjk_font_the_picture_uses_ids_and_english(
    picture: TimelinePicture, tmp_path: Path
):
    """Without a CJK font the labels fall back to ids and English names, and the result says so."""
    out = tmp_path / "ws.svg"

    assert None is draw_timeline(picture, out, cjk=False)
    text = out.read_text(encoding="utf-8")
    assert "<!-- major [" not in text
    assert "<!-- major -->" in text
    assert "<!-- clicks_1d -->" in text
    assert not re.search(r"<!--[^>]*[\u4e00-\u9fff]", text)


def test_the_drawing_is_deterministic_and_the_png_has_the_svg_s_size(
    picture: TimelinePicture, tmp_path: Path
):
    """Two drawings are the same bytes; the PNG is 100 pixels per inch of the SVG's size."""
    first, second, png = tmp_path / "a.svg", tmp_path / "b.svg", tmp_path / "c.png"
    for out in (first, second, png):
        draw_timeline(picture, out, cjk=False)

    assert first.read_bytes() == second.read_bytes()
    width, height = (
        float(v)
        for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', first.read_text()).groups()
    )
    head = png.read_bytes()[:24]
    assert b"\x89PNG\r\n\x1a\n" == head[:8]
    assert (round(width / 72 * 100), round(height / 72 * 100)) == struct.unpack(">II", head[16:24])


def test_a_file_name_that_is_not_a_picture_is_refused(picture: TimelinePicture, tmp_path: Path):
    """An --out that ends in neither .svg nor .png is a FactError naming the file, and nothing is written."""
    with pytest.raises(
        FactError,
        match=r"ws\.pdf: is not a picture file name; expected a file name ending in \.svg or \.png \(got '\.pdf'\)",
    ):
        draw_timeline(picture, tmp_path / "ws.pdf")
    assert [] == list(tmp_path.iterdir())


# -- the command line --------------------------------------------------------------------


def test_the_timeline_command_draws_the_picture(tmp_path: Path):
    """opinion-rules timeline writes the picture and says where."""
    out = tmp_path / "ws.png"
    code, stdout, _ = run("timeline", PLAN, INCIDENT, "--at", AT, "--out", str(out))

    assert (0, f"wrote the timeline of WS-2026-017 as of {AT} to {out}\n") == (code, stdout)
    assert out.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--at", AT, "--out", "ws.gif"], 2, "ws.gif: is not a picture file name"),
        (["--at", "2026-11-23T14:00", "--out", "ws.svg"], 2, "--at: has no UTC offset"),
        (
            ["--at", AT, "--out", "/nonexistent/ws.svg"],
            1,
            "--out /nonexistent/ws.svg: cannot write",
        ),
    ],
)
def test_the_timeline_command_s_errors(args: list[str], code: int, message: str):
    """A bad file name or instant exits 2, an unwritable file 1, each with one line."""
    got, stdout, stderr = run("timeline", PLAN, INCIDENT, *args)

    assert (code, "") == (got, stdout)
    assert stderr.startswith(f"opinion-rules: error: {message}")
    assert 1 == stderr.count("\n")


def test_a_missing_incident_file_is_located(tmp_path: Path):
    """A missing incident file exits 2 naming the file."""
    code, _, err = run(
        "timeline", PLAN, str(tmp_path / "no.json"), "--at", AT, "--out", str(tmp_path / "x.svg")
    )

    assert 2 == code
    assert f"opinion-rules: error: {tmp_path / 'no.json'}: no such file" in err


def test_without_matplotlib_the_command_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """Without matplotlib the command exits 1 naming pip install 'opinion-rules[plot]'."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = run("timeline", PLAN, INCIDENT, "--at", AT, "--out", str(tmp_path / "x.svg"))

    assert (
        1,
        "opinion-rules: error: drawing a timeline needs matplotlib; install it with pip install 'opinion-rules[plot]'\n",
    ) == (code, err)


def test_without_a_cjk_font_the_command_warns_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Without a CJK font the picture is drawn and one warning line names the font package."""
    monkeypatch.setattr(_draw, "cjk_font", lambda: None)
    code, _, err = run("timeline", PLAN, INCIDENT, "--at", AT, "--out", str(tmp_path / "x.svg"))

    assert 0 == code
    assert 1 == err.count("\n")
    assert err.startswith("opinion-rules: warning: no CJK font installed")
    assert "apt-get install fonts-noto-cjk" in err


def test_track_timeline_out_draws_the_stored_incident(tmp_path: Path):
    """track timeline --out draws the replayed incident; --at without --out and --json with it exit 2."""
    store = str(tmp_path / "cases.db")
    opened = run(
        "track",
        "--store",
        store,
        "open",
        PLAN,
        "--id",
        "WS-1",
        "--discovered-at",
        "2026-11-23T09:00:00+08:00",
        "--posted-at",
        "2026-11-23T08:00:00+08:00",
        "--facts",
        '{"netizen_concern": "doubt"}',
        "--by",
        "t",
        "--recorded-at",
        "2026-11-23T09:05:00+08:00",
    )
    readings = "\n".join(
        json.dumps(
            {"id": f"c{i}", "observation": {"at": at, "metric": "clicks", "value": v, "site": s}}
        )
        for i, (at, v, s) in enumerate(
            [("2026-11-23T10:00:00+08:00", 900, "a.cn"), ("2026-11-23T10:00:00+08:00", 600, "b.cn")]
        )
    )
    sys_stdin = sys.stdin
    try:
        sys.stdin = io.StringIO(readings)
        recorded = run(
            "track",
            "--store",
            store,
            "record",
            "WS-1",
            "--by",
            "t",
            "--recorded-at",
            "2026-11-23T10:05:00+08:00",
        )
    finally:
        sys.stdin = sys_stdin
    out = tmp_path / "ws.svg"
    drawn = run(
        "track",
        "--store",
        store,
        "timeline",
        "WS-1",
        "--at",
        "2026-11-23T11:00:00+08:00",
        "--out",
        str(out),
    )

    assert [0, 0, 0] == [opened[0], recorded[0], drawn[0]]
    assert 'id="grade-step-1-larger"' in out.read_text(encoding="utf-8")
    assert 2 == run("track", "--store", store, "timeline", "WS-1", "--at", AT)[0]
    assert 2 == run("track", "--store", store, "timeline", "WS-1", "--json", "--out", str(out))[0]


def test_the_docs_picture_shows_what_the_code_draws_today(tmp_path: Path):
    """docs/images/make_pictures.py draws the work-safety picture with the same words as the committed one."""
    if cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    script = ROOT / "docs" / "images" / "make_pictures.py"
    result = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path), "--no-cascade"],
        capture_output=True,
        text=True,
        check=False,
    )
    comments = re.compile(r"<!-- (.*?) -->")
    drawn = (tmp_path / "work-safety-timeline.svg").read_text(encoding="utf-8")
    committed = (script.parent / "work-safety-timeline.svg").read_text(encoding="utf-8")

    assert 0 == result.returncode, result.stderr
    assert comments.findall(committed) == comments.findall(drawn)
