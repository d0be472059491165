"""Run the platform spiders for a watchlist in one process and report per source.

Used by ``monitor crawl`` (each scheduler run is one) and ``monitor demo``. One Scrapy crawler per
platform that has selected sources, all in one reactor, so a region's sources are read in parallel.
``crawl_in`` makes the same crawl in a reactor that keeps running (the tests' simulated week).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy.crawler import CrawlerProcess, CrawlerRunner
from scrapy.settings import Settings

from crawler.exceptions import CrawlerError
from crawler.spiders import SPIDERS
from crawler.spiders.ok import missing_credentials
from crawler.watchlist import Source, load_watchlist
from indexer.exceptions import IndexerError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


@dataclass
class SourceReport:
    source: Source
    posts: int = 0
    comments: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    health: str = ""  # ok, failing, silent, degraded (crawler/health); empty when not judged
    reasons: list[str] = field(default_factory=list)
    older: int = 0  # on its first crawl, posts seen older than the window (at least this many exist)
    refused: dict[str, int] = field(default_factory=dict)  # requests the crawl scope refused, by reason


@dataclass
class CrawlReport:
    sources: list[SourceReport]
    stats: dict[str, dict[str, Any]]  # spider name -> its Scrapy stats
    skipped: dict[str, str] = field(default_factory=dict)  # platform -> why it did not run
    spool_dir: str = ""

    def total(self, key: str) -> int:
        """A count summed over the spiders' stats."""
        return sum(int(s.get(key) or 0) for s in self.stats.values())

    def first(self, key: str) -> str:
        return next((str(s[key]) for s in self.stats.values() if s.get(key)), "")

    def quarantined(self) -> list[str]:
        """Spool files this crawl moved to quarantine/."""
        return [path for s in self.stats.values() for path in s.get("indexer/spool_quarantined_files") or []]

    def waiting(self) -> int:
        """Items in the spool when the crawl ended (every spider shares it: the largest count)."""
        return max((int(s.get("indexer/spool_pending") or 0) for s in self.stats.values()), default=0)

    def unhealthy(self) -> list[SourceReport]:
        """The sources this crawl judged failing, silent or degraded (``crawler/health``)."""
        return [r for r in self.sources if r.health not in ("", "ok")]

    def problems(self) -> list[str]:
        """What keeps collected items out of the store, one line each; none when all are stored."""
        problems = []
        if self.total("indexer/lost"):
            problems.append(f"{self.total('indexer/lost')} items {self.first('indexer/lost_reason')}: the crawl "
                            "stopped and their sources' cursors did not move, so the next crawl reads them again")
        if self.quarantined():
            problems.append(f"{len(self.quarantined())} spool file(s) could not be read whole and were moved "
                            f"aside, their reasons beside them: {', '.join(self.quarantined())}")
        if self.waiting():
            problems.append(f"{self.waiting()} items wait in the spool {self.spool_dir}: the store did not take "
                            f"them ({self.first('indexer/store_error')}); the next crawl replays them first")
        return problems


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(settings: Settings, source_ids: list[str] | None = None) -> CrawlReport:
    """Crawl the watchlist's sources (all enabled ones, or ``source_ids``) and wait for the end."""
    process = CrawlerProcess(settings)
    crawl = _Crawl(process, settings, source_ids)
    if crawl.crawlers:
        process.start()
    return crawl.report()


def crawl_in(runner: CrawlerRunner, source_ids: list[str] | None = None) -> Deferred[CrawlReport]:
    """The crawl :func:`run_crawl` makes, in a reactor that is running already and outlives it (a
    process that crawls again and again); fires with the report when every spider has closed."""
    crawl = _Crawl(runner, runner.settings, source_ids)
    return runner.join().addCallback(lambda _: crawl.report())


class _Crawl:
    """One crawler per platform with selected sources, started on ``runner``; the report once they end."""

    def __init__(self, runner: CrawlerRunner, settings: Settings, source_ids: list[str] | None) -> None:
        self.settings = settings
        watchlist = load_watchlist(settings.get("WATCHLIST"))
        self.selected = watchlist.select(None, source_ids or None)
        by_platform: dict[str, list[Source]] = {}
        for source in self.selected:
            by_platform.setdefault(source.platform, []).append(source)
        self.skipped: dict[str, str] = {}
        if "vk" in by_platform and not settings.getlist("VK_TOKENS"):
            self.skipped["vk"] = "VK_TOKENS is empty: set it in the environment (comma-separated tokens)"
        if "ok" in by_platform and missing_credentials(settings):
            self.skipped["ok"] = (f"{', '.join(missing_credentials(settings))} not set: set OK_APPLICATION_KEY, "
                                  "OK_ACCESS_TOKEN and OK_SECRET in the environment")
        self.crawlers: dict[str, Crawler] = {}
        self.refused: list[CrawlerError | IndexerError] = []
        for platform, sources in by_platform.items():
            if platform in self.skipped:
                continue
            crawler = runner.create_crawler(SPIDERS[platform])
            started = runner.crawl(crawler, source=",".join(s.id for s in sources))
            started.addErrback(_keep_refusal, self.refused)
            self.crawlers[platform] = crawler

    def report(self) -> CrawlReport:
        if self.refused:  # a component said at start-up that the crawl cannot run (as configured, or the store)
            raise self.refused[0]
        stats = {name: (c.stats.get_stats() if c.stats else {}) for name, c in self.crawlers.items()}
        return CrawlReport(_per_source(self.selected, stats), stats, self.skipped,
                           self.settings.get("INDEXER_SPOOL_DIR"))


def _keep_refusal(failure: Failure, refused: list[CrawlerError | IndexerError]) -> Failure | None:
    """Keep a crawler or store error a spider or a component raised as the crawl started (a store
    that cannot be opened); pass on others."""
    if isinstance(failure.value, (CrawlerError, IndexerError)):
        refused.append(failure.value)
        return None
    return failure


def _per_source(sources: list[Source], stats: dict[str, dict[str, Any]]) -> list[SourceReport]:
    reports = []
    for source in sources:
        own = stats.get(source.platform, {})
        prefix = f"source/{source.id}/"
        report = SourceReport(source, posts=own.get(prefix + "posts", 0),
                              comments=own.get(prefix + "comments", 0), older=own.get(prefix + "older", 0),
                              health=own.get(prefix + "health", ""),
                              reasons=list(own.get(prefix + "health_reasons") or []))
        for key, value in own.items():
            if key.startswith(prefix + "errors/"):
                report.errors[key.rsplit("/", 1)[-1]] = value
            elif key.startswith(prefix + "refused/"):
                report.refused[key.rsplit("/", 1)[-1]] = value
        reports.append(report)
    return reports
