"""The overview (today's counts, overdue incidents by body, open crises with their explanation, a
map of open incidents) and the audit log, for supervisors and admins."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from indexer.store import IncidentQuery
from web.auth import EVERYONE, OVERSIGHT, allow, signed_in
from web.routing import OPEN
from web.state import workspace

MAP_READ = 1_000  # open incidents put on the map, nearest deadline first
OVERDUE_READ = 5_000  # overdue incidents counted by body


@get("/", guards=[allow(*EVERYONE)], sync_to_thread=False)
def home() -> Redirect:
    return Redirect(path="/overview", status_code=303)


@get("/overview", guards=[allow(*EVERYONE)], sync_to_thread=False)
def overview_page(request: Request[Any, Any, Any]) -> Template:
    ws = workspace(request)
    now = ws.clock()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    count = ws.store.count_incidents
    counts = {"routing_today": count(IncidentQuery(queue="routing", since=today)),
              "factcheck_today": count(IncidentQuery(queue="factcheck", since=today)),
              "closed_today": count(IncidentQuery(status=("closed",), status_since=today)),
              "open": count(IncidentQuery(queue="routing", status=OPEN)),
              "overdue": count(IncidentQuery(queue="routing", overdue_at=now))}
    overdue = ws.store.find_incidents(IncidentQuery(queue="routing", overdue_at=now, limit=OVERDUE_READ))
    recent = ws.store.find_incidents(IncidentQuery(queue="routing", status=OPEN, since=now - timedelta(days=7),
                                                   limit=MAP_READ))
    mapped = ws.store.find_incidents(IncidentQuery(queue="routing", status=OPEN, limit=MAP_READ))
    markers = [{"id": i.id, "lat": i.territory.geo[0], "lon": i.territory.geo[1], "title": i.title,
                "overdue": i.overdue(now)} for i in mapped if i.territory is not None and i.territory.geo]
    return Template("overview.html", context={
        "user": signed_in(request), "counts": counts, "now": now, "tiles": ws.config.tiles_url, "markers": markers,
        "by_body": Counter(i.body or "орган не определён" for i in overdue).most_common(),
        "crises": [i for i in recent if i.kind == "crisis"]})


@get("/audit", guards=[allow(*OVERSIGHT)], sync_to_thread=False)
def audit_page(request: Request[Any, Any, Any], user: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
    ws = workspace(request)
    page = max(page, 1)
    entries = ws.accounts.audit_log(user=user or None, limit=100, offset=(page - 1) * 100)
    return Template("audit.html", context={"user": signed_in(request), "entries": entries, "who": user,
                                           "page": page, "more": len(entries) == 100})
