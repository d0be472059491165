"""The crawl scope for the browser: every connection Chromium makes goes through a local proxy.

Chromium resolves names and follows redirects itself, and Playwright's routes see neither a
redirect's later hops nor WebSockets nor a service worker's requests. So the browser is given a
proxy on 127.0.0.1 (Playwright proxies loopback too: ``<-loopback>``), and every request a page
makes — the page, scripts, fetch/XHR, iframes, each redirect hop, WebSockets (``CONNECT``) — is
a connection this proxy opens itself: to a host of the spider's sources, to an address the
:class:`AddressPolicy` allows, the very address it checked (no second lookup to rebind), and cut
once the answer passes ``DOWNLOAD_MAXSIZE``. Refusals are counted as ``scope/refused/<reason>``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from crawler.scope.policy import ScopeConfig, parse_address

if TYPE_CHECKING:
    from collections.abc import Collection

logger = logging.getLogger(__name__)

_FORBIDDEN = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_UNRESOLVED = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_HOP_HEADERS = ("proxy-connection", "proxy-authorization", "connection", "keep-alive")


class ScopeProxy:
    """An HTTP proxy that connects only where the crawl scope allows.

    ``hosts`` are the host names allowed; ``count(reason)`` is called for each refusal.
    :meth:`bind` takes the port at once (the browser's launch options need it);
    :meth:`start` serves it on the running loop.
    """

    def __init__(self, config: ScopeConfig, hosts: Collection[str], maxsize: int,
                 count: Callable[[str], None]) -> None:
        self.config = config
        self.hosts = frozenset(hosts)
        self.maxsize = maxsize
        self.count = count
        self._socket: socket.socket | None = None
        self._server: asyncio.Server | None = None

    def bind(self) -> str:
        """Listen on a free port of 127.0.0.1; returns the proxy's URL."""
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self._socket.setblocking(False)
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, sock=self._socket)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        elif self._socket is not None:
            self._socket.close()

    async def admit(self, host: str, port: int) -> tuple[str | None, str]:
        """The address to connect to for ``host``, or None and why it is refused."""
        host = host.lower().rstrip(".")
        if host not in self.hosts:
            return None, "offsite"
        pinned = self.config.hosts.get(host, host)
        if parse_address(pinned) is not None:
            candidates = [pinned]
        else:
            try:
                answers = await asyncio.get_running_loop().getaddrinfo(pinned, port, type=socket.SOCK_STREAM)
            except (OSError, RuntimeError):  # RuntimeError: the tests' network guard
                return None, "unresolved"
            candidates = [str(a[4][0]) for a in answers]
        allowed = [a for a in candidates if self.config.policy.refusal(a) is None]
        if not allowed:
            return None, "address"
        return allowed[0], ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            request = _Head.parse(head)
            if request is None:
                writer.write(_BAD)
                return
            address, reason = await self.admit(request.host, request.port)
            if reason == "unresolved":
                writer.write(_UNRESOLVED)
                return
            if address is None:
                self.count(reason)
                logger.warning("crawl scope refused the browser's %s %s:%s (%s)", request.method, request.host,
                               request.port, reason)
                writer.write(_FORBIDDEN)
                return
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(address, request.port), 30)
            upstream = up_writer
            if request.method == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                up_writer.write(request.forwarded())
            await asyncio.gather(_pipe(reader, up_writer, 0, None), _pipe(up_reader, writer, self.maxsize, self.count))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError):
            pass
        finally:
            for stream in (upstream, writer):
                if stream is not None:
                    stream.close()


class _Head:
    """A proxy request's first line and headers."""

    def __init__(self, method: str, host: str, port: int, target: str, version: str, headers: list[str]) -> None:
        self.method, self.host, self.port = method, host, port
        self.target, self.version, self.headers = target, version, headers

    @classmethod
    def parse(cls, head: bytes) -> _Head | None:
        line, *headers = head.decode("latin-1").rstrip("\r\n").split("\r\n")
        try:
            method, target, version = line.split(" ", 2)
            if method == "CONNECT":
                parts = urlsplit(f"//{target}")
                return cls(method, parts.hostname or "", parts.port or 443, target, version, headers)
            parts = urlsplit(target)
            if parts.scheme != "http" or not parts.hostname:
                return None
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            return cls(method, parts.hostname, parts.port or 80, path, version, headers)
        except ValueError:
            return None

    def forwarded(self) -> bytes:
        """The request as sent to the origin: origin-form, one request per connection."""
        kept = [h for h in self.headers if h.split(":", 1)[0].strip().lower() not in _HOP_HEADERS]
        return "\r\n".join([f"{self.method} {self.target} {self.version}", *kept, "Connection: close", "", ""]
                           ).encode("latin-1")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, cap: int,
                count: Callable[[str], None] | None) -> None:
    """Copy until the end; past ``cap`` bytes (0: no cap), count ``too_large`` and stop."""
    sent = 0
    try:
        while chunk := await reader.read(65536):
            sent += len(chunk)
            if cap and sent > cap:
                if count is not None:
                    count("too_large")
                    logger.warning("crawl scope cut a browser download at DOWNLOAD_MAXSIZE %s bytes", cap)
                break
            writer.write(chunk)
            await writer.drain()
    finally:
        writer.close()


def abort_request(request: Any) -> bool:
    """Playwright requests not made at all: heavy resources and schemes other than http(s)
    (``data:`` and ``blob:`` are read from memory)."""
    scheme = urlsplit(request.url).scheme
    return request.resource_type in ("image", "media", "font", "stylesheet") or scheme not in (
        "http", "https", "data", "blob")
