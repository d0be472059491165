"""The workspace under test: uvicorn serving the app on 127.0.0.1 (a free port) in a thread, the
staff accounts of each role, and a small region's incidents, fact-check item and posts."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from indexer.schema import Author, Incident, Post, Territory, utcnow

if TYPE_CHECKING:
    from indexer.store import Store
    from web.state import Workspace

PASSWORD = "correct horse battery"
ROLES = {"olga": "operator", "fedor": "fact-checker", "sveta": "supervisor", "anna": "admin"}
TOWN = "Приреченск"


class WebServer:
    """``with WebServer(ws, kind) as server: server.url("/queue")``."""

    def __init__(self, ws: Workspace, kind: str = "sqlite") -> None:
        import uvicorn

        from web import create_app

        self.ws, self.kind = ws, kind
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(create_app(ws), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> WebServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the workspace did not start in 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()


def post(number: str, text: str, *, hours_ago: float = 1, cluster: str | None = None, source: str = "vk_city",
         author: str = "Мария Соколова") -> Post:
    owner, item = number.split(":")
    return Post(id=f"vk:-{owner}:{item}", platform="vk", source_id=source, kind="post", text=text,
                created_at=utcnow() - timedelta(hours=hours_ago), url=f"https://vk.com/wall-{owner}_{item}",
                author=Author(id="id1", name=author), cluster_id=cluster, is_complaint=cluster is None)


def seed(store: Store, *, xss: str) -> None:
    """Four routing incidents (one overdue, one with collected HTML), one fact-check story."""
    now = utcnow()
    place = Territory(TOWN, "Заречный", "ул. Речная", "14", f"{TOWN}, ул. Речная, 14", (56.31, 44.02), "text")
    posts = [post("1:1", "Третий день нет воды на Речной, 14"), post("1:2", "Подтверждаю, воды нет"),
             post("1:3", xss), post("1:4", "Яма на Лесной, машины бьются"), post("1:5", "Свет отключили"),
             *(post(f"2:{n}", f"Вышки 5G вызывают болезни, передайте всем {n}", hours_ago=10 - n,
                    cluster="story-tower", source=f"tg_{n}", author=f"канал {n}") for n in range(1, 6))]
    store.upsert(posts)

    def routing(ident: str, title: str, post_ids: list[str], hours: float, body: str) -> Incident:
        return Incident(id=ident, kind="complaint", queue="routing", opened_at=now - timedelta(hours=3), title=title,
                        sector="utilities", territory=place, body=body, deadline=now + timedelta(hours=hours),
                        post_ids=post_ids, sources=["vk_city"])

    store.upsert_incidents([
        routing("inc-water", "Нет воды на Речной", ["vk:-1:1", "vk:-1:2"], 20, "МУП «Водоканал»"),
        routing("inc-xss", "Жалоба со странным текстом", ["vk:-1:3"], 30, "МУП «Водоканал»"),
        routing("inc-roads", "Яма на Лесной", ["vk:-1:4"], 40, "Управление дорог"),
        routing("inc-late", "Отключили свет", ["vk:-1:5"], -2, "Электросети"),
        Incident(id="fc-tower", kind="fake", queue="factcheck", opened_at=now - timedelta(hours=9), priority="high",
                 title="Вышки 5G вызывают болезни", post_ids=[f"vk:-2:{n}" for n in range(1, 6)],
                 sources=[f"tg_{n}" for n in range(1, 6)], cluster_id="story-tower", fake=0.91,
                 evidence={"rumour": {"call_to_share": ["передайте всем"]},
                           "spread": {"sources": 5, "hours": 6.0, "platforms": ["vk"], "new_sources_per_hour": [2, 3]},
                           "registry": {"id": "towers_5g", "claim": "Вышки 5G вызывают болезни", "status": "debunked",
                                        "debunk": "https://stopfake.example/5g"},
                           "denied_by": [{"id": "rss:gov:1", "source_id": "rss_gov", "url": "https://gov.example/5g",
                                          "text": "Минздрав: вышки 5G безопасны"}]}),
    ])
