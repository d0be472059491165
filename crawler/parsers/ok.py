"""OK API bodies (``mediatopic.getTopics``, ``discussions.getComments``) to posts and comments.

The shapes follow the OK API reference (apiok.ru/dev/methods/rest/): a topic is a list of
``media`` blocks (``text``, ``photo`` with ``photo_refs`` into ``entities.group_photos``,
``link``), its author an ``author_ref`` (``group:<id>`` or ``user:<id>``) resolved through
``entities``, its time ``created_ms``; a comment's time is ``date``, written in Moscow time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from indexer.schema import Attachment, Author, Metrics, Post, make_id

_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError)
_MOSCOW = ZoneInfo("Europe/Moscow")  # OK writes comment dates as its servers' local time
_PHOTO_SIZES = ("pic_max", "pic1024max", "pic640x480", "pic320min", "pic190x190", "pic128x128")


@dataclass
class TopicEntry:
    """What the spider needs to decide on paging and comments, per topic."""

    post: Post
    topic_id: str
    created_ms: int
    pinned: bool
    comments: int


@dataclass
class TopicsPage:
    entries: list[TopicEntry] = field(default_factory=list)
    anchor: str | None = None
    has_more: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass
class CommentsPage:
    comments: list[Post] = field(default_factory=list)
    anchor: str | None = None
    has_more: bool = False
    problems: list[str] = field(default_factory=list)


def parse_topics(body: Any, source_id: str, group_id: str) -> TopicsPage:
    """Read a ``mediatopic.getTopics`` body: the group's topics, newest first, and the next anchor."""
    page = TopicsPage()
    if not isinstance(body, dict) or not isinstance(body.get("media_topics", []), list):
        page.problems.append("mediatopic.getTopics: body has no media_topics list")
        return page
    page.anchor, page.has_more = _paging(body)
    entities = _Entities(body.get("entities"))
    for raw in body.get("media_topics") or []:
        try:
            page.entries.append(_topic(raw, source_id, group_id, entities))
        except _ERRORS as exc:
            page.problems.append(f"mediatopic.getTopics: unreadable topic {_ident(raw)}: {exc!r}")
    return page


def parse_comments(body: Any, source_id: str, group_id: str, topic_id: str) -> CommentsPage:
    """Read a ``discussions.getComments`` body of one topic: its comments and the next anchor."""
    page = CommentsPage()
    if not isinstance(body, dict) or not isinstance(body.get("comments", []), list):
        page.problems.append("discussions.getComments: body has no comments list")
        return page
    page.anchor, page.has_more = _paging(body)
    entities = _Entities(body.get("entities"))
    for raw in body.get("comments") or []:
        try:
            page.comments.append(_comment(raw, source_id, group_id, topic_id, entities))
        except _ERRORS as exc:
            page.problems.append(f"discussions.getComments: unreadable comment {_ident(raw)}: {exc!r}")
    return page


def topic_url(group_id: str, topic_id: str) -> str:
    return f"https://ok.ru/group/{group_id}/topic/{topic_id}"


class _Entities:
    """Names and photo URLs a body lists once under ``entities``, by ref (``user:1``, ``group:2``)."""

    def __init__(self, raw: Any) -> None:
        raw = raw if isinstance(raw, dict) else {}
        self.names: dict[str, str] = {}
        for kind in ("users", "groups"):
            for item in _list(raw.get(kind)):
                if isinstance(item, dict) and (uid := item.get("uid") or item.get("id")):
                    name = item.get("name") or f"{item.get('first_name') or ''} {item.get('last_name') or ''}"
                    self.names[f"{kind[:-1]}:{uid}"] = str(name).strip()
        self.photos: dict[str, str | None] = {}
        for item in _list(raw.get("group_photos")) + _list(raw.get("photos")):
            if isinstance(item, dict) and item.get("ref"):
                self.photos[str(item["ref"])] = next((str(item[k]) for k in _PHOTO_SIZES if item.get(k)), None)


def _topic(raw: dict[str, Any], source_id: str, group_id: str, entities: _Entities) -> TopicEntry:
    topic_id, created_ms = str(raw["id"]), int(raw["created_ms"])
    texts, attachments = [], []
    for media in _list(raw.get("media")):
        kind = str(media.get("type") or "unknown")
        if kind == "text":
            texts.append(str(media.get("text") or "").strip())
        elif kind == "photo":
            attachments += [Attachment("photo", entities.photos.get(str(ref))) for ref in _list(media.get("photo_refs"))]
        elif kind == "link":
            attachments.append(Attachment("link", media.get("url")))
        else:
            attachments.append(Attachment(kind, media.get("url")))
    author_ref = str(raw.get("author_ref") or f"group:{group_id}")
    comments = _count(raw, "discussion_summary", "comments_count")
    post = Post(
        id=make_id("ok", group_id, topic_id), platform="ok", source_id=source_id, kind="post",
        text="\n\n".join(t for t in texts if t), created_at=_from_ms(created_ms),
        url=topic_url(group_id, topic_id), author=_author(author_ref, group_id, entities),
        metrics=Metrics(likes=_count(raw, "like_summary", "count"), reposts=_count(raw, "reshare_summary", "count"),
                        comments=comments),
        attachments=attachments,
    )
    return TopicEntry(post, topic_id, created_ms, bool(raw.get("is_sticky") or raw.get("on_top")), comments or 0)


def _comment(raw: dict[str, Any], source_id: str, group_id: str, topic_id: str, entities: _Entities) -> Post:
    comment_id = str(raw["id"])
    kind = "group" if str(raw.get("author_type") or "").upper() == "GROUP" else "user"
    author_ref = f"{kind}:{raw['author_id']}"
    root = make_id("ok", group_id, topic_id)
    parent = raw.get("reply_to_comment_id")
    attachments = [Attachment(str(a.get("type") or "unknown").lower(), a.get("url") or a.get("pic_max"))
                   for a in _list(raw.get("attachments")) if isinstance(a, dict)]
    return Post(
        id=make_id("ok", group_id, topic_id, comment_id), platform="ok", source_id=source_id, kind="comment",
        text=str(raw.get("text") or "").strip(), created_at=_comment_time(raw), url=topic_url(group_id, topic_id),
        author=_author(author_ref, group_id, entities, raw.get("author_name")),
        parent_id=make_id("ok", group_id, topic_id, parent) if parent else root, thread_root=root,
        metrics=Metrics(likes=_int(raw.get("like_count"))), attachments=attachments,
    )


def _author(ref: str, group_id: str, entities: _Entities, fallback: Any = None) -> Author:
    ident = ref.partition(":")[2]
    official = ref == f"group:{group_id}"
    return Author(ident, entities.names.get(ref) or (str(fallback) if fallback else None), official)


def _comment_time(raw: dict[str, Any]) -> datetime:
    if raw.get("date_ms") is not None:
        return _from_ms(int(raw["date_ms"]))
    local = datetime.strptime(str(raw["date"]), "%Y-%m-%d %H:%M:%S")
    return local.replace(tzinfo=_MOSCOW).astimezone(timezone.utc)


def _from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def _paging(body: dict[str, Any]) -> tuple[str | None, bool]:
    anchor = body.get("anchor")
    return (str(anchor) if anchor else None), bool(body.get("has_more"))


def _count(raw: dict[str, Any], summary: str, key: str) -> int | None:
    value = raw.get(summary)
    return _int(value.get(key)) if isinstance(value, dict) else None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ident(raw: Any) -> str:
    return str(raw.get("id")) if isinstance(raw, dict) else type(raw).__name__
