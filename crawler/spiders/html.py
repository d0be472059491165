"""Web listings described by selectors in the watchlist (city forums, municipal news pages).

Listing pages are followed through ``next_page`` until an item the cursor knows (outside the
comment window) or an item older than the first-crawl horizon; each item's own page gives its
comments when the watchlist describes them. robots.txt is obeyed (``ROBOTSTXT_OBEY``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator

from scrapy import Request

from crawler.parsers.html import ListedItem, parse_listing
from crawler.spiders.base import SourceSpider
from crawler.watchlist import Source

if TYPE_CHECKING:
    from scrapy.http import Response

MAX_REMEMBERED = 5000


class HtmlListingSpider(SourceSpider):
    name = "html"
    platform = "html"

    async def start(self) -> AsyncIterator[Request]:
        for source in self.sources.values():
            yield self.page_request(source.url(self.base_url), source, self.parse_listing,
                                    source.selectors.wait_for if source.selectors else None,
                                    page_number=1)

    def page_request(self, url: str, source: Source, callback: Any, wait_for: str | None,
                     **meta: Any) -> Request:
        """A plain request; the rendered spider returns one that a browser renders."""
        return Request(url, callback=callback, errback=self.on_error, meta=self.meta(source, **meta))

    def parse_listing(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source_id"]]
        assert source.selectors is not None
        page = parse_listing(response.text, response.url, source.id, self.platform, source.selectors)
        self.parse_problems(source.id, page.problems, response.url)
        self.saw(source.id, (item.post for item in page.items))
        seen = set(self.cursor(source.id).get("seen", []))
        reached_end = False
        listed = []
        for item in page.items:
            if self._behind(item, seen):
                reached_end = True
                continue
            item.post.metrics.comments = item.comments
            yield item.post
            listed.append(item.post.id)
            if self._wants_comments(source, item, seen):
                comments = source.selectors.comments
                assert comments is not None and item.link is not None
                yield self.page_request(item.link, source, self.parse_comments, comments.wait_for,
                                        post=item.post)
        self.remember_seen(source.id, listed, MAX_REMEMBERED)
        number = response.meta["page_number"]
        if page.next_url and not reached_end and number < self.max_pages:
            yield self.page_request(page.next_url, source, self.parse_listing,
                                    source.selectors.wait_for, page_number=number + 1)

    def _behind(self, item: ListedItem, seen: set[str]) -> bool:
        created = item.post.created_at
        if self.too_old(item.post.source_id, created, first_crawl=not seen):
            return True
        return not self.backfilling and item.post.id in seen and not self.in_comment_window(created)

    def _wants_comments(self, source: Source, item: ListedItem, seen: set[str]) -> bool:
        if not (source.comments and source.selectors and source.selectors.comments and item.link):
            return False
        stored = self.state.stored_comments(source.id, item.post.id)
        if item.comments is not None:
            return item.comments > (stored or 0)
        return item.post.id not in seen or self.in_comment_window(item.post.created_at)

    def parse_comments(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source_id"]]
        assert source.selectors is not None and source.selectors.comments is not None
        post = response.meta["post"]
        page = parse_listing(response.text, response.url, source.id, self.platform,
                             source.selectors.comments, parent=post)
        self.parse_problems(source.id, page.problems, response.url)
        for item in page.items:
            yield item.post
        if page.next_url and page.items:
            yield self.page_request(page.next_url, source, self.parse_comments,
                                    source.selectors.comments.wait_for, post=post)
