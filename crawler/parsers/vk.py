"""VK API bodies (``wall.get``, ``wall.getComments``) to posts and comments.

Every shape VK has served is read: API 5.199 (photos as ``sizes``, ``orig_photo``, video
``image`` lists) and the older 5.x ones (``photo_75`` … ``photo_2560``, video ``photo_130`` …).
Text comes as a person reads it on vk.com: ``<br>`` is a line break, HTML entities are decoded,
a mention ``[id1|Name]`` is its name. A repost keeps its original (``copy_history``) as the
post's :class:`~indexer.schema.Origin`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from indexer.schema import Attachment, Author, Metrics, Origin, Post, make_id

_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_MENTION = re.compile(r"\[(?:id|club|public|event)\d+\|([^\]]+)\]")
# Photo sizes smallest first (dev.vk.com "photo sizes"): used when a size has no width and height.
_SIZE_TYPES = {kind: rank for rank, kind in enumerate("smopqrxyzw")}
_OLD_PHOTO = re.compile(r"^(?:photo|src)_?(\d+|small|big|xbig|xxbig|xxxbig)?$")
_OLD_RANKS = {"small": 0, None: 1, "big": 2, "xbig": 3, "xxbig": 4, "xxxbig": 5}


@dataclass
class WallEntry:
    """What the spider needs to decide on paging and comments, per post."""

    post: Post
    post_id: int
    pinned: bool
    comments: int


@dataclass
class WallPage:
    entries: list[WallEntry] = field(default_factory=list)
    total: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class CommentsPage:
    comments: list[Post] = field(default_factory=list)
    level_count: int = 0
    level_items: int = 0
    total: int = 0
    threads: list[tuple[int, int]] = field(default_factory=list)  # (comment id, replies missing)
    problems: list[str] = field(default_factory=list)


def parse_wall(response: Any, source_id: str) -> WallPage:
    """Read a ``wall.get`` response object (the value under ``"response"``)."""
    page = WallPage()
    if not isinstance(response, dict) or not isinstance(response.get("items"), list):
        page.problems.append("wall.get: response has no items list")
        return page
    page.total = _int(response.get("count")) or 0
    names = _names(response)
    for raw in response["items"]:
        try:
            page.entries.append(_wall_entry(raw, source_id, names))
        except _ERRORS as exc:
            page.problems.append(f"wall.get: unreadable post {_ident(raw)}: {exc!r}")
    return page


def parse_comments(response: Any, source_id: str, owner_id: int, post_id: int,
                   parent_comment: int | None = None) -> CommentsPage:
    """Read a ``wall.getComments`` response; thread replies inline and missing ones listed."""
    page = CommentsPage()
    if not isinstance(response, dict) or not isinstance(response.get("items"), list):
        page.problems.append("wall.getComments: response has no items list")
        return page
    page.total = _int(response.get("count")) or 0
    page.level_items = len(response["items"])
    page.level_count = _int(response.get("current_level_count")) or page.level_items
    names = _names(response)
    for raw in response["items"]:
        try:
            page.comments.append(_comment(raw, source_id, owner_id, post_id, parent_comment, names))
            thread = raw.get("thread") or {}
            replies = thread.get("items") or []
            for reply in replies:
                page.comments.append(_comment(reply, source_id, owner_id, post_id, raw["id"], names))
            missing = (_int(thread.get("count")) or 0) - len(replies)
            if missing > 0:
                page.threads.append((int(raw["id"]), missing))
        except _ERRORS as exc:
            page.problems.append(f"wall.getComments: unreadable comment {_ident(raw)}: {exc!r}")
    return page


def _wall_entry(raw: dict[str, Any], source_id: str, names: dict[int, str]) -> WallEntry:
    owner_id, post_id = int(raw["owner_id"] if "owner_id" in raw else raw["to_id"]), int(raw["id"])  # to_id: before 5.7
    # A reader's post the group published from its suggestion box comes from the group: signed, it
    # names the reader in signer_id; still in the box, it is a "suggest". Neither is the group's own word.
    from_id = _int(raw.get("signer_id")) or _int(raw.get("from_id")) or owner_id
    suggested = raw.get("post_type") == "suggest"
    comments = _int((raw.get("comments") or {}).get("count")) or 0
    post = Post(
        id=make_id("vk", owner_id, post_id), platform="vk", source_id=source_id, kind="post",
        text=read_text(raw.get("text")), created_at=_time(raw["date"]),
        url=f"https://vk.com/wall{owner_id}_{post_id}",
        author=Author(str(from_id), names.get(from_id), from_id == owner_id and not suggested),
        edited_at=_time(raw["edited"]) if raw.get("edited") else None,
        metrics=Metrics(likes=_count(raw, "likes"), reposts=_count(raw, "reposts"),
                        views=_count(raw, "views"), comments=comments),
        attachments=_attachments(raw.get("attachments")), origin=_origin(raw.get("copy_history"), names),
    )
    return WallEntry(post, post_id, bool(raw.get("is_pinned")), comments)


def _origin(history: Any, names: dict[int, str]) -> Origin | None:
    """The reposted post (the first of ``copy_history``), with the text and attachments of the
    whole chain: a repost of a repost shows every one of them on vk.com."""
    chain = [copy for copy in _list(history) if isinstance(copy, dict)]
    if not chain:
        return None
    first = chain[0]
    owner_id, post_id = _int(first.get("owner_id", first.get("to_id"))), _int(first.get("id"))
    from_id = _int(first.get("from_id")) or owner_id
    texts = [read_text(copy.get("text")) for copy in chain]
    return Origin(
        id=make_id("vk", owner_id, post_id) if owner_id and post_id else None,
        author=Author(str(from_id) if from_id else None, names.get(from_id or 0), from_id == owner_id),
        created_at=_time(first["date"]) if _int(first.get("date")) else None,
        url=f"https://vk.com/wall{owner_id}_{post_id}" if owner_id and post_id else None,
        text="\n\n".join(text for text in texts if text),
        attachments=[a for copy in chain for a in _attachments(copy.get("attachments"))],
    )


def read_text(value: Any) -> str:
    """VK text as vk.com shows it: older API versions and comments send ``<br>`` and HTML
    entities (``&quot;``, ``&#10071;``); mentions are ``[id1|Name]``."""
    text = str(value or "")
    if "<" in text or "&" in text:
        text = html.unescape(_BR.sub("\n", text))
    return _MENTION.sub(r"\1", text) if "|" in text else text


def _comment(raw: dict[str, Any], source_id: str, owner_id: int, post_id: int,
             parent_comment: int | None, names: dict[int, str]) -> Post:
    comment_id = int(raw["id"])
    from_id = _int(raw.get("from_id")) or owner_id
    parent = _int(raw.get("reply_to_comment")) or parent_comment
    root = make_id("vk", owner_id, post_id)
    url = f"https://vk.com/wall{owner_id}_{post_id}?reply={comment_id}"
    if parent:
        url += f"&thread={parent_comment or parent}"
    return Post(
        id=make_id("vk", owner_id, post_id, comment_id), platform="vk", source_id=source_id,
        kind="comment", text=read_text(raw.get("text")), created_at=_time(raw["date"]), url=url,
        author=Author(str(from_id), names.get(from_id), from_id == owner_id),
        parent_id=make_id("vk", owner_id, post_id, parent) if parent else root, thread_root=root,
        metrics=Metrics(likes=_count(raw, "likes")), attachments=_attachments(raw.get("attachments")),
    )


def _names(response: dict[str, Any]) -> dict[int, str]:
    names: dict[int, str] = {}
    for profile in _list(response.get("profiles")):
        if isinstance(profile, dict) and _int(profile.get("id")):
            full = f"{profile.get('first_name') or ''} {profile.get('last_name') or ''}".strip()
            names[_int(profile["id"]) or 0] = full
    for group in _list(response.get("groups")):
        if isinstance(group, dict) and _int(group.get("id")):
            names[-(_int(group["id"]) or 0)] = str(group.get("name") or "")
    return names


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _attachments(raw: Any) -> list[Attachment]:
    out = []
    for item in _list(raw):
        if not isinstance(item, dict):
            continue
        kind = str(item.get("type") or "unknown")
        body = item.get(kind)
        out.append(_attachment(kind, body if isinstance(body, dict) else {}))
    return out


def _attachment(kind: str, body: dict[str, Any]) -> Attachment:
    """A photo's largest picture, a video's largest thumbnail, a link's page and title."""
    if kind in ("photo", "posted_photo", "graffiti"):
        return Attachment(kind, _photo_url(body))
    if kind == "video":
        return Attachment(kind, _video_thumb(body), _title(body.get("title")))
    if kind == "link":
        return Attachment(kind, _str(body.get("url")), _title(body.get("title")))
    if kind == "poll":
        return Attachment(kind, None, _title(body.get("question")))
    if kind == "audio":
        title = " – ".join(str(body[key]) for key in ("artist", "title") if body.get(key))
        return Attachment(kind, _str(body.get("url")), title or None)
    return Attachment(kind, _str(body.get("url")), _title(body.get("title")))


def _photo_url(photo: dict[str, Any]) -> str | None:
    """The largest of ``sizes``/``orig_photo`` (5.199), else of ``photo_75`` … ``photo_2560`` or
    ``src`` … ``src_xxxbig`` (older versions). VK does not list sizes in order: a 1920 px ``w``
    comes before the 604 px ``x``."""
    sizes = [size for size in [*_list(photo.get("sizes")), photo.get("orig_photo")]
             if isinstance(size, dict) and _str(size.get("url") or size.get("src"))]
    if sizes:
        best = max(sizes, key=lambda size: ((_int(size.get("width")) or 0) * (_int(size.get("height")) or 0),
                                            _SIZE_TYPES.get(str(size.get("type")), -1)))
        return _str(best.get("url") or best.get("src"))
    return _largest_keyed(photo, _OLD_PHOTO)


def _video_thumb(video: dict[str, Any]) -> str | None:
    """The widest of ``image`` (5.199) or of ``photo_130`` … ``photo_1280`` (older versions)."""
    images = [image for image in _list(video.get("image")) if isinstance(image, dict) and _str(image.get("url"))]
    if images:
        return _str(max(images, key=lambda image: _int(image.get("width")) or 0).get("url"))
    return _largest_keyed(video, re.compile(r"^photo_(\d+)$")) or _largest_keyed(video, re.compile(r"^first_frame_(\d+)$"))


def _largest_keyed(body: dict[str, Any], pattern: re.Pattern[str]) -> str | None:
    """The URL under the largest of the keys ``pattern`` matches (``photo_604`` is 604 px)."""
    found = []
    for key, value in body.items():
        match = pattern.match(str(key))
        if match and _str(value):
            size = match.group(1)
            found.append((int(size) if size and size.isdigit() else _OLD_RANKS.get(size, 0), str(value)))
    return max(found)[1] if found else None


def _title(value: Any) -> str | None:
    title = read_text(value).strip() if value else ""
    return title or None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), tz=timezone.utc)


def _count(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    return _int(value.get("count")) if isinstance(value, dict) else None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):  # OverflowError: a count of Infinity (JSON allows it here)
        return None


def _ident(raw: Any) -> str:
    return str(raw.get("id")) if isinstance(raw, dict) else type(raw).__name__
