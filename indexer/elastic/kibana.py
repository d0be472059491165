"""Import the project's Kibana saved objects (data views, saved searches, dashboards).

The objects ship with the package (``indexer/elastic/kibana_objects.ndjson``; setting
``KIBANA_OBJECTS`` names another file); they are imported through
Kibana's saved objects API with ``overwrite=true``, so importing at every deploy is safe. When the
index prefix is not ``monitor``, data view titles are rewritten to the deployment's aliases.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Iterable

import urllib3

from indexer.elastic.saved_searches import with_routing_searches
from indexer.exceptions import IndexerError
from indexer.store import safe_url


class KibanaError(IndexerError):
    """Kibana did not answer, or did not take the objects."""


@dataclass
class ImportReport:
    imported: int
    errors: list[dict[str, Any]]


class Kibana:
    def __init__(self, url: str, *, username: str | None = None, password: str | None = None,
                 api_key: str | None = None, ca_certs: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.headers = {"kbn-xsrf": "social-monitor"}
        if api_key:
            self.headers["Authorization"] = f"ApiKey {api_key}"
        elif username:
            self.headers.update(urllib3.make_headers(basic_auth=f"{username}:{password or ''}"))
        self.http = urllib3.PoolManager(ca_certs=ca_certs, timeout=timeout, retries=False)

    def wait(self, seconds: float) -> None:
        """Wait until Kibana reports itself available."""
        deadline = time.monotonic() + seconds
        last = "no answer"
        while True:
            try:
                response = self.http.request("GET", f"{self.url}/api/status", headers=self.headers)
                level = (json.loads(response.data or b"{}").get("status") or {}).get("overall", {}).get("level")
                if response.status == 200 and level == "available":
                    return
                last = f"HTTP {response.status}, status {level}"
            except (urllib3.exceptions.HTTPError, ValueError) as exc:
                last = str(exc)
            if time.monotonic() >= deadline:
                raise KibanaError(f"Kibana at {safe_url(self.url)} not available after {seconds:.0f}s: {last}")
            time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))

    def import_objects(self, ndjson: bytes) -> ImportReport:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"objects.ndjson\"\r\n"
                f"Content-Type: application/ndjson\r\n\r\n").encode() + ndjson + f"\r\n--{boundary}--\r\n".encode()
        try:
            response = self.http.request(
                "POST", f"{self.url}/api/saved_objects/_import?overwrite=true", body=body,
                headers={**self.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        except urllib3.exceptions.HTTPError as exc:
            raise KibanaError(f"Kibana at {safe_url(self.url)}: {exc}") from exc
        if response.status != 200:
            raise KibanaError(f"Kibana at {safe_url(self.url)} refused the import: HTTP {response.status} "
                              f"{response.data[:300].decode('utf-8', 'replace')}")
        answer = json.loads(response.data)
        return ImportReport(int(answer.get("successCount", 0)), list(answer.get("errors") or []))


def saved_objects(prefix: str, path: Path | str | None = None,
                  sectors: Iterable[tuple[str, str]] | None = None) -> bytes:
    """The NDJSON to import (``path``, or the objects shipped with the package), with data view
    titles pointing at this deployment's aliases and, given its ``sectors`` (code, name), one
    routing queue per sector."""
    source = Path(path) if path else files("indexer.elastic") / "kibana_objects.ndjson"
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise KibanaError(f"{source}: cannot read the Kibana saved objects: {exc.strerror}") from exc
    if sectors is not None:
        text = with_routing_searches(text, sectors)
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        title = obj.get("attributes", {}).get("title")
        if obj.get("type") == "index-pattern" and prefix != "monitor" and title and title.startswith("monitor-"):
            obj["attributes"]["title"] = f"{prefix}-{title.removeprefix('monitor-')}"
        lines.append(json.dumps(obj, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")
