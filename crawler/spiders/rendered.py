"""Web listings that need JavaScript, rendered by Chromium through scrapy-playwright.

The same selectors and cursor logic as the ``html`` spider; each page is opened in headless
Chromium and read once the watchlist's ``wait_for`` selector appears. Playwright cannot download
its own browser on machines without internet, so the executable is a setting: Debian's
``chromium-headless-shell`` by default (faster and lighter than full Chromium; PLATFORMS.md §1).

Chromium runs sandboxed: as the crawler's user, or, when the crawler is root (where Chromium
refuses its sandbox), as ``RENDERED_CHROMIUM_USER`` (:mod:`crawler.scope.sandbox`). Every
connection it makes goes through the crawl scope's proxy (:mod:`crawler.scope.browser`): the
sources' hosts only, no internal address, answers cut at ``DOWNLOAD_MAXSIZE``; downloads and
service workers are refused, images, media, fonts and styles never requested.

Settings: ``RENDERED_CHROMIUM_ARGS``, ``RENDERED_CHROMIUM_PATH``, ``RENDERED_CHROMIUM_USER``,
``RENDERED_MAX_PAGES``, ``RENDERED_TIMEOUT_MS``.
"""

from __future__ import annotations

import json
import logging
import os
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy_playwright.page import PageMethod

from crawler.exceptions import SettingError
from crawler.scope.browser import ScopeProxy
from crawler.scope.policy import ScopeConfig
from crawler.scope.sandbox import account_of, namespaces_allowed, remove_launcher, unprivileged_launcher
from crawler.spiders.html import HtmlListingSpider

if TYPE_CHECKING:
    from pathlib import Path

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from crawler.watchlist import Source

logger = logging.getLogger(__name__)

CHROMIUM_ARGS = ["--disable-dev-shm-usage", "--disable-gpu",
                 "--disable-background-networking", "--disable-extensions", "--no-first-run",
                 "--disable-sync", "--disable-component-update", "--disable-default-apps",
                 "--mute-audio"]


def _switches(settings: BaseSettings) -> list[str]:
    """``RENDERED_CHROMIUM_ARGS``: a list; on the command line a JSON list (switches hold commas)."""
    value = settings.get("RENDERED_CHROMIUM_ARGS")
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise SettingError(f"RENDERED_CHROMIUM_ARGS: not a JSON list: {value!r}") from exc
    return [str(v) for v in (value.split(",") if isinstance(value, str) else value or [])]


class RenderedListingSpider(HtmlListingSpider):
    name = "rendered"
    platform = "rendered"

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
        timeout = settings.getint("RENDERED_TIMEOUT_MS")
        settings.set("DOWNLOAD_HANDLERS", {"http": handler, "https": handler}, priority="spider")
        settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority="spider")
        settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", timeout, priority="spider")
        settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", settings.getint("RENDERED_MAX_PAGES"),
                     priority="spider")
        settings.set("PLAYWRIGHT_ABORT_REQUEST", "crawler.scope.browser.abort_request", priority="spider")
        settings.set("PLAYWRIGHT_CONTEXTS", {"default": {"accept_downloads": False, "service_workers": "block"}},
                     priority="spider")

    def _load(self, crawler: Crawler) -> None:
        super()._load(crawler)
        settings = crawler.settings
        self.launcher: Path | None = None
        self.sandboxed = False
        self.proxy = ScopeProxy(ScopeConfig.from_settings(settings), self.scope_hosts(None),
                                settings.getint("DOWNLOAD_MAXSIZE"), self._refused)
        executable, sandbox = self._executable(settings)
        args = [*CHROMIUM_ARGS, *_switches(settings), *([] if sandbox else ["--no-sandbox"])]
        # Set here, not in update_settings: the proxy's port and the launcher exist only now.
        settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", {
            "executable_path": executable, "headless": True, "args": args, "chromium_sandbox": sandbox,
            "proxy": {"server": self.proxy.bind()}, "timeout": settings.getint("RENDERED_TIMEOUT_MS")},
            priority="spider")
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    def _executable(self, settings: BaseSettings) -> tuple[str, bool]:
        """The executable Playwright starts, and whether Chromium's sandbox is on."""
        chromium = settings.get("RENDERED_CHROMIUM_PATH")
        user = settings.get("RENDERED_CHROMIUM_USER") if os.geteuid() == 0 else None
        account = account_of(user) if user else None
        if user:
            self.launcher = unprivileged_launcher(chromium, user)
        elif os.geteuid() == 0:
            logger.warning("Chromium runs as root without its sandbox: RENDERED_CHROMIUM_USER is empty")
        sandbox = (os.geteuid() != 0 or account is not None) and namespaces_allowed(account)
        if not sandbox and (os.geteuid() != 0 or account is not None):
            logger.warning("Chromium runs without its sandbox: %s cannot create user namespaces here "
                           "(docs/CRAWL_SCOPE.md)", user or "this user")
        self.sandboxed = sandbox
        return (str(self.launcher) if self.launcher else chromium), sandbox

    def _refused(self, reason: str) -> None:
        self.crawler.stats.inc_value(f"browser/refused/{reason}")
        self.crawler.stats.inc_value(f"scope/refused/{reason}")

    async def _opened(self) -> None:
        self.crawler.stats.set_value("browser/sandboxed", int(self.sandboxed))
        await self.proxy.start()

    async def _closed(self) -> None:
        await self.proxy.close()
        if self.launcher is not None:
            remove_launcher(self.launcher)

    def page_request(self, url: str, source: Source, callback: Any, wait_for: str | None,
                     **meta: Any) -> Request:
        methods = [PageMethod("wait_for_selector", wait_for)] if wait_for else []
        return Request(url, callback=callback, errback=self.on_error,
                       meta=self.meta(source, playwright=True, playwright_page_methods=methods, **meta))
