"""Store items in batches off the reactor thread; spool what the store refuses; advance cursors.

Opens the store named by ``INDEXER_STORE_URL`` when the spider opens and first replays the spool
(``INDEXER_SPOOL_DIR``) left by an earlier outage. Items are written ``INDEXER_BATCH_SIZE`` at a
time by one worker thread, in order, so serialising and indexing never stall the crawl; when the
store falls more than ``INDEXER_MAX_PENDING`` batches behind, the crawl waits for it.

When the store is unreachable, batches go to the durable spool; while anything waits there, new
batches queue behind it (order is kept: an older copy never overwrites a newer one) and the writer
retries the replay every ``INDEXER_SPOOL_RETRY_SECONDS`` and once more at the end. Items the store
refuses for good are kept aside in the spool's ``rejected/`` and counted by reason.

Cursors are saved after this pipeline has closed, by :class:`~crawler.state.CrawlState`, so a
source's cursor moves only once its items are stored or spooled. A batch that neither the store
nor the spool takes (its folder cannot be written, the disk is full) stops the crawl
(``store_and_spool_failed``), is counted per source (``source/<id>/errors/not_stored``) and keeps
every cursor of the sources it held, so the next crawl reads those items again. A store that cannot
be opened at all (a damaged SQLite file) is a store that refuses every batch: they are spooled.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Sequence

from scrapy.utils.defer import deferred_from_coro

from detector.records import FINDINGS
from indexer.backends import check_store_url, open_store
from indexer.exceptions import StoreUnavailable
from indexer.spool import Spool
from indexer.store import UpsertResult, safe_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.state import SourceState
    from indexer.schema import Post
    from indexer.store import Store

logger = logging.getLogger(__name__)


class IndexPipeline:
    def __init__(self, crawler: Crawler, store_url: str, batch_size: int, max_pending: int,
                 spool: Spool, spool_retry: float) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.store_url = store_url
        self.batch_size = batch_size
        self.max_pending = max_pending
        self.spool = spool
        self.spool_retry = spool_retry
        self.next_replay = 0.0
        self.store: Store | None = None
        self.store_error = ""  # why the store is not there (it could not be opened)
        self.lost: Counter[str] = Counter()  # source id -> items neither stored nor spooled
        self.stopping = False
        self.buffer: list[Post] = []
        self.counts: Counter[tuple[str, str]] = Counter()
        self.pending: deque[Future[None]] = deque()
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-writer")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexPipeline:
        s = crawler.settings
        check_store_url(s.get("INDEXER_STORE_URL"))  # a URL no backend takes: the crawl does not start
        pipeline = cls(crawler, s.get("INDEXER_STORE_URL"), s.getint("INDEXER_BATCH_SIZE"),
                       s.getint("INDEXER_MAX_PENDING"), Spool(s.get("INDEXER_SPOOL_DIR")),
                       s.getfloat("INDEXER_SPOOL_RETRY_SECONDS"))
        return pipeline

    def open_spider(self) -> None:
        try:
            self.store = open_store(self.store_url, self.crawler.settings)
        except StoreUnavailable as exc:
            self.store_error = str(exc)
            self.stats.set_value("indexer/store_error", self.store_error)
            logger.error("%s; what this crawl collects is spooled to %s", exc, self.spool.directory)
            return
        self._replay()

    def process_item(self, item: Post) -> Post:
        self.buffer.append(item)
        self.counts[item.source_id, item.kind] += 1  # the stats key is built once per batch
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        """Hand the buffer to the writer thread; wait only if the store is far behind."""
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        self.pending.append(self.writer.submit(self._write, batch))
        while len(self.pending) > self.max_pending:
            self.pending.popleft().result()
        for (source_id, kind), value in self.counts.items():
            self.stats.inc_value(f"source/{source_id}/{kind}s", value)
        self.counts.clear()
        if self.lost and not self.stopping:
            self._stop()

    def _stop(self) -> None:
        """Items were lost: crawling on would lose more. A reason other than ``finished`` keeps
        every cursor (:class:`~crawler.state.CrawlState`)."""
        self.stopping = True
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_and_spool_failed"))

    def _write(self, batch: list[Post]) -> None:
        if self.store is None:
            self._spool(batch, self.store_error)
            return
        try:
            if self.spool.files() and not self._replay(when_due=True):
                self._spool(batch, "earlier items still wait in the spool")
                return
            result = self.store.upsert(batch)
        except StoreUnavailable as exc:
            self._spool(batch, str(exc))
            return
        except Exception as exc:  # a store bug must not lose the batch either
            logger.exception("writing %d items failed", len(batch))
            self._spool(batch, f"{type(exc).__name__}: {exc}")
            return
        self._count(result)
        if result.transient:
            self._spool(result.transient, "the store refused them for now")
        self._write_findings(batch)

    def _write_findings(self, batch: list[Post]) -> None:
        """The crawl's detector stage scored these (``DETECTOR_ENABLED``): a re-crawled post keeps
        the detector's fields through ``upsert``, so its new scores go by the detector's own write."""
        scored = {post.id: post.findings(FINDINGS) for post in batch if post.complaint is not None}
        if not scored:
            return
        assert self.store is not None
        try:
            self.store.update_findings(scored)
        except StoreUnavailable as exc:  # the posts are stored; monitor detect scores them again
            self.stats.inc_value("indexer/findings_not_stored", len(scored))
            logger.error("the scores of %d items were not stored (%s); monitor detect scores them", len(scored), exc)

    def _spool(self, posts: list[Post], why: str) -> None:
        try:
            path = self.spool.append(posts)
        except OSError as exc:
            self._lose(posts, f"not stored ({why}) nor spooled ({exc})")
            return
        self.stats.inc_value("indexer/spooled", len(posts))
        self.stats.set_value("indexer/store_error", why)
        logger.error("%d items not stored (%s); spooled to %s for replay", len(posts), why, path)

    def _lose(self, posts: Sequence[Post], why: str) -> None:
        """Count items neither the store nor the spool took, per source; the crawl stops."""
        lost = Counter(post.source_id for post in posts)
        for source_id, count in lost.items():
            self.stats.inc_value(f"source/{source_id}/errors/not_stored", count)
        self.lost.update(lost)
        self.stats.inc_value("indexer/lost", len(posts))
        if not self.stats.get_value("indexer/lost_reason"):
            self.stats.set_value("indexer/lost_reason", why)
        logger.critical("%d items %s: the crawl stops, and their sources' cursors stay for the next crawl",
                        len(posts), why)

    def _count(self, result: UpsertResult) -> None:
        self.stats.inc_value("indexer/new", result.new)
        self.stats.inc_value("indexer/updated", result.updated)
        for reason, count in result.failures.items():
            self.stats.inc_value(f"indexer/failed/{reason}", count)
        if result.rejected:
            self.stats.inc_value("indexer/rejected", len(result.rejected))
        if result.rejected:
            try:
                path = self.spool.reject(result.rejected)
            except OSError as exc:
                self._lose([post for post, _ in result.rejected], f"rejected by the store and not kept ({exc})")
                return
            logger.error("the store rejected %d items for good (first: %s, %s); kept in %s",
                         len(result.rejected), result.rejected[0][0].id, result.rejected[0][1], path)

    def _replay(self, when_due: bool = False) -> bool:
        """Move spooled items into the store, oldest first; True when the spool is empty.

        ``when_due``: only if the last attempt is ``INDEXER_SPOOL_RETRY_SECONDS`` old, and never
        waiting for another crawl's replay; otherwise (opening, closing) wait for it.
        """
        if not self.spool.files():
            return True
        if self.store is None or (when_due and time.monotonic() < self.next_replay):
            return False
        try:
            replayed = self.spool.replay(self.store, wait=not when_due)
        except OSError as exc:  # the spool's folder cannot be written (its lock, a quarantined file)
            logger.error("the spool %s cannot be replayed: %s", self.spool.directory, exc)
            return False
        finally:
            self.next_replay = time.monotonic() + self.spool_retry
            self._count_quarantined()
        if replayed:
            self.stats.inc_value("indexer/spool_replayed", replayed)
            logger.info("replayed %d spooled items into %s", replayed, safe_url(self.store_url))
        return not self.spool.files()

    def _count_quarantined(self) -> None:
        """Spool files that could not be read whole, for the crawl's summary (which names them)."""
        known = self.stats.get_value("indexer/spool_quarantined_files") or []
        if len(self.spool.quarantined) > len(known):
            self.stats.set_value("indexer/spool_quarantined_files", [str(q.path) for q in self.spool.quarantined])
            self.stats.set_value("indexer/spool_quarantined", len(self.spool.quarantined))

    def close_spider(self) -> None:
        self.stopping = True  # closing already
        self.flush()
        while self.pending:
            self.pending.popleft().result()
        self.writer.shutdown(wait=True)
        state: SourceState | None = getattr(self.crawler.spider, "state", None)
        if state is not None:  # even when the crawl finished: the last batch may be the one lost
            for source_id in self.lost:
                state.lost(source_id)
        if not self._replay():
            waiting = self.spool.pending()
            self.stats.set_value("indexer/spool_pending", waiting)
            logger.error("%d items wait in the spool %s: the next crawl replays them first", waiting,
                         self.spool.directory)
        if self.store is not None:
            self.store.close()
            self.store = None
