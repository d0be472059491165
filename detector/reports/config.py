"""The weekly report's configuration, read once from settings (``REPORT_*``; the Telegram bot and
chat are the crises' ``SPIKES_TELEGRAM_*``, the retries the incidents webhook's).

    config = ReportConfig.from_settings({"REPORT_DIR": "var/reports", "REPORT_WEEKDAY": 1})
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from detector.config import TelegramChat, Webhook
from detector.exceptions import ConfigError


@dataclass(frozen=True)
class ReportConfig:
    """Where reports go, when the scheduler makes them, what they list and where they are sent."""

    folder: str = "var/reports"
    weekday: int = 1  # ISO weekday; 0: the scheduler never writes one
    hour: int = 6  # UTC
    top: int = 10
    trend_weeks: int = 8
    url: str = ""  # where ``folder`` is served; empty: messages give the file's path
    webhook: Webhook | None = None
    telegram: TelegramChat | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> ReportConfig:
        """From Scrapy settings or any mapping; a value no report could use is a :class:`ConfigError`."""
        get = settings.get
        numbers = {name: _whole(get, setting, default) for name, setting, default in (
            ("weekday", "REPORT_WEEKDAY", 1), ("hour", "REPORT_HOUR", 6), ("top", "REPORT_TOP", 10),
            ("trend_weeks", "REPORT_TREND_WEEKS", 8))}
        retries, backoff = int(get("INCIDENTS_WEBHOOK_RETRIES") or 5), float(get("INCIDENTS_WEBHOOK_BACKOFF") or 1.0)
        webhook = (Webhook(str(get("REPORT_WEBHOOK_URL")), str(get("REPORT_OUTBOX") or "var/outbox/reports.jsonl"),
                           retries, backoff) if get("REPORT_WEBHOOK_URL") else None)
        token, chat = get("SPIKES_TELEGRAM_TOKEN"), get("SPIKES_TELEGRAM_CHAT_ID")
        telegram = (TelegramChat(str(get("SPIKES_TELEGRAM_API_URL") or "https://api.telegram.org/"), str(token),
                                 str(chat), str(get("REPORT_TELEGRAM_OUTBOX") or "var/outbox/reports-telegram.jsonl"),
                                 retries, backoff) if token and chat else None)
        config = cls(str(get("REPORT_DIR") or "var/reports"), url=str(get("REPORT_URL") or ""), webhook=webhook,
                     telegram=telegram, **numbers)
        config.check()
        return config

    def check(self) -> None:
        if not 0 <= self.weekday <= 7:
            raise ConfigError(f"REPORT_WEEKDAY={self.weekday}: expected 1 (Monday) to 7 (Sunday), or 0 for never")
        if not 0 <= self.hour <= 23:
            raise ConfigError(f"REPORT_HOUR={self.hour}: expected an hour from 0 to 23 (UTC)")
        if self.top < 1 or self.trend_weeks < 1:
            raise ConfigError(f"REPORT_TOP={self.top} and REPORT_TREND_WEEKS={self.trend_weeks}: expected at least 1")


def _whole(get: Any, setting: str, default: int) -> int:
    raw = get(setting)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{setting}={raw!r}: expected a whole number") from exc
