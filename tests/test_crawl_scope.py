"""The crawl scope: a crawl reads its sources' own hosts over http(s), never an internal address.

A real ``monitor crawl`` of a site whose links and redirects lead to internal addresses,
``file://`` and the cloud metadata address; names that answer internal addresses are played by
``tests.support.names.PlayedResolver`` and ``CRAWLER_HOSTS``, the "internal" service by a server on
127.0.0.2 that records what reaches it. The network guard (``tests/support/netguard.py``) makes
sure that, were the scope broken, nothing would leave loopback: the test would fail loudly.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from scrapy.settings import Settings
from twisted.internet.address import IPv4Address, IPv6Address

from crawler.exceptions import SettingError
from crawler.scope.browser import ScopeProxy
from crawler.scope.policy import AddressPolicy, ScopeConfig
from crawler.scope.resolver import ScopedResolver
from crawler.watchlist import Source
from indexer.store import Query
from tests.conftest import NETGUARD_LOG, ROOT, Crawler
from tests.support import netguard
from tests.support.hostile_site import HUGE, REPLIES, RecordingServer, listing

SELECTORS = {"item": "div.item", "id": "::attr(id)", "text": "p.text", "link": "a.link::attr(href)",
             "next_page": "a.next::attr(href)",
             "comments": {"item": "div.reply", "id": "::attr(id)", "text": "p.text"}}


class _Site:
    """``crawl_settings`` for :class:`tests.conftest.Crawler`: the hostile site, loopback beyond
    127.0.0.1 refused, the internal names played."""

    def __init__(self, site: RecordingServer, internal: RecordingServer) -> None:
        self.site, self.internal = site, internal

    def crawl_settings(self, store_url: str) -> dict[str, Any]:
        return {"INDEXER_STORE_URL": store_url, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                "CRAWLER_ALLOW_NETWORKS": ["127.0.0.1/32"], "SOURCES_FAIL_EXIT": False,
                "CRAWLER_HOSTS": json.dumps({"metadata.test": "169.254.169.254", "internal.test": "127.0.0.2"}),
                "TWISTED_DNS_RESOLVER": "tests.support.names.PlayedResolver",
                "PLAYED_NAMES": json.dumps({"rebind.test": "127.0.0.2", "intranet.test": "10.1.2.3"})}


@pytest.fixture
def internal() -> Iterator[RecordingServer]:
    server = RecordingServer("127.0.0.2", default=(200, {}, f"<html><body>{REPLIES}</body></html>")).start()
    yield server
    server.stop()


def _hostile(internal: RecordingServer) -> RecordingServer:
    port = internal.port
    links = ["/ok/1", "http://10.0.0.5/admin", "file:///etc/passwd", "/go/1", "/go/3", "/go/4",
             "http://intranet.test/", f"http://internal.test:{port}/", "/huge",
             "data:text/html,<p>x</p>", "ftp://127.0.0.1/x", f"http://127.0.0.2:{port}/direct"]
    page = listing(links) + f'<a class="next" href="http://127.0.0.2:{port}/page2">next</a>'
    return RecordingServer(pages={
        "/news/": (200, {}, page),
        "/ok/1": (200, {}, f"<html><body>{REPLIES.replace('внутренней сети', 'сайта')}</body></html>"),
        "/go/1": (302, {"Location": "/go/2"}, ""),
        "/go/2": (302, {"Location": "http://169.254.169.254/latest/meta-data/iam/"}, ""),
        "/go/3": (302, {"Location": "http://metadata.test/latest/meta-data/"}, ""),
        "/go/4": (302, {"Location": f"http://rebind.test:{port}/secret"}, ""),
    }).start()


def _watchlist(tmp_path: Path, site: RecordingServer) -> Path:
    path = tmp_path / "watchlist.yml"
    path.write_text(yaml.safe_dump({"base_url": site.url, "sources": [{
        "id": "hostile", "platform": "html", "address": "/news/", "name": "Hostile", "kind": "media",
        "allowed_hosts": ["metadata.test", "rebind.test", "intranet.test", "internal.test"],
        "selectors": SELECTORS}]}, allow_unicode=True))
    return path


def test_a_page_leading_to_internal_addresses_files_and_metadata_crawls_none_of_them(
        tmp_path: Path, internal: RecordingServer) -> None:
    site = _hostile(internal)
    try:
        result = Crawler(_Site(site, internal), tmp_path)("hostile", watchlist=_watchlist(tmp_path, site))  # type: ignore[arg-type]
    finally:
        site.stop()
    assert result.returncode == 0, result.output
    assert internal.paths() == []  # the internal server heard nothing
    assert result.stat("source/hostile/refused/offsite") == 3  # 10.0.0.5, the hop to 169.254.169.254, 127.0.0.2
    assert result.stat("source/hostile/refused/scheme") == 3  # file://, data:, ftp://
    # metadata.test and internal.test pinned to internal addresses; rebind.test and intranet.test
    # answering them from DNS: refused where the crawler connects
    assert result.stat("source/hostile/refused/address") == 4
    assert result.stat("source/hostile/refused/too_large") == 1
    assert site.sent < HUGE // 4  # the 200 MB download was cut, not read
    texts = {p.text for p in result.store().search(Query(limit=100))}
    assert "ответ из сайта" in texts and "ответ из внутренней сети" not in texts
    assert "refused by the crawl scope" in result.output and "Traceback" not in result.output


def test_a_200_mb_response_is_cut_at_the_cap_quickly(tmp_path: Path, internal: RecordingServer) -> None:
    site = RecordingServer(pages={"/news/": (200, {}, listing(["/huge"]))}).start()
    try:
        result = Crawler(_Site(site, internal), tmp_path)("hostile", watchlist=_watchlist(tmp_path, site))  # type: ignore[arg-type]
    finally:
        site.stop()
    assert result.stat("source/hostile/refused/too_large") == 1
    assert 16 * 1024 * 1024 <= site.sent < 48 * 1024 * 1024  # DOWNLOAD_MAXSIZE (16 MB), then the cut
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.1", "private"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"), ("::ffff:169.254.169.254", "metadata"),
    ("::ffff:10.0.0.1", "private"), ("100.64.0.1", "cgnat"), ("224.0.0.1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("::1", "loopback"), ("fe80::1", "link_local"),
    ("fc00::1", "private"), ("2002:a00:1::", "private"), ("64:ff9b::a00:1", "private"),
    ("93.184.216.34", None), ("2a00:1450:4010::65", None),
])
def test_every_address_but_global_unicast_is_refused(address: str, reason: str | None) -> None:
    assert AddressPolicy().refusal(address) == reason


def test_allowed_networks_let_loopback_through_but_never_metadata() -> None:
    from ipaddress import ip_network

    policy = AddressPolicy((ip_network("127.0.0.0/8"), ip_network("169.254.0.0/16")))
    assert policy.refusal("127.0.0.5") is None and policy.refusal("::ffff:127.0.0.1") is None
    assert policy.refusal("169.254.169.254") == "metadata"
    assert policy.refusal("10.0.0.1") == "private"


def _forget_violations(before: int) -> str:
    """The guard's log lines written since ``before``, removed (this test made them on purpose)."""
    with NETGUARD_LOG.open("r+", encoding="utf-8") as log:
        log.seek(before)
        written = log.read()
        log.truncate(before)
    return written


