"""Drop an item already seen in this crawl; across crawls the store's upsert updates instead.

The same post can reach the pipeline twice in one crawl (a wall shifts between two pages, a
comment sits in a thread preview and in its thread). Counted as ``pipeline/duplicate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import DropItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from indexer.schema import Post


class DedupPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler)

    def process_item(self, item: Post) -> Post:
        if item.id in self.seen:
            self.stats.inc_value("pipeline/duplicate")
            raise DropItem(f"duplicate {item.id}", log_level="DEBUG")
        self.seen.add(item.id)
        return item
