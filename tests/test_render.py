"""
``render_plan`` on a small plan built here: Markdown and HTML, Chinese and
English labels, escaping, clause references and deadlines in words.
"""

from __future__ import annotations

import re

import pytest

from opinion_rules import Action, Clause, Grade, Measure, Plan, Role, render_plan
from opinion_rules.conditions import grade, measure
from opinion_rules.deadlines import after, immediately
from opinion_rules.windows import rolling


#: Each clause reference of the plan, spelled so that no other text contains it.
REFS = ("G-1", "G-2", "A-1", "A-2")


def small_plan(major: str = "重大", call: str = "立即电话报告") -> Plan:
    """Two grades, two actions (one per grade), one role; *major* and *call* name the top ones."""
    return Plan(
        id="render-demo",
        title="渲染示例",
        issuer="测试单位",
        version="1",
        source="tests",
        metrics=("clicks",),
        measures=(Measure("clicks_1d", "clicks", rolling(days=1), label="跟贴点击次数(1天内)"),),
        roles=(Role("office", "办公室", name_en="Press office"),),
        grades=(
            Grade(
                "general",
                "一般",
                0,
                measure("clicks_1d") > 100,
                Clause("G-1", "一般"),
                name_en="General",
            ),
            Grade(
                "major",
                major,
                1,
                measure("clicks_1d") > 10000,
                Clause("G-2", "重大"),
                name_en="Major",
            ),
        ),
        actions=(
            Action(
                "call",
                call,
                ("office",),
                "phone",
                immediately("discovered"),
                condition=grade() >= "major",
                clause=Clause("A-1", "立即电话报告"),
            ),
            Action(
                "written",
                "书面报告",
                ("office",),
                "written_report",
                after("discovered", hours=3),
                condition=grade().eq("general"),
                clause=Clause("A-2", "3小时内书面报告"),
            ),
        ),
    )


def test_markdown_in_chinese_shows_grades_thresholds_and_the_report_chain():
    """The default rendering is Chinese Markdown: grades highest first with thresholds in words, then duties grade by grade."""
    out = render_plan(small_plan())

    assert out.startswith("# 渲染示例\n")
    assert "- 发布单位: 测试单位" in out
    assert "| 等级 | 级别 | 判定标准 | 条款 |" in out
    assert "| 重大 | 1 | 跟贴点击次数(1天内)超过1万 | G-2 |" in out
    assert "| 一般 | 0 | 跟贴点击次数(1天内)超过100 | G-1 |" in out
    assert out.index("| 重大 | 1 |") < out.index("| 一般 | 0 |")  # highest grade first
    assert ["## 舆情分级", "## 报告和处置", "### 一般", "### 重大"] == re.findall(
        r"^##+ .*$", out, re.MULTILINE
    )
    assert "| 立即电话报告 | 办公室 | 电话报告 |" in out


def test_markdown_in_english_uses_english_labels_and_names():
    """lang='en' gives English labels, the plan's English names and operators as symbols."""
    out = render_plan(small_plan(), "md", "en")

    assert "| Grade | Rank | Criteria | Clause |" in out
    assert "| Major | 1 | clicks_1d > 10000 | G-2 |" in out
    assert "### General" in out
    assert "| Press office | phone |" in out
    assert "一般" not in out


@pytest.mark.parametrize(
    ("fmt", "lang"), [("md", "zh"), ("md", "en"), ("html", "zh"), ("html", "en")]
)
def test_every_clause_ref_appears_once(fmt: str, lang: str):
    """Each grade and action cites its clause reference exactly once, in every format and language."""
    out = render_plan(small_plan(), fmt, lang)

    assert dict.fromkeys(REFS, 1) == {ref: out.count(ref) for ref in REFS}


@pytest.mark.parametrize(
    ("lang", "immediate", "within"),
    [
        ("zh", "发现后立即", "发现后3小时内"),
        ("en", "immediately on discovery", "within 3 hours of discovery"),
    ],
)
def test_deadlines_are_in_words(lang: str, immediate: str, within: str):
    """Immediate and 'within 3h of discovery' deadlines are written as words in each language."""
    out = render_plan(small_plan(), "md", lang)

    assert immediate in out
    assert within in out


def test_html_escapes_the_plans_text():
    """HTML output escapes names and titles from the plan, in the head and the body."""
    out = render_plan(small_plan(major="重大<b>", call="电话 & <i>报告</i>"), "html")

    assert out.startswith("<!DOCTYPE html>\n")
    assert '<html lang="zh-CN">' in out
    assert "<title>渲染示例 (版本 1)</title>" in out
    assert "<td>重大&lt;b&gt;</td>" in out
    assert "<td>电话 &amp; &lt;i&gt;报告&lt;/i&gt;</td>" in out
    assert "<b>" not in out
    assert "<i>" not in out


def test_html_in_english_declares_its_language():
    """HTML in English is marked lang="en" and uses the English labels."""
    out = render_plan(small_plan(), "html", "en")

    assert '<html lang="en">' in out
    assert "<th>Criteria</th>" in out
    assert out.endswith("</body>\n</html>\n")


def test_markdown_escapes_a_pipe_in_a_cell():
    """A '|' in a name cannot break a Markdown table row: it is written as '\\|'."""
    out = render_plan(small_plan(call="电话|报告"))

    assert "| 电话\\|报告 | 办公室 |" in out


@pytest.mark.parametrize(("fmt", "lang"), [("pdf", "zh"), ("md", "fr")])
def test_unknown_format_or_language_is_refused(fmt: str, lang: str):
    """render_plan refuses a format other than md/html and a language other than zh/en."""
    with pytest.raises(ValueError, match="unknown"):
        render_plan(small_plan(), fmt, lang)
