"""Public Telegram pages: a ``t.me/s/<channel>`` page and a post's discussion widget.

Selectors follow PLATFORMS.md §5.2 (checked on real pages): the text is the bubble's *direct-child*
``div.tgme_widget_message_text`` (reply quotes and link previews hold their own text divs), views
are abbreviated ("37.2K"), dates are ISO with an offset, older pages are ``?before=<data-before>``.
The discussion widget is read with the same message markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from parsel import Selector, SelectorList

from crawler.parsers.html import element_text
from indexer.schema import Attachment, Author, Metrics, Post, make_id

_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)
_BG_URL = re.compile(r"background-image:\s*url\(['\"]?([^'\")]+)")


@dataclass
class ChannelPage:
    posts: list[Post] = field(default_factory=list)
    before: int | None = None  # the next (older) page: ?before=<this>
    comment_counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class DiscussionPage:
    comments: list[Post] = field(default_factory=list)
    before: int | None = None
    problems: list[str] = field(default_factory=list)


def parse_views(value: str | None) -> int | None:
    """'37.2K' → 37200, '1.1M' → 1100000, '845' → 845."""
    if not value:
        return None
    value = value.strip().upper().replace(",", ".")
    scale = {"K": 1_000, "M": 1_000_000}.get(value[-1:], 1)
    try:
        return int(float(value.rstrip("KM")) * scale)
    except ValueError:
        return None


def parse_channel_page(html: str, channel: str, source_id: str) -> ChannelPage:
    page = ChannelPage()
    try:
        sel = Selector(text=html)
    except _ERRORS as exc:
        page.problems.append(f"unparseable page: {exc!r}")
        return page
    messages = sel.css("div.tgme_widget_message.js-widget_message[data-post]")
    if not messages and not sel.css("section.tgme_channel_history"):
        page.problems.append("no channel history on the page (not a t.me/s page?)")
    for message in messages:
        try:
            post, comments = _post(message, channel, source_id)
        except _ERRORS as exc:
            page.problems.append(f"unreadable message {message.attrib.get('data-post')}: {exc!r}")
            continue
        if post.created_at is None:
            page.problems.append(f"message {post.id}: no readable date")
        page.posts.append(post)
        if comments is not None:
            page.comment_counts[post.id] = comments
    before = sel.css("a.tme_messages_more::attr(data-before)").get()
    page.before = int(before) if before and before.isdigit() else None
    return page


def _post(message: Selector, channel: str, source_id: str) -> tuple[Post, int | None]:
    owner, _, number = message.attrib["data-post"].partition("/")
    if not number.isdigit():
        raise ValueError(f"data-post {message.attrib['data-post']!r} has no message number")
    bubble = message.css("div.tgme_widget_message_bubble")
    forwarded = bubble.css(".tgme_widget_message_forwarded_from_name ::text").getall()
    replies = bubble.css(".tgme_widget_message_replies_count::text").get()
    post = Post(
        id=make_id("telegram", channel, number), platform="telegram", source_id=source_id,
        kind="post", text=_text(bubble), created_at=_date(message), url=f"https://t.me/{channel}/{number}",
        author=Author(channel, "".join(forwarded).strip() or _owner_name(bubble) or channel,
                      official=not forwarded),
        metrics=Metrics(views=parse_views(message.css("span.tgme_widget_message_views::text").get())),
        attachments=_attachments(bubble),
    )
    return post, (int(replies) if replies and replies.strip().isdigit() else None)


def parse_discussion(html: str, channel: str, post_number: int, source_id: str) -> DiscussionPage:
    page = DiscussionPage()
    try:
        sel = Selector(text=html)
    except _ERRORS as exc:
        page.problems.append(f"unparseable widget: {exc!r}")
        return page
    root = make_id("telegram", channel, post_number)
    for message in sel.css("div.tgme_widget_message.js-widget_message[data-post]"):
        try:
            page.comments.append(_comment(message, channel, post_number, root, source_id))
        except _ERRORS as exc:
            page.problems.append(f"unreadable comment {message.attrib.get('data-post')}: {exc!r}")
    before = sel.css("a.tme_messages_more::attr(data-before)").get()
    page.before = int(before) if before and before.isdigit() else None
    return page


def _comment(message: Selector, channel: str, post_number: int, root: str, source_id: str) -> Post:
    group, _, number = message.attrib["data-post"].partition("/")
    if not number.isdigit():
        raise ValueError(f"data-post {message.attrib['data-post']!r} has no comment number")
    bubble = message.css("div.tgme_widget_message_bubble")
    reply_to = bubble.css("a.tgme_widget_message_reply::attr(href)").re_first(r"/(\d+)$")
    author = bubble.xpath("./div[contains(@class,'tgme_widget_message_author')]//text()").getall()
    return Post(
        id=make_id("telegram", channel, post_number, number), platform="telegram",
        source_id=source_id, kind="comment", text=_text(bubble), created_at=_date(message),
        url=f"https://t.me/{channel}/{post_number}?comment={number}",
        author=Author(message.attrib.get("data-author-id") or None, "".join(author).strip() or None),
        parent_id=make_id("telegram", channel, post_number, reply_to) if reply_to else root,
        thread_root=root, attachments=_attachments(bubble),
    )


def _text(bubble: SelectorList[Selector]) -> str:
    node = bubble.xpath("./div[contains(concat(' ', @class, ' '), ' tgme_widget_message_text ')]")
    return element_text(node[0]) if node else ""


def _date(message: Selector) -> datetime | None:
    value = message.css("a.tgme_widget_message_date time::attr(datetime)").get()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _owner_name(bubble: SelectorList[Selector]) -> str | None:
    name = "".join(bubble.css(".tgme_widget_message_owner_name ::text").getall()).strip()
    return name or None


def _attachments(bubble: SelectorList[Selector]) -> list[Attachment]:
    out = []
    for style in bubble.css("a.tgme_widget_message_photo_wrap::attr(style)").getall():
        match = _BG_URL.search(style)
        out.append(Attachment("photo", match.group(1) if match else None))
    for video in bubble.css(".tgme_widget_message_video_player"):
        out.append(Attachment("video", video.css("video::attr(src)").get()))
    return out


