"""
Plug-ins for the tests: a sample that provides functions, aggregations, a
calendar and lint findings, and helpers that make an installed plug-in
package (a distribution with an entry point) in a temporary folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from opinion_rules import hookimpl
from opinion_rules.authoring import Finding
from opinion_rules.calendars import DataCalendar
from opinion_rules.hookspecs import Aggregation, Function, SeriesAmount


def _spread(series: Sequence[SeriesAmount]) -> float | int | None:
    """The largest amount minus the smallest; unknown without two series."""
    amounts = [s.amount for s in series]
    return max(amounts) - min(amounts) if len(amounts) >= 2 else None


def _positive(series: Sequence[SeriesAmount]) -> int:
    """How many series grew in the window."""
    return sum(1 for s in series if s.amount > 0)


def _weighted(a: float, b: float) -> float:
    return a + 2 * b


def _ratio(a: float, b: float) -> float | None:
    """a / b, unknown when b is 0 (a plug-in's own notion of unknown)."""
    return None if b == 0 else a / b


class Sample:
    """A plug-in object with every provide-hook."""

    opinion_rules_name = "sample"
    __version__ = "1.4.0"

    @hookimpl
    def opinion_rules_functions(self) -> list[Function]:
        return [
            Function("weighted", _weighted, args=("number", "number")),
            Function("ratio", _ratio, args=("number", "number")),
        ]

    @hookimpl
    def opinion_rules_measures(self) -> list[Aggregation]:
        return [Aggregation("spread", _spread), Aggregation("positive", _positive)]

    @hookimpl
    def opinion_rules_calendars(self) -> list[DataCalendar]:
        # 2026 with one local day off (a Monday), weekends off.
        return [DataCalendar("localdays", 2026, 2026, holidays=(date(2026, 3, 9),))]

    @hookimpl
    def opinion_rules_lint(self, plan: object) -> list[Finding]:
        return [Finding("warning", "sample-note", "", f"sample looked at {plan.id}")]  # type: ignore[attr-defined]


SAMPLE = Sample()


def install_package(folder: Path, name: str, version: str, module: str, source: str) -> None:
    """
    Make *folder* hold an installed distribution *name* *version* whose
    entry point *name* (group ``opinion_rules.plugins``) is module *module*
    with *source*; put *folder* on ``sys.path`` to see it.
    """
    (folder / f"{module}.py").write_text(source, encoding="utf-8")
    install_entry_point(folder, name, version, name, module)


def install_entry_point(folder: Path, dist: str, version: str, name: str, module: str) -> None:
    """
    Make *folder* hold the metadata of distribution *dist* *version* with
    the entry point *name* = *module* in the group ``opinion_rules.plugins``,
    as pip writes it.
    """
    info = folder / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[opinion_rules.plugins]\n{name} = {module}\n", encoding="utf-8"
    )
