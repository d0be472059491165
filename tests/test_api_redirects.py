"""API credentials never follow a redirect away from their API's origin.

The VK token (an ``Authorization`` header) and the OK form (``access_token`` and the signature, kept
by a 307) belong to ``VK_API_URL``'s and ``OK_API_URL``'s origins. A local API answers every call
with a redirect to another loopback origin — the same host on another port (which the crawl scope
lets through by host) or another host name the source's ``allowed_hosts`` lists — where a server
records what reaches it: no token, no signed form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from tests.conftest import Crawler
from tests.support.hostile_site import RecordingServer

VK_TOKEN = "vk-secret-token-5f1e"
OK_TOKEN = "ok-secret-token-9c2a"


class _Api:
    def __init__(self, api: RecordingServer) -> None:
        self.api = api

    def crawl_settings(self, store_url: str) -> dict[str, Any]:
        return {"INDEXER_STORE_URL": store_url, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                "CRAWLER_ALLOW_NETWORKS": ["127.0.0.0/8"], "SOURCES_FAIL_EXIT": False,
                "VK_API_URL": f"{self.api.url}/vk/method/", "OK_API_URL": f"{self.api.url}/ok/fb.do",
                "VK_TOKENS": [VK_TOKEN], "OK_APPLICATION_KEY": "CBAAPPKEY", "OK_ACCESS_TOKEN": OK_TOKEN,
                "OK_SECRET": "ok-secret-key", "VK_BACKOFF_START": 0.1,
                "TWISTED_DNS_RESOLVER": "tests.support.names.PlayedResolver", "PLAYED_NAMES": json.dumps({})}


@pytest.fixture
def elsewhere() -> Iterator[RecordingServer]:
    server = RecordingServer(default=(200, {"Content-Type": "application/json"}, '{"response": {"items": []}}')).start()
    yield server
    server.stop()


@pytest.mark.parametrize(("platform", "status", "host"), [
    ("vk", 302, "127.0.0.1"), ("vk", 307, "localhost"), ("ok", 307, "127.0.0.1"), ("ok", 308, "localhost")])
def test_a_redirect_to_another_origin_carries_no_token(tmp_path: Path, elsewhere: RecordingServer, platform: str,
                                                       status: int, host: str) -> None:
    target = f"http://{host}:{elsewhere.port}"
    api = RecordingServer(pages={"/vk/method/wall.get": (status, {"Location": f"{target}/vk/method/wall.get"}, ""),
                                 "/ok/fb.do": (status, {"Location": f"{target}/ok/fb.do"}, "")}).start()
    watchlist = tmp_path / "watchlist.yml"
    watchlist.write_text(yaml.safe_dump({"sources": [{
        "id": "api_source", "platform": platform, "address": "somegroup", "name": "Group", "kind": "media",
        "allowed_hosts": ["localhost"]}]}))
    try:
        result = Crawler(_Api(api), tmp_path)("api_source", watchlist=watchlist)  # type: ignore[arg-type]
    finally:
        api.stop()
    assert api.paths(), "the API was asked"
    received = [f"{path} {headers} {body!r}" for path, headers, body in elsewhere.requests]
    assert not any(VK_TOKEN in r or OK_TOKEN in r or "sig=" in r for r in received), received
    assert result.stat(f"source/api_source/errors/{platform}_offsite_redirect") == 1
    assert VK_TOKEN not in result.output and OK_TOKEN not in result.output
    assert "Traceback" not in result.output
