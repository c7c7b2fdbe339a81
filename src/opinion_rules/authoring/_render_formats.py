"""
Write a rendered plan's blocks as Markdown (HTML: :mod:`._render_html`).
"""

from __future__ import annotations

from typing import Any


__all__ = ["Block", "markdown"]

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
