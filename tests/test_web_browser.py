"""The workspace in Debian's Chromium (Playwright), served by uvicorn on 127.0.0.1, over the SQLite
store and over Elasticsearch (the test double): signing in with each role, an operator's day, a
verdict reaching a story's later copies, collected HTML shown as text, CSRF, the guards, a stale edit,
a merge and a split.

``SCREENSHOTS=1`` saves each page into docs/screenshots/ (SQLite run only).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest

from detector.config import DetectorConfig
from detector.incidents.lifecycle import Change
from detector.jobs.queues import change_incident
from indexer.elastic.store import ElasticsearchStore
from indexer.schema import Incident, Post, utcnow
from indexer.sqlite.store import SqliteStore
from indexer.store import IncidentQuery
from monitor.settings import load_settings
from tests.support.es_double import ElasticsearchDouble
from tests.support.web import PASSWORD, ROLES, WebServer, seed
from tests.support.web import post as web_post
from web import Accounts, WebConfig, Workspace

pytestmark = pytest.mark.rendered
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
XSS = "Соседи пишут <script>window.__xss = 1; alert(1)</script> и <img src=x onerror=\"window.__xss = 2; alert(2)\">"


@pytest.fixture(scope="module", params=["sqlite", "elasticsearch"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    folder = tmp_path_factory.mktemp(f"web-{request.param}")
    if request.param == "sqlite":
        store: Any = SqliteStore(folder / "monitor.db")
    else:
        double = ElasticsearchDouble().start()
        request.addfinalizer(double.stop)
        store = ElasticsearchStore.from_url(double.url, {})
    accounts = Accounts(folder / "web.db")
    for name, role in ROLES.items():
        accounts.add_user(name, role, PASSWORD)
    # a tile server that refuses every connection: the maps must still show their markers
    settings = load_settings({"WEB_TILES_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png", "WEB_PAGE_SIZE": 20})
    ws = Workspace(store, accounts, WebConfig.from_settings(settings), DetectorConfig.from_settings(settings),
                   frozenset({"Приреченск"}))
    seed(store, xss=XSS)
    with WebServer(ws, request.param) as running:
        yield running
    store.close()
    accounts.close()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def chromium() -> str:
    from tests.conftest import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: `make test` installs Debian's chromium-headless-shell")
    return CHROMIUM


def signed_in(browser: Any, server: WebServer, name: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU").new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server.url("/login"))
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    submit(page, "button[type=submit]")
    page.wait_for_url(re.compile(r"/overview$"))
    return page


def submit(page: Any, selector: str) -> None:
    """Click a form's button and wait for the page it leads to (the old page's elements would
    otherwise still answer the next look)."""
    with page.expect_navigation():
        page.click(selector)


def shot(page: Any, server: WebServer, name: str) -> None:
    if os.environ.get("SCREENSHOTS") == "1" and server.kind == "sqlite":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize(("name", "allowed", "forbidden"), [
    ("olga", ["/queue", "/search", "/overview"], ["/factcheck", "/audit"]),
    ("fedor", ["/factcheck", "/search", "/overview"], ["/queue", "/audit"]),
    ("sveta", ["/queue", "/factcheck", "/audit"], []),
    ("anna", ["/queue", "/factcheck", "/audit"], []),
])
def test_each_role_signs_in_and_reaches_only_its_pages(browser: Any, server: WebServer, name: str,
                                                       allowed: list[str], forbidden: list[str]) -> None:
    page = signed_in(browser, server, name)
    assert name in page.inner_text("header.top")
    for path in allowed:
        assert page.goto(server.url(path)).status == 200, path
    for path in forbidden:
        assert page.goto(server.url(path)).status == 403, path
        assert "Доступ запрещён" in page.inner_text("h1")
    page.context.close()


def test_signing_in_with_a_wrong_password_is_refused(browser: Any, server: WebServer) -> None:
    page = browser.new_page()
    page.goto(server.url("/queue"))
    assert page.url.endswith("/login?next=/queue")
    page.fill("input[name=name]", "olga")
    page.fill("input[name=password]", "wrong password")
    submit(page, "button[type=submit]")
    assert "Неверное имя или пароль" in page.inner_text("main")
    shot(page, server, "login")
    page.close()


def test_an_operator_assigns_answers_and_closes_and_the_incident_leaves_the_open_queue(
        browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "olga")
    page.wait_for_selector("#map path.leaflet-interactive")
    assert page.locator("#map path.leaflet-interactive").count() == 4  # the open incidents, tiles or not
    shot(page, server, "overview")
    page.goto(server.url("/queue"))
    assert page.locator("a[href='/incidents/inc-water']").count() == 1
    shot(page, server, "queue")
    with page.expect_navigation():
        page.click("a[href='/incidents/inc-water']")
    page.fill("form:has(input[value=assign]) input[name=text]", "Петров И. (Водоканал)")
    submit(page, "form:has(input[value=assign]) button")
    page.fill("form:has(input[value=answer]) textarea[name=text]", "Подача воды восстановлена в 14:00")
    page.fill("form:has(input[value=answer]) input[name=link]", "https://vodokanal.example/news/1")
    submit(page, "form:has(input[value=answer]) button")
    page.fill("form:has(input[value=close]) input[name=text]", "вопрос решён")
    submit(page, "form:has(input[value=close]) button")
    history = page.inner_text("ol.history")
    assert "Петров И. (Водоканал)" in history and "вопрос решён" in history and "закрыт" in page.inner_text("p.meta")
    shot(page, server, "incident")
    page.goto(server.url("/queue"))
    assert page.locator("a[href='/incidents/inc-water']").count() == 0
    stored = server.ws.store.get_incident("inc-water")
    assert stored is not None and stored.status == "closed" and stored.assignee == "Петров И. (Водоканал)"
    assert {e.action for e in server.ws.accounts.audit_log(user="olga")} >= {"assign", "answer", "close"}
    page.context.close()


def test_a_verdict_is_shown_on_the_storys_later_copies_and_the_search_is_saved(browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "fedor")
    page.goto(server.url("/factcheck"))
    assert "передайте всем" in page.inner_text("table.list")
    shot(page, server, "factcheck")
    with page.expect_navigation():
        page.click("a[href='/incidents/fc-tower']")
    assert page.locator("svg.spread polyline").count() == 1
    evidence = page.inner_text("dl.facts")
    assert "передайте всем" in evidence and "rss_gov" in evidence and "Вышки 5G вызывают болезни" in evidence
    page.check("input[name=verdict][value=fake]")
    page.fill("textarea[name=comment]", "вышки не связаны с болезнями")
    page.fill("input[name=debunk]", "https://stopfake.example/towers")
    submit(page, "form[action$='/verdict'] button")
    assert "вердикт: фейк" in page.inner_text("p.meta")
    shot(page, server, "factcheck-item")
    later = Post(id="tg:news:99", platform="telegram", source_id="tg_news", kind="post", created_at=utcnow(),
                 text="Опять пишут, что вышки 5G вызывают болезни", cluster_id="story-tower")
    server.ws.store.upsert([later])
    page.goto(server.url("/search?q=вышки"))
    copy = page.locator("article.post", has_text="Опять пишут")
    assert "проверено: фейк" in copy.inner_text()
    page.fill("input[name=name]", "вышки 5G")
    submit(page, "form[action='/search/save'] button")
    assert page.locator("p.saved a", has_text="вышки 5G").count() == 1
    shot(page, server, "search")
    item = server.ws.store.get_incident("fc-tower")
    assert item is not None and item.verdict == "fake" and (item.review or {})["debunk"].endswith("/towers")
    page.context.close()


def test_collected_script_and_onerror_payloads_render_as_inert_text(browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "sveta")
    for path in ("/incidents/inc-xss", "/search?q=соседи"):
        page.goto(server.url(path))
        page.wait_for_timeout(200)
        assert page.evaluate("window.__xss") is None, path
        assert "<script>window.__xss = 1; alert(1)</script>" in page.inner_text("main"), path
        assert page.locator("main img[src=x]").count() == 0
    assert page.dialogs == []
    page.context.close()


def test_a_form_posted_without_its_csrf_token_is_refused(browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "olga")
    page.goto(server.url("/incidents/inc-roads"))
    version = page.get_attribute("form:has(input[value=note]) input[name=version]", "value")
    answer = page.request.post(server.url("/incidents/inc-roads/act"),
                               form={"action": "note", "text": "без токена", "version": version or ""})
    assert answer.status == 403
    stored = server.ws.store.get_incident("inc-roads")
    assert stored is not None and not stored.notes
    page.context.close()


def test_an_operator_gets_403_on_the_audit_page_and_a_supervisor_reads_it(browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "olga")
    assert page.goto(server.url("/audit")).status == 403
    page.context.close()
    page = signed_in(browser, server, "sveta")
    assert page.goto(server.url("/audit")).status == 200
    assert "forbidden" in page.inner_text("table")  # the operator's attempt is in the log
    shot(page, server, "audit")
    page.context.close()


def test_a_stale_edit_is_shown_with_what_changed_and_the_change_kept(browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "olga")
    page.goto(server.url("/incidents/inc-roads"))
    change_incident(server.ws.store, "inc-roads", Change(by="sveta", assignee="Дорожная служба"))
    page.fill("form:has(input[value=note]) textarea[name=text]", "жители просят засыпать яму")
    submit(page, "form:has(input[value=note]) button")
    warning = page.inner_text("div.stale")
    assert "изменился" in warning and "Дорожная служба" in warning
    assert page.input_value("form:has(input[value=note]) textarea[name=text]") == "жители просят засыпать яму"
    submit(page, "form:has(input[value=note]) button")
    stored = server.ws.store.get_incident("inc-roads")
    assert stored is not None and [n["text"] for n in stored.notes] == ["жители просят засыпать яму"]
    page.context.close()


def test_the_queue_filters_by_overdue_and_body_and_exports_csv(browser: Any, server: WebServer) -> None:
    page = signed_in(browser, server, "olga")
    page.goto(server.url("/queue?overdue=1"))
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1 and "inc-late" in rows.inner_text()
    page.goto(server.url("/queue?body=" + "Управление дорог"))
    assert page.locator("a[href='/incidents/inc-roads']").count() == 1
    assert page.locator("a[href='/incidents/inc-late']").count() == 0
    csv = page.request.get(server.url("/queue.csv?overdue=1"))
    assert csv.status == 200 and "inc-late" in csv.text() and "inc-roads" not in csv.text()
    page.context.close()



def test_an_operator_merges_two_incidents_and_splits_a_post_out(browser: Any, server: WebServer) -> None:
    store, now = server.ws.store, utcnow()
    store.upsert([web_post("3:1", "Не вывозят мусор во дворе на Садовой"), web_post("3:2", "Мусор на Садовой неделю"),
                  web_post("3:3", "Контейнеры на Садовой переполнены"), web_post("3:4", "Сломана скамейка")])
    store.upsert_incidents([
        Incident(id=f"inc-{name}", kind="complaint", queue="routing", opened_at=now, title=title, sector="utilities",
                 body="Управление ЖКХ", deadline=now + timedelta(hours=50), post_ids=posts, sources=["vk_city"])
        for name, title, posts in [("trash", "Мусор на Садовой", ["vk:-3:1", "vk:-3:4"]),
                                   ("trash-2", "Контейнеры на Садовой", ["vk:-3:2", "vk:-3:3"])]])
    page = signed_in(browser, server, "olga")
    page.goto(server.url("/incidents/inc-trash"))
    change_incident(store, "inc-trash", Change(by="sveta", assignee="Управление ЖКХ"))  # meanwhile
    page.fill("form.merge input[name=other]", "inc-trash-2")
    submit(page, "form.merge button")
    assert "изменился" in page.inner_text("div.stale") and "Публикации (2)" in page.inner_text("main")
    assert page.input_value("form.merge input[name=other]") == "inc-trash-2"  # kept, to send again
    submit(page, "form.merge button")
    assert "Публикации (4)" in page.inner_text("main") and "inc-trash-2" in page.inner_text("ol.history")
    with page.expect_navigation():
        page.locator("article.post", has_text="Сломана скамейка").locator("form.split button").click()
    assert "Публикации (3)" in page.inner_text("main")
    page.goto(server.url("/queue"))
    assert page.locator("a[href='/incidents/inc-trash-2']").count() == 0  # closed: merged
    split = [i for i in store.find_incidents(IncidentQuery(queue="routing", limit=100)) if i.split_from == "inc-trash"]
    assert len(split) == 1 and split[0].post_ids == ["vk:-3:4"]
    assert page.locator(f"a[href='/incidents/{split[0].id}']").count() == 1
    merged = store.get_incident("inc-trash-2")
    assert merged is not None and (merged.status, merged.merged_into) == ("closed", "inc-trash")
    assert {e.action for e in server.ws.accounts.audit_log(user="olga")} >= {"merge", "split"}
    page.context.close()
