"""Run the replay site in a child process, as tests, the demo and the benchmarks do."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta
from typing import Any


class ReplayProcess:
    """``with ReplayProcess() as site: site.url("/vk/method/")`` — the server lives for the block."""

    def __init__(self, port: int = 0, faults: bool = True, scale: int = 1, *, start: datetime | None = None,
                 repeat_every: timedelta | None = None, repeat_for: timedelta = timedelta(days=7),
                 live: bool = False) -> None:
        self.port = port
        self.faults = faults
        self.scale = scale
        self.start = start
        self.repeat_every = repeat_every
        self.repeat_for = repeat_for
        self.live = live
        self.base = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ReplayProcess:
        args = [sys.executable, "-m", "replay", "--port", str(self.port)]
        if not self.faults:
            args.append("--no-faults")
        if self.scale != 1:
            args += ["--scale", str(self.scale)]
        if self.start is not None:
            args += ["--start", self.start.isoformat()]
        if self.repeat_every is not None:
            args += ["--repeat-every", str(self.repeat_every / timedelta(hours=1)),
                     "--repeat-for", str(self.repeat_for / timedelta(hours=1))]
        if self.live:
            args.append("--live")
        self._proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self._proc.kill()
            raise RuntimeError(f"replay site did not start (printed {line!r})")
        self.base = line
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            if self._proc.stdout is not None:
                self._proc.stdout.close()

    def url(self, path: str = "") -> str:
        return self.base + path

    def crawl_settings(self, store_url: str) -> dict[str, Any]:
        """Settings that point a crawl of the demo watchlist at this site, into ``store_url``.

        Only base URLs and the pace differ from a real crawl: the site is local, so the politeness
        delays that protect real sites are lifted, loopback is let through the crawl scope (which
        refuses it by default), and the VK and OK spiders get the site's demo credentials.
        """
        return {
            "WATCHLIST": "", "WATCHLIST_BASE_URL": self.base, "INDEXER_STORE_URL": store_url,
            "VK_API_URL": f"{self.base}/vk/method/", "TELEGRAM_BASE_URL": f"{self.base}/tg/",
            "VK_TOKENS": ["demo-token-1", "demo-token-2"], "VK_REQUESTS_PER_SECOND": 20,
            "TELEGRAM_REQUESTS_PER_SECOND": 20, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
            "VK_BACKOFF_START": 0.5, "LOG_LEVEL": "WARNING",
            "OK_API_URL": f"{self.base}/ok/fb.do", "OK_REQUESTS_PER_SECOND": 20,
            "CRAWLER_ALLOW_NETWORKS": ["127.0.0.0/8"],
            "OK_APPLICATION_KEY": "CBADEMOAPPKEY", "OK_ACCESS_TOKEN": "demo-ok-token", "OK_SECRET": "demo-ok-secret",
        }

    def publish(self, page: str, text: str, author: dict[str, Any] | None = None) -> dict[str, Any]:
        """Publish a new post on ``page`` now (``/_replay/publish``); returns its id and time."""
        body = json.dumps({"page": page, "text": text, "author": author or {}}).encode()
        request = urllib.request.Request(self.url("/_replay/publish"), data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())

    def control(self, action: str, **params: Any) -> dict[str, Any]:
        """Call ``/_replay/<action>`` (advance, reset, stats, break) and return its JSON."""
        query = "&".join(f"{k}={v}" for k, v in params.items())
        with urllib.request.urlopen(self.url(f"/_replay/{action}?{query}"), timeout=10) as resp:
            return json.loads(resp.read())
