"""Honour ``Retry-After`` on 429 and 503: wait as the server asked, then retry the request.

Scrapy's RetryMiddleware retries at once; a rate-limited site asks for a pause. Waits longer than
``CRAWLER_RETRY_AFTER_MAX`` seconds are not honoured: the page is counted as lost for this crawl.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str | None, default: float = 5.0) -> float:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler, max_wait: float, retries: int) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.retries = retries

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler, crawler.settings.getfloat("CRAWLER_RETRY_AFTER_MAX"),
                   crawler.settings.getint("RETRY_TIMES"))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in (429, 503) or (response.status == 503 and b"Retry-After" not in response.headers):
            return response
        header = response.headers.get("Retry-After")
        wait = retry_after_seconds(header.decode("latin-1") if header else None)
        self.crawler.stats.inc_value(f"retry_after/{response.status}")
        spider = self.crawler.spider
        assert spider is not None  # responses only come while a spider runs
        source_id = request.meta.get("source_id", "?")
        retry = get_retry_request(request, spider=spider, reason=f"retry_after_{response.status}",
                                  max_retry_times=self.retries)
        if retry is None or wait > self.max_wait:
            source_error = getattr(spider, "source_error", None)  # our spiders count it per source
            if source_error is not None:
                source_error(source_id, f"http_{response.status}",
                             "%s asked to wait %.0f s; page left for the next crawl", request.url, wait)
            raise IgnoreRequest(f"HTTP {response.status}")
        logger.info("%s: HTTP %s, waiting %.1f s as Retry-After asks (%s)", source_id,
                    response.status, wait, request.url, extra={"spider": spider})
        await asyncio.sleep(wait)
        return retry
