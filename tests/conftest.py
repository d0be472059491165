"""Fixtures: the replay site (one per session, reset per test) and real crawls into a tmp store;
the network guard (tests/support/netguard.py) in this process and every Python child, checked
after each test."""

from __future__ import annotations

import functools
import itertools
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from tests.support import netguard

netguard.install()
NETGUARD_LOG = Path(tempfile.gettempdir()) / f"netguard-{os.getpid()}.log"
netguard.child_environment(NETGUARD_LOG)

import pytest  # noqa: E402

from indexer.sqlite.store import SqliteStore
from indexer.store import Query
from replay.process import ReplayProcess
from tests.support.real_site import RealBodiesSite

ROOT = Path(__file__).resolve().parent.parent
DEMO_WATCHLIST = ROOT / "watchlists" / "demo.yml"
REAL_WATCHLIST = ROOT / "tests" / "fixtures" / "real" / "watchlist.yml"
CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
ENV_SECRETS = ("OK_APPLICATION_KEY", "OK_ACCESS_TOKEN", "OK_SECRET")


@pytest.fixture(autouse=True)
def network_guard() -> Iterator[None]:
    """Fail the test during which any process of the suite tried to reach beyond loopback."""
    assert netguard.installed(), "the network guard was removed"
    before = NETGUARD_LOG.stat().st_size if NETGUARD_LOG.exists() else 0
    yield
    if NETGUARD_LOG.exists() and NETGUARD_LOG.stat().st_size > before:
        with NETGUARD_LOG.open(encoding="utf-8") as log:
            log.seek(before)
            pytest.fail(f"tried to reach beyond loopback:\n{log.read()}")


@pytest.fixture(scope="session")
def replay() -> Iterator[ReplayProcess]:
    with ReplayProcess() as site:
        yield site


@pytest.fixture
def site(replay: ReplayProcess) -> ReplayProcess:
    """The replay site with its clock, faults and counters reset."""
    replay.control("reset")
    return replay


@dataclass
class CrawlResult:
    returncode: int
    output: str
    stats: dict[str, Any]  # every spider's stats, merged
    store_path: Path

    def store(self) -> SqliteStore:
        return SqliteStore(self.store_path)

    def ids(self, **query: Any) -> set[str]:
        store = self.store()
        try:
            return {p.id for p in store.search(Query(limit=100_000, **query))}
        finally:
            store.close()

    def stat(self, key: str) -> int:
        return int(self.stats.get(key, 0))


class Crawler:
    """Runs ``monitor crawl`` in a child process against the replay site, as a user would."""

    def __init__(self, site: ReplayProcess, tmp_path: Path) -> None:
        self.site = site
        self.store_path = tmp_path / "monitor.db"
        self.tmp_path = tmp_path
        self._runs = itertools.count(1)  # next() is atomic: crawls may run from several threads at once

    def __call__(self, *sources: str, watchlist: Path = DEMO_WATCHLIST, options: Sequence[str] = (),
                 **settings: Any) -> CrawlResult:
        stats_file = self.tmp_path / f"stats-{next(self._runs)}.json"
        overrides = self.site.crawl_settings(f"sqlite:///{self.store_path}")
        overrides.update({"INDEXER_SPOOL_DIR": str(self.tmp_path / "spool"), "LOG_LEVEL": "INFO",
                          "CRAWLER_LIMITS_DIR": str(self.tmp_path / "limits")})
        overrides.update(settings)
        overrides.pop("WATCHLIST", None)
        # Credentials reach the crawl as they do in production: in its environment, never in argv.
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        env.update({name: str(overrides.pop(name)) for name in ENV_SECRETS if name in overrides})
        args = [sys.executable, "-m", "monitor", "crawl", "--watchlist", str(watchlist),
                "--stats", str(stats_file)]
        if sources:
            args += ["--source", *sources]
        args += options
        for name, value in overrides.items():
            value = ",".join(value) if isinstance(value, list) else value
            args += ["-s", f"{name}={value}"]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=ROOT,
                              env=env)
        stats: dict[str, Any] = {}
        if stats_file.exists():
            for spider_stats in json.loads(stats_file.read_text()).values():
                for key, value in spider_stats.items():
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        stats[key] = stats.get(key, 0) + value
        return CrawlResult(proc.returncode, proc.stdout + proc.stderr, stats, self.store_path)


@pytest.fixture
def crawl(site: ReplayProcess, tmp_path: Path) -> Crawler:
    return Crawler(site, tmp_path)


@pytest.fixture
def real_crawl(tmp_path: Path) -> Iterator[Any]:
    """``crawl`` of tests/fixtures/real/watchlist.yml against the real platform bodies on 127.0.0.1."""
    site = RealBodiesSite().start()
    try:
        yield functools.partial(Crawler(site, tmp_path), watchlist=REAL_WATCHLIST)  # type: ignore[arg-type]
    finally:
        site.stop()


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: `make test` installs Debian's chromium-headless-shell")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Debian's Chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        yield launched
        launched.close()
