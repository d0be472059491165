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
from crawler.watchlist import Source, load_watchlist

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


@dataclass
class CrawlReport:
    sources: list[SourceReport]
    stats: dict[str, dict[str, Any]]  # spider name -> its Scrapy stats
    skipped: dict[str, str] = field(default_factory=dict)  # platform -> why it did not run


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
        watchlist = load_watchlist(settings.get("WATCHLIST"))
        self.selected = watchlist.select(None, source_ids or None)
        by_platform: dict[str, list[Source]] = {}
        for source in self.selected:
            by_platform.setdefault(source.platform, []).append(source)
        self.skipped: dict[str, str] = {}
        if "vk" in by_platform and not settings.getlist("VK_TOKENS"):
            self.skipped["vk"] = "VK_TOKENS is empty: set it in the environment (comma-separated tokens)"
        self.crawlers: dict[str, Crawler] = {}
        self.refused: list[CrawlerError] = []
        for platform, sources in by_platform.items():
            if platform in self.skipped:
                continue
            crawler = runner.create_crawler(SPIDERS[platform])
            started = runner.crawl(crawler, source=",".join(s.id for s in sources))
            started.addErrback(_keep_refusal, self.refused)
            self.crawlers[platform] = crawler

    def report(self) -> CrawlReport:
        if self.refused:  # a component said at start-up that the crawl cannot run as configured
            raise self.refused[0]
        stats = {name: (c.stats.get_stats() if c.stats else {}) for name, c in self.crawlers.items()}
        return CrawlReport(_per_source(self.selected, stats), stats, self.skipped)


def _keep_refusal(failure: Failure, refused: list[CrawlerError]) -> Failure | None:
    """Keep a crawler error a spider or a component raised as the crawl started; pass on others."""
    if isinstance(failure.value, CrawlerError):
        refused.append(failure.value)
        return None
    return failure


def _per_source(sources: list[Source], stats: dict[str, dict[str, Any]]) -> list[SourceReport]:
    reports = []
    for source in sources:
        own = stats.get(source.platform, {})
        prefix = f"source/{source.id}/"
        report = SourceReport(source, posts=own.get(prefix + "posts", 0),
                              comments=own.get(prefix + "comments", 0))
        for key, value in own.items():
            if key.startswith(prefix + "errors/"):
                report.errors[key.rsplit("/", 1)[-1]] = value
        reports.append(report)
    return reports
