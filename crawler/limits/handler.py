"""Scrapy's HTTP(S) download handler, taking the request's shared turn first.

A download handler is where Scrapy's own slot hands a request to the network, after its delay,
its jitter and AutoThrottle: the turn taken here is followed by the request with nothing of this
process in between (a downloader middleware would run before the slot, whose wait would then push
the request past the turn the other processes go by). The handler it wraps is Scrapy's for
``https`` in ``DOWNLOAD_HANDLERS_BASE``. Spiders that set their own handlers (the rendered spider's
browser) do without shared turns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.utils.defer import ensure_awaitable
from scrapy.utils.misc import build_from_crawler, load_object

from crawler.limits.turns import SharedLimits

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


class LimitedDownloadHandler(BaseDownloadHandler):
    """Waits for :class:`SharedLimits` (when that extension is on), then downloads as Scrapy does."""

    def __init__(self, crawler: Crawler, inner: Any) -> None:
        super().__init__(crawler)
        self.inner = inner  # Scrapy's handlers answer a Deferred or a coroutine
        self._limits: SharedLimits | None = None
        self._looked_up = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LimitedDownloadHandler:
        inner = load_object(crawler.settings.getdict("DOWNLOAD_HANDLERS_BASE")["https"])
        return cls(crawler, build_from_crawler(inner, crawler))

    async def download_request(self, request: Request) -> Response:
        limits = self._shared_limits()
        if limits is not None:
            await limits.wait(request)
        response: Response = await ensure_awaitable(self.inner.download_request(request))
        return response

    async def close(self) -> None:
        await ensure_awaitable(self.inner.close())

    def _shared_limits(self) -> SharedLimits | None:
        if not self._looked_up:  # extensions exist before the first request, never change after
            self._limits = self.crawler.get_extension(SharedLimits)
            self._looked_up = True
        return self._limits
