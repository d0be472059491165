"""The old city forum (windows-1251, selectors from the watchlist) through a real crawl."""

from __future__ import annotations

import textwrap

from indexer.store import Query
from replay.world import load_world


def test_forum_topics_and_replies_are_decoded_and_linked(crawl):
    result = crawl("html_forum")
    assert result.returncode == 0, result.output
    store = result.store()
    topics = store.search(Query(source_id="html_forum", kind="post", limit=1000))
    replies = store.search(Query(source_id="html_forum", kind="comment", limit=1000))
    assert len(topics) >= 25 and len(replies) >= 100
    world_titles = {m.title for m in load_world().pages["html_forum"].posts}
    assert {t.title for t in topics} <= world_titles  # windows-1251 decoded, not mojibake
    ids = {t.id for t in topics}
    assert all(r.parent_id in ids and r.thread_root == r.parent_id for r in replies)
    assert all(t.metrics.comments is not None for t in topics)


def test_a_connection_cut_mid_page_is_retried(crawl):
    result = crawl("html_forum")
    assert result.stat("retry/reason_count/twisted.web._newclient.ResponseFailed") >= 1 \
        or result.stat("retry/count") >= 1
    pages = result.store().search(Query(source_id="html_forum", kind="post", limit=1000))
    assert len(pages) > 20  # page 2 and beyond were read after the retry


def test_the_five_megabyte_page_and_the_cut_markup_are_read(crawl):
    result = crawl("html_forum")
    assert result.returncode == 0
    assert result.stat("downloader/response_bytes") > 5 * 1024 * 1024
    assert "Traceback" not in result.output


def test_an_impossible_date_is_counted_and_the_topic_kept(crawl):
    result = crawl("html_forum")
    assert result.stat("source/html_forum/errors/parse") == 1
    assert "unreadable date '32.13.2026 25:61'" in result.output
    undated = [t for t in result.store().search(Query(source_id="html_forum", limit=1000))
               if t.created_at is None]
    assert len(undated) == 1


def test_second_crawl_reads_only_the_first_page(crawl, site):
    crawl("html_forum")
    site.control("reset")
    again = crawl("html_forum")
    assert again.stat("indexer/new") == 0
    hits = site.control("stats")["hits"]
    assert hits.get("/forum/gorodskoe-hozyaystvo/") == 1  # listing page 1 only (the ?page= query is not in the path)
    assert hits.get("/forum/topic/N.html", 0) <= 3  # topics whose reply count changed, if any


def test_robots_txt_is_obeyed_and_counted(crawl, tmp_path):
    watchlist = tmp_path / "private.yml"
    watchlist.write_text(textwrap.dedent("""\
        base_url: http://127.0.0.1:1
        sources:
          - id: private_forum
            platform: html
            address: /forum/private/
            name: A section robots.txt closes
            kind: other
            selectors: {item: tr.topic-row, text: div.topic-body}
        """), encoding="utf-8")
    result = crawl(watchlist=watchlist)
    assert result.returncode == 1, result.output  # a source nothing of which can be read is failing
    assert ("monitor crawl: source private_forum failing: no request answered 2xx (robots_forbidden ×1)"
            in result.output.splitlines()) and "Traceback" not in result.output
    assert result.stat("source/private_forum/errors/robots_forbidden") == 1
    assert result.stat("robotstxt/forbidden") == 1
