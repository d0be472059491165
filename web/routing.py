"""The routing queue, an incident's page, what staff do with an incident, and a queue as CSV.

Every change goes through ``detector.jobs.queues.change_incident`` (the lifecycle's rules, the
history, the store's version). The form carries the version the person saw: when the incident
changed since (a colleague, the detector), the change is not made; the page comes back with what
changed and the person's own change filled in, to look at and send again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from detector.exceptions import ReviewError
from detector.incidents.lifecycle import Change
from detector.jobs.moves import merge_incidents, split_post
from detector.jobs.queues import change_incident
from indexer.exceptions import VersionConflict
from indexer.store import IncidentQuery
from web.auth import EVERYONE, ROUTING, Form, allow, signed_in
from web.state import Workspace, workspace
from web.views import STATUSES, page_numbers, spread_chart, timeline

if TYPE_CHECKING:
    from indexer.schema import Incident, Post
    from web.accounts import User

OPEN = ("new", "assigned")
ACTIONS = {"assign": "назначить", "answer": "записать ответ", "close": "закрыть", "reopen": "вернуть в работу",
           "note": "заметка", "merge": "объединить", "split": "выделить в отдельный инцидент"}
ACTION_ROLES = {"note": EVERYONE}  # the others: ROUTING


@dataclass(frozen=True)
class QueueFilter:
    """A queue's filters as the query string gives them."""

    queue: str = "routing"
    body: str = ""
    sector: str = ""
    territory: str = ""
    status: str = "open"  # open | new | assigned | answered | closed | all
    overdue: bool = False

    def query(self, ws: Workspace, **extra: Any) -> IncidentQuery:
        statuses = {"open": OPEN, "all": None}.get(self.status, (self.status,))
        place = self.territory or None
        return IncidentQuery(queue=self.queue, status=statuses, body=self.body or None, sector=self.sector or None,
                             municipality=place if place in ws.towns else None,
                             district=place if place and place not in ws.towns else None,
                             overdue_at=ws.clock() if self.overdue else None, **extra)

    @classmethod
    def read(cls, params: Any, queue: str = "routing") -> QueueFilter:
        status = params.get("status") or "open"
        return cls(queue=queue, body=params.get("body") or "", sector=params.get("sector") or "",
                   territory=params.get("territory") or "", overdue=params.get("overdue") in ("1", "on"),
                   status=status if status in (*STATUSES, "open", "all") else "open")


@get("/queue", guards=[allow(*ROUTING)], sync_to_thread=False)
def queue_page(request: Request[Any, Any, Any], page: FromQuery[int] = 1) -> Template:
    ws = workspace(request)
    chosen = QueueFilter.read(request.query_params)
    size, page = ws.config.page_size, max(page, 1)
    incidents = ws.store.find_incidents(chosen.query(ws, limit=size, offset=(page - 1) * size))
    total = ws.store.count_incidents(chosen.query(ws))
    counts = _counts(ws, "routing")
    return Template("queue.html", context={"user": signed_in(request), "incidents": incidents, "filter": chosen,
                                           "total": total, "counts": counts, "now": ws.clock(),
                                           "pager": page_numbers(total, size, page), "query": _query_string(request),
                                           "sectors": ws.sectors, "territories": sorted(ws.towns)})


def _counts(ws: Workspace, queue: str) -> dict[str, int]:
    """The counts at the top of a queue: each status, and overdue now."""
    counts = {status: ws.store.count_incidents(IncidentQuery(queue=queue, status=(status,))) for status in STATUSES}
    counts["overdue"] = ws.store.count_incidents(IncidentQuery(queue=queue, overdue_at=ws.clock()))
    return counts


@get("/queue.csv", guards=[allow(*EVERYONE)], sync_to_thread=False)
def queue_csv(request: Request[Any, Any, Any], queue: FromQuery[str] = "routing") -> Response[str]:
    """The filtered queue, every matching incident, as CSV (UTF-8 with a BOM, for spreadsheets)."""
    ws = workspace(request)
    user = signed_in(request)
    chosen = QueueFilter.read(request.query_params, "factcheck" if queue == "factcheck" else "routing")
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["id", "вид", "статус", "срок", "просрочен", "отрасль", "территория", "адрес", "орган",
                     "исполнитель", "заголовок", "публикаций", "вердикт"])
    now = ws.clock()
    for incident in ws.store.find_incidents(chosen.query(ws, limit=100_000)):
        place = incident.territory
        writer.writerow([incident.id, incident.kind, incident.status, incident.deadline.isoformat()
                         if incident.deadline else "", "да" if incident.overdue(now) else "", incident.sector or "",
                         (place.district or place.municipality or "") if place else "",
                         (place.address or "") if place else "", incident.body or "", incident.assignee or "",
                         _cell(incident.title), len(incident.post_ids), incident.verdict or ""])
    ws.accounts.audit(user.name, user.role, "export", chosen.queue, detail=_query_string(request))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{chosen.queue}.csv"'})


