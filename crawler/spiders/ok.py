"""Public OK.ru groups through the OK REST API (``mediatopic.getTopics``, ``discussions.getComments``).

A group's topics are read newest first, page after page by the ``anchor`` each page returns, until
the cursor (the creation time of the newest topic a completed crawl stored) and the comment window
are both behind. A topic's comments (its discussion, type ``GROUP_TOPIC``) are read for new topics
and for topics inside the window whose comment count changed, every page of them. Requests are
signed POSTs (:class:`~crawler.middlewares.ok_api.OkSigner`) in one download slot, ``ok``, paced at
``OK_REQUESTS_PER_SECOND``.

Settings: ``OK_API_URL``, ``OK_PAGE_SIZE``, ``OK_REQUESTS_PER_SECOND``, ``OK_APPLICATION_KEY``,
``OK_ACCESS_TOKEN``, ``OK_SECRET`` (the last three from the environment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator

from scrapy import FormRequest

from crawler.exceptions import CrawlerError
from crawler.middlewares.ok_api import OkSigner
from crawler.parsers.ok import TopicEntry, parse_comments, parse_topics
from crawler.spiders.base import SourceSpider
from crawler.watchlist import Source

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from indexer.schema import Post

CREDENTIALS = ("OK_APPLICATION_KEY", "OK_ACCESS_TOKEN", "OK_SECRET")
TOPIC_FIELDS = "media_topic.*,group.uid,group.name,user.uid,user.name,group_photo.*"
COMMENT_FIELDS = "comment.*,group.uid,group.name,user.uid,user.name"
COMMENTS_PAGE = 100


def missing_credentials(settings: BaseSettings) -> list[str]:
    """The OK credentials that are not set (all three are needed to sign a call)."""
    return [name for name in CREDENTIALS if not settings.get(name)]


class OkGroupSpider(SourceSpider):
    name = "ok"
    platform = "ok"

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        cls.pace(settings, "ok", settings.getfloat("OK_REQUESTS_PER_SECOND"), 1)

    def _load(self, crawler: Crawler) -> None:
        super()._load(crawler)
        settings = crawler.settings
        missing = missing_credentials(settings)
        if missing:
            raise CrawlerError(f"{', '.join(missing)} not set: set OK_APPLICATION_KEY, OK_ACCESS_TOKEN and "
                               "OK_SECRET (the application's secret key) in the environment")
        self.signer = OkSigner(*(str(settings.get(name)) for name in CREDENTIALS))
        self.api_url = settings.get("OK_API_URL")
        self.page_size = settings.getint("OK_PAGE_SIZE")

    def home(self, source: Source) -> str:
        return self.api_url

    async def start(self) -> AsyncIterator[FormRequest]:
        for source in self.sources.values():
            yield self._topics_request(source, None, 1)

    def _group(self, source: Source) -> str:
        return source.address.rstrip("/").rsplit("/", 1)[-1]

    def _api(self, method: str, source: Source, params: dict[str, Any], callback: Any, **meta: Any) -> FormRequest:
        return FormRequest(self.api_url, formdata=self.signer.sign({"method": method, **params}), callback=callback,
                           errback=self.on_error,
                           meta=self.meta(source, ok_method=method, download_slot="ok", dont_obey_robotstxt=True,
                                          autothrottle_dont_adjust_delay=True, **meta))

    def _topics_request(self, source: Source, anchor: str | None, number: int) -> FormRequest:
        params = {"gid": self._group(source), "count": self.page_size, "fields": TOPIC_FIELDS}
        if anchor:
            params["anchor"] = anchor
        return self._api("mediatopic.getTopics", source, params, self.parse_topics, page_number=number)

    def parse_topics(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        source = self.sources[meta["source_id"]]
        group = self._group(source)
        page = parse_topics(meta.get("ok_response"), source.id, group)
        self.parse_problems(source.id, page.problems, f"mediatopic.getTopics gid={group}")
        self.saw(source.id, (entry.post for entry in page.entries))
        cursor = self.cursor(source.id).get("created_ms", 0)
        if meta["page_number"] == 1:
            newest = max((e.created_ms for e in page.entries if not e.pinned), default=cursor)
            self.advance_cursor(source.id, {"created_ms": max(newest, cursor)})
        # A pinned topic is read whatever its age; any other topic behind the cursor or the horizon
        # means the group's new topics end on this page.
        behind = [not e.pinned and self._behind(e, cursor) for e in page.entries]
        wanted = [e for e, old in zip(page.entries, behind, strict=True) if not old]
        # The next page first: it downloads while this page's items pass the pipelines.
        if not any(behind) and page.has_more and page.anchor and meta["page_number"] < self.max_pages:
            yield self._topics_request(source, page.anchor, meta["page_number"] + 1)
        for entry in wanted:
            yield from self._topic(source, entry, cursor)

    def _behind(self, entry: TopicEntry, cursor: int) -> bool:
        """Past what this crawl must read: known and outside the window, or older than wanted."""
        created = entry.post.created_at
        if self.too_old(entry.post.source_id, created, first_crawl=not cursor):
            return True
        return not self.backfilling and entry.created_ms <= cursor and not self.in_comment_window(created)

    def _topic(self, source: Source, entry: TopicEntry, cursor: int) -> Iterator[Any]:
        yield entry.post
        stored = self.state.stored_comments(source.id, entry.post.id)
        grew = stored is None or entry.comments > stored  # a topic not stored yet has all its comments to read
        if source.comments and entry.comments and (entry.created_ms > cursor or grew):
            yield self._comments_request(source, entry.post, None, 1)

    def _comments_request(self, source: Source, post: Post, anchor: str | None, number: int) -> FormRequest:
        params = {"discussionId": post.id.split(":")[2], "discussionType": "GROUP_TOPIC", "count": COMMENTS_PAGE,
                  "fields": COMMENT_FIELDS}
        if anchor:
            params["anchor"] = anchor
        return self._api("discussions.getComments", source, params, self.parse_comments, post=post,
                         page_number=number)

    def parse_comments(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        source = self.sources[meta["source_id"]]
        post = meta["post"]
        group, topic = post.id.split(":")[1:3]
        page = parse_comments(meta.get("ok_response"), source.id, group, topic)
        self.parse_problems(source.id, page.problems, f"discussions.getComments discussionId={topic}")
        if page.has_more and page.anchor and page.comments and meta["page_number"] < self.max_pages:
            yield self._comments_request(source, post, page.anchor, meta["page_number"] + 1)
        yield from page.comments
