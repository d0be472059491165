"""The weekly report as staff open it: Chromium (Debian's headless shell) shows every chart of a
demo-like week's HTML report, and the PDF has one page per section, each starting with its heading."""

from __future__ import annotations

from pathlib import Path

import pytest

from detector.reports import build_weekly, write_report
from indexer.sqlite.store import SqliteStore
from tests.test_report_weekly import NAMES, NOW, WEEK, demo_week

SECTIONS = ("Еженедельный отчёт", "Динамика и крупнейшие инциденты", "Ответы исполнителей",
            "Фейки: найдено и опровергнуто", "Кризисы: всплески и их объяснение")
CHARTS = ["chart-grid", "chart-trend", "chart-answers", "chart-fakes"]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("reports")
    store = SqliteStore(folder / "monitor.db")
    store.upsert_incidents(demo_week())
    files = write_report(build_weekly(store, WEEK, NOW, sector_names=NAMES), folder, pdf=True)
    store.close()
    assert files.pdf is not None
    return files.html, files.pdf


def test_every_chart_of_the_html_report_is_rendered_in_chromium(written: tuple[Path, Path], chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    html, _ = written
    failed: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page()
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(html.as_uri(), wait_until="load")
            images = page.evaluate("""() => [...document.querySelectorAll('img, svg')].map(e => ({
                id: e.id, tag: e.tagName, complete: e.tagName !== 'IMG' || e.complete,
                width: e.naturalWidth ?? e.getBoundingClientRect().width,
                height: e.naturalHeight ?? e.getBoundingClientRect().height,
                shown: e.getBoundingClientRect().width}))""")
            requests = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        finally:
            browser.close()
    assert [image["id"] for image in images] == CHARTS
    broken = [image for image in images if not (image["complete"] and image["width"] > 0 and image["height"] > 0
                                                 and image["shown"] > 0)]
    assert not broken and not failed
    assert requests == []  # self-contained: the page asks for nothing


def test_the_pdf_has_one_page_per_section_each_with_its_heading(written: tuple[Path, Path]) -> None:
    from pypdf import PdfReader

    _, pdf = written
    assert pdf.read_bytes().startswith(b"%PDF-")
    pages = PdfReader(pdf).pages
    assert len(pages) == len(SECTIONS)
    for page, heading in zip(pages, SECTIONS, strict=True):
        assert page.extract_text().startswith(heading), heading
    assert "Всплеск" in pages[1].extract_text() or "Жалоба 1" in pages[1].extract_text()
