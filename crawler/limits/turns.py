"""Which turn each request waits for, and the extension that waits for it.

A VK API request waits for its token (the one :class:`~crawler.middlewares.vk_api.VkApiMiddleware`
put on it): one request per ``1 / VK_REQUESTS_PER_SECOND`` per token. Any other request waits for
its download slot: the slot's delay from ``DOWNLOAD_SLOTS`` (Telegram's
``1 / TELEGRAM_REQUESTS_PER_SECOND``), else ``DOWNLOAD_DELAY`` for its host. Scrapy's own slots
still pace each process; the turns add what they cannot see, the other processes.

Settings: ``CRAWLER_LIMITS_ENABLED``, ``CRAWLER_LIMITS_DIR``, ``REDIS_URL``, ``VK_TOKENS``,
``VK_REQUESTS_PER_SECOND``, ``DOWNLOAD_SLOTS``, ``DOWNLOAD_DELAY``.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.limits import Limiter, open_limiter

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings


@dataclass(frozen=True)
class Turns:
    """The key a request waits for and how long one turn keeps it.

    >>> Turns.from_settings(crawler.settings).of(request, slot="telegram")
    ('slot-telegram', 1.0)
    """

    token_keys: dict[int, str]  # VK token index -> its key, a digest: tokens are secrets
    token_interval: float
    slot_delays: dict[str, float]
    default_delay: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Turns:
        rate = settings.getfloat("VK_REQUESTS_PER_SECOND")
        delay = settings.getfloat("DOWNLOAD_DELAY")
        return cls(
            token_keys={i: "vk-token-" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]
                        for i, token in enumerate(settings.getlist("VK_TOKENS"))},
            token_interval=1.0 / rate if rate > 0 else 0.0,
            slot_delays={name: float(slot.get("delay", delay))
                         for name, slot in settings.getdict("DOWNLOAD_SLOTS").items()},
            default_delay=delay)

    def of(self, request: Request, slot: str) -> tuple[str, float]:
        """The key ``request`` waits for and its interval (0: nothing to wait for)."""
        token_key = self.token_keys.get(request.meta.get("vk_token_index", -1))
        if token_key is not None:
            return token_key, self.token_interval
        return f"slot-{slot}", self.slot_delays.get(slot, self.default_delay)


class SharedLimits:
    """Turns on this machine (files) or on every node (Redis), waited for by the download handler.

    :class:`~crawler.limits.handler.LimitedDownloadHandler` calls :meth:`wait` the moment a
    request would go out, after Scrapy's own slot has let it through, so nothing of this process
    delays it between its turn and the network. Off with ``CRAWLER_LIMITS_ENABLED=False``
    (``NotConfigured``): each process then paces only itself. A ``CRAWLER_LIMITS_DIR`` that
    cannot be written stops the crawl before its first request
    (:class:`~crawler.exceptions.LimitsError`). Counts ``limits/turns`` and ``limits/wait_ms``.
    """

    def __init__(self, crawler: Crawler, limiter: Limiter, turns: Turns) -> None:
        self.crawler = crawler
        self.limiter = limiter
        self.turns = turns
        self._queues: dict[str, asyncio.Lock] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedLimits:
        s = crawler.settings
        if not s.getbool("CRAWLER_LIMITS_ENABLED"):
            raise NotConfigured("CRAWLER_LIMITS_ENABLED is off")
        limits = cls(crawler, open_limiter(s.get("CRAWLER_LIMITS_DIR"), s.get("REDIS_URL")),
                     Turns.from_settings(s))
        crawler.signals.connect(limits.close, signal=signals.spider_closed)
        return limits

    async def wait(self, request: Request) -> None:
        """Return when ``request`` has its turn (at once when it has nothing to wait for)."""
        assert self.crawler.engine is not None  # requests only go out while the engine runs
        key, interval = self.turns.of(request, self.crawler.engine.downloader.get_slot_key(request))
        if interval <= 0:
            return
        started = time.monotonic()
        # One waiter per key per process asks the shared state; the others queue behind it in
        # order, so the process's requests keep Scrapy's order and do not stampede the state.
        async with self._queues.setdefault(key, asyncio.Lock()):
            while (wait := await self.limiter.take(key, interval)) > 0:
                await asyncio.sleep(wait)
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("limits/turns")
        stats.inc_value("limits/wait_ms", round((time.monotonic() - started) * 1000))

    async def close(self) -> None:
        await self.limiter.close()
