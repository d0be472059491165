"""The workspace's settings, read once: ``WEB_HOST``, ``WEB_PORT``, ``WEB_PAGE_SIZE``, ``WEB_SECRET``,
``WEB_SECURE_COOKIES``, ``WEB_SESSION_SECONDS``, ``WEB_TILES_URL``, ``WEB_USERS_FILE``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Mapping

from web.exceptions import WebConfigError


@dataclass(frozen=True, slots=True)
class WebConfig:
    """What the app needs besides the store and the detector's files.

        WebConfig.from_settings(load_settings({"WEB_PORT": 9000}))
    """

    host: str = "127.0.0.1"
    port: int = 8080
    page_size: int = 50
    secret: str = ""
    secure_cookies: bool = False
    session_seconds: int = 8 * 3600
    tiles_url: str = ""
    users_file: str = "var/web.db"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> WebConfig:
        def number(name: str, low: int) -> int:
            try:
                value = int(settings[name])
            except (TypeError, ValueError) as exc:
                raise WebConfigError(f"{name}={settings[name]!r}: expected a whole number") from exc
            if value < low:
                raise WebConfigError(f"{name}={value}: expected at least {low}")
            return value

        secure = settings["WEB_SECURE_COOKIES"]
        return cls(host=str(settings["WEB_HOST"]), port=number("WEB_PORT", 0), page_size=number("WEB_PAGE_SIZE", 1),
                   secret=str(settings["WEB_SECRET"] or "") or secrets.token_urlsafe(32),
                   secure_cookies=secure if isinstance(secure, bool) else str(secure).lower() in ("1", "true", "on"),
                   session_seconds=number("WEB_SESSION_SECONDS", 60), tiles_url=str(settings["WEB_TILES_URL"] or ""),
                   users_file=str(settings["WEB_USERS_FILE"]))
