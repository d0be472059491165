"""VK API requests: tokens on the way out, errors converted in one place on the way back.

VK answers errors inside HTTP 200 bodies (``{"error": {"error_code": ...}}``). Here they become
decisions: 6, 9 and 10 retry with exponential backoff; 29 retires the token for the day and 5
for the crawl (another token retries); 15, 18, 19, 30 and 203 mark the source unavailable; 212
skips that post's comments. Each is counted as ``vk/api_error/<code>``. Tokens travel in the
``Authorization`` header, never in the URL, so they stay out of logs, and only to ``VK_API_URL``'s
own origin: a redirect elsewhere comes back here as a new request with the same meta, and is
refused (``vk_offsite_redirect``) instead of being given a token.

Settings: ``VK_API_URL``, ``VK_TOKENS``, ``VK_API_VERSION``, ``VK_RETRY_TIMES``, ``VK_BACKOFF_START``,
``VK_BACKOFF_MAX``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date
from typing import TYPE_CHECKING, Any, cast

import orjson
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest

from crawler.exceptions import VkApiError
from crawler.scope.policy import origin_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.spiders.base import SourceSpider

logger = logging.getLogger(__name__)

RETRY_CODES = {6, 9, 10}
UNAVAILABLE_CODES = {15, 18, 19, 30, 203}
NO_COMMENTS_CODES = {212}


class TokenPool:
    """Round-robin over VK tokens, skipping retired ones; a 29 retires a token until tomorrow."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = list(tokens)
        self.retired: dict[int, date | None] = {}
        self._next = 0

    def take(self) -> tuple[int, str] | None:
        today = date.today()
        for _ in range(len(self.tokens)):
            index = self._next % len(self.tokens)
            self._next += 1
            until = self.retired.get(index, today)
            if index not in self.retired or (until is not None and until < today):
                self.retired.pop(index, None)
                return index, self.tokens[index]
        return None

    def retire(self, index: int, for_the_day: bool) -> None:
        self.retired[index] = date.today() if for_the_day else None


class VkApiMiddleware:
    """Signs VK API requests (``meta["vk_method"]``) and turns VK errors into retries or skips."""

    def __init__(self, crawler: Crawler, tokens: list[str], version: str, retries: int,
                 backoff_start: float, backoff_max: float, api_url: str = "") -> None:
        self.crawler = crawler
        self.origin = origin_of(api_url) if api_url else None
        self.pool = TokenPool(tokens)
        self.version = version
        self.retries = retries
        self.backoff_start = backoff_start
        self.backoff_max = backoff_max

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> VkApiMiddleware:
        s = crawler.settings
        return cls(crawler, s.getlist("VK_TOKENS"), s.get("VK_API_VERSION"), s.getint("VK_RETRY_TIMES"),
                   s.getfloat("VK_BACKOFF_START"), s.getfloat("VK_BACKOFF_MAX"), s.get("VK_API_URL"))

    def process_request(self, request: Request) -> None:
        if "vk_method" not in request.meta:
            return None
        if self.origin is not None and origin_of(request.url) != self.origin:
            request.headers.pop("Authorization", None)
            return self._skip(request, "vk_offsite_redirect", f"{request.meta['vk_method']}: redirected away "
                              f"from the VK API to {origin_of(request.url)}: not sent, no token given")
        taken = self.pool.take()
        if taken is None:
            self._spider().source_error(request.meta["source_id"], "vk_no_token",
                                        "no VK token left (all retired); %s not requested",
                                        request.meta["vk_method"])
            raise IgnoreRequest("no VK token left")
        request.meta["vk_token_index"] = taken[0]
        request.headers["Authorization"] = f"Bearer {taken[1]}"
        return None

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        method = request.meta.get("vk_method")
        if method is None or response.status != 200:
            return response
        try:
            body = orjson.loads(response.body)  # ~2x faster than json on a page of 100 posts
        except orjson.JSONDecodeError:
            try:  # what orjson refuses and json reads (a lone surrogate, NaN) still counts as JSON
                body = json.loads(response.body)
            except ValueError:
                return self._skip(request, "vk_bad_json", f"{method}: response is not JSON")
        if not isinstance(body, dict):
            return self._skip(request, "vk_bad_json", f"{method}: response is not a JSON object")
        if "error" not in body:
            request.meta["vk_response"] = body.get("response")
            return response
        error = self._error(body["error"], method)
        self.crawler.stats.inc_value(f"vk/api_error/{error.code}")
        return await self._handle(request, error)

    async def _handle(self, request: Request, error: VkApiError) -> Request:
        if error.code in RETRY_CODES:
            retries = request.meta.get("retry_times", 0)
            delay = min(self.backoff_start * 2 ** retries, self.backoff_max)
            retry = get_retry_request(request, spider=self._spider(), reason=f"vk_error_{error.code}",
                                      max_retry_times=self.retries)
            if retry is not None:
                await asyncio.sleep(delay)
                return retry
            return self._skip(request, f"vk_error_{error.code}", f"{error}; gave up after {retries} retries")
        if error.code in (5, 29):
            index = request.meta.get("vk_token_index", -1)
            self.pool.retire(index, for_the_day=error.code == 29)
            logger.warning("VK token #%s retired %s (error %s)", index,
                           "for the day" if error.code == 29 else "for this crawl", error.code)
            retry = request.replace(dont_filter=True)
            retry.headers.pop("Authorization", None)
            return retry
        if error.code in UNAVAILABLE_CODES:
            return self._skip(request, f"vk_error_{error.code}", f"source unavailable: {error}", lost=False)
        if error.code in NO_COMMENTS_CODES:
            return self._skip(request, f"vk_error_{error.code}", f"comments closed: {error}", lost=False)
        return self._skip(request, f"vk_error_{error.code}", str(error))

    def _skip(self, request: Request, reason: str, message: str, lost: bool = True) -> Any:
        self._spider().source_error(request.meta.get("source_id", "?"), reason, "%s", message, lost=lost)
        raise IgnoreRequest(message)

    @staticmethod
    def _error(raw: Any, method: str) -> VkApiError:
        if not isinstance(raw, dict):
            return VkApiError(-1, f"malformed error object {raw!r}", method)
        try:
            code = int(raw["error_code"])
        except (KeyError, TypeError, ValueError):
            code = -1
        return VkApiError(code, str(raw.get("error_msg") or ""), method)

    def _spider(self) -> SourceSpider:
        return cast("SourceSpider", self.crawler.spider)  # only our spiders send VK requests
