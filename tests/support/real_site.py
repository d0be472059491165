"""Real platform bodies (tests/fixtures/real) served over HTTP on 127.0.0.1, for crawls.

``/vk/method/wall.get`` answers with the real VK post objects of the fixtures, newest first, as one
wall (paged by ``offset``/``count``); ``/vk/method/wall.getComments`` with the real comments body for
any post; ``/tg/s/<channel>`` with the saved t.me/s page of that channel.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.http_double import HttpDouble, Request, Response

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "real"
WALLS = ("wall_get_repost_old_photo.json", "wall_get_repost_poll.json", "wall_repost_with_own_text.json",
         "wall_get_sizes_entities_link.json", "wall_get_video_old.json")
PAGES = {"tchantest": "tchantest.html", "CamaradosDeputados": "camaradosdeputados.html"}


def _body(name: str) -> dict[str, Any]:
    return dict(json.loads((REAL / "vk" / name).read_text(encoding="utf-8"))["response"])


class RealBodiesSite(HttpDouble):
    def __init__(self) -> None:
        super().__init__()
        bodies = [_body(name) for name in WALLS]
        self.items = sorted((item for b in bodies for item in b["items"]), key=lambda item: -item["date"])
        self.profiles = [p for b in bodies for p in b.get("profiles") or []]
        self.groups = [g for b in bodies for g in b.get("groups") or []]
        self.comments = _body("wall_get_comments_br_old_photo.json")

    def handle(self, request: Request) -> Response:
        if request.path == "/vk/method/wall.get":
            start, count = int(request.query.get("offset", 0)), int(request.query.get("count", 100))
            return Response(200, {"response": {"count": len(self.items), "items": self.items[start:start + count],
                                               "profiles": self.profiles, "groups": self.groups}})
        if request.path == "/vk/method/wall.getComments":
            return Response(200, {"response": self.comments})
        channel = request.path.removeprefix("/tg/s/")
        if channel in PAGES:
            page = (REAL / "telegram" / PAGES[channel]).read_bytes()
            return Response(200, page, {"Content-Type": "text/html; charset=utf-8"})
        return Response(404, {"error": f"no real body at {request.path}"})

    def crawl_settings(self, store_url: str) -> dict[str, Any]:
        """Settings that point a crawl at this site, into ``store_url``, reading back to 2010."""
        return {"INDEXER_STORE_URL": store_url, "VK_API_URL": f"{self.url}/vk/method/",
                "TELEGRAM_BASE_URL": f"{self.url}/tg/", "VK_TOKENS": ["real-bodies-token"],
                "VK_REQUESTS_PER_SECOND": 20, "TELEGRAM_REQUESTS_PER_SECOND": 20, "DOWNLOAD_DELAY": 0,
                "AUTOTHROTTLE_ENABLED": False, "CRAWLER_ALLOW_NETWORKS": ["127.0.0.0/8"],
                "CRAWLER_BACKFILL_SINCE": "2010-01-01T00:00:00+00:00"}
