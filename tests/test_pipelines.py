"""The item pipelines one at a time, built as Scrapy builds them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.pipelines.dedup import DedupPipeline
from crawler.pipelines.index import IndexPipeline
from crawler.pipelines.validate import ValidatePipeline, normalise_text
from indexer.exceptions import StoreUnavailable
from indexer.schema import Post
from indexer.sqlite.store import SqliteStore
from indexer.store import Query
from tests.support.es_double import ElasticsearchDouble


def post(number: int = 1, text: str = "Нет воды", **fields: object) -> Post:
    values: dict = {"id": f"vk:-1:{number}", "platform": "vk", "source_id": "vk_x", "kind": "post",
                    "text": text, "created_at": datetime(2026, 11, 20, 9, 0)}
    values.update(fields)
    return Post(**values)


def pipeline(cls: type, **settings: object) -> object:
    return build_from_crawler(cls, get_crawler(Spider, settings))


@pytest.mark.parametrize("raw, clean", [
    ("  Нет   воды\t\tс утра  ", "Нет воды с утра"),
    ("строка\r\nвторая\r\n\r\n\r\n\r\nтретья", "строка\nвторая\n\nтретья"),
    ("ссылка https://vk.com/wall-1_2 тут", "ссылка https://vk.com/wall-1_2 тут"),
    ("нулевой\x00символ\u00a0и nbsp", "нулевойсимвол и nbsp"),
    ("половина \ud83d эмодзи", "половина \ufffd эмодзи"),
])
def test_text_is_normalised(raw: str, clean: str) -> None:
    assert normalise_text(raw) == clean


def test_valid_items_get_utc_times_and_a_crawl_stamp() -> None:
    item = pipeline(ValidatePipeline).process_item(post(text="  Яма  на дороге "))
    assert item.text == "Яма на дороге"
    assert item.created_at == datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    assert item.crawled_at is not None and item.crawled_at.tzinfo is not None


@pytest.mark.parametrize("fields, reason", [
    ({"platform": "myspace"}, "platform"),
    ({"kind": "story"}, "kind"),
    ({"id": "vk:-1"}, "id"),
    ({"id": "telegram:-1:5"}, "id"),
    ({"kind": "comment", "id": "vk:-1:1:2"}, "parent"),
    ({"source_id": ""}, "source_id"),
])
def test_invalid_items_are_dropped_and_counted(fields: dict, reason: str) -> None:
    validate = pipeline(ValidatePipeline)
    with pytest.raises(DropItem, match=f"invalid {reason}"):
        validate.process_item(post(**fields))
    assert validate.stats.get_value(f"pipeline/invalid/{reason}") == 1


def test_a_non_post_item_is_dropped() -> None:
    with pytest.raises(DropItem, match="not a Post"):
        pipeline(ValidatePipeline).process_item({"text": "dict"})


def test_an_item_seen_twice_in_a_crawl_is_dropped_once_counted() -> None:
    dedup = pipeline(DedupPipeline)
    dedup.process_item(post(1))
    dedup.process_item(post(2))
    with pytest.raises(DropItem, match="duplicate"):
        dedup.process_item(post(1))
    assert dedup.stats.get_value("pipeline/duplicate") == 1


class RefusingStore:
    """A store that is down: every write fails as a real outage does."""

    def upsert(self, posts):  # noqa: ANN001, ANN201
        raise StoreUnavailable("disk I/O error")

    def erasures(self):  # noqa: ANN201
        raise StoreUnavailable("disk I/O error")

    def close(self) -> None:
        pass


def test_a_store_outage_spools_the_batch_and_the_next_crawl_replays_it(tmp_path: Path) -> None:
    settings = {"INDEXER_STORE_URL": f"sqlite:///{tmp_path / 'm.db'}", "INDEXER_BATCH_SIZE": 2,
                "INDEXER_SPOOL_DIR": str(tmp_path / "spool")}
    first = pipeline(IndexPipeline, **settings)
    first.open_spider()
    first.store.close()
    first.store = RefusingStore()
    for number in range(1, 6):
        first.process_item(post(number))
    first.close_spider()
    assert first.stats.get_value("indexer/spooled") == 5
    assert first.spool.pending() == 5

    second = pipeline(IndexPipeline, **settings)
    second.open_spider()
    assert second.stats.get_value("indexer/spool_replayed") == 5
    assert second.spool.pending() == 0
    store = SqliteStore(tmp_path / "m.db")
    assert store.count(Query()) == 5


def test_items_are_written_in_batches(tmp_path: Path) -> None:
    index = pipeline(IndexPipeline, INDEXER_STORE_URL=f"sqlite:///{tmp_path / 'm.db'}",
                     INDEXER_BATCH_SIZE=3, INDEXER_SPOOL_DIR=str(tmp_path / "spool"))
    index.open_spider()
    for number in range(1, 5):
        index.process_item(post(number, created_at=datetime.now(timezone.utc) - timedelta(hours=1)))
    assert index.stats.get_value("indexer/new") == 3  # one batch written, one item buffered
    index.close_spider()
    assert index.stats.get_value("indexer/new") == 4


def test_items_a_store_refuses_for_good_are_kept_aside_and_counted_by_reason(tmp_path: Path) -> None:
    with ElasticsearchDouble() as es:
        es.fail_items(lambda doc_id, source: doc_id.endswith(":2"), 400, times=10)
        index = pipeline(IndexPipeline, INDEXER_STORE_URL=es.url, INDEXER_BATCH_SIZE=10,
                         INDEXER_SPOOL_DIR=str(tmp_path / "spool"))
        index.open_spider()
        for number in range(1, 4):
            index.process_item(post(number, created_at=datetime.now(timezone.utc)))
        index.close_spider()
    assert index.stats.get_value("indexer/new") == 2
    assert index.stats.get_value("indexer/rejected") == 1
    assert index.stats.get_value("indexer/failed/document_parsing_exception") == 1
    assert index.spool.files() == []  # not replayed: a person looks at it
    kept = [json.loads(line) for f in (tmp_path / "spool" / "rejected").glob("*.jsonl")
            for line in f.read_text().splitlines()]
    assert [(k["id"], k["_rejected"]) for k in kept] == [("vk:-1:2", "document_parsing_exception")]
