"""
Write a rendered plan's blocks as a self-contained HTML document, styled
for reading on screen and for printing on A4.

Everything is in the one file: the style sheet is inline, no font, image
or script is fetched (the page is the same offline and behind an intranet
proxy), and nothing needs JavaScript.  Fonts are the reader's own: the
Chinese government faces (仿宋, 黑体, 宋体) where installed, then any CJK
font the system has.

Printing: ``@page`` sets A4 with margins; every section after the first
starts a page; table headers repeat on each page and rows are not split;
the signing block (审批/签发) ends the document and is never split.

The running header (title left, version right) and the page numbers
(``3 / 9``) are ``@page`` margin boxes (``@top-left``, ``@top-right``,
``@bottom-center``), which Chromium draws since version 131 (Chrome and
Edge since late 2024, Debian's ``chromium``).  A ``position: fixed``
header shown only in print, the usual substitute, was tried: Chromium 156
draws one pulled into the top margin at the foot of each page's content
instead, over the text.  A browser without margin boxes (Firefox, Safari,
older Chromium cores) prints the document without the running header; the
title and version are still on the first page.
"""

from __future__ import annotations

import html
import re

from opinion_rules.authoring._render_formats import Block
from opinion_rules.authoring._render_words import WORDS
from opinion_rules.model._plan import Plan


__all__ = ["SIGNING_WORDS", "html_document"]

#: The labels of the signing block, always in both languages: a plan
#: document is signed where it is issued, whichever language it was
#: rendered in.
SIGNING_WORDS = {
    "heading": ("审批与签发", "Approval and issue"),
    "approver": ("审批人", "Approved by"),
    "issuer": ("签发人", "Issued by"),
    "date": ("日期", "Date"),
    "seal": ("发布单位(盖章)", "Issuing body (seal)"),
}

_VERSION = {"zh": "版本", "en": "Version"}
_DATE_BLANK = {"zh": "年　　月　　日", "en": ""}

# Clause references cited inside a sentence: 〔二(一)〕.
_CITE = re.compile(r"〔[^〔〕]*〕")

_CSS = """
:root { color-scheme: light; }
html { font-size: 11pt; }
body {
  margin: 0 auto; padding: 2em 1.5em; max-width: 60em; color: #111; background: #fff;
  font-family: "FangSong", "仿宋", "STFangsong", "FangSong_GB2312", "Noto Serif CJK SC",
    "Source Han Serif SC", "Songti SC", "SimSun", "WenQuanYi Micro Hei", serif;
  line-height: 1.6;
}
h1, h2, h3, th, .meta th, .signing th {
  font-family: "SimHei", "黑体", "STHeiti", "Noto Sans CJK SC", "Source Han Sans SC",
    "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
}
h1 {
  font-family: "FZXiaoBiaoSong-B05S", "方正小标宋简体", "SimSun", "宋体", "Noto Serif CJK SC",
    "Source Han Serif SC", "Songti SC", "WenQuanYi Micro Hei", serif;
  font-size: 1.9rem; font-weight: normal; text-align: center; margin: 0.4em 0 0.8em;
}
h2 {
  font-size: 1.3rem; margin: 1.6em 0 0.6em; border-bottom: 2px solid #b22; padding-bottom: 0.2em;
}
h3 { font-size: 1.1rem; margin: 1.2em 0 0.4em; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0 1em; }
th, td {
  border: 1px solid #555; padding: 0.3em 0.5em; vertical-align: top; text-align: left;
  overflow-wrap: anywhere;
}
thead th { background: #eee; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafafa; }
.ref { white-space: nowrap; }
td.ref { color: #333; }
table.meta { width: auto; min-width: 60%; }
table.meta th { background: #eee; white-space: nowrap; width: 8em; }
ul { padding-left: 1.4em; }
li { margin: 0.2em 0; }
section.signing { margin-top: 3em; }
table.signing th { width: 9em; background: none; white-space: nowrap; }
table.signing td.line { height: 3.2em; vertical-align: bottom; min-width: 12em; }
table.signing td.date { text-align: right; white-space: nowrap; vertical-align: bottom; }
.en { font-size: 0.85em; color: #444; }
@media print {
  html { font-size: 10.5pt; }
  body { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section + section { break-before: page; }
  section.signing { break-before: auto; break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
}
"""


