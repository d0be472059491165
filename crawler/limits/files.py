"""Turns in files, one per key, for the crawl processes of one machine.

Each key's file holds the time (Unix seconds, text) until which the key is busy. A process reads
and rewrites it under ``flock``; the lock is held for the few microseconds of one read and one
write, and the kernel drops it when its holder dies, so no crash leaves a key locked. A lock held
by another process at that instant is not waited for in the reactor: the caller is told to come
back a moment later. A time further ahead than one interval (a clock set back, a reboot, a stray
write) is taken as stale, so nothing waits longer than one interval for a key.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import time
from pathlib import Path

from crawler.exceptions import LimitsError

BUSY_RETRY = 0.0005  # seconds before asking again when another process holds a key's lock
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class FileLimiter:
    """Turns under ``directory`` (``CRAWLER_LIMITS_DIR``), created when missing.

    A folder that cannot be created or written raises :class:`LimitsError` at once: crawling on
    without the shared turns would let the processes together exceed the platforms' limits.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._files: dict[str, int] = {}
        try:
            directory.mkdir(parents=True, exist_ok=True)
            os.close(os.open(directory / ".writable", os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as exc:
            raise LimitsError(f"CRAWLER_LIMITS_DIR {str(directory)!r} is not a writable folder ({exc}); "
                              "point it at one that every crawl process of this machine can write, or "
                              "set CRAWLER_LIMITS_ENABLED=False to crawl without shared limits") from exc

    async def take(self, key: str, interval: float) -> float:
        return self.take_now(key, interval)

    def take_now(self, key: str, interval: float) -> float:
        """:meth:`take` without the coroutine (a read and a write of a few bytes, no fsync)."""
        fd = self._file(key)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return BUSY_RETRY
        try:
            now = time.time()
            busy_until = _parse(os.pread(fd, 64, 0))
            if now < busy_until <= now + interval:
                return busy_until - now
            os.pwrite(fd, b"%020.6f\n" % (now + interval), 0)
            return 0.0
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    async def close(self) -> None:
        for fd in self._files.values():
            os.close(fd)
        self._files.clear()

    def _file(self, key: str) -> int:
        fd = self._files.get(key)
        if fd is None:
            fd = os.open(self.directory / _filename(key), os.O_RDWR | os.O_CREAT, 0o600)
            self._files[key] = fd
        return fd


def _filename(key: str) -> str:
    """A readable name (``slot-t.me``) made safe, with a digest so that two keys never share one."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    return f"{_UNSAFE.sub('_', key)[:80]}.{digest}"


def _parse(raw: bytes) -> float:
    try:
        return float(raw)
    except ValueError:  # empty (a new key) or torn by a crash mid-write: free
        return 0.0
