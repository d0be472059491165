"""The replay world: the demo region's posts and comments, loaded from ``replay/data``, on a clock.

Posts carry an age (``minutes_ago``) relative to the moment the world starts; the clock can be
advanced so that newer posts and comments appear, which is how tests exercise incremental crawls.
A world that repeats (``load_world(repeat_every=...)``) goes on writing after its start: every page
publishes its posts again, with their comments, each period, so the same problems come back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"
# libyaml's loader when PyYAML was built with it: the same data, ~7x faster (every test site loads the world)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Message:
    """A post or a comment as the world's author wrote it, before any platform renders it."""

    id: int
    at: datetime
    text: str
    author_id: int | None = None
    author_name: str | None = None
    official: bool = False
    likes: int = 0
    reposts: int = 0
    views: int = 0
    attachments: list[dict[str, Any]] = field(default_factory=list)
    label: dict[str, Any] = field(default_factory=dict)
    link_slug: str | None = None
    comments: list[Message] = field(default_factory=list)
    parent: Message | None = None

    @property
    def title(self) -> str:
        return self.text.strip().split("\n", 1)[0].strip()

    @property
    def body(self) -> str:
        parts = self.text.strip().split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""


@dataclass
class Page:
    """One source of the world (a VK group, a channel, a feed, a web listing)."""

    id: str
    platform: str
    title: str
    address: dict[str, Any]
    posts: list[Message]


class World:
    """All pages, and the clock that decides what is visible: it stands still unless advanced, or
    (``live``) also runs with the machine's clock from the moment the world is made."""

    def __init__(self, pages: dict[str, Page], start: datetime, *, live: bool = False) -> None:
        self.pages = pages
        self.start = start
        self.advanced = timedelta(0)
        self.live = live
        self._made = time.monotonic()

    @property
    def now(self) -> datetime:
        running = timedelta(seconds=time.monotonic() - self._made) if self.live else timedelta(0)
        return self.start + self.advanced + running

    def advance(self, minutes: float) -> None:
        self.advanced += timedelta(minutes=minutes)

    def publish(self, page_id: str, text: str, author_id: int | None = None, author_name: str | None = None,
                label: dict[str, Any] | None = None) -> Message:
        """A new post on a page, now: numbered after the page's newest, visible at once."""
        page = self.pages[page_id]
        message = Message(id=max((p.id for p in page.posts), default=0) + 1, at=self.now, text=text,
                          author_id=author_id, author_name=author_name, label=dict(label or {}))
        page.posts.append(message)
        page.posts.sort(key=lambda m: (m.at, m.id))
        return message

    def posts(self, page_id: str) -> list[Message]:
        """Visible posts of a page, oldest first."""
        now = self.now
        return [p for p in self.pages[page_id].posts if p.at <= now]

    def comments(self, message: Message) -> list[Message]:
        now = self.now
        return [c for c in message.comments if c.at <= now]

    def count_comments(self, message: Message) -> int:
        return sum(1 + self.count_comments(c) for c in self.comments(message))

    def by_address(self, key: str, value: Any) -> Page | None:
        for page in self.pages.values():
            if page.address.get(key) == value:
                return page
        return None


def load_world(start: datetime | None = None, data_dir: Path = DATA_DIR, scale: int = 1, *,
               repeat_every: timedelta | None = None, repeat_for: timedelta = timedelta(days=7),
               live: bool = False) -> World:
    """Load every source file; ``start`` is the world's "now" (default: this minute, UTC).

    ``scale`` > 1 repeats each page's history that many times, each copy eight days older with new
    ids: a region big enough for benchmarks, in the same shapes.

    ``repeat_every``: the world goes on writing for ``repeat_for`` after its start, each page
    publishing its posts again every period (a post ``minutes_ago`` old at the start appears again
    ``repeat_every`` later, and again after that, with its comments at the same delays). What a page
    publishes after the start is numbered anew, ascending with time as platforms number posts. None
    (the default): nothing but the data set's own posts, as they always were.

    ``live``: the clock runs with the machine's (posts dated ahead of the start appear on time).
    """
    start = start or datetime.now(timezone.utc).replace(second=0, microsecond=0)
    addresses = yaml.load((data_dir / "pages.yml").read_text(encoding="utf-8"), Loader=_LOADER)
    pages = {}
    for path in sorted((data_dir / "sources").glob("*.yml")):
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        posts = [_message(p, start - timedelta(minutes=p["minutes_ago"] + copy * 11520),
                          (scale - 1 - copy) * 1_000_000) for copy in range(scale) for p in raw["posts"]]
        posts.sort(key=lambda m: (m.at, m.id))
        if repeat_every is not None:
            posts = _repeated(raw["posts"], posts, start, repeat_every, repeat_for)
        pages[raw["source"]] = Page(raw["source"], raw["platform"], raw["title"],
                                    addresses.get(raw["source"], {}), posts)
    for page_id, address in addresses.items():
        pages.setdefault(page_id, Page(page_id, "vk" if "owner_id" in address else "web", page_id,
                                       address, []))
    return World(pages, start, live=live)


def _repeated(raw_posts: list[dict[str, Any]], posts: list[Message], start: datetime, every: timedelta,
              span: timedelta) -> list[Message]:
    """``posts`` with each raw post published again every ``every`` within ``span`` after ``start``;
    what appears after ``start`` is numbered after the page's last earlier post, in time order."""
    if every <= timedelta(0):
        raise ValueError(f"repeat_every must be a positive period, got {every}")
    end = start + span
    copies = []
    for raw in raw_posts:
        at = start - timedelta(minutes=raw["minutes_ago"]) + every
        while at <= end:
            if at > start:
                copies.append(_message(raw, at))
            at += every
    earlier = [p for p in posts if p.at <= start]
    later = sorted([p for p in posts if p.at > start] + copies, key=lambda m: (m.at, m.id))
    first = max((p.id for p in earlier), default=0) + 1
    for number, message in enumerate(later, start=first):
        message.id = number
    return earlier + later


def _message(raw: dict[str, Any], at: datetime, id_offset: int = 0,
             parent: Message | None = None) -> Message:
    author = raw.get("author") or {}
    message = Message(
        id=int(raw["id"]) + (id_offset if parent is None else 0), at=at, text=str(raw.get("text") or ""),
        author_id=author.get("id"), author_name=author.get("name"),
        official=bool(raw.get("official")), likes=int(raw.get("likes") or 0),
        reposts=int(raw.get("reposts") or 0), views=int(raw.get("views") or 0),
        attachments=list(raw.get("attachments") or []), label=dict(raw.get("label") or {}),
        link_slug=raw.get("link_slug"), parent=parent,
    )
    post_at = at if parent is None else _root(parent).at
    for child in raw.get("comments") or raw.get("replies") or []:
        child_at = post_at + timedelta(minutes=child.get("minutes_after", 0))
        message.comments.append(_message(child, child_at, id_offset, message))
    message.comments.sort(key=lambda m: (m.at, m.id))
    return message


def _root(message: Message) -> Message:
    while message.parent is not None:
        message = message.parent
    return message
