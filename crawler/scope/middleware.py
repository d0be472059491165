"""The crawl scope on every request: scheme, host, address literal, DNS refusals, the size cap.

:class:`ScopeMiddleware` runs first among the downloader middlewares, so a refused request reaches
nothing (not even its robots.txt). Redirects come back through it as new requests
(``RedirectMiddleware`` makes them), so every hop is judged like the first. Each source may reach
its own host (its page, or its platform's API) and the hosts its watchlist entry lists in
``allowed_hosts``; only ``http`` and ``https``. A name is judged again on its DNS answers by
:class:`ScopedResolver` where the connection is made; this middleware installs it around the
reactor's resolver when the runner did not (``CrawlerRunner`` installs none, and a
``TWISTED_DNS_RESOLVER`` of one's own is installed after the middlewares exist).

:class:`ScopeOutcomeMiddleware` sits next to the download handler, before the retries see an
outcome: a name whose answers were all refused, or a body stopped at ``DOWNLOAD_MAXSIZE`` (by the
handler, by this middleware while it streams, or for the browser once rendered), becomes a
refusal that nothing retries. Refusals are counted as ``source/<id>/refused/<reason>`` and
``scope/refused/<reason>`` (``scheme``, ``offsite``, ``address``, ``too_large``); the crawl
summary shows them per source.

Settings: ``CRAWLER_ALLOW_NETWORKS``, ``CRAWLER_HOSTS``, ``DOWNLOAD_MAXSIZE``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NoReturn, cast
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError, IgnoreRequest, StopDownload
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


def refuse(crawler: Crawler, request: Request, reason: str, why: str) -> NoReturn:
    """Count the refusal (per source, and in all) and raise :class:`ScopeRefused`."""
    source_id = request.meta.get("source_id")
    stats: Any = crawler.stats
    if source_id is not None:  # robots.txt requests belong to no source
        stats.inc_value(f"source/{source_id}/refused/{reason}")
    stats.inc_value(f"scope/refused/{reason}")
    logger.warning("%s: crawl scope refused %s: %s", source_id or "robots.txt", request.url.split("?", 1)[0][:200],
                   why, extra={"spider": crawler.spider})
    raise ScopeRefused(reason, why)


class ScopeMiddleware:
    """Refuses requests outside their source's scope before anything is sent."""

    def __init__(self, crawler: Crawler, config: ScopeConfig, reactor: Any) -> None:
        self.crawler = crawler
        self.config = config
        self.reactor = reactor
        self.resolver = self._resolver()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        from twisted.internet import reactor

        return cls(crawler, ScopeConfig.from_settings(crawler.settings), reactor)

    def _resolver(self) -> ScopedResolver:
        """The reactor's :class:`ScopedResolver`, wrapped around whatever resolver it has now."""
        resolver = installed(self.reactor)
        if resolver is None:
            resolver = ScopedResolver(self.reactor, self.config.policy, self.config.hosts)
            resolver.install_on_reactor()
        return resolver

    def process_request(self, request: Request) -> None:
        self.resolver = self._resolver()
        scheme = urlsplit(request.url).scheme.lower()
        if scheme not in SCHEMES:
            refuse(self.crawler, request, "scheme", f"scheme {scheme or '(none)'!r} is not http(s)")
        host = host_of(request.url)
        allowed = cast("SourceSpider", self.crawler.spider).scope_hosts(request.meta.get("source_id"))
        if host not in allowed:
            refuse(self.crawler, request, "offsite", f"host {host!r} is not the source's "
                                                     f"({', '.join(sorted(allowed))})")
        reason = self.config.refusal(host)
        if reason is not None:
            refuse(self.crawler, request, "address", f"{host} is a {reason} address")


class ScopeOutcomeMiddleware:
    """Turns a name left without allowed answers, and a body past the cap, into refusals."""

    def __init__(self, crawler: Crawler, maxsize: int) -> None:
        self.crawler = crawler
        self.maxsize = maxsize
        self._received: WeakKeyDictionary[Request, int] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeOutcomeMiddleware:
        middleware = cls(crawler, crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        """Stop a body without a length as soon as it passes the cap (Scrapy would cancel it too,
        with an error that does not say why)."""
        limit = request.meta.get("download_maxsize", self.maxsize)
        got = self._received.get(request, 0) + len(data)
        self._received[request] = got
        if limit and got > limit:
            raise StopDownload(fail=True)

    def process_response(self, request: Request, response: Response) -> Response:
        limit = request.meta.get("download_maxsize", self.maxsize)
        if limit and len(response.body) > limit:  # handlers that do not cut (the browser)
            refuse(self.crawler, request, "too_large", f"{len(response.body)} bytes, over DOWNLOAD_MAXSIZE {limit}")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        host = host_of(request.url)
        resolver = installed(_reactor())
        if isinstance(exception, (CannotResolveHostError, DNSLookupError)) and resolver is not None:
            refused = resolver.refusal(host)
            if refused is not None:
                refuse(self.crawler, request, "address", f"{host} resolves to {refused[0]}, a {refused[1]} address")
        limit = request.meta.get("download_maxsize", self.maxsize)
        if (isinstance(exception, StopDownload) and self._received.get(request, 0) > limit
                or isinstance(exception, DownloadCancelledError) and "max size" in str(exception)):
            refuse(self.crawler, request, "too_large", f"cut at DOWNLOAD_MAXSIZE {limit} bytes")


def _reactor() -> Any:
    from twisted.internet import reactor

    return reactor
