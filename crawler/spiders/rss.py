"""RSS 2.0 and Atom feeds of government sites.

A feed is one request; the cursor keeps the ids of the entries already stored, so a second crawl
passes on only what is new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator

from scrapy import Request

from crawler.parsers.feeds import parse_feed
from crawler.spiders.base import SourceSpider

if TYPE_CHECKING:
    from scrapy.http import Response

MAX_REMEMBERED = 2000


class FeedSpider(SourceSpider):
    name = "rss"
    platform = "rss"

    async def start(self) -> AsyncIterator[Request]:
        for source in self.sources.values():
            yield Request(source.url(self.base_url), callback=self.parse_feed, errback=self.on_error,
                          meta=self.meta(source))

    def parse_feed(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source_id"]]
        page = parse_feed(response.body, response.url, source.id, source.name)
        self.parse_problems(source.id, page.problems, response.url)
        self.saw(source.id, page.posts)
        known = set(self.cursor(source.id).get("seen", []))
        for post in page.posts:
            if post.id in known and not self.backfilling:
                continue
            if self.too_old(source.id, post.created_at, first_crawl=not known):
                continue
            yield post
        self.remember_seen(source.id, [p.id for p in page.posts], MAX_REMEMBERED)
