"""The workspace's service levels and weekly reports in Debian's Chromium: the page's figures are
`monitor answers --json`'s on the same store (SQLite; once on the Elasticsearch double), the reports
newest first, a report opened with every chart drawn under its own policy, names that are not a
report's refused, and writing a report left to supervisors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest

from detector.config import DetectorConfig
from detector.reports.config import ReportConfig
from detector.reports.job import run_report
from detector.reports.weeks import Week
from indexer.elastic.store import ElasticsearchStore
from indexer.schema import Incident, Territory, utcnow
from indexer.sqlite.store import SqliteStore
from monitor.settings import load_settings
from tests.support.es_double import ElasticsearchDouble
from tests.support.web import PASSWORD, ROLES, TOWN, WebServer
from tests.test_web_browser import shot, signed_in, submit
from web import Accounts, WebConfig, Workspace

pytestmark = pytest.mark.rendered
ROOT = Path(__file__).resolve().parent.parent
WEEK = Week.of(utcnow()).shifted(-2)  # a week whose every target has passed: the figures no longer move
WATER, ROADS, HEALTH = "МУП «Водоканал»", "Управление дорог", "Минздрав области"


def answered(number: int, body: str, hours: float, answers: tuple[tuple[float, str], ...] = (), *,
             sector: str = "utilities", district: str = "Заречный", status: str = "new", kind: str = "complaint",
             deadline: float = 48) -> Incident:
    """A routing incident opened ``hours`` into the week, with its official answers (hours after opening)."""
    opened = WEEK.start + timedelta(hours=hours)
    found = [{"post_id": f"vk:-9:{number}:{n}", "at": (opened + timedelta(hours=after)).isoformat(),
              "quality": quality} for n, (after, quality) in enumerate(answers)]
    return Incident(id=f"lvl-{number}", kind=kind, queue="routing", opened_at=opened, title=f"Жалоба {number}",
                    body=body or None, sector=sector, territory=Territory(TOWN, district), status=status,
                    deadline=opened + timedelta(hours=deadline), post_ids=[f"vk:-8:{number}"],
                    answers=found, answered_at=opened + timedelta(hours=answers[0][0]) if answers else None,
                    answer_quality=answers[0][1] if answers else None)


def week_of_answers() -> list[Incident]:
    """Answered in time, late, by an отписка only, by an отписка and then in substance, never, closed
    unanswered; a body routing did not find; a crisis (no appeal to answer)."""
    return [
        answered(1, WATER, 2, ((3, "substantive"),)), answered(2, WATER, 10, ((1, "otpiska"), (40, "substantive"))),
        answered(3, WATER, 20, ((5, "otpiska"),)), answered(4, WATER, 30), answered(5, WATER, 40, status="closed"),
        answered(6, ROADS, 50, ((20, "substantive"),), sector="roads", district="Центральный"),
        answered(7, ROADS, 60, ((70, "substantive"),), sector="roads", district="Центральный", deadline=120),
        answered(8, HEALTH, 70, ((0.5, "otpiska"),), sector="health", district="Северный"),
        answered(9, "", 80, sector="health", district="Северный"),
        answered(10, WATER, 90, kind="crisis"),
    ]


def workspace(store: Any, folder: Path) -> Workspace:
    accounts = Accounts(folder / "web.db")
    for name, role in ROLES.items():
        accounts.add_user(name, role, PASSWORD)
    settings = load_settings({"WEB_PAGE_SIZE": 20})
    store.upsert_incidents(week_of_answers())
    return Workspace(store, accounts, WebConfig.from_settings(settings), DetectorConfig.from_settings(settings),
                     frozenset({TOWN}), report=ReportConfig(folder=str(folder / "reports")))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    folder = tmp_path_factory.mktemp("levels")
    store = SqliteStore(folder / "monitor.db")
    ws = workspace(store, folder)
    run_report(store, ws.detector, ws.report, week=WEEK, now=utcnow())  # an earlier week's, HTML only
    with WebServer(ws) as running:
        yield running
    store.close()
    ws.accounts.close()


@pytest.fixture(scope="module")
def cli_levels(server: WebServer) -> dict[str, Any]:
    """`monitor answers --week W --json` on the server's own SQLite file."""
    store = server.ws.store
    assert isinstance(store, SqliteStore)
    done = subprocess.run([sys.executable, "-m", "monitor", "answers", "--week", WEEK.label, "--json", "--store",
                           f"sqlite:///{store.path}"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def figures_on_the_page(page: Any) -> dict[tuple[str, str], dict[str, str]]:
    rows = page.evaluate("""() => [...document.querySelectorAll('tr[data-group]')].map(tr => [tr.dataset.group,
        tr.dataset.key, Object.fromEntries([...tr.querySelectorAll('td[data-figure]')].map(td =>
        [td.dataset.figure, td.dataset.value]))])""")
    return {(group, key): cells for group, key, cells in rows}


def expected(levels: dict[str, Any]) -> dict[tuple[str, str], dict[str, str]]:
    """The CLI's rows as the page writes their values: numbers as Python prints them, None as empty."""
    names = ("incidents", "answered", "share_in_target", "median_hours", "p90_hours", "share_otpiski", "overdue")
    return {(row["group"], row["key"]): {name: "" if row[name] is None else str(row[name]) for name in names}
            for row in [levels["total"], *levels["rows"]]}


def test_the_service_levels_page_shows_the_figures_monitor_answers_prints(
        browser: Any, server: WebServer, cli_levels: dict[str, Any]) -> None:
    page = signed_in(browser, server, "fedor")  # a fact-checker reads it too
    assert page.goto(server.url(f"/service-levels?week={WEEK.label}")).status == 200
    assert figures_on_the_page(page) == expected(cli_levels)
    total = cli_levels["total"]  # what the week holds: the crisis left out, an отписка is no answer
    assert (total["incidents"], total["judged"], total["in_target"], total["otpiski"], total["overdue"]) == (
        9, 9, 2, 3, 4)
    assert page.locator("table#levels-body tbody a").count() == 0  # the routing queue is not a fact-checker's
    assert "не указано" in page.inner_text("table#levels-body tr[data-key='—']")  # routing found no body
    shot(page, server, "service-levels")
    page.context.close()


def test_bodies_sort_by_overdue_and_link_to_their_routing_queue(browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "olga")
    page.goto(server.url(f"/service-levels?week={WEEK.label}"))
    submit(page, "table#levels-body th a")  # "Просрочено сейчас"
    overdue = [int(v) for v in page.eval_on_selector_all(
        "table#levels-body td[data-figure=overdue]", "cells => cells.map(c => c.dataset.value)")]
    assert overdue == sorted(overdue, reverse=True) and overdue[0] == 2  # Водоканал: lvl-3 (an отписка), lvl-4
    submit(page, f"table#levels-body tr[data-key='{WATER}'] a")
    assert page.locator("a[href='/incidents/lvl-3']").count() == 1
    assert page.locator("a[href='/incidents/lvl-6']").count() == 0
    for period in ("week", "last-week", "30d"):
        assert page.goto(server.url(f"/service-levels?period={period}")).status == 200
    assert page.goto(server.url("/service-levels?week=2026-W60")).status == 400
    assert "2026 has no week 60" in page.inner_text("p.error")
    page.context.close()


def test_the_page_gives_the_same_figures_over_elasticsearch(
        browser: Any, tmp_path: Path, cli_levels: dict[str, Any]) -> None:
    double = ElasticsearchDouble().start()
    store = ElasticsearchStore.from_url(double.url, {})
    ws = workspace(store, tmp_path)
    try:
        with WebServer(ws, "elasticsearch") as running:
            page = signed_in(browser, running, "anna")
            page.goto(running.url(f"/service-levels?week={WEEK.label}"))
            assert figures_on_the_page(page) == expected(cli_levels)
            page.context.close()
    finally:
        store.close()
        ws.accounts.close()
        double.stop()


def test_a_supervisor_writes_last_weeks_report_and_opens_it_with_every_chart_drawn(
        browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "sveta")
    page.goto(server.url("/reports"))
    submit(page, "form[action='/reports/write'] button")
    last = Week.last_full(utcnow()).label
    assert page.eval_on_selector_all("#reports tbody tr", "rows => rows.map(r => r.dataset.week)") == [last, WEEK.label]
    assert page.locator(f"#reports a[href='/reports/weekly-{last}.pdf']").count() == 1
    shot(page, server, "reports")
    pdf = page.request.get(server.url(f"/reports/weekly-{last}.pdf"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    with page.expect_navigation():
        page.click(f"#reports tr[data-week='{WEEK.label}'] a:text('HTML')")
    answer = page.request.get(page.url)
    assert "img-src data:" in answer.headers["content-security-policy"]
    assert "script-src" not in answer.headers["content-security-policy"]  # default-src 'none': no script runs
    charts = page.evaluate("""() => [...document.querySelectorAll('img.chart')].map(i =>
        [i.id, i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0])""")
    assert charts == [["chart-grid", True], ["chart-trend", True], ["chart-answers", True], ["chart-fakes", True]]
    assert blocked == [] and "Водоканал" in page.inner_text("#answers")
    page.context.close()


def test_a_name_that_is_not_a_reports_html_or_pdf_is_not_found(browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "olga")
    for path in ("..%2fmonitor.db", "..%2f..%2f..%2fetc%2fpasswd", "%2Fetc%2Fpasswd", "%2e%2e%2fweb.db", "monitor.db",
                 f"weekly-{WEEK.label}.json", f"weekly-{WEEK.label}.html%00", f"..%2freports%2fweekly-{WEEK.label}.html"):
        answer = page.request.get(server.url(f"/reports/{path}"))
        assert answer.status == 404 and "SQLite" not in answer.text() and "root:" not in answer.text(), path
    assert page.request.get(server.url(f"/reports/weekly-{WEEK.label}.html")).status == 200
    page.context.close()


def test_an_operator_reads_the_reports_but_cannot_write_one(browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "olga")
    assert page.goto(server.url("/reports")).status == 200
    assert page.locator("form[action='/reports/write']").count() == 0
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    before = sorted(p.name for p in Path(server.ws.report.folder).iterdir())
    refused = page.request.post(server.url("/reports/write"), headers={"x-csrftoken": token})
    assert refused.status == 403
    assert sorted(p.name for p in Path(server.ws.report.folder).iterdir()) == before
    page.context.close()
