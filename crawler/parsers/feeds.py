"""RSS 2.0 and Atom feeds, read with feedparser (it copes with the malformed feeds real
government sites serve: wrong encodings, broken dates, missing guids)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
from parsel import Selector

from crawler.parsers.html import element_text
from indexer.schema import Attachment, Author, Post, make_id


@dataclass
class FeedPage:
    posts: list[Post] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_feed(body: bytes, url: str, source_id: str, source_name: str | None = None) -> FeedPage:
    page = FeedPage()
    try:
        feed = feedparser.parse(body, response_headers={"content-location": url})
    except Exception as exc:  # feedparser wraps many parsers; none of their errors may escape
        page.problems.append(f"unparseable feed: {exc!r}")
        return page
    if feed.bozo and not feed.entries:
        page.problems.append(f"not a feed: {feed.get('bozo_exception')!r}")
        return page
    for index, entry in enumerate(feed.entries):
        try:
            post = _post(entry, url, source_id, source_name)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            page.problems.append(f"unreadable entry #{index + 1}: {exc!r}")
            continue
        if post.created_at is None:
            raw = entry.get("published") or entry.get("updated")
            page.problems.append(f"entry {post.url or post.id}: unreadable date {raw!r}")
        page.posts.append(post)
    return page


def _post(entry: Any, url: str, source_id: str, source_name: str | None) -> Post:
    key = hashlib.sha1((entry.get("id") or entry.get("link") or entry.get("title") or "")
                       .encode("utf-8", "replace")).hexdigest()[:16]
    body = ""
    if entry.get("content"):
        body = entry["content"][0].get("value", "")
    body = body or entry.get("summary") or entry.get("description") or ""
    text = element_text(Selector(text=f"<div>{body}</div>").css("div")[0]) if body else ""
    created = _entry_date(entry)
    attachments = [Attachment(str(e.get("type") or "enclosure"), e.get("href"))
                   for e in entry.get("enclosures") or []]
    return Post(id=make_id("rss", source_id, key), platform="rss", source_id=source_id,
                kind="post", title=entry.get("title"), text=text, created_at=created,
                url=entry.get("link") or url,
                author=Author(None, entry.get("author") or source_name, official=True),
                attachments=attachments)


def _entry_date(entry: Any) -> datetime | None:
    """The entry's date read strictly: feedparser rolls impossible dates over ("2024-13-45"
    becomes 2025-01-01), which would file a post under a wrong day instead of flagging it."""
    raw = (entry.get("published") or entry.get("updated") or "").strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
