"""The offline demo: the replay site plays the demo region and the crawler reads all of it.

Only base URLs and the pace differ from a real crawl: the replay site is local, so the demo lifts
the politeness delays that protect real sites, and gives the VK spider demo tokens.
"""

from __future__ import annotations

from pathlib import Path

from crawler.watchlist import load_watchlist
from indexer.store import Query, open_store
from monitor.crawl import project_settings, run_crawl
from monitor.report import print_crawl_report
from replay.process import ReplayProcess

DEMO_WATCHLIST = "watchlists/demo.yml"


def demo_overrides(base: str, store_url: str) -> dict[str, object]:
    return {
        "WATCHLIST": DEMO_WATCHLIST, "WATCHLIST_BASE_URL": base, "INDEXER_STORE_URL": store_url,
        "INDEXER_SPOOL_DIR": "var/demo-spool",
        "VK_API_URL": f"{base}/vk/method/", "TELEGRAM_BASE_URL": f"{base}/tg/",
        "VK_TOKENS": ["demo-token-1", "demo-token-2"], "VK_REQUESTS_PER_SECOND": 20,
        "TELEGRAM_REQUESTS_PER_SECOND": 20, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
        "VK_BACKOFF_START": 0.5, "LOG_LEVEL": "WARNING",
    }


def run_demo(port: int, store_url: str) -> int:
    load_watchlist(DEMO_WATCHLIST)  # a broken demo file should fail before anything starts
    path = store_url.removeprefix("sqlite:///")
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    with ReplayProcess(port=port) as site:
        print(f"replay site playing the demo region at {site.base}")
        settings = project_settings(demo_overrides(site.base, store_url))
        report = run_crawl(settings)
    print_crawl_report(report, store_url)
    store = open_store(store_url)
    try:
        total = store.count(Query())
        example = store.count(Query(text="вода"))
    finally:
        store.close()
    print(f"\n{total} posts and comments stored. Search them, e.g.:")
    print(f"  monitor search вода --store {store_url}        ({example} found: вода, воды, водой ...)")
    print(f"  monitor search \"нет света\" --since 7d --store {store_url}")
    return 0
