"""Errors of the crawler package.

    CrawlerError
    ├── WatchlistError   a watchlist file is missing, unreadable or invalid (CLI exit code 2)
    ├── LimitsError      the limits shared by crawl processes cannot be kept (their folder is not
    │                    writable, or REDIS_URL is set without the redis package)
    └── VkApiError       VK answered with an ``error`` object (inside an HTTP 200 response)
"""

from __future__ import annotations

from typing import Sequence


class CrawlerError(Exception):
    """Base of every crawler error."""


class WatchlistError(CrawlerError):
    """A watchlist cannot be used; the message names the file, the source and the field.
    ``problems`` holds each field's problem as (source, field, message) when the file was read."""

    def __init__(self, message: str, problems: Sequence[tuple[str, str, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class SettingError(CrawlerError):
    """A setting's value cannot be used; the message names the setting."""


class LimitsError(CrawlerError):
    """The shared limiter cannot start; the message names the setting and what to change."""


class VkApiError(CrawlerError):
    """An ``{"error": {...}}`` body from the VK API."""

    def __init__(self, code: int, message: str, method: str) -> None:
        super().__init__(f"VK API error {code} in {method}: {message}")
        self.code = code
        self.message = message
        self.method = method
