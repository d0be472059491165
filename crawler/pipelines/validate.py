"""Validate and normalise every item before anything else sees it.

Items that are not a :class:`~indexer.schema.Post`, or lack what every consumer relies on (an id
of the right shape, a known platform and kind, a comment's parent), are dropped and counted as
``pipeline/invalid/<reason>``. Text becomes plain with normalised whitespace (links kept); times
become aware UTC; ``crawled_at`` is stamped, and ``source_kind`` (the watchlist kind of the page).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from indexer.schema import KINDS, PLATFORMS, Post, utc, utcnow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

# Only what changes: a lone " " (most spaces) or a bare "\n" matched and replaced by itself cost
# ~2x in normalise_text on the crawl's posts.
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]{2,}|[\t\u00a0\u2000-\u200b\u202f\u205f\u3000]")
_LINE_ENDS = re.compile(r" +\n *|\n +")
_MANY_LINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Half an emoji (a JSON "\\ud83d" with no pair) cannot be written as UTF-8: no store would take it.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Most crawled text is clean already: one scan for any character the rules change, then substring
# checks, cost ~4x less than running the rules (bench/crawl.py).
_ODD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\t\u00a0\u2000-\u200b\u202f\u205f\u3000\ud800-\udfff]")


def normalise_text(text: str) -> str:
    """Plain text: control characters removed, spaces collapsed, at most one empty line in a row,
    a lone surrogate replaced by U+FFFD."""
    if not (_ODD.search(text) or "  " in text or " \n" in text or "\n " in text or "\n\n\n" in text):
        return text.strip()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _LONE_SURROGATE.sub("\ufffd", text)
    text = _SPACES.sub(" ", text)
    text = _LINE_ENDS.sub("\n", text)
    return _MANY_LINES.sub("\n\n", text).strip()


def invalid_reason(post: Post) -> str | None:
    """Why ``post`` cannot be stored, or None."""
    if post.platform not in PLATFORMS:
        return "platform"
    if post.kind not in KINDS:
        return "kind"
    parts = post.id.split(":")
    if parts[0] != post.platform or len(parts) != (4 if post.kind == "comment" else 3) or not all(parts):
        return "id"
    if not post.source_id:
        return "source_id"
    if post.kind == "comment" and not (post.parent_id and post.thread_root):
        return "parent"
    return None


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.kinds: dict[str, str] = {}  # source id -> the watchlist kind of its page

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        sources = getattr(self.crawler.spider, "sources", {})
        self.kinds = {source_id: source.kind for source_id, source in sources.items()}

    def process_item(self, item: Any) -> Post:
        if not isinstance(item, Post):
            self.stats.inc_value("pipeline/invalid/type")
            raise DropItem(f"not a Post: {type(item).__name__}")
        reason = invalid_reason(item)
        if reason:
            self.stats.inc_value(f"pipeline/invalid/{reason}")
            raise DropItem(f"invalid {reason}: {item.id!r} from {item.source_id}")
        item.text = normalise_text(item.text)
        if item.title:
            item.title = normalise_text(item.title)
        if item.origin is not None:
            item.origin.text = normalise_text(item.origin.text)
        if item.author.name and _LONE_SURROGATE.search(item.author.name):
            item.author.name = _LONE_SURROGATE.sub("\ufffd", item.author.name)
        if item.created_at is not None:
            item.created_at = utc(item.created_at)
        if item.edited_at is not None:
            item.edited_at = utc(item.edited_at)
        item.crawled_at = utcnow()
        if item.source_kind is None:
            item.source_kind = self.kinds.get(item.source_id)
        return item
