"""RSS 2.0 and Atom feeds through a real crawl of the replay site."""

from __future__ import annotations

from indexer.store import Query


def test_rss_and_atom_entries_are_stored_with_titles_and_dates(crawl):
    result = crawl("rss_gov", "atom_mchs")
    assert result.returncode == 0, result.output
    store = result.store()
    gov = store.search(Query(source_id="rss_gov", limit=100))
    mchs = store.search(Query(source_id="atom_mchs", limit=100))
    assert len(gov) >= 15 and len(mchs) >= 8
    assert all(p.title and p.text and p.url.startswith("http://127.0.0.1") for p in gov + mchs)
    assert all(p.author.official and p.language == "ru" for p in gov)
    dated = [p for p in gov + mchs if p.created_at is not None]
    assert all(p.created_at.tzinfo is not None for p in dated)


def test_broken_dates_are_counted_logged_and_the_entries_kept(crawl):
    result = crawl("rss_gov", "atom_mchs")
    assert result.stat("source/rss_gov/errors/parse") == 1
    assert result.stat("source/atom_mchs/errors/parse") == 1
    assert "rss_gov: entry" in result.output and "unreadable date 'вчера вечером'" in result.output
    undated = [p for p in result.store().search(Query(limit=100)) if p.created_at is None]
    assert len(undated) == 2


def test_second_crawl_stores_only_new_entries(crawl, site):
    first = crawl("rss_gov")
    assert first.stat("indexer/new") > 0
    again = crawl("rss_gov")
    assert again.stat("indexer/new") == 0 and again.stat("source/rss_gov/posts") == 0
    site.control("advance", minutes=200)
    later = crawl("rss_gov")
    assert later.stat("indexer/new") == 2  # the two entries the clock brought
