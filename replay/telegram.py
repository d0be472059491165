"""Public Telegram pages: ``t.me/s/<channel>`` and the discussion widget of a channel post.

The channel page follows the markup of real ``t.me/s`` pages (see PLATFORMS.md §5.2): about 20
messages in ascending id order, a "more" link with ``data-before`` for older ones, text in the
bubble's direct-child ``div.tgme_widget_message_text``, views abbreviated ("37.2K"), ISO datetimes.
The discussion widget (``/<channel>/<id>?embed=1&discussion=1``) lists comments in the same
message markup, with a "more" link for older comments.
"""

from __future__ import annotations

from html import escape

from replay.world import Message, Page, World

PAGE_SIZE = 20


def channel_page(world: World, page: Page, before: int | None) -> str:
    channel = page.address["channel"]
    posts = world.posts(page.id)
    if before is not None:
        posts = [p for p in posts if p.id < before]
    shown = posts[-PAGE_SIZE:]
    more = ""
    if len(posts) > len(shown) and shown:
        first = shown[0].id
        more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap">'
                f'<a href="/s/{channel}?before={first}" class="tme_messages_more js-messages_more"'
                f' data-before="{first}"></a></div>')
    body = "\n".join(_message(world, channel, p, page.address.get("discussion")) for p in shown)
    prev = f'<link rel="prev" href="/s/{channel}?before={shown[0].id}">' if more else ""
    return _document(page.title, f"""{prev}
<link rel="canonical" href="https://t.me/s/{channel}">""", f"""
<header class="tgme_header"><div class="tgme_channel_info_header">
 <div class="tgme_channel_info_header_title"><span dir="auto">{escape(page.title)}</span></div>
 <div class="tgme_channel_info_header_username"><a href="https://t.me/{channel}">@{channel}</a></div>
</div>
<div class="tgme_channel_info_counters">
 <div class="tgme_channel_info_counter"><span class="counter_value">{_abbrev(1800 + 37 * len(page.posts))}</span> <span class="counter_type">subscribers</span></div>
</div></header>
<main class="tgme_main"><section class="tgme_channel_history js-message_history">
{more}
{body}
</section></main>""")


def discussion_widget(world: World, page: Page, post_id: int, before: int | None, limit: int) -> str | None:
    post = next((p for p in world.posts(page.id) if p.id == post_id), None)
    group = page.address.get("discussion")
    if post is None or not group:
        return None
    comments = _flatten(world, post)
    if before is not None:
        comments = [c for c in comments if _cid(post, c) < before]
    shown = comments[-limit:]
    more = ""
    if len(comments) > len(shown) and shown:
        first = _cid(post, shown[0])
        more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap">'
                f'<a href="?embed=1&amp;discussion=1&amp;before={first}" class="tme_messages_more'
                f' js-messages_more" data-before="{first}"></a></div>')
    items = "\n".join(_comment(group, post, c) for c in shown)
    return _document("Comments", "", f"""
<div class="tgme_widget_discussion js-widget_discussion" data-post="{page.address['channel']}/{post.id}"
     data-comments-count="{len(_flatten(world, post))}">
{more}
<div class="tgme_widget_discussion_messages">
{items}
</div></div>""")


def _flatten(world: World, message: Message) -> list[Message]:
    out: list[Message] = []
    for c in world.comments(message):
        out.append(c)
        out.extend(_flatten(world, c))
    return sorted(out, key=lambda m: m.at)


def _cid(post: Message, c: Message) -> int:
    return post.id * 1000 + c.id


def _message(world: World, channel: str, post: Message, discussion: str | None) -> str:
    views = post.views or 300 + 17 * post.id
    text = _text_html(post.text)
    photo = ""
    if any(a.get("type") == "photo" for a in post.attachments):
        photo = (f'<a class="tgme_widget_message_photo_wrap" href="https://t.me/{channel}/{post.id}"'
                 f' style="width:800px;background-image:url(\'https://cdn4.telesco.pe/file/{channel}{post.id}.jpg\')"></a>')
    video = ""
    if any(a.get("type") == "video" for a in post.attachments):
        video = (f'<a class="tgme_widget_message_video_player" href="https://t.me/{channel}/{post.id}">'
                 f'<video src="https://cdn4.telesco.pe/file/{channel}{post.id}.mp4"></video></a>')
    forwarded = ""
    if post.author_name:
        forwarded = (f'<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from '
                     f'<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/">'
                     f'<span dir="auto">{escape(post.author_name)}</span></a></div>')
    comments = ""
    if discussion:
        n = world.count_comments(post)
        comments = (f'<a class="tgme_widget_message_replies js-message_replies" href="https://t.me/{channel}/{post.id}?comment=1">'
                    f'<span class="tgme_widget_message_replies_count">{n}</span> comments</a>' if n else "")
    return f"""<div class="tgme_widget_message_wrap js-widget_message_wrap">
<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{channel}/{post.id}" data-view="eyJjIjo{post.id}">
<div class="tgme_widget_message_user"><a href="https://t.me/{channel}"><i class="tgme_widget_message_user_photo"></i></a></div>
<div class="tgme_widget_message_bubble">
<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/{channel}"><span dir="auto">{escape(channel)}</span></a></div>
{forwarded}{photo}{video}
<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>
<div class="tgme_widget_message_footer compact js-message_footer">
{comments}
<div class="tgme_widget_message_info short js-message_info">
<span class="tgme_widget_message_views">{_abbrev(views)}</span><span class="copyonly"> views</span>
<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{channel}/{post.id}"><time datetime="{post.at.isoformat()}" class="time">{post.at:%H:%M}</time></a></span>
</div></div></div></div></div>"""


def _comment(group: str, post: Message, c: Message) -> str:
    reply = ""
    if c.parent is not post and c.parent is not None:
        reply = (f'<a class="tgme_widget_message_reply" href="https://t.me/{group}/{_cid(post, c.parent)}">'
                 f'<div class="tgme_widget_message_author accent_color"><span class="tgme_widget_message_author_name">'
                 f'{escape(c.parent.author_name or "")}</span></div>'
                 f'<div class="tgme_widget_message_text js-message_reply_text" dir="auto">{escape(c.parent.text[:80])}</div></a>')
    return f"""<div class="tgme_widget_message js-widget_message" data-post="{group}/{_cid(post, c)}" data-author-id="{c.author_id or ''}">
<div class="tgme_widget_message_bubble">
<div class="tgme_widget_message_author accent_color"><span class="tgme_widget_message_author_name" dir="auto">{escape(c.author_name or '')}</span></div>
{reply}
<div class="tgme_widget_message_text js-message_text" dir="auto">{_text_html(c.text)}</div>
<div class="tgme_widget_message_footer js-message_footer"><div class="tgme_widget_message_info js-message_info">
<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{group}/{_cid(post, c)}"><time datetime="{c.at.isoformat()}" class="time">{c.at:%H:%M}</time></a></span>
</div></div></div></div>"""


def _text_html(text: str) -> str:
    lines = []
    for line in escape(text.strip()).split("\n"):
        words = [f'<a href="?q=%23{w[1:]}">{w}</a>' if w.startswith("#") and len(w) > 1 else w
                 for w in line.split(" ")]
        lines.append(" ".join(words))
    return "<br/>".join(lines)


def _abbrev(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 1000:
        return f"{n / 1000:.1f}K".replace(".0K", "K")
    return str(n)


def _document(title: str, head: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{escape(title)} – Telegram</title>
<meta name="viewport" content="width=device-width, initial-scale=1.0">{head}
</head><body class="widget_frame_base tgme_webpage">{body}
</body></html>"""
