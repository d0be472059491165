"""Search: the store's full text (Russian word forms) with filters, results linking to the original
post and its incident, a verdict badge on every copy of a story fact-checkers decided; saved searches
per person.

The store's ``Query`` narrows by platform, source and dates; sector, territory and the
complaint / fake / threat flags narrow the ``READ`` best matches it returns.
"""

from __future__ import annotations

from datetime import datetime, time, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.response import Redirect, Template

from indexer.schema import PLATFORMS
from indexer.store import Query
from web.auth import EVERYONE, Form, allow, signed_in
from web.factcheck import verdicts_by_cluster
from web.state import workspace

if TYPE_CHECKING:
    from indexer.schema import Post

READ = 200
FLAGS = {"complaint": "жалобы", "fake": "возможные фейки", "threat": "угрозы"}
FIELDS = ("q", "platform", "source", "sector", "territory", "since", "until", "flag")


@get("/search", guards=[allow(*EVERYONE)], sync_to_thread=False)
def search_page(request: Request[Any, Any, Any]) -> Template:
    ws = workspace(request)
    user = signed_in(request)
    form = {name: (request.query_params.get(name) or "").strip() for name in FIELDS}
    error, posts = None, []
    if any(form.values()):
        try:
            query = Query(text=form["q"] or None, platform=form["platform"] or None, source_id=form["source"] or None,
                          since=_day(form["since"]), until=_day(form["until"], end=True), limit=READ,
                          sort="relevance" if form["q"] else "newest")
        except ValueError:
            error = "дата в виде ГГГГ-ММ-ДД"
        else:
            posts = [post for post in ws.store.search(query) if _keeps(post, form)][:50]
    return Template("search.html", context={
        "user": user, "form": form, "posts": posts, "error": error, "platforms": PLATFORMS, "flags": FLAGS,
        "verdicts": verdicts_by_cluster(ws.store, posts), "saved": ws.accounts.saved_searches(user.name),
        "query": urlencode({k: v for k, v in form.items() if v})})


@post("/search/save", guards=[allow(*EVERYONE)], sync_to_thread=False)
def save_search(request: Request[Any, Any, Any], data: Form) -> Redirect:
    ws = workspace(request)
    user = signed_in(request)
    query = data.get("query", "")[:1000]
    name = (data.get("name") or "").strip()[:100] or query[:60] or "поиск"
    ws.accounts.save_search(user.name, name, query)
    ws.accounts.audit(user.name, user.role, "save-search", name, detail=query)
    return Redirect(path=f"/search?{query}", status_code=303)


def _keeps(post: Post, form: dict[str, str]) -> bool:
    place = post.territory
    if form["sector"] and post.sector != form["sector"]:
        return False
    if form["territory"] and (place is None or form["territory"] not in (place.municipality, place.district)):
        return False
    flag = form["flag"]
    return not flag or bool({"complaint": post.is_complaint, "fake": post.is_fake_suspect,
                             "threat": post.threat}.get(flag))


def _day(value: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    day = datetime.fromisoformat(value).date()
    return datetime.combine(day, time.max if end else time.min, tzinfo=timezone.utc)
