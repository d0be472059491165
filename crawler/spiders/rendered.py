"""Web listings that need JavaScript, rendered by Chromium through scrapy-playwright.

The same selectors and cursor logic as the ``html`` spider; each page is opened in headless
Chromium and read once the watchlist's ``wait_for`` selector appears. Playwright cannot download
its own browser on machines without internet, so the executable is a setting: Debian's
``chromium-headless-shell`` by default (faster and lighter than full Chromium; PLATFORMS.md §1).

Settings: ``RENDERED_CHROMIUM_PATH``, ``RENDERED_MAX_PAGES``, ``RENDERED_TIMEOUT_MS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy_playwright.page import PageMethod

from crawler.spiders.html import HtmlListingSpider

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from crawler.watchlist import Source

CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--disable-background-networking", "--disable-extensions", "--no-first-run",
                 "--disable-sync", "--disable-component-update", "--disable-default-apps",
                 "--mute-audio"]


def _abort_heavy(request: Any) -> bool:
    return request.resource_type in ("image", "media", "font", "stylesheet")


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
        settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", {
            "executable_path": settings.get("RENDERED_CHROMIUM_PATH"), "headless": True,
            "args": CHROMIUM_ARGS, "timeout": timeout}, priority="spider")
        settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", timeout, priority="spider")
        settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", settings.getint("RENDERED_MAX_PAGES"),
                     priority="spider")
        settings.set("PLAYWRIGHT_ABORT_REQUEST", _abort_heavy, priority="spider")

    def page_request(self, url: str, source: Source, callback: Any, wait_for: str | None,
                     **meta: Any) -> Request:
        methods = [PageMethod("wait_for_selector", wait_for)] if wait_for else []
        return Request(url, callback=callback, errback=self.on_error,
                       meta=self.meta(source, playwright=True, playwright_page_methods=methods, **meta))
