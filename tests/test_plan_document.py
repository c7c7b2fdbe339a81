"""
The plan document people sign: enum choices shown by their labels
(``choice_labels``, the ``unlabelled-choice`` warning), the plan's own
source, the self-contained HTML with its print style and signing block.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.exceptions import PlanValidationError
from opinion_rules.planfile._loaders import read_plan_text

from .conftest import EXAMPLES


PLANS = sorted((EXAMPLES / "plans").glob("*.yaml"))
PLAN_IDS = [p.stem for p in PLANS]

ENUM_PLAN = """\
id: labels
title: 标签示例
issuer: 测试单位
version: "1"
source: 《标签示例》
roles: [{id: office, name: 办公室}]
facts:
  - id: kind
    type: enum
    choices: [inquiry, rumour]
{labels}grades:
  - {id: any, name: 网络舆情, rank: 0, criteria: kind == inquiry or kind == rumour, clause: {ref: 一, text: 甲}}
categories:
  - {id: inquiry, name: 询问类, condition: "kind in [inquiry, rumour]", clause: {ref: 二, text: 乙}}
actions:
  - id: reply
    title: 跟帖回复
    owners: [office]
    channel: web_post
    deadline: {anchor: discovered, within: 3h}
    clause: {ref: 三, text: 丙}
"""


def enum_plan(labels: str = "") -> o.Plan:
    """The small plan above, its fact's choice_labels given as YAML lines *labels*."""
    return read_plan_text(ENUM_PLAN.replace("{labels}", labels), "yaml")


def visible_text(document: str) -> str:
    """The text a reader sees in an HTML document: no style sheet, no tags."""
    body = re.sub(r"<style>.*?</style>", "", document, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", body)


# -- choice labels in plan files and the model ------------------------------------------


def test_choice_labels_show_in_the_chinese_document():
    """A labelled choice reads as its label in zh, as its id in en, in Markdown and HTML."""
    plan = enum_plan("    choice_labels: {inquiry: 询问, rumour: 谣言}\n")

    assert "舆情类型" not in o.render_plan(plan)  # the fact has no label: its id shows
    assert "kind为“询问”、“谣言”之一" in o.render_plan(plan)
    assert "kind为“询问”、“谣言”之一" in visible_text(o.render_plan(plan, "html"))
    assert "kind in inquiry/rumour" in o.render_plan(plan, "md", "en")


def test_labels_are_kept_in_the_order_of_the_choices():
    """Labels given in any order, as a mapping or as pairs, make equal facts."""
    a = o.FactSpec("k", "enum", ("x", "y"), choice_labels={"y": "乙", "x": "甲"})
    b = o.FactSpec("k", "enum", ("x", "y"), choice_labels=[("x", "甲"), ("y", "乙")])

    assert a == b
    assert (("x", "甲"), ("y", "乙")) == a.choice_labels
    assert "甲" == a.choice_label("x")
    assert "z" == a.choice_label("z")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"choice_labels": {"z": "丙"}}, "'z', which is not one of its choices"),
        ({"choice_labels": {"x": " "}}, "must be non-empty text"),
        ({"choice_labels": [("x", "甲"), ("x", "乙")]}, "label a choice twice"),
        ({"choice_labels": "x"}, "not the string"),
        ({"choice_labels": [("x",)]}, "must map choices to labels"),
        ({"type": "text", "choices": (), "choice_labels": {"x": "甲"}}, "only for enum facts"),
    ],
)
def test_bad_choice_labels_are_refused(kwargs: dict[str, object], words: str):
    """Labels for a choice the fact lacks, empty, twice, or on a non-enum fact are refused."""
    arguments: dict[str, object] = {"type": "enum", "choices": ("x", "y"), **kwargs}
    with pytest.raises((ValueError, TypeError)) as info:
        o.FactSpec("k", **arguments)  # type: ignore[arg-type]

    assert words in str(info.value)


@pytest.mark.parametrize(
    ("labels", "where", "words"),
    [
        ("    choice_labels: [询问]\n", "11:20", "expected a mapping of choice to label"),
        ("    choice_labels: {inquiry: 1}\n", "11:30", "expected non-empty text"),
        ("    choice_labels: {inquiy: 询问}\n", "8:5", "'inquiy', which is not one of"),
    ],
)
def test_bad_choice_labels_in_a_file_are_located(labels: str, where: str, words: str):
    """A wrong choice_labels key in a plan file is a located problem."""
    with pytest.raises(PlanValidationError) as info:
        enum_plan(labels)

    assert f"<string>:{where}:" in str(info.value)
    assert words in str(info.value)


@given(
    labels=st.dictionaries(
        st.sampled_from(["inquiry", "rumour"]),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1).filter(
            str.strip
        ),
    ),
    fmt=st.sampled_from(["yaml", "toml", "json"]),
)
@settings(max_examples=25)
def test_choice_labels_survive_dump_and_load(labels: dict[str, str], fmt: str):
    """Any labels (quotes, colons, Chinese, none at all) survive a plan-file round trip."""
    base = enum_plan()
    fact = attrs.evolve(base.facts[0], choice_labels=labels)
    plan = attrs.evolve(base, facts=(fact,))

    assert plan == read_plan_text(o.dump_plan(plan, fmt), fmt)


