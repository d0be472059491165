"""``monitor report``: the weekly report (HTML, and PDF with ``--pdf``) of an ISO week, from the store."""

from __future__ import annotations

import argparse

from monitor.common import add_settings, add_store, open_store, settings

REPORT_CONTRACT = """Write the weekly report of an ISO week: incidents by sector × territory and their trend
against the weeks before (REPORT_TREND_WEEKS), the largest incidents, answer times and отписки per
body, the fact-check queue's stories and verdicts, and the crises with their explanations.

Files, in --out (default REPORT_DIR, var/reports):
  weekly-2026-W49.html   one self-contained page (charts inlined as SVG)
  weekly-2026-W49.pdf    the same through WeasyPrint (--pdf)
  weekly-2026-W49.json   the headline figures and the answer table
--send also sends it: the link (REPORT_URL) or path and the figures to REPORT_WEBHOOK_URL, and the
PDF (else a message) to the crises' Telegram chat. The scheduler does this every REPORT_WEEKDAY
from REPORT_HOUR (UTC) for the last full week.
"""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="the weekly report (HTML, PDF) of an ISO week (see --help)",
                            formatter_class=argparse.RawDescriptionHelpFormatter, description=REPORT_CONTRACT)
    report.add_argument("--week", help="an ISO week like 2026-W49 (default: the last full week)")
    report.add_argument("--out", metavar="DIR", help="the folder to write into (default: setting REPORT_DIR)")
    report.add_argument("--pdf", action="store_true", help="also write the PDF (WeasyPrint)")
    report.add_argument("--send", action="store_true", help="send it to the report webhook and Telegram chat")
    add_store(report)
    add_settings(report)
    report.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from detector import DetectorConfig
    from detector.reports.config import ReportConfig
    from detector.reports.job import run_report
    from detector.reports.weeks import Week

    values = settings(args)
    week = Week.parse(args.week) if args.week else None
    config, report_config = DetectorConfig.from_settings(values), ReportConfig.from_settings(values)
    store = open_store(values)
    try:
        done = run_report(store, config, report_config, week=week, folder=args.out, pdf=args.pdf, send=args.send)
    finally:
        store.close()
    print(done.summary())
    for sent in done.sent:
        busy = " (another process is sending them)" if sent.busy else ""
        print(f"{sent.sink}: {sent.accepted} accepted, {sent.pending} waiting in {sent.outbox}{busy}")
    if args.send and not done.sent:
        print("not sent: neither REPORT_WEBHOOK_URL nor the Telegram bot (SPIKES_TELEGRAM_TOKEN, _CHAT_ID) is set")
    return 1 if any(sent.pending for sent in done.sent) else 0
