"""``run_report``: what ``monitor report``, the scheduler's weekly run and ``monitor demo`` call.

It reads the week's incidents from an open store, writes the report's files into the report
folder and, when asked, sends it (:mod:`detector.reports.send`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from detector.reports.render import ReportFiles, write_report
from detector.reports.weekly import WeeklyReport, build_weekly
from detector.reports.weeks import Week
from detector.sectors import load_sectors
from indexer.schema import utcnow

if TYPE_CHECKING:
    from detector.config import DetectorConfig
    from detector.reports.config import ReportConfig
    from detector.reports.send import Sent
    from indexer.store import Store


@dataclass
class ReportRun:
    report: WeeklyReport
    files: ReportFiles
    sent: list[Sent] = field(default_factory=list)

    def summary(self) -> str:
        figures = self.report.headline()
        return (f"weekly report {self.report.week.label}: {figures['incidents']} incidents, {figures['crises']} crises, "
                f"{figures['fakes']} fact-check stories; written to {self.files.html}"
                + (f" and {self.files.pdf}" if self.files.pdf else ""))


def run_report(store: Store, config: DetectorConfig, report_config: ReportConfig, *, week: Week | None = None,
               now: datetime | None = None, folder: Path | str | None = None, pdf: bool = False,
               send: bool = False) -> ReportRun:
    """The report of ``week`` (default: the last full week before ``now``) into ``folder``
    (default ``REPORT_DIR``); sent to the report sinks with ``send``."""
    now = now or utcnow()
    week = week or Week.last_full(now)
    names = {sector.code: sector.name for sector in load_sectors(config.sectors_file())}
    report = build_weekly(store, week, now, sector_names=names, trend_weeks=report_config.trend_weeks,
                          top=report_config.top, target_hours=config.answers_target_hours)
    if week.end > now:
        report.notes.append(f"Неделя ещё не закончилась: данные на {now:%d.%m.%Y %H:%M} UTC.")
    run = ReportRun(report, write_report(report, folder or report_config.folder, pdf=pdf))
    if send:
        from detector.reports.send import send_report

        run.sent = send_report(report_config, report, run.files)
    return run