def html_document(plan: Plan, blocks: list[Block], lang: str) -> str:
    """
    The blocks of *plan*'s document as one self-contained HTML page.
    """
    e = html.escape
    version = f"{_VERSION[lang]} {plan.version}"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(plan.title)} ({e(version)})</title>",
        f"<style>{_CSS}{_page_css(plan.title, version)}</style>",
        "</head>",
        "<body>",
    ]
    section_open = False
    first_list = True
    for kind, content in blocks:
        match kind:
            case "h1" | "h2":
                if section_open:
                    out.append("</section>")
                out.append("<section>")
                section_open = True
                out.append(f"<{kind}>{e(str(content))}</{kind}>")
            case "h3":
                out.append(f"<h3>{e(str(content))}</h3>")
            case "list" if first_list:
                # The plan's identity (issuer, version, source …) as a table.
                first_list = False
                out.append(_meta_table(content))
            case "list":
                out.append("<ul>" + "".join(f"<li>{_cited(i)}</li>" for i in content) + "</ul>")
            case "table":
                header, rows = content
                out.append(_table(header, rows, WORDS[lang]["clause"]))
    if section_open:
        out.append("</section>")
    out.append(_signing_block(plan))
    out.extend(["</body>", "</html>"])
    return "\n".join(out) + "\n"


_HEADER_FONT = '"SimHei", "黑体", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif'


def _page_css(title: str, version: str) -> str:
    """The A4 page with its running header and page numbers."""
    box = f"font-family: {_HEADER_FONT}; font-size: 9pt; color: #444;"
    rule = "border-bottom: 0.5pt solid #888; vertical-align: bottom; padding-bottom: 2mm;"
    return (
        "@page { size: A4; margin: 24mm 18mm 20mm 18mm;"
        f" @top-left {{ content: {_css_string(title)}; {box} {rule} }}"
        f" @top-right {{ content: {_css_string(version)}; {box} {rule} }}"
        f' @bottom-center {{ content: counter(page) " / " counter(pages); {box} }} }}\n'
    )


def _css_string(text: str) -> str:
    """*text* as a CSS string that cannot end the string or the style element."""
    return (
        '"'
        + "".join(
            f"\\{ord(c):06x}" if c in '"\\<>&' or ord(c) < 0x20 or ord(c) == 0x7F else c
            for c in text
        )
        + '"'
    )


def _cited(text: str) -> str:
    """*text* escaped, its clause citations kept whole on one line."""
    escaped = html.escape(text)
    return _CITE.sub(lambda m: f'<span class="ref">{m.group()}</span>', escaped)


def _meta_table(items: list[str]) -> str:
    rows = []
    for item in items:
        key, sep, value = item.partition(": ")
        if sep:
            rows.append(f"<tr><th>{html.escape(key)}</th><td>{_cited(value)}</td></tr>")
        else:
            rows.append(f'<tr><td colspan="2">{_cited(item)}</td></tr>')
    return '<table class="meta">' + "".join(rows) + "</table>"


def _table(header: list[str], rows: list[list[str]], refs_word: str) -> str:
    # The last column holds clause references wherever the document has one.
    refs = len(header) - 1 if header and header[-1] == refs_word else None
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="ref">{html.escape(c)}</td>' if i == refs else f"<td>{_cited(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _label(key: str) -> str:
    zh, en = SIGNING_WORDS[key]
    return f'{zh}<br><span class="en" lang="en">{en}</span>'


def _signing_block(plan: Plan) -> str:
    date = f'<th>{_label("date")}</th><td class="date">{_DATE_BLANK["zh"]}</td>'
    rows = [
        f'<tr><th>{_label(who)}</th><td class="line"></td>{date}</tr>'
        for who in ("approver", "issuer")
    ]
    rows.append(
        f'<tr><th>{_label("seal")}</th><td colspan="3" class="line">'
        f"{html.escape(plan.issuer)}</td></tr>"
    )
    zh, en = SIGNING_WORDS["heading"]
    return (
        '<section class="signing">'
        f'<h2>{zh} <span class="en" lang="en">{en}</span></h2>'
        f'<table class="signing"><tbody>{"".join(rows)}</tbody></table>'
        "</section>"
    )
