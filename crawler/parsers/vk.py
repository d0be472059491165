"""VK API bodies (``wall.get``, ``wall.getComments``, API 5.199) to posts and comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from indexer.schema import Attachment, Author, Metrics, Post, make_id

_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError)


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
    owner_id, post_id = int(raw["owner_id"]), int(raw["id"])
    # A reader's post the group published from its suggestion box comes from the group: signed, it
    # names the reader in signer_id; still in the box, it is a "suggest". Neither is the group's own word.
    from_id = _int(raw.get("signer_id")) or _int(raw.get("from_id")) or owner_id
    suggested = raw.get("post_type") == "suggest"
    text = str(raw.get("text") or "")
    attachments = _attachments(raw.get("attachments"))
    for original in raw.get("copy_history") or []:
        attachments.append(Attachment("repost", f"https://vk.com/wall{original['owner_id']}_{original['id']}"))
        if not text:
            text = str(original.get("text") or "")
    comments = _int((raw.get("comments") or {}).get("count")) or 0
    post = Post(
        id=make_id("vk", owner_id, post_id), platform="vk", source_id=source_id, kind="post",
        text=text, created_at=_time(raw["date"]), url=f"https://vk.com/wall{owner_id}_{post_id}",
        author=Author(str(from_id), names.get(from_id), from_id == owner_id and not suggested),
        edited_at=_time(raw["edited"]) if raw.get("edited") else None,
        metrics=Metrics(likes=_count(raw, "likes"), reposts=_count(raw, "reposts"),
                        views=_count(raw, "views"), comments=comments),
        attachments=attachments,
    )
    return WallEntry(post, post_id, bool(raw.get("is_pinned")), comments)


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
        kind="comment", text=str(raw.get("text") or ""), created_at=_time(raw["date"]), url=url,
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
    for item in raw or []:
        kind = str(item.get("type") or "unknown")
        body = item.get(kind) or {}
        url = body.get("url") if isinstance(body, dict) else None
        if kind == "photo" and isinstance(body, dict) and body.get("sizes"):
            url = body["sizes"][-1].get("url")
        out.append(Attachment(kind, url))
    return out


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
