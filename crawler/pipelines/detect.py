"""The detector stage: complaint, sector and territory for every item, scored in the store's batches.

The model costs about as much for one item as for hundreds, and Scrapy keeps only
``CONCURRENT_ITEMS`` items of a response in flight, so scoring item by item (or in the small
batches items arrive in) cost ~1.3 ms per item. This stage instead scores each batch the index
pipeline is about to write (the ``items_to_store`` signal, on the writer thread, off the
reactor). With ``DETECTOR_PROCESS`` it scores in a worker process of its own, on the second core
instead of the crawl's GIL: bench/crawl.py's VK workload (27,000 items) goes from 0.37 to 0.47 of
the bare spider, but starting the worker costs ~3 s, so a small crawl (the scheduler's one-source
runs) is slower with it (Telegram, 1,000 items: 0.31 → 0.12). Off by default. Grouping into incidents needs history, so it runs after the crawl (``monitor detect``,
the scheduler, the demo). If scoring fails, the items are stored unscored and counted:
``monitor detect`` scores them later. ``DETECTOR_ENABLED = False`` turns the stage off.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.signals import items_to_store
from detector.posts import apply_scores, detection_record
from detector.scorer import Detector

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from indexer.schema import Post

logger = logging.getLogger(__name__)

_detector: Detector | None = None  # the worker process's own detector


def _load_in_worker(arguments: dict[str, Any]) -> None:
    global _detector
    _detector = Detector.load(**arguments)


def _score_in_worker(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert _detector is not None
    return _detector.score_many(records)


class DetectPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.detector: Detector | None = None
        self.worker: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DetectPipeline:
        if not crawler.settings.getbool("DETECTOR_ENABLED"):
            raise NotConfigured("DETECTOR_ENABLED is off")
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.score, signal=items_to_store)
        return pipeline

    def open_spider(self) -> None:
        s = self.crawler.settings
        arguments = Detector.arguments(s)
        if s.getbool("DETECTOR_PROCESS"):  # spawn, not fork: this process runs threads and a reactor
            self.worker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                              initializer=_load_in_worker, initargs=(arguments,))
            self.worker.submit(int)  # start it now, while the first pages download
        else:
            self.detector = Detector.load(**arguments)

    # No process_item: items are scored with their batch, just before they are stored, and a
    # pass-through stage would still cost Scrapy's per-item, per-stage overhead.

    def close_spider(self) -> None:
        if self.worker is not None:
            self.worker.shutdown(wait=True)

    def score(self, items: list[Post]) -> None:
        if not items or (self.detector is None and self.worker is None):
            return
        sources: dict[str, Any] = getattr(self.crawler.spider, "sources", {})
        records = [detection_record(item, sources) for item in items]
        try:
            if self.worker is not None:
                results = self.worker.submit(_score_in_worker, records).result()
            else:
                assert self.detector is not None
                results = self.detector.score_many(records)
        except Exception:  # a detector bug must not stop the crawl or lose items
            logger.exception("scoring %d items failed; they are stored unscored", len(items))
            self.stats.inc_value("detector/failed", len(items))
            return
        for item, result in zip(items, results, strict=True):
            apply_scores(item, result)
            if result["is_complaint"]:
                self.stats.inc_value(f"detector/complaints/{result['sector']}")