def test_a_choice_without_a_label_is_a_lint_warning():
    """check warns (unlabelled-choice) of each enum fact with an unlabelled choice, naming them."""
    findings = o.lint_plan(enum_plan("    choice_labels: {inquiry: 询问}\n"))
    labelled = o.lint_plan(enum_plan("    choice_labels: {inquiry: 询问, rumour: 谣言}\n"))

    assert [("warning", "facts[0].choice_labels")] == [
        (f.severity, f.path) for f in findings if f.code == "unlabelled-choice"
    ]
    assert "(rumour)" in next(f.message for f in findings if f.code == "unlabelled-choice")
    assert [] == [f for f in labelled if f.code == "unlabelled-choice"]


# -- the bundled plans ------------------------------------------------------------------


@pytest.mark.parametrize("path", PLANS, ids=PLAN_IDS)
def test_the_bundled_plans_show_no_enum_or_grade_id_in_chinese(path: Path):
    """The Chinese document of each bundled plan names no choice or grade by its id."""
    plan = o.load_plan(path)
    # Notes quote the author's reasons, written in English with ids: not the document's words.
    text = visible_text(o.render_plan(attrs.evolve(plan, notes=()), "html"))
    ids = {c for f in plan.facts for c in f.choices} | {g.id for g in plan.grades}

    assert set() == {i for i in ids if re.search(rf"(?<![A-Za-z_]){i}(?![A-Za-z_])", text)}
    assert [] == [f for f in o.lint_plan(plan) if f.code == "unlabelled-choice"]


@pytest.mark.parametrize("path", PLANS, ids=PLAN_IDS)
def test_the_bundled_plans_cite_their_own_source(path: Path):
    """The 来源 line of each bundled plan names its document (《…》), not a path in a repository."""
    plan = o.load_plan(path)
    out = o.render_plan(plan)

    assert f"- 来源: {plan.source}\n" in out
    assert plan.source.startswith("《")
    assert "shared/" not in plan.source
    assert ".txt" not in plan.source


# -- the HTML document -------------------------------------------------------------------


@pytest.fixture(scope="module")
def work_safety_html() -> str:
    """The work-safety plan as an HTML document in Chinese."""
    return o.render_plan(o.load_plan(EXAMPLES / "plans" / "work_safety.yaml"), "html")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", PLANS, ids=PLAN_IDS)
def test_the_document_fetches_nothing(path: Path, lang: str):
    """The HTML of every bundled plan names no URL, loads no file, runs no script."""
    out = o.render_plan(o.load_plan(path), "html", lang)

    assert [] == re.findall(r"https?:|//[a-z]|\b(?:src|href)=|url\(|@import|<script|<link", out)


def test_the_document_prints_on_a4_with_a_running_header(work_safety_html: str):
    """The style sheet sets A4, puts title and version in the page's top margin, numbers pages."""
    assert "@page { size: A4;" in work_safety_html
    assert '@top-left { content: "安全生产网络舆情应对预案";' in work_safety_html
    assert '@top-right { content: "版本 2023-1";' in work_safety_html
    assert 'counter(page) " / " counter(pages)' in work_safety_html
    assert "section + section { break-before: page; }" in work_safety_html


def test_clause_refs_are_kept_on_one_line(work_safety_html: str):
    """Clause columns and inline citations carry the nowrap class ref."""
    assert ".ref { white-space: nowrap; }" in work_safety_html
    assert '<td class="ref">五(四)1</td>' in work_safety_html
    assert '<span class="ref">〔二(一)〕</span>' in work_safety_html


def test_tables_have_header_rows(work_safety_html: str):
    """Every table but the plan's identity and the signing block has a thead of th cells."""
    tables = re.findall(r"<table(?: class=\"(\w+)\")?>(.*?)</table>", work_safety_html)
    plain = [body for cls, body in tables if not cls]

    assert plain
    assert all(body.startswith("<thead><tr><th>") for body in plain)


def test_the_signing_block_ends_the_document(work_safety_html: str):
    """The document ends with the bilingual signing block: approver, issuer, dates, the seal."""
    body = visible_text(work_safety_html)
    last = work_safety_html.rsplit("<section", 1)[1]

    assert 'class="signing"' in last
    for words in ("审批人", "Approved by", "签发人", "Issued by", "日期", "Date", "盖章", "seal"):
        assert words in last
    assert body.rstrip().endswith("国家安全生产监督管理总局")


def test_a_title_cannot_break_out_of_the_style_sheet():
    """A title with quotes, a backslash and </style> stays a CSS string in the page header."""
    plan = attrs.evolve(enum_plan(), title='a"b\\c</style><script>x')
    out = o.render_plan(plan, "html")

    assert 1 == out.count("</style>")
    assert "<script" not in out
    assert '@top-left { content: "a\\000022b\\00005cc\\00003c/style\\00003e' in out
