"""
The work-safety plan document in a real browser: headless Chromium loads
it, prints it to PDF (A4) and takes a screenshot.

Needs Debian's ``chromium`` and a CJK font (``fonts-wqy-microhei`` or
``fonts-noto-cjk``); without them the tests are skipped, except under
``CI=true``, where ``.ci/run`` installs both and their absence is a failure.

``UPDATE_DOCS_IMAGES=1 python -m pytest tests/test_plan_document_browser.py``
also writes the screenshot to ``docs/images/plan-document.png``, the
picture the docs show.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

import opinion_rules as o

from .conftest import EXAMPLES, ROOT


CHROMIUM = Path("/usr/bin/chromium")
DOCS_IMAGE = ROOT / "docs" / "images" / "plan-document.png"


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian package chromium)"
    fc_list = shutil.which("fc-list")
    fonts = subprocess.run(
        [fc_list or "fc-list", ":lang=zh"], capture_output=True, text=True, check=False
    )
    if fc_list is None or not fonts.stdout.strip():
        return "no CJK font is installed (Debian package fonts-wqy-microhei or fonts-noto-cjk)"
    return None


def _chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium once, with its console messages logged to stderr."""
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",  # CI containers run as root, where the sandbox refuses to start
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The work-safety document printed to PDF (its pages' text) and screenshot, with Chromium's logs."""
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs headless Chromium for the plan document: {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("browser")
    page = folder / "work_safety.html"
    plan = o.load_plan(EXAMPLES / "plans" / "work_safety.yaml")
    page.write_text(o.render_plan(plan, "html"), encoding="utf-8")
    pdf, png = folder / "work_safety.pdf", folder / "work_safety.png"
    # One launch prints and takes the screenshot: launching is most of the time.
    run = _chromium(
        folder / "profile",
        "--no-pdf-header-footer",
        "--window-size=1200,1500",
        f"--print-to-pdf={pdf}",
        f"--screenshot={png}",
        page.as_uri(),
    )
    if os.environ.get("UPDATE_DOCS_IMAGES") == "1" and png.exists():
        DOCS_IMAGE.parent.mkdir(exist_ok=True)
        shutil.copyfile(png, DOCS_IMAGE)
    pages = _pages(pdf) if pdf.exists() else []
    return {"plan": plan, "pages": pages, "png": png, "run": run}


def _pages(pdf: Path) -> list[str]:
    """Each page's text, NFKC-folded (a CJK font may map 生 to the Kangxi radical ⽣)."""
    import pypdf

    reader = pypdf.PdfReader(pdf)
    return [unicodedata.normalize("NFKC", p.extract_text()) for p in reader.pages]


def test_chromium_loads_the_document_without_console_messages(printed: dict[str, object]):
    """Chromium exits 0 and logs no console message (no error, no failed load)."""
    run = printed["run"]
    assert isinstance(run, subprocess.CompletedProcess)

    assert 0 == run.returncode
    assert [] == [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


def test_the_screenshot_shows_a_rendered_page(printed: dict[str, object]):
    """The screenshot is a PNG of some size: the page rendered."""
    png = printed["png"]
    assert isinstance(png, Path)

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 50_000


def test_the_printed_document_carries_header_source_and_signing_block(
    printed: dict[str, object],
):
    """Every A4 page has the title and version; the source is printed; signing is on the last page only."""
    pages, plan = printed["pages"], printed["plan"]
    assert isinstance(pages, list)
    assert isinstance(plan, o.Plan)
    text = re.sub(r"\s+", "", "".join(pages))

    assert len(pages) > 3
    assert [] == [i for i, p in enumerate(pages) if plan.title not in p or "版本 2023-1" not in p]
    assert [f"{i + 1} / {len(pages)}" for i in range(len(pages))] == [
        re.search(r"\d+ / \d+", p).group()
        for p in pages  # type: ignore[union-attr]
    ]
    assert re.sub(r"\s+", "", plan.source) in text
    assert "舆情内容性质为“线索不明晰的举报”" in text
    assert ["审批人", "Approved by", "签发人", "Issued by", "盖章"] == [
        w for w in ("审批人", "Approved by", "签发人", "Issued by", "盖章") if w in pages[-1]
    ]
    assert [] == [i for i, p in enumerate(pages[:-1]) if "审批" in p]


def test_the_printed_chinese_names_no_choice_by_its_id(printed: dict[str, object]):
    """No enum choice id appears in the printed pages before the unmodelled sentences."""
    pages, plan = printed["pages"], printed["plan"]
    assert isinstance(pages, list)
    assert isinstance(plan, o.Plan)
    text = "".join(pages).split("未建模的条文")[0]
    ids = {c for f in plan.facts for c in f.choices}

    assert set() == {i for i in ids if re.search(rf"(?<![A-Za-z_]){i}(?![A-Za-z_])", text)}
