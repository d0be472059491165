"""OK API requests: signed on the way out, errors converted in one place on the way back.

Every OK REST call carries ``application_key`` and a signature (apiok.ru/dev/methods, "Calculating
request signature"): ``sig = md5(sorted "key=value" pairs + session_secret_key)``, lower case, the
pairs without ``sig`` and ``access_token``, where ``session_secret_key = md5(access_token +
application_secret_key)``. Requests go out as POST forms, so the token and signature stay out of
the URL and out of every log line that names a request. A redirect keeps the form (307, 308), so
a call redirected away from ``OK_API_URL``'s origin is refused here (``ok_offsite_redirect``)
before it is sent.

OK answers errors inside HTTP 200 bodies (``{"error_code": 104, "error_msg": "PARAM_SIGNATURE :
..."}``). Here each becomes a source error ``ok_error_<code>`` with OK's message and the method,
the page counted lost so the source's cursor stays; each is also counted as ``ok/api_error/<code>``.

Settings: ``OK_API_URL``; ``OK_APPLICATION_KEY``, ``OK_ACCESS_TOKEN``, ``OK_SECRET`` (from the environment).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, cast

from scrapy.exceptions import IgnoreRequest

from crawler.exceptions import OkApiError
from crawler.scope.policy import origin_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.spiders.base import SourceSpider

# Codes that mean the source itself cannot be read (apiok.ru/dev/errors): nothing was lost there.
UNAVAILABLE_CODES = {10, 300}


class OkSigner:
    """Signs the parameters of one OK API call with the application's key and the session's secret.

    >>> OkSigner(key, token, secret).sign({"method": "mediatopic.getTopics", "gid": "5..."})
    {"method": ..., "gid": ..., "application_key": key, "format": "json", "sig": ..., "access_token": token}
    """

    def __init__(self, application_key: str, access_token: str, secret: str) -> None:
        self.application_key = application_key
        self._access_token = access_token
        self._session_secret = hashlib.md5((access_token + secret).encode("utf-8")).hexdigest().lower()

    def sign(self, params: dict[str, Any]) -> dict[str, str]:
        signed = {k: str(v) for k, v in params.items()}
        signed.update(application_key=self.application_key, format="json")
        signed["sig"] = signature(signed, self._session_secret)
        signed["access_token"] = self._access_token
        return signed

    def __repr__(self) -> str:  # never show the token or the secret
        return f"OkSigner(application_key={self.application_key!r})"


def signature(params: dict[str, str], session_secret: str) -> str:
    """The ``sig`` of ``params`` (``sig``, ``access_token`` and ``session_key`` left out)."""
    pairs = "".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sig", "access_token", "session_key"))
    return hashlib.md5((pairs + session_secret).encode("utf-8")).hexdigest().lower()


class OkApiMiddleware:
    """Turns OK API error bodies of requests marked ``meta["ok_method"]`` into source errors.

    Other requests pass untouched. A good body is parsed once and left in ``meta["ok_response"]``
    for the spider's callback.
    """

    def __init__(self, crawler: Crawler, api_url: str = "") -> None:
        self.crawler = crawler
        self.origin = origin_of(api_url) if api_url else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OkApiMiddleware:
        return cls(crawler, crawler.settings.get("OK_API_URL"))

    def process_request(self, request: Request) -> None:
        method = request.meta.get("ok_method")
        if method is not None and self.origin is not None and origin_of(request.url) != self.origin:
            self._skip(request, "ok_offsite_redirect", f"{method}: redirected away from the OK API to "
                       f"{origin_of(request.url)}: not sent, its signed form and token with it")

    def process_response(self, request: Request, response: Response) -> Response:
        method = request.meta.get("ok_method")
        if method is None or response.status != 200:
            return response
        try:
            body = json.loads(response.body)
        except ValueError:
            return self._skip(request, "ok_bad_json", f"{method}: response is not JSON")
        if isinstance(body, dict) and "error_code" in body:
            error = _error(body, method)
            cast("Any", self.crawler.stats).inc_value(f"ok/api_error/{error.code}")
            lost = error.code not in UNAVAILABLE_CODES
            return self._skip(request, f"ok_error_{error.code}", str(error), lost=lost)
        request.meta["ok_response"] = body
        return response

    def _skip(self, request: Request, reason: str, message: str, lost: bool = True) -> Any:
        spider = cast("SourceSpider", self.crawler.spider)
        spider.source_error(request.meta.get("source_id", "?"), reason, "%s", message, lost=lost)
        raise IgnoreRequest(message)


def _error(body: dict[str, Any], method: str) -> OkApiError:
    try:
        code = int(body["error_code"])
    except (TypeError, ValueError):
        code = -1
    return OkApiError(code, str(body.get("error_msg") or ""), method)
