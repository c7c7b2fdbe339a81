"""
A back-test report for people: Markdown, or a self-contained HTML page with
a table and an inline SVG chart of how grades shift (no plotting library).
"""

from __future__ import annotations

import html
from collections.abc import Iterator

from opinion_rules.authoring._diff import PlanDiff
from opinion_rules.authoring._render_words import LANGUAGES
from opinion_rules.backtest._job import DifferingIncident
from opinion_rules.backtest._run import BacktestReport
from opinion_rules.exceptions import BacktestError


__all__ = ["REPORT_FORMATS", "render_report"]

#: The formats :func:`render_report` writes.
REPORT_FORMATS = ("markdown", "html")

_WORDS = {
    "title": ("回测报告", "Back-test report"),
    "summary": ("概况", "Summary"),
    "read": ("读取事件", "incidents read"),
    "compared": ("比对(事件×时点)", "comparisons (incident × instant)"),
    "differing": ("结果不同", "differing"),
    "skipped": ("跳过(无效事件)", "skipped (invalid incidents)"),
    "at": ("比对时点", "compared at"),
    "closing": ("各事件最后记录时点", "each incident's last recorded instant"),
    "changes": ("预案变化", "Plan changes"),
    "by_change": ("按变化分组", "Differences by change"),
    "untold": ("无法归因的变化", "No change can be told"),
    "incidents": ("个", " incidents"),
    "incident": ("事件", "incident"),
    "instant": ("时点", "instant"),
    "what": ("不同之处", "what differs"),
    "shifts": ("等级变化", "How grades shift"),
    "old_new": ("原预案 ↓ / 修订后 →", "old ↓ / new →"),
    "none": ("(无等级)", "(no grade)"),
    "aspects": ("最常见的不同", "What differs most"),
    "aspect": ("结果", "outcome"),
    "item": ("措施", "action"),
    "count": ("次数", "count"),
    "skipped_list": ("跳过的事件", "Skipped incidents"),
    "old": ("原预案", "old plan"),
    "new": ("修订后", "revision"),
    "no_diff": ("没有结果不同的事件。", "No incident's outcome differs."),
    "more": ("另有{n}个", "and {n} more"),
}

_ASPECTS = {
    "grade": ("等级", "grade"),
    "grade_since": ("定级时间", "grade since"),
    "categories": ("类别", "categories"),
    "action": ("措施适用", "action applies"),
    "due": ("时限", "due"),
    "status": ("状态", "status"),
    "owners": ("责任单位", "owners"),
}


def _versions(d: PlanDiff) -> str:
    """ "work-safety 2023-1 → 2025-1", naming the new plan too when its id differs."""
    new = d.new_version if d.new_id == d.old_id else f"{d.new_id} {d.new_version}"
    return f"{d.old_id} {d.old_version} → {new}"


def _w(key: str, lang: str) -> str:
    return _WORDS[key][lang == "en"]


def render_report(report: BacktestReport, format: str = "markdown", lang: str = "zh") -> str:  # noqa: A002 - the word users know
    """
    The report as a readable document: ``markdown`` or ``html`` (one
    self-contained page with a chart of how grades shift), in *lang*
    (``zh`` or ``en``).

    Raises:
        BacktestError: an unknown *format* or *lang*.

    .. versionadded:: 0.6.0
    """
    if format not in REPORT_FORMATS:
        raise BacktestError(f"unknown report format {format!r}; expected one of {REPORT_FORMATS}")
    if lang not in LANGUAGES:
        raise BacktestError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    if format == "html":
        return _html(report, lang)
    return "\n".join(_markdown(report, lang)) + "\n"


def _summary(report: BacktestReport, lang: str) -> list[tuple[str, str]]:
    at = (
        _w("closing", lang)
        if isinstance(report.at, str)
        else ", ".join(t.isoformat() for t in report.at)
    )
    d = report.diff
    return [
        (_w("old", lang), f"{d.old_id} {d.old_version}"),
        (_w("new", lang), f"{d.new_id} {d.new_version}"),
        (_w("at", lang), at),
        (_w("read", lang), str(report.cases)),
        (_w("compared", lang), str(report.compared)),
        (_w("differing", lang), str(report.differing)),
        (_w("skipped", lang), str(report.skipped)),
    ]


def _change_names(report: BacktestReport, changes: tuple[int, ...], lang: str) -> str:
    if not changes:
        return _w("untold", lang)
    return "; ".join(report.diff.changes[i].words(lang) for i in changes)


