"""Signing in and out, and the guards every page and action passes: a person signed in, of a role
allowed there. The session holds only the name; the role is read from the accounts file at each
request, so a changed role or a removed account counts at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Callable

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from web.state import workspace

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler

    from web.accounts import User

Guard = Callable[["ASGIConnection[Any, Any, Any, Any]", "BaseRouteHandler"], None]
EVERYONE = ("operator", "fact-checker", "supervisor", "admin")
ROUTING = ("operator", "supervisor", "admin")
FACTCHECK = ("fact-checker", "supervisor", "admin")
OVERSIGHT = ("supervisor", "admin")
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    name = connection.session.get("user") if connection.scope.get("session") else None
    return workspace(connection).accounts.user(name) if name else None


def allow(*roles: str) -> Guard:
    """A guard: signed in (else 401, shown as the sign-in page) and of one of ``roles`` (else 403)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise NotAuthorizedException("войдите, чтобы продолжить")
        if user.role not in roles:
            workspace(connection).accounts.audit(user.name, user.role, "denied", connection.url.path,
                                                 outcome="forbidden")
            raise PermissionDeniedException("эта страница недоступна для вашей роли")

    return guard


@get("/login", sync_to_thread=False)
def login_page(next: FromQuery[str] = "/") -> Template:
    return Template("login.html", context={"next": _local(next), "error": None})


@post("/login", sync_to_thread=False)
def login(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    accounts = workspace(request).accounts
    name, target = data.get("name", "").strip(), _local(data.get("next", "/"))
    user = accounts.authenticate(name, data.get("password", ""))
    if user is None:
        accounts.audit(name or "?", None, "login", outcome="refused")
        return Template("login.html", context={"next": target, "error": "Неверное имя или пароль"}, status_code=401)
    request.clear_session()
    request.set_session({"user": user.name})
    accounts.audit(user.name, user.role, "login")
    return Redirect(path=target, status_code=303)


@post("/logout", sync_to_thread=False)
def logout(request: Request[Any, Any, Any]) -> Redirect:
    user = current_user(request)
    if user is not None:
        workspace(request).accounts.audit(user.name, user.role, "logout")
    request.clear_session()
    return Redirect(path="/login", status_code=303)


def signed_in(request: Request[Any, Any, Any]) -> User:
    """The person behind a request the guards let through."""
    user = current_user(request)
    if user is None:
        raise NotAuthorizedException("войдите, чтобы продолжить")
    return user


def _local(target: str) -> str:
    """Only a path of this site to go back to after signing in: never another host."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
