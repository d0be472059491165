"""VKontakte walls and comments through the official API (``wall.get``, ``wall.getComments``).

Walls are read newest first until the cursor (the newest post id a completed crawl stored) and the
comment window are both behind; comments are read for new posts and for posts inside the window
whose comment count changed, with every page of threads. Requests share one download slot paced at
``VK_REQUESTS_PER_SECOND`` × the number of tokens, one request in flight per token.

Settings: ``VK_API_URL``, ``VK_API_VERSION``, ``VK_PAGE_SIZE``, ``VK_REQUESTS_PER_SECOND``,
``VK_TOKENS`` (from the environment).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator
from urllib.parse import urlencode

from scrapy import Request

from crawler.exceptions import CrawlerError
from crawler.parsers.vk import WallEntry, parse_comments, parse_wall
from crawler.spiders.base import SourceSpider
from crawler.watchlist import Source

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

_NUMERIC = re.compile(r"^-?\d+$")


class VkWallSpider(SourceSpider):
    name = "vk"
    platform = "vk"

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        tokens = max(len(settings.getlist("VK_TOKENS")), 1)
        # One request in flight per token, paced to the per-token limit.
        cls.pace(settings, "vk", settings.getfloat("VK_REQUESTS_PER_SECOND") * tokens, tokens)

    def _load(self, crawler: Crawler) -> None:
        super()._load(crawler)
        if not crawler.settings.getlist("VK_TOKENS"):
            raise CrawlerError("VK_TOKENS is empty: set the VK_TOKENS environment variable to one or "
                               "more comma-separated VK access tokens")
        self.api_url = crawler.settings.get("VK_API_URL")
        self.version = crawler.settings.get("VK_API_VERSION")
        self.page_size = crawler.settings.getint("VK_PAGE_SIZE")

    def home(self, source: Source) -> str:
        return self.api_url

    async def start(self) -> AsyncIterator[Request]:
        for source in self.sources.values():
            yield self._wall_request(source, offset=0)

    def _api(self, method: str, source: Source, params: dict[str, Any], callback: Any, **meta: Any) -> Request:
        query = urlencode({**params, "v": self.version})
        return Request(f"{self.api_url}{method}?{query}", callback=callback, errback=self.on_error,
                       meta=self.meta(source, vk_method=method, download_slot="vk",
                                      dont_obey_robotstxt=True, autothrottle_dont_adjust_delay=True, **meta))

    def _wall_request(self, source: Source, offset: int) -> Request:
        address = source.address.rstrip("/").rsplit("/", 1)[-1]
        owner = {"owner_id": address} if _NUMERIC.match(address) else {"domain": address}
        params = {**owner, "offset": offset, "count": self.page_size, "extended": 1}
        return self._api("wall.get", source, params, self.parse_wall, offset=offset)

    def parse_wall(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source_id"]]
        page = parse_wall(response.meta.get("vk_response"), source.id)
        self.parse_problems(source.id, page.problems, response.url)
        self.saw(source.id, (entry.post for entry in page.entries))
        cursor = self.cursor(source.id).get("post_id", 0)
        offset = response.meta["offset"]
        if offset == 0:
            newest = max((e for e in page.entries if not e.pinned), key=lambda e: e.post_id, default=None)
            self.advance_cursor(source.id, {"post_id": newest.post_id if newest else cursor})
        # Pinned posts (on the first page) are read whatever their age; any other post behind the
        # cursor or the horizon means the source's new posts end on this page.
        behind = [not (e.pinned and offset == 0) and self._behind(e, cursor) for e in page.entries]
        wanted = [e for e, old in zip(page.entries, behind, strict=True) if not old]
        reached_end = any(behind)
        next_offset = offset + len(page.entries)
        # The next page first: it downloads while this page's items pass the pipelines.
        if not reached_end and page.entries and next_offset < page.total \
                and next_offset // self.page_size < self.max_pages:
            yield self._wall_request(source, next_offset)
        for entry in wanted:
            yield from self._post(source, entry, cursor)

    def _behind(self, entry: WallEntry, cursor: int) -> bool:
        """Past what this crawl must read: known and outside the window, or older than wanted."""
        created = entry.post.created_at
        if self.too_old(entry.post.source_id, created, first_crawl=not cursor):
            return True
        return not self.backfilling and entry.post_id <= cursor and not self.in_comment_window(created)

    def _post(self, source: Source, entry: WallEntry, cursor: int) -> Iterator[Any]:
        yield entry.post
        stored = self.state.stored_comments(source.id, entry.post.id)
        grew = stored is None or entry.comments > stored  # a post not stored yet has all its comments to read
        if source.comments and entry.comments and (entry.post_id > cursor or grew):
            yield self._comments_request(source, entry.post, 0)

    def _comments_request(self, source: Source, post: Any, offset: int,
                          comment_id: int | None = None) -> Request:
        owner_id, post_id = post.id.split(":")[1:3]
        params: dict[str, Any] = {"owner_id": owner_id, "post_id": post_id, "offset": offset,
                                  "count": 100, "sort": "asc", "need_likes": 1, "extended": 1,
                                  "thread_items_count": 10}
        if comment_id is not None:
            params["comment_id"] = comment_id
        return self._api("wall.getComments", source, params, self.parse_comments, post=post,
                         offset=offset, comment_id=comment_id)

    def parse_comments(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        source = self.sources[meta["source_id"]]
        owner_id, post_id = (int(x) for x in meta["post"].id.split(":")[1:3])
        page = parse_comments(meta.get("vk_response"), source.id, owner_id, post_id, meta["comment_id"])
        self.parse_problems(source.id, page.problems, response.url)
        yield from page.comments
        for comment_id, _missing in page.threads:
            yield self._comments_request(source, meta["post"], 0, comment_id)
        next_offset = meta["offset"] + page.level_items
        if page.level_items and next_offset < page.level_count:
            yield self._comments_request(source, meta["post"], next_offset, meta["comment_id"])
