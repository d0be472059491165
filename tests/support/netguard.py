"""The test suite's network guard: nothing a test runs may connect outside 127.0.0.0/8 and ::1.

Installed in the pytest process by ``tests/conftest.py`` and in every Python child process through
``netguard_site/sitecustomize.py`` (its folder is put first on ``PYTHONPATH``), so even a broken
protection under test cannot send a packet out: ``socket.socket.connect``/``connect_ex`` (Twisted's
and asyncio's connects go through them), ``socket.create_connection`` and name lookups of anything
but ``localhost`` raise :class:`NetworkGuardError`. Each violation is also appended to the file
named by ``NETGUARD_LOG``, and the suite's autouse fixture fails the test that caused one, in
whichever process it happened (an exception inside Twisted's reactor would only be logged).
Chromium is its own process: browser tests give it ``--host-resolver-rules`` that map every name
to nothing (:data:`CHROMIUM_GUARD`) besides the ones they play.
"""

from __future__ import annotations

import os
import socket
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

LOG_ENV = "NETGUARD_LOG"
SITE = Path(__file__).resolve().parent / "netguard_site"
LOOPBACK = (ip_network("127.0.0.0/8"), ip_network("::1/128"))
CHROMIUM_GUARD = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
_original: dict[str, Any] = {}


class NetworkGuardError(RuntimeError):
    """A test tried to reach an address outside loopback (not an OSError: nothing may take it
    for an ordinary refused connection)."""


def allowed(host: object) -> bool:
    """Whether ``host`` (an address tuple's host) is loopback; names other than localhost are not."""
    if host in ("localhost", b"localhost"):
        return True
    try:
        address = ip_address(str(host.decode() if isinstance(host, bytes) else host).split("%", 1)[0])
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None) is not None:
        address = address.ipv4_mapped  # type: ignore[union-attr]
    return any(address in net for net in LOOPBACK)


def violation(what: str) -> NetworkGuardError:
    """Record and return the error for a refused connect or lookup."""
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {what}\n")
    return NetworkGuardError(f"netguard: {what} refused: tests may only reach 127.0.0.0/8 and ::1")


def _check(address: Any, family: int) -> None:
    if family in (socket.AF_INET, socket.AF_INET6) and not allowed(address[0]):
        raise violation(f"connect to {address!r}")


def _connect(self: socket.socket, address: Any) -> None:
    _check(address, self.family)
    _original["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check(address, self.family)
    return int(_original["connect_ex"](self, address))


def _create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
    if not allowed(address[0]):
        raise violation(f"create_connection to {address!r}")
    return _original["create_connection"](address, *args, **kwargs)  # type: ignore[no-any-return]


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not allowed(host):
        raise violation(f"name lookup of {host!r}")
    return _original["getaddrinfo"](host, *args, **kwargs)


def install() -> None:
    """Patch the socket module in this process (once)."""
    if _original:
        return
    _original.update(connect=socket.socket.connect, connect_ex=socket.socket.connect_ex,
                     create_connection=socket.create_connection, getaddrinfo=socket.getaddrinfo)
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.create_connection = _create_connection
    socket.getaddrinfo = _getaddrinfo


def installed() -> bool:
    return socket.socket.connect is _connect  # type: ignore[comparison-overlap]


def child_environment(log: Path) -> None:
    """Make every Python child process install the guard and report into ``log``."""
    paths = [str(SITE), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    os.environ[LOG_ENV] = str(log)
