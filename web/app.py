"""The workspace as an ASGI app (Litestar): pages rendered on the server, sessions held in the
process's memory and expiring ``WEB_SESSION_SECONDS`` after sign-in, every form checked for its CSRF
token, every page and action behind a role guard, and a Content-Security-Policy that lets only the
site's own scripts run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from litestar import Litestar, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.stores.memory import MemoryStore
from litestar.template.config import TemplateConfig

from web import auth, factcheck, levels, overview, reports, routing, search
from web.auth import current_user
from web.views import environment

if TYPE_CHECKING:
    from web.state import Workspace

STATIC = Path(__file__).with_name("static")
HANDLERS = [auth.login_page, auth.login, auth.logout, overview.home, overview.overview_page, overview.audit_page,
            routing.queue_page, routing.queue_csv, routing.incident_page, routing.act, factcheck.factcheck_page,
            factcheck.verdict, search.search_page, search.save_search, levels.levels_page, reports.reports_page,
            reports.report_file, reports.write_last_week]


def create_app(ws: Workspace) -> Litestar:
    """The app over an open store and accounts file; the caller closes them."""
    sessions = ServerSideSessionConfig(max_age=ws.config.session_seconds, secure=ws.config.secure_cookies,
                                       samesite="lax", httponly=True, renew_on_access=False)
    return Litestar(
        route_handlers=[*HANDLERS, create_static_files_router(path="/static", directories=[STATIC])],
        middleware=[sessions.middleware], stores={"sessions": MemoryStore()},
        csrf_config=CSRFConfig(secret=ws.config.secret, cookie_secure=ws.config.secure_cookies,
                               cookie_samesite="strict", exclude=["/static"]),
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment())),
        exception_handlers={NotAuthorizedException: _sign_in, PermissionDeniedException: _forbidden,
                            NotFoundException: _not_found},
        after_request=_secure_headers(ws.config.tiles_url), state=State({"workspace": ws}), debug=False,
        openapi_config=None)


def _sign_in(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return Redirect(path=f"/login?next={quote(request.url.path)}", status_code=303)


def _forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return Template("error.html", status_code=403, context={
        "user": current_user(request), "title": "Доступ запрещён", "message": "Эта страница недоступна для вашей роли."})


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return Template("error.html", status_code=404, context={
        "user": current_user(request), "title": "Не найдено", "message": str(getattr(exc, "detail", "")) or
        "Такой страницы нет."})


def _secure_headers(tiles_url: str) -> Any:
    """Only the site's own scripts run, whatever a collected post holds; tiles from the set server. A
    response that brings its own, stricter policy (a weekly report's page) keeps it."""
    tiles = urlsplit(tiles_url)
    tile_origin = f" {tiles.scheme}://{tiles.netloc.replace('{s}', '*')}" if tiles.netloc else ""
    policy = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
              f"img-src 'self' data:{tile_origin}; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
              "form-action 'self'")

    async def add(response: Response[Any]) -> Response[Any]:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    return add