def _what(row: DifferingIncident, lang: str) -> str:
    parts = []
    for d in row.differences:
        name = _ASPECTS[d.aspect][lang == "en"]
        about = f"{d.item} {name}" if d.item else name
        parts.append(f"{about}: {d.old or '—'} → {d.new or '—'}")
    return "; ".join(parts)


def _grade_label(report: BacktestReport, grade: str, lang: str) -> str:
    if not grade:
        return _w("none", lang)
    return dict(report.grades).get(grade, grade) if lang == "zh" else grade


def _grade_rows(report: BacktestReport) -> list[str]:
    order = ["", *(g for g, _ in report.grades)]
    seen = {a for a, _, _ in report.grade_pairs} | {b for _, b, _ in report.grade_pairs}
    return [g for g in order if g in seen] + sorted(seen - set(order))


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(report: BacktestReport, lang: str) -> Iterator[str]:
    d = report.diff
    yield f"# {_w('title', lang)}: {_versions(d)}"
    yield ""
    yield f"## {_w('summary', lang)}"
    yield ""
    yield from (f"- {k}: {v}" for k, v in _summary(report, lang))
    yield ""
    yield f"## {_w('changes', lang)}"
    yield ""
    yield from (f"{i}. {c.words(lang)}" for i, c in enumerate(report.diff.changes, 1))
    yield ""
    yield f"## {_w('by_change', lang)}"
    yield ""
    if not report.groups:
        yield _w("no_diff", lang)
        yield ""
    for group in report.groups:
        yield f"### {_md_cell(_change_names(report, group.changes, lang))} ({group.count})"
        yield ""
        yield f"| {_w('incident', lang)} | {_w('instant', lang)} | {_w('what', lang)} |"
        yield "|---|---|---|"
        for row in group.examples:
            cells = (row.incident_id, row.at.isoformat(), _what(row, lang))
            yield "| " + " | ".join(_md_cell(c) for c in cells) + " |"
        if group.count > len(group.examples):
            yield ""
            yield _w("more", lang).format(n=group.count - len(group.examples))
        yield ""
    yield f"## {_w('shifts', lang)}"
    yield ""
    grades = _grade_rows(report)
    shifts = report.grade_shifts()
    yield (
        f"| {_w('old_new', lang)} | "
        + " | ".join(_grade_label(report, g, lang) for g in grades)
        + " |"
    )
    yield "|---|" + "---:|" * len(grades)
    for a in grades:
        counts = [str(shifts.get((a, b), 0)) for b in grades]
        yield f"| {_grade_label(report, a, lang)} | " + " | ".join(counts) + " |"
    yield ""
    if report.aspects:
        yield f"## {_w('aspects', lang)}"
        yield ""
        yield f"| {_w('aspect', lang)} | {_w('item', lang)} | {_w('count', lang)} |"
        yield "|---|---|---:|"
        for aspect, item, n in report.aspects:
            yield f"| {_ASPECTS[aspect][lang == 'en']} | {item or '—'} | {n} |"
        yield ""
    if report.skipped:
        yield f"## {_w('skipped_list', lang)} ({report.skipped})"
        yield ""
        yield from (f"- `{s.where}`: {_md_cell(s.message)}" for s in report.skipped_examples)
        yield ""


_STYLE = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 2em auto;
  max-width: 60em; color: #222; line-height: 1.5; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: .25em .6em; vertical-align: top; }
