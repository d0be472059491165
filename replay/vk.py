"""VK API methods ``wall.get`` and ``wall.getComments`` in the shapes VK documents (API 5.199).

Errors come back as VK sends them: HTTP 200 with ``{"error": {"error_code", "error_msg",
"request_params"}}``. Comment ids are unique per wall, as on VK: ``post id * 1000 + comment id``.
"""

from __future__ import annotations

from typing import Any

from replay.world import Message, Page, World

ERRORS = {
    5: "User authorization failed: invalid access_token",
    6: "Too many requests per second",
    9: "Flood control",
    15: "Access denied",
    18: "User was deleted or banned",
    29: "Rate limit reached",
    30: "This profile is private",
    100: "One of the parameters specified was missing or invalid",
    212: "Access to post comments denied",
}


def error(code: int, method: str, params: dict[str, str]) -> dict[str, Any]:
    shown = [{"key": k, "value": v} for k, v in params.items() if k != "access_token"]
    shown.insert(0, {"key": "method", "value": method})
    return {"error": {"error_code": code, "error_msg": ERRORS.get(code, "Unknown error"),
                      "request_params": shown}}


def find_page(world: World, params: dict[str, str]) -> Page | None:
    if "owner_id" in params:
        try:
            return world.by_address("owner_id", int(params["owner_id"]))
        except ValueError:
            return None
    if "domain" in params:
        return world.by_address("screen_name", params["domain"])
    return None


def wall_get(world: World, page: Page, params: dict[str, str]) -> dict[str, Any]:
    owner_id = page.address["owner_id"]
    posts = list(reversed(world.posts(page.id)))  # newest first, as VK pages a wall
    pinned = None
    if page.address.get("pinned") == "first" and page.posts and page.posts[0] in posts:
        pinned = page.posts[0]
        posts.remove(pinned)
        posts.insert(0, pinned)
    offset, count = _int(params.get("offset"), 0), min(_int(params.get("count"), 20), 100)
    items = [_post(world, owner_id, p, p is pinned) for p in posts[offset:offset + count]]
    response: dict[str, Any] = {"count": len(posts), "items": items}
    if params.get("extended") == "1":
        response.update(_extended(page, [posts[i] for i in range(offset, min(offset + count, len(posts)))]))
    return {"response": response}


def wall_get_comments(world: World, page: Page, params: dict[str, str]) -> dict[str, Any]:
    owner_id = page.address["owner_id"]
    post = next((p for p in world.posts(page.id) if p.id == _int(params.get("post_id"), -1)), None)
    if post is None:
        return error(100, "wall.getComments", params)
    level = world.comments(post)
    if "comment_id" in params:
        parent = next((c for c in level if _comment_id(post, c) == _int(params["comment_id"], -1)), None)
        if parent is None:
            return error(100, "wall.getComments", params)
        level = world.comments(parent)
    offset, count = _int(params.get("offset"), 0), min(_int(params.get("count"), 10), 100)
    thread_items = min(_int(params.get("thread_items_count"), 0), 10)
    chosen = level[offset:offset + count]
    items = [_comment(world, owner_id, post, c, thread_items) for c in chosen]
    response: dict[str, Any] = {"count": world.count_comments(post), "current_level_count": len(level),
                                "can_post": 1, "show_reply_button": 1, "groups_can_post": True,
                                "items": items}
    if params.get("extended") == "1":
        everyone = chosen + [r for c in chosen for r in world.comments(c)[:thread_items]]
        response.update(_extended(page, everyone))
    return {"response": response}


def _post(world: World, owner_id: int, post: Message, pinned: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": post.id, "owner_id": owner_id, "from_id": post.author_id or owner_id,
        "date": int(post.at.timestamp()), "post_type": "post", "text": post.text.strip(),
        "comments": {"count": world.count_comments(post), "can_post": 1, "can_view": 1,
                     "groups_can_post": True},
        "likes": {"count": post.likes, "user_likes": 0, "can_like": 1, "can_publish": 1},
        "reposts": {"count": post.reposts, "wall_count": post.reposts, "mail_count": 0,
                    "user_reposted": 0},
        "views": {"count": post.views or post.likes * 40 + 100},
        "attachments": [_attachment(owner_id, post.id, i, a) for i, a in enumerate(post.attachments)],
        "hash": f"h{post.id}",
    }
    if pinned:
        item["is_pinned"] = 1
    if post.author_id and post.author_id > 0:
        item["signer_id"] = post.author_id
    return item


def _comment(world: World, owner_id: int, post: Message, c: Message, thread_items: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": _comment_id(post, c), "from_id": c.author_id or owner_id, "post_id": post.id,
        "owner_id": owner_id, "date": int(c.at.timestamp()), "text": c.text.strip(),
        "likes": {"count": c.likes, "user_likes": 0, "can_like": 1},
        "parents_stack": [] if c.parent is post else [_comment_id(post, c.parent)],
    }
    if c.parent is post:
        replies = world.comments(c)
        item["thread"] = {"count": len(replies), "can_post": True, "show_reply_button": True,
                          "items": [_comment(world, owner_id, post, r, 0) for r in replies[:thread_items]]}
    else:
        item["reply_to_comment"] = _comment_id(post, c.parent)
    if c.attachments:
        item["attachments"] = [_attachment(owner_id, c.id, i, a) for i, a in enumerate(c.attachments)]
    return item


def _comment_id(post: Message, c: Message | None) -> int:
    return post.id * 1000 + (c.id if c else 0)


def _attachment(owner_id: int, item_id: int, index: int, raw: dict[str, Any]) -> dict[str, Any]:
    kind = raw.get("type", "photo")
    media_id = item_id * 10 + index
    if kind == "photo":
        body = {"id": media_id, "owner_id": owner_id,
                "sizes": [{"type": "x", "width": 604, "height": 453,
                           "url": f"https://sun9-1.userapi.com/impg/{media_id}.jpg"}]}
    elif kind == "link":
        body = {"url": raw.get("url", "https://example.org/"), "title": raw.get("title", "")}
    elif kind == "video":
        body = {"id": media_id, "owner_id": owner_id, "title": raw.get("title", "Видео")}
    else:
        body = {"id": media_id, "owner_id": owner_id, "title": raw.get("title", "file"),
                "url": f"https://vk.com/doc{owner_id}_{media_id}"}
        kind = "doc"
    return {"type": kind, kind: body}


def _extended(page: Page, messages: list[Message]) -> dict[str, Any]:
    profiles, groups = {}, {}
    for m in messages:
        if m.author_id and m.author_id > 0:
            first, _, last = (m.author_name or "").partition(" ")
            profiles[m.author_id] = {"id": m.author_id, "first_name": first, "last_name": last,
                                     "can_access_closed": True, "is_closed": False}
        elif m.author_id and m.author_id < 0:
            groups[-m.author_id] = {"id": -m.author_id, "name": m.author_name, "screen_name": f"club{-m.author_id}",
                                    "is_closed": 0, "type": "page"}
    owner = -page.address["owner_id"]
    groups.setdefault(owner, {"id": owner, "name": page.title, "screen_name": page.address["screen_name"],
                              "is_closed": 0, "type": "page"})
    return {"profiles": list(profiles.values()), "groups": list(groups.values())}


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