def test_the_guard_refuses_any_connect_beyond_loopback() -> None:
    before = NETGUARD_LOG.stat().st_size if NETGUARD_LOG.exists() else 0
    with pytest.raises(netguard.NetworkGuardError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with socket.socket() as sock, pytest.raises(netguard.NetworkGuardError):
        sock.connect_ex(("10.0.0.1", 80))
    with pytest.raises(netguard.NetworkGuardError):
        socket.getaddrinfo("example.org", 80)
    child = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('198.51.100.7', 80))"],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert child.returncode != 0 and "NetworkGuardError" in child.stderr
    assert len(_forget_violations(before).splitlines()) == 4
    with socket.create_server(("127.0.0.1", 0)) as server:  # loopback stays open
        socket.create_connection(server.getsockname(), timeout=1).close()


@pytest.mark.parametrize(("settings", "message"), [
    ({"CRAWLER_ALLOW_NETWORKS": ["localnet"]}, "CRAWLER_ALLOW_NETWORKS: expected networks such as 127.0.0.0/8, got 'localnet'"),
    ({"CRAWLER_HOSTS": {"intranet.test": "somewhere"}}, "CRAWLER_HOSTS: 'intranet.test' must map to an IP address"),
])
def test_bad_scope_settings_are_refused_naming_the_setting(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingError, match=re.escape(message)):
        ScopeConfig.from_settings(Settings(settings))


