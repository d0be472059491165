"""A threaded HTTP server on 127.0.0.1 for the service doubles (Elasticsearch, Kibana).

The doubles answer over real HTTP, so the code under test goes through its real client and
transport. The server can be stopped and started again on the same port (connections refused in
between), can drop the next N connections without an answer, and records every request.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class HttpDouble:
    """Subclasses implement :meth:`handle`; the server, faults and the request log live here."""

    content_type = "application/json"
    logged_body_limit: int | None = None  # bodies above this many bytes are logged empty

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        self._drop = 0
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HttpDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with double.lock:
                    double._connections.add(self.connection)

            def finish(self) -> None:
                with double.lock:
                    double._connections.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(self.command, parts.path,
                                  {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                with double.lock:
                    if double.dropping(request):
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    limit = double.logged_body_limit
                    double.requests.append(request if limit is None or len(body) <= limit
                                           else dataclasses.replace(request, body=b""))
                response = double.handle(request)
                payload = b"" if response.body is None else (
                    response.body if isinstance(response.body, bytes) else _json(response.body))
                self.send_response(response.status)
                headers = {"Content-Type": double.content_type, **double.headers(), **response.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve  # noqa: N815

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True,
                                        name=f"{type(self).__name__}:{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listening socket and open connections: connections are refused until :meth:`start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._connections.clear()

    def drop_connections(self, count: int) -> None:
        """Close the next ``count`` requests' connections without an answer."""
        with self.lock:
            self._drop = count

    def dropping(self, request: Request) -> bool:
        """Whether to close this request's connection without an answer (called under the lock)."""
        if self._drop > 0:
            self._drop -= 1
            return True
        return False

    def headers(self) -> dict[str, str]:
        return {}

    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def __enter__(self) -> HttpDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _json(body: Any) -> bytes:
    """orjson where it can (large search answers: ~10x faster), json where it cannot (ints past 64 bits)."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, ensure_ascii=False).encode()
