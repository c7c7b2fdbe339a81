"""
Write a rendered plan's blocks as Markdown or as an HTML page.
"""

from __future__ import annotations

import html
from typing import Any

from opinion_rules.model._plan import Plan


__all__ = ["Block", "html_page", "markdown"]

Block = tuple[str, Any]  # ("h1"|"h2"|"h3"|"table"|"list", content)


def _cell_md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for kind, content in blocks:
        match kind:
            case "h1" | "h2" | "h3":
                out.append(f"{'#' * int(kind[1])} {content}\n")
            case "list":
                out.extend(f"- {item}" for item in content)
                out.append("")
            case "table":
                header, rows = content
                out.append("| " + " | ".join(header) + " |")
                out.append("|" + "---|" * len(header))
                out.extend("| " + " | ".join(_cell_md(c) for c in row) + " |" for row in rows)
                out.append("")
    return "\n".join(out).rstrip() + "\n"


def html_page(plan: Plan, blocks: list[Block], lang: str) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        f'<head><meta charset="utf-8"><title>{e(plan.title)}</title></head>',
        "<body>",
    ]
    for kind, content in blocks:
        match kind:
            case "h1" | "h2" | "h3":
                out.append(f"<{kind}>{e(str(content))}</{kind}>")
            case "list":
                out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in content) + "</ul>")
            case "table":
                header, rows = content
                out.append("<table>")
                out.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
                out.extend(
                    "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows
                )
                out.append("</table>")
    out.extend(["</body>", "</html>"])
    return "\n".join(out) + "\n"
