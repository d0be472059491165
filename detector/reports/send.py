"""Send a written weekly report out: its link (or path) and headline figures to the report webhook
(``REPORT_WEBHOOK_URL``) and, with the crises' bot and chat (``SPIKES_TELEGRAM_TOKEN``,
``_CHAT_ID``), to Telegram: the PDF itself as a document (``sendDocument``, the figures as its
caption) when one was written, else a message with the link.

Both go through the incidents sinks' outboxes (``REPORT_OUTBOX``, ``REPORT_TELEGRAM_OUTBOX``), so
a receiver that is down gets the report at the next run, once; the outbox keeps the PDF's path,
and a PDF gone by then is sent as the message alone.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import urllib3

from detector.incidents.sinks import TelegramSink, WebhookSink
from detector.reports.weeks import report_name

if TYPE_CHECKING:
    from detector.reports.config import ReportConfig
    from detector.reports.render import ReportFiles
    from detector.reports.weekly import WeeklyReport

logger = logging.getLogger(__name__)

CAPTION = 1024  # Telegram's limit on a document's caption, in characters


@dataclass(frozen=True, slots=True)
class Sent:
    """What one sink did with the report: accepted now, or waiting in its outbox."""

    sink: str
    accepted: int
    pending: int
    outbox: str
    busy: bool = False


def _waiting(outbox: Path) -> set[str]:
    """The ids of the records an outbox holds (an unreadable line is the sink's to quarantine)."""
    try:
        lines = outbox.read_bytes().splitlines()
    except FileNotFoundError:
        return set()
    ids = set()
    for line in lines:
        try:
            ids.add(str(json.loads(line).get("id")))
        except (ValueError, AttributeError):
            continue
    return ids


def report_record(report: WeeklyReport, files: ReportFiles, url: str = "") -> dict[str, Any]:
    """The outbox line (and the webhook's JSON): which week, where to read it, the headline figures."""
    link = f"{url.rstrip('/')}/{files.html.name}" if url else None
    return {"kind": "weekly_report", "id": report_name(report.week), "week": report.week.label,
            "title": f"Еженедельный отчёт {report.week.label}", "url": link, "html": str(files.html),
            "pdf": str(files.pdf) if files.pdf else None, "figures": report.headline()}


def report_message(record: dict[str, Any]) -> str:
    """The report as a short Russian text: the week, the figures, where to read it."""
    figures = record.get("figures") or {}
    within, change = figures.get("answered_within_24h"), figures.get("change")
    versus = "" if change is None else f" ({100 * change:+.0f}% к среднему за прошлые недели)"
    lines = [f"📊 {record.get('title')}",
             f"Инцидентов: {figures.get('incidents', 0)}{versus}; больше всего: {figures.get('top_sector') or '—'}",
             f"Ответов по существу за 24 ч: {'—' if within is None else f'{100 * within:.0f}%'}; "
             f"просрочено сейчас: {figures.get('overdue', 0)}",
             f"Сюжетов на проверку: {figures.get('fakes', 0)}, опровергнуто: {figures.get('debunked', 0)}; "
             f"всплесков: {figures.get('crises', 0)}",
             f"Отчёт: {record.get('url') or record.get('html')}"]
    return "\n".join(lines)


class ReportTelegramSink(TelegramSink):
    """The report to a Telegram chat: the PDF by ``sendDocument`` with the figures as its caption,
    or (no PDF) the figures and the link by ``sendMessage``."""

    def __init__(self, api_url: str, token: str, chat_id: str, outbox: Path | str, **options: Any) -> None:
        super().__init__(api_url, token, chat_id, outbox, **options)
        self.document_url = self.url.removesuffix("/sendMessage") + "/sendDocument"

    def text(self, record: dict[str, Any]) -> str:
        return report_message(record)

    def _post(self, incident: dict[str, object]) -> bool:
        pdf = Path(str(incident.get("pdf"))) if incident.get("pdf") else None
        if pdf is None or not pdf.is_file():
            return super()._post(incident)
        fields: dict[str, str | tuple[str, bytes, str]] = {
            "chat_id": self.chat_id, "caption": self.text(incident)[:CAPTION],
            "document": (pdf.name, pdf.read_bytes(), "application/pdf")}
        try:
            response = self.http.request("POST", self.document_url, fields=fields,
                                         headers={"User-Agent": self.headers["User-Agent"]})
        except urllib3.exceptions.HTTPError as exc:
            logger.warning("telegram %s: %s (report %s)", self.shown_url, type(exc).__name__, incident.get("id"))
            return False
        if 200 <= response.status < 300:
            return True
        logger.warning("telegram sendDocument answered %s for report %s", response.status, incident.get("id"))
        return False


def send_report(config: ReportConfig, report: WeeklyReport, files: ReportFiles) -> list[Sent]:
    """Queue the report in each configured sink's outbox and deliver what waits there."""
    sinks: list[WebhookSink] = []
    if config.webhook is not None:
        sinks.append(config.webhook.sink())
    if config.telegram is not None:
        sinks.append(config.telegram.sink(ReportTelegramSink))
    record = report_record(report, files, config.url)
    sent = []
    for sink in sinks:
        # A run again after a receiver was down: the report already waits in the outbox, send it once.
        accepted = sink.flush() if record["id"] in _waiting(sink.outbox) else sink.send_records([record])
        sent.append(Sent(type(sink).__name__, accepted, sink.pending(), str(sink.outbox), sink.busy))
    return sent
