"""The detector stage: complaint, sector and territory for every item, scored in the store's batches.

The model costs about as much for one item as for hundreds, and Scrapy keeps only
``CONCURRENT_ITEMS`` items of a response in flight, so scoring item by item (or in the small
batches items arrive in) cost ~1.3 ms per item. This stage instead scores each batch the index
pipeline is about to write (the ``items_to_store`` signal, on the writer thread, off the
reactor). Grouping into incidents needs history, so it runs after the crawl (``monitor detect``,
the scheduler, the demo). If scoring fails, the items are stored unscored and counted:
``monitor detect`` scores them later. ``DETECTOR_ENABLED = False`` turns the stage off.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.signals import items_to_store
from detector.posts import apply_scores, detection_record
from detector.scorer import Detector

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from indexer.schema import Post

logger = logging.getLogger(__name__)


class DetectPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.detector: Detector | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DetectPipeline:
        if not crawler.settings.getbool("DETECTOR_ENABLED"):
            raise NotConfigured("DETECTOR_ENABLED is off")
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.score, signal=items_to_store)
        return pipeline

    def open_spider(self) -> None:
        s = self.crawler.settings
        self.detector = Detector.load(s.get("DETECTOR_SECTORS"), s.get("DETECTOR_TERRITORIES"),
                                      s.get("DETECTOR_MODEL"), s.getfloat("DETECTOR_THRESHOLD"))

    def process_item(self, item: Post) -> Post:
        return item  # scored with its batch, just before it is stored

    def score(self, items: list[Post]) -> None:
        if self.detector is None or not items:
            return
        sources: dict[str, Any] = getattr(self.crawler.spider, "sources", {})
        try:
            results = self.detector.score_many([detection_record(item, sources) for item in items])
        except Exception:  # a detector bug must not stop the crawl or lose items
            logger.exception("scoring %d items failed; they are stored unscored", len(items))
            self.stats.inc_value("detector/failed", len(items))
            return
        for item, result in zip(items, results, strict=True):
            apply_scores(item, result)
            if result["is_complaint"]:
                self.stats.inc_value(f"detector/complaints/{result['sector']}")
