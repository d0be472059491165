"""The service levels page ("Сроки ответов"): how fast and how well each body, sector and territory
answered, for this week, last week, the last 30 days or a chosen ISO week; every signed-in role reads
it. The figures are ``detector.jobs.service_levels``'s, the ones ``monitor answers`` prints and the
weekly report shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar import Request, get
from litestar.response import Template

from detector.exceptions import ReportError
from detector.jobs.service_levels import GROUPS, NONE, ServiceRow, service_levels
from detector.reports.weeks import Week
from web.auth import EVERYONE, ROUTING, allow, signed_in
from web.state import workspace

PERIODS = {"week": "эта неделя", "last-week": "прошлая неделя", "30d": "30 дней"}
GROUP_NAMES = {"body": "Органы", "sector": "Отрасли", "territory": "Территории"}


@dataclass(frozen=True, slots=True)
class Period:
    """The incidents' opening times the page counts: ``[since, until)``."""

    key: str  # one of PERIODS, or the ISO week's label
    since: datetime
    until: datetime
    label: str

    @classmethod
    def read(cls, params: Any, now: datetime) -> Period:
        """From ``?period=`` or ``?week=2026-W49``; a week that is not one is a :class:`ReportError`."""
        if params.get("week"):
            week = Week.parse(str(params.get("week")))
            return cls(week.label, week.start, week.end, f"неделя {week.label}")
        key = params.get("period") if params.get("period") in PERIODS else "week"
        if key == "30d":
            return cls(key, now - timedelta(days=30), now, PERIODS[key])
        week = Week.of(now) if key == "week" else Week.last_full(now)
        return cls(key, week.start, week.end, f"{PERIODS[key]} ({week.label})")


@get("/service-levels", guards=[allow(*EVERYONE)], sync_to_thread=False)
def levels_page(request: Request[Any, Any, Any]) -> Template:
    ws = workspace(request)
    now, user = ws.clock(), signed_in(request)
    try:
        period, error = Period.read(request.query_params, now), None
    except ReportError as exc:
        period, error = Period.read({}, now), str(exc).replace("--week", "неделя")
    levels = service_levels(ws.store, ws.detector, period.since, period.until, now)
    by_overdue = request.query_params.get("sort") == "overdue"
    groups = [(kind, GROUP_NAMES[kind], _sorted(levels.group(kind), by_overdue)) for kind in GROUPS]
    return Template("levels.html", status_code=400 if error else 200, context={
        "user": user, "levels": levels, "period": period, "periods": PERIODS, "groups": groups, "error": error,
        "by_overdue": by_overdue, "week": request.query_params.get("week") or "", "no_key": NONE,
        "queue_links": user.role in ROUTING})


def _sorted(rows: list[ServiceRow], by_overdue: bool) -> list[ServiceRow]:
    """Most overdue first when asked, else as the service levels list them (most incidents first)."""
    return sorted(rows, key=lambda row: (-row.overdue, -row.incidents, row.key)) if by_overdue else rows
