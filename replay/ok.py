"""The OK REST API at ``/ok/fb.do``: ``mediatopic.getTopics`` and ``discussions.getComments`` of a
group, in the shapes the OK API reference documents (apiok.ru/dev/methods/rest/).

Every call is checked as OK checks it: the application key, then the signature (``sig`` = md5 of
the sorted ``key=value`` pairs without ``sig``/``access_token`` + md5(access_token + the
application's secret key)). Errors come back as OK sends them: HTTP 200 with ``{"error_code",
"error_msg", "error_data"}``. Topics are listed newest first, ``count`` a page, the next page asked
for by the ``anchor`` the last one returned (opaque to the client); comments oldest first, likewise.
Comment dates are written in Moscow time, as OK writes them.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta, timezone
from typing import Any

from replay.world import Message, Page, World

APPLICATION_KEY = "CBADEMOAPPKEY"  # the demo application's public key
SECRET = "demo-ok-secret"  # its secret key (the crawler's OK_SECRET in the demo)
TOPIC_BASE = 155_000_000_000_000  # OK topic ids are 15-digit numbers
MOSCOW = timezone(timedelta(hours=3))

ERRORS = {
    8: "FLOOD_BLOCKED : Flood blocked",
    10: "PERMISSION_DENIED : Permission denied",
    100: "PARAM : Invalid parameter",
    101: "PARAM_API_KEY : Application key is invalid",
    102: "PARAM_SESSION_EXPIRED : Session expired",
    104: "PARAM_SIGNATURE : Invalid signature",
    300: "NOT_FOUND : Group not found",
    3: "METHOD : Method does not exist",
}


def error(code: int, detail: str = "") -> dict[str, Any]:
    message = ERRORS.get(code, "UNKNOWN : Unknown error")
    return {"error_code": code, "error_msg": f"{message} {detail}".strip(), "error_data": None}


def call(world: World, params: dict[str, str]) -> dict[str, Any]:
    """Answer one call, as ``fb.do`` would."""
    if params.get("application_key") != APPLICATION_KEY:
        return error(101)
    token = params.get("access_token", "")
    if not token or token == "expired-token":
        return error(102)
    if params.get("sig", "").lower() != signature(params, token):
        return error(104, params.get("sig", ""))
    method = params.get("method")
    if method == "mediatopic.getTopics":
        page = world.by_address("gid", params.get("gid"))
        if page is None:
            return error(300, str(params.get("gid")))
        if "error" in page.address:
            return error(int(page.address["error"]))
        return get_topics(world, page, params)
    if method == "discussions.getComments":
        return get_comments(world, params)
    return error(3, str(method))


def signature(params: dict[str, str], token: str) -> str:
    session_secret = hashlib.md5((token + SECRET).encode("utf-8")).hexdigest().lower()
    pairs = "".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sig", "access_token", "session_key"))
    return hashlib.md5((pairs + session_secret).encode("utf-8")).hexdigest().lower()


def get_topics(world: World, page: Page, params: dict[str, str]) -> dict[str, Any]:
    gid = str(page.address["gid"])
    posts = list(reversed(world.posts(page.id)))  # newest first, as OK lists a group's feed
    offset, count = _offset(params.get("anchor")), min(_int(params.get("count"), 20), 100)
    chosen = posts[offset:offset + count]
    topics = [_topic(world, gid, p) for p in chosen]
    users = {m.author_id: m for m in chosen if m.author_id and m.author_id > 0}
    photos = [_photo_entity(gid, p.id, i) for p in chosen for i, a in enumerate(p.attachments)
              if a.get("type", "photo") == "photo"]
    body: dict[str, Any] = {
        "media_topics": topics,
        "entities": {"groups": [{"uid": gid, "name": page.title, "ref": f"group:{gid}"}],
                     "users": [_user(m) for m in users.values()], "group_photos": photos},
        "has_more": offset + count < len(posts),
    }
    if chosen:
        body["anchor"] = _anchor(offset + len(chosen))
    return body


def get_comments(world: World, params: dict[str, str]) -> dict[str, Any]:
    found = _find_topic(world, params.get("discussionId", ""))
    if found is None or params.get("discussionType") != "GROUP_TOPIC":
        return error(100, "discussionId")
    page, post = found
    gid = str(page.address["gid"])
    everything = sorted(_flatten(world, post), key=lambda m: (m.at, m.id))
    offset, count = _offset(params.get("anchor")), min(_int(params.get("count"), 20), 100)
    chosen = everything[offset:offset + count]
    users = {m.author_id: m for m in chosen if m.author_id and m.author_id > 0}
    body: dict[str, Any] = {
        "comments": [_comment(gid, post, c) for c in chosen],
        "entities": {"users": [_user(m) for m in users.values()],
                     "groups": [{"uid": gid, "name": page.title, "ref": f"group:{gid}"}]},
        "has_more": offset + count < len(everything),
        "discussionId": str(TOPIC_BASE + post.id), "discussionType": "GROUP_TOPIC",
    }
    if chosen:
        body["anchor"] = _anchor(offset + len(chosen))
    return body


def _topic(world: World, gid: str, post: Message) -> dict[str, Any]:
    media: list[dict[str, Any]] = [{"type": "text", "text": post.text.strip()}]
    photos = [f"group_photo:{_photo_id(post.id, i)}" for i, a in enumerate(post.attachments)
              if a.get("type", "photo") == "photo"]
    if photos:
        media.append({"type": "photo", "photo_refs": photos})
    for a in post.attachments:
        if a.get("type") == "link":
            media.append({"type": "link", "url": a.get("url", "https://example.org/"), "title": a.get("title", "")})
    author = f"user:{post.author_id}" if post.author_id and post.author_id > 0 else f"group:{gid}"
    return {
        "id": str(TOPIC_BASE + post.id), "created_ms": int(post.at.timestamp() * 1000), "media": media,
        "author_ref": author, "owner_ref": f"group:{gid}",
        "discussion_summary": {"comments_count": world.count_comments(post)},
        "like_summary": {"count": post.likes, "self": False},
        "reshare_summary": {"count": post.reposts, "self": False},
    }


def _comment(gid: str, post: Message, c: Message) -> dict[str, Any]:
    by_group = not (c.author_id and c.author_id > 0)
    item: dict[str, Any] = {
        "id": comment_id(post, c), "date": c.at.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M:%S"),
        "author_id": gid if by_group else str(c.author_id), "author_type": "GROUP" if by_group else "USER",
        "text": c.text.strip(), "like_count": c.likes, "liked_it": False,
    }
    if c.parent is not None and c.parent is not post:
        item["reply_to_comment_id"] = comment_id(post, c.parent)
        if c.parent.author_id and c.parent.author_id > 0:
            item["reply_to_id"] = str(c.parent.author_id)
    return item


def _flatten(world: World, message: Message) -> list[Message]:
    return [m for c in world.comments(message) for m in (c, *_flatten(world, c))]


def _find_topic(world: World, discussion_id: str) -> tuple[Page, Message] | None:
    for page in world.pages.values():
        if "gid" in page.address:
            for post in world.posts(page.id):
                if str(TOPIC_BASE + post.id) == discussion_id:
                    return page, post
    return None


def _user(m: Message) -> dict[str, Any]:
    first, _, last = (m.author_name or "").partition(" ")
    return {"uid": str(m.author_id), "first_name": first, "last_name": last, "name": m.author_name,
            "ref": f"user:{m.author_id}"}


def _photo_id(item_id: int, index: int) -> int:
    return 930_000_000_000_000 + item_id * 10 + index


def _photo_entity(gid: str, item_id: int, index: int) -> dict[str, Any]:
    photo = _photo_id(item_id, index)
    return {"id": str(photo), "ref": f"group_photo:{photo}", "group_id": gid,
            "pic640x480": f"https://i.mycdn.me/i?r=DEMO{photo}&fn=w_640"}


def comment_id(post: Message, c: Message) -> str:
    """A comment's id as OK writes them: an opaque base64 string."""
    return base64.b64encode(f"{TOPIC_BASE + post.id}:{c.id}".encode()).decode().rstrip("=")


def _anchor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(anchor: str | None) -> int:
    if not anchor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(anchor.encode()).decode().removeprefix("offset:"))
    except ValueError:
        return 0


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
