"""The weekly reports in ``REPORT_DIR``: their list (read from the ``.json`` headline file each report
writes beside its HTML), each report's HTML and PDF served as they are, and, for supervisors and
admins, writing last week's report now.

Only files named like a report (``weekly-2026-W49.html`` or ``.pdf``) are served, found by name in
the folder: nothing else in it, nothing outside it. A report's page holds inline SVG charts and no
script; it is served under a policy that lets nothing but its own styles and ``data:`` images load.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from detector.exceptions import DetectorError
from web.auth import EVERYONE, OVERSIGHT, allow, signed_in
from web.state import workspace

logger = logging.getLogger(__name__)

FILE = re.compile(r"weekly-\d{4}-W\d{2}\.(html|pdf)")
HEADLINE = re.compile(r"weekly-\d{4}-W\d{2}\.json")
TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
REPORT_POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                 "base-uri 'none'; form-action 'none'")


@dataclass(frozen=True, slots=True)
class Listed:
    """One report as the list shows it: its week, when it was made, its headline, its files."""

    week: str
    made_at: str
    figures: dict[str, Any]
    html: str | None
    pdf: str | None


def listed(folder: Path) -> list[Listed]:
    """The reports in ``folder``, newest week first; a headline file that cannot be read is skipped."""
    found = []
    for path in sorted(folder.glob("weekly-*.json"), reverse=True) if folder.is_dir() else []:
        try:
            figures = json.loads(path.read_text(encoding="utf-8")) if HEADLINE.fullmatch(path.name) else None
        except (OSError, ValueError) as exc:
            logger.warning("%s: cannot read the report's headline: %s", path, exc)
            continue
        if isinstance(figures, dict):
            found.append(Listed(str(figures.get("week") or path.stem[7:]), str(figures.get("made_at") or ""), figures,
                                _present(folder, figures.get("html")), _present(folder, figures.get("pdf"))))
    return found


@get("/reports", guards=[allow(*EVERYONE)], sync_to_thread=False)
def reports_page(request: Request[Any, Any, Any]) -> Template:
    return _page(request)


@get("/reports/{name:str}", guards=[allow(*EVERYONE)], sync_to_thread=True)
def report_file(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    kind = FILE.fullmatch(name)
    path = Path(workspace(request).report.folder) / name
    if kind is None or not path.is_file():
        raise NotFoundException("такого отчёта нет")
    headers = {"Content-Security-Policy": REPORT_POLICY, "Content-Disposition": f'inline; filename="{name}"'}
    return Response(path.read_bytes(), media_type=TYPES[kind[1]], headers=headers)


@post("/reports/write", guards=[allow(*OVERSIGHT)], sync_to_thread=False)
def write_last_week(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Last week's report, written now (with its PDF), as the scheduler would on Monday. It runs on
    the server's own thread, as every handler that reads the store does (one SQLite connection):
    the few seconds it takes hold up other requests, which a weekly action can afford."""
    from detector.reports.job import run_report

    ws, user = workspace(request), signed_in(request)
    try:
        run = run_report(ws.store, ws.detector, ws.report, now=ws.clock(), pdf=True)
    except DetectorError as exc:
        ws.accounts.audit(user.name, user.role, "report", detail=str(exc), outcome="failed")
        return _page(request, error=f"Отчёт не записан: {exc}", status_code=500)
    ws.accounts.audit(user.name, user.role, "report", run.report.week.label)
    return Redirect(path="/reports", status_code=303)


def _page(request: Request[Any, Any, Any], error: str | None = None, status_code: int = 200) -> Template:
    ws = workspace(request)
    return Template("reports.html", status_code=status_code, context={
        "user": signed_in(request), "reports": listed(Path(ws.report.folder)), "error": error,
        "may_write": signed_in(request).role in OVERSIGHT})


def _present(folder: Path, name: object) -> str | None:
    """A file the headline names, when it is a report's file and still there."""
    return name if isinstance(name, str) and FILE.fullmatch(name) and (folder / name).is_file() else None
