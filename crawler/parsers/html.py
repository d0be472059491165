"""Web listings described by selectors in the watchlist (``html`` and ``rendered`` sources).

``parse_listing`` reads one listing page into posts (or one item page into comments) with the
source's :class:`~crawler.watchlist.ItemSelectors`; ``element_text`` turns an element into plain
text with line breaks and links kept. Dates use the selector's ``date_format`` first, then ISO
8601, then dateparser (Russian relative dates such as "вчера в 18:45").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import dateparser
from lxml import etree
from parsel import Selector

from indexer.schema import Author, Post, make_id

if TYPE_CHECKING:
    from crawler.watchlist import ItemSelectors

_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
           etree.LxmlError)
_BLOCKS = {"p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
           "blockquote", "section", "article", "header", "footer", "pre"}
_SKIP = {"script", "style", "noscript", "template"}
_SAFE_ID = re.compile(r"[^\w.\-]")


@dataclass
class ListedItem:
    post: Post
    link: str | None
    comments: int | None = None


@dataclass
class ListingPage:
    items: list[ListedItem] = field(default_factory=list)
    next_url: str | None = None
    problems: list[str] = field(default_factory=list)


def element_text(sel: Selector) -> str:
    """Plain text of an element: blocks and ``<br>`` become line breaks, absolute links are kept."""
    root = sel.root
    if isinstance(root, str):
        return root
    parts: list[str] = []
    skipping = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIP:
                skipping += 1
            if skipping:
                continue
            if tag == "br" or tag in _BLOCKS:
                parts.append("\n")
            if el.text and isinstance(el.tag, str):
                parts.append(el.text)
            continue
        if tag in _SKIP:
            skipping -= 1
        elif not skipping:
            _close(el, tag, parts)
        if el is not root and el.tail and not skipping:
            parts.append(el.tail)
    return "".join(parts)


def _close(el: etree._Element, tag: str, parts: list[str]) -> None:
    if tag == "a":
        href = el.get("href") or ""
        text = "".join(el.itertext())
        if href.startswith(("http://", "https://")) and href not in text:
            parts.append(f" ({href})")
    if tag in _BLOCKS:
        parts.append("\n")


def parse_date(value: str | None, fmt: str | None, tz: str) -> datetime | None:
    """A timezone-aware datetime from page text, or None when nothing readable is there."""
    if not value or not value.strip():
        return None
    value = value.strip()
    zone = ZoneInfo(tz)
    if fmt:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=zone)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    except ValueError:
        pass
    try:
        parsed = dateparser.parse(value, languages=["ru", "en"],
                                  settings={"TIMEZONE": tz, "RETURN_AS_TIMEZONE_AWARE": True})
    except _ERRORS:
        return None
    return parsed if isinstance(parsed, datetime) else None


def parse_listing(html: str, url: str, source_id: str, platform: str, selectors: ItemSelectors,
                  parent: Post | None = None) -> ListingPage:
    """Items of a listing page; with ``parent`` given, they are that item's comments."""
    page = ListingPage()
    try:
        sel = Selector(text=html)
        nodes = sel.css(selectors.item) if selectors.item else []
    except _ERRORS as exc:
        page.problems.append(f"unparseable page: {exc!r}")
        return page
    if not nodes and parent is None:
        page.problems.append(f"no items match {selectors.item!r}")
    for index, node in enumerate(nodes):
        try:
            item = _item(node, url, source_id, platform, selectors, parent, index)
        except _ERRORS as exc:
            page.problems.append(f"unreadable item #{index + 1}: {exc!r}")
            continue
        if item.post.created_at is None:
            raw = node.css(selectors.date).get() if selectors.date else None
            page.problems.append(f"item {item.post.id}: unreadable date {raw!r}")
        page.items.append(item)
    if selectors.next_page:
        try:
            href = sel.css(selectors.next_page).get()
        except _ERRORS as exc:
            page.problems.append(f"next page selector failed: {exc!r}")
            href = None
        page.next_url = urljoin(url, href.strip()) if href and href.strip() else None
    return page


def _item(node: Selector, url: str, source_id: str, platform: str, sel: ItemSelectors,
          parent: Post | None, index: int) -> ListedItem:
    link = _first(node, sel.link)
    link = urljoin(url, link) if link else None
    text = "\n".join(element_text(t) for t in node.css(sel.text)) if sel.text else ""
    ident = _first(node, sel.id) or link or hashlib.sha1(text.encode()).hexdigest()[:16]
    ident = _SAFE_ID.sub("_", ident)[:120]
    date = parse_date(_first(node, sel.date), sel.date_format, sel.timezone)
    author = _first(node, sel.author)
    if parent is None:
        post_id = make_id(platform, source_id, ident)
        count = _first(node, sel.comments_count)
        return ListedItem(Post(id=post_id, platform=platform, source_id=source_id, kind="post",
                               text=text, title=_first(node, sel.title), created_at=date,
                               url=link or url, author=Author(None, author)), link,
                          int(count) if count and count.isdigit() else None)
    root = parent.id
    post_id = f"{root}:{ident}"
    return ListedItem(Post(id=post_id, platform=platform, source_id=source_id, kind="comment",
                           text=text, created_at=date, url=f"{url}#{ident}",
                           author=Author(None, author), parent_id=root, thread_root=root), link)


def _first(node: Selector, query: str | None) -> str | None:
    if not query:
        return None
    value = node.css(query).get() if not query.startswith("/") else node.xpath(query).get()
    if value is None:
        return None
    value = value.strip()
    return value or None