td.n { text-align: right; }
td.same { color: #888; }
td.up { background: #fde2e2; }
td.down { background: #e2f0fd; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dt { font-weight: bold; }
svg text { font-size: 12px; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html(report: BacktestReport, lang: str) -> str:
    title = f"{_w('title', lang)}: {_versions(report.diff)}"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        '<head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>",
        f"<body><h1>{_e(title)}</h1>",
        f"<h2>{_e(_w('summary', lang))}</h2><dl>",
        *(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in _summary(report, lang)),
        f"</dl><h2>{_e(_w('shifts', lang))}</h2>",
        _shift_table(report, lang),
        _shift_chart(report, lang),
        f'<h2>{_e(_w("changes", lang))}</h2><ol start="0">',
        *(f"<li>{_e(c.words(lang))}</li>" for c in report.diff.changes),
        f"</ol><h2>{_e(_w('by_change', lang))}</h2>",
    ]
    if not report.groups:
        parts.append(f"<p>{_e(_w('no_diff', lang))}</p>")
    for group in report.groups:
        parts.append(f"<h3>{_e(_change_names(report, group.changes, lang))} ({group.count})</h3>")
        parts.append(
            f"<table><tr><th>{_e(_w('incident', lang))}</th><th>{_e(_w('instant', lang))}</th>"
            f"<th>{_e(_w('what', lang))}</th></tr>"
        )
        for row in group.examples:
            parts.append(
                f"<tr><td>{_e(row.incident_id)}</td><td>{_e(row.at.isoformat())}</td>"
                f"<td>{_e(_what(row, lang))}</td></tr>"
            )
        parts.append("</table>")
        if group.count > len(group.examples):
            parts.append(
                f"<p>{_e(_w('more', lang).format(n=group.count - len(group.examples)))}</p>"
            )
    if report.aspects:
        parts.append(f"<h2>{_e(_w('aspects', lang))}</h2><table>")
        parts.append(
            f"<tr><th>{_e(_w('aspect', lang))}</th><th>{_e(_w('item', lang))}</th>"
            f"<th>{_e(_w('count', lang))}</th></tr>"
        )
        for aspect, item, n in report.aspects:
            parts.append(
                f"<tr><td>{_e(_ASPECTS[aspect][lang == 'en'])}</td><td>{_e(item or '—')}</td>"
                f'<td class="n">{n}</td></tr>'
            )
        parts.append("</table>")
    if report.skipped:
        parts.append(f"<h2>{_e(_w('skipped_list', lang))} ({report.skipped})</h2><ul>")
        parts.extend(
            f"<li><code>{_e(s.where)}</code>: {_e(s.message)}</li>" for s in report.skipped_examples
        )
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _shift_table(report: BacktestReport, lang: str) -> str:
    grades = _grade_rows(report)
    shifts = report.grade_shifts()
    rank = {g: i for i, g in enumerate(grades)}
    rows = [
        f"<table><tr><th>{_e(_w('old_new', lang))}</th>"
        + "".join(f"<th>{_e(_grade_label(report, g, lang))}</th>" for g in grades)
        + "</tr>"
    ]
    for a in grades:
        cells = []
        for b in grades:
            n = shifts.get((a, b), 0)
            kind = "same" if a == b or not n else ("up" if rank[b] > rank[a] else "down")
            cells.append(f'<td class="n {kind}">{n}</td>')
        rows.append(f"<tr><th>{_e(_grade_label(report, a, lang))}</th>{''.join(cells)}</tr>")
    return "".join(rows) + "</table>"


def _shift_chart(report: BacktestReport, lang: str) -> str:
    """Two bars per grade: how many comparisons had it under each version."""
    grades = _grade_rows(report)
    old = {g: sum(n for a, _, n in report.grade_pairs if a == g) for g in grades}
    new = {g: sum(n for _, b, n in report.grade_pairs if b == g) for g in grades}
    top = max([*old.values(), *new.values(), 1])
    label_w, bar_w, row_h = 150, 360, 38
    height = row_h * len(grades) + 40
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 80}" '
            f'height="{height}" role="img" aria-label="{_e(_w("shifts", lang))}">'
        )
    ]
    for i, g in enumerate(grades):
        y = 10 + i * row_h
        out.append(
            f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end">'
            f"{_e(_grade_label(report, g, lang))}</text>"
        )
        for j, (counts, colour) in enumerate(((old, "#9aa5b1"), (new, "#d9534f"))):
            width = round(bar_w * counts[g] / top)
            out.append(
                f'<rect x="{label_w}" y="{y + j * 15}" width="{width}" height="13" '
                f'fill="{colour}"/><text x="{label_w + width + 4}" y="{y + j * 15 + 11}">'
                f"{counts[g]}</text>"
            )
    legend_y = height - 14
    out.append(
        f'<rect x="{label_w}" y="{legend_y - 10}" width="12" height="12" fill="#9aa5b1"/>'
        f'<text x="{label_w + 16}" y="{legend_y}">{_e(_w("old", lang))}</text>'
        f'<rect x="{label_w + 110}" y="{legend_y - 10}" width="12" height="12" fill="#d9534f"/>'
        f'<text x="{label_w + 126}" y="{legend_y}">{_e(_w("new", lang))}</text></svg>'
    )
    return "".join(out)
