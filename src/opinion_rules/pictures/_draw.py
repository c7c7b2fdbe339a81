"""
Draw a :class:`~opinion_rules.pictures.TimelinePicture` with matplotlib (the
optional ``plot`` extra, imported when a picture is drawn): one panel per
measure with its thresholds, a panel of the grade steps, and a panel with a
row per action (anchor, due time, completion; late ones in red) and the
report chains' hops, all on one time axis in the plan's timezone, with the
evaluation instant marked across them.

The output is deterministic: SVG ids come from a fixed salt, and neither
format carries a date or the matplotlib version, so a picture changes only
when what it shows (or the matplotlib that draws it) does.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from opinion_rules._writing import write_whole
from opinion_rules.exceptions import FactError, Problem
from opinion_rules.pictures._timeline_data import (
    ActionMark,
    ChainMark,
    GradeLevel,
    MeasureTrace,
    Threshold,
    TimelinePicture,
)


__all__ = [
    "CJK_FONTS",
    "FORMATS",
    "cjk_font",
    "draw_timeline",
    "has_cjk_words",
    "picture_format",
    "render_timeline",
]

#: The picture formats, by file suffix.
FORMATS = {".svg": "svg", ".png": "png"}
#: CJK font families looked up, in order of preference (the first installed
#: one draws the picture); Debian's ``fonts-noto-cjk`` installs the first.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
INSTALL_HINT = "pip install 'opinion-rules[plot]'"
WIDTH = 12.0  # inches
DPI = 100  # PNG pixels per inch: 1200 pixels wide
_MEASURE_HEIGHT = 2.0
_GRADE_HEIGHT = 1.5
_ROW_HEIGHT = 0.3
_TOP = 0.9  # the title, in inches
_BOTTOM = 0.8  # the time axis' labels, in inches

#: Colours by grade rank (lowest first), then repeated.
_GRADE_COLOURS = ("#2b8cbe", "#e6a100", "#e6550d", "#a50f15", "#54278f")
_LATE = "#c0392b"
_DONE = "#1e8449"
_CHAIN = "#7d3c98"
_MUTED = "#7f8c8d"


def picture_format(out: str | os.PathLike[str]) -> str:
    """
    The picture format a file name asks for: ``svg`` or ``png``.

    Raises:
        FactError: the name ends in neither ``.svg`` nor ``.png``.
    """
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise FactError(
            str(out),
            [
                Problem(
                    "",
                    "is not a picture file name",
                    "a file name ending in .svg or .png",
                    repr(Path(out).suffix or Path(out).name),
                )
            ],
        )
    return FORMATS[suffix]


def cjk_font() -> str | None:
    """
    The first installed font family of :data:`CJK_FONTS` (as matplotlib's
    font manager knows them), or ``None``.

    Raises:
        ModuleNotFoundError: matplotlib is not installed.
    """
    font_manager = _matplotlib().font_manager
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def draw_timeline(
    picture: TimelinePicture, out: str | os.PathLike[str], *, cjk: bool = True
) -> str | None:
    """
    Draw *picture* into the file *out*, an ``.svg`` or a ``.png``.

    Chinese labels (measure labels, grade names, action titles, clause
    references) are drawn with the first installed font of
    :data:`CJK_FONTS`; without one (or with *cjk* false) the picture uses
    ids and English names instead.  The file is written whole and then
    renamed into place.

    Returns:
        The CJK font family used, or ``None`` when the labels fell back to
        ids and English names.

    Raises:
        FactError: *out* ends in neither ``.svg`` nor ``.png``.
        ModuleNotFoundError: matplotlib is not installed (the ``plot``
            extra: ``pip install 'opinion-rules[plot]'``).
        OSError: the file cannot be written.

    .. versionadded:: 0.6.0
    """
    fmt = picture_format(out)
    data, font = render_timeline(picture, fmt, cjk=cjk)
    # An image to share, not the temporary file's 0600.
    write_whole(Path(out), data, prefix=".picture-", mode=0o644)
    return font


def render_timeline(
    picture: TimelinePicture, fmt: str, *, cjk: bool = True
) -> tuple[bytes, str | None]:
    """
    The bytes of *picture* drawn in *fmt* (``svg`` or ``png``), and the CJK
    font family used (``None``: ids and English names).
    """
    mpl = _matplotlib()
    font = cjk_font() if cjk else None
    words = _Words(font is not None)
    rc: Any = {
        "svg.hashsalt": "opinion-rules",
        "svg.fonttype": "path",
        "text.parse_math": False,
        "font.family": "sans-serif",
        "font.sans-serif": [*([font] if font else []), "DejaVu Sans"],
        "font.size": 9,
        "axes.titlesize": 9,
    }
    with mpl.rc_context(rc):
        figure = _figure(mpl, picture, words)
        buffer = io.BytesIO()
        metadata: dict[str, Any] = (
            {"Date": None, "Creator": None, "Title": f"{picture.plan_id} {picture.incident_id}"}
            if fmt == "svg"
            else {"Software": None}
        )
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue(), font


class _Matplotlib:
    """The parts of matplotlib the drawing uses, imported together."""

    def __init__(self) -> None:
        try:
            # The optional plot extra, imported when drawing.
            import matplotlib as mpl  # noqa: PLC0415
            import matplotlib.dates  # noqa: PLC0415
            import matplotlib.figure  # noqa: PLC0415
            import matplotlib.font_manager  # noqa: PLC0415
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                f"drawing a timeline needs matplotlib; install it with {INSTALL_HINT}",
                name="matplotlib",
            ) from exc
        self.rc_context = mpl.rc_context
        self.dates = matplotlib.dates
        self.Figure = matplotlib.figure.Figure
        self.font_manager = matplotlib.font_manager


def _matplotlib() -> _Matplotlib:
    return _Matplotlib()


class _Words:
    """
    The labels: the plan's own (Chinese) words with a CJK font, else ids
    and English names, so that no label is drawn as empty boxes.
    """

    def __init__(self, cjk: bool) -> None:
        self.cjk = cjk

    def text(self, text: str | None, fallback: str) -> str:
        if text and (self.cjk or _latin(text)):
            return text
        return fallback

    def ref(self, ref: str | None) -> str:
        if not ref or not (self.cjk or _latin(ref)):
            return ""
        return f" [{ref}]"

    def grade(self, level: GradeLevel | None, grade_id: str) -> str:
        if level is None:
            return grade_id
        return self.text(level.name, level.name_en or level.id)


def has_cjk_words(picture: TimelinePicture) -> bool:
    """
    Whether any label of *picture* needs a CJK font.
    """
    texts = [picture.plan_title, *(m.label for m in picture.measures)]
    texts += [t for g in picture.levels for t in (g.name, g.clause_ref or "")]
    texts += [t for a in picture.actions for t in (a.title, a.clause_ref or "")]
    texts += [t for c in picture.chains for t in (c.title, c.clause_ref or "")]
    return not all(_latin(t) for t in texts)


def _latin(text: str) -> bool:
    # Below the CJK radicals block: what DejaVu Sans draws.
    return all(ord(c) < 0x2E80 for c in text)


def _figure(mpl: _Matplotlib, picture: TimelinePicture, words: _Words) -> Any:
    tz = ZoneInfo(picture.timezone)
    rows = _rows(picture)
    heights = [_MEASURE_HEIGHT] * len(picture.measures) + [_GRADE_HEIGHT]
    if rows:
        heights.append(_ROW_HEIGHT * (len(rows) + 1))
    total = _TOP + _BOTTOM + sum(heights)
    figure = mpl.Figure(figsize=(WIDTH, total), dpi=DPI)
    grid = figure.add_gridspec(
        len(heights),
        1,
        height_ratios=heights,
        left=0.30,
        right=0.86,
        top=1 - _TOP / total,
        bottom=_BOTTOM / total,
        hspace=0.35 * len(heights) / total,
    )
    axes: list[Any] = [figure.add_subplot(grid[0, 0])]
    axes += [figure.add_subplot(grid[i, 0], sharex=axes[0]) for i in range(1, len(heights))]
    title = words.text(picture.plan_title, picture.plan_id)
    at = picture.at.astimezone(tz)
    figure.suptitle(
        f"{title} ({picture.plan_version}) — {picture.incident_id}, "
        f"as of {at:%Y-%m-%d %H:%M} ({picture.timezone})",
        x=0.02,
        ha="left",
        y=1 - 0.25 / total,
        fontsize=11,
    )
    levels = {level.id: level for level in picture.levels}
    for ax, trace in zip(axes, picture.measures, strict=False):
        _draw_measure(ax, trace, levels, words)
    _draw_grades(axes[len(picture.measures)], picture, levels, words)
    if rows:
        _draw_actions(axes[-1], picture, rows, words)
    span = max(picture.end - picture.start, timedelta(hours=1))
    pad = max(span * 0.03, timedelta(minutes=10))
    for i, ax in enumerate(axes):
        ax.axvline(picture.at, color="#000000", linewidth=1.0, linestyle="--", gid=f"at-{i}")
        ax.set_xlim(picture.start - pad, picture.end + pad)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.tick_params(labelbottom=False)
    axes[len(picture.measures)].annotate(
        f"at {at:%m-%d %H:%M}",
        xy=(picture.at, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(-3, -3),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=8,
    )
    bottom = axes[-1]
    bottom.tick_params(labelbottom=True)
    locator = mpl.dates.AutoDateLocator(tz=tz, minticks=4, maxticks=12)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mpl.dates.DateFormatter("%m-%d\n%H:%M", tz=tz))
    bottom.set_xlabel(f"time ({picture.timezone})")
    return figure


def _colour(rank: int) -> str:
    return _GRADE_COLOURS[rank % len(_GRADE_COLOURS)]


def _draw_measure(
    ax: Any, trace: MeasureTrace, levels: dict[str, GradeLevel], words: _Words
) -> None:
    times = [t for t, _ in trace.points]
    values = [float("nan") if v is None else v for _, v in trace.points]
    ax.step(times, values, where="post", color="#34495e", linewidth=1.4, gid=f"measure-{trace.id}")
    known = [v for _, v in trace.points if v is not None]
    top = max(known, default=0)
    shown, above = _thresholds_shown(trace.thresholds, top)
    for (op, value), grade_ids in shown:
        ranks = [levels[g].rank if g in levels else 0 for g in grade_ids]
        names = "\n".join(words.grade(levels.get(g), g) for g in grade_ids)
        ax.axhline(
            value,
            color=_colour(max(ranks)),
            linewidth=1.0,
            linestyle=(0, (4, 2)),
            gid=f"threshold-{trace.id}-{'-'.join(grade_ids)}",
        )
        ax.annotate(
            f"{names} {op} {value:g}",
            xy=(1.0, value),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=_colour(max(ranks)),
        )
    if above:
        text = "; ".join(
            f"{'/'.join(words.grade(levels.get(g), g) for g in ids)} {op} {value:g}"
            for (op, value), ids in above
        )
        ax.set_title(f"further up: {text}", loc="right", fontsize=7, color=_MUTED)
    ax.set_title(words.text(trace.label, trace.id), loc="left")
    ax.set_ylim(bottom=0)
    ax.margins(y=0.15)


def _thresholds_shown(
    thresholds: Iterable[Threshold], top: float
) -> tuple[list[tuple[tuple[str, float], list[str]]], list[tuple[tuple[str, float], list[str]]]]:
    """
    The thresholds grouped by (symbol, value), the grades sharing each; split
    into those drawn (every one up to the measure's highest value, and the
    next one above it when it is within three times that value) and those
    further up, named only in words (so that they do not flatten the line).
    """
    grouped: dict[tuple[str, float], list[str]] = {}
    for t in thresholds:
        grouped.setdefault((t.symbol, t.value), []).append(t.grade_id)
    ordered = sorted(grouped.items(), key=lambda item: item[0][1])
    shown: list[tuple[tuple[str, float], list[str]]] = []
    above: list[tuple[tuple[str, float], list[str]]] = []
    for item in ordered:
        value = item[0][1]
        crossed = value <= top
        next_one = not any(v > top for (_op, v), _ids in shown) and value <= 3 * top
        if crossed or next_one or (top <= 0 and not shown):
            shown.append(item)
        else:
            above.append(item)
    return shown, above


def _draw_grades(
    ax: Any, picture: TimelinePicture, levels: dict[str, GradeLevel], words: _Words
) -> None:
    ranks = [level.rank for level in picture.levels]
    ax.set_yticks(ranks, [words.grade(level, level.id) for level in picture.levels])
    ax.set_ylim(min(ranks, default=0) - 0.6, max(ranks, default=0) + 0.8)
    ax.set_title("grade", loc="left")
    steps = picture.grades
    if not steps:
        ax.text(0.01, 0.5, "ungraded", transform=ax.transAxes, color=_MUTED)
        return
    times = [s.at for s in steps] + [picture.at]
    values = [s.rank for s in steps] + [steps[-1].rank]
    ax.step(times, values, where="post", color="#34495e", linewidth=1.6, gid="grade-steps")
    for i, step in enumerate(steps):
        name = words.grade(levels.get(step.grade_id), step.grade_id)
        gid = f"grade-step-{i}-{step.grade_id}"
        ax.plot([step.at], [step.rank], "o", color=_colour(step.rank), gid=gid)
        ax.annotate(
            f"{name}{words.ref(step.clause_ref)}",
            xy=(step.at, step.rank),
            xytext=(4, 5),
            textcoords="offset points",
            fontsize=8,
            color=_colour(step.rank),
        )


def _rows(picture: TimelinePicture) -> list[ActionMark]:
    """
    The actions drawn, in plan order: each applicable one.
    """
    return list(picture.actions)


def _draw_actions(ax: Any, picture: TimelinePicture, rows: list[ActionMark], words: _Words) -> None:
    y = {a.id: len(rows) - i for i, a in enumerate(rows)}
    labels = [f"{words.text(_short(a.title), a.id)}{words.ref(a.clause_ref)}" for a in rows]
    ax.set_yticks([y[a.id] for a in rows], labels, fontsize=7.5)
    ax.set_ylim(0.3, len(rows) + 0.7)
    ax.set_title("actions: ○ anchor  | due  ◆ done  (red: late)", loc="left")
    for action in rows:
        _draw_action(ax, action, y[action.id], picture.at)
    for chain in picture.chains:
        _draw_chain(ax, chain, y, words)


def _short(text: str, width: int = 20) -> str:
    # Cut by characters: Chinese titles have no spaces to cut at.
    return text if len(text) <= width else text[: width - 1] + "…"


def _draw_action(ax: Any, action: ActionMark, row: int, at: datetime) -> None:
    colour = _LATE if action.late else "#34495e"
    gid = f"action-{action.id}"
    start = action.anchor_at
    if start is not None:
        end = action.done_at or action.due or at
        if action.due is not None and action.done_at is None and action.due < at:
            end = at  # overdue: the line runs on to the evaluation instant
        ax.plot(
            [start, max(end, start)], [row, row], color=colour, linewidth=1.2, gid=f"{gid}-span"
        )
        ax.plot(
            [start],
            [row],
            "o",
            markerfacecolor="white",
            markeredgecolor=colour,
            gid=f"{gid}-anchor",
        )
    if action.due is not None:
        ax.plot(
            [action.due], [row], "|", markersize=12, markeredgewidth=2, color=colour,
            gid=f"{gid}-due",
        )  # fmt: skip
    if action.done_at is not None:
        done_colour = _LATE if action.late else _DONE
        ax.plot([action.done_at], [row], "D", markersize=5, color=done_colour, gid=f"{gid}-done")
    note = {"overdue": "overdue", "done_late": "done late"}.get(action.status)
    if note is None and start is None:
        note = action.status
    if note is not None:
        where = max(t for t in (start, action.due, action.done_at, at) if t is not None)
        ax.annotate(
            note,
            xy=(where if action.late else at, row),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            color=_LATE if action.late else _MUTED,
        )


def _draw_chain(ax: Any, chain: ChainMark, y: dict[str, int], words: _Words) -> None:
    gid = f"chain-{chain.id}"
    hops = list(zip(chain.hops, chain.hop_done, strict=True))
    for i, ((hop, done), following) in enumerate(zip(hops, chain.hops[1:], strict=False)):
        if done is None or hop not in y or following not in y:
            continue
        arrow = ax.annotate(
            "",
            xy=(done, y[following]),
            xytext=(done, y[hop]),
            arrowprops={"arrowstyle": "->", "color": _CHAIN, "linewidth": 1.2},
        )
        arrow.arrow_patch.set_gid(f"{gid}-hop-{i}")
    first = chain.hops[0]
    if first in y:
        label = f"{words.text(chain.title, chain.id)}{words.ref(chain.clause_ref)}"
        where = chain.started_at or chain.hop_done[0]
        if where is not None:
            ax.annotate(
                f"chain: {_short(label, 30)}",
                xy=(where, y[first]),
                xytext=(0, 7),
                textcoords="offset points",
                fontsize=7,
                color=_CHAIN,
            )
    if chain.due is not None:
        rows = [y[h] for h in chain.hops if h in y]
        if rows:
            ax.plot(
                [chain.due, chain.due],
                [min(rows) - 0.3, max(rows) + 0.3],
                color=_LATE if chain.late else _CHAIN,
                linestyle=":",
                gid=f"{gid}-due",
            )
