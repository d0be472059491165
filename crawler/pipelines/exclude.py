"""Drop what a person asked to be forgotten: the items of an excluded author or post, never
collected again (``monitor forget`` puts them on the list: the erasure log's selectors).

The list is read from the store once, when the spider opens. A repost or forward of an excluded
one's post is kept without what it shows of the original. Counted as ``pipeline/excluded/author``,
``pipeline/excluded/post`` and ``pipeline/excluded/origin``. When the store cannot be read the
crawl goes on (it spools, as it would anyway) and the spool's replay drops the excluded items.

Settings: ``INDEXER_STORE_URL``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from indexer.backends import open_store
from indexer.erasure import Exclusions
from indexer.exceptions import IndexerError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from indexer.schema import Post

logger = logging.getLogger(__name__)


class ExcludePipeline:
    def __init__(self, crawler: Crawler, store_url: str, options: Any) -> None:
        self.stats = crawler.stats
        self.store_url = store_url
        self.options = options
        self.exclusions = Exclusions()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExcludePipeline:
        return cls(crawler, crawler.settings.get("INDEXER_STORE_URL"), crawler.settings)

    def open_spider(self) -> None:
        try:
            store = open_store(self.store_url, self.options)
            try:
                self.exclusions = Exclusions.of(store.erasures())
            finally:
                store.close()
        except IndexerError as exc:
            logger.warning("cannot read the exclusion list (%s): the spool's replay drops excluded items", exc)

    def process_item(self, item: Post) -> Post:
        if not self.exclusions:
            return item
        why = self.exclusions.excludes(item)
        if why is not None:
            self.stats.inc_value(f"pipeline/excluded/{why}")
            raise DropItem(f"excluded {why}: {item.id}", log_level="DEBUG")
        if self.exclusions.excludes_origin(item):
            self.stats.inc_value("pipeline/excluded/origin")
            item.origin = None
        return item
