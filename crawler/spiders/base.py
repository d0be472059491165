"""What every source spider shares: its sources from the watchlist, their state, their errors.

A spider crawls the watchlist's enabled sources of its platform (or ``-a source=id1,id2``). What
earlier crawls left (cursors, stored comment counts) is given to it as ``self.state``
(:class:`~crawler.state.SourceState`, filled by the :class:`~crawler.state.CrawlState` component);
the spider itself never opens a store. It reports per-source errors in the stats
(``source/<id>/errors/<reason>``) and marks a source that lost a page, so that its cursor does
not move and a failed or killed crawl repeats its window next time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from scrapy import Spider
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.exceptions import SettingError
from crawler.health.record import missing_fields
from crawler.scope.policy import host_of
from crawler.state import SourceState
from crawler.watchlist import Source, load_watchlist
from indexer.schema import utcnow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from twisted.python.failure import Failure

    from indexer.schema import Post

logger = logging.getLogger(__name__)


def backfill_since(value: str | None) -> datetime | None:
    """``CRAWLER_BACKFILL_SINCE`` as an aware time (empty: no backfill)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise SettingError(f"CRAWLER_BACKFILL_SINCE: expected an ISO date or time, got {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class SourceSpider(Spider):
    """Base of the platform spiders; subclasses set ``name`` (= the platform) and ``start()``."""

    platform: ClassVar[str]

    def __init__(self, *args: Any, source: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source_arg = source
        self.sources: dict[str, Source] = {}
        self.base_url: str | None = None
        self.state = SourceState()  # replaced by CrawlState's when the spider opens
        self.seen_now: dict[str, list[str]] = {}
        self.now = utcnow()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._load(crawler)
        return spider

    def _load(self, crawler: Crawler) -> None:
        settings = crawler.settings
        watchlist = load_watchlist(settings.get("WATCHLIST"))
        ids = [s for s in (self.source_arg or "").split(",") if s]
        selected = watchlist.select(self.platform, ids or None)
        if not selected and not ids:
            raise NotConfigured(f"no enabled {self.platform} sources in {settings.get('WATCHLIST') or 'the demo watchlist'}")
        self.sources = {s.id: s for s in selected}
        self.base_url = settings.get("WATCHLIST_BASE_URL") or watchlist.base_url
        self.comment_window = timedelta(days=settings.getfloat("CRAWLER_COMMENT_WINDOW_DAYS"))
        self.first_crawl = timedelta(days=settings.getfloat("CRAWLER_FIRST_CRAWL_DAYS"))
        self.max_pages = settings.getint("CRAWLER_MAX_PAGES")
        self.backfill_since = backfill_since(settings.get("CRAWLER_BACKFILL_SINCE"))
        if self.backfill_since is not None:
            self.max_pages = settings.getint("CRAWLER_BACKFILL_MAX_PAGES")

    # --- the crawl scope (crawler/scope) -------------------------------------------------------

    def home(self, source: Source) -> str:
        """The URL whose host a source's requests go to: its page; the API spiders' API."""
        return source.url(self.base_url)

    def scope_hosts(self, source_id: str | None) -> frozenset[str]:
        """The hosts a source's requests may reach: its home's and its ``allowed_hosts``; for a
        request of no source (robots.txt), those of every source of this spider."""
        sources = [self.sources[source_id]] if source_id in self.sources else self.sources.values()
        return frozenset(host for s in sources for host in (host_of(self.home(s)), *s.allowed_hosts))

    # --- what subclasses call --------------------------------------------------------------------

    def meta(self, source: Source, **extra: Any) -> dict[str, Any]:
        """Request meta that ties a request to its source (errbacks and middlewares read it)."""
        return {"source_id": source.id, **extra}

    @property
    def oldest_wanted(self) -> datetime:
        """Posts older than this are not read: the first-crawl window, or the backfill's start."""
        return self.backfill_since if self.backfill_since is not None else self.now - self.first_crawl

    @property
    def backfilling(self) -> bool:
        """A backfill reads every post since its start, known or not: the cursor stops nothing."""
        return self.backfill_since is not None

    def too_old(self, source_id: str, created: datetime | None, first_crawl: bool) -> bool:
        """Whether a post is older than wanted; on a source's first crawl it is counted
        (``source/<id>/older``), so the summary can say what a backfill would bring in."""
        if created is None or created >= self.oldest_wanted:
            return False
        if first_crawl and not self.backfilling:
            self.crawler.stats.inc_value(f"source/{source_id}/older")
        return True

    def in_comment_window(self, created: datetime | None) -> bool:
        return created is not None and created >= self.now - self.comment_window

    def source_error(self, source_id: str, reason: str, message: str, *args: Any,
                     lost: bool = True) -> None:
        """Count and log an error of one source; ``lost`` means data was missed: keep the cursor."""
        self.crawler.stats.inc_value(f"source/{source_id}/errors/{reason}")
        self.crawler.stats.inc_value(f"{self.name}/errors/{reason}")
        if lost:
            self.state.lost(source_id)
        logger.warning("%s: " + message, source_id, *args, extra={"spider": self})

    def saw(self, source_id: str, posts: Iterable[Post]) -> None:
        """Count the posts a listing page of the source shows, whatever the cursor lets through,
        and those lacking a field the source's health tracks (``crawler/health``): a page that
        answers but holds none, or holds them without dates, is how a source breaks quietly."""
        stats = self.crawler.stats
        stats.inc_value(f"source/{source_id}/seen", 0)
        for post in posts:
            stats.inc_value(f"source/{source_id}/seen")
            for name in missing_fields(post):
                stats.inc_value(f"source/{source_id}/missing/{name}")

    def parse_problems(self, source_id: str, problems: list[str], url: str) -> None:
        for problem in problems:
            self.source_error(source_id, "parse", "%s (%s)", problem, url, lost=False)

    def on_error(self, failure: Failure) -> None:
        """Errback of every request: the page is lost for this crawl, so the cursor must wait."""
        request = failure.request  # type: ignore[attr-defined]
        source_id = request.meta.get("source_id", "?")
        # HttpError (a 404, a 403) is an IgnoreRequest too, but no middleware counted it: it is the
        # source's own error, and the one a renamed, blocked or deleted page gives.
        if failure.check(IgnoreRequest) and not failure.check(HttpError):  # type: ignore[no-untyped-call]
            if "robots.txt" in str(failure.value):
                self.source_error(source_id, "robots_forbidden", "robots.txt forbids %s", request.url,
                                  lost=False)
            return  # the VK and Retry-After middlewares counted their own
        reason = type(failure.value).__name__
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"http_{response.status}"
        self.source_error(source_id, reason, "request failed: %s (%s)", failure.getErrorMessage(),
                          request.url)

    def cursor(self, source_id: str) -> dict[str, Any]:
        """The cursor an earlier finished crawl of the source saved (empty: a first crawl)."""
        return self.state.cursor(source_id)

    def advance_cursor(self, source_id: str, cursor: dict[str, Any]) -> None:
        self.state.advance(source_id, cursor)

    def remember_seen(self, source_id: str, ids: list[str], limit: int) -> None:
        """Add ``ids`` to the items this crawl saw of the source, in the order seen (newest first).

        For sources with no ordered ids (feeds, web listings) the cursor is the newest ``limit``
        items seen: this crawl's, then the earlier ones.
        """
        now = self.seen_now.setdefault(source_id, [])
        now.extend(ids)
        fresh = set(now)
        earlier = [i for i in self.cursor(source_id).get("seen", []) if i not in fresh]
        self.advance_cursor(source_id, {"seen": (now + earlier)[:limit]})

    @staticmethod
    def pace(settings: BaseSettings, slot: str, rate: float, concurrency: int) -> None:
        """Give ``slot`` its own download slot: ``concurrency`` requests at ``rate`` per second.

        No jitter: a platform's rate is a ceiling, and Scrapy's default ±50% would go past it.
        """
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        slots[slot] = {"concurrency": concurrency, "delay": 1.0 / rate if rate > 0 else 0.0, "jitter": 0.0}
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
