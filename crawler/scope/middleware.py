"""The crawl scope on every request: scheme, host, address literal, and the DNS refusals.

Runs first among the downloader middlewares, so a refused request reaches nothing (not even its
robots.txt). Redirects come back through here as new requests (``RedirectMiddleware`` makes them),
so every hop is judged like the first. Each source may reach its own host (its page, or its
platform's API) and the hosts its watchlist entry lists in ``allowed_hosts``; only ``http`` and
``https``. A name is judged again on its DNS answers by :class:`ScopedResolver` at connect time;
this middleware installs it when the runner did not (``CrawlerRunner`` installs no resolver).

Refusals are counted as ``source/<id>/refused/<reason>`` and ``scope/refused/<reason>`` (reasons:
``scheme``, ``offsite``, ``address``, ``too_large``); the crawl summary shows them per source. A
body past ``DOWNLOAD_MAXSIZE`` is cut by the download handler (or, for the browser, dropped here)
and counted as ``too_large``.

Settings: ``CRAWLER_ALLOW_NETWORKS``, ``CRAWLER_HOSTS``, ``DOWNLOAD_MAXSIZE``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NoReturn, cast
from urllib.parse import urlsplit

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from twisted.internet.error import DNSLookupError

from crawler.scope.policy import SCHEMES, ScopeConfig, host_of
from crawler.scope.resolver import ScopedResolver, installed

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.spiders.base import SourceSpider

logger = logging.getLogger(__name__)


class ScopeRefused(IgnoreRequest):
    """A request the crawl scope refused; ``reason`` is the counted one."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ScopeMiddleware:
    """Refuses requests outside their source's scope and counts each refusal."""

    def __init__(self, crawler: Crawler, config: ScopeConfig, resolver: ScopedResolver, maxsize: int) -> None:
        self.crawler = crawler
        self.config = config
        self.resolver = resolver
        self.maxsize = maxsize

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        from twisted.internet import reactor

        resolver = installed(reactor)
        if resolver is None:
            resolver = ScopedResolver.from_crawler(crawler, reactor)
            resolver.install_on_reactor()
        return cls(crawler, ScopeConfig.from_settings(crawler.settings), resolver,
                   crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def process_request(self, request: Request) -> None:
        scheme = urlsplit(request.url).scheme.lower()
        if scheme not in SCHEMES:
            self._refuse(request, "scheme", f"scheme {scheme or '(none)'!r} is not http(s)")
        host = host_of(request.url)
        allowed = self._spider().scope_hosts(request.meta.get("source_id"))
        if host not in allowed:
            self._refuse(request, "offsite", f"host {host!r} is not the source's ({', '.join(sorted(allowed))})")
        reason = self.config.refusal(host)
        if reason is not None:
            self._refuse(request, "address", f"{host} is a {reason} address")

    def process_response(self, request: Request, response: Response) -> Response:
        if self.maxsize and len(response.body) > self.maxsize:  # handlers that do not cut (the browser)
            self._refuse(request, "too_large", f"{len(response.body)} bytes, over DOWNLOAD_MAXSIZE {self.maxsize}")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, DNSLookupError):
            refused = self.resolver.refusal(host_of(request.url))
            if refused is not None:
                self._refuse(request, "address", f"{host_of(request.url)} resolves to {refused[0]}, "
                                                 f"a {refused[1]} address")
        if isinstance(exception, DownloadCancelledError) and "max size" in str(exception):
            self._refuse(request, "too_large", f"cut at DOWNLOAD_MAXSIZE {self.maxsize} bytes")

    def _refuse(self, request: Request, reason: str, why: str) -> NoReturn:
        source_id = request.meta.get("source_id", "?")
        stats: Any = self.crawler.stats
        stats.inc_value(f"source/{source_id}/refused/{reason}")
        stats.inc_value(f"scope/refused/{reason}")
        logger.warning("%s: crawl scope refused %s: %s", source_id, _safe(request.url), why,
                       extra={"spider": self.crawler.spider})
        raise ScopeRefused(reason, why)

    def _spider(self) -> SourceSpider:
        return cast("SourceSpider", self.crawler.spider)


def _safe(url: str) -> str:
    """``url`` for a log line: its query left out (it may carry a token)."""
    return url.split("?", 1)[0][:200]
