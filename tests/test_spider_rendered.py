"""The JavaScript-built board through scrapy-playwright and Debian's Chromium."""

from __future__ import annotations

import pytest

from indexer.store import Query

pytestmark = pytest.mark.rendered


def test_board_items_built_by_javascript_are_read_with_their_answers(crawl, chromium):
    result = crawl("js_board", RENDERED_CHROMIUM_PATH=chromium)
    assert result.returncode == 0, result.output
    store = result.store()
    appeals = store.search(Query(source_id="js_board", kind="post", limit=100))
    answers = store.search(Query(source_id="js_board", kind="comment", limit=1000))
    assert len(appeals) >= 25  # three pages, the 2nd and 3rd reached through the JS "next" link
    assert all(a.title and a.text and a.created_at for a in appeals)
    assert not any("Загрузка" in a.text for a in appeals)
    assert answers and all(a.parent_id.startswith("rendered:js_board:") for a in answers)
    assert result.stat("playwright/page_count") >= 3


def test_second_crawl_opens_no_appeal_whose_answers_did_not_change(crawl, site, chromium):
    crawl("js_board", RENDERED_CHROMIUM_PATH=chromium)
    first = site.control("stats")["hits"]
    site.control("reset")
    again = crawl("js_board", RENDERED_CHROMIUM_PATH=chromium)
    hits = site.control("stats")["hits"]
    assert again.stat("indexer/new") == 0
    assert first.get("/board/appeal/N", 0) > 10 and hits.get("/board/appeal/N", 0) == 0
    assert hits["/board/api/appeals.json"] <= first["/board/api/appeals.json"]
