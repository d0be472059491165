"""The optional detector stage: complaint, sector and territory scored in the crawl, batch by batch.

Off by default (``DETECTOR_ENABLED``): the crawl stores and ``monitor detect`` scores, which it
does anyway for the last ``SCHEDULE_DETECT_SINCE_HOURS`` every ``SCHEDULE_DETECT_INTERVAL`` under the
scheduler, grouping into incidents at the same time. Scoring in the crawl as well costs each
scheduled run ~2.3 s of CPU to import and load the models, and the crawl about half its speed
(bench/crawl.py); turn it on where posts must carry their scores the moment they are stored
(a ``monitor crawl`` with no scheduler behind it, searching by sector at once).

The model costs about as much for one item as for hundreds, and Scrapy keeps only
``CONCURRENT_ITEMS`` items of a response in flight, so scoring item by item (or in the small
batches items arrive in) cost ~1.3 ms per item. This stage instead scores each batch the index
pipeline is about to write (the ``items_to_store`` signal, on the writer thread, off the
reactor). With ``DETECTOR_PROCESS`` a worker process of its own scores instead, on
the second core rather than under the crawl's GIL: each batch goes to it when the index pipeline
hands the batch to its writer (``items_batched``), and the writer waits for the scores only when it
is about to write, so scoring overlaps the crawl. The worker takes a few seconds to start; until it
is up, batches are scored in the crawl's own process, so a small crawl (the scheduler's one-source
runs) never waits for it (``DETECTOR_PROCESS_WAIT`` waits at the start instead). Off by default:
it needs a core of its own, and where other jobs take the second core it is slower (README,
benchmarks). Grouping into incidents needs history, so it runs after the crawl (``monitor
detect``, the scheduler, the demo). If scoring fails, the items are stored unscored and counted:
``monitor detect`` scores them later. The detector (scikit-learn and the models) is imported only
when the stage is on.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.signals import items_batched, items_to_store
from detector.config import DetectorConfig
from detector.records import apply_scores, detection_record

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from detector.scoring import Detector
    from indexer.schema import Post

logger = logging.getLogger(__name__)

_detector: Detector | None = None  # the worker process's own detector


def _detector_class() -> type[Detector]:
    from detector.scoring import Detector  # scikit-learn and the models: ~2 s, only when the stage is on

    return Detector


def _load_in_worker(config: DetectorConfig) -> None:
    global _detector
    _detector = _detector_class().from_config(config)


def _score_in_worker(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert _detector is not None
    return _detector.score_many(records)


class DetectPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.detector: Detector | None = None
        self.worker: ProcessPoolExecutor | None = None
        self.worker_ready: Future[Any] | None = None
        self.scoring: dict[int, Future[list[dict[str, Any]]]] = {}  # id(batch) → the worker's scores

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DetectPipeline:
        if not crawler.settings.getbool("DETECTOR_ENABLED"):
            raise NotConfigured("DETECTOR_ENABLED is off")
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.send, signal=items_batched)
        crawler.signals.connect(pipeline.score, signal=items_to_store)
        return pipeline

    def open_spider(self) -> None:
        s = self.crawler.settings
        detector_class = _detector_class()
        config = DetectorConfig.from_settings(s)
        if s.getbool("DETECTOR_PROCESS"):  # spawn, not fork: this process runs threads and a reactor
            self.worker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                              initializer=_load_in_worker, initargs=(config,))
            self.worker_ready = self.worker.submit(int)
            if s.getbool("DETECTOR_PROCESS_WAIT"):
                self.worker_ready.result()
                return
        self.detector = detector_class.from_config(config)

    def close_spider(self) -> None:
        if self.worker is not None:  # a worker still starting is not waited for
            self.worker.shutdown(wait=bool(self.worker_ready and self.worker_ready.done()), cancel_futures=True)

    # No process_item: items are scored with their batch, just before they are stored, and a
    # pass-through stage would still cost Scrapy's per-item, per-stage overhead.

    def send(self, items: list[Post]) -> None:
        """On the reactor thread: a new batch goes to the worker, if it is up."""
        if not items or self.worker is None or self.worker_ready is None or not self.worker_ready.done():
            return
        try:
            self.scoring[id(items)] = self.worker.submit(_score_in_worker, self._records(items))
        except Exception:  # a broken worker: the batch is scored in this process instead
            logger.exception("the detector's worker process refused a batch; scoring in the crawl's process")

    def score(self, items: list[Post]) -> None:
        """On the index writer's thread: fill in the batch's scores before it is written."""
        if not items:
            return
        future = self.scoring.pop(id(items), None)
        try:
            if future is not None:
                results = future.result()
            else:
                if self.detector is None:  # the worker was awaited at the start and has broken since
                    config = DetectorConfig.from_settings(self.crawler.settings)
                    self.detector = _detector_class().from_config(config)
                results = self.detector.score_many(self._records(items))
        except Exception:  # a detector bug must not stop the crawl or lose items
            logger.exception("scoring %d items failed; they are stored unscored", len(items))
            self.stats.inc_value("detector/failed", len(items))
            return
        for item, result in zip(items, results, strict=True):
            apply_scores(item, result)
            if result["is_complaint"]:
                self.stats.inc_value(f"detector/complaints/{result['sector']}")

    def _records(self, items: list[Post]) -> list[dict[str, Any]]:
        sources: dict[str, Any] = getattr(self.crawler.spider, "sources", {})
        return [detection_record(item, sources) for item in items]
