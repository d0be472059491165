"""Public Telegram pages: a ``t.me/s/<channel>`` page and a post's discussion widget.

Selectors follow PLATFORMS.md §5.2 (checked on real pages): the text is the bubble's *direct-child*
``div.tgme_widget_message_text`` (reply quotes and link previews hold their own text divs), views
are abbreviated ("37.2K"), dates are ISO with an offset, older pages are ``?before=<data-before>``.
The discussion widget is read with the same message markup.

Text is what a browser shows: the page source's own line breaks and indentation are one space,
``<br>`` is a line break, entities are decoded, a link keeps its URL. A forwarded message keeps
the channel that forwarded it as its author and the "Forwarded from" header as its
:class:`~indexer.schema.Origin`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from parsel import Selector, SelectorList

from indexer.schema import Attachment, Author, Metrics, Origin, Post, make_id

_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)
_BG_URL = re.compile(r"background-image:\s*url\(['\"]?([^'\")]+)")
_SOURCE_SPACE = re.compile(r"[ \t\n\r\f]+")  # what HTML collapses; a no-break space is kept
_BLOCKS = {"div", "p", "blockquote", "pre", "ul", "ol", "li"}
_SKIP = {"script", "style", "template"}
_T_ME = re.compile(r"^https?://t\.me/(?:s/)?([A-Za-z0-9_]{3,})(?:/(\d+))?/?(?:\?.*)?$")


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
    origin = _forwarded_from(bubble)
    replies = bubble.css(".tgme_widget_message_replies_count::text").get()
    post = Post(
        id=make_id("telegram", channel, number), platform="telegram", source_id=source_id,
        kind="post", text=_text(bubble), created_at=_date(message), url=f"https://t.me/{channel}/{number}",
        # a forward's words are its origin's, not the channel's own
        author=Author(channel, _owner_name(bubble) or channel, official=origin is None),
        metrics=Metrics(views=parse_views(message.css("span.tgme_widget_message_views::text").get())),
        attachments=_attachments(bubble), origin=origin,
    )
    return post, (int(replies) if replies and replies.strip().isdigit() else None)


def _forwarded_from(bubble: SelectorList[Selector]) -> Origin | None:
    """The "Forwarded from" header: the origin's name, and its channel and message where it links
    to them (a user's or a hidden sender's has no link)."""
    header = bubble.css(".tgme_widget_message_forwarded_from")
    if not header:
        return None
    name_node = header.css(".tgme_widget_message_forwarded_from_name")
    name = " ".join("".join((name_node or header).css("::text").getall()).split())
    if not name_node:
        name = name.removeprefix("Forwarded from").strip()
    href = name_node.attrib.get("href") if name_node else None
    match = _T_ME.match(href or "")
    username, number = (match.group(1), match.group(2)) if match else (None, None)
    return Origin(
        id=make_id("telegram", username, number) if username and number else None,
        author=Author(username, name or None), url=href if match else None,
    )


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
    return rendered_text(node[0]) if node else ""


def rendered_text(sel: Selector) -> str:
    """An element's text as a browser lays it out: source whitespace collapsed to one space,
    ``<br>`` and blocks as line breaks (``<pre>`` kept as written), absolute links as
    "text (URL)" unless the text is the URL."""
    root = sel.root
    if isinstance(root, str):
        return " ".join(root.split())
    parts: list[str] = []
    pre = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in _SKIP:
            if event == "end" and el is not root and el.tail:
                _add(parts, el.tail, pre)
            continue
        if event == "start":
            pre += tag == "pre"
            if tag == "br" or (tag in _BLOCKS and el is not root):
                _add_break(parts)
            if el.text and tag:
                _add(parts, el.text, pre)
            continue
        _close(el, tag, parts, el is root)
        pre -= tag == "pre"
        if el is not root and el.tail:
            _add(parts, el.tail, pre)
    return "".join(parts).strip()


def _add(parts: list[str], text: str, pre: int) -> None:
    if not pre:
        text = _SOURCE_SPACE.sub(" ", text)
        if not parts or parts[-1].endswith((" ", "\n")):
            text = text.lstrip(" ")  # a browser shows one space between words, none at a line's start
    if text:
        parts.append(text)


def _add_break(parts: list[str]) -> None:
    if parts:
        parts[-1] = parts[-1].rstrip(" ")
    parts.append("\n")


def _close(el: etree._Element, tag: str, parts: list[str], is_root: bool) -> None:
    if tag == "a":
        href = el.get("href") or ""
        if href.startswith(("http://", "https://")) and href not in "".join(el.itertext()):
            breaks = 0
            while parts and parts[-1] == "\n":  # a link's text ending in <br>: the URL before the break
                parts.pop()
                breaks += 1
            parts.append(f" ({href})" + "\n" * breaks)
    elif tag in _BLOCKS and not is_root:
        _add_break(parts)


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
    """Photos, videos (their thumbnails, else the file) and link previews (the page and its title)."""
    out = []
    for style in bubble.css("a.tgme_widget_message_photo_wrap::attr(style)").getall():
        match = _BG_URL.search(style)
        out.append(Attachment("photo", match.group(1) if match else None))
    for video in bubble.css(".tgme_widget_message_video_player"):
        match = _BG_URL.search(video.css(".tgme_widget_message_video_thumb::attr(style)").get() or "")
        out.append(Attachment("video", match.group(1) if match else video.css("video::attr(src)").get()))
    for preview in bubble.css("a.tgme_widget_message_link_preview"):
        title = " ".join(" ".join(preview.css(".link_preview_title ::text").getall()).split())
        site = " ".join(" ".join(preview.css(".link_preview_site_name ::text").getall()).split())
        out.append(Attachment("link", preview.attrib.get("href"), title or site or None))
    return out
