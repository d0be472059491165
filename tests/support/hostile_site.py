"""A public site that leads out of scope, and an "internal" server that records what reaches it.

The site (127.0.0.1) lists items whose links go to internal addresses, ``file://``, ``data:`` and
``ftp://`` URLs, redirect chains into ``169.254.169.254`` and into names that answer internal
addresses, and a 200 MB body streamed lazily (:data:`HUGE`, never held in memory; the bytes
sent are counted). The internal server listens on the loopback alias 127.0.0.2, answers every
request with a page of replies and records it: a crawl in scope leaves it empty.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HUGE = 200 * 1024 * 1024
_CHUNK = b"x" * (256 * 1024)
REPLIES = '<div class="reply" id="r1"><p class="text">ответ из внутренней сети</p></div>'


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class RecordingServer:
    """An HTTP server on ``host`` whose ``pages`` (path -> (status, headers, body)) answer, the
    rest a 404; ``/huge`` streams :data:`HUGE` bytes without a length. Every request is recorded
    with its headers."""

    def __init__(self, host: str = "127.0.0.1", pages: dict[str, tuple[int, dict[str, str], str]] | None = None,
                 default: tuple[int, dict[str, str], str] | None = None) -> None:
        self.host = host
        self.pages = pages or {}
        self.default = default or (404, {}, "not here")
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.sent = 0  # bytes of /huge written before the client hung up
        self.lock = threading.Lock()
        self.port = 0
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> RecordingServer:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with site.lock:
                    site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if self.path == "/huge":
                    return self._stream()
                status, headers, text = site.pages.get(self.path.split("?", 1)[0], site.default)
                payload = text.encode("utf-8")
                self.send_response(status)
                for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    while site.sent < HUGE:
                        self.wfile.write(_CHUNK)
                        site.sent += len(_CHUNK)
                except OSError:  # the crawler cut the download
                    pass
                self.close_connection = True

            do_GET = do_POST = _serve  # noqa: N815

        self._server = _Server((self.host, 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def paths(self) -> list[str]:
        with self.lock:
            return [path for path, _, _ in self.requests]


def listing(links: list[str]) -> str:
    """A listing page of one item per link (its id the item's number)."""
    items = "".join(f'<div class="item" id="i{n}"><a class="link" href="{link}">тема {n}</a>'
                    f'<p class="text">тема номер {n}</p></div>' for n, link in enumerate(links, 1))
    return f"<html><body>{items}</body></html>"