def test_a_watchlist_host_must_be_a_bare_name() -> None:
    source = {"id": "s", "platform": "rss", "address": "https://a.example/feed", "name": "S", "kind": "media"}
    assert Source.model_validate({**source, "allowed_hosts": ["CDN.Example.ru."]}).allowed_hosts == ["cdn.example.ru"]
    with pytest.raises(ValueError, match="expected host names such as news.example.ru, got 'http://x.ru/'"):
        Source.model_validate({**source, "allowed_hosts": ["http://x.ru/"]})


class _Answers:
    """A resolver that answers every name with ``addresses``, as Twisted's does."""

    def __init__(self, addresses: list[str]) -> None:
        self.addresses = addresses
        self.nameResolver = self  # the reactor's attribute ScopedResolver wraps

    def resolveHostName(self, receiver: Any, name: str, portNumber: int = 0, *args: Any) -> None:  # noqa: N802, N803
        receiver.resolutionBegan(None)
        for address in self.addresses:
            receiver.addressResolved(IPv6Address("TCP", address, portNumber) if ":" in address
                                     else IPv4Address("TCP", address, portNumber))
        receiver.resolutionComplete()


class _Receiver:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:  # noqa: N802
        pass

    def addressResolved(self, address: Any) -> None:  # noqa: N802
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.complete = True


def test_the_resolver_passes_on_only_allowed_answers_and_remembers_why() -> None:
    resolver = ScopedResolver(_Answers(["10.0.0.7", "93.184.216.34", "::ffff:127.0.0.1"]), AddressPolicy(), {})
    receiver = _Receiver()
    resolver.resolveHostName(receiver, "Mixed.Example.", 80)
    assert receiver.addresses == ["93.184.216.34"] and receiver.complete
    assert resolver.refusal("mixed.example") == ("::ffff:127.0.0.1", "loopback")


def test_a_pinned_name_answers_its_address_without_dns_and_is_judged_too() -> None:
    resolver = ScopedResolver(_Answers(["93.184.216.34"]), AddressPolicy(), {"meta.test": "169.254.169.254"})
    receiver = _Receiver()
    resolver.resolveHostName(receiver, "meta.test", 80)
    assert receiver.addresses == [] and receiver.complete
    assert resolver.refusal("meta.test") == ("169.254.169.254", "metadata")


@pytest.mark.parametrize(("host", "expected"), [
    ("site.test", ("127.0.0.1", "")), ("internal.test", (None, "address")), ("10.0.0.1", (None, "offsite")),
    ("metadata.test", (None, "address")), ("127.0.0.1", ("127.0.0.1", "")), ("SITE.TEST.", ("127.0.0.1", "")),
])
def test_the_browser_proxy_admits_only_the_sources_hosts_at_allowed_addresses(
        host: str, expected: tuple[str | None, str]) -> None:
    from ipaddress import ip_network

    config = ScopeConfig(AddressPolicy((ip_network("127.0.0.1/32"),)),
                         {"site.test": "127.0.0.1", "internal.test": "127.0.0.2", "metadata.test": "169.254.169.254"})
    proxy = ScopeProxy(config, {"site.test", "internal.test", "metadata.test", "127.0.0.1"}, 0, lambda reason: None)
    assert asyncio.run(proxy.admit(host, 80)) == expected
