"""Send each new incident out: a webhook that gets it as JSON, retried until it is accepted.

Incidents are first written to a durable outbox (JSON Lines, fsync'd), then posted oldest first;
one that is not accepted (no answer, or a status other than 2xx) stays in the outbox and is
retried with exponential backoff, and again at the next run, so a receiver that is down for a
day still gets every incident, in order. The receiver should treat the incident ``id`` as an
idempotency key: a crash between its 2xx and our outbox update sends one incident twice.

One process sends an outbox at a time (``<outbox>.sender.lock``, an advisory file lock): another
that finds it taken leaves the outbox to it (``busy``), so no incident goes out twice from two
runs; both may add to it meanwhile (``<outbox>.lock``, held only while the file is written). A line
that cannot be read (cut short by a full disk, edited by hand) is moved to
``<outbox stem>.quarantine.jsonl`` with the reason, counted and logged; the lines after it are sent.
"""

from __future__ import annotations

import json
import logging
import os
import time
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

import urllib3

from indexer.locking import locked
from indexer.schema import Incident

logger = logging.getLogger(__name__)


class WebhookSink:
    def __init__(self, url: str, outbox: Path | str, *, retries: int = 5, backoff: float = 1.0,
                 max_backoff: float = 60.0, timeout: float = 10.0, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.shown_url = shown_url(url)  # what logs show: a webhook's path or query often holds its token
        self.outbox = Path(outbox)
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.headers = {"Content-Type": "application/json", "User-Agent": "social-monitor", **(headers or {})}
        self.http = urllib3.PoolManager(timeout=timeout, retries=False)
        self.quarantine = self.outbox.with_name(f"{self.outbox.stem}.quarantine.jsonl")
        self.quarantined = 0  # unreadable lines this sink moved to the quarantine file
        self.busy = False  # the last flush found another process sending the outbox

    def send(self, incidents: Sequence[Incident]) -> int:
        """Queue ``incidents`` and deliver everything queued; returns how many were accepted."""
        return self.send_records([i.to_dict() for i in incidents])

    def send_records(self, records: Sequence[dict[str, Any]]) -> int:
        """Queue records already in their JSON form (a source's health alert: ``kind`` =
        ``source_health``) and deliver everything queued; returns how many were accepted."""
        self._append(list(records))
        return self.flush()

    def flush(self) -> int:
        """Deliver what waits, oldest first; 0 (and ``busy``) when another process is sending it."""
        with locked(self.outbox.with_name(self.outbox.name + ".sender.lock"), wait=False) as mine:
            self.busy = not mine
            if self.busy:
                logger.warning("outbox %s is busy: another process is sending it; left to that one",
                               self.outbox)
                return 0
            waiting, offset = self._take()
            sent = self._deliver(waiting)
            self._settle(offset, waiting[sent:])
        if sent < len(waiting):
            logger.error("webhook %s: %d incidents not accepted yet; kept in %s and retried next time",
                         self.shown_url, len(waiting) - sent, self.outbox)
        return sent

    def _deliver(self, waiting: list[dict[str, Any]]) -> int:
        """Post in order until one is refused, with backoff between rounds; how many went."""
        sent = 0
        for attempt in range(self.retries + 1):
            while sent < len(waiting) and self._post(waiting[sent]):
                sent += 1
            if sent == len(waiting):
                break
            if attempt < self.retries:
                time.sleep(min(self.max_backoff, self.backoff * 2 ** attempt))
        return sent

    def pending(self) -> int:
        return len(_parse(self._bytes())[0])

    def _post(self, incident: dict[str, object]) -> bool:
        body = json.dumps(incident, ensure_ascii=False).encode("utf-8")
        try:
            response = self.http.request("POST", self.url, body=body, headers=self.headers)
        except urllib3.exceptions.HTTPError as exc:
            logger.warning("webhook %s: %s (incident %s)", self.shown_url, _why(exc), incident.get("id"))
            return False
        if 200 <= response.status < 300:
            return True
        logger.warning("webhook %s answered %s for incident %s", self.shown_url, response.status,
                       incident.get("id"))
        return False

    def _bytes(self) -> bytes:
        return self.outbox.read_bytes() if self.outbox.exists() else b""

    def _take(self) -> tuple[list[dict[str, Any]], int]:
        """What waits, and how many bytes of the outbox that was; unreadable lines to quarantine."""
        with self._writing():
            data = self._bytes()
        records, problems = _parse(data)
        if problems:
            self._quarantine(problems)
        return records, len(data)

    def _quarantine(self, problems: list[tuple[str, str]]) -> None:
        at = datetime.now(timezone.utc).isoformat()
        with self.quarantine.open("a", encoding="utf-8") as f:
            for line, reason in problems:
                f.write(json.dumps({"quarantined_at": at, "outbox": str(self.outbox), "reason": reason,
                                    "line": line}, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.quarantined += len(problems)
        logger.warning("outbox %s: %d unreadable lines moved to %s (first: %s); the rest is sent", self.outbox,
                       len(problems), self.quarantine, problems[0][1])

    def _append(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        with self._writing(), self.outbox.open("a", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def _settle(self, offset: int, unsent: list[dict[str, Any]]) -> None:
        """Keep ``unsent`` and whatever other runs appended past ``offset`` since :meth:`_take`."""
        with self._writing():
            appended = self._bytes()[offset:]
            tmp = self.outbox.with_suffix(".part")
            with tmp.open("wb") as f:
                for record in unsent:
                    f.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
                f.write(appended)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(self.outbox)

    def _writing(self) -> AbstractContextManager[bool]:
        """The short lock every write of the outbox takes (appends by any run, a sender's rewrite)."""
        return locked(self.outbox.with_name(self.outbox.name + ".lock"), wait=True)


class TelegramSink(WebhookSink):
    """Send each new crisis as a Telegram bot message (``sendMessage``) to one chat, through the
    same outbox and retries as the webhook. ``api_url`` is ``SPIKES_TELEGRAM_API_URL`` (a test
    points it at a local server); the token comes from the environment only and is never logged."""

    def __init__(self, api_url: str, token: str, chat_id: str, outbox: Path | str, **options: Any) -> None:
        super().__init__(f"{api_url.rstrip('/')}/bot{token}/sendMessage", outbox, **options)
        self.chat_id = chat_id

    def text(self, record: dict[str, Any]) -> str:
        """What the chat reads of one outbox record."""
        return message(record)

    def _post(self, incident: dict[str, object]) -> bool:
        body = json.dumps({"chat_id": self.chat_id, "text": self.text(incident), "disable_web_page_preview": True},
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


def shown_url(url: str) -> str:
    """What a log may show of a sink's URL: its scheme, host and port. The path and query (a
    webhook's token, ``/bot<token>/``) and any ``user:password@`` stay out."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _why(exc: Exception) -> str:
    """A failed request in a few words, without the URL that urllib3's messages repeat."""
    reason = getattr(exc, "reason", None)
    return f"{type(exc).__name__} ({type(reason).__name__})" if isinstance(reason, Exception) else type(exc).__name__


def _parse(data: bytes) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The outbox's incidents, and each unreadable line with what is wrong with it."""
    records: list[dict[str, Any]] = []
    problems: list[tuple[str, str]] = []
    for number, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError is one
            problems.append((raw.decode("utf-8", "replace"), f"line {number}: {type(exc).__name__}: {exc}"))
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            problems.append((raw.decode("utf-8", "replace"), f"line {number}: not an incident (a JSON object)"))
    return records, problems


def message(incident: dict[str, Any]) -> str:
    """A crisis as a short text: what, where, why, the new words, streets, an example, the body."""
    if incident.get("kind") == "source_health":
        return _source_message(incident)
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


def _source_message(alert: dict[str, Any]) -> str:
    """A source's health alert (``crawler/health``) as a short text: which, what, since when."""
    if alert.get("event") == "recovered":
        return f"✅ {alert.get('title')}"
    lines = [f"⚠ {alert.get('title')}"]
    lines += [f"— {reason}" for reason in (alert.get("reasons") or [])[:5]]
    lines.append(f"Последний успешный обход: {alert.get('last_good_at') or 'не было'}")
    return "\n".join(lines)


def rewrite_outbox(outbox: Path | str, edit: Callable[[dict[str, Any]], dict[str, Any] | None]) -> int:
    """Put every record waiting in ``outbox`` and every line of its quarantine file through
    ``edit`` (the record, changed, or None: drop it), as erasure and retention do; returns how many
    records were changed or dropped. Waits for a sender to finish, so its rewrite cannot bring the
    old records back."""
    outbox = Path(outbox)
    files = (outbox, outbox.with_name(f"{outbox.stem}.quarantine.jsonl"))
    if not any(path.exists() for path in files):
        return 0  # never written: no locks made for it either
    touched = 0
    with locked(outbox.with_name(outbox.name + ".sender.lock"), wait=True), \
            locked(outbox.with_name(outbox.name + ".lock"), wait=True):
        for path in files:
            if path.exists():
                touched += _rewrite(path, edit)
    return touched


def _rewrite(path: Path, edit: Callable[[dict[str, Any]], dict[str, Any] | None]) -> int:
    records, problems = _parse(path.read_bytes())
    edited = [edit(record) for record in records]
    touched = sum(new != old for new, old in zip(edited, records, strict=True))
    if not touched:
        return 0
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as f:
        for record in edited:
            if record is not None:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        for line, _ in problems:  # left for the sender to quarantine, with its reason
            f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    return touched
