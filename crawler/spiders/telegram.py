"""Public Telegram channels through their web pages, ``t.me/s/<channel>``, and discussion widgets.

Pages are read newest first with ``?before=`` until the cursor (the newest message number a
completed crawl stored) and the comment window are behind. Comments come from the post's public
discussion widget, for new posts and for posts in the window whose comment count changed.

Settings: ``TELEGRAM_BASE_URL``, ``TELEGRAM_COMMENTS_LIMIT``, ``TELEGRAM_REQUESTS_PER_SECOND``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator

from scrapy import Request

from crawler.parsers.telegram import parse_channel_page, parse_discussion
from crawler.spiders.base import SourceSpider
from crawler.watchlist import Source

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from indexer.schema import Post


class TelegramChannelSpider(SourceSpider):
    name = "telegram"
    platform = "telegram"

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        cls.pace(settings, "telegram", settings.getfloat("TELEGRAM_REQUESTS_PER_SECOND"), 1)

    def _load(self, crawler: Crawler) -> None:
        super()._load(crawler)
        self.base = crawler.settings.get("TELEGRAM_BASE_URL").rstrip("/") + "/"
        self.comments_limit = crawler.settings.getint("TELEGRAM_COMMENTS_LIMIT")

    def home(self, source: Source) -> str:
        return self.base

    async def start(self) -> AsyncIterator[Request]:
        for source in self.sources.values():
            yield self._page_request(source, None, 1)

    def _channel(self, source: Source) -> str:
        return source.address.rstrip("/").rsplit("/", 1)[-1].lstrip("@")

    def _request(self, url: str, source: Source, callback: Any, **meta: Any) -> Request:
        return Request(url, callback=callback, errback=self.on_error,
                       meta=self.meta(source, download_slot="telegram",
                                      autothrottle_dont_adjust_delay=True, **meta))

    def _page_request(self, source: Source, before: int | None, number: int) -> Request:
        url = f"{self.base}s/{self._channel(source)}" + (f"?before={before}" if before else "")
        return self._request(url, source, self.parse_page, page_number=number)

    def parse_page(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source_id"]]
        channel = self._channel(source)
        page = parse_channel_page(response.text, channel, source.id)
        self.parse_problems(source.id, page.problems, response.url)
        self.saw(source.id, page.posts)
        cursor = self.cursor(source.id).get("post_id", 0)
        if response.meta["page_number"] == 1:
            newest = max((_number(p) for p in page.posts), default=cursor)
            self.advance_cursor(source.id, {"post_id": max(newest, cursor)})
        wanted = [post for post in page.posts if not self._behind(post, _number(post), cursor)]
        # The next (older) page first: it downloads while this page's items pass the pipelines.
        if page.before and len(wanted) == len(page.posts) and response.meta["page_number"] < self.max_pages:
            yield self._page_request(source, page.before, response.meta["page_number"] + 1)
        for post in wanted:
            post.metrics.comments = page.comment_counts.get(post.id)
            yield post
            if self._wants_comments(source, post, _number(post) > cursor):
                yield self._discussion_request(source, post, None)

    def _behind(self, post: Post, number: int, cursor: int) -> bool:
        if self.too_old(post.source_id, post.created_at, first_crawl=not cursor):
            return True
        return not self.backfilling and number <= cursor and not self.in_comment_window(post.created_at)

    def _wants_comments(self, source: Source, post: Post, is_new: bool) -> bool:
        if not source.comments:
            return False
        count = post.metrics.comments
        stored = self.state.stored_comments(source.id, post.id)
        if count is not None:
            return count > 0 and (is_new or stored is None or count > stored)
        return is_new or self.in_comment_window(post.created_at)

    def _discussion_request(self, source: Source, post: Post, before: int | None) -> Request:
        channel, number = post.id.split(":")[1:3]
        url = f"{self.base}{channel}/{number}?embed=1&discussion=1&comments_limit={self.comments_limit}"
        if before:
            url += f"&before={before}"
        return self._request(url, source, self.parse_discussion, post=post)

    def parse_discussion(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source_id"]]
        post = response.meta["post"]
        channel, number = post.id.split(":")[1:3]
        page = parse_discussion(response.text, channel, int(number), source.id)
        self.parse_problems(source.id, page.problems, response.url)
        yield from page.comments
        if page.before and page.comments:
            yield self._discussion_request(source, post, page.before)


def _number(post: Post) -> int:
    return int(post.id.split(":")[2])
