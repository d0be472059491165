"""Public channels through t.me/s pages and discussion widgets, as the replay site serves them."""

from __future__ import annotations

from indexer.store import Query
from replay.world import load_world


def test_channel_pages_are_followed_back_and_comments_read(crawl):
    result = crawl("tg_chp", "tg_news")
    assert result.returncode == 0, result.output
    world = load_world()
    store = result.store()
    chp = [p for p in world.pages["tg_chp"].posts if p.at <= world.now]
    assert len(chp) > 20  # so the channel needs more than one page
    assert store.count(Query(source_id="tg_chp", kind="post")) == len(chp)
    assert store.count(Query(source_id="tg_chp", kind="comment")) == sum(world.count_comments(p) for p in chp)
    assert store.count(Query(source_id="tg_news", kind="comment")) == 0


def test_message_fields_follow_the_schema(crawl):
    result = crawl("tg_news")
    posts = result.store().search(Query(source_id="tg_news", limit=100))
    post = posts[0]
    number = post.id.split(":")[2]
    assert post.id == f"telegram:prirechensk_news:{number}"
    assert post.url == f"https://t.me/prirechensk_news/{number}"
    assert all(p.metrics.views and p.created_at.tzinfo for p in posts)
    assert all("<" not in p.text and "tgme" not in p.text for p in posts)


def test_429_with_retry_after_is_waited_out_and_counted(crawl):
    result = crawl("tg_chp")
    assert result.stat("retry_after/429") == 1
    assert result.stat("retry/reason_count/retry_after_429") == 1
    assert "HTTP 429, waiting 1.0 s as Retry-After asks" in result.output
    assert result.stat("source/tg_chp/errors/http_429") == 0


def test_second_crawl_reads_the_window_only_and_no_unchanged_comments(crawl, site):
    crawl("tg_chp")
    first = site.control("stats")["hits"]
    site.control("reset")
    again = crawl("tg_chp", CRAWLER_COMMENT_WINDOW_DAYS=0.5)
    hits = site.control("stats")["hits"]
    assert again.stat("indexer/new") == 0
    assert first["/tg/chp_prirechensk/N"] > 20 and hits.get("/tg/chp_prirechensk/N", 0) == 0
    assert hits["/tg/s/chp_prirechensk"] == 1  # the newest page holds the cursor and the window
    site.control("advance", minutes=200)
    later = crawl("tg_chp")
    assert later.stat("indexer/new") >= 3


def test_a_real_channel_page_is_stored_as_a_browser_shows_it(real_crawl):
    result = real_crawl("tg_tchantest")
    assert result.returncode == 0, result.output
    posts = {p.id: p for p in result.store().search(Query(source_id="tg_tchantest", limit=100))}
    assert len(posts) == 10
    assert posts["telegram:tchantest:62"].text == "Bigger\ntext\nmessage\nnumber\n34"
    assert posts["telegram:tchantest:82"].text == '+ "Channel video changed"'
    forward = posts["telegram:tchantest:89"]
    assert forward.author.id == "tchantest" and forward.origin is not None
    assert (forward.origin.author.name, forward.origin.url) == ("Some user", "https://t.me/some_user")
    assert posts["telegram:tchantest:81"].attachments[0].title == "Welcome to Python.org"