def _cell(text: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ as a formula: such a text is quoted."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@get("/incidents/{incident_id:str}", guards=[allow(*EVERYONE)], sync_to_thread=False)
def incident_page(request: Request[Any, Any, Any], incident_id: FromPath[str]) -> Template:
    ws = workspace(request)
    incident = ws.store.get_incident(incident_id)
    if incident is None:
        raise NotFoundException(f"инцидента {incident_id} нет")
    return render_incident(request, incident)


def render_incident(request: Request[Any, Any, Any], incident: Incident, *, status_code: int = 200,
                    error: str | None = None, stale: dict[str, Any] | None = None) -> Template:
    """The incident page; ``stale``: the person's change refused because the incident moved on."""
    ws = workspace(request)
    posts = [post for post in (ws.store.get(post_id) for post_id in incident.post_ids[:200]) if post is not None]
    seen = (stale or {}).get("version_seen_history", len(incident.history))
    return Template("incident.html", status_code=status_code, context={
        "user": signed_in(request), "incident": incident, "posts": posts, "now": ws.clock(), "error": error,
        "mergeable": _mergeable(ws, incident),
        "stale": stale, "changed_since": incident.history[seen:] if stale else [], "actions": ACTIONS,
        "point": _point(incident, posts), "tiles": ws.config.tiles_url,
        "chart": spread_chart(timeline(posts)) if incident.queue == "factcheck" else ""})


def _mergeable(ws: Workspace, incident: Incident) -> list[Incident]:
    """Open incidents of the same queue and sector the incident could take in, nearest deadline first."""
    if incident.queue != "routing" or incident.merged_into:
        return []
    found = ws.store.find_incidents(IncidentQuery(queue="routing", status=OPEN, sector=incident.sector, limit=30))
    return [other for other in found if other.id != incident.id][:20]


def _point(incident: Incident, posts: list[Post]) -> tuple[float, float] | None:
    places = [incident.territory, *(post.territory for post in posts)]
    return next((place.geo for place in places if place is not None and place.geo), None)


@post("/incidents/{incident_id:str}/act", guards=[allow(*EVERYONE)], sync_to_thread=False)
def act(request: Request[Any, Any, Any], incident_id: FromPath[str], data: Form) -> Template | Redirect:
    """One action on an incident, made only on the state the person saw."""
    ws = workspace(request)
    user = signed_in(request)
    action = data.get("action", "")
    if action not in ACTIONS or user.role not in ACTION_ROLES.get(action, ROUTING):
        ws.accounts.audit(user.name, user.role, action or "?", incident_id, outcome="forbidden")
        incident = _existing(ws, incident_id)
        return render_incident(request, incident, status_code=403, error="Это действие недоступно для вашей роли")
    incident = _existing(ws, incident_id)
    try:
        if data.get("version") != incident.version:
            raise VersionConflict(incident_id, data.get("version"))
        _make(ws, user, incident_id, action, data)
    except VersionConflict:
        ws.accounts.audit(user.name, user.role, action, incident_id, detail=_describe(data), outcome="stale")
        stale = {"action": action, "form": data, "version_seen_history": _int(data.get("history_len"))}
        return render_incident(request, _existing(ws, incident_id), status_code=409, stale=stale)
    except ReviewError as exc:
        ws.accounts.audit(user.name, user.role, action, incident_id, detail=str(exc), outcome="refused")
        return render_incident(request, incident, status_code=422, error=str(exc))
    ws.accounts.audit(user.name, user.role, action, incident_id, detail=_describe(data))
    return Redirect(path=f"/incidents/{incident_id}", status_code=303)


def _make(ws: Workspace, user: User, incident_id: str, action: str, data: dict[str, str]) -> None:
    """Make one action on the version the person saw: a merge or a split moves posts between
    incidents (``detector.jobs.moves``); the others change the incident itself."""
    if action == "merge":
        other = (data.get("other") or "").strip()
        if not other or other == incident_id or ws.store.get_incident(other) is None:
            raise ReviewError(f"инцидента {other!r} нет: укажите номер другого инцидента той же очереди"
                              if other and other != incident_id else "укажите номер другого инцидента")
        merge_incidents(ws.store, incident_id, other, by=user.name, now=ws.clock(), version=data.get("version"))
    elif action == "split":
        split_post(ws.store, incident_id, data.get("post_id") or "", by=user.name, now=ws.clock(),
                   version=data.get("version"))
    else:
        change_incident(ws.store, incident_id, _change(user, action, data), now=ws.clock())


def _existing(ws: Workspace, incident_id: str) -> Incident:
    incident = ws.store.get_incident(incident_id)
    if incident is None:
        raise NotFoundException(f"инцидента {incident_id} нет")
    return incident


def _change(user: User, action: str, data: dict[str, str]) -> Change:
    """The form of one action as a lifecycle change; the lifecycle's rules judge it."""
    text = (data.get("text") or "").strip()
    if action == "assign":
        return Change(by=user.name, assignee=text or None, note=None)
    if action == "answer":
        link = (data.get("link") or "").strip()
        if link and not link.startswith(("https://", "http://")):
            raise ReviewError(f"ссылка на ответ должна начинаться с https:// или http://, а не {link[:40]!r}")
        return Change(by=user.name, answer="\n".join(part for part in (text, link) if part) or None)
    if action == "close":
        if not text:
            raise ReviewError("укажите причину закрытия")
        return Change(by=user.name, status="closed", reason=text)
    if action == "reopen":
        return Change(by=user.name, status="assigned", reason=text or None)
    return Change(by=user.name, note=text or None)


def _describe(data: dict[str, str]) -> str:
    return "; ".join(f"{key}={value[:200]}" for key, value in data.items()
                     if key in ("text", "link", "other", "post_id") and value)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _query_string(request: Request[Any, Any, Any]) -> str:
    return urlencode([(key, value) for key, value in request.query_params.items() if key != "page"])
