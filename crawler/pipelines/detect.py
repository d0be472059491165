"""Score each item with the detector (complaint, sector, territory) on its way to the store.

The model costs about as much for one item as for sixty, so items wait here, at most
``DETECTOR_BATCH_WAIT`` seconds or until ``DETECTOR_BATCH_SIZE`` are pending, and are scored
together. Grouping into incidents needs history, so it runs after the crawl (``monitor detect``,
the scheduler, the demo). If scoring fails, the items go on unscored (and are counted): the
store still gets them, and ``monitor detect`` scores them later. ``DETECTOR_ENABLED = False``
turns the stage off.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from detector.scorer import Detector
from detector.posts import apply_scores, detection_record

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from indexer.schema import Post

logger = logging.getLogger(__name__)


class DetectPipeline:
    def __init__(self, crawler: Crawler, batch_size: int, max_wait: float) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.detector: Detector | None = None
        self.pending: list[tuple[Post, asyncio.Future[Post]]] = []
        self.timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DetectPipeline:
        s = crawler.settings
        if not s.getbool("DETECTOR_ENABLED"):
            raise NotConfigured("DETECTOR_ENABLED is off")
        return cls(crawler, s.getint("DETECTOR_BATCH_SIZE"), s.getfloat("DETECTOR_BATCH_WAIT"))

    def open_spider(self) -> None:
        s = self.crawler.settings
        self.detector = Detector.load(s.get("DETECTOR_SECTORS"), s.get("DETECTOR_TERRITORIES"),
                                      s.get("DETECTOR_MODEL"), s.getfloat("DETECTOR_THRESHOLD"))

    async def process_item(self, item: Post) -> Post:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Post] = loop.create_future()
        self.pending.append((item, future))
        if len(self.pending) >= self.batch_size:
            self.flush()
        elif self.timer is None:
            self.timer = loop.call_later(self.max_wait, self.flush)
        return await future

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.pending = self.pending, []
        if not batch:
            return
        assert self.detector is not None
        sources: dict[str, Any] = getattr(self.crawler.spider, "sources", {})
        try:
            results = self.detector.score_many([detection_record(item, sources) for item, _ in batch])
        except Exception:  # a detector bug must not stop the crawl or lose items
            logger.exception("scoring %d items failed; they are stored unscored", len(batch))
            self.stats.inc_value("detector/failed", len(batch))
            results = [None] * len(batch)
        for (item, future), result in zip(batch, results, strict=True):
            if result is not None:
                apply_scores(item, result)
                if result["is_complaint"]:
                    self.stats.inc_value(f"detector/complaints/{result['sector']}")
            if not future.done():
                future.set_result(item)

    def close_spider(self) -> None:
        self.flush()
