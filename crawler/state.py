"""What earlier crawls left for each source (its cursor, the comments stored for its recent posts),
given to the spider, and the new cursors it earns, saved when it finishes.

:class:`SourceState` is all a spider knows of the past; a spider made without one starts empty and
crawls each source's first-crawl window, so spiders run and are tested with no store at all.
:class:`CrawlState` is the component (an extension, as Scrapy's own ``SpiderState`` is) that fills
it from the store when the spider opens and saves the new cursors when the spider closes with
reason ``finished``: after the item pipelines have closed, so after every item is stored or
spooled. A source that lost a page keeps its old cursor, so the next crawl re-reads its window.

Settings: ``CRAWLER_STATE_ENABLED``, ``CRAWLER_COMMENT_WINDOW_DAYS``, ``INDEXER_STORE_URL``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable

from scrapy import signals
from scrapy.exceptions import NotConfigured

from indexer.backends import open_store
from indexer.exceptions import IndexerError, StoreUnavailable
from indexer.schema import utcnow

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

    from indexer.store import Store

logger = logging.getLogger(__name__)


@dataclass
class SourceState:
    """Per source id: the cursor an earlier finished crawl saved, and post id → comments stored
    (for posts inside the comment window); then what this crawl earns."""

    cursors: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, dict[str, int]] = field(default_factory=dict)
    new_cursors: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, store: Store, source_ids: Iterable[str], comments_since: datetime) -> SourceState:
        state = cls()
        for source_id in source_ids:
            state.cursors[source_id] = store.get_cursor(source_id) or {}
            state.comments[source_id] = store.comment_counts(source_id, comments_since)
        return state

    def cursor(self, source_id: str) -> dict[str, Any]:
        return self.cursors.get(source_id) or {}

    def stored_comments(self, source_id: str, post_id: str) -> int | None:
        """How many comments of ``post_id`` are stored; None when the post is not known."""
        return self.comments.get(source_id, {}).get(post_id)

    def advance(self, source_id: str, cursor: dict[str, Any]) -> None:
        self.new_cursors[source_id] = cursor

    def lost(self, source_id: str) -> None:
        """A page of the source was missed: its cursor must not move this time."""
        self.failed.add(source_id)

    def to_save(self) -> dict[str, dict[str, Any]]:
        """New cursors of the sources that completed without losing a page."""
        return {k: v for k, v in self.new_cursors.items() if k not in self.failed}


class CrawlState:
    """Reads each source's state from the store into ``spider.state`` when the spider opens;
    saves the new cursors when it finishes. Off (``CRAWLER_STATE_ENABLED``): every crawl is a
    first crawl and nothing is saved."""

    def __init__(self, store_url: str, options: Any, comment_window: timedelta) -> None:
        self.store_url = store_url
        self.options = options
        self.comment_window = comment_window

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlState:
        s = crawler.settings
        if not s.getbool("CRAWLER_STATE_ENABLED"):
            raise NotConfigured("CRAWLER_STATE_ENABLED is off: every crawl reads its first-crawl window")
        component = cls(s.get("INDEXER_STORE_URL"), s, timedelta(days=s.getfloat("CRAWLER_COMMENT_WINDOW_DAYS")))
        crawler.signals.connect(component.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(component.spider_closed, signal=signals.spider_closed)
        return component

    def spider_opened(self, spider: Spider) -> None:
        sources = list(getattr(spider, "sources", {}))
        try:
            store = open_store(self.store_url, self.options)
        except StoreUnavailable as exc:
            self._unreadable(exc)
            return
        try:
            spider.state = SourceState.read(store, sources, utcnow() - self.comment_window)  # type: ignore[attr-defined]
        except StoreUnavailable as exc:
            self._unreadable(exc)
        finally:
            store.close()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        state: SourceState | None = getattr(spider, "state", None)
        if reason != "finished" or state is None or not state.to_save():
            return
        try:
            store = open_store(self.store_url, self.options)
        except IndexerError as exc:
            logger.error("cursors not saved (%s); the next crawl re-reads each source's window", exc)
            return
        try:
            for source_id, cursor in state.to_save().items():
                try:
                    store.set_cursor(source_id, cursor)
                except StoreUnavailable as exc:
                    logger.error("%s: cursor not saved (%s); the next crawl re-reads its window", source_id, exc)
        finally:
            store.close()

    @staticmethod
    def _unreadable(exc: Exception) -> None:
        logger.error("cannot read cursors (%s): reading each source's first-crawl window; what is collected "
                     "is spooled until the store is back", exc)
