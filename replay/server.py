"""The replay site: an HTTP server that plays the demo region on every platform the crawler reads.

Routes (``<base>`` is the address the server prints when it starts):

    /vk/method/wall.get, /vk/method/wall.getComments   VK API JSON (VK_API_URL = <base>/vk/method/)
    /ok/fb.do?method=mediatopic.getTopics|discussions.getComments   the OK REST API (OK_API_URL = <base>/ok/fb.do)
    /tg/s/<channel>, /tg/<channel>/<id>?embed=1&discussion=1   t.me pages (TELEGRAM_BASE_URL = <base>/tg/)
    /gov/news.rss, /mchs/warnings.atom                 RSS 2.0 and Atom
    /forum/gorodskoe-hozyaystvo/?page=N, /forum/topic/<id>.html   a windows-1251 forum
    /board/, /board/appeal/<id>, /board/api/...        a page built by JavaScript
    /robots.txt                                        disallows /forum/private/
    /_replay/advance?minutes=N, /_replay/reset, /_replay/stats   the clock, faults and counters
    /_replay/break?page=<id>&status=404 | &vk_error=15 | &drop=date|posts   a page that fails
                                from now on until the reset: a t.me/s page answers that HTTP
                                status, a VK wall that error in its 200 body; ``drop=date`` serves
                                the page's posts without their dates (t.me/s and VK walls),
                                ``drop=posts`` a t.me/s page with an empty history
    POST /_replay/publish {"page", "text", "author": {"id", "name"}}   a new post on a page, now
    /_replay/stats?arrivals=1   also each request since the reset: [arrival time (Unix seconds),
                                path, VK token or null], for tests of the crawl's pace

Faults, on unless started with ``--no-faults``, each firing once per reset unless noted: the first
older-page request of t.me/s/chp_prirechensk answers 429 with Retry-After; the first
wall.getComments on the governor's wall answers VK error 6 in a 200 body; forum page 2 is cut
mid-body (Content-Length larger than the body); one forum topic page is 5 MB; one topic's markup
stops mid-post (always); one RSS item, one Atom entry and one forum topic carry broken dates
(always); the forum is windows-1251 (always); the club ``zakrytyi_club`` is private (VK error 30).
VK tokens: ``bad-token`` fails auth (error 5); tokens starting with ``quota`` hit the daily limit
(error 29). OK calls must carry the demo application's key and a good signature (else OK errors
101 and 104, in 200 bodies); the token ``expired-token`` answers error 102.

The world starts this minute unless ``--start`` says when; with ``--repeat-every HOURS`` it goes on
writing (each page publishes its posts again every period, for ``--repeat-for`` hours). Its clock
stands still unless advanced; with ``--live`` it also runs in real time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from replay import feeds, ok, telegram, vk
from replay import web as pages
from replay.world import World, load_world

ROBOTS = "User-agent: *\nDisallow: /forum/private/\nDisallow: /board/api/private/\n"
FIVE_MB = 5 * 1024 * 1024


class ReplaySite:
    """The aiohttp application around one :class:`World`."""

    def __init__(self, world: World, faults: bool = True) -> None:
        self.world = world
        self.faults = faults
        self.fired: set[str] = set()
        self.hits: collections.Counter[str] = collections.Counter()
        self.arrivals: list[tuple[float, str, str | None]] = []
        self.broken: dict[str, dict[str, str]] = {}  # page id -> how it fails (/_replay/break)
        self.app = web.Application(middlewares=[self._count])
        self._routes()
        self._pick_fault_targets()

    def _pick_fault_targets(self) -> None:
        def newest(page_id: str, index: int) -> int | None:
            posts = self.world.posts(page_id) if page_id in self.world.pages else []
            return posts[-index].id if len(posts) >= index else None

        self.broken_rss = newest("rss_gov", 3)
        self.broken_atom = newest("atom_mchs", 2)
        self.broken_topic_date = newest("html_forum", 3)
        self.big_topic = newest("html_forum", 5)
        self.cut_topic = newest("html_forum", 7)

    def _fault(self, name: str, once: bool = True) -> bool:
        if not self.faults or (once and name in self.fired):
            return False
        self.fired.add(name)
        return True

    @web.middleware
    async def _count(self, request: web.Request, handler: Any) -> web.StreamResponse:
        arrived = time.time()
        self.hits[re.sub(r"\d+", "N", request.path)] += 1
        if not request.path.startswith("/_replay/"):
            self.arrivals.append((arrived, request.path, _token(request)))
        return await handler(request)

    def _routes(self) -> None:
        r = self.app.router
        r.add_get("/robots.txt", lambda _: web.Response(text=ROBOTS))
        r.add_route("*", "/vk/method/{method}", self.vk_method)
        r.add_route("*", "/ok/fb.do", self.ok_call)
        r.add_get("/tg/s/{channel}", self.tg_channel)
        r.add_get("/tg/{channel}/{post:\\d+}", self.tg_discussion)
        r.add_get("/gov/news.rss", self.feed("rss_gov", "application/rss+xml"))
        r.add_get("/mchs/warnings.atom", self.feed("atom_mchs", "application/atom+xml"))
        r.add_get("/forum/gorodskoe-hozyaystvo/", self.forum_listing)
        r.add_get("/forum/topic/{topic:\\d+}.html", self.forum_topic)
        r.add_get("/board/", self.board_shell)
        r.add_get("/board/appeal/{appeal:\\d+}", self.board_shell)
        r.add_get("/board/api/appeals.json", self.board_appeals)
        r.add_get("/board/api/appeal/{appeal:\\d+}.json", self.board_appeal)
        r.add_get("/_replay/advance", self.advance)
        r.add_get("/_replay/reset", self.reset)
        r.add_get("/_replay/break", self.break_page)
        r.add_get("/_replay/stats", self.stats)
        r.add_post("/_replay/publish", self.publish)

    async def vk_method(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        method = request.match_info["method"]
        token = params.pop("access_token", None) or _token(request) or ""
        body = self._vk(method, token, params)
        return web.json_response(body, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    def _vk(self, method: str, token: str, params: dict[str, str]) -> dict[str, Any]:
        if not token or token == "bad-token":
            return vk.error(5, method, params)
        if token.startswith("quota"):
            return vk.error(29, method, params)
        page = vk.find_page(self.world, params)
        if page is None:
            return vk.error(100, method, params)
        if "error" in page.address:
            return vk.error(int(page.address["error"]), method, params)
        broken = self.broken.get(page.id, {})
        if "vk_error" in broken:
            return vk.error(int(broken["vk_error"]), method, params)
        if method == "wall.get":
            body = vk.wall_get(self.world, page, params)
            if broken.get("drop") == "date":
                for item in body["response"]["items"]:
                    item.pop("date", None)
            return body
        if method == "wall.getComments":
            if page.id == "vk_governor" and self._fault("vk_error_6"):
                return vk.error(6, method, params)
            return vk.wall_get_comments(self.world, page, params)
        return vk.error(3, method, params)

    async def ok_call(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        body = ok.call(self.world, params)
        return web.json_response(body, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def tg_channel(self, request: web.Request) -> web.Response:
        page = self.world.by_address("channel", request.match_info["channel"])
        if page is None:
            return web.Response(status=302, headers={"Location": "https://telegram.org/"})
        broken = self.broken.get(page.id, {})
        if "status" in broken:
            return web.Response(status=int(broken["status"]), text="Not Found")
        before = _opt_int(request.query.get("before"))
        if before is not None and page.id == "tg_chp" and self._fault("tg_429"):
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "1"})
        if broken.get("drop") == "posts":  # the channel's page answers, its history is empty
            before = 1
        html = telegram.channel_page(self.world, page, before)
        if broken.get("drop") == "date":
            html = re.sub(r'<time datetime="[^"]*"', "<time", html)
        return _html(html)

    async def tg_discussion(self, request: web.Request) -> web.Response:
        page = self.world.by_address("channel", request.match_info["channel"])
        if page is None or request.query.get("discussion") != "1":
            raise web.HTTPNotFound()
        limit = min(_opt_int(request.query.get("comments_limit")) or 50, 100)
        html = telegram.discussion_widget(self.world, page, int(request.match_info["post"]),
                                          _opt_int(request.query.get("before")), limit)
        if html is None:
            raise web.HTTPNotFound()
        return _html(html)

    def feed(self, page_id: str, content_type: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            page = self.world.pages[page_id]
            broken = self.broken_rss if page_id == "rss_gov" else self.broken_atom
            xml = feeds.feed(self.world, page, _base(request), broken if self.faults else None)
            return web.Response(body=xml.encode("utf-8"), content_type=content_type, charset="utf-8")
        return handler

    async def forum_listing(self, request: web.Request) -> web.StreamResponse:
        number = max(_opt_int(request.query.get("page")) or 1, 1)
        html, found = pages.forum_listing(self.world, self.world.pages["html_forum"], number,
                                          self.broken_topic_date if self.faults else None)
        if not found:
            raise web.HTTPNotFound()
        body = html.encode("cp1251", errors="xmlcharrefreplace")
        if number == 2 and self._fault("forum_dataloss"):
            return await _cut_connection(request, body)
        return web.Response(body=body, content_type="text/html", charset="windows-1251")

    async def forum_topic(self, request: web.Request) -> web.Response:
        topic_id = int(request.match_info["topic"])
        pad = FIVE_MB if self.faults and topic_id == self.big_topic else 0
        html = pages.forum_topic(self.world, self.world.pages["html_forum"], topic_id, pad)
        if html is None:
            raise web.HTTPNotFound()
        body = html.encode("cp1251", errors="xmlcharrefreplace")
        if self.faults and topic_id == self.cut_topic:
            body = body[: body.rfind(b'<div class="post reply"') + 180] or body
        return web.Response(body=body, content_type="text/html", charset="windows-1251")

    async def board_shell(self, request: web.Request) -> web.Response:
        return _html(pages.board_shell(self.world.pages["js_board"].title))

    async def board_appeals(self, request: web.Request) -> web.Response:
        number = max(_opt_int(request.query.get("page")) or 1, 1)
        return _json(pages.board_appeals(self.world, self.world.pages["js_board"], number))

    async def board_appeal(self, request: web.Request) -> web.Response:
        body = pages.board_appeal(self.world, self.world.pages["js_board"], int(request.match_info["appeal"]))
        if body is None:
            raise web.HTTPNotFound()
        return _json(body)

    async def advance(self, request: web.Request) -> web.Response:
        self.world.advance(float(request.query.get("minutes", "60")))
        return _json(json.dumps({"now": self.world.now.isoformat()}))

    async def publish(self, request: web.Request) -> web.Response:
        """A new post on a page, now: ``{"page": id, "text": ..., "author": {"id", "name"}}``."""
        try:
            body = await request.json()
            page_id, text = str(body["page"]), str(body["text"])
        except (ValueError, KeyError, TypeError) as exc:
            raise web.HTTPBadRequest(text=f"expected JSON with page and text: {exc}") from exc
        if page_id not in self.world.pages:
            raise web.HTTPNotFound(text=f"no page {page_id!r}")
        author = body.get("author") or {}
        message = self.world.publish(page_id, text, author.get("id"), author.get("name"), body.get("label"))
        return _json(json.dumps({"page": page_id, "id": message.id, "at": message.at.isoformat()}))

    async def break_page(self, request: web.Request) -> web.Response:
        """``page`` fails from now on as the other parameters say, until the reset."""
        page_id = request.query.get("page", "")
        if page_id not in self.world.pages:
            raise web.HTTPNotFound(text=f"no page {page_id!r}")
        how = {k: v for k, v in request.query.items() if k in ("status", "vk_error", "drop")}
        if not how:
            raise web.HTTPBadRequest(text="expected status=N, vk_error=N, drop=date or drop=posts")
        self.broken[page_id] = how
        return _json(json.dumps({"page": page_id, **how}))

    async def reset(self, request: web.Request) -> web.Response:
        self.fired.clear()
        self.broken.clear()
        self.hits.clear()
        self.arrivals.clear()
        self.world.advanced = self.world.advanced * 0
        return _json(json.dumps({"now": self.world.now.isoformat()}))

    async def stats(self, request: web.Request) -> web.Response:
        stats: dict[str, Any] = {"hits": dict(self.hits), "fired": sorted(self.fired),
                                 "now": self.world.now.isoformat()}
        if request.query.get("arrivals") == "1":
            stats["arrivals"] = self.arrivals
        return _json(json.dumps(stats))


async def _cut_connection(request: web.Request, body: bytes) -> web.StreamResponse:
    """Announce the whole body, send 60% of it and drop the connection (a data-loss failure)."""
    response = web.StreamResponse(headers={"Content-Type": "text/html; charset=windows-1251"})
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) * 6 // 10])
    if request.transport is not None:
        request.transport.close()
    return response


def _token(request: web.Request) -> str | None:
    """The VK token of a request, sent as the crawler sends it (``Authorization: Bearer``)."""
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ") if header.startswith("Bearer ") else None


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html", charset="utf-8")


def _json(text: str) -> web.Response:
    return web.Response(text=text, content_type="application/json", charset="utf-8")


def _opt_int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


async def serve(host: str, port: int, faults: bool, world: World) -> None:
    site = ReplaySite(world, faults=faults)
    runner = web.AppRunner(site.app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, host, port)
    await tcp.start()
    actual = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"http://{host}:{actual}", flush=True)
    await asyncio.Event().wait()


def _moment(value: str) -> datetime:
    """``--start``: an ISO 8601 time, UTC unless it says otherwise."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time, got {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m replay", description="Serve the demo region.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--no-faults", action="store_true", help="serve every route cleanly")
    parser.add_argument("--scale", type=int, default=1, help="repeat each page's history N times (benchmarks)")
    parser.add_argument("--start", type=_moment, help="the world's \"now\" when it starts, ISO 8601 (default: "
                                                      "this minute)")
    parser.add_argument("--repeat-every", type=float, metavar="HOURS",
                        help="every page publishes its posts again every HOURS after the start (a world that "
                             "goes on writing)")
    parser.add_argument("--repeat-for", type=float, default=168.0, metavar="HOURS",
                        help="how long after the start it goes on (default: a week)")
    parser.add_argument("--live", action="store_true", help="the world's clock runs in real time too")
    args = parser.parse_args(argv)
    if args.repeat_every is not None and args.repeat_every <= 0:
        parser.error(f"--repeat-every: expected a positive number of hours, got {args.repeat_every}")
    repeat = timedelta(hours=args.repeat_every) if args.repeat_every else None
    world = load_world(args.start, scale=args.scale, repeat_every=repeat,
                       repeat_for=timedelta(hours=args.repeat_for), live=args.live)
    try:
        asyncio.run(serve(args.host, args.port, not args.no_faults, world))
    except KeyboardInterrupt:
        sys.exit(0)
