"""RSS 2.0 and Atom feeds of the world's government sites, newest item first."""

from __future__ import annotations

from datetime import timedelta, timezone
from email.utils import format_datetime
from html import escape

from replay.world import Message, Page, World

MSK = timezone(timedelta(hours=3))


def feed(world: World, page: Page, base_url: str, broken_date_id: int | None) -> str:
    posts = list(reversed(world.posts(page.id)))[:30]
    if page.address.get("format") == "atom":
        return _atom(page, posts, base_url, broken_date_id)
    return _rss(page, posts, base_url, broken_date_id)


def _link(page: Page, post: Message, base_url: str) -> str:
    slug = post.link_slug or f"item-{post.id}"
    return f"{base_url}{page.address['path'].rsplit('/', 1)[0]}/{slug}-{post.id}.html"


def _rss(page: Page, posts: list[Message], base_url: str, broken: int | None) -> str:
    items = []
    for p in posts:
        date = "вчера вечером" if p.id == broken else format_datetime(p.at.astimezone(MSK))
        body = "".join(f"<p>{escape(par)}</p>" for par in p.body.split("\n\n") if par.strip())
        items.append(f"""  <item>
    <title>{escape(p.title)}</title>
    <link>{_link(page, p, base_url)}</link>
    <guid isPermaLink="true">{_link(page, p, base_url)}</guid>
    <pubDate>{date}</pubDate>
    <category>Новости</category>
    <description><![CDATA[{body}]]></description>
  </item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>{escape(page.title)}</title>
  <link>{base_url}/gov/</link>
  <description>{escape(page.title)}</description>
  <language>ru</language>
  <atom:link href="{base_url}{page.address['path']}" rel="self" type="application/rss+xml"/>
{chr(10).join(items)}
</channel>
</rss>
"""


def _atom(page: Page, posts: list[Message], base_url: str, broken: int | None) -> str:
    entries = []
    for p in posts:
        stamp = "2024-13-45T99:00:00" if p.id == broken else p.at.astimezone(MSK).isoformat()
        body = "".join(f"<p>{escape(par)}</p>" for par in p.body.split("\n\n") if par.strip())
        entries.append(f"""  <entry>
    <id>tag:mchs.prirechye.example,2026:{p.id}</id>
    <title>{escape(p.title)}</title>
    <link rel="alternate" type="text/html" href="{_link(page, p, base_url)}"/>
    <published>{stamp}</published>
    <updated>{stamp}</updated>
    <author><name>{escape(page.title)}</name></author>
    <content type="html">{escape(body)}</content>
  </entry>""")
    updated = posts[0].at.astimezone(MSK).isoformat() if posts else world_epoch()
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{escape(page.title)}</title>
  <id>tag:mchs.prirechye.example,2026:feed</id>
  <updated>{updated}</updated>
  <link rel="self" href="{base_url}{page.address['path']}"/>
{chr(10).join(entries)}
</feed>
"""


def world_epoch() -> str:
    return "2026-01-01T00:00:00+03:00"
