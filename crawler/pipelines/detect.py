"""The optional detector stage: complaint, sector, territory, fake and threat scored in the crawl.

Off by default (``DETECTOR_ENABLED``): the crawl stores and ``monitor detect`` scores, which it
does anyway under the scheduler, grouping into incidents at the same time (grouping needs history,
so it never runs here). Turn it on where posts must carry their scores the moment they are stored.

The model costs about as much for one item as for hundreds, so items are scored in batches
(:class:`~crawler.pipelines.batching.Batcher`) off the reactor: by default in a worker process of
its own, on another core than the crawl's (``DETECTOR_PROCESS``), else in a thread. Items wait for
their batch and move on scored. The worker process starts with the spider and loads the models
there; the crawl's own process never loads the models in that mode. If scoring
fails, the batch's items are stored unscored and counted (``detector/failed``): ``monitor detect``
scores them later.

Settings: ``DETECTOR_ENABLED``, ``DETECTOR_PROCESS``, ``DETECTOR_BATCH_SIZE`` and the detector's own
(``DETECTOR_*``, ``FAKES_*``: :class:`~detector.config.DetectorConfig`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.pipelines.batching import Batcher
from detector.config import DetectorConfig
from detector.records import apply_scores, findings, scoring_record

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from detector.scoring import Detector
    from indexer.schema import Post

logger = logging.getLogger(__name__)

_detector: Detector | None = None  # the detector of this process (the worker's, or the crawl's own)
# The worker runs below the crawl's priority: on 2 cores shared with other work, the crawl's single
# Python thread is what every item waits for (bench/crawl.py, VK with the detector: 0.56 → 0.63).
WORKER_NICENESS = 10


def _load(config: DetectorConfig) -> None:
    global _detector
    from detector.scoring import Detector  # scikit-learn-free, but the models and lexicons take ~1 s

    _detector = Detector.from_config(config)


def _load_in_worker(config: DetectorConfig, niceness: int) -> None:
    """The worker process: below the crawl's priority, so that on a busy machine the crawl's one
    thread of Python, which every item waits for, is the one that keeps its core."""
    if niceness:
        os.nice(niceness)
    _load(config)


def _score(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Score a batch with this process's detector; send back only what is written onto posts."""
    assert _detector is not None, "the detector was not loaded in this process"
    return [findings(scored) for scored in _detector.score_many(records)]


class DetectPipeline:
    def __init__(self, crawler: Crawler, config: DetectorConfig, *, in_process: bool, batch_size: int,
                 niceness: int = WORKER_NICENESS) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.config = config
        self.in_process = in_process
        self.batch_size = batch_size
        self.executor: Executor | None = None
        self.batcher: Batcher[Post, list[dict[str, Any]], list[dict[str, Any]] | None] | None = None
        self._last_error: BaseException | None = None
        self.niceness = niceness

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DetectPipeline:
        s = crawler.settings
        if not s.getbool("DETECTOR_ENABLED"):
            raise NotConfigured("DETECTOR_ENABLED is off")
        return cls(crawler, DetectorConfig.from_settings(s), in_process=not s.getbool("DETECTOR_PROCESS"),
                   batch_size=s.getint("DETECTOR_BATCH_SIZE"))

    def open_spider(self) -> None:
        if self.in_process:
            _load(self.config)  # a wrong model or file fails here, before anything is crawled
            self.executor = ThreadPoolExecutor(1, thread_name_prefix="detector")
        else:  # spawn, not fork: this process runs threads and a reactor
            self.config.check_files()  # a wrong path fails here; the worker loads the files
            self.executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_load_in_worker, initargs=(self.config, self.niceness))
            self.executor.submit(int)  # the worker starts now and loads the models while the first pages come
        self.batcher = Batcher(self._records, _safe_score, self._apply, executor=self.executor,
                               max_size=self.batch_size)

    async def process_item(self, item: Post) -> Post:
        assert self.batcher is not None
        try:
            await self.batcher.add(item)
        except Exception as exc:  # the worker process died: the item goes on unscored
            self.stats.inc_value("detector/failed")
            if exc is not self._last_error:
                self._last_error = exc
                logger.error("the detector's worker failed (%s: %s); items are stored unscored and scored by "
                             "monitor detect later", type(exc).__name__, exc)
        return item

    async def close_spider(self) -> None:
        if self.batcher is not None:
            await self.batcher.drain()
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)

    def _records(self, items: list[Post]) -> list[dict[str, Any]]:
        sources: dict[str, Any] = getattr(self.crawler.spider, "sources", {})
        return [scoring_record(item, sources) for item in items]

    def _apply(self, items: list[Post], results: list[dict[str, Any]] | None) -> None:
        self.stats.inc_value("detector/batches")
        self.stats.inc_value("detector/batched_items", len(items))
        if results is None:  # scoring failed (logged where it ran): stored unscored, scored by monitor detect
            self.stats.inc_value("detector/failed", len(items))
            return
        for item, result in zip(items, results, strict=True):
            apply_scores(item, result)
            if result["is_complaint"]:
                self.stats.inc_value(f"detector/complaints/{result['sector']}")


def _safe_score(records: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """:func:`_score`, with a failure logged instead of raised: a detector bug must not stop the
    crawl or lose items."""
    try:
        return _score(records)
    except Exception:
        logger.exception("scoring %d items failed; they are stored unscored", len(records))
        return None
