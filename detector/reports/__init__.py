"""The weekly report: its figures from the store's incidents (``weekly.py``), answer times per body
(``answers.py``: the service levels' rows by body), charts (``charts.py``, matplotlib), the HTML and PDF (``render.py``, Jinja2 and
WeasyPrint) and sending it out (``send.py``). Importing this package loads none of matplotlib,
Jinja2 or WeasyPrint: the modules that draw and write import them when they run.

    report = build_weekly(store, Week.parse("2026-W49"), utcnow(), sector_names=names)
    files = write_report(report, "var/reports", pdf=True)
"""

from __future__ import annotations

from detector.reports.answers import answer_times
from detector.reports.render import ReportFiles, write_report
from detector.reports.weekly import WeeklyReport, build_weekly
from detector.reports.weeks import Week, report_name

__all__ = ["ReportFiles", "Week", "WeeklyReport", "answer_times", "build_weekly", "report_name",
           "write_report"]
