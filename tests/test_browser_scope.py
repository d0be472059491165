"""The crawl scope in the real browser: a rendered page's scripts reach nothing internal.

A ``monitor crawl`` of a ``rendered`` source on 127.0.0.1 whose script fetches internal URLs
(a name pinned to the loopback alias 127.0.0.2 where a recording server listens, that address
itself, a name pinned to the metadata address, a same-site redirect into 127.0.0.2), opens a
WebSocket and an iframe there. ``CRAWLER_ALLOW_NETWORKS`` names only 127.0.0.1. Chromium is given
``--host-resolver-rules`` that resolve no name but the proxy's 127.0.0.1: were the scope's proxy
bypassed, Chromium could reach no name (the addresses the page names literally are loopback ones).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from crawler.scope.sandbox import account_of, namespaces_allowed
from indexer.store import Query
from tests.conftest import Crawler
from tests.support.hostile_site import HUGE, REPLIES, RecordingServer
from tests.support.netguard import CHROMIUM_GUARD

PAGE = """<html><body><div id="list"></div><script>
const list = document.getElementById("list");
function add(id, text) {
  const item = document.createElement("div"); item.className = "item"; item.id = id;
  const p = document.createElement("p"); p.className = "text"; p.textContent = text;
  item.appendChild(p); list.appendChild(item);
}
async function probe(id, url) {
  try { const r = await fetch(url); add(id, id + " got " + r.status + " " + (await r.text()).slice(0, 200)); }
  catch (e) { add(id, id + " blocked"); }
}
Promise.all([probe("own", "/own"), probe("named", "http://internal.test:PORT/named"),
             probe("alias", "http://127.0.0.2:PORT/alias"), probe("metadata", "http://metadata.test/latest/"),
             probe("redirect", "/redir"), probe("huge", "/huge")]).then(() => {
  try { new WebSocket("ws://internal.test:PORT/ws"); } catch (e) {}
  const frame = document.createElement("iframe"); frame.src = "http://127.0.0.2:PORT/frame";
  document.body.appendChild(frame);
  setTimeout(() => { const done = document.createElement("div"); done.id = "done"; done.textContent = "done"; document.body.appendChild(done); }, 700);
});
</script></body></html>"""


class _Site:
    def crawl_settings(self, store_url: str) -> dict[str, Any]:
        return {"INDEXER_STORE_URL": store_url, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                "CRAWLER_ALLOW_NETWORKS": ["127.0.0.1/32"], "SOURCES_FAIL_EXIT": False,
                "CRAWLER_HOSTS": json.dumps({"internal.test": "127.0.0.2", "metadata.test": "169.254.169.254"}),
                "RENDERED_CHROMIUM_ARGS": json.dumps([f"--host-resolver-rules={CHROMIUM_GUARD}"]),
                "TWISTED_DNS_RESOLVER": "tests.support.names.PlayedResolver", "PLAYED_NAMES": "{}"}


@pytest.fixture
def internal() -> Iterator[RecordingServer]:
    server = RecordingServer("127.0.0.2", default=(200, {"Access-Control-Allow-Origin": "*"}, REPLIES)).start()
    yield server
    server.stop()


def test_a_rendered_page_whose_script_fetches_internal_urls_gets_nothing(
        tmp_path: Path, internal: RecordingServer, chromium: str) -> None:
    site = RecordingServer(pages={
        "/board/": (200, {}, PAGE.replace("PORT", str(internal.port))),
        "/own": (200, {}, "own page"),
        "/redir": (302, {"Location": f"http://127.0.0.2:{internal.port}/redirected"}, ""),
    }).start()
    watchlist = tmp_path / "watchlist.yml"
    watchlist.write_text(yaml.safe_dump({"base_url": site.url, "sources": [{
        "id": "board", "platform": "rendered", "address": "/board/", "name": "Board", "kind": "media",
        "allowed_hosts": ["internal.test", "127.0.0.2", "metadata.test"],
        "selectors": {"item": "div.item", "id": "::attr(id)", "text": "p.text", "wait_for": "#done"}}]}))
    try:
        result = Crawler(_Site(), tmp_path)("board", watchlist=watchlist)  # type: ignore[arg-type]
    finally:
        site.stop()
    assert result.returncode == 0, result.output
    assert internal.paths() == []  # nothing reached the internal server: no fetch, hop, socket, frame
    texts = {p.id: p.text for p in result.store().search(Query(limit=100))}
    assert any(t.startswith("own got 200 own page") for t in texts.values()), texts  # the page's own site works
    for probe in ("named", "alias", "metadata", "redirect"):
        assert any(t.startswith(f"{probe} blocked") or f"{probe} got 403" in t for t in texts.values()), texts
    assert result.stat("browser/refused/address") >= 5  # named, alias, metadata, the hop, the frame, the socket
    assert result.stat("browser/refused/too_large") == 1 and site.sent < HUGE // 4
    assert result.stat("browser/sandboxed") == int(_sandbox_possible())  # measured: 1 on the project's machines
    assert "Traceback" not in result.output


def _sandbox_possible() -> bool:
    """What the rendered spider should find: Chromium's user (``nobody`` under root) can make
    user namespaces."""
    user = os.geteuid() == 0 and "nobody"
    return namespaces_allowed(account_of(user) if user else None)
