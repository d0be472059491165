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
from typing import Sequence

import urllib3

from indexer.schema import Incident

logger = logging.getLogger(__name__)


class WebhookSink:
    def __init__(self, url: str, outbox: Path | str, *, retries: int = 5, backoff: float = 1.0,
                 max_backoff: float = 60.0, timeout: float = 10.0, headers: dict[str, str] | None = None) -> None:
        self.url = url
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
                         self.url, len(waiting) - sent, self.outbox)
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
