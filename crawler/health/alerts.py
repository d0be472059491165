"""Alerts about sources: one when a source has been bad ``SOURCES_ALERT_AFTER`` crawls in a row,
one when it is good again, to the webhook and the Telegram chat that are set.

They go through the same durable outboxes as incidents and crises
(:mod:`detector.incidents.sinks`), with one attempt per crawl: what is not accepted waits in the
outbox and the next crawl of any source sends it first, so a crawl never waits on a receiver.

Settings: ``SOURCES_WEBHOOK_URL``, ``SOURCES_OUTBOX``, ``SOURCES_TELEGRAM_OUTBOX`` and the crises'
bot and chat (``SPIKES_TELEGRAM_API_URL``, ``SPIKES_TELEGRAM_TOKEN``, ``SPIKES_TELEGRAM_CHAT_ID``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from detector.incidents.sinks import TelegramSink, WebhookSink

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from crawler.health.record import SourceHealth

logger = logging.getLogger(__name__)

KIND = "source_health"
SAID = {"failing": "не отвечает", "silent": "замолчал", "degraded": "теряет поля"}


def alert_record(health: SourceHealth, event: str) -> dict[str, Any]:
    """The alert as the webhook gets it (JSON); ``event`` is "down" or "recovered"."""
    if event == "down":
        title = (f"Источник {health.source_id} ({health.platform}) {SAID.get(health.state, health.state)}: "
                 f"плохих обходов подряд: {health.bad_crawls}")
    else:
        title = f"Источник {health.source_id} ({health.platform}) снова в порядке"
    return {"id": f"{KIND}:{health.source_id}:{health.last_crawl_at}", "kind": KIND, "event": event,
            "title": title, "source_id": health.source_id, "platform": health.platform, "state": health.state,
            "reasons": list(health.reasons), "bad_crawls": health.bad_crawls, "at": health.last_crawl_at,
            "last_good_at": health.last_good_at, "last": dict(health.last)}


@dataclass
class AlertSinks:
    """The sinks that are set (none: alerts are only logged)."""

    sinks: list[WebhookSink] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> AlertSinks:
        sinks: list[WebhookSink] = []
        if settings.get("SOURCES_WEBHOOK_URL"):
            sinks.append(WebhookSink(settings.get("SOURCES_WEBHOOK_URL"), settings.get("SOURCES_OUTBOX"), retries=0))
        token, chat = settings.get("SPIKES_TELEGRAM_TOKEN"), settings.get("SPIKES_TELEGRAM_CHAT_ID")
        if token and chat:
            sinks.append(TelegramSink(settings.get("SPIKES_TELEGRAM_API_URL"), token, str(chat),
                                      settings.get("SOURCES_TELEGRAM_OUTBOX"), retries=0))
        return cls(sinks)

    def send(self, alerts: Sequence[dict[str, Any]]) -> None:
        """Queue ``alerts`` in every sink's outbox and deliver what waits there."""
        for alert in alerts:
            logger.warning("source alert: %s", alert["title"])
        for sink in self.sinks:
            if alerts or sink.pending():
                sink.send_records(alerts)
