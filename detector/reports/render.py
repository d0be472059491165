"""The weekly report as files: one self-contained HTML page (Jinja2, charts inlined), its PDF
(WeasyPrint, from the same HTML) and a JSON of the headline figures (what a workspace lists).

Files are written beside each other in the report folder (``REPORT_DIR``) as
``weekly-2026-W49.html``, ``.pdf`` and ``.json``, each through a temporary file and a rename, so a
reader never sees half a report.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detector.exceptions import ReportError
from detector.reports.answers import body_name
from detector.reports.weeks import report_name

if TYPE_CHECKING:
    from detector.reports.weekly import WeeklyReport


@dataclass(frozen=True, slots=True)
class ReportFiles:
    html: Path
    pdf: Path | None
    figures: Path


def render_html(report: WeeklyReport) -> str:
    """The report as one HTML page, charts inlined (no request leaves the page)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    from detector.reports import charts

    environment = Environment(loader=PackageLoader("detector.reports", "templates"),
                              autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
    environment.filters["hours"] = _hours
    environment.filters["share"] = _share
    environment.filters["body"] = body_name
    template = environment.get_template("weekly.html")
    return template.render(report=report, headline=report.headline(), charts={
        "grid": charts.grid_chart(report), "trend": charts.trend_chart(report),
        "answers": charts.answers_chart(report.answers), "fakes": charts.fakes_chart(report.fakes)},
        verdicts=charts.VERDICT_NAMES)


def write_pdf(html: str, path: Path) -> None:
    """The page through WeasyPrint (pango does the text; Debian: libpango-1.0-0, fonts-dejavu-core)."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Python package is there, its system libraries are not
        raise ReportError(f"cannot write the PDF: WeasyPrint needs pango ({exc})") from exc
    quiet = _NoMissingGlyphs()
    logging.getLogger("weasyprint").addFilter(quiet)
    try:
        with _replacing(path) as part:
            HTML(string=html).write_pdf(part)
    finally:
        logging.getLogger("weasyprint").removeFilter(quiet)


def write_report(report: WeeklyReport, folder: Path | str, *, pdf: bool = False) -> ReportFiles:
    """Write the report's files into ``folder`` (made if missing); the PDF only when asked."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{folder}: cannot make the report folder: {exc.strerror or exc}") from exc
    stem = folder / report_name(report.week)
    html = render_html(report)
    files = ReportFiles(stem.with_suffix(".html"), stem.with_suffix(".pdf") if pdf else None,
                        stem.with_suffix(".json"))
    _write_text(files.html, html)
    if files.pdf is not None:
        write_pdf(html, files.pdf)
    _write_text(files.figures, json.dumps(figures(report, files), ensure_ascii=False, indent=1, default=str))
    return files


def figures(report: WeeklyReport, files: ReportFiles) -> dict[str, Any]:
    """The JSON beside the report: headline, the answer table and the files' names."""
    return {**report.headline(), "made_at": report.made_at.isoformat(), "start": report.week.start.isoformat(),
            "end": report.week.end.isoformat(), "html": files.html.name, "pdf": files.pdf.name if files.pdf else None,
            "answers": [row.as_dict() for row in report.answers]}


def _write_text(path: Path, text: str) -> None:
    with _replacing(path) as part, open(part, "w", encoding="utf-8") as out:
        out.write(text)


class _replacing:
    """A temporary path beside ``path`` that becomes ``path`` when the block ends without an error."""

    def __init__(self, path: Path) -> None:
        self.path, self.part = path, path.with_name(f".{path.name}.part")

    def __enter__(self) -> Path:
        return self.part

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                os.replace(self.part, self.path)
            except OSError as error:
                raise ReportError(f"{self.path}: cannot write: {error.strerror or error}") from error
        else:
            self.part.unlink(missing_ok=True)
            if isinstance(exc, OSError) and not isinstance(exc, ReportError):
                raise ReportError(f"{self.path}: cannot write: {exc.strerror or exc}") from exc


class _NoMissingGlyphs(logging.Filter):
    """Posts quote emoji that no installed font draws; WeasyPrint logs each one, which says nothing
    a reader of the PDF can act on (the browser's HTML shows them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return ".notdef glyph" not in record.getMessage()


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ч"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"
