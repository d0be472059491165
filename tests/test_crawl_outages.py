"""Real crawls of the replay site through a store and a spool that fail: nothing collected is lost,
and the summary and the exit code say what happened."""

from __future__ import annotations

from pathlib import Path

from indexer.elastic.store import ElasticsearchStore
from indexer.schema import Post
from indexer.spool import Spool
from tests.conftest import Crawler
from tests.support.es_double import ElasticsearchDouble

SOURCES = ("vk_podslushano", "tg_chp")
FAST = {"INDEXER_ES_INITIAL_BACKOFF": 0.01, "INDEXER_ES_MAX_BACKOFF": 0.05, "INDEXER_ES_MAX_RETRIES": 1}


def cursors(es: ElasticsearchDouble, prefix: str) -> dict[str, dict | None]:
    store = ElasticsearchStore.from_url(es.url, {"INDEXER_ES_PREFIX": prefix})
    try:
        return {source: store.get_cursor(source) for source in SOURCES}
    finally:
        store.close()


def stored_ids(es: ElasticsearchDouble, prefix: str) -> set[str]:
    return set(es.docs(f"{prefix}-posts"))


def test_a_batch_neither_the_store_nor_the_spool_takes_stops_the_crawl_and_keeps_the_cursors(
        site, tmp_path: Path) -> None:
    """The store refuses every item (503) and the spool's folder cannot be made: the crawl stops at
    once with exit code 1 and one line saying so; no cursor moves, so the next crawl, with a spool
    that works again, stores every post a crawl without the outage stores."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool's parent folder should be")
    with ElasticsearchDouble() as es:
        victim, reference = Crawler(site, tmp_path / "victim"), Crawler(site, tmp_path / "reference")
        for crawler, prefix in ((victim, "victim"), (reference, "reference")):
            (tmp_path / prefix).mkdir()
            first = crawler(*SOURCES, INDEXER_STORE_URL=es.url, INDEXER_ES_PREFIX=prefix,
                            CRAWLER_FIRST_CRAWL_DAYS=1, **FAST)
            assert first.returncode == 0, first.output
        before = cursors(es, "victim")
        assert all(before.values())
        site.control("advance", minutes=3 * 24 * 60)  # three days of new posts on every source

        es.fail_items(lambda doc_id, source: True, 503, times=1_000_000)
        failed = victim(*SOURCES, INDEXER_STORE_URL=es.url, INDEXER_ES_PREFIX="victim",
                        INDEXER_SPOOL_DIR=str(blocker / "spool"), INDEXER_BATCH_SIZE=10, **FAST)
        assert failed.returncode == 1, failed.output
        said = [line for line in failed.output.splitlines() if line.startswith("monitor crawl:")]
        assert len(said) == 1 and "nor spooled" in said[0] and "Not a directory" in said[0], said
        assert "Traceback" not in failed.output
        assert failed.stat("indexer/lost") > 0 and "Closing spider (store_and_spool_failed)" in failed.output
        assert sum(failed.stat(f"source/{s}/errors/not_stored") for s in SOURCES) == failed.stat("indexer/lost")
        assert cursors(es, "victim") == before

        es.item_faults.clear()
        again = victim(*SOURCES, INDEXER_STORE_URL=es.url, INDEXER_ES_PREFIX="victim", **FAST)
        assert again.returncode == 0, again.output
        after = reference(*SOURCES, INDEXER_STORE_URL=es.url, INDEXER_ES_PREFIX="reference", **FAST)
        assert after.returncode == 0, after.output
        assert len(stored_ids(es, "victim")) == len(stored_ids(es, "reference")) > 0
        assert stored_ids(es, "victim") == stored_ids(es, "reference")
        assert cursors(es, "victim") == cursors(es, "reference") != before


def test_a_damaged_spool_file_is_named_in_the_summary_and_the_rest_of_the_spool_is_stored(
        crawl: Crawler, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    waiting = [Post(id=f"vk:-1:{n}", platform="vk", source_id="vk_x", kind="post", text=f"Нет воды {n}",
                    created_at=None) for n in range(1, 4)]
    spool.append(waiting[:1])
    damaged = spool.append(waiting[1:2])
    damaged.write_bytes(damaged.read_bytes()[:25])  # cut short
    spool.append(waiting[2:])

    result = crawl("atom_mchs")
    assert result.returncode == 1, result.output
    aside = tmp_path / "spool" / "quarantine" / damaged.name
    assert aside.exists() and aside.with_name(aside.name + ".reason").exists()
    assert f"monitor crawl: 1 spool file(s) could not be read whole and were moved aside, their reasons " \
           f"beside them: {aside}" in result.output
    assert "1 spool files moved to quarantine" in result.output and " 0 errors" not in result.output
    assert result.stat("indexer/spool_replayed") == 2 and spool.files() == []
    assert {"vk:-1:1", "vk:-1:3"} <= result.ids() and "vk:-1:2" not in result.ids()
    assert len(result.ids(source_id="atom_mchs")) >= 8


def test_a_store_file_that_cannot_be_opened_spools_the_crawl_and_says_so(crawl: Crawler, tmp_path: Path) -> None:
    crawl.store_path.write_bytes(b"this is not a database" * 100)
    result = crawl("atom_mchs")
    assert result.returncode == 1, result.output
    said = [line for line in result.output.splitlines() if line.startswith("monitor crawl:")]
    assert len(said) == 1 and f"items wait in the spool {tmp_path / 'spool'}" in said[0], said
    assert f"SQLite store {crawl.store_path}: cannot open it: file is not a database" in said[0]
    assert "Traceback" not in result.output
    assert Spool(tmp_path / "spool").pending() == result.stat("source/atom_mchs/posts") >= 8

    crawl.store_path.unlink()
    again = crawl("atom_mchs")
    assert again.returncode == 0, again.output
    assert again.stat("indexer/spool_replayed") == result.stat("source/atom_mchs/posts")


def test_a_last_batch_lost_as_the_crawl_finishes_keeps_its_sources_cursors(site, tmp_path: Path) -> None:
    """One batch, written when the spider has finished: the crawl ends as ``finished``, yet the
    sources whose items were lost keep their cursors."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with ElasticsearchDouble() as es:
        crawl = Crawler(site, tmp_path)
        first = crawl(*SOURCES, INDEXER_STORE_URL=es.url, INDEXER_ES_PREFIX="victim", CRAWLER_FIRST_CRAWL_DAYS=1, **FAST)
        assert first.returncode == 0, first.output
        before = cursors(es, "victim")
        site.control("advance", minutes=24 * 60)
        es.fail_items(lambda doc_id, source: True, 503, times=1_000_000)
        failed = crawl(*SOURCES, INDEXER_STORE_URL=es.url, INDEXER_ES_PREFIX="victim",
                       INDEXER_SPOOL_DIR=str(blocker / "spool"), INDEXER_BATCH_SIZE=100_000, **FAST)
        assert failed.returncode == 1 and "Spider closed (finished)" in failed.output, failed.output
        assert all(failed.stat(f"source/{s}/errors/not_stored") for s in SOURCES)
        assert cursors(es, "victim") == before
