"""`monitor report` writes the week's files and sends them (the link and figures to a webhook, the PDF
to Telegram by sendDocument, a message when there is no PDF); a bad week is one line and exit 2; the
scheduler writes and sends last week's report once it is due, and only once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from crawler.process import project_settings
from crawler.scheduler import Scheduler
from detector.reports.config import ReportConfig
from detector.reports.render import ReportFiles
from detector.reports.send import send_report
from detector.reports.weekly import build_weekly
from indexer.sqlite.store import SqliteStore
from tests.support.http_double import HttpDouble, Request, Response
from tests.test_report_weekly import NAMES, NOW, WEEK, demo_week
from tests.test_schedule import write_watchlist

ROOT = Path(__file__).resolve().parent.parent


class Receiver(HttpDouble):
    """Stands in for the report webhook and the Telegram Bot API; keeps every request."""

    def handle(self, request: Request) -> Response:
        return Response(200, {"ok": True})

    def got(self, suffix: str) -> list[Request]:
        return [r for r in self.requests if r.path.endswith(suffix)]


def demo_store(tmp_path: Path) -> str:
    store = SqliteStore(tmp_path / "monitor.db")
    store.upsert_incidents(demo_week())
    store.close()
    return f"sqlite:///{tmp_path / 'monitor.db'}"


def monitor_report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", "report", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def sending(receiver: Receiver, tmp_path: Path) -> dict[str, str]:
    return {"REPORT_WEBHOOK_URL": f"{receiver.url}/hook", "REPORT_OUTBOX": str(tmp_path / "outbox" / "reports.jsonl"),
            "REPORT_TELEGRAM_OUTBOX": str(tmp_path / "outbox" / "reports-telegram.jsonl"),
            "SPIKES_TELEGRAM_API_URL": receiver.url, "SPIKES_TELEGRAM_TOKEN": "123:secret",
            "SPIKES_TELEGRAM_CHAT_ID": "42", "REPORT_URL": "https://workspace.prirechye.example/reports/"}


def test_monitor_report_writes_the_weeks_files_and_sends_the_link_and_the_pdf(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    with Receiver() as receiver:
        overrides = [arg for name, value in sending(receiver, tmp_path).items() for arg in ("-s", f"{name}={value}")]
        done = monitor_report("--week", "2026-W49", "--pdf", "--send", "--out", str(out),
                              "--store", demo_store(tmp_path), *overrides)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["weekly-2026-W49.html", "weekly-2026-W49.json",
                                                     "weekly-2026-W49.pdf"]
    assert "weekly report 2026-W49: 8 incidents, 1 crises, 5 fact-check stories" in done.stdout
    [hook] = receiver.got("/hook")
    record = hook.json()
    assert (record["kind"], record["url"]) == ("weekly_report",
                                               "https://workspace.prirechye.example/reports/weekly-2026-W49.html")
    assert record["figures"]["incidents"] == 8 and record["pdf"].endswith("weekly-2026-W49.pdf")
    [document] = receiver.got("/bot123:secret/sendDocument")
    assert document.headers["content-type"].startswith("multipart/form-data")
    assert b"%PDF-" in document.body and b'filename="weekly-2026-W49.pdf"' in document.body
    assert "Еженедельный отчёт 2026-W49".encode() in document.body and b"\r\n42\r\n" in document.body
    assert "secret" not in done.stdout + done.stderr
    figures = json.loads((out / "weekly-2026-W49.json").read_text(encoding="utf-8"))
    assert figures["html"] == "weekly-2026-W49.html" and [a["key"] for a in figures["answers"]][0].startswith("УК")


def test_without_a_pdf_telegram_gets_the_figures_and_the_link_as_a_message(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "monitor.db")
    store.upsert_incidents(demo_week())
    report = build_weekly(store, WEEK, NOW, sector_names=NAMES)
    store.close()
    with Receiver() as receiver:
        config = ReportConfig.from_settings(sending(receiver, tmp_path))
        sent = send_report(config, report, ReportFiles(tmp_path / "weekly-2026-W49.html", None, tmp_path / "x.json"))
    assert [(s.sink, s.accepted, s.pending) for s in sent] == [("WebhookSink", 1, 0), ("ReportTelegramSink", 1, 0)]
    [message] = receiver.got("/bot123:secret/sendMessage")
    text: Any = message.json()["text"]
    assert "Инцидентов: 8; больше всего: ЖКХ" in text  # 3 of the 8 weeks before had any: no usual level
    assert "просрочено сейчас: 2" in text
    assert "https://workspace.prirechye.example/reports/weekly-2026-W49.html" in text


def test_a_report_no_receiver_took_exits_1_waits_in_the_outbox_and_goes_once_when_run_again(tmp_path: Path) -> None:
    receiver = Receiver().start()
    receiver.stop()  # its port refuses connections until it starts again
    settings = {**sending(receiver, tmp_path), "SPIKES_TELEGRAM_TOKEN": "", "INCIDENTS_WEBHOOK_RETRIES": "0"}
    args = ["--week", "2026-W49", "--out", str(tmp_path / "r"), "--send", "--store", demo_store(tmp_path),
            *(arg for name, value in settings.items() for arg in ("-s", f"{name}={value}"))]
    outbox = tmp_path / "outbox" / "reports.jsonl"
    done = monitor_report(*args)
    assert done.returncode == 1 and "WebhookSink: 0 accepted, 1 waiting" in done.stdout, done.stdout + done.stderr
    store = SqliteStore(tmp_path / "monitor.db")
    report = build_weekly(store, WEEK, NOW, sector_names=NAMES)
    store.close()
    files, config = ReportFiles(tmp_path / "r" / "weekly-2026-W49.html", None, tmp_path / "x.json"), \
        ReportConfig.from_settings(settings)
    assert [s.pending for s in send_report(config, report, files)] == [1]  # run again, still down: not queued twice
    assert [json.loads(line)["week"] for line in outbox.read_text(encoding="utf-8").splitlines()] == ["2026-W49"]
    with receiver:
        assert [(s.accepted, s.pending) for s in send_report(config, report, files)] == [(1, 0)]
    assert len(receiver.got("/hook")) == 1 and outbox.read_text(encoding="utf-8") == ""


def test_a_week_that_is_not_one_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = monitor_report("--week", "2026-49", "--store", f"sqlite:///{tmp_path / 'm.db'}")
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        "monitor report: --week '2026-49': expected an ISO week like 2026-W49"]


def test_the_scheduler_writes_and_sends_last_weeks_report_once_when_it_is_due_and_again_when_unsent(
        tmp_path: Path) -> None:
    clock = [datetime(2026, 12, 7, 5, 59, tzinfo=timezone.utc)]  # the Monday after 2026-W49, before REPORT_HOUR
    watchlist = write_watchlist(tmp_path / "w.yml", ["rss_gov"])
    receiver = Receiver().start()
    receiver.stop()  # down when the report is first sent
    settings = {"WATCHLIST": str(watchlist), "SCHEDULE_DETECT_INTERVAL": 0, "SCHEDULE_SPIKES_INTERVAL": 0,
                "SCHEDULE_RUN_DIR": str(tmp_path / "runs"), "SCHEDULE_HEARTBEAT": str(tmp_path / "beat"),
                "REPORT_DIR": str(tmp_path / "reports"), "REPORT_WEEKDAY": 1, "REPORT_HOUR": 6}
    sent = {**sending(receiver, tmp_path), "INCIDENTS_WEBHOOK_RETRIES": "0"}
    crawl_args = ["--store", demo_store(tmp_path), *(arg for name, value in sent.items() for arg in ("-s", f"{name}={value}"))]
    # as `monitor schedule` gives them: in its settings (its children get the secrets in their
    # environment) and on the children's command lines
    scheduler = Scheduler(project_settings({**settings, **sent, "INDEXER_STORE_URL": demo_store(tmp_path)}),
                          crawl_args, clock=lambda: clock[0],
                          command=lambda source, stats: [sys.executable, "-c", "pass"])
    log = tmp_path / "runs" / "report.log"
    scheduler.step(time.monotonic())
    assert scheduler.report_week() is None and scheduler.reporting is None
    clock[0] = datetime(2026, 12, 7, 6, 0, tzinfo=timezone.utc)
    scheduler.step(time.monotonic())
    assert scheduler.reporting is not None and scheduler.report_week() == WEEK
    assert scheduler.reporting.wait(timeout=120) == 1, log.read_text()  # written, not taken
    scheduler.step(time.monotonic())
    assert scheduler.reporting is None and scheduler.report_failed == WEEK  # not before REPORT_RETRY
    with receiver:
        scheduler.step(time.monotonic() + 3600)
        assert scheduler.reporting is not None and scheduler.reporting.wait(timeout=120) == 0, log.read_text()
        scheduler.step(time.monotonic() + 7200)
        assert scheduler.reporting is None  # written and sent: not again
        scheduler.finish()
    assert (tmp_path / "reports" / "weekly-2026-W49.pdf").is_file()
    assert len(receiver.got("/hook")) == 1 and len(receiver.got("/sendDocument")) == 1


def test_a_folder_that_cannot_be_made_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    done = monitor_report("--week", "2026-W49", "--out", str(tmp_path / "taken" / "reports"),
                          "--store", demo_store(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"monitor report: {tmp_path / 'taken' / 'reports'}: cannot make the report folder")
