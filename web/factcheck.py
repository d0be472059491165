"""The fact-check queue (stories by priority and spread) and the verdict on a story.

A verdict goes through ``detector.jobs.queues.record_verdict``: fake and misleading with a debunk
link make the story part of the debunk registry at the next detection, so its later copies are
recognised; every post of the story's clusters shows the verdict wherever the workspace lists it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from detector.exceptions import ReviewError
from detector.jobs.queues import record_verdict
from indexer.store import Holding, IncidentQuery
from web.auth import FACTCHECK, Form, allow, signed_in
from web.routing import OPEN, render_incident
from web.state import workspace
from web.views import VERDICTS, page_numbers

if TYPE_CHECKING:
    from indexer.schema import Incident, Post
    from indexer.store import Store

QUEUE_READ = 2_000  # open stories read to order by priority and spread: a fact-check queue is small


@get("/factcheck", guards=[allow(*FACTCHECK)], sync_to_thread=False)
def factcheck_page(request: Request[Any, Any, Any], page: FromQuery[int] = 1, status: FromQuery[str] = "open") -> Template:
    ws = workspace(request)
    statuses = OPEN if status == "open" else None
    items = ws.store.find_incidents(IncidentQuery(queue="factcheck", status=statuses, limit=QUEUE_READ))
    items.sort(key=lambda item: (item.priority != "high", -spread(item), item.opened_at.timestamp() * -1))
    size, page = ws.config.page_size, max(page, 1)
    return Template("factcheck.html", context={
        "user": signed_in(request), "items": items[(page - 1) * size:page * size], "total": len(items),
        "status": status, "pager": page_numbers(len(items), size, page), "spread": spread})


def spread(item: Incident) -> int:
    """How far a story went: the sources it reached (its posts when no source is known)."""
    reached = (item.evidence.get("spread") or {}).get("sources")
    return int(reached) if isinstance(reached, int) else max(len(item.sources), len(item.post_ids))


def verdicts_by_cluster(store: Store, posts: list[Post]) -> dict[str, Incident]:
    """The decided fact-check item of each listed post's story (cluster), for the verdict badges."""
    clusters = tuple(sorted({post.cluster_id for post in posts if post.cluster_id}))
    if not clusters:
        return {}
    found: dict[str, Incident] = {}
    for item in store.find_incidents(IncidentQuery(queue="factcheck", holding=Holding(clusters=clusters), limit=500)):
        if item.verdict:
            for cluster in {item.cluster_id, *(item.evidence.get("cluster") or {}).get("clusters", [])} - {None}:
                found.setdefault(str(cluster), item)
    return found


@post("/incidents/{incident_id:str}/verdict", guards=[allow(*FACTCHECK)], sync_to_thread=False)
def verdict(request: Request[Any, Any, Any], incident_id: FromPath[str], data: Form) -> Template | Redirect:
    ws = workspace(request)
    user = signed_in(request)
    item = ws.store.get_incident(incident_id)
    if item is None:
        return Redirect(path="/factcheck", status_code=303)
    chosen, debunk = data.get("verdict", ""), (data.get("debunk") or "").strip() or None
    detail = f"verdict={chosen}; debunk={debunk or ''}; comment={(data.get('comment') or '')[:200]}"
    if data.get("version") != item.version:
        ws.accounts.audit(user.name, user.role, "verdict", incident_id, detail=detail, outcome="stale")
        stale = {"action": "verdict", "form": data, "version_seen_history": int(data.get("history_len") or 0)}
        return render_incident(request, item, status_code=409, stale=stale)
    try:
        if chosen not in VERDICTS:
            raise ReviewError(f"выберите вердикт: {', '.join(VERDICTS.values())}")
        if debunk and not debunk.startswith(("https://", "http://")):
            raise ReviewError("ссылка на опровержение должна начинаться с https:// или http://")
        record_verdict(ws.store, incident_id, chosen, user.name, debunk=debunk, note=data.get("comment") or "",
                       now=ws.clock())
    except ReviewError as exc:
        ws.accounts.audit(user.name, user.role, "verdict", incident_id, detail=str(exc), outcome="refused")
        return render_incident(request, item, status_code=422, error=str(exc))
    ws.accounts.audit(user.name, user.role, "verdict", incident_id, detail=detail)
    return Redirect(path=f"/incidents/{incident_id}", status_code=303)
