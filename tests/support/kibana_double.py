"""A Kibana test double: status and the saved objects import API, as Kibana documents them.

``POST /api/saved_objects/_import`` takes a multipart form with the NDJSON in the field ``file``
and requires the ``kbn-xsrf`` header; objects are kept by (type, id), so an import with
``overwrite=true`` replaces them and a second one without it reports conflicts.
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.support.http_double import HttpDouble, Request, Response


class KibanaDouble(HttpDouble):
    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.available = True

    def handle(self, request: Request) -> Response:
        if request.path == "/api/status":
            level = "available" if self.available else "unavailable"
            return Response(200 if self.available else 503,
                            {"version": {"number": "8.19.0"}, "status": {"overall": {"level": level}}})
        if request.path == "/api/saved_objects/_import" and request.method == "POST":
            return self._import(request)
        return Response(404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"})

    def _import(self, request: Request) -> Response:
        if "kbn-xsrf" not in request.headers:
            return Response(400, {"statusCode": 400, "error": "Bad Request",
                                  "message": "Request must contain a kbn-xsrf header."})
        content = _form_file(request.headers.get("content-type", ""), request.body)
        if content is None:
            return Response(400, {"statusCode": 400, "error": "Bad Request",
                                  "message": "[request body.file]: expected value of type [Stream]"})
        overwrite = request.query.get("overwrite") == "true"
        results, errors = [], []
        for line in content.decode("utf-8").splitlines():
            if not line.strip():
                continue
            obj = json.loads(line)
            key = (obj["type"], obj["id"])
            if key in self.objects and not overwrite:
                errors.append({"id": obj["id"], "type": obj["type"], "title": obj["attributes"].get("title"),
                               "error": {"type": "conflict"}})
                continue
            self.objects[key] = obj
            results.append({"id": obj["id"], "type": obj["type"], "overwrite": overwrite})
        return Response(200, {"success": not errors, "successCount": len(results),
                              "successResults": results, "errors": errors})


def _form_file(content_type: str, body: bytes) -> bytes | None:
    """The bytes of the form field ``file`` in a multipart/form-data body."""
    if not content_type.startswith("multipart/form-data"):
        return None
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            return part.get_payload(decode=True)
    return None
