"""Send each new incident out: a webhook that gets it as JSON, retried until it is accepted.

Incidents are first written to a durable outbox (JSON Lines, fsync'd), then posted oldest first;
one that is not accepted (no answer, or a status other than 2xx) stays in the outbox and is
retried with exponential backoff, and again at the next run, so a receiver that is down for a
day still gets every incident, in order. The receiver should treat the incident ``id`` as an
idempotency key: a crash between its 2xx and our outbox update sends one incident twice.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Sequence

import urllib3

from indexer.schema import Incident

logger = logging.getLogger(__name__)


class WebhookSink:
    def __init__(self, url: str, outbox: Path | str, *, retries: int = 5, backoff: float = 1.0,
                 max_backoff: float = 60.0, timeout: float = 10.0, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.shown_url = url  # what logs show (a subclass may hide a token in the URL)
        self.outbox = Path(outbox)
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.headers = {"Content-Type": "application/json", "User-Agent": "social-monitor", **(headers or {})}
        self.http = urllib3.PoolManager(timeout=timeout, retries=False)

    def send(self, incidents: Sequence[Incident]) -> int:
        """Queue ``incidents`` and deliver everything queued; returns how many were accepted."""
        self._append([i.to_dict() for i in incidents])
        return self.flush()

    def flush(self) -> int:
        waiting = self._read()
        sent = 0
        for attempt in range(self.retries + 1):
            while sent < len(waiting) and self._post(waiting[sent]):
                sent += 1
            if sent == len(waiting):
                break
            if attempt < self.retries:
                time.sleep(min(self.max_backoff, self.backoff * 2 ** attempt))
        self._rewrite(waiting[sent:])
        if sent < len(waiting):
            logger.error("webhook %s: %d incidents not accepted yet; kept in %s and retried next time",
                         self.shown_url, len(waiting) - sent, self.outbox)
        return sent

    def pending(self) -> int:
        return len(self._read())

    def _post(self, incident: dict[str, object]) -> bool:
        body = json.dumps(incident, ensure_ascii=False).encode("utf-8")
        try:
            response = self.http.request("POST", self.url, body=body, headers=self.headers)
        except urllib3.exceptions.HTTPError as exc:
            logger.warning("webhook %s: %s (incident %s)", self.url, exc, incident.get("id"))
            return False
        if 200 <= response.status < 300:
            return True
        logger.warning("webhook %s answered %s for incident %s", self.url, response.status, incident.get("id"))
        return False

    def _read(self) -> list[dict[str, object]]:
        if not self.outbox.exists():
            return []
        with self.outbox.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def _append(self, records: list[dict[str, object]]) -> None:
        if not records:
            return
        self.outbox.parent.mkdir(parents=True, exist_ok=True)
        with self.outbox.open("a", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def _rewrite(self, records: list[dict[str, object]]) -> None:
        tmp = self.outbox.with_suffix(".part")
        self.outbox.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.outbox)


class TelegramSink(WebhookSink):
    """Send each new crisis as a Telegram bot message (``sendMessage``) to one chat, through the
    same outbox and retries as the webhook. ``api_url`` is ``SPIKES_TELEGRAM_API_URL`` (a test
    points it at a local server); the token comes from the environment only and is never logged."""

    def __init__(self, api_url: str, token: str, chat_id: str, outbox: Path | str, **options: Any) -> None:
        super().__init__(f"{api_url.rstrip('/')}/bot{token}/sendMessage", outbox, **options)
        self.chat_id = chat_id
        self.shown_url = f"{api_url.rstrip('/')}/bot***/sendMessage"

    def _post(self, incident: dict[str, object]) -> bool:
        body = json.dumps({"chat_id": self.chat_id, "text": message(incident), "disable_web_page_preview": True},
                          ensure_ascii=False).encode("utf-8")
        try:
            response = self.http.request("POST", self.url, body=body, headers=self.headers)
        except urllib3.exceptions.HTTPError as exc:
            logger.warning("telegram %s: %s (incident %s)", self.shown_url, type(exc).__name__, incident.get("id"))
            return False
        if 200 <= response.status < 300:
            return True
        logger.warning("telegram %s answered %s for incident %s", self.shown_url, response.status, incident.get("id"))
        return False


def message(incident: dict[str, Any]) -> str:
    """A crisis as a short text: what, where, why, the new words, streets, an example, the body."""
    explanation = (incident.get("evidence") or {}).get("explanation") or {}
    lines = [f"⚠ {incident.get('title')}"]
    if explanation.get("new_words"):
        lines.append("Новые слова: " + ", ".join(explanation["new_words"][:8]))
    if explanation.get("top_streets"):
        lines.append("Улицы: " + ", ".join(f"{s} ({n})" for s, n in explanation["top_streets"][:3]))
    if explanation.get("sources"):
        lines.append("Источники: " + ", ".join(f"{s} ({n})" for s, n in explanation["sources"][:3]))
    for example in (explanation.get("examples") or [])[:2]:
        lines.append(f"— {example.get('text')}")
    lines.append(f"Исполнитель: {incident.get('body')}; инцидент {incident.get('id')}")
    return "\n".join(lines)
