"""Turns shared by every crawl process: a VK token or a download slot is used at most once per
interval, whichever process asks.

A turn is "this key is busy until T": taking it writes T = now + interval when the key is free,
and otherwise answers how long to wait. Nothing is held between two calls, so a process that dies
leaves at most one interval behind it. On one machine the turns live in small files under
``CRAWLER_LIMITS_DIR`` (:class:`~crawler.limits.files.FileLimiter`); with ``REDIS_URL`` they live
in Redis and hold across machines (:class:`~crawler.limits.redis.RedisLimiter`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from crawler.exceptions import LimitsError


class Limiter(Protocol):
    """Where the turns live."""

    async def take(self, key: str, interval: float) -> float:
        """Take ``key`` for ``interval`` seconds: 0 when taken, else the seconds until it is free."""

    async def close(self) -> None:
        """Let go of files or connections."""


def open_limiter(directory: str, redis_url: str | None) -> Limiter:
    """Redis when ``redis_url`` is given (the redis package is an extra), else files in ``directory``."""
    if redis_url:
        try:
            from crawler.limits.redis import RedisLimiter
        except ImportError as exc:
            raise LimitsError("REDIS_URL is set, but the redis package is not installed: install "
                              "social-monitor[redis] (pip install 'redis>=5'), or unset REDIS_URL to share "
                              f"limits only between the processes of this machine ({exc})") from exc
        return RedisLimiter.from_url(redis_url)
    from crawler.limits.files import FileLimiter

    return FileLimiter(Path(directory))


__all__ = ["Limiter", "open_limiter"]
